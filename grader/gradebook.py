"""The gradebook writer: grades go into nbgrader's schema and into dlgrade's own tables.

One database holds both. nbgrader's tables (created and read through ``nbgrader.api``) receive one
auto score per grade cell, so that ``nbgrader export`` and the formgrader see dlgrade's grades.
dlgrade's tables (``grader.dbmodels``) receive what nbgrader has no place for: grading runs, the
status and message of each submission, per-cell feedback and per-case verdicts.

There is one writer: the engine calls :class:`GradebookWriter` from one thread. Each ``record``
replaces a student's previous result in ONE transaction that writes nbgrader's grades first and
dlgrade's row last. ``graded`` reads dlgrade's rows only, so a submission whose nbgrader grades were
written but whose dlgrade row was not (were the two halves ever split by a crash) reads as "not yet
graded" and is graded again; recording again converges to one copy of everything.

Late penalties: nbgrader keeps one penalty per submitted notebook and subtracts their sum from the
assignment's score (never below zero). dlgrade's penalty is per assignment, so it is stored whole on
the submission's first notebook (by name) and the others get none; both sides then compute the same
``max(0, raw score - penalty)``.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbgrader.api as nbapi
from sqlalchemy import delete, insert, inspect, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from grader import __version__
from grader.dbmodels import (
    LOG_LIMIT,
    NAME_LENGTH,
    Base,
    CaseRecord,
    CellRecord,
    GradebookError,
    GradebookUnavailableError,
    GradingRun,
    SubmissionRecord,
    clean_text,
    make_engine,
    resolve_url,
    utc_naive,
    utc_now,
)
from grader.records import (
    AssignmentSpec,
    GradeCellResult,
    SubmissionResult,
)

SUBMISSION_STATUSES = frozenset({"graded", "invalid", "crashed", "timeout", "error"})
"""Every status a recorded submission can have (``records.SubmissionStatus``)."""

SCORE_SLACK = 1e-9
"""Rounding allowed when a cell's score is compared with its points (partial credit sums)."""

_SCHEMA_LOCK = 0x646C6772  # "dlgr": the PostgreSQL advisory lock held while creating the schema


class UnknownAssignmentError(GradebookError):
    """The assignment is not in the gradebook (it was never synced)."""

    def __init__(self, db_url: str, assignment: str) -> None:
        self.assignment = assignment
        super().__init__(
            db_url, f"assignment {assignment!r} is not in the gradebook; sync it (release or grade it) first"
        )


class UnknownRunError(GradebookError):
    """A grading run id that the gradebook does not know."""

    def __init__(self, db_url: str, run_id: int) -> None:
        self.run_id = run_id
        super().__init__(db_url, f"no grading run with id {run_id}")


class InvalidSpecError(GradebookError):
    """An assignment spec that cannot be stored (duplicate or overlong names, bad points)."""

    def __init__(self, db_url: str, assignment: str, notebook: str | None, problem: str) -> None:
        self.assignment = assignment
        self.notebook = notebook
        where = f"assignment {assignment!r}" + (f", notebook {notebook!r}" if notebook else "")
        super().__init__(db_url, f"{where}: {problem}")


class AssignmentChangedError(GradebookError):
    """Syncing would delete notebooks or cells that submissions already have grades or comments for."""

    def __init__(self, db_url: str, assignment: str, blocked: list[str]) -> None:
        self.assignment = assignment
        self.blocked = blocked
        super().__init__(
            db_url,
            f"assignment {assignment!r}: the source no longer has "
            + "; ".join(blocked)
            + ", but recorded submissions refer to them. Restore them in the source notebook, or remove"
            " those submissions from the gradebook, then sync again",
        )


class InvalidResultError(GradebookError):
    """A submission result that does not fit the gradebook (unknown cell, impossible score)."""

    def __init__(self, db_url: str, assignment: str, student: str, problem: str) -> None:
        self.assignment = assignment
        self.student = student
        super().__init__(db_url, f"result of {student!r} for {assignment!r}: {problem}")


class UnknownGradeCellError(InvalidResultError):
    """A result scores a grade cell that the synced assignment does not have."""

    def __init__(self, db_url: str, assignment: str, student: str, notebook: str, grade_id: str) -> None:
        self.notebook = notebook
        self.grade_id = grade_id
        super().__init__(
            db_url,
            assignment,
            student,
            f"notebook {notebook!r} has no grade cell {grade_id!r} in the gradebook; sync the assignment",
        )


