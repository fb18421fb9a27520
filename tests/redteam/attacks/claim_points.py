"""Changing points and grade ids in the notebook's metadata: 1000-point cells, duplicated grade ids,
answer cells marked as graded, a new graded cell."""

from __future__ import annotations

import copy
from typing import Any

from tests.redteam.attacks import Attack, Context

BONUS = """
### BEGIN HIDDEN TESTS
from grader.hidden import check

check("deep_network.linear_forward", linear_forward)
### END HIDDEN TESTS
"""


def _edit(nb: dict[str, Any], ctx: Context) -> None:
    cells = []
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader")
        if not meta:
            cells.append(cell)
            continue
        if meta.get("grade") and not meta.get("solution"):
            meta["points"] = 1000  # the hidden-test cell claims 1000 points
            cells.append(cell)
            twin = copy.deepcopy(cell)  # and a copy of it, same grade id, 1000 points
            twin.pop("id", None)
            twin["source"] = BONUS
            cells.append(twin)
            renamed = copy.deepcopy(twin)  # and one under a new grade id
            renamed["metadata"]["nbgrader"]["grade_id"] = meta["grade_id"] + "_bonus"
            cells.append(renamed)
            continue
        if meta.get("solution"):
            # an answer cell that claims to be an autograded answer worth 1000 points
            meta.update(grade=True, points=1000)
        cells.append(cell)
    cells.append(
        {
            "cell_type": "code",
            "metadata": {
                "nbgrader": {
                    "grade": True,
                    "solution": False,
                    "locked": True,
                    "points": 1000,
                    "grade_id": "bonus_hidden_tests",
                    "schema_version": 3,
                    "task": False,
                }
            },
            "source": BONUS,
            "outputs": [],
            "execution_count": None,
        }
    )
    # The notebook-level metadata nbgrader does not use either.
    nb["metadata"]["nbgrader"] = {"max_score": 1000, "points": 1000}
    nb["cells"] = cells


ATTACK = Attack(
    name="claim_points",
    summary="every hidden-test cell claims 1000 points and is duplicated under the same grade id and "
    "under a new one, answer cells are marked graded with 1000 points, and a new 1000-point "
    "'bonus_hidden_tests' cell is added",
    edit=_edit,
)
