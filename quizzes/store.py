"""Quiz attempts, saved answers and scores in the gradebook database (SQLite or PostgreSQL).

Three tables on dlgrade's declarative base, beside the assignment results: one row per attempt, one
per saved answer (the latest revision wins), one per scored question. :class:`SqlAttemptStore` is the
engine's ``AttemptStore`` for a web server with many processes, threads and students at once:

- starting an attempt is race-safe (the unique key on course, quiz, student and number decides; the
  loser of a race reads the winner's attempt);
- saving an answer is one upsert, refused after the attempt's hard deadline or once it is submitted,
  idempotent for a repeated revision and never letting an older revision overwrite a newer one;
- submitting and saving lock the attempt row, so that no answer is stored after the submission that
  graded the attempt.

Times are naive UTC, as in the rest of the gradebook.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError

from grader.dbmodels import (
    Base,
    GradebookError,
    GradebookUnavailableError,
    make_engine,
    utc_now,
)
from quizzes.quiz import Attempt, PaperResult, Quiz, QuizError
from quizzes.scoring import Score
from quizzes.tables import QUIZ_TABLES, QuizAttemptRecord, QuizItemScoreRecord, QuizResponseRecord

ATTEMPT_STATUSES = ("open", "submitted", "needs-grading", "graded")
"""An attempt is open, then submitted (not scored yet), then graded or waiting for an essay's grader."""

_START_RETRIES = 8
_CREATE_TRIES = 5

Grader = Callable[[Attempt], PaperResult]
"""Scores a submitted attempt (the server builds the student's paper and grades it)."""


class QuizClosedError(QuizError):
    """An answer arrived after the attempt's hard deadline or after it was submitted."""

    def __init__(self, attempt: Attempt, why: str) -> None:
        self.attempt = attempt
        super().__init__(f"attempt {attempt.number} of {attempt.quiz_id} by {attempt.student_id} {why}")


class UnknownAttemptError(QuizError):
    """No such attempt in the database."""

    def __init__(self, quiz_id: str, student_id: str, number: int) -> None:
        super().__init__(f"no attempt {number} of {quiz_id} by {student_id}")


# Statements of the hot paths, built once (building SQLAlchemy expressions costs more than running
# them on a warm connection); values are bound per call.
_A, _R = QuizAttemptRecord, QuizResponseRecord
_OF_STUDENT = (
    (_A.course_id == bindparam("course"))
    & (_A.quiz_id == bindparam("quiz"))
    & (_A.student_id == bindparam("student"))
)
_STUDENT_ATTEMPTS = select(_A).where(_OF_STUDENT).order_by(_A.number)
_ONE_ATTEMPT = select(_A).where(_OF_STUDENT, _A.number == bindparam("number"))
_ONE_ATTEMPT_LOCKED = _ONE_ATTEMPT.with_for_update()
_LATEST = select(_A.number, _A.submitted_at).where(_OF_STUDENT).order_by(_A.number.desc()).limit(1)
_RESPONSES_OF = (
    select(_R.attempt_id, _R.question_id, _R.response)
    .where(_R.attempt_id.in_(bindparam("ids", expanding=True)))
    .order_by(_R.id)
)
_SCORES_OF = (
    select(QuizItemScoreRecord)
    .where(QuizItemScoreRecord.attempt_id.in_(bindparam("ids", expanding=True)))
    .order_by(QuizItemScoreRecord.attempt_id, QuizItemScoreRecord.id)
)
_KEPT = select(_R.revision, _R.response).where(
    _R.attempt_id == bindparam("attempt_id"), _R.question_id == bindparam("question")
)


@dataclass(frozen=True)
class SavedResponse:
    """What :meth:`SqlAttemptStore.save_response` kept: the stored revision (maybe a newer one)."""

    question_id: str
    revision: int
    stored: bool
    deadline: datetime | None = None