@dataclass(frozen=True)
class _Totals:
    """What the nbgrader half of ``record`` stored, for the dlgrade half to repeat."""

    raw_score: float
    max_score: float
    late_penalty: float


def put_interpreter_on_path() -> None:
    """Put this interpreter's bin directory first on PATH (nbgrader runs the ``alembic`` executable)."""
    bindir = str(Path(sys.executable).parent)
    parts = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    if not parts or parts[0] != bindir:
        os.environ["PATH"] = os.pathsep.join([bindir, *(p for p in parts if p != bindir)])


def nbgrader_schema_revision() -> str:
    """The alembic revision nbgrader stamps on a new gradebook (its migrations' head)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:  # pragma: no cover - nbgrader ships migrations
        put_interpreter_on_path()
        return str(nbapi.get_alembic_version())
    return head


@contextmanager
def database_errors(db_url: str, doing: str) -> Iterator[None]:
    """Report driver and SQLAlchemy failures as GradebookError naming what was being done."""
    try:
        yield
    except GradebookError:
        raise
    except OperationalError as exc:
        raise GradebookUnavailableError(db_url, f"{doing}: {getattr(exc, 'orig', exc)}") from exc
    except (SQLAlchemyError, nbapi.InvalidEntry) as exc:
        raise GradebookError(db_url, f"{doing}: {exc}") from exc


class GradebookWriter:
    """The only writer of the gradebook at ``db_url`` (``sqlite:///<course>/gradebook.db`` by default).

    Opening creates whatever is missing: nbgrader's schema (stamped with nbgrader's alembic revision,
    as nbgrader would), the course row for ``course_id`` and dlgrade's tables. Use it as a context
    manager or call :meth:`close`.
    """

    def __init__(self, db_url: str, *, course_id: str = "default_course") -> None:
        self.db_url = db_url
        self.course_id = course_id
        self._engine = make_engine(db_url)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        try:
            with database_errors(db_url, "cannot open the gradebook"):
                self._create_schema()
        except BaseException:
            self._engine.dispose()
            raise

    def __enter__(self) -> GradebookWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release every database connection."""
        self._engine.dispose()

    def _create_schema(self) -> None:
        # Several graders (and the quiz server) may open a new database at once: on PostgreSQL
        # they take turns, so that none sees half of a schema or creates a table twice.
        with self._engine.connect() as lock:
            if self._engine.dialect.name == "postgresql":
                lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _SCHEMA_LOCK})
            try:
                self._create_missing()
            finally:
                if self._engine.dialect.name == "postgresql":
                    lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _SCHEMA_LOCK})
                lock.commit()

    def _create_missing(self) -> None:
        tables = set(inspect(self._engine).get_table_names())
        if not tables & set(nbapi.Base.metadata.tables):
            # What nbgrader's Gradebook does for an empty database, in one transaction and without
            # starting an `alembic` process (seconds per new gradebook): its tables plus the revision
            # stamp that `nbgrader db upgrade` reads later.
            revision = nbgrader_schema_revision()
            with self._engine.begin() as connection:
                nbapi.Base.metadata.create_all(connection)
                if "alembic_version" not in tables:
                    connection.execute(
                        text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
                    )
                    connection.execute(
                        text("INSERT INTO alembic_version (version_num) VALUES (:revision)"),
                        {"revision": revision},
                    )
        # nbgrader's own initialisation adds the course row and anything else it needs; the schema
        # already exists, so it runs no migration tool (PATH is set in case a future version does).
        put_interpreter_on_path()
        url = resolve_url(self.db_url).render_as_string(hide_password=False)
        gradebook = nbapi.Gradebook(url, course_id=self.course_id)
        gradebook.close()
        Base.metadata.create_all(self._engine)

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[Session]:
        """A session in one transaction: committed if the block ends normally, rolled back otherwise."""
        with database_errors(self.db_url, doing), self._sessions.begin() as session:
            yield session

    # ------------------------------------------------------------------ assignments

    def sync_assignment(self, spec: AssignmentSpec) -> None:
        """Make nbgrader's record of the assignment match ``spec``; running it again changes nothing.

        Creates or updates the assignment (its due date, when the spec has one: a due date set in
        nbgrader is kept otherwise), its notebooks, grade cells (points, cell type), solution cells
        and source cells (source, checksum, locked). Notebooks and cells no longer in the spec are
        removed, unless submissions have grades or comments for them: then AssignmentChangedError.
        """
        self._validate_spec(spec)
        with self._transaction(f"cannot sync assignment {spec.name!r}") as session:
            assignment = self._find_assignment(session, spec.name, required=False)
            if assignment is None:
                assignment = nbapi.Assignment(
                    name=spec.name, duedate=utc_naive(spec.duedate), course_id=self.course_id
                )
                session.add(assignment)
            elif spec.duedate is not None:
                assignment.duedate = utc_naive(spec.duedate)
            notebooks = {notebook.name: notebook for notebook in assignment.notebooks}
            stale: list[Any] = []
            blocked: list[str] = []
            for nb_spec in spec.notebooks:
                notebook = notebooks.pop(nb_spec.name, None)
                if notebook is None:
                    notebook = nbapi.Notebook(name=nb_spec.name, assignment=assignment)
                    session.add(notebook)
                self._sync_cells(session, notebook, nb_spec, stale, blocked)
            for notebook in notebooks.values():
                if notebook.submissions:
                    blocked.append(f"notebook {notebook.name!r}")
                stale.extend([*notebook._base_cells, *notebook.source_cells, notebook])
            if blocked:
                raise AssignmentChangedError(self.db_url, spec.name, blocked)
            for row in stale:
                session.delete(row)

    def _sync_cells(
        self, session: Session, notebook: Any, nb_spec: Any, stale: list[Any], blocked: list[str]
    ) -> None:
        where = f"notebook {nb_spec.name!r}"
        grade_cells = {cell.name: cell for cell in notebook.grade_cells}
        for cell_spec in nb_spec.grade_cells:
            cell = grade_cells.pop(cell_spec.grade_id, None)
            if cell is None:
                cell = nbapi.GradeCell(name=cell_spec.grade_id, notebook=notebook)
                session.add(cell)
            cell.max_score = float(cell_spec.points)
            cell.cell_type = cell_spec.cell_type
        for cell in grade_cells.values():
            if cell.grades:
                blocked.append(f"grade cell {cell.name!r} of {where}")
            stale.append(cell)

        solution_cells = {cell.name: cell for cell in notebook.solution_cells}
        for source_spec in nb_spec.source_cells:
            if source_spec.solution and solution_cells.pop(source_spec.grade_id, None) is None:
                session.add(nbapi.SolutionCell(name=source_spec.grade_id, notebook=notebook))
        for cell in solution_cells.values():
            if cell.comments:
                blocked.append(f"solution cell {cell.name!r} of {where}")
            stale.append(cell)

        source_cells = {cell.name: cell for cell in notebook.source_cells}
        for source_spec in nb_spec.source_cells:
            cell = source_cells.pop(source_spec.grade_id, None)
            if cell is None:
                cell = nbapi.SourceCell(name=source_spec.grade_id, notebook=notebook)
                session.add(cell)
            cell.cell_type = source_spec.cell_type
            cell.source = source_spec.source
            cell.checksum = source_spec.checksum
            cell.locked = source_spec.locked
        stale.extend(source_cells.values())

    def _validate_spec(self, spec: AssignmentSpec) -> None:
        def fail(notebook: str | None, problem: str) -> InvalidSpecError:
            return InvalidSpecError(self.db_url, spec.name, notebook, problem)

        if not spec.name or len(spec.name) > NAME_LENGTH:
            raise fail(None, f"the name must have 1 to {NAME_LENGTH} characters")
        names = [nb.name for nb in spec.notebooks]
        if len(set(names)) != len(names):
            raise fail(None, "two notebooks have the same name")
        for nb_spec in spec.notebooks:
            if not nb_spec.name or len(nb_spec.name) > NAME_LENGTH:
                raise fail(nb_spec.name, f"notebook names must have 1 to {NAME_LENGTH} characters")
            for kind, ids in (
                ("grade", [c.grade_id for c in nb_spec.grade_cells]),
                ("source", [c.grade_id for c in nb_spec.source_cells]),
            ):
                if len(set(ids)) != len(ids):
                    raise fail(nb_spec.name, f"two {kind} cells have the same grade id")
                if any(not i or len(i) > NAME_LENGTH for i in ids):
                    raise fail(nb_spec.name, f"grade ids must have 1 to {NAME_LENGTH} characters")
            for cell in nb_spec.grade_cells:
                if not (math.isfinite(cell.points) and cell.points >= 0):
                    raise fail(nb_spec.name, f"grade cell {cell.grade_id!r} has points {cell.points!r}")
                if cell.cell_type not in ("code", "markdown"):
                    raise fail(nb_spec.name, f"grade cell {cell.grade_id!r} has type {cell.cell_type!r}")

    def _find_assignment(self, session: Session, name: str, *, required: bool = True) -> Any:
        assignment = session.scalars(
            select(nbapi.Assignment).where(nbapi.Assignment.name == name)
        ).one_or_none()
        if assignment is None and required:
            raise UnknownAssignmentError(self.db_url, name)
        return assignment

    # ------------------------------------------------------------------ runs

    def start_run(self, assignment: str, seed: int, workers: int) -> int:
        """Record the start of a grading run of a synced assignment; returns the run's id."""
        if not -(2**63) <= seed < 2**63:
            raise GradebookError(self.db_url, f"seed {seed} does not fit in 64 bits")
        with self._transaction(f"cannot start a grading run of {assignment!r}") as session:
            self._find_assignment(session, assignment)
            run = GradingRun(
                assignment=assignment,
                seed=seed,
                workers=workers,
                started_at=utc_now(),
                counts={},
                dlgrade_version=__version__,
            )
            session.add(run)
            session.flush()
            return run.id

    def finish_run(self, run_id: int, counts: Mapping[str, int]) -> None:
        """Record the end of a run and its submission counts (e.g. per status)."""
        with self._transaction(f"cannot finish grading run {run_id}") as session:
            run = session.get(GradingRun, run_id)
            if run is None:
                raise UnknownRunError(self.db_url, run_id)
            run.finished_at = utc_now()
            run.counts = {str(key): int(value) for key, value in counts.items()}

    # ------------------------------------------------------------------ results

    def record(self, run_id: int, result: SubmissionResult) -> None:
        """Store ``result`` as the current result of (assignment, student), replacing any previous one.

        nbgrader's side: the student and the submission exist, its timestamp is ``submitted_at``, each
        grade cell's auto score is the result's score for that cell, 0 for code cells the result
        lacks (markdown cells it lacks are left to manual grading, which nbgrader counts as 0), and
        the late penalty sits on the first notebook. Manual scores given in the formgrader are kept
        and flagged for review, as nbgrader's autograder does. dlgrade's side: the submission row is
        updated in place (same id) and its cell and case rows are replaced. Recording the same result
        again leaves the database as it was, up to ``graded_at``.
        """
        self._validate_result(result)
        doing = f"cannot record the result of {result.student!r} for {result.assignment!r}"
        with self._transaction(doing) as session:
            run = session.get(GradingRun, run_id)
            if run is None:
                raise UnknownRunError(self.db_url, run_id)
            if run.assignment != result.assignment:
                raise InvalidResultError(
                    self.db_url,
                    result.assignment,
                    result.student,
                    f"grading run {run_id} grades {run.assignment!r}, not this assignment",
                )
            totals = self._write_nbgrader(session, result)
            self._write_dlgrade(session, run_id, result, totals)

    def graded(self, assignment: str, *, statuses: Collection[str] | None = None) -> dict[str, str]:
        """Student -> checksum of the submission whose result is recorded (optionally: with these statuses).

        The engine skips a student whose current submission has the same checksum (resume after a
        crash); a different checksum is a resubmission to grade again.
        """
        with self._transaction(f"cannot read the results of {assignment!r}") as session:
            query = select(SubmissionRecord.student, SubmissionRecord.checksum).where(
                SubmissionRecord.assignment == assignment
            )
            if statuses is not None:
                query = query.where(SubmissionRecord.status.in_(list(statuses)))
            return {student: checksum for student, checksum in session.execute(query)}

    def _validate_result(self, result: SubmissionResult) -> None:
        def fail(problem: str) -> InvalidResultError:
            return InvalidResultError(self.db_url, result.assignment, result.student, problem)

        if not result.student or len(result.student) > NAME_LENGTH:
            raise fail(f"student ids must have 1 to {NAME_LENGTH} characters")
        if result.status not in SUBMISSION_STATUSES:
            raise fail(f"unknown status {result.status!r}")
        if len(result.checksum) > NAME_LENGTH:
            raise fail(f"the checksum is longer than {NAME_LENGTH} characters")
        if not (math.isfinite(result.late_penalty) and result.late_penalty >= 0):
            raise fail(f"late penalty {result.late_penalty!r} is not a number >= 0")
        if not math.isfinite(result.wall_seconds):
            raise fail(f"wall time {result.wall_seconds!r} is not a number")
        keys = [(cell.notebook, cell.grade_id) for cell in result.cells]
        if len(set(keys)) != len(keys):
            raise fail("two results for the same grade cell")
        for cell in result.cells:
            if not math.isfinite(cell.score):
                raise fail(f"cell {cell.grade_id!r} has score {cell.score!r}")

    def _checked_score(self, result: SubmissionResult, cell: GradeCellResult, points: float) -> float:
        if abs(cell.max_score - points) > SCORE_SLACK:
            raise InvalidResultError(
                self.db_url,
                result.assignment,
                result.student,
                f"cell {cell.grade_id!r} of notebook {cell.notebook!r} is scored out of {cell.max_score}"
                f" but is worth {points} in the gradebook; sync the assignment",
            )
        if not -SCORE_SLACK <= cell.score <= points + SCORE_SLACK:
            raise InvalidResultError(
                self.db_url,
                result.assignment,
                result.student,
                f"cell {cell.grade_id!r} of notebook {cell.notebook!r} has score {cell.score}"
                f" outside 0..{points}",
            )
        return min(max(cell.score, 0.0), points)

    def _write_nbgrader(self, session: Session, result: SubmissionResult) -> _Totals:
        """The first half of ``record``: nbgrader's submission, notebooks, grades and penalty."""
        assignment = self._find_assignment(session, result.assignment)
        notebooks = list(assignment.notebooks)  # ordered by name
        by_cell = {(cell.notebook, cell.grade_id): cell for cell in result.cells}
        known = {(nb.name, gc.name) for nb in notebooks for gc in nb.grade_cells}
        unknown = sorted(set(by_cell) - known)
        if unknown:
            notebook_name, grade_id = unknown[0]
            raise UnknownGradeCellError(
                self.db_url, result.assignment, result.student, notebook_name, grade_id
            )
        if result.late_penalty > 0 and not notebooks:
            raise InvalidResultError(
                self.db_url, result.assignment, result.student, "a late penalty needs at least one notebook"
            )

        # Another grader (another assignment) may be adding the same student right now: insert
        # unless present, which waits for that grader's transaction instead of failing on it.
        dialect = self._engine.dialect.name
        if dialect in ("postgresql", "sqlite"):
            add = (pg_insert if dialect == "postgresql" else sqlite_insert)(nbapi.Student.__table__)
            session.execute(add.values(id=result.student).on_conflict_do_nothing())
        student = session.get(nbapi.Student, result.student)
        if student is None:
            student = nbapi.Student(id=result.student)
            session.add(student)
        submission = session.scalars(
            select(nbapi.SubmittedAssignment).where(
                nbapi.SubmittedAssignment.assignment_id == assignment.id,
                nbapi.SubmittedAssignment.student_id == result.student,
            )
        ).one_or_none()
        if submission is None:
            submission = nbapi.SubmittedAssignment(assignment=assignment, student=student)
            session.add(submission)
        submission.timestamp = utc_naive(result.submitted_at)

        submitted = {snb.notebook_id: snb for snb in submission.notebooks}
        raw_score = max_score = 0.0
        for position, notebook in enumerate(notebooks):
            snb = submitted.get(notebook.id)
            if snb is None:
                snb = nbapi.SubmittedNotebook(notebook=notebook, assignment=submission)
                session.add(snb)
            # nbgrader stores "not late" as NULL; the whole penalty goes on the first notebook.
            first = position == 0 and result.late_penalty > 0
            snb.late_submission_penalty = float(result.late_penalty) if first else None
            grades = {grade.cell_id: grade for grade in snb.grades}
            comments = {comment.cell_id: comment for comment in snb.comments}
            # Mirror nbgrader's add_submission: a comment per solution and task cell, a grade per
            # grade and task cell, so that the formgrader finds everything it expects.
            for cell in [*notebook.solution_cells, *notebook.task_cells]:
                if cell.id not in comments:
                    session.add(nbapi.Comment(cell=cell, notebook=snb))
            for cell in notebook.task_cells:
                if cell.id not in grades:
                    session.add(nbapi.Grade(cell=cell, notebook=snb))
            for cell in notebook.grade_cells:
                grade = grades.get(cell.id)
                if grade is None:
                    grade = nbapi.Grade(cell=cell, notebook=snb)
                    session.add(grade)
                points = float(cell.max_score)
                cell_result = by_cell.get((notebook.name, cell.name))
                auto: float | None
                if cell_result is not None:
                    auto = self._checked_score(result, cell_result, points)
                else:
                    auto = 0.0 if cell.cell_type == "code" else None
                grade.auto_score = auto
                grade.needs_manual_grade = grade.manual_score is not None or auto is None
                raw_score += auto or 0.0
                max_score += points
        session.flush()
        return _Totals(raw_score=raw_score, max_score=max_score, late_penalty=float(result.late_penalty))

    def _write_dlgrade(
        self, session: Session, run_id: int, result: SubmissionResult, totals: _Totals
    ) -> None:
        """The second half of ``record``: dlgrade's submission row, replaced with its cells and cases."""
        row = session.scalars(
            select(SubmissionRecord).where(
                SubmissionRecord.assignment == result.assignment,
                SubmissionRecord.student == result.student,
            )
        ).one_or_none()
        if row is None:
            row = SubmissionRecord(assignment=result.assignment, student=result.student)
            session.add(row)
        else:
            session.execute(delete(CaseRecord).where(CaseRecord.submission_id == row.id))
            session.execute(delete(CellRecord).where(CellRecord.submission_id == row.id))
        row.run_id = run_id
        row.status = result.status
        row.message = clean_text(result.message)
        row.checksum = result.checksum
        row.raw_score = totals.raw_score
        row.late_penalty = totals.late_penalty
        row.score = max(0.0, totals.raw_score - totals.late_penalty)
        row.max_score = totals.max_score
        row.submitted_at = utc_naive(result.submitted_at)
        row.wall_seconds = float(result.wall_seconds)
        row.log_excerpt = clean_text(result.log, LOG_LIMIT, keep="end")
        row.extra = {clean_text(str(k), 200): clean_text(str(v)) for k, v in result.extra.items()}
        row.graded_at = utc_now()
        session.flush()
        # Plain multi-row inserts: one statement per table rather than one ORM object per row
        # (a submission has ~60 cases; the ORM path cost ~20 ms a submission).
        cells = [
            {
                "submission_id": row.id,
                "notebook": cell.notebook,
                "grade_id": cell.grade_id,
                "score": min(max(cell.score, 0.0), cell.max_score),
                "max_score": cell.max_score,
                "feedback": clean_text(cell.feedback),
            }
            for cell in result.cells
        ]
        cases = [
            {
                "submission_id": row.id,
                "notebook": cell.notebook,
                "grade_id": cell.grade_id,
                "check": clean_text(case.check)[:256],
                "case_index": case.index,
                "family": clean_text(case.family)[:NAME_LENGTH],
                "passed": bool(case.passed),
                "message": clean_text(case.message),
            }
            for cell in result.cells
            for case in cell.cases
        ]
        if cells:
            session.execute(insert(CellRecord), cells)
        if cases:
            session.execute(insert(CaseRecord), cases)


__all__ = [
    "SUBMISSION_STATUSES",
    "AssignmentChangedError",
    "GradebookError",
    "GradebookUnavailableError",
    "GradebookWriter",
    "InvalidResultError",
    "InvalidSpecError",
    "UnknownAssignmentError",
    "UnknownGradeCellError",
    "UnknownRunError",
    "nbgrader_schema_revision",
    "put_interpreter_on_path",
]
