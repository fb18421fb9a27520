"""Render a question for one student: parameters drawn, text filled in, answer computed, options shuffled.

Every random choice comes from a seed derived with SHA-256 from (quiz id, student id, question id)
and, for later attempts, the attempt number, so the same student sees the same variant on every
machine and in every process (Python's ``hash()`` is salted per process and never used).
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from typing import Any

from grader.errors import DlgradeError
from quizzes.expr import ExprError, Number
from quizzes.schema import (
    PLACEHOLDER,
    EssayAnswer,
    MatchingAnswer,
    NumericAnswer,
    OrderingAnswer,
    Question,
    ShortAnswer,
    TrueFalseAnswer,
)

MAX_DRAWS = 1000


class VariantError(DlgradeError):
    """A parametrized question for which no valid variant could be drawn."""


def derive_seed(*parts: object) -> int:
    """A 64-bit seed from the parts, stable across processes, machines and Python versions."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def variant_seed(quiz_id: str, student_id: str, question_id: str, attempt: int = 1) -> int:
    """The seed of ``student_id``'s variant of ``question_id`` in ``quiz_id`` (attempt 1, 2, ...)."""
    if attempt == 1:
        return derive_seed("variant", quiz_id, student_id, question_id)
    return derive_seed("variant", quiz_id, student_id, question_id, attempt)


def format_number(value: Number, decimals: int | None = None) -> str:
    """A number as a student reads it: integers without ``.0``, floats without noise."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, int):
        return str(value)
    if decimals is not None:
        return f"{value:.{decimals}f}"
    return f"{value:.10g}"


def fill(template: str, params: dict[str, Number]) -> str:
    """``template`` with every ``{name}`` of a param replaced by its value; other braces untouched."""
    if not params:
        return template
    return PLACEHOLDER.sub(
        lambda m: format_number(params[m.group(1)]) if m.group(1) in params else m.group(0), template
    )


@dataclass(frozen=True)
class Rendered:
    """One student's variant of a question: what is shown, and what is right."""

    question: Question
    seed: int
    params: dict[str, Number] = field(default_factory=dict)
    text: str = ""
    title: str = ""
    choice_order: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    value: float | None = None

    @property
    def id(self) -> str:
        """The question's id."""
        return self.question.id

    @property
    def points(self) -> float:
        """The question's points."""
        return self.question.points

    def correct_response(self) -> Any:
        """A response that scores full marks (the model answer for an essay)."""
        q, answer = self.question, self.question.answer
        if q.type == "single":
            return next(c.id for c in q.choices if c.correct)
        if q.type == "multiple":
            return [c.id for c in q.choices if c.correct]
        if isinstance(answer, TrueFalseAnswer):
            return answer.value
        if isinstance(answer, NumericAnswer):
            return self.value
        if isinstance(answer, ShortAnswer):
            return answer.accept[0]
        if isinstance(answer, MatchingAnswer):
            return dict(answer.pairs)
        if isinstance(answer, OrderingAnswer):
            return list(answer.order)
        assert isinstance(answer, EssayAnswer)
        return answer.model_answer or "\n".join(r.criterion for r in answer.rubric)

    def public(self) -> dict[str, Any]:
        """What a student's page shows: no correct answers, no feedback, no seed."""
        q = self.question
        out: dict[str, Any] = {"id": q.id, "type": q.type, "title": self.title, "text": self.text}
        out["points"] = q.points
        if q.choices:
            by_id = {c.id: c for c in q.choices}
            out["choices"] = [{"id": cid, "text": by_id[cid].text} for cid in self.choice_order]
        if isinstance(q.answer, MatchingAnswer):
            out["left"] = [left for left, _ in q.answer.pairs]
            out["options"] = list(self.options)
        if isinstance(q.answer, OrderingAnswer):
            out["items"] = list(self.options)
        return out


def _shuffled(items: tuple[str, ...], rng: random.Random, avoid_identity: bool) -> tuple[str, ...]:
    out = list(items)
    rng.shuffle(out)
    if avoid_identity and len(out) > 1 and tuple(out) == items:
        out.reverse()
    return tuple(out)


def draw_params(question: Question, rng: random.Random) -> tuple[dict[str, Number], float | None]:
    """Draw params until the constraints hold; (params, numeric answer).

    Only the constraints may reject a draw: an answer that cannot be computed (division by zero, not
    finite) for params that meet them is an error of the question, reported with the params.
    """
    answer = question.answer
    for _ in range(MAX_DRAWS if question.params else 1):
        params = {p.name: rng.choice(p.values) for p in question.params}
        try:
            if not all(c.evaluate(params) for c in question.constraints):
                continue
        except ExprError as exc:
            raise VariantError(
                f"{question.id}: constraints fail for params {params}: {exc.message}"
            ) from None
        if not isinstance(answer, NumericAnswer):
            return params, None
        try:
            value = float(answer.value.evaluate(params))
        except ExprError as exc:
            raise VariantError(f"{question.id}: answer fails for params {params}: {exc.message}") from None
        if not math.isfinite(value):
            raise VariantError(f"{question.id}: answer is not finite for params {params}")
        return params, value
    raise VariantError(f"{question.id}: no params meet the constraints in {MAX_DRAWS} draws")


def render(question: Question, seed: int, shuffle_choices: bool = True) -> Rendered:
    """The variant of ``question`` for ``seed``; choices and items shuffled when allowed."""
    rng = random.Random(seed)
    params, value = draw_params(question, rng)
    choice_ids = tuple(c.id for c in question.choices)
    if shuffle_choices and question.shuffle_choices:
        choice_ids = _shuffled(choice_ids, rng, avoid_identity=False)
    options: tuple[str, ...] = ()
    answer = question.answer
    if isinstance(answer, MatchingAnswer):
        rights = tuple(sorted({right for _, right in answer.pairs} | set(answer.distractors)))
        options = _shuffled(rights, rng, avoid_identity=False)
    elif isinstance(answer, OrderingAnswer):
        options = _shuffled(answer.order, rng, avoid_identity=True)
    return Rendered(
        question=question,
        seed=seed,
        params=params,
        text=fill(question.text, params),
        title=fill(question.title, params),
        choice_order=choice_ids,
        options=options,
        value=value,
    )


def fixed_variant(question: Question) -> Rendered:
    """The variant exports use for a parametrized question (seed 0, choices in file order)."""
    return render(question, derive_seed("export", question.id), shuffle_choices=False)
