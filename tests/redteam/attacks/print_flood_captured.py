"""Printing 100 MB through print(), in a cell and from the graded functions."""

from __future__ import annotations

from tests.redteam.attacks import WRONG, Attack, Cell

FLOOD = """
import sys

chunk = "x" * (1024**2) + "\\n"
for _ in range(100):
    print(chunk, end="")
    sys.stderr.write(chunk)
"""

ATTACK = Attack(
    name="print_flood_captured",
    summary="prints 100 MB to sys.stdout and 100 MB to sys.stderr in a cell, and 10 MB from "
    "linear_forward on every call",
    answers={
        "linear_forward": WRONG["linear_forward"].replace("):\n", "):\n    print('y' * (10 * 1024**2))\n", 1),
    },
    cells=(Cell(FLOOD),),
)
