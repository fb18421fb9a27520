"""Modules whose import exits: imported by a cell, and inside the graded functions."""

from __future__ import annotations

from tests.redteam.attacks import WRONG, Attack, Cell

MODULES = """
import pathlib

here = pathlib.Path.cwd()
(here / "helper_exit.py").write_text("import sys\\nsys.exit(0)\\n")
(here / "helper_kbd.py").write_text("raise KeyboardInterrupt\\n")
(here / "helper_os_exit.py").write_text("import os\\nos._exit(0)\\n")
(here / "helper_systemexit.py").write_text("raise SystemExit('done')\\n")
"""

IMPORTS = """
import helper_exit
"""

IMPORTS_KBD = """
import helper_kbd
"""


def _importing(function: str, module: str) -> str:
    # Only in the hidden calls: the public tests call the functions inside the notebook's process.
    return WRONG[function].replace(
        "):\n", f"):\n    if globals().get('HIDDEN_CALLS'):\n        import {module}\n", 1
    )


ATTACK = Attack(
    name="exit_at_import",
    summary="a cell writes modules that sys.exit/raise KeyboardInterrupt/os._exit when imported; cells "
    "import them, and the graded functions import them on every call",
    answers={
        "initialize_parameters": _importing("initialize_parameters", "helper_exit"),
        "linear_forward": _importing("linear_forward", "helper_kbd"),
        "compute_cost": _importing("compute_cost", "helper_os_exit"),
        "update_parameters": _importing("update_parameters", "helper_systemexit"),
    },
    cells=(
        Cell(MODULES, after="start"),
        Cell(IMPORTS, after="start"),
        Cell(IMPORTS_KBD),
        Cell("HIDDEN_CALLS = True"),
    ),
)
