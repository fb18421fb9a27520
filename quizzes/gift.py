"""Write questions in Moodle's GIFT format.

Each question is ``::name::[html]text{answers####general feedback}`` with the special characters
``~ = # { } :`` and the backslash escaped, and newlines written as ``\\n`` so that a question never
contains a blank line (a blank line ends a question in GIFT). Parametrized questions are written as
their fixed export variant. GIFT has no ordering type: an ordering question becomes a matching
question (item -> position). Multiple-choice fractions are the moodle-sum fractions.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from quizzes.markup import inline_html, plain, to_html
from quizzes.schema import (
    EssayAnswer,
    MatchingAnswer,
    NumericAnswer,
    OrderingAnswer,
    Question,
    ShortAnswer,
    TrueFalseAnswer,
)
from quizzes.scoring import numeric_bounds
from quizzes.variants import Rendered, fixed_variant, format_number

SPECIAL = "~=#{}:"


def escape(text: str) -> str:
    """``text`` with GIFT's special characters escaped and newlines as ``\\n``."""
    out = text.replace("\\", "\\\\")
    for char in SPECIAL:
        out = out.replace(char, "\\" + char)
    return out.replace("\r", "").replace("\n", "\\n")


def percent(fraction: float) -> str:
    """A Moodle answer weight: ``%50%``, ``%-33.33333%``."""
    value = f"{fraction * 100:.5f}".rstrip("0").rstrip(".")
    return f"%{value}%"


def number(value: float) -> str:
    """A number in plain decimal notation (GIFT's grammar has no exponents): ``2.17e-05`` -> ``0.0000217``."""
    return format(Decimal(format_number(value)), "f")


def ordering_prompt(n: int) -> str:
    """The sentence added to an ordering question exported as matching."""
    return f"Match each item to its position in the correct order (1 = first, {n} = last)."


def _feedback(text: str) -> str:
    return f"#{escape(inline_html(text))}" if text else ""


def _answers(rendered: Rendered) -> list[str]:
    q, answer = rendered.question, rendered.question.answer
    if q.type == "single":
        return [
            f"{'=' if c.correct else '~'}{escape(inline_html(c.text))}{_feedback(c.feedback)}"
            for c in q.choices
        ]
    if q.type == "multiple":
        return [
            f"~{percent(c.fraction)}{escape(inline_html(c.text))}{_feedback(c.feedback)}" for c in q.choices
        ]
    if isinstance(answer, TrueFalseAnswer):
        wrong = _feedback(answer.wrong_feedback) or "#"
        return [f"{'TRUE' if answer.value else 'FALSE'}{wrong}#"]
    if isinstance(answer, NumericAnswer):
        assert rendered.value is not None
        lo, hi = numeric_bounds(rendered.value, answer)
        return [f"#{number(rendered.value)}:{number((hi - lo) / 2)}"]
    if isinstance(answer, ShortAnswer):
        return [f"={escape(plain(a))}" for a in answer.accept]
    if isinstance(answer, MatchingAnswer):
        lines = [f"={escape(inline_html(left))} -> {escape(plain(right))}" for left, right in answer.pairs]
        return lines + [f"= -> {escape(plain(d))}" for d in answer.distractors]
    if isinstance(answer, OrderingAnswer):
        return [f"={escape(inline_html(item))} -> {i}" for i, item in enumerate(answer.order, start=1)]
    assert isinstance(answer, EssayAnswer)
    return []


def question_gift(rendered: Rendered) -> str:
    """One question in GIFT (no trailing blank line)."""
    q = rendered.question
    text = rendered.text
    if isinstance(q.answer, OrderingAnswer):
        text += "\n\n" + ordering_prompt(len(q.answer.order))
    body = to_html(f"**{rendered.title}**\n\n{text}")
    lines = [f"// {q.id} ({q.type}, {q.points:g} points; tags: {', '.join(q.tags)})"]
    if isinstance(q.answer, EssayAnswer):
        rubric = "; ".join(f"{r.criterion} ({r.points:g})" for r in q.answer.rubric)
        lines.append(f"// rubric: {' '.join(rubric.split())}")
    lines.append(f"::{escape(q.id)}::[html]{escape(body)}{{")
    lines.extend(f"\t{a}" for a in _answers(rendered))
    lines.append(f"\t####{escape(to_html(q.feedback))}")
    lines.append("}")
    return "\n".join(lines)


def category_of(question: Question) -> str:
    """The Moodle category a question is filed under: its first topic tag."""
    return f"$course$/top/dlgrade/{question.topics[0] if question.topics else 'misc'}"


def write_gift(questions: Iterable[Question], title: str = "dlgrade question bank") -> str:
    """The GIFT file of ``questions``, grouped by category."""
    chunks = [f"// {title}: exported by dlgrade (GIFT, Moodle)"]
    current = ""
    for question in sorted(questions, key=lambda q: (category_of(q), q.id)):
        if category_of(question) != current:
            current = category_of(question)
            chunks.append(f"$CATEGORY: {current}")
        chunks.append(question_gift(fixed_variant(question)))
    return "\n\n".join(chunks) + "\n"
