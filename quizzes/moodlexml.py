"""Write questions as Moodle XML (``<quiz><question type="...">``), the format Moodle imports fully.

Types: multichoice (single or not), truefalse, numerical, shortanswer, matching, essay (with the
rubric as ``graderinfo``, shown only to graders). An ordering question becomes a matching question
(item -> position). A parametrized question is written as ``variants`` fixed variants in its own
category, so that a Moodle quiz can draw a random one per student.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from quizzes.gift import category_of, ordering_prompt
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
from quizzes.variants import Rendered, derive_seed, fixed_variant, format_number, render

MOODLE_TYPES = {
    "single": "multichoice",
    "multiple": "multichoice",
    "truefalse": "truefalse",
    "numeric": "numerical",
    "short": "shortanswer",
    "matching": "matching",
    "ordering": "matching",
    "essay": "essay",
}


def _text(parent: ET.Element, tag: str, text: str, html: bool = True, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": "html", **attrs} if html else attrs)
    ET.SubElement(element, "text").text = text
    return element


def _fraction(value: float) -> str:
    return f"{value * 100:.5f}".rstrip("0").rstrip(".")


def _category(parent: ET.Element, path: str) -> None:
    question = ET.SubElement(parent, "question", {"type": "category"})
    category = ET.SubElement(question, "category")
    ET.SubElement(category, "text").text = path


def _answers(element: ET.Element, rendered: Rendered) -> None:
    q, answer = rendered.question, rendered.question.answer
    if q.type in ("single", "multiple"):
        ET.SubElement(element, "single").text = "true" if q.type == "single" else "false"
        ET.SubElement(element, "shuffleanswers").text = "true" if q.shuffle_choices else "false"
        ET.SubElement(element, "answernumbering").text = "abc"
        for c in q.choices:
            node = _text(element, "answer", inline_html(c.text), fraction=_fraction(c.fraction))
            _text(node, "feedback", inline_html(c.feedback))
    elif isinstance(answer, TrueFalseAnswer):
        for value in (True, False):
            node = ET.SubElement(
                element,
                "answer",
                {"fraction": "100" if value == answer.value else "0", "format": "moodle_auto_format"},
            )
            ET.SubElement(node, "text").text = "true" if value else "false"
            _text(node, "feedback", inline_html(answer.wrong_feedback) if value != answer.value else "")
    elif isinstance(answer, NumericAnswer):
        assert rendered.value is not None
        lo, hi = numeric_bounds(rendered.value, answer)
        node = ET.SubElement(element, "answer", {"fraction": "100", "format": "moodle_auto_format"})
        ET.SubElement(node, "text").text = format_number(rendered.value)
        ET.SubElement(node, "tolerance").text = format_number((hi - lo) / 2)
        _text(node, "feedback", "")
    elif isinstance(answer, ShortAnswer):
        ET.SubElement(element, "usecase").text = "1" if answer.case_sensitive else "0"
        for accepted in answer.accept:
            node = ET.SubElement(element, "answer", {"fraction": "100", "format": "moodle_auto_format"})
            ET.SubElement(node, "text").text = plain(accepted)
            _text(node, "feedback", "")
    elif isinstance(answer, MatchingAnswer | OrderingAnswer):
        ET.SubElement(element, "shuffleanswers").text = "true"
        if isinstance(answer, MatchingAnswer):
            pairs = [(inline_html(left), plain(right)) for left, right in answer.pairs]
            pairs += [("", plain(d)) for d in answer.distractors]
        else:
            pairs = [(inline_html(item), str(i)) for i, item in enumerate(answer.order, start=1)]
        for left, right in pairs:
            sub = _text(element, "subquestion", left)
            ET.SubElement(ET.SubElement(sub, "answer"), "text").text = right
    else:
        assert isinstance(answer, EssayAnswer)
        ET.SubElement(element, "responseformat").text = "editor"
        ET.SubElement(element, "responserequired").text = "1"
        ET.SubElement(element, "responsefieldlines").text = "10"
        ET.SubElement(element, "attachments").text = "0"
        rubric = "\n".join(f"- {r.criterion} ({r.points:g} points)" for r in answer.rubric)
        model = f"\n\nModel answer: {answer.model_answer}" if answer.model_answer else ""
        _text(element, "graderinfo", to_html(f"Rubric:\n\n{rubric}{model}"))
        _text(element, "responsetemplate", "")


def question_element(parent: ET.Element, rendered: Rendered, name: str | None = None) -> ET.Element:
    """Append ``rendered`` as a ``<question>`` to ``parent``."""
    q = rendered.question
    element = ET.SubElement(parent, "question", {"type": MOODLE_TYPES[q.type]})
    ET.SubElement(ET.SubElement(element, "name"), "text").text = name or q.id
    text = rendered.text
    if isinstance(q.answer, OrderingAnswer):
        text += "\n\n" + ordering_prompt(len(q.answer.order))
    _text(element, "questiontext", to_html(f"**{rendered.title}**\n\n{text}"))
    _text(element, "generalfeedback", to_html(q.feedback))
    ET.SubElement(element, "defaultgrade").text = f"{q.points:g}"
    ET.SubElement(element, "penalty").text = "0"
    ET.SubElement(element, "hidden").text = "0"
    ET.SubElement(element, "idnumber").text = q.id
    _answers(element, rendered)
    tags = ET.SubElement(element, "tags")
    for tag in q.tags:
        ET.SubElement(ET.SubElement(tags, "tag"), "text").text = tag
    return element


def write_moodle_xml(questions: Iterable[Question], variants: int = 10) -> str:
    """The Moodle XML document of ``questions``; parametrized ones as ``variants`` variants each."""
    root = ET.Element("quiz")
    current = ""
    parametrized: list[Question] = []
    for question in sorted(questions, key=lambda q: (category_of(q), q.id)):
        if question.parametrized:
            parametrized.append(question)
            continue
        if category_of(question) != current:
            current = category_of(question)
            _category(root, current)
        question_element(root, fixed_variant(question))
    for question in parametrized:
        _category(root, f"$course$/top/dlgrade/variants/{question.id}")
        for k in range(variants):
            rendered = render(question, derive_seed("moodle-variant", question.id, k), shuffle_choices=False)
            element = question_element(root, rendered, name=f"{question.id} (variant {k + 1})")
            idnumber = element.find("idnumber")
            assert idnumber is not None
            idnumber.text = f"{question.id}-v{k + 1}"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
