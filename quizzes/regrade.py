"""Regrade a quiz after a question was fixed: every submitted attempt re-scored from the current bank.

Each attempt's paper is rebuilt with :func:`quizzes.quiz.build_paper` (deterministic: the same
questions, variants and choice order as the student saw), its saved responses are scored again and
the result replaces the stored one. Essays keep their manual grades. With ``question_id`` only that
question is re-scored; the other questions keep their stored scores. A dry run computes the changes
and stores nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grader.errors import DlgradeError
from quizzes.bank import Bank
from quizzes.export import quiz_questions
from quizzes.quiz import PaperResult, Quiz, build_paper, grade_paper
from quizzes.scoring import Score
from quizzes.stats import ResultStore


@dataclass(frozen=True)
class Change:
    """One attempt whose total (or some question's score) changed."""

    student_id: str
    attempt: int
    old: float | None
    new: float
    max_points: float
    questions: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "student_id": self.student_id,
            "attempt": self.attempt,
            "old": self.old,
            "new": self.new,
            "max_points": self.max_points,
            "questions": list(self.questions),
        }


@dataclass(frozen=True)
class RegradeReport:
    """What a regrade did (or would do, for a dry run)."""

    quiz_id: str
    question_id: str | None
    regraded: int
    changes: tuple[Change, ...]
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "quiz": self.quiz_id,
            "question": self.question_id,
            "regraded": self.regraded,
            "dry_run": self.dry_run,
            "changes": [c.as_dict() for c in self.changes],
        }


def _same(a: Score | None, b: Score) -> bool:
    return a is not None and math.isclose(a.points, b.points, abs_tol=1e-9) and a.status == b.status


def rescore(
    fresh: PaperResult, stored: tuple[Score, ...], essays: set[str], question_id: str | None = None
) -> PaperResult:
    """``fresh`` scores, except manual essay grades and (with ``question_id``) the other questions."""
    old = {s.question_id: s for s in stored}
    kept = []
    for score in fresh.scores:
        previous = old.get(score.question_id)
        keep = previous is not None and (
            (question_id is not None and score.question_id != question_id)
            or (score.question_id in essays and previous.status == "graded")
        )
        kept.append(previous if keep and previous is not None else score)
    return PaperResult(tuple(kept))


def regrade(
    quiz: Quiz,
    bank: Bank,
    store: ResultStore,
    question_id: str | None = None,
    dry_run: bool = False,
    on_done: Callable[[], None] | None = None,
) -> RegradeReport:
    """Re-score every submitted attempt of ``quiz`` from the current bank and store the results."""
    if question_id is not None and question_id not in {q.id for q in quiz_questions(quiz, bank)}:
        raise DlgradeError(f"question {question_id!r} is not used by quiz {quiz.id!r}")
    essays = {q.id for q in bank.questions.values() if q.type == "essay"}
    regraded = 0
    changes: list[Change] = []
    for stored in store.results(quiz.id):
        attempt = stored.attempt
        if attempt.submitted_at is None:
            continue
        paper = build_paper(quiz, bank, attempt.student_id, attempt.number)
        if question_id is not None and question_id not in {i.rendered.id for i in paper.items}:
            continue
        result = rescore(grade_paper(paper, attempt.responses), stored.scores, essays, question_id)
        if not dry_run:
            store.record_result(attempt, result)
        regraded += 1
        old = {s.question_id: s for s in stored.scores}
        moved = tuple(s.question_id for s in result.scores if not _same(old.get(s.question_id), s))
        old_total = sum(s.points for s in stored.scores) if stored.scores else None
        if moved or old_total is None or not math.isclose(old_total, result.points, abs_tol=1e-9):
            changes.append(
                Change(
                    attempt.student_id,
                    attempt.number,
                    old_total,
                    round(result.points, 6),
                    result.max_points,
                    moved,
                )
            )
        if on_done is not None:
            on_done()
    return RegradeReport(quiz.id, question_id, regraded, tuple(changes), dry_run)
