"""Allocating without bound, in cells and in the graded functions; exhausting file descriptors."""

from __future__ import annotations

from tests.redteam.attacks import WRONG, Attack, Cell

GROW = """
hoard = []
while True:
    hoard.append(b"\\x01" * (64 * 1024**2))  # touched, not just reserved
"""

HUGE = """
import numpy as np
giant = np.ones((10**6, 10**6))
"""

FILES = """
handles = []
while True:
    handles.append(open("/dev/null"))
"""

RELEASE = """
for handle in handles:
    handle.close()
handles = None
"""

ATTACK = Attack(
    name="memory_bomb",
    summary="cells grow a list of 64 MB blocks without bound, allocate a 8 TB array and open files "
    "without bound; linear_forward and compute_cost allocate 80 GB on every call",
    answers={
        "linear_forward": WRONG["linear_forward"].replace(
            "):\n", "):\n    _waste = bytearray(80 * 1024**3)\n", 1
        ),
        "compute_cost": WRONG["compute_cost"].replace("):\n", "):\n    _waste = [0] * (10**10)\n", 1),
    },
    cells=(Cell(GROW), Cell("hoard = None"), Cell(HUGE), Cell(FILES), Cell(RELEASE)),
)
