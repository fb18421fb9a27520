"""Scoring every type and every partial-credit rule; invariants checked with Hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizzes.bank import load_bank
from quizzes.scoring import grade_essay, multiple_fraction, score
from quizzes.variants import render

from .conftest import BASE, choice_question, make_question

BANK_IDS = sorted(load_bank().questions)


def rendered(data, seed=0):
    return render(make_question(data), seed)


# 5 choices, a and c correct (c = 2 correct, 3 wrong)
@pytest.mark.parametrize(
    ("rule", "selected", "expected"),
    [
        ("moodle-sum", {"a", "c"}, 1.0),
        ("moodle-sum", {"a"}, 0.5),
        ("moodle-sum", {"a", "b"}, 0.5 - 1 / 3),
        ("moodle-sum", {"a", "b", "d", "e"}, 0.0),  # clamped
        ("moodle-sum", {"a", "b", "c", "d", "e"}, 0.0),
        ("all-or-nothing", {"a", "c"}, 1.0),
        ("all-or-nothing", {"a"}, 0.0),
        ("all-or-nothing", {"a", "c", "d"}, 0.0),
        ("net-correct", {"a"}, 0.5),
        ("net-correct", {"a", "c", "d"}, 0.5),
        ("net-correct", {"a", "b", "d"}, 0.0),
        ("coverage", {"a"}, 0.5 * 1.0),
        ("coverage", {"a", "c", "d"}, 1.0 * 2 / 3),
        ("coverage", {"a", "b"}, 0.5 * 0.5),
        ("each-answer", {"a"}, 4 / 5),
        ("each-answer", {"a", "c", "d"}, 4 / 5),
        ("each-answer", {"b", "d", "e"}, 0.0),
        ("each-answer", {"a", "b", "c", "d", "e"}, 2 / 5),
    ],
)
def test_partial_credit_rules(rule, selected, expected):
    q = choice_question(rule=rule)
    assert multiple_fraction(rule, selected, q) == pytest.approx(expected)
    result = score(render(q, 0), sorted(selected))
    assert result.points == pytest.approx(2 * expected, abs=1e-6)
    assert result.status == "graded"


def test_explicit_moodle_fractions():
    choices = [
        {"text": "a", "correct": True, "fraction": 0.7},
        {"text": "b", "correct": True, "fraction": 0.3},
        {"text": "c", "fraction": -1},
    ]
    q = make_question({**BASE, "type": "multiple", "partial_credit": "moodle-sum", "choices": choices})
    assert multiple_fraction("moodle-sum", {"a"}, q) == pytest.approx(0.7)
    assert multiple_fraction("moodle-sum", {"a", "c"}, q) == 0.0


@st.composite
def choice_cases(draw):
    n = draw(st.integers(2, 8))
    correct = draw(st.sets(st.integers(0, n - 1), min_size=1))
    selected = draw(st.sets(st.sampled_from([chr(ord("a") + i) for i in range(n)])))
    rule = draw(st.sampled_from(["moodle-sum", "all-or-nothing", "net-correct", "coverage", "each-answer"]))
    return choice_question(rule=rule, correct=tuple(correct), n=n), rule, selected


@given(choice_cases())
def test_multiple_invariants(case):
    q, rule, selected = case
    r = render(q, 1)
    result = score(r, sorted(selected))
    assert 0.0 <= result.points <= q.points
    assert score(r, r.correct_response()).points == q.points
    assert score(r, []).points == 0.0
    if rule != "each-answer":  # each-answer credits wrong choices left unselected
        wrong_only = [c.id for c in q.choices if not c.correct]
        assert score(r, wrong_only).points == 0.0


@given(
    qid=st.sampled_from(BANK_IDS),
    seed=st.integers(0, 2**63),
    junk=st.one_of(
        st.none(),
        st.text(max_size=20),
        st.integers(),
        st.floats(allow_nan=True),
        st.booleans(),
        st.lists(st.text(max_size=3), max_size=4),
        st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=3),
    ),
)
def test_bank_invariants(bank, qid, seed, junk):
    r = render(bank.get(qid), seed)
    q = r.question
    full = score(r, r.correct_response())
    if q.type == "essay":
        assert full.status == "needs-grading" and full.points == 0
    else:
        assert full.correct and full.points == q.points
    for empty in (None, "", [], {}):
        assert score(r, empty).points == 0 and score(r, empty).status == "unanswered"
    anything = score(r, junk)  # never raises on student input
    assert 0.0 <= anything.points <= q.points
    assert anything.feedback[-1] == q.feedback


def test_single_and_choice_feedback():
    q = choice_question(qtype="single", correct=(1,), n=3)
    r = render(q, 0)
    assert score(r, "b").points == 2 and score(r, "a").points == 0
    assert score(r, "a").feedback == ("fb0", q.feedback)
    assert score(r, "zz").status == "invalid"
    assert score(r, ["a", "b"]).status == "invalid"


def test_truefalse():
    r = rendered(
        {**BASE, "type": "truefalse", "answer": {"value": False, "wrong_feedback": "No: b is an offset."}}
    )
    assert score(r, False).points == 2 and score(r, "false").points == 2
    wrong = score(r, True)
    assert wrong.points == 0 and wrong.feedback[0] == "No: b is an offset."
    assert score(r, "maybe").status == "invalid"


@pytest.mark.parametrize(
    ("answer", "response", "right"),
    [
        ({"value": 0.25, "tolerance": 0.01}, 0.259, True),
        ({"value": 0.25, "tolerance": 0.01}, "0.261", False),
        ({"value": 0.25, "tolerance": 0.01}, "0,255", True),
        ({"value": 16}, 16, True),
        ({"value": 16}, 16.0000001, False),
        ({"value": 1000, "tolerance": 0.01, "tolerance_type": "rel"}, 1009.9, True),
        ({"value": 1000, "tolerance": 0.01, "tolerance_type": "rel"}, 989, False),
        ({"value": "0.1 + 0.2"}, 0.3, True),  # floating-point noise in the expected value
        ({"value": 16}, "1e1", False),
    ],
)
def test_numeric_tolerance(answer, response, right):
    r = rendered({**BASE, "type": "numeric", "answer": answer})
    assert score(r, response).points == (2 if right else 0)


def test_numeric_junk_is_invalid():
    r = rendered({**BASE, "type": "numeric", "answer": {"value": 1}})
    for junk in ("one", "nan", "inf", True, [1]):
        assert score(r, junk).status == "invalid"


def test_short_answers_ignore_case_and_spaces_by_default():
    r = rendered(
        {
            **BASE,
            "type": "short",
            "answer": {"accept": ["ReLU"], "patterns": [r"rectified\s+linear(\s+unit)?"]},
        }
    )
    for ok in ("ReLU", " relu ", "RELU", "Rectified   Linear Unit", "rectified linear"):
        assert score(r, ok).points == 2, ok
    for bad in ("leaky relu", "re lu", "relu6"):
        assert score(r, bad).points == 0, bad
    sensitive = rendered(
        {
            **BASE,
            "type": "short",
            "answer": {"accept": ["W1"], "patterns": ["W[0-9]"], "case_sensitive": True},
        }
    )
    assert score(sensitive, "W2").points == 2 and score(sensitive, "w1").points == 0


MATCHING = {
    "pairs": [{"left": "a", "right": "1"}, {"left": "b", "right": "2"}, {"left": "c", "right": "3"}],
    "distractors": ["4"],
}


def test_matching_per_item_and_all_or_nothing():
    r = rendered({**BASE, "type": "matching", "answer": MATCHING})
    assert score(r, {"a": "1", "b": "2", "c": "3"}).points == 2
    assert score(r, {"a": "1", "b": "3", "c": "2"}).points == pytest.approx(2 / 3)
    assert score(r, {"a": "4"}).points == 0
    assert sorted(r.options) == ["1", "2", "3", "4"]
    strict = rendered({**BASE, "type": "matching", "answer": {**MATCHING, "partial": "all-or-nothing"}})
    assert score(strict, {"a": "1", "b": "2", "c": "4"}).points == 0
    assert score(r, ["1", "2"]).status == "invalid"


def test_ordering_per_position_and_all_or_nothing():
    r = rendered({**BASE, "type": "ordering", "answer": {"order": ["w", "x", "y", "z"]}})
    assert r.options != ("w", "x", "y", "z")  # never shown already solved
    assert score(r, ["w", "x", "y", "z"]).points == 2
    assert score(r, ["w", "x", "z", "y"]).points == 1
    assert score(r, ["w", "w", "w", "w"]).status == "invalid"
    strict = rendered(
        {**BASE, "type": "ordering", "answer": {"order": ["w", "x", "y", "z"], "partial": "all-or-nothing"}}
    )
    assert score(strict, ["w", "x", "z", "y"]).points == 0


def test_essays_need_manual_grading():
    data = {
        **BASE,
        "type": "essay",
        "points": 3,
        "answer": {"rubric": [{"criterion": "why", "points": 2}, {"criterion": "example", "points": 1}]},
    }
    r = rendered(data)
    result = score(r, "Because dropout...")
    assert result.status == "needs-grading" and result.points == 0 and result.max_points == 3
    assert grade_essay(r, {"why": 5, "example": 0.5}).points == 2.5  # capped per criterion
    with pytest.raises(ValueError, match="unknown rubric"):
        grade_essay(r, {"style": 1})
