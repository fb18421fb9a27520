"""Several ``dlgrade grade`` processes at once against one new PostgreSQL gradebook.

Three real ``dlgrade grade`` subprocesses, each on a different assignment of the same course (the
deep network with simulated submissions, initialization and regularization with a correct and a
stub submission each), start together on an empty database: every one of them creates what is
missing (nbgrader's schema, the course row, dlgrade's tables, the students) while the others do
the same. Afterwards no result is lost or duplicated, in dlgrade's tables or nbgrader's, and
nbgrader's own API reads back the scores each process reported.

The quiz server joins this test later: see the ``concurrent_quiz_load`` fixture.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from sqlalchemy import create_engine, text

from grader.course import Course
from grader.dbmodels import resolve_url
from grader.simulate import PlannedSubmission, make_notebook, plan_submissions, released_notebook, solutions
from tests.grader.conftest import postgres_database, require_postgres
from tests.grader.helpers_course import DLGRADE, make_course, subprocess_env

pytestmark = pytest.mark.slow

SEED = "5"
SIMULATED = 6
"""Simulated deep-network submissions (no looping or hostile ones: they only cost time here)."""
OTHERS = ("initialization", "regularization")

Check = Callable[[], None]


def _write(course: Course, assignment: str, student: str, nb: Any) -> None:
    folder = course.submitted_dir / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{assignment}.ipynb")


def _populate(course: Course) -> dict[str, set[str]]:
    """Write the submissions; assignment -> its students."""
    students: dict[str, set[str]] = {}
    for assignment in ("deep_network", *OTHERS):
        source = course.source_dir / assignment / f"{assignment}.ipynb"
        released, solved = released_notebook(source), solutions(source)
        if assignment == "deep_network":
            planned = plan_submissions(SIMULATED, 3, hostile=False, looping=False)
        else:
            planned = [
                PlannedSubmission("s01-correct", "correct", ""),
                PlannedSubmission("s02-stub", "stub", ""),
            ]
        for p in planned:
            _write(course, assignment, p.student, make_notebook(p, released, solved))
        students[assignment] = {p.student for p in planned}
    return students


@pytest.fixture
def concurrent_quiz_load(tmp_path: Path) -> Iterator[Callable[[str], Check]]:
    """The hook for the quiz server: called with the database URL before the graders start, it may
    start load against the same database (the quiz server answering quiz submissions) and returns
    a check run after the graders finish (no quiz row lost or duplicated). Nothing yet."""

    def start(db_url: str) -> Check:
        return lambda: None

    yield start


def _rows(db_url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(resolve_url(db_url))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql)).all()]
    finally:
        engine.dispose()


def test_concurrent_grading_runs_lose_and_duplicate_nothing(
    tmp_path: Path, concurrent_quiz_load: Callable[[str], Check]
) -> None:
    require_postgres()
    course = make_course(tmp_path)
    students = _populate(course)
    with postgres_database() as db_url:
        quiz_check = concurrent_quiz_load(db_url)
        grade = [str(DLGRADE), "grade", "--seed", SEED, "--workers", "1", "--json"]
        runs = {
            assignment: subprocess.Popen(
                [*grade, assignment, "--course", str(course.root), "--db", db_url],
                env=subprocess_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for assignment in students
        }
        reports: dict[str, dict[str, Any]] = {}
        for assignment, run in runs.items():
            out, err = run.communicate(timeout=300)
            assert run.returncode == 0, f"{assignment}: {err.decode()}"
            reports[assignment] = json.loads(out)
        quiz_check()

        reported = {(a, r["student"]): r["score"] for a, report in reports.items() for r in report["results"]}
        expected = {(a, s) for a, names in students.items() for s in names}
        assert set(reported) == expected, "every run graded all of its submissions"

        ours = _rows(db_url, "SELECT assignment, student, score FROM dlgrade_submission_results")
        assert len(ours) == len(expected) and {(a, s): sc for a, s, sc in ours} == reported
        theirs = _rows(
            db_url,
            "SELECT a.name, s.student_id FROM submitted_assignment s "
            "JOIN assignment a ON a.id = s.assignment_id",
        )
        assert sorted(theirs) == sorted(expected), "one nbgrader submission per student and assignment"
        everyone = set().union(*students.values())
        assert sorted(s for (s,) in _rows(db_url, "SELECT id FROM student")) == sorted(everyone)
        assert _rows(db_url, "SELECT COUNT(*) FROM course") == [(1,)]
        finished = _rows(db_url, "SELECT assignment FROM dlgrade_runs WHERE finished_at IS NOT NULL")
        assert sorted(a for (a,) in finished) == sorted(students)
        # Every grade cell of every submitted notebook has exactly one grade.
        missing = _rows(
            db_url,
            "SELECT sa.student_id, bc.name, COUNT(g.id) FROM submitted_assignment sa "
            "JOIN submitted_notebook sn ON sn.assignment_id = sa.id "
            "JOIN base_cell bc ON bc.notebook_id = sn.notebook_id "
            "JOIN grade_cells gc ON gc.id = bc.id "
            "LEFT JOIN grade g ON g.notebook_id = sn.id AND g.cell_id = gc.id "
            "GROUP BY sa.student_id, bc.name, sn.id HAVING COUNT(g.id) != 1",
        )
        assert missing == []

        from nbgrader.api import Gradebook

        url = resolve_url(db_url).render_as_string(hide_password=False)
        with Gradebook(url, course_id=course.course_id) as gradebook:
            for (assignment, student), score in reported.items():
                assert gradebook.find_submission(assignment, student).score == pytest.approx(score)
        for assignment in OTHERS:
            scores = {r["student"]: r["score"] for r in reports[assignment]["results"]}
            assert scores == {"s01-correct": 100.0, "s02-stub": 0.0}
