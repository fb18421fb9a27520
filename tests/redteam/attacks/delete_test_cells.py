"""Deleting the hidden-test cells, deleting or rewriting the public-test and given cells."""

from __future__ import annotations

from typing import Any

from tests.redteam.attacks import Attack, Context


def _edit(nb: dict[str, Any], ctx: Context) -> None:
    kept = []
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        grade_id = meta.get("grade_id", "")
        if meta.get("grade") and not meta.get("solution"):
            continue  # the hidden-test cells: gone
        if grade_id.endswith("_public_tests"):
            if grade_id.startswith(("linear", "L_")):
                continue  # half of the public tests: gone
            cell["source"] = "print('all public tests passed')"  # the other half: rewritten
            meta["locked"] = False
        if grade_id == "setup":
            # The given helpers, unlocked and rewritten to make any check pass.
            cell["source"] = "import numpy as np\nimport copy\nnp.allclose = lambda *a, **k: True\n"
            meta["locked"] = False
        kept.append(cell)
    nb["cells"] = kept


ATTACK = Attack(
    name="delete_test_cells",
    summary="removes every hidden-test cell and half the public-test cells, rewrites the other public "
    "tests to print success, and unlocks and rewrites the given setup cell",
    edit=_edit,
)
