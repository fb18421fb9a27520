"""Every shipped assignment through the real engine and sandbox: the source notebook (solutions in)
earns every point, the released notebook none, and the first mutant loses the points of the function
it breaks, with the assignment's own budgets (assignment.toml) as the limits."""

from __future__ import annotations

import copy

import nbformat
import pytest

from grader.course import init_course
from grader.engine import GradeOptions, grade_submission, plan
from tests.assignments.harness import Assignment, all_assignments, grade_id, mutant_target

ASSIGNMENTS = [Assignment(m) for m in all_assignments()]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return init_course(tmp_path_factory.mktemp("assignments") / "course", "all")


def _submit(course, student: str, name: str, nb: nbformat.NotebookNode) -> None:
    folder = course.submitted_dir / student / name
    folder.mkdir(parents=True)
    nb = copy.deepcopy(nb)
    for cell in nb.cells:  # as saved by Jupyter: the hidden tests are not in a student's copy
        if cell.cell_type == "code":
            cell.outputs = []
    nbformat.write(nb, folder / f"{name}.ipynb")
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")


@pytest.mark.parametrize("a", ASSIGNMENTS, ids=lambda a: a.name)
def test_source_full_released_zero_mutant_loses_its_points(course, a):
    mutant = a.mutants()[0]
    target = mutant_target(mutant)
    broken = _solved_copy(a)  # every answer written in, one of them wrong
    for cell in broken.cells:
        if grade_id(cell) == target and cell.metadata["nbgrader"].get("solution"):
            cell.source = mutant.read_text()
    _submit(course, "solved", a.name, _solved_copy(a))
    _submit(course, "stub", a.name, a.released())
    _submit(course, "mutant", a.name, broken)
    plan_ = plan(course, a.name, seed=5)
    assert plan_.limits.wall_seconds == a.meta.time_budget_s
    results = {
        s.student: grade_submission(plan_, s, GradeOptions(workers=1)) for s in course.submissions(a.name)
    }
    solved_result = results["solved"]
    assert solved_result.score == solved_result.max_score == a.meta.total_points, solved_result.message
    assert results["stub"].score == 0, results["stub"].message
    cells = {c.grade_id: c for c in results["mutant"].cells}
    points = {f.name: f for f in a.meta.functions}
    assert cells[points[target].grade_id].score < points[target].points
    for name in set(points) - a.affected_by(target):
        assert cells[points[name].grade_id].score == points[name].points, (
            name,
            cells[points[name].grade_id].feedback,
        )


def _solved_copy(a: Assignment) -> nbformat.NotebookNode:
    """The released notebook with every solution cell replaced by the source's solution."""
    released, source = a.released(), a.source()
    solutions = {grade_id(c): c.source for c in source.cells if c.cell_type == "code" and grade_id(c)}
    for cell in released.cells:
        gid = grade_id(cell)
        if cell.metadata.get("nbgrader", {}).get("solution") and gid in solutions:
            cell.source = solutions[gid]
    return released
