"""Cells that never end: a busy loop and a long sleep."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell

ATTACK = Attack(
    name="infinite_loop_cell",
    summary="a 'while True: pass' cell and a cell sleeping for a million seconds, after the answers",
    cells=(Cell("while True:\n    pass"), Cell("import time\ntime.sleep(10**6)")),
)
