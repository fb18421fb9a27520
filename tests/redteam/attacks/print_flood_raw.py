"""Writing 100 MB straight to the process's stdout and stderr file descriptors."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell

FLOOD = """
import os
import sys

chunk = b"z" * (1024**2)
for _ in range(100):
    os.write(1, chunk)
    os.write(2, chunk)
    sys.__stdout__.write("w" * 1024)
"""

ATTACK = Attack(
    name="print_flood_raw",
    summary="writes 100 MB to file descriptors 1 and 2 directly (bypassing the cell's capture) and "
    "through sys.__stdout__",
    cells=(Cell(FLOOD),),
    statuses=frozenset({"crashed"}),
)
