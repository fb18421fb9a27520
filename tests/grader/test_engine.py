"""grader.engine through the real sandbox: scores come from comparisons made outside it."""

from __future__ import annotations

import copy
import tomllib

import nbformat
import pytest

from grader.course import init_course
from grader.engine import GradeOptions, grade_submission, plan
from tests.grader.mutants import MUTANTS, NOTEBOOK

ASSIGNMENT = "deep_network"
POINTS = tomllib.loads((NOTEBOOK.parent / "assignment.toml").read_text())


def _points(function: str) -> float:
    return float(next(f["points"] for f in POINTS["functions"] if f["name"] == function))


def _with_solution(function: str, code: str) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") == function:
            cell.source = code
            return nb
    raise AssertionError(f"no solution cell {function}")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("engine") / "course"
    course = init_course(root, "dl")
    submissions = {
        "correct": nbformat.read(NOTEBOOK, as_version=4),
        "inplace": _with_solution(
            "update_parameters", (MUTANTS / "update_parameters__mutates_parameters.py").read_text()
        ),
    }
    for student, nb in submissions.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(copy.deepcopy(nb), folder / "deep_network.ipynb")
        (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    return course


@pytest.fixture(scope="module")
def results(course):
    plan_ = plan(course, ASSIGNMENT, seed=11)
    options = GradeOptions(workers=1)
    return {s.student: grade_submission(plan_, s, options) for s in course.submissions(ASSIGNMENT)}


def cell_scores(result):
    return {c.grade_id: c.score for c in result.cells}


def test_the_solution_earns_every_point_in_the_sandbox(results):
    result = results["correct"]
    assert result.status == "graded", result.message
    assert result.score == result.max_score == sum(float(f["points"]) for f in POINTS["functions"])


def test_changing_the_arguments_in_place_loses_the_points_of_that_function(results):
    result = results["inplace"]
    assert result.status == "graded"
    cell = next(c for c in result.cells if c.grade_id.startswith("update_parameters"))
    assert cell.score == 0.0
    assert any("parameters" in case.message and "in place" in case.message for case in cell.cases), [
        c.message for c in cell.cases
    ]
    # Every other function is untouched by this mistake.
    assert result.score == result.max_score - _points("update_parameters")
