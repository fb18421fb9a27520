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


# The index never advances: every call of this update_parameters hangs. The notebook's public tests
# call it too; they do not run when grading, so it costs one hidden call's timeout, not a cell's.
LOOPING_UPDATE = """def update_parameters(parameters, grads, learning_rate):
    l = 1
    while l <= len(parameters) // 2:
        pass
    return parameters
"""


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
        "looping": _with_solution("update_parameters", LOOPING_UPDATE),
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


def test_the_plan_takes_the_assignments_budgets_from_its_metadata(course):
    meta = course.metadata(ASSIGNMENT)
    assert meta is not None and course.metadata_file(ASSIGNMENT).is_file()
    limits = plan(course, ASSIGNMENT, seed=1).limits
    assert limits.wall_seconds == POINTS["time_budget_s"]
    assert limits.cell_seconds == POINTS["cell_timeout_s"]
    assert limits.call_seconds == POINTS["call_timeout_s"]
    assert limits.memory_bytes == POINTS["memory_budget_mb"] * 1024**2


def test_given_timeouts_override_only_themselves(course):
    plan_ = plan(course, ASSIGNMENT, seed=1)
    limits = GradeOptions(overrides={"call_seconds": 7.5}).limits_for(plan_)
    assert limits.call_seconds == 7.5
    assert limits.cell_seconds == plan_.limits.cell_seconds
    assert limits.wall_seconds == plan_.limits.wall_seconds
    with pytest.raises(ValueError, match="memory_bytes"):
        GradeOptions(overrides={"memory_bytes": 1}).limits_for(plan_)


def test_a_looping_function_costs_one_call_timeout_and_its_own_points(results):
    result = results["looping"]
    cell = next(c for c in result.cells if c.grade_id.startswith("update_parameters"))
    assert cell.score == 0.0
    assert all("did not finish within" in case.message for case in cell.cases)
    assert result.score == result.max_score - _points("update_parameters")
    # One call timeout (2 s) plus the rest: no public-test cell ran into its timeout (10 s), and
    # the other four cases were not each waited out.
    assert result.wall_seconds < POINTS["cell_timeout_s"], result.wall_seconds


def test_a_failing_result_handler_stops_the_run(monkeypatch, tmp_path):
    """When results cannot be recorded (the gradebook failed), run_parallel starts nothing more."""
    import threading
    import time

    from grader import engine
    from grader.course import Submission

    started: list[str] = []
    lock = threading.Lock()

    def grade(plan_, submission, options, slot=0):
        with lock:
            started.append(submission.student)
        time.sleep(0.05)
        return engine.failed_result(plan_, submission, RuntimeError("not graded"))

    monkeypatch.setattr(engine, "grade_submission", grade)
    course = init_course(tmp_path / "course", "c")
    plan_ = plan(course, "deep_network", seed=1)
    submissions = [Submission(f"s{i:02d}", "deep_network", tmp_path, {}, None) for i in range(20)]

    def on_result(result):
        raise OSError("the gradebook's disk is full")

    with pytest.raises(OSError, match="disk is full"):
        engine.run_parallel(plan_, submissions, GradeOptions(workers=2), on_result)
    assert 1 <= len(started) <= 4, started  # those in flight when the first result came back


def test_cells_that_failed_or_were_stopped_are_named_by_their_number(course):
    """The notebook's own cells earn nothing, but the message (export, status, feedback) says which
    of them raised or ran into the cell time limit, by their number in the submitted notebook."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("print(A_prev.shape)  # trying it out"))
    nb.cells.insert(9, nbformat.v4.new_code_cell("while True:\n    pass"))
    folder = course.root / "submitted" / "noisy" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "deep_network.ipynb")
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    plan_ = plan(course, ASSIGNMENT, seed=11)
    options = GradeOptions(workers=1, overrides={"cell_seconds": 1.0})
    (submission,) = [s for s in course.submissions(ASSIGNMENT) if s.student == "noisy"]
    result = grade_submission(plan_, submission, options)
    assert (result.status, result.score) == ("graded", result.max_score)
    assert result.message == (
        "deep_network.ipynb, cell #4 raised NameError: name 'A_prev' is not defined; "
        "deep_network.ipynb, cell #10 ran into its time limit and was stopped"
    )


def test_cell_notes_name_restored_cells_and_stop_after_three():
    from grader.engine import cell_notes
    from grader.sandbox import CellOutcome, ExecutionResult

    outcomes = tuple(
        CellOutcome(i, f"c{i}", "error", "ValueError", f"bad {i}\nsecond line", "", "", 0.0) for i in range(5)
    )
    result = ExecutionResult(outcomes, {}, "ok", 0, 1.0, "")
    notes = cell_notes("nb", [None, 4, 5, 6, 7], result)
    assert notes == [
        "nb.ipynb, read-only cell 'c0' raised ValueError: bad 0",
        "nb.ipynb, cell #5 raised ValueError: bad 1",
        "nb.ipynb, cell #6 raised ValueError: bad 2",
        "nb.ipynb: 2 more cells failed",
    ]
    fine = (CellOutcome(0, "c0", "ok", "", "", "", "", 0.0),)
    assert cell_notes("nb", [0], ExecutionResult(fine, {}, "ok", 0, 1.0, "")) == []
