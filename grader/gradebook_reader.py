"""Reading results back from a gradebook: dlgrade's rows rebuilt as SubmissionResults.

Feedback, reports and the demo read what grading recorded; they need an existing gradebook (made by
grader.gradebook's writer, or nbgrader's own without dlgrade's tables, which holds no results).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast, get_args

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session, selectinload

from grader.dbmodels import GradebookError, SubmissionRecord, make_engine
from grader.gradebook import database_errors
from grader.records import CaseResult, GradeCellResult, SubmissionResult, SubmissionStatus


def open_for_reading(db_url: str) -> tuple[Engine, bool]:
    """An engine on an existing nbgrader gradebook, and whether dlgrade's tables are there too."""
    engine = make_engine(db_url, must_exist=True)
    try:
        with database_errors(db_url, "cannot read the gradebook"):
            tables = set(inspect(engine).get_table_names())
    except BaseException:
        engine.dispose()
        raise
    if not {"assignment", "student", "submitted_assignment"} <= tables:
        engine.dispose()
        raise GradebookError(db_url, "this database has no nbgrader gradebook")
    return engine, SubmissionRecord.__tablename__ in tables


def load_results(
    db_url: str, assignment: str, students: Sequence[str] | None = None
) -> list[SubmissionResult]:
    """The recorded results of ``assignment`` (or of some students), sorted by student.

    Rebuilt from dlgrade's tables for feedback and reports: cells with their feedback and cases,
    the status, message, penalty, timing and the log excerpt (which may have been cut).
    """
    engine, has_dlgrade = open_for_reading(db_url)
    if not has_dlgrade:
        engine.dispose()
        return []
    try:
        with database_errors(db_url, "cannot read the results"), Session(engine) as session:
            query = (
                select(SubmissionRecord)
                .where(SubmissionRecord.assignment == assignment)
                .options(selectinload(SubmissionRecord.cells), selectinload(SubmissionRecord.cases))
                .order_by(SubmissionRecord.student)
            )
            if students is not None:
                query = query.where(SubmissionRecord.student.in_(list(students)))
            return [_as_result(record) for record in session.scalars(query)]
    finally:
        engine.dispose()


def _as_result(record: SubmissionRecord) -> SubmissionResult:
    cases: dict[tuple[str, str], list[CaseResult]] = {}
    for case in record.cases:
        cases.setdefault((case.notebook, case.grade_id), []).append(
            CaseResult(case.check, case.case_index, case.family, case.passed, case.message)
        )
    cells = tuple(
        GradeCellResult(
            cell.notebook,
            cell.grade_id,
            cell.score,
            cell.max_score,
            tuple(cases.get((cell.notebook, cell.grade_id), ())),
            cell.feedback,
        )
        for cell in record.cells
    )
    status = record.status if record.status in get_args(SubmissionStatus) else "error"
    return SubmissionResult(
        assignment=record.assignment,
        student=record.student,
        status=cast(SubmissionStatus, status),
        checksum=record.checksum,
        cells=cells,
        message=record.message,
        submitted_at=record.submitted_at,
        late_penalty=record.late_penalty,
        wall_seconds=record.wall_seconds,
        log=record.log_excerpt,
        extra={str(k): str(v) for k, v in record.extra.items()},
    )
