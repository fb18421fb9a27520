"""Hand-made nbgrader notebooks for the tests: the tiny source notebook and student copies of it.

``tiny/tiny.ipynb`` is a source notebook with one of each nbgrader cell kind: a locked code cell
(``imports``), a locked markdown cell (``instructions``), two solution cells (``double``, ``halve``),
two test cells with hidden tests (``test_double``, ``test_halve``) and a locked helper (``helper``).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent
TINY = DATA / "tiny" / "tiny.ipynb"

ANSWERS = {
    "double": "def double(x):\n    return 2 * x",
    "halve": "def halve(x):\n    return x / 2",
}

_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.DOTALL)


def nbgrader_meta(grade_id: str, **flags: Any) -> dict[str, Any]:
    """Cell metadata as nbgrader writes it (schema 3)."""
    meta = {"grade": False, "solution": False, "locked": False, "task": False, "grade_id": grade_id}
    meta.update(flags)
    meta["schema_version"] = 3
    return {"nbgrader": meta}


def load_json(path: Path = TINY) -> dict[str, Any]:
    """A notebook file as plain JSON, each cell's source joined into one string."""
    nb: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
    return nb


def student_copy(answers: dict[str, str] | None = None, path: Path = TINY) -> dict[str, Any]:
    """What a student submits: the source with the answers written in, hidden tests gone, outputs added."""
    nb = copy.deepcopy(load_json(path))
    answers = ANSWERS if answers is None else answers
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
        cell["source"] = _HIDDEN.sub("", cell["source"])
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ran\n"]}]
            cell["execution_count"] = 1
    return nb


def cell_index(nb: dict[str, Any], grade_id: str) -> int:
    """Position of the cell with this grade id."""
    for i, cell in enumerate(nb["cells"]):
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    raise KeyError(grade_id)


def write(path: Path, nb: dict[str, Any]) -> Path:
    """Write ``nb`` as a notebook file at ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path
