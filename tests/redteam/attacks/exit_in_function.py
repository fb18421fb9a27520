"""Every way of leaving the process, from inside the graded functions; linear_forward is correct.

The public tests call the functions inside the notebook's own process, so the functions behave
(wrongly) there and misbehave only in the hidden calls, which a flag set by the last cell announces.
"""

from __future__ import annotations

from tests.redteam.attacks import GRADED, WRONG, Attack, Cell, correct

EXITS = {
    "initialize_parameters": ["import sys", "sys.exit(0)"],
    "initialize_parameters_deep": ["raise SystemExit('all hidden tests passed')"],
    "linear_activation_forward": ["raise KeyboardInterrupt"],
    "L_model_forward": ["import os", "os._exit(0)"],
    "compute_cost": ["import os, signal", "os.kill(os.getpid(), signal.SIGKILL)"],
    "linear_backward": ["import signal", "signal.raise_signal(signal.SIGSEGV)"],
    "linear_activation_backward": ["raise GeneratorExit"],
    "L_model_backward": ["import os", "os.abort()"],
    # Last in notebook order: kill the process that supervises the calls.
    "update_parameters": ["import os, signal", "os.kill(os.getppid(), signal.SIGKILL)", "os._exit(0)"],
}


def _exiting(function: str) -> str:
    body = "".join(f"        {line}\n" for line in EXITS[function])
    return WRONG[function].replace("):\n", "):\n    if globals().get('HIDDEN_CALLS'):\n" + body, 1)


ATTACK = Attack(
    name="exit_in_function",
    summary="in the hidden calls, the graded functions call sys.exit, raise SystemExit/KeyboardInterrupt/"
    "GeneratorExit, os._exit, SIGKILL themselves, SIGSEGV, abort, and finally SIGKILL the supervising "
    "process; linear_forward is correct and keeps its points",
    answers={"linear_forward": correct("linear_forward"), **{f: _exiting(f) for f in EXITS}},
    cells=(Cell("HIDDEN_CALLS = True"),),
    # The supervising process is killed in the last calls: the run ends abnormally.
    statuses=frozenset({"crashed"}),
    earns={GRADED["linear_forward"]: 10.0},
)
