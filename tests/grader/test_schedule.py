"""grader.schedule: likely-slow submissions are graded first."""

from __future__ import annotations

from pathlib import Path

import nbformat

from grader.course import Submission
from grader.schedule import notebook_cost, slow_first


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nbformat.write(nb, path)
    return path


def _submission(tmp_path: Path, student: str, *sources: str) -> Submission:
    folder = tmp_path / student
    folder.mkdir()
    return Submission(student, "a", folder, {"a": _notebook(folder / "a.ipynb", *sources)}, None, ())


def test_top_level_loops_count_and_loops_in_functions_do_not(tmp_path):
    in_function = "def f():\n    while True:\n        pass"
    quick = _notebook(tmp_path / "q.ipynb", in_function, "x = [i for i in range(3)]")
    some = _notebook(tmp_path / "s.ipynb", "for i in range(10):\n    print(i)")
    training = "%matplotlib inline\ncost = 1.0\nwhile cost > 0.01:\n    cost *= 0.9"
    slow = _notebook(tmp_path / "w.ipynb", training)
    assert notebook_cost(quick) == 0
    assert 0 < notebook_cost(some) < notebook_cost(slow)


def test_unreadable_notebooks_count_as_quick(tmp_path):
    (tmp_path / "bad.ipynb").write_text("{not json")
    (tmp_path / "list.ipynb").write_text("[1, 2]")
    syntax = _notebook(tmp_path / "syntax.ipynb", "while True print(")
    for path in (tmp_path / "bad.ipynb", tmp_path / "list.ipynb", syntax, tmp_path / "missing.ipynb"):
        assert notebook_cost(path) == 0


def test_slow_first_is_stable_for_equal_costs(tmp_path):
    subs = [
        _submission(tmp_path, "a", "x = 1"),
        _submission(tmp_path, "b", "while x:\n    x -= 1"),
        _submission(tmp_path, "c", "y = 2"),
        _submission(tmp_path, "d", "for i in range(2):\n    pass"),
    ]
    assert [s.student for s in slow_first(subs)] == ["b", "d", "a", "c"]
