"""Quiz files, attempt papers, time limits, attempts and feedback policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from quizzes import QUIZZES_DIR
from quizzes.quiz import (
    MemoryAttemptStore,
    QuizError,
    build_paper,
    feedback_visible,
    find_quiz,
    grade_paper,
    load_quiz,
    parse_quiz,
    save_response,
    start_attempt,
    submit_attempt,
)
from quizzes.schema import QuestionError

T0 = datetime(2026, 5, 17, 18, 0, tzinfo=UTC)


def write_quiz(tmp_path, data, name="demo"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_quiz(path)


def test_defaults(tmp_path):
    quiz = write_quiz(tmp_path, {"title": "Demo", "questions": [{"id": "dropout-phase"}]})
    assert quiz.time_limit_s == 360 and quiz.grace_s == 30 and quiz.attempts == 1
    assert quiz.feedback == "after-close" and quiz.shuffle_questions and quiz.shuffle_choices


def test_every_shipped_quiz_builds_papers(bank):
    paths = sorted(QUIZZES_DIR.glob("*.yaml"))
    weeks = {load_quiz(p).week for p in paths}
    assert {1, 5, 6, 7} <= weeks  # every week of the seeds
    for path in paths:
        quiz = load_quiz(path)
        paper = build_paper(quiz, bank, "alice")
        assert 4 <= len(paper.items) <= 6
        ids = [i.rendered.id for i in paper.items]
        assert len(set(ids)) == len(ids)


def test_papers_are_deterministic_and_differ_between_students(bank):
    quiz = find_quiz("week-05")
    a = build_paper(quiz, bank, "alice")
    assert build_paper(quiz, bank, "alice") == a
    others = [build_paper(quiz, bank, f"student-{i}") for i in range(10)]
    assert len({tuple(i.rendered.id for i in p.items) for p in others}) > 1  # order and alternatives vary
    assert build_paper(quiz, bank, "alice", attempt=2) != a


def test_pools_alternatives_and_points(tmp_path, bank):
    data = {
        "title": "Pools",
        "shuffle_questions": False,
        "questions": [
            {"id": "conv-output-size", "points": 3},
            {"pool": {"tag": "cnn", "count": 3, "types": ["single", "truefalse"]}},
            {"one_of": ["dropout-phase", "dropout-vs-l2-similar"]},
        ],
    }
    quiz = write_quiz(tmp_path, data)
    paper = build_paper(quiz, bank, "bob")
    assert paper.items[0].rendered.id == "conv-output-size" and paper.items[0].points == 3
    pooled = paper.items[1:4]
    assert all(
        "cnn" in i.rendered.question.tags and i.rendered.question.type in ("single", "truefalse")
        for i in pooled
    )
    assert paper.items[4].rendered.id in ("dropout-phase", "dropout-vs-l2-similar")
    responses = {i.rendered.id: i.rendered.correct_response() for i in paper.items}
    result = grade_paper(paper, responses)
    assert result.points == result.max_points == paper.max_points == 3 + 3 + 1
    assert grade_paper(paper, {}).points == 0


@pytest.mark.parametrize(
    ("slot", "message"),
    [
        ({"id": "no-such-question"}, r"questions\[0\]: no question 'no-such-question'"),
        (
            {"pool": {"tag": "gans", "count": 50}},
            r"questions\[0\].pool: tag 'gans' has \d+ questions, 50 needed",
        ),
        ({"pool": {"tag": "nonsense"}}, r"questions\[0\].pool.tag: unknown tag"),
        ({"id": "dropout-phase", "one_of": ["a", "b"]}, r"questions\[0\]: needs exactly one of"),
    ],
)
def test_bad_quizzes_name_file_and_field(tmp_path, bank, slot, message):
    with pytest.raises(QuestionError, match=message):
        quiz = write_quiz(tmp_path, {"title": "Bad", "questions": [slot]})
        build_paper(quiz, bank, "alice")


def test_quiz_schema_errors(tmp_path):
    with pytest.raises(QuestionError, match=r"demo.yaml: time_limit_s: must be >= 30"):
        parse_quiz(tmp_path / "demo.yaml", {"title": "x", "time_limit_s": 5, "questions": [{"id": "a"}]})
    with pytest.raises(QuestionError, match=r"feedback: must be one of"):
        parse_quiz(
            tmp_path / "demo.yaml", {"title": "x", "feedback": "sometimes", "questions": [{"id": "a"}]}
        )


def test_time_limit_extra_time_grace_and_attempts(tmp_path):
    quiz = write_quiz(
        tmp_path,
        {"title": "T", "attempts": 2, "extra_time_s": {"carol": 120}, "questions": [{"id": "dropout-phase"}]},
    )
    store = MemoryAttemptStore()
    attempt = start_attempt(store, quiz, "carol", T0)
    assert attempt.time_allowed_s == 480 and attempt.deadline == T0 + timedelta(seconds=480)
    assert start_attempt(store, quiz, "carol", T0 + timedelta(seconds=10)) == attempt  # still open: resumed
    attempt = save_response(store, attempt, "dropout-phase", "a", T0 + timedelta(seconds=500))  # within grace
    assert store.attempts(quiz.id, "carol")[0].responses == {"dropout-phase": "a"}
    with pytest.raises(QuizError, match="closed"):
        save_response(store, attempt, "dropout-phase", "b", T0 + timedelta(seconds=511))
    late = submit_attempt(store, attempt, T0 + timedelta(hours=1))
    assert late.submitted_at == attempt.hard_deadline
    second = start_attempt(store, quiz, "carol", T0 + timedelta(hours=2))
    assert second.number == 2 and second.time_allowed_s == 480
    submit_attempt(store, second, T0 + timedelta(hours=2, minutes=1))
    with pytest.raises(QuizError, match="all 2 attempt"):
        start_attempt(store, quiz, "carol", T0 + timedelta(hours=3))
    assert start_attempt(store, quiz, "dave", T0).time_allowed_s == 360


@pytest.mark.parametrize(
    ("policy", "submitted", "closed", "visible"),
    [
        ("immediately", True, False, True),
        ("immediately", False, False, False),
        ("after-close", True, False, False),
        ("after-close", True, True, True),
        ("never", True, True, False),
    ],
)
def test_feedback_policy(tmp_path, policy, submitted, closed, visible):
    quiz = write_quiz(tmp_path, {"title": "T", "feedback": policy, "questions": [{"id": "dropout-phase"}]})
    assert feedback_visible(quiz, submitted, closed) is visible


def test_unknown_quiz():
    with pytest.raises(Exception, match=r"no quiz 'week-99'.*known: .*week-05"):
        find_quiz("week-99")
