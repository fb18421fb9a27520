"""dlgrade's own gradebook tables, kept beside nbgrader's in the same database.

nbgrader's schema (``nbgrader.api``) holds what nbgrader's tools understand: assignments, grade
cells, submissions and one score per grade cell. dlgrade needs more: which grading run produced a
result, the status and message of each submission, the feedback of each graded cell and the verdict
of every randomized case. Those live here, in tables prefixed ``dlgrade_`` so that they never clash
with nbgrader's, and are linked to nbgrader's rows by name (assignment, student, notebook, grade id)
rather than by nbgrader's generated ids, which change when nbgrader recreates a row.

Times are stored as naive UTC datetimes, as nbgrader stores them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from grader.errors import DlgradeError

NAME_LENGTH = 128
"""Longest assignment, student, notebook or grade id, as nbgrader's columns allow."""

MESSAGE_LIMIT = 4000
"""Longest stored message or feedback text, in characters (longer ones are cut, marked)."""

LOG_LIMIT = 20000
"""Longest stored log excerpt, in characters (the END of the log is kept)."""

SQLITE_BUSY_SECONDS = 30.0
"""How long a SQLite connection waits for another one's write lock before failing."""


class GradebookError(DlgradeError):
    """A problem with the gradebook database; names the database (password hidden)."""

    def __init__(self, db_url: str, message: str) -> None:
        self.db_url = db_url
        super().__init__(f"gradebook {mask_url(db_url)}: {message}")


class GradebookUnavailableError(GradebookError):
    """The database cannot be opened: bad URL, missing file or directory, server unreachable."""


def mask_url(db_url: str) -> str:
    """The URL with any password replaced by ``***``, fit for messages and logs."""
    try:
        url: URL = make_url(db_url)
    except ArgumentError:
        return db_url
    return url.render_as_string(hide_password=True)


def utc_naive(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC without tzinfo, as nbgrader stores times; naive times are taken as UTC."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def utc_now() -> datetime:
    """The current time, naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def clean_text(text: str, limit: int = MESSAGE_LIMIT, *, keep: str = "start") -> str:
    """``text`` made storable in every backend and bounded to ``limit`` characters.

    Messages and logs come from student code: PostgreSQL rejects NUL characters and every backend
    rejects lone surrogates, so those are replaced rather than letting one submission's output make
    its result impossible to record. ``keep`` says which end survives a cut.
    """
    text = text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    if len(text) <= limit:
        return text
    marker = "\n[... cut ...]\n"
    room = max(0, limit - len(marker))
    return marker + text[len(text) - room :] if keep == "end" else text[:room] + marker


class Base(DeclarativeBase):
    """Declarative base of dlgrade's tables (nbgrader's tables have their own metadata)."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class GradingRun(Base):
    """One invocation of ``dlgrade grade`` on one assignment."""

    __tablename__ = "dlgrade_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assignment: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    workers: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(), default=None)
    # Submissions per status (graded, invalid, ...) as the run reported them when it finished.
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dlgrade_version: Mapped[str] = mapped_column(String(64))


class SubmissionRecord(Base):
    """The current result of one student's submission of one assignment (replaced on regrade)."""

    __tablename__ = "dlgrade_submission_results"
    __table_args__ = (
        UniqueConstraint("assignment", "student", name="uq_dlgrade_submission_results_assignment_student"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assignment: Mapped[str] = mapped_column(String(NAME_LENGTH))
    student: Mapped[str] = mapped_column(String(NAME_LENGTH))
    run_id: Mapped[int] = mapped_column(ForeignKey("dlgrade_runs.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")
    checksum: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # Autograder score after the late penalty (never below 0), before it, and the assignment's maximum.
    score: Mapped[float] = mapped_column(Float)
    raw_score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    late_penalty: Mapped[float] = mapped_column(Float, default=0.0)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(), default=None)
    wall_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    log_excerpt: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    graded_at: Mapped[datetime] = mapped_column(DateTime())

    cells: Mapped[list[CellRecord]] = relationship(
        back_populates="submission", order_by="CellRecord.id", passive_deletes=True
    )
    cases: Mapped[list[CaseRecord]] = relationship(
        back_populates="submission", order_by="CaseRecord.id", passive_deletes=True
    )


class CellRecord(Base):
    """The score and feedback of one graded cell of a submission (its score is also in nbgrader's Grade)."""

    __tablename__ = "dlgrade_cell_results"
    __table_args__ = (
        UniqueConstraint("submission_id", "notebook", "grade_id", name="uq_dlgrade_cell_results_cell"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("dlgrade_submission_results.id", ondelete="CASCADE"), index=True
    )
    notebook: Mapped[str] = mapped_column(String(NAME_LENGTH))
    grade_id: Mapped[str] = mapped_column(String(NAME_LENGTH))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    feedback: Mapped[str] = mapped_column(Text, default="")

    submission: Mapped[SubmissionRecord] = relationship(back_populates="cells")


class CaseRecord(Base):
    """The verdict of one randomized case of one check in one graded cell of a submission."""

    __tablename__ = "dlgrade_case_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("dlgrade_submission_results.id", ondelete="CASCADE"), index=True
    )
    notebook: Mapped[str] = mapped_column(String(NAME_LENGTH))
    grade_id: Mapped[str] = mapped_column(String(NAME_LENGTH))
    check: Mapped[str] = mapped_column(String(256))
    case_index: Mapped[int] = mapped_column(Integer)
    family: Mapped[str] = mapped_column(String(NAME_LENGTH))
    passed: Mapped[bool] = mapped_column(Boolean)
    message: Mapped[str] = mapped_column(Text, default="")

    submission: Mapped[SubmissionRecord] = relationship(back_populates="cases")


DLGRADE_TABLES = tuple(sorted(Base.metadata.tables))
"""Names of dlgrade's tables."""


def resolve_url(db_url: str) -> URL:
    """``db_url`` parsed, with a PostgreSQL driver that is installed when the URL names none.

    SQLAlchemy 2.1 reads ``postgresql://`` as psycopg 3; where only psycopg2 is installed, the URL
    is pointed at it instead, so that the same plain URL works for dlgrade and nbgrader.
    """
    try:
        url = make_url(db_url)
    except ArgumentError as exc:
        raise GradebookUnavailableError(db_url, f"not a database URL ({exc})") from exc
    if url.drivername == "postgresql" and find_spec("psycopg") is None and find_spec("psycopg2") is not None:
        url = url.set(drivername="postgresql+psycopg2")
    return url


def make_engine(db_url: str, *, must_exist: bool = False) -> Engine:
    """An engine for ``db_url``; for SQLite, one that waits for locks and enforces foreign keys.

    ``must_exist`` refuses a SQLite file that is not there yet (readers must not create empty
    gradebooks); a SQLite file in a missing directory is always refused.
    """
    url = resolve_url(db_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database)
            if not path.parent.is_dir():
                raise GradebookUnavailableError(db_url, f"directory {path.parent} does not exist")
            if must_exist and not path.is_file():
                raise GradebookUnavailableError(db_url, f"no gradebook file at {path}: nothing is graded yet")
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})

        @event.listens_for(engine, "connect")
        def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
            # SQLite ignores ON DELETE CASCADE unless asked per connection.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise GradebookUnavailableError(db_url, f"cannot use this database ({exc})") from exc
