"""sys.exit, SystemExit, KeyboardInterrupt, GeneratorExit and exit() raised in cells."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell

EXITS = (
    "import sys\nsys.exit(0)",
    "raise SystemExit('the notebook is done: all tests passed')",
    "raise KeyboardInterrupt",
    "raise GeneratorExit",
    "exit()",
    "import sys\nsys.exit(1)",
)

ATTACK = Attack(
    name="exit_in_cells",
    summary="cells that call sys.exit(0/1), exit() or raise SystemExit/KeyboardInterrupt/GeneratorExit, "
    "at the top and after the answers",
    cells=(
        *(Cell(code, after="start") for code in EXITS),
        *(Cell(code, after="linear_forward") for code in EXITS),
        *(Cell(code) for code in EXITS),
    ),
)
