"""A background thread that keeps rewriting every call's output files while the runner works."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell

FORGER = r"""
import glob
import threading
import time


def _forge():
    while True:
        for directory in glob.glob("/out/calls/*"):
            try:
                with open(directory + "/data.json", "w") as handle:
                    handle.write('{"$": "float", "v": "nan"}')
                with open(directory + "/arrays.npz", "w") as handle:
                    handle.write("")
                with open(directory + "/status.json", "w") as handle:
                    handle.write('{"status": "ok", "seconds": 0.0}')
            except OSError:
                pass
        time.sleep(0.001)


threading.Thread(target=_forge, daemon=True).start()
time.sleep(0.2)
"""

ATTACK = Attack(
    name="background_forger",
    summary="starts a thread that rewrites every call's status (ok), value (NaN) and arrays in a tight "
    "loop for as long as the runner lives",
    cells=(Cell(FORGER, after="start"),),
)
