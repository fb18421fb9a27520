"""Graded functions that never return (busy loops, some swallowing every exception)."""

from __future__ import annotations

from tests.redteam.attacks import FUNCTIONS, WRONG, Attack

LOOP = """
    import signal
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
"""

ATTACK = Attack(
    name="infinite_loop_function",
    summary="every graded function ignores SIGALRM and loops forever, swallowing exceptions",
    answers={function: WRONG[function].replace("):\n", "):\n" + LOOP, 1) for function in FUNCTIONS},
    statuses=frozenset({"timeout"}),
)
