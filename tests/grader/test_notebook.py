"""Reading notebooks defensively, the source notebook, and reconciling submissions with it."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nbgrader.utils import compute_checksum

from grader.notebook import (
    MAX_NOTEBOOK_BYTES,
    NotebookError,
    SourceNotebookError,
    WrongAssignmentError,
    load_source,
    read_notebook,
    reconcile,
)
from tests.grader.data.notebooks import (
    ANSWERS,
    TINY,
    cell_index,
    load_json,
    nbgrader_meta,
    student_copy,
    write,
)

SOURCE = load_source(TINY)
GIVEN = {"imports": "import math\n\nSCALE = 2", "helper": "def triple(x):\n    return 3 * x"}


def _reconcile(nb: dict[str, Any], tmp_path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """(cell_id, source) of each cell that runs, and the warnings."""
    path = write(tmp_path / "sub.ipynb", nb)
    result = reconcile(SOURCE, read_notebook(path), path)
    assert [c.index for c in result.cells] == list(range(len(result.cells)))
    assert len({c.cell_id for c in result.cells}) == len(result.cells)
    return [(c.cell_id, c.source) for c in result.cells], result.warnings


def _ids(runs: list[tuple[str, str]]) -> list[str]:
    return [cell_id for cell_id, _ in runs]


# --- read_notebook ---------------------------------------------------------------------------


def test_read_strips_outputs_and_attachments_and_joins_sources(tmp_path):
    nb = student_copy()
    nb["cells"][0]["attachments"] = {"big.png": {"image/png": "A" * 1000}}
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * 5_000_000}]
    read = read_notebook(write(tmp_path / "a.ipynb", nb))
    assert read["nbformat"] == 4
    assert all(c.get("outputs", []) == [] for c in read["cells"])
    assert "attachments" not in read["cells"][0]
    assert read["cells"][1]["source"] == "import math\n\nSCALE = 2"
    assert read["cells"][1]["id"] == "tiny-1"
    assert read["cells"][1]["metadata"]["nbgrader"]["grade_id"] == "imports"


def _error(tmp_path: Path, content: bytes | str, **kwargs: Any) -> str:
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(NotebookError) as info:
        read_notebook(path, **kwargs)
    message = str(info.value)
    assert message.startswith(str(path)), "the message names the file"
    assert info.value.path == path
    return message


def test_invalid_json_names_line_and_column(tmp_path):
    message = _error(tmp_path, '{\n "cells": [\n  {"cell_type": "code",,}\n ]\n}')
    assert "is not valid JSON" in message
    assert "line 3 column 24" in message


def test_not_utf8_names_the_byte_and_line(tmp_path):
    text = json.dumps(student_copy(), indent=1).encode()
    broken = text.replace(b"SCALE = 2", b"SCALE = \xe9", 1)
    message = _error(tmp_path, broken)
    assert "not UTF-8" in message and "0xe9" in message and "line " in message


def test_utf16_and_empty_and_bom(tmp_path):
    assert "UTF-16" in _error(tmp_path, json.dumps(student_copy()).encode("utf-16"))
    assert "is empty" in _error(tmp_path, b"  \n")
    bom = b"\xef\xbb\xbf" + json.dumps(student_copy()).encode()
    (tmp_path / "bom.ipynb").write_bytes(bom)
    assert len(read_notebook(tmp_path / "bom.ipynb")["cells"]) == 8


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": []}], "metadata": {}}, "format 3"),
        ({"worksheets": [], "metadata": {}}, "nbformat 3"),
        ({"nbformat": 5, "cells": []}, "format 5"),
        ({"nbformat": "4", "cells": []}, "'nbformat' field is a string"),
        ({"cells": []}, "no 'nbformat' field"),
        ([1, 2], "its JSON is a list"),
        ({"nbformat": 4, "metadata": {}}, "has no 'cells' list"),
        ({"nbformat": 4, "cells": {"a": 1}}, "'cells' is an object, not a list"),
        ({"nbformat": 4, "cells": [{"cell_type": "code", "source": ""}, "print(1)"]}, "cell #2 is a string"),
        ({"nbformat": 4, "cells": [{"cell_type": "python", "source": ""}]}, "cell #1 has cell_type 'python'"),
        ({"nbformat": 4, "cells": [{"cell_type": "code", "source": 42}]}, "source of cell #1"),
        (
            {"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "metadata": []}]},
            "metadata of cell #1",
        ),
    ],
)
def test_not_a_usable_notebook(tmp_path, document, expected):
    assert expected in _error(tmp_path, json.dumps(document))


def test_too_large_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.ipynb"
    with path.open("wb") as f:  # sparse: the size alone must refuse it
        f.truncate(MAX_NOTEBOOK_BYTES + 1)
    with pytest.raises(NotebookError, match=r"more than the 256 MB"):
        read_notebook(path)
    assert "more than the" in _error(tmp_path, json.dumps(student_copy()), max_bytes=100)


def test_nested_too_deeply_and_too_many_cells(tmp_path):
    assert "nested too deeply" in _error(tmp_path, "[" * 100_000 + "]" * 100_000)
    many = {"nbformat": 4, "cells": [{"cell_type": "code", "source": ""}] * 5001}
    assert "5001 cells" in _error(tmp_path, json.dumps(many))


def test_symlink_directory_fifo_and_missing(tmp_path):
    real = write(tmp_path / "real.ipynb", student_copy())
    (tmp_path / "link.ipynb").symlink_to(real)
    with pytest.raises(NotebookError, match="symbolic link"):
        read_notebook(tmp_path / "link.ipynb")
    (tmp_path / "dir.ipynb").mkdir()
    with pytest.raises(NotebookError, match="is a directory"):
        read_notebook(tmp_path / "dir.ipynb")
    os.mkfifo(tmp_path / "fifo.ipynb")
    with pytest.raises(NotebookError, match="not a regular file"):
        read_notebook(tmp_path / "fifo.ipynb")  # and does not hang waiting for a writer
    with pytest.raises(NotebookError, match="does not exist"):
        read_notebook(tmp_path / "missing.ipynb")


# --- load_source -----------------------------------------------------------------------------


def test_source_spec_follows_nbgrader():
    assert SOURCE.name == "tiny" and SOURCE.assignment == "tiny"
    assert [(c.grade_id, c.points) for c in SOURCE.spec.grade_cells] == [
        ("test_double", 2.0),
        ("test_halve", 1.0),
    ]
    assert SOURCE.spec.max_score == 3.0
    kinds = {c.grade_id: (c.is_given, c.solution, c.is_test) for c in SOURCE.cells}
    assert kinds == {
        "imports": (True, False, False),
        "instructions": (True, False, False),
        "double": (False, True, False),
        "test_double": (False, False, True),
        "helper": (True, False, False),
        "halve": (False, True, False),
        "test_halve": (False, False, True),
    }
    # Tests keep their hidden part (the engine reads it); solution cells are stored as released.
    assert [t.grade_id for t in SOURCE.test_cells] == ["test_double", "test_halve"]
    assert "assert double(21) == 42" in SOURCE.test_cells[0].source
    double = SOURCE.cell("double")
    assert double is not None and "YOUR CODE HERE" in double.source and "SCALE * x" not in double.source


def test_source_checksums_are_nbgraders():
    from nbformat import from_dict

    by_id = {c.grade_id: c for c in SOURCE.spec.source_cells}
    for cell in SOURCE.cells:
        stored = by_id[cell.grade_id]
        node = from_dict(
            {
                "cell_type": cell.cell_type,
                "source": cell.source,
                "metadata": {"nbgrader": SOURCE.nb["cells"][cell.index]["metadata"]["nbgrader"]},
            }
        )
        assert stored.checksum == compute_checksum(node)
        assert stored.locked == (cell.locked)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda nb: nb["cells"][5]["metadata"]["nbgrader"].update(grade_id="imports"),
            "Duplicate grade id: imports",
        ),
        (lambda nb: nb["cells"][4]["metadata"]["nbgrader"].pop("points"), "invalid nbgrader metadata"),
        (lambda nb: nb["cells"][3].update(source="### BEGIN SOLUTION\nx = 1"), "malformed solution region"),
        (lambda nb: nb["cells"][4].update(source="### BEGIN HIDDEN TESTS\nx = 1"), "malformed hidden-tests"),
        (lambda nb: nb["metadata"]["kernelspec"].update(language="julia"), "language 'julia'"),
    ],
)
def test_broken_source_notebook(tmp_path, edit, expected):
    nb = load_json()
    edit(nb)
    with pytest.raises(SourceNotebookError, match=expected):
        load_source(write(tmp_path / "tiny.ipynb", nb))


# --- reconcile -------------------------------------------------------------------------------


def test_faithful_submission_runs_given_code_and_answers_but_no_tests(tmp_path):
    runs, warnings = _reconcile(student_copy(), tmp_path)
    assert runs == [
        ("imports", GIVEN["imports"]),
        ("double", ANSWERS["double"]),
        ("helper", GIVEN["helper"]),
        ("halve", ANSWERS["halve"]),
    ]
    assert warnings == []


def test_edited_locked_cell_is_undone(tmp_path):
    nb = student_copy()
    nb["cells"][cell_index(nb, "imports")]["source"] = "import math\nSCALE = 3"
    nb["cells"][cell_index(nb, "helper")]["source"] = "def triple(x):\n    return 0"
    runs, warnings = _reconcile(nb, tmp_path)
    assert dict(runs)["imports"] == GIVEN["imports"] and dict(runs)["helper"] == GIVEN["helper"]
    assert any("'imports') is read-only; its changes were undone" in w for w in warnings)


def test_edited_or_retyped_test_cell_never_runs(tmp_path):
    nb = student_copy()
    nb["cells"][cell_index(nb, "test_double")]["source"] = (
        "import numpy\nnumpy.testing.assert_allclose = print"
    )
    nb["cells"][cell_index(nb, "test_halve")]["metadata"]["nbgrader"].update(grade=False, solution=True)
    runs, _ = _reconcile(nb, tmp_path)
    assert _ids(runs) == ["imports", "double", "helper", "halve"]
    assert all("assert" not in source and "numpy" not in source for _, source in runs)


def test_deleted_test_cells_do_not_matter(tmp_path):
    nb = student_copy()
    nb["cells"] = [
        c for c in nb["cells"] if "test" not in c["metadata"].get("nbgrader", {}).get("grade_id", "")
    ]
    runs, warnings = _reconcile(nb, tmp_path)
    assert _ids(runs) == ["imports", "double", "helper", "halve"]
    assert warnings == []


def test_deleted_locked_helper_is_put_back_after_nearest_preceding_present_cell(tmp_path):
    nb = student_copy()
    del nb["cells"][cell_index(nb, "helper")]
    runs, warnings = _reconcile(nb, tmp_path)
    assert runs[2] == ("helper", GIVEN["helper"])
    assert _ids(runs) == ["imports", "double", "helper", "halve"]
    assert "read-only cell 'helper' was missing; it was put back after cell #5" in warnings

    # Its predecessors gone too: it follows the nearest one still present (the answer 'double').
    nb = student_copy()
    nb["cells"] = [c for i, c in enumerate(nb["cells"]) if i not in (4, 5)]  # test_double and helper
    nb["cells"].insert(0, {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": []})
    runs, _ = _reconcile(nb, tmp_path)
    assert _ids(runs) == ["cell-1", "imports", "double", "helper", "halve"]


def test_deleted_first_locked_cell_goes_to_the_top(tmp_path):
    nb = student_copy()
    del nb["cells"][cell_index(nb, "imports")]
    nb["cells"].insert(0, {"cell_type": "code", "metadata": {}, "source": "print(SCALE)", "outputs": []})
    runs, warnings = _reconcile(nb, tmp_path)
    assert runs[0] == ("imports", GIVEN["imports"])
    assert _ids(runs)[1] == "cell-1"
    assert any("put back at the top" in w for w in warnings)


def test_changed_points_are_ignored_with_a_warning(tmp_path):
    nb = student_copy()
    nb["cells"][cell_index(nb, "test_double")]["metadata"]["nbgrader"]["points"] = 100
    runs, warnings = _reconcile(nb, tmp_path)
    assert _ids(runs) == ["imports", "double", "helper", "halve"]
    assert "cell #5 ('test_double') claims 100 points; the source's 2 count" in warnings
    assert SOURCE.spec.max_score == 3.0


def test_changed_grade_id_makes_an_ordinary_cell(tmp_path):
    nb = student_copy()
    helper = nb["cells"][cell_index(nb, "helper")]
    helper["metadata"]["nbgrader"]["grade_id"] = "my_helper"
    helper["source"] = "def triple(x):\n    return 0"
    runs, warnings = _reconcile(nb, tmp_path)
    # The renamed copy runs as the student's code; the genuine helper is put back after the nearest
    # preceding source cell present (test_double, cell #5), so just before the renamed copy.
    assert runs[2:4] == [("helper", GIVEN["helper"]), ("tiny-5", "def triple(x):\n    return 0")]
    assert any("grade id 'my_helper', which the source notebook does not have" in w for w in warnings)


def test_renamed_test_cell_runs_as_ordinary_code(tmp_path):
    nb = student_copy()
    nb["cells"][cell_index(nb, "test_double")]["metadata"]["nbgrader"]["grade_id"] = "test_double_2"
    runs, _ = _reconcile(nb, tmp_path)
    assert _ids(runs) == ["imports", "double", "tiny-4", "helper", "halve"]


def test_duplicated_grade_ids_first_wins(tmp_path):
    nb = student_copy()
    answer = copy.deepcopy(nb["cells"][cell_index(nb, "double")])
    answer["source"] = "def double(x):\n    return x + x"
    answer["id"] = "copy-1"
    test = copy.deepcopy(nb["cells"][cell_index(nb, "test_double")])
    test["id"] = "copy-2"
    given = copy.deepcopy(nb["cells"][cell_index(nb, "imports")])
    given["source"] = "SCALE = 5"
    given["id"] = "copy-3"
    nb["cells"] += [answer, test, given]
    runs, warnings = _reconcile(nb, tmp_path)
    assert runs[:4] == [
        ("imports", GIVEN["imports"]),
        ("double", ANSWERS["double"]),
        ("helper", GIVEN["helper"]),
        ("halve", ANSWERS["halve"]),
    ]
    # The second answer and the edited copy of the given cell run as ordinary code; the test copy does not.
    assert runs[4:] == [("copy-1", "def double(x):\n    return x + x"), ("copy-3", "SCALE = 5")]
    assert sum("repeats grade id" in w for w in warnings) == 3


def test_student_cells_kept_in_order_and_moves_followed(tmp_path):
    nb = student_copy()
    extra = [
        {"cell_type": "code", "metadata": {}, "source": f"note_{k} = {k}", "outputs": []} for k in range(3)
    ]
    nb["cells"].insert(2, extra[0])
    nb["cells"].append(extra[1])
    nb["cells"].insert(0, extra[2])
    # The student moved the halve answer before double.
    halve = nb["cells"].pop(cell_index(nb, "halve"))
    nb["cells"].insert(cell_index(nb, "double"), halve)
    runs, _ = _reconcile(nb, tmp_path)
    assert [source for _, source in runs] == [
        "note_2 = 2",
        GIVEN["imports"],
        "note_0 = 0",
        ANSWERS["halve"],
        ANSWERS["double"],
        GIVEN["helper"],
        "note_1 = 1",
    ]


def test_solution_cells_keep_student_code_and_markdown_never_runs(tmp_path):
    nb = student_copy({"double": "def double(x):\n    return SCALE * x  # mine", "halve": "halve = None"})
    nb["cells"][cell_index(nb, "imports")]["cell_type"] = "markdown"  # a locked cell made markdown
    runs, warnings = _reconcile(nb, tmp_path)
    assert dict(runs)["double"].endswith("# mine") and dict(runs)["halve"] == "halve = None"
    assert dict(runs)["imports"] == GIVEN["imports"]
    assert not any("Tiny assignment" in source for _, source in runs)
    assert any("read-only" in w for w in warnings)


def test_answer_cell_made_markdown_or_deleted_is_reported(tmp_path):
    nb = student_copy()
    nb["cells"][cell_index(nb, "double")]["cell_type"] = "markdown"
    del nb["cells"][cell_index(nb, "halve")]
    runs, warnings = _reconcile(nb, tmp_path)
    assert _ids(runs) == ["imports", "helper"]
    assert any("answer cell #4 ('double') is not a code cell" in w for w in warnings)
    assert "answer cell 'halve' is missing from the submission" in warnings


def test_a_submission_with_every_answer_as_released_is_reported_first(tmp_path):
    released = {c.grade_id: c.source for c in SOURCE.cells if c.solution and c.cell_type == "code"}
    assert len(released) == 2
    nb = student_copy(released)
    del nb["cells"][cell_index(nb, "imports")]
    _, warnings = _reconcile(nb, tmp_path)
    assert warnings[0] == (
        "none of its 2 answer cells differs from the released notebook"
        " (was it saved before it was submitted?)"
    )
    assert len(warnings) == 2  # and the put-back read-only cell
    # One answer written is enough: the tests say what is wrong with the rest.
    _, warnings = _reconcile(student_copy({**released, "double": ANSWERS["double"]}), tmp_path)
    assert warnings == []


def test_notebook_of_another_assignment(tmp_path):
    other = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}
    other["cells"] = [
        {"cell_type": "code", "metadata": nbgrader_meta("conv_forward", solution=True), "source": "x = 1"},
        {"cell_type": "code", "metadata": {}, "source": "y = 2"},
    ]
    path = write(tmp_path / "tiny.ipynb", other)
    with pytest.raises(WrongAssignmentError) as info:
        reconcile(SOURCE, read_notebook(path), path)
    assert str(info.value).startswith(str(path))
    assert "none of the 7 nbgrader cells of tiny/tiny.ipynb" in str(info.value)
    assert info.value.assignment == "tiny" and info.value.notebook == "tiny"


def test_hostile_metadata_does_not_break_reconcile(tmp_path):
    nb = student_copy()
    nb["cells"][1]["metadata"]["nbgrader"] = "not a dict"
    nb["cells"][3]["metadata"]["nbgrader"]["points"] = "lots"
    nb["cells"][6]["metadata"]["nbgrader"]["grade_id"] = ["halve"]
    nb["cells"].append(
        {"cell_type": "code", "metadata": nbgrader_meta("x" * 500, locked=True), "source": "z = 3"}
    )
    runs, warnings = _reconcile(nb, tmp_path)
    assert runs[0] == ("imports", GIVEN["imports"])  # put back: the damaged copy is ordinary code
    assert all(len(w) < 300 for w in warnings)


@given(
    order=st.permutations(range(8)),
    keep=st.lists(st.booleans(), min_size=8, max_size=8),
    extra=st.lists(st.sampled_from(["a = 1", "import os", "SCALE = 7"]), max_size=3),
)
def test_invariants_under_moves_deletions_and_additions(tmp_path_factory, order, keep, extra):
    base = student_copy()
    cells = [base["cells"][i] for i in order if keep[i]]
    for k, source in enumerate(extra):
        cells.insert(k * 2, {"cell_type": "code", "metadata": {}, "source": source, "outputs": []})
    kept_ids = {c["metadata"].get("nbgrader", {}).get("grade_id") for c in cells}
    nb = {**base, "cells": cells}
    path = write(tmp_path_factory.mktemp("h") / "sub.ipynb", nb)
    if not kept_ids - {None}:
        with pytest.raises(WrongAssignmentError):
            reconcile(SOURCE, read_notebook(path), path)
        return
    result = reconcile(SOURCE, read_notebook(path), path)
    sources = [c.source for c in result.cells]
    # Every given code cell runs exactly once, with the source's text; no test code ever runs.
    for text in GIVEN.values():
        assert sources.count(text) == 1
    assert not any("assert" in s for s in sources)
    # The student's own cells run in the order they wrote them.
    own = [s for s in sources if s in extra]
    assert own == list(extra)
    assert len(result.positions) == len(result.cells)


# --- public tests ----------------------------------------------------------------------------


def _with_public_tests(tmp_path: Path, *, by_tag: bool) -> Path:
    """The tiny source notebook with a read-only public-test cell after the answer `double`."""
    nb = load_json()
    grade_id = "double_checks" if by_tag else "double_public_tests"
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "public-double",
        "metadata": {**nbgrader_meta(grade_id, locked=True), "tags": ["public-tests"] if by_tag else []},
        "outputs": [],
        "source": "assert double(2) == 4, 'double(2) should be 4'",
    }
    nb["cells"].insert(cell_index(nb, "double") + 1, cell)
    return write(tmp_path / "source" / "tiny.ipynb", nb)


@pytest.mark.parametrize("by_tag", [False, True], ids=["grade-id suffix", "tag"])
def test_public_test_cells_do_not_run_when_grading(tmp_path, by_tag):
    source = load_source(_with_public_tests(tmp_path, by_tag=by_tag))
    public = [c for c in source.cells if c.public_test]
    assert len(public) == 1 and public[0].is_given
    # The student's copy has the public tests (kept, edited or deleted): none of them runs.
    submitted = load_json(source.path)
    index = next(i for i, c in enumerate(submitted["cells"]) if c.get("id") == "public-double")
    for variant in ("kept", "edited", "deleted"):
        nb = copy.deepcopy(submitted)
        if variant == "edited":
            nb["cells"][index]["source"] = "while True: pass"
        elif variant == "deleted":
            del nb["cells"][index]
        path = write(tmp_path / f"{variant}.ipynb", nb)
        result = reconcile(source, read_notebook(path), path)
        ids = [c.cell_id for c in result.cells]
        assert "double_public_tests" not in ids and "double_checks" not in ids, variant
        assert all("assert double" not in c.source and "while True" not in c.source for c in result.cells)
        assert not any("public" in w for w in result.warnings), (variant, result.warnings)


def test_other_read_only_cells_still_run(tmp_path):
    source = load_source(_with_public_tests(tmp_path, by_tag=False))
    given = [c.grade_id for c in source.cells if c.is_given and not c.public_test]
    assert given == ["imports", "instructions", "helper"]
