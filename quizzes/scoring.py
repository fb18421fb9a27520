"""Score one response to one rendered question.

Responses are plain data, as a web form or JSON body gives them:

| type | response |
|---|---|
| single | the id of the chosen choice (``"b"``) |
| multiple | a list of choice ids |
| truefalse | ``True``/``False`` (or ``"true"``/``"false"``) |
| numeric | a number, or a string such as ``"0.25"`` or ``"1e-3"`` |
| short | a string |
| matching | a mapping left -> chosen right |
| ordering | the list of items in the chosen order |
| essay | a string; scored 0 and marked ``needs-grading`` |

An empty response (``None``, ``""``, ``[]``, ``{}``) scores 0 under every rule. A response of the
wrong shape scores 0 with status ``invalid``; scoring never raises on student input. Multiple-choice
partial credit follows anchors section 6: ``moodle-sum`` (sum of the selected choices' fractions,
clamped to [0, 1]), ``all-or-nothing``, ``net-correct`` (max(0, right - wrong) / correct choices),
``coverage`` ((t/c) * (t/n): t right selected, c correct choices, n selected) and ``each-answer``
(share of all choices classified right, selected or not).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from quizzes.schema import (
    EssayAnswer,
    MatchingAnswer,
    NumericAnswer,
    OrderingAnswer,
    Question,
    ShortAnswer,
    TrueFalseAnswer,
)
from quizzes.variants import Rendered

Status = Literal["graded", "unanswered", "invalid", "needs-grading"]

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Score:
    """The outcome of one response: points earned out of ``max_points`` and the feedback to show."""

    question_id: str
    points: float
    max_points: float
    status: Status
    feedback: tuple[str, ...] = ()

    @property
    def fraction(self) -> float:
        """Points as a share of the maximum, in [0, 1]."""
        return self.points / self.max_points if self.max_points else 0.0

    @property
    def correct(self) -> bool:
        """Full marks."""
        return self.status == "graded" and math.isclose(self.points, self.max_points)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "question": self.question_id,
            "points": self.points,
            "max_points": self.max_points,
            "status": self.status,
            "feedback": list(self.feedback),
        }


def is_empty(response: Any) -> bool:
    """None, a blank string or an empty collection."""
    if response is None:
        return True
    if isinstance(response, str):
        return not response.strip()
    return isinstance(response, list | tuple | set | frozenset | dict) and not response


def multiple_fraction(rule: str, selected: set[str], question: Question) -> float:
    """The share of the points a selection of a multiple-choice question earns under ``rule``."""
    if not selected:
        return 0.0
    correct = {c.id for c in question.choices if c.correct}
    right = len(selected & correct)
    wrong = len(selected - correct)
    if rule == "moodle-sum":
        return min(1.0, max(0.0, sum(c.fraction for c in question.choices if c.id in selected)))
    if rule == "all-or-nothing":
        return 1.0 if selected == correct else 0.0
    if rule == "net-correct":
        return max(0, right - wrong) / len(correct)
    if rule == "coverage":
        return (right / len(correct)) * (right / len(selected))
    if rule == "each-answer":
        agree = sum((c.id in selected) == c.correct for c in question.choices)
        return agree / len(question.choices)
    raise ValueError(f"unknown partial-credit rule {rule!r}")


def normalize_text(text: str, case_sensitive: bool = False) -> str:
    """Trimmed, inner spaces collapsed, case folded unless ``case_sensitive``."""
    out = _SPACES.sub(" ", text.strip())
    return out if case_sensitive else out.casefold()


def parse_number(response: Any) -> float | None:
    """The number a student typed, or None when it is not one (``"1,5"`` reads as 1.5)."""
    if isinstance(response, bool):
        return None
    if isinstance(response, int | float):
        return float(response)
    if isinstance(response, str):
        text = response.strip().replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            return None
        return value if math.isfinite(value) else None
    return None


def within_tolerance(value: float, expected: float, answer: NumericAnswer) -> bool:
    """Whether ``value`` is within the answer's absolute or relative tolerance of ``expected``."""
    slack = 1e-9 * max(1.0, abs(expected))  # floating-point noise in the expected value
    if answer.tolerance_type == "rel":
        return abs(value - expected) <= answer.tolerance * abs(expected) + slack
    return abs(value - expected) <= answer.tolerance + slack


def numeric_bounds(expected: float, answer: NumericAnswer) -> tuple[float, float]:
    """The interval of accepted values."""
    width = answer.tolerance * abs(expected) if answer.tolerance_type == "rel" else answer.tolerance
    return expected - width, expected + width


