"""A loop that disables the per-cell alarm, blocks signals and swallows every exception."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell

LOOP = """
import signal

signal.signal(signal.SIGALRM, signal.SIG_IGN)
signal.setitimer(signal.ITIMER_REAL, 0)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
    try:
        signal.signal(_sig, signal.SIG_IGN)
    except (OSError, ValueError):
        pass
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGTERM, signal.SIGINT})
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
"""

ATTACK = Attack(
    name="alarm_proof_loop",
    summary="ignores and blocks SIGALRM/SIGTERM/SIGINT/SIGXCPU, cancels the timer, then loops forever "
    "swallowing every exception: only the wall-clock limit can end it",
    cells=(Cell(LOOP),),
    statuses=frozenset({"timeout"}),
)
