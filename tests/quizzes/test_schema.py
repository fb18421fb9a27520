"""Loading question files: every error names the file and the field."""

from __future__ import annotations

import re

import pytest

from quizzes.schema import (
    EssayAnswer,
    NumericAnswer,
    QuestionError,
    ShortAnswer,
    load_question,
)

GOOD = {
    "type": "numeric",
    "title": "Output size",
    "text": "Input {n}, filter {f}.",
    "tags": ["cnn"],
    "points": 1,
    "feedback": "The formula is floor((n + 2p - f)/s) + 1, do not forget the +1.",
    "params": {"n": {"range": [5, 10]}, "f": {"choices": [1, 3]}},
    "answer": {"value": "n - f + 1"},
}


def test_a_good_file_loads_into_dataclasses(write_question):
    q = load_question(write_question("conv", GOOD))
    assert q.id == "conv" and q.type == "numeric" and q.parametrized
    assert isinstance(q.answer, NumericAnswer) and q.answer.value.names == {"n", "f"}
    assert [p.name for p in q.params] == ["n", "f"] and q.params[0].values == (5, 6, 7, 8, 9, 10)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"answer": {"value": 3, "tolerance": -1}}, "answer.tolerance", "must be >= 0"),
        ({"points": 0}, "points", "must be > 0"),
        ({"type": "slider"}, "type", "must be one of"),
        ({"title": 3}, "title", "must be of type string"),
        ({"colour": "red"}, "", "unknown field(s) colour"),
        ({"tags": ["Not A Tag"]}, "tags[0]", "does not match"),
        ({"answer": {"value": "n + m"}}, "answer.value", "unknown name(s) m"),
        ({"answer": {"value": "n.__class__"}}, "answer.value", "Attribute is not allowed"),
        ({"answer": {"value": 1, "margin": 2}}, "answer", "unknown field(s) margin"),
        ({"params": {"n": {"range": [10, 5]}, "f": {"choices": [1]}}}, "params.n.range", "low, high"),
        (
            {"params": {"n": {"range": [1, 5]}, "f": {"choices": [1]}, "g": {"choices": [2]}}},
            "params.g",
            "never shown",
        ),
        ({"constraints": ["n >"]}, "constraints[0]", "not a valid expression"),
        ({"id": "other"}, "id", "must equal the file name"),
    ],
)
def test_errors_name_file_and_field(write_question, change, field, message):
    data = {**GOOD, **change}
    data = {k: v for k, v in data.items() if v is not None}
    path = write_question("conv", data)
    with pytest.raises(QuestionError) as info:
        load_question(path)
    text = str(info.value)
    assert text.startswith(f"{path}: "), text
    if field:
        assert text.startswith(f"{path}: {field}: "), text
    assert message in text


def test_missing_required_field(write_question):
    data = {k: v for k, v in GOOD.items() if k != "feedback"}
    with pytest.raises(QuestionError, match=r"feedback: missing required field"):
        load_question(write_question("conv", data))


def test_not_yaml_and_not_a_mapping(write_question):
    with pytest.raises(Exception, match=r"bad\.yaml: line \d+: not valid YAML"):
        load_question(write_question("bad", "a: [1, 2\n"))
    with pytest.raises(QuestionError, match="must be a YAML mapping"):
        load_question(write_question("list", "- 1\n- 2\n"))


CHOICE = {
    "type": "single",
    "title": "T",
    "text": "Pick one",
    "tags": ["cnn"],
    "points": 1,
    "feedback": "Long enough feedback that teaches something.",
    "choices": [{"text": "a", "correct": True}, {"text": "b"}],
}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"choices": [{"text": "a", "correct": True}, {"text": "b", "correct": True}]},
            "choices",
            "exactly 1 correct",
        ),
        ({"choices": [{"text": "a"}, {"text": "b"}], "type": "multiple"}, "choices", "at least 1 correct"),
        ({"choices": [{"text": "a", "correct": True}, {"text": "a"}]}, "choices", "same text"),
        ({"answer": {"value": 1}}, "answer", "not allowed"),
        ({"partial_credit": "coverage"}, "partial_credit", "only for type multiple"),
        (
            {"type": "multiple", "choices": [{"text": "a", "correct": True, "fraction": 0.5}, {"text": "b"}]},
            "choices",
            "add up to 0.5",
        ),
        (
            {"choices": [{"text": "a", "correct": True}, {"text": "b", "fraction": 0.5}]},
            "choices[1].fraction",
            "exactly when",
        ),
        ({"choices": [{"text": "a", "correct": True}]}, "choices", "minItems|should be non-empty|too short"),
    ],
)
def test_choice_errors(write_question, change, field, message):
    path = write_question("pick", {**CHOICE, **change})
    with pytest.raises(QuestionError) as info:
        load_question(path)
    assert str(info.value).startswith(f"{path}: {field}")
    assert re.search(message, str(info.value)), str(info.value)


def test_other_types_validate(write_question):
    base = {k: v for k, v in CHOICE.items() if k != "choices"}
    short = load_question(
        write_question("s", {**base, "type": "short", "answer": {"accept": ["ReLU"], "patterns": ["re ?lu"]}})
    )
    assert isinstance(short.answer, ShortAnswer) and short.answer.patterns[0].flags & re.IGNORECASE
    with pytest.raises(QuestionError, match=r"answer.patterns\[0\]: not a valid regex"):
        load_question(
            write_question("s2", {**base, "type": "short", "answer": {"accept": ["x"], "patterns": ["("]}})
        )
    essay = {
        **base,
        "type": "essay",
        "points": 3,
        "answer": {"rubric": [{"criterion": "a", "points": 1}, {"criterion": "b", "points": 2}]},
    }
    assert isinstance(load_question(write_question("e", essay)).answer, EssayAnswer)
    with pytest.raises(
        QuestionError, match=r"answer.rubric: rubric points add up to 3, not the question's 4"
    ):
        load_question(write_question("e2", {**essay, "points": 4}))
    matching = {
        **base,
        "type": "matching",
        "answer": {"pairs": [{"left": "a", "right": "1"}, {"left": "b", "right": "2"}]},
    }
    with pytest.raises(QuestionError, match="at least 3 right sides"):
        load_question(write_question("m", matching))
    with pytest.raises(QuestionError, match=r"answer\.order: needs at least 3"):
        load_question(write_question("o", {**base, "type": "ordering", "answer": {"order": ["a", "b"]}}))
    with pytest.raises(QuestionError, match="params: only numeric"):
        load_question(
            write_question(
                "p",
                {**base, "type": "truefalse", "answer": {"value": True}, "params": {"n": {"range": [1, 2]}}},
            )
        )
