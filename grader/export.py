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
- ``message``: why a submission is not ``graded`` (empty otherwise). Cells starting with ``=``, ``+``,
  ``-``, ``@`` get a leading ``'`` so that spreadsheets do not run them as formulas.

Numbers are written as Python prints floats (``2.5``, ``10.0``), as nbgrader does.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TextIO, cast

import nbgrader.api as nbapi
from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.dbmodels import SubmissionRecord
from grader.gradebook import UnknownAssignmentError, database_errors, open_for_reading

ExportStatus = Literal["graded", "invalid", "crashed", "timeout", "error", "missing", "ungraded"]

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
        }


def _iso_utc(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.replace(tzinfo=UTC).isoformat()


def export_rows(db_url: str, assignment: str | None = None) -> list[ExportRow]:
    """One row per (assignment, student) for every assignment (or just ``assignment``) and every
    student nbgrader knows, including those who submitted nothing; sorted by assignment, student.

    Raises UnknownAssignmentError if ``assignment`` is not in the gradebook.
    """
    engine, has_dlgrade = open_for_reading(db_url)
    try:
        with database_errors(db_url, "cannot read the gradebook"), Session(engine) as session:
            a, sa = nbapi.Assignment, nbapi.SubmittedAssignment
            query = select(a.name, a.max_score).order_by(a.name)
            if assignment is not None:
                query = query.where(a.name == assignment)
            assignments = [(str(name), float(top)) for name, top in session.execute(query)]
            if assignment is not None and not assignments:
                raise UnknownAssignmentError(db_url, assignment)
            students = [str(s) for s in session.scalars(select(nbapi.Student.id).order_by(nbapi.Student.id))]
            submitted = {
                (str(name), str(student)): (float(score), float(penalty), timestamp)
                for name, student, score, penalty, timestamp in session.execute(
                    select(a.name, sa.student_id, sa.score, sa.late_submission_penalty, sa.timestamp).join(
                        a, a.id == sa.assignment_id
                    )
                )
            }
            records: dict[tuple[str, str], SubmissionRecord] = {}
            if has_dlgrade:
                for stored in session.scalars(select(SubmissionRecord)):
                    records[(stored.assignment, stored.student)] = stored
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