@dataclass(frozen=True)
class AttemptResult:
    """One attempt as the instructor sees it: the attempt, its status, score and per-question scores."""

    attempt: Attempt
    status: str
    score: float | None
    max_score: float
    graded_at: datetime | None
    scores: tuple[Score, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON (times as ISO strings, naive UTC)."""
        a = self.attempt
        return {
            "student_id": a.student_id,
            "attempt": a.number,
            "started_at": a.started_at.isoformat(),
            "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
            "answered": len(a.responses),
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "graded_at": self.graded_at.isoformat() if self.graded_at else None,
        }


def _attempt(row: Any, responses: dict[str, Any]) -> Attempt:
    return Attempt(
        row.quiz_id,
        row.student_id,
        row.number,
        row.started_at,
        row.time_allowed_s,
        row.grace_s,
        responses,
        row.submitted_at,
    )


class SqlAttemptStore:
    """Attempts of one course's quizzes in the gradebook at ``db_url``; creates its tables if missing.

    Implements :class:`quizzes.quiz.AttemptStore` (``attempts``, ``save``) plus the race-safe
    operations a server uses (``start``, ``save_response``, ``submit``, ``record_result``) and the
    readers of instructors (``attempts_of_quiz``, ``results``). Thread-safe; call :meth:`close`.
    """

    def __init__(self, db_url: str, course_id: str = "default") -> None:
        self.db_url = db_url
        self.course_id = course_id
        self._engine = make_engine(db_url)
        self._sqlite = self._engine.dialect.name == "sqlite"
        if not self._sqlite:
            # No ping before each transaction (one round trip per save): a connection the server
            # dropped fails one request with 503, which the page retries.
            url = self._engine.url
            self._engine.dispose()
            self._engine = create_engine(url, pool_recycle=600, pool_size=8, max_overflow=8)
        if self._sqlite:
            _serialize_sqlite_writes(self._engine)
        self._upsert = _upsert_statement(sqlite.insert if self._sqlite else postgresql.insert)
        try:
            # Several server processes (or graders) may open a new database at once: SQLite says
            # "locked" and PostgreSQL "already exists" to the loser of the race, which tries again.
            for attempt in range(_CREATE_TRIES):
                try:
                    Base.metadata.create_all(self._engine, tables=list(QUIZ_TABLES))
                    break
                except (OperationalError, ProgrammingError):
                    if attempt == _CREATE_TRIES - 1:
                        with self._errors("cannot create the quiz tables"):
                            raise
                    time.sleep(0.2 * (attempt + 1))
        except BaseException:
            self._engine.dispose()
            raise

    def close(self) -> None:
        """Release every database connection."""
        self._engine.dispose()

    def __enter__(self) -> SqlAttemptStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _errors(self, doing: str, racing: bool = False) -> Iterator[None]:
        try:
            yield
        except OperationalError as exc:
            raise GradebookUnavailableError(self.db_url, f"{doing}: {getattr(exc, 'orig', exc)}") from exc
        except IntegrityError as exc:
            if racing:
                raise
            raise GradebookError(self.db_url, f"{doing}: {getattr(exc, 'orig', exc)}") from exc
        except SQLAlchemyError as exc:
            raise GradebookError(self.db_url, f"{doing}: {exc}") from exc

    @contextmanager
    def _write(self, doing: str, racing: bool = False) -> Iterator[Connection]:
        """One write transaction (SQLite: BEGIN IMMEDIATE, so that writers queue instead of failing);
        ``racing``: a unique-key violation is let through for the caller to retry."""
        with self._errors(doing, racing), self._engine.connect() as connection:
            if self._sqlite:
                connection = connection.execution_options(dlgrade_immediate=True)
            with connection.begin():
                yield connection

    @contextmanager
    def _read(self, doing: str) -> Iterator[Connection]:
        with self._errors(doing), self._engine.connect() as connection, connection.begin():
            yield connection

    def _key(self, quiz_id: str, student_id: str) -> Any:
        t = QuizAttemptRecord
        return (t.course_id == self.course_id) & (t.quiz_id == quiz_id) & (t.student_id == student_id)

    def _params(self, quiz_id: str, student_id: str, number: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"course": self.course_id, "quiz": quiz_id, "student": student_id}
        if number is not None:
            out["number"] = number
        return out

    def _lock_attempt(self, connection: Connection, quiz_id: str, student_id: str, number: int) -> Any:
        """The attempt's row, locked until the transaction ends (PostgreSQL; SQLite locks the file)."""
        query = _ONE_ATTEMPT if self._sqlite else _ONE_ATTEMPT_LOCKED
        row = connection.execute(query, self._params(quiz_id, student_id, number)).first()
        if row is None:
            raise UnknownAttemptError(quiz_id, student_id, number)
        return row

    def _responses(self, connection: Connection, attempt_ids: list[int]) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {i: {} for i in attempt_ids}
        if not attempt_ids:
            return out
        for attempt_id, question_id, response in connection.execute(_RESPONSES_OF, {"ids": attempt_ids}):
            out[attempt_id][question_id] = json.loads(response)
        return out

    def _with_responses(self, connection: Connection, rows: list[Any]) -> list[tuple[Any, Attempt]]:
        responses = self._responses(connection, [r.id for r in rows])
        return [(r, _attempt(r, responses[r.id])) for r in rows]

    def _load(self, connection: Connection, where: Any) -> list[tuple[Any, Attempt]]:
        t = QuizAttemptRecord
        query = select(t).where(where).order_by(t.quiz_id, t.student_id, t.number)
        return self._with_responses(connection, list(connection.execute(query)))

    def _load_student(
        self, connection: Connection, quiz_id: str, student_id: str
    ) -> list[tuple[Any, Attempt]]:
        rows = list(connection.execute(_STUDENT_ATTEMPTS, self._params(quiz_id, student_id)))
        return self._with_responses(connection, rows)

    # ------------------------------------------------------------------ AttemptStore protocol

    def attempts(self, quiz_id: str, student_id: str) -> list[Attempt]:
        """The student's attempts of the quiz with their saved answers, oldest first."""
        with self._read("cannot read the attempts") as connection:
            return [a for _, a in self._load_student(connection, quiz_id, student_id)]

    def save(self, attempt: Attempt) -> None:
        """Create or replace ``attempt`` and exactly its responses (the engine's whole-attempt write)."""
        now = attempt.submitted_at or attempt.started_at
        with self._write("cannot save the attempt") as connection:
            t = QuizAttemptRecord
            found = connection.execute(
                select(t.id, t.status).where(
                    self._key(attempt.quiz_id, attempt.student_id), t.number == attempt.number
                )
            ).first()
            fields = {
                "started_at": attempt.started_at,
                "time_allowed_s": attempt.time_allowed_s,
                "grace_s": attempt.grace_s,
                "submitted_at": attempt.submitted_at,
            }
            if found is None:
                status = "open" if attempt.submitted_at is None else "submitted"
                attempt_id = connection.execute(
                    insert(t)
                    .values(
                        course_id=self.course_id,
                        quiz_id=attempt.quiz_id,
                        student_id=attempt.student_id,
                        number=attempt.number,
                        status=status,
                        **fields,
                    )
                    .returning(t.id)
                ).scalar_one()
            else:
                attempt_id = found.id
                if found.status == "open" and attempt.submitted_at is not None:
                    fields["status"] = "submitted"
                connection.execute(update(t).where(t.id == attempt_id).values(**fields))
            r = QuizResponseRecord
            stored = {
                qid: (text, rev)
                for qid, text, rev in connection.execute(
                    select(r.question_id, r.response, r.revision).where(r.attempt_id == attempt_id)
                )
            }
            gone = set(stored) - set(attempt.responses)
            if gone:
                connection.execute(delete(r).where(r.attempt_id == attempt_id, r.question_id.in_(gone)))
            for qid, response in attempt.responses.items():
                text = json.dumps(response)
                if qid not in stored:
                    connection.execute(
                        insert(r).values(
                            attempt_id=attempt_id, question_id=qid, response=text, saved_at=now, revision=1
                        )
                    )
                elif stored[qid][0] != text:
                    connection.execute(
                        update(r)
                        .where(r.attempt_id == attempt_id, r.question_id == qid)
                        .values(response=text, saved_at=now, revision=stored[qid][1] + 1)
                    )

    # ------------------------------------------------------------------ what a server does

    def start(self, quiz: Quiz, student_id: str, now: datetime, max_score: float = 0.0) -> Attempt:
        """The student's latest attempt if it is not submitted yet (open, or past its deadline and
        waiting to be closed), else a new one; QuizError when every attempt is used.

        Two concurrent starts give one attempt: the unique key refuses the second insert, which then
        reads the first one's attempt.
        """
        t = QuizAttemptRecord
        for _ in range(_START_RETRIES):
            try:
                with self._write("cannot start the attempt", racing=True) as connection:
                    numbers = connection.execute(_LATEST, self._params(quiz.id, student_id)).first()
                    if numbers is not None and numbers.submitted_at is None:
                        return self._one(connection, quiz.id, student_id, numbers.number)
                    used = 0 if numbers is None else numbers.number
                    if used >= quiz.attempts:
                        raise QuizError(f"{student_id} has used all {quiz.attempts} attempt(s) of {quiz.id}")
                    attempt = Attempt(
                        quiz.id, student_id, used + 1, now, quiz.time_allowed_s(student_id), quiz.grace_s
                    )
                    connection.execute(
                        insert(t).values(
                            course_id=self.course_id,
                            quiz_id=quiz.id,
                            student_id=student_id,
                            number=attempt.number,
                            started_at=now,
                            time_allowed_s=attempt.time_allowed_s,
                            grace_s=attempt.grace_s,
                            max_score=max_score,
                            status="open",
                        )
                    )
                    return attempt
            except IntegrityError:
                time.sleep(0.005)  # another request started it: read theirs
        raise GradebookError(self.db_url, f"cannot start an attempt of {quiz.id} for {student_id}")

    def _one(self, connection: Connection, quiz_id: str, student_id: str, number: int) -> Attempt:
        row = connection.execute(_ONE_ATTEMPT, self._params(quiz_id, student_id, number)).first()
        if row is None:
            raise UnknownAttemptError(quiz_id, student_id, number)
        return self._with_responses(connection, [row])[0][1]

    def attempt(self, quiz_id: str, student_id: str, number: int) -> Attempt:
        """One attempt with its saved answers (UnknownAttemptError when there is none)."""
        with self._read("cannot read the attempt") as connection:
            return self._one(connection, quiz_id, student_id, number)

    def save_response(
        self, attempt: Attempt, question_id: str, response: Any, now: datetime, revision: int
    ) -> SavedResponse:
        """Store one answer unless a newer revision is stored already; QuizClosedError after the hard
        deadline or the submission (checked against the stored attempt, not ``attempt``)."""
        return self.save_answer(
            attempt.quiz_id, attempt.student_id, attempt.number, question_id, response, now, revision
        )

    def save_answer(
        self,
        quiz_id: str,
        student_id: str,
        number: int,
        question_id: str,
        response: Any,
        now: datetime,
        revision: int,
    ) -> SavedResponse:
        """:meth:`save_response` by the attempt's key (one transaction, what the server calls)."""
        text = json.dumps(response)
        values = {"question": question_id, "response": text, "saved_at": now, "revision": revision}
        with self._write("cannot save the answer") as connection:
            row = self._lock_attempt(connection, quiz_id, student_id, number)
            stored = _attempt(row, {})
            if stored.submitted_at is not None:
                raise QuizClosedError(stored, "is already submitted")
            if now > stored.hard_deadline:
                closed = stored.deadline.isoformat(sep=" ", timespec="seconds")
                raise QuizClosedError(stored, f"is closed: the time was up at {closed} UTC")
            values["attempt_id"] = row.id
            won = connection.execute(self._upsert, values).first()
            if won is not None:
                return SavedResponse(question_id, revision, True, stored.deadline)
            kept = connection.execute(_KEPT, values).one()
            return SavedResponse(question_id, int(kept.revision), kept.response == text, stored.deadline)

    def submit(self, attempt: Attempt, now: datetime, grade: Grader | None = None) -> Attempt:
        """Close the attempt (once; after the hard deadline it closes at the deadline) and return it
        with every answer saved before; ``grade`` scores it in the same transaction."""
        with self._write("cannot submit the attempt") as connection:
            row = self._lock_attempt(connection, attempt.quiz_id, attempt.student_id, attempt.number)
            if row.submitted_at is None:
                stored = _attempt(row, {})
                t = QuizAttemptRecord
                connection.execute(
                    update(t)
                    .where(t.id == row.id)
                    .values(submitted_at=min(now, stored.hard_deadline), status="submitted")
                )
            submitted = self._one(connection, attempt.quiz_id, attempt.student_id, attempt.number)
            if grade is not None:
                self._write_result(connection, row.id, grade(submitted))
            return submitted

    def record_result(self, attempt: Attempt, result: PaperResult) -> None:
        """Store the scores of a submitted attempt, replacing any earlier ones (regrading)."""
        with self._write("cannot record the quiz result") as connection:
            row = self._lock_attempt(connection, attempt.quiz_id, attempt.student_id, attempt.number)
            if row.submitted_at is None:
                raise QuizError(
                    f"attempt {attempt.number} of {attempt.quiz_id} by {attempt.student_id} is not submitted"
                )
            self._write_result(connection, row.id, result)

    def _write_result(self, connection: Connection, attempt_id: int, result: PaperResult) -> None:
        s = QuizItemScoreRecord
        connection.execute(delete(s).where(s.attempt_id == attempt_id))
        if result.scores:
            connection.execute(
                insert(s),
                [
                    {
                        "attempt_id": attempt_id,
                        "question_id": item.question_id,
                        "points": item.points,
                        "max_points": item.max_points,
                        "status": item.status,
                        "feedback": json.dumps(list(item.feedback)),
                    }
                    for item in result.scores
                ],
            )
        t = QuizAttemptRecord
        connection.execute(
            update(t)
            .where(t.id == attempt_id)
            .values(
                score=round(result.points, 6),
                max_score=result.max_points,
                status="needs-grading" if result.needs_grading else "graded",
                graded_at=utc_now(),
            )
        )

    # ------------------------------------------------------------------ instructors

    def attempts_of_quiz(self, quiz_id: str) -> list[Attempt]:
        """Every attempt of the quiz (all students, with their answers), by student then number."""
        with self._read("cannot read the attempts") as connection:
            t = QuizAttemptRecord
            return [
                a for _, a in self._load(connection, (t.course_id == self.course_id) & (t.quiz_id == quiz_id))
            ]

    def open_attempts(self, quiz_id: str | None = None) -> list[Attempt]:
        """Attempts not submitted yet (of one quiz or all), without their answers: what the server
        closes at the deadline."""
        t = QuizAttemptRecord
        where = (t.course_id == self.course_id) & t.submitted_at.is_(None)
        if quiz_id is not None:
            where = where & (t.quiz_id == quiz_id)
        with self._read("cannot read the open attempts") as connection:
            rows = connection.execute(select(t).where(where).order_by(t.id))
            return [_attempt(row, {}) for row in rows]

    def results(self, quiz_id: str, student_id: str | None = None) -> list[AttemptResult]:
        """Every attempt of the quiz (or of one student) with its status, score and question scores."""
        t = QuizAttemptRecord
        with self._read("cannot read the quiz results") as connection:
            if student_id is None:
                loaded = self._load(connection, (t.course_id == self.course_id) & (t.quiz_id == quiz_id))
            else:
                loaded = self._load_student(connection, quiz_id, student_id)
            scores: dict[int, list[Score]] = {}
            ids = [row.id for row, _ in loaded]
            if ids:
                for item in connection.execute(_SCORES_OF, {"ids": ids}):
                    scores.setdefault(item.attempt_id, []).append(
                        Score(
                            item.question_id,
                            item.points,
                            item.max_points,
                            item.status,
                            tuple(json.loads(item.feedback)),
                        )
                    )
        return [
            AttemptResult(
                a, row.status, row.score, row.max_score, row.graded_at, tuple(scores.get(row.id, ()))
            )
            for row, a in loaded
        ]

    def count_rows(self, quiz_id: str) -> tuple[int, int]:
        """(attempts, saved answers) of the quiz: what a load test checks."""
        t, r = QuizAttemptRecord, QuizResponseRecord
        where = (t.course_id == self.course_id) & (t.quiz_id == quiz_id)
        with self._read("cannot count the quiz rows") as connection:
            attempts = connection.execute(select(func.count()).select_from(t).where(where)).scalar_one()
            answers = connection.execute(
                select(func.count()).select_from(r).join(t, t.id == r.attempt_id).where(where)
            ).scalar_one()
        return int(attempts), int(answers)


def _upsert_statement(dialect_insert: Any) -> Any:
    """INSERT of one answer that replaces the stored one only for a newer revision; RETURNING says
    whether it was stored."""
    r = QuizResponseRecord
    statement = dialect_insert(r).values(
        attempt_id=bindparam("attempt_id"),
        question_id=bindparam("question"),
        response=bindparam("response"),
        saved_at=bindparam("saved_at"),
        revision=bindparam("revision"),
    )
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[r.attempt_id, r.question_id],
        set_={"response": new.response, "saved_at": new.saved_at, "revision": new.revision},
        where=r.revision < new.revision,
    ).returning(r.revision)


def _serialize_sqlite_writes(engine: Any) -> None:
    """SQLite: WAL (readers never wait for the writer) and BEGIN IMMEDIATE for write transactions, so
    that concurrent writers wait for the lock (busy timeout) instead of failing on upgrade."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("dlgrade_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
