"""Reading the gradebook out: one row per student and assignment, written as CSV.

Scores in the export are nbgrader's: for each student nbgrader knows and each assignment, the sum of
the grade cells' scores (a manual score given in the formgrader replaces the auto score, plus any
extra credit) minus the late penalty, never below zero: exactly what ``nbgrader export`` prints.
Without manual grading that is the autograder's score that ``GradebookWriter.record`` stored.
dlgrade's tables add the status, the message and when it was graded.

CSV columns, in order (``EXPORT_COLUMNS``):

- ``student_id``: nbgrader's student id.
- ``assignment``: the assignment's name.
- ``score``: points after the late penalty, never below 0 (nbgrader export's ``score``).
- ``max_score``: the assignment's total points.
- ``status``: ``graded``, ``invalid``, ``crashed``, ``timeout`` or ``error`` (see
  ``records.SubmissionStatus``); ``missing`` when the student submitted nothing (score 0);
  ``ungraded`` when nbgrader has a submission that dlgrade has no result for (not graded yet, an
  interrupted grading, or grades from another tool; the score is nbgrader's).
- ``raw_score``: points before the late penalty.
- ``late_penalty``: points taken off for lateness.
- ``submitted_at``, ``graded_at``: ISO 8601 UTC times, empty when unknown.
- ``message``: why a submission is not ``graded``, and what went wrong in one that is (changed
  read-only cells, the notebook's own cells that raised or were stopped); empty when nothing did.
  Cells starting with ``=``, ``+``, ``-``, ``@`` get a leading ``'`` so that spreadsheets do not run
  them as formulas.
- ``kind``: ``assignment`` or ``quiz`` (last, so that readers of the older columns are unaffected).

Quizzes taken on the quiz server (``quizzes.store``, same database) add one row per quiz and student
(every student nbgrader knows plus everyone who took it), after the assignment rows: ``assignment`` is
the quiz id and the score is the best submitted attempt's. Status ``graded``; ``needs-grading`` when an
essay waits for a grader; ``ungraded`` for an attempt still open or not scored yet; ``missing`` when
the student has not taken it. ``nbgrader export`` knows nothing of quizzes: it matches the
assignment rows only.

Numbers are written as Python prints floats (``2.5``, ``10.0``), as nbgrader does.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO, cast

import nbgrader.api as nbapi
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from grader.dbmodels import GradebookError, SubmissionRecord, make_engine
from grader.gradebook import UnknownAssignmentError, database_errors
from quizzes.tables import QuizAttemptRecord

ExportStatus = Literal[
    "graded", "invalid", "crashed", "timeout", "error", "missing", "ungraded", "needs-grading"
]
ExportKind = Literal["assignment", "quiz"]

EXPORT_COLUMNS = (
    "student_id",
    "assignment",
    "score",
    "max_score",
    "status",
    "raw_score",
    "late_penalty",
    "submitted_at",
    "graded_at",
    "message",
    "kind",
)
"""The CSV header, in order (see the module docstring for what each column means)."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportRow:
    """One student's standing on one assignment, as the CSV export writes it."""

    student_id: str
    assignment: str
    score: float
    max_score: float
    status: ExportStatus
    raw_score: float = 0.0
    late_penalty: float = 0.0
    submitted_at: datetime | None = None
    graded_at: datetime | None = None
    message: str = ""
    kind: ExportKind = "assignment"

    def as_dict(self) -> dict[str, str | float | None]:
        """The row as JSON-able values (times as ISO 8601 UTC strings or None)."""
        return {
            "student_id": self.student_id,
            "assignment": self.assignment,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "raw_score": self.raw_score,
            "late_penalty": self.late_penalty,
            "submitted_at": _iso_utc(self.submitted_at) or None,
            "graded_at": _iso_utc(self.graded_at) or None,
            "message": self.message,
            "kind": self.kind,
        }

    def csv_fields(self) -> dict[str, str]:
        """The row as CSV cells, keyed by ``EXPORT_COLUMNS``."""
        message = self.message
        if message.startswith(_FORMULA_STARTS):
            message = "'" + message
        return {
            "student_id": self.student_id,
            "assignment": self.assignment,
            "score": str(self.score),
            "max_score": str(self.max_score),
            "status": self.status,
            "raw_score": str(self.raw_score),
            "late_penalty": str(self.late_penalty),
            "submitted_at": _iso_utc(self.submitted_at),
            "graded_at": _iso_utc(self.graded_at),
            "message": message,
            "kind": self.kind,
        }


