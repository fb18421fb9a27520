"""os._exit(0) in a cell: the notebook's process ends before any function is called."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell, correct

ATTACK = Attack(
    name="os_exit_in_cell",
    summary="os._exit(0) in the last cell (after a correct linear_forward): the process ends cleanly "
    "before the hidden calls, hoping for an 'ok' run",
    answers={"linear_forward": correct("linear_forward")},
    cells=(Cell("import os\nimport sys\nsys.stdout.flush()\nos._exit(0)"),),
    # No function is called once the notebook's process is gone: correct code included.
    statuses=frozenset({"crashed"}),
)