def short_matches(text: str, answer: ShortAnswer) -> bool:
    """Whether ``text`` equals an accepted answer or fully matches a pattern."""
    norm = normalize_text(text, answer.case_sensitive)
    if any(norm == normalize_text(a, answer.case_sensitive) for a in answer.accept):
        return True
    stripped = _SPACES.sub(" ", text.strip())
    return any(p.fullmatch(stripped) for p in answer.patterns)


def _as_bool(response: Any) -> bool | None:
    if isinstance(response, bool):
        return response
    if isinstance(response, str) and response.strip().lower() in ("true", "false", "t", "f"):
        return response.strip().lower() in ("true", "t")
    return None


def _fraction(rendered: Rendered, response: Any) -> tuple[float | None, list[str]]:
    """(share earned or None when the response has the wrong shape, specific feedback)."""
    q, answer = rendered.question, rendered.question.answer
    notes: list[str] = []
    if q.type in ("single", "multiple"):
        ids = {c.id for c in q.choices}
        picked = [response] if q.type == "single" else response
        if not isinstance(picked, list | tuple | set) or not all(
            isinstance(p, str) and p in ids for p in picked
        ):
            return None, notes
        if q.type == "single" and len(picked) != 1:
            return None, notes
        selected = set(picked)
        notes = [c.feedback for c in q.choices if c.id in selected and c.feedback]
        if q.type == "single":
            return (1.0 if next(c for c in q.choices if c.id in selected).correct else 0.0), notes
        return multiple_fraction(q.partial_credit, selected, q), notes
    if isinstance(answer, TrueFalseAnswer):
        value = _as_bool(response)
        if value is None:
            return None, notes
        right = value == answer.value
        return (1.0 if right else 0.0), (
            [answer.wrong_feedback] if not right and answer.wrong_feedback else []
        )
    if isinstance(answer, NumericAnswer):
        number = parse_number(response)
        if number is None or rendered.value is None:
            return None, notes
        return (1.0 if within_tolerance(number, rendered.value, answer) else 0.0), notes
    if isinstance(answer, ShortAnswer):
        if not isinstance(response, str):
            return None, notes
        return (1.0 if short_matches(response, answer) else 0.0), notes
    if isinstance(answer, MatchingAnswer):
        if not isinstance(response, Mapping):
            return None, notes
        hits = sum(response.get(left) == want for left, want in answer.pairs)
        if answer.partial == "all-or-nothing":
            return (1.0 if hits == len(answer.pairs) else 0.0), notes
        return hits / len(answer.pairs), notes
    if isinstance(answer, OrderingAnswer):
        if not isinstance(response, list | tuple) or sorted(map(str, response)) != sorted(answer.order):
            return None, notes
        hits = sum(got == want for got, want in zip(response, answer.order, strict=True))
        if answer.partial == "all-or-nothing":
            return (1.0 if hits == len(answer.order) else 0.0), notes
        return hits / len(answer.order), notes
    return None, notes  # pragma: no cover - essays are handled by score()


def score(rendered: Rendered, response: Any) -> Score:
    """Score ``response`` to ``rendered``; feedback lists the specific notes then the general one."""
    q = rendered.question
    general = (q.feedback,)
    if is_empty(response):
        return Score(q.id, 0.0, q.points, "unanswered", general)
    if isinstance(q.answer, EssayAnswer):
        if not isinstance(response, str):
            return Score(q.id, 0.0, q.points, "invalid", ("The answer must be text.", *general))
        return Score(q.id, 0.0, q.points, "needs-grading", general)
    share, notes = _fraction(rendered, response)
    if share is None:
        return Score(
            q.id, 0.0, q.points, "invalid", (f"Response not understood for a {q.type} question.", *general)
        )
    share = min(1.0, max(0.0, share))
    return Score(q.id, round(share * q.points, 6), q.points, "graded", (*notes, *general))


def grade_essay(rendered: Rendered, awarded: Mapping[str, float]) -> Score:
    """Manual grading of an essay: points per rubric criterion (each capped at its maximum)."""
    answer = rendered.question.answer
    if not isinstance(answer, EssayAnswer):
        raise ValueError(f"{rendered.id} is not an essay question")
    unknown = set(awarded) - {r.criterion for r in answer.rubric}
    if unknown:
        raise ValueError(f"unknown rubric criteria: {', '.join(sorted(unknown))}")
    total = sum(min(max(0.0, awarded.get(r.criterion, 0.0)), r.points) for r in answer.rubric)
    return Score(rendered.id, total, rendered.points, "graded", (rendered.question.feedback,))
