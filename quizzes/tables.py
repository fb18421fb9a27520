"""The quiz tables in the gradebook database, on dlgrade's declarative base beside the assignment
results: one row per attempt, one per saved answer (the latest revision wins), one per scored
question. quizzes/store.py reads and writes them; exports and benchmarks read them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from grader.dbmodels import NAME_LENGTH, Base


class QuizAttemptRecord(Base):
    """One student's attempt of one quiz."""

    __tablename__ = "dlgrade_quiz_attempts"
    __table_args__ = (
        UniqueConstraint(
            "course_id", "quiz_id", "student_id", "number", name="uq_dlgrade_quiz_attempts_attempt"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    course_id: Mapped[str] = mapped_column(String(NAME_LENGTH))
    quiz_id: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    student_id: Mapped[str] = mapped_column(String(NAME_LENGTH))
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime())
    time_allowed_s: Mapped[int] = mapped_column(Integer)
    grace_s: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(), default=None)
    score: Mapped[float | None] = mapped_column(Float, default=None)
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), default="open")
    graded_at: Mapped[datetime | None] = mapped_column(DateTime(), default=None)


class QuizResponseRecord(Base):
    """The latest saved answer of one question of an attempt (``response`` is JSON text)."""

    __tablename__ = "dlgrade_quiz_responses"
    __table_args__ = (
        UniqueConstraint("attempt_id", "question_id", name="uq_dlgrade_quiz_responses_question"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("dlgrade_quiz_attempts.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(NAME_LENGTH))
    response: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(DateTime())
    revision: Mapped[int] = mapped_column(BigInteger)


class QuizItemScoreRecord(Base):
    """The score of one question of a graded attempt (``feedback`` is a JSON list of texts)."""

    __tablename__ = "dlgrade_quiz_item_scores"
    __table_args__ = (
        UniqueConstraint("attempt_id", "question_id", name="uq_dlgrade_quiz_item_scores_question"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("dlgrade_quiz_attempts.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(NAME_LENGTH))
    points: Mapped[float] = mapped_column(Float)
    max_points: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    feedback: Mapped[str] = mapped_column(Text, default="[]")


QUIZ_TABLES: tuple[Table, ...] = tuple(
    Base.metadata.tables[name]
    for name in ("dlgrade_quiz_attempts", "dlgrade_quiz_responses", "dlgrade_quiz_item_scores")
)
"""The quiz tables, in creation order."""