def _iso_utc(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.replace(tzinfo=UTC).isoformat()


def export_rows(db_url: str, assignment: str | None = None) -> list[ExportRow]:
    """One row per (assignment, student) for every assignment (or just ``assignment``) and every
    student nbgrader knows, including those who submitted nothing; sorted by assignment, student;
    then one row per (quiz, student) for the quizzes taken on the quiz server.

    Raises UnknownAssignmentError if ``assignment`` is neither an assignment nor a quiz.
    """
    engine, tables = _open(db_url)
    has_nbgrader = {"assignment", "student", "submitted_assignment"} <= tables
    has_quizzes = QuizAttemptRecord.__tablename__ in tables
    if not has_nbgrader and not has_quizzes:
        engine.dispose()
        raise GradebookError(db_url, "this database has no nbgrader gradebook")
    assignments: list[tuple[str, float]] = []
    students: list[str] = []
    submitted: dict[tuple[str, str], tuple[float, float, datetime | None]] = {}
    records: dict[tuple[str, str], SubmissionRecord] = {}
    attempts: list[Any] = []
    try:
        with database_errors(db_url, "cannot read the gradebook"), Session(engine) as session:
            a, sa = nbapi.Assignment, nbapi.SubmittedAssignment
            if has_nbgrader:
                query = select(a.name, a.max_score).order_by(a.name)
                if assignment is not None:
                    query = query.where(a.name == assignment)
                assignments = [(str(name), float(top)) for name, top in session.execute(query)]
                students = [
                    str(s) for s in session.scalars(select(nbapi.Student.id).order_by(nbapi.Student.id))
                ]
                submitted = {
                    (str(name), str(student)): (float(score), float(penalty), timestamp)
                    for name, student, score, penalty, timestamp in session.execute(
                        select(
                            a.name, sa.student_id, sa.score, sa.late_submission_penalty, sa.timestamp
                        ).join(a, a.id == sa.assignment_id)
                    )
                }
            if SubmissionRecord.__tablename__ in tables:
                for stored in session.scalars(select(SubmissionRecord)):
                    records[(stored.assignment, stored.student)] = stored
            if has_quizzes:
                q = QuizAttemptRecord
                quiz_query = select(
                    q.quiz_id,
                    q.student_id,
                    q.number,
                    q.status,
                    q.score,
                    q.max_score,
                    q.submitted_at,
                    q.graded_at,
                )
                if assignment is not None:
                    quiz_query = quiz_query.where(q.quiz_id == assignment)
                attempts = list(session.execute(quiz_query))
            if assignment is not None and not assignments and not attempts:
                raise UnknownAssignmentError(db_url, assignment)
    finally:
        engine.dispose()

    rows: list[ExportRow] = []
    for name, max_score in assignments:
        for student in students:
            key = (name, student)
            if key not in submitted:
                rows.append(ExportRow(student, name, 0.0, max_score, "missing"))
                continue
            raw, penalty, timestamp = submitted[key]
            score = max(0.0, raw - penalty)
            record = records.get(key)
            if record is None:
                message = "nbgrader has a submission that dlgrade has not graded"
                rows.append(
                    ExportRow(
                        student, name, score, max_score, "ungraded", raw, penalty, timestamp, None, message
                    )
                )
                continue
            status = cast(ExportStatus, record.status)
            rows.append(
                ExportRow(
                    student,
                    name,
                    score,
                    max_score,
                    status,
                    raw,
                    penalty,
                    timestamp,
                    record.graded_at,
                    record.message,
                )
            )
    return rows + _quiz_rows(attempts, students)


def _open(db_url: str) -> tuple[Engine, set[str]]:
    """An engine on an existing database and the names of its tables."""
    engine = make_engine(db_url, must_exist=True)
    try:
        with database_errors(db_url, "cannot read the gradebook"):
            return engine, set(inspect(engine).get_table_names())
    except BaseException:
        engine.dispose()
        raise


def _quiz_rows(attempts: list[Any], students: list[str]) -> list[ExportRow]:
    """One row per (quiz, student): the best submitted attempt's score (see the module docstring)."""
    by_quiz: dict[str, dict[str, list[Any]]] = {}
    for attempt in attempts:
        by_quiz.setdefault(attempt.quiz_id, {}).setdefault(attempt.student_id, []).append(attempt)
    rows: list[ExportRow] = []
    for quiz_id, by_student in sorted(by_quiz.items()):
        top = max(float(a.max_score) for mine in by_student.values() for a in mine)
        for student in sorted(set(students) | set(by_student)):
            mine = by_student.get(student, [])
            scored = [a for a in mine if a.submitted_at is not None and a.score is not None]
            if scored:
                best = max(scored, key=lambda a: (a.score, -a.number))
                waits = best.status == "needs-grading"
                rows.append(
                    ExportRow(
                        student,
                        quiz_id,
                        float(best.score),
                        float(best.max_score),
                        "needs-grading" if waits else "graded",
                        float(best.score),
                        0.0,
                        best.submitted_at,
                        best.graded_at,
                        "an essay waits for a grader" if waits else "",
                        "quiz",
                    )
                )
            elif mine:
                latest = max(mine, key=lambda a: a.number)
                state = "is still open" if latest.submitted_at is None else "is submitted, not scored yet"
                message = f"attempt {latest.number} {state}"
                rows.append(
                    ExportRow(
                        student,
                        quiz_id,
                        0.0,
                        top,
                        "ungraded",
                        0.0,
                        0.0,
                        latest.submitted_at,
                        None,
                        message,
                        "quiz",
                    )
                )
            else:
                rows.append(ExportRow(student, quiz_id, 0.0, top, "missing", kind="quiz"))
    return rows


def write_csv(rows: Iterable[ExportRow], file: TextIO | str | os.PathLike[str]) -> None:
    """Write ``rows`` as CSV with the header ``EXPORT_COLUMNS`` to an open text stream or a path."""
    if isinstance(file, str | os.PathLike):
        with Path(file).open("w", newline="", encoding="utf-8") as stream:
            _write(rows, stream)
    else:
        _write(rows, file)


def _write(rows: Iterable[ExportRow], stream: TextIO) -> None:
    writer = csv.DictWriter(stream, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.csv_fields())
