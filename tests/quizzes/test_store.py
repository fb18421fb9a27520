"""SqlAttemptStore on SQLite and PostgreSQL: the engine's protocol, races, revisions, deadlines, results."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from quizzes.bank import Bank
from quizzes.quiz import (
    Quiz,
    QuizError,
    build_paper,
    grade_paper,
    load_quiz,
    save_response,
    start_attempt,
    submit_attempt,
)
from quizzes.store import QuizClosedError, SqlAttemptStore
from tests.grader.conftest import BACKENDS, postgres_database, require_postgres, sqlite_url

T0 = datetime(2026, 3, 2, 9, 0, 0)
QUESTIONS = ["autoencoder-definition", "conv-output-size", "adam-defaults"]


def write_quiz(directory: Path, quiz_id: str = "pop", **fields: object) -> Quiz:
    data = {"title": "Pop quiz", "questions": [{"id": q} for q in QUESTIONS], **fields}
    path = directory / f"{quiz_id}.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_quiz(path)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    require_postgres()
    with postgres_database("dlgrade_quiz_test") as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[SqlAttemptStore]:
    with SqlAttemptStore(store_url, course_id="dl101") as opened:
        yield opened


@pytest.fixture
def quiz(tmp_path: Path) -> Quiz:
    return write_quiz(tmp_path, time_limit_s=60, grace_s=5, attempts=2)


def test_the_engine_runs_on_the_store(store, quiz, bank: Bank):
    attempt = start_attempt(store, quiz, "ana", T0)
    attempt = save_response(store, attempt, "conv-output-size", "7", T0 + timedelta(seconds=3))
    attempt = save_response(store, attempt, "autoencoder-definition", "b", T0 + timedelta(seconds=4))
    attempt = submit_attempt(store, attempt, T0 + timedelta(seconds=10))
    (stored,) = store.attempts("pop", "ana")
    assert stored == attempt
    assert stored.responses == {"conv-output-size": "7", "autoencoder-definition": "b"}
    assert stored.submitted_at == T0 + timedelta(seconds=10)
    # The engine's save replaces the attempt: a response it no longer holds is gone.
    store.save(type(stored)(**{**stored.__dict__, "responses": {"conv-output-size": 8}}))
    assert store.attempts("pop", "ana")[0].responses == {"conv-output-size": 8}
    assert store.attempts("pop", "bob") == []
    # Another course in the same database sees nothing of this one.
    other = SqlAttemptStore(store.db_url, course_id="other")
    try:
        assert other.attempts("pop", "ana") == []
    finally:
        other.close()


def test_concurrent_starts_give_one_attempt(store, quiz):
    barrier = threading.Barrier(6)
    got: list[int] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait()
            got.append(store.start(quiz, "ana", T0, max_score=4.0).number)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and got == [1] * 6
    assert store.count_rows("pop") == (1, 0)


def test_revisions_are_idempotent_and_never_go_back(store, quiz):
    attempt = store.start(quiz, "ana", T0)
    at = T0 + timedelta(seconds=1)
    assert store.save_response(attempt, "conv-output-size", "5", at, revision=2).stored
    again = store.save_response(attempt, "conv-output-size", "5", at, revision=2)
    assert again.stored and again.revision == 2
    older = store.save_response(attempt, "conv-output-size", "4", at, revision=1)
    assert not older.stored and older.revision == 2
    assert store.save_response(attempt, "conv-output-size", "6", at, revision=3).stored
    assert store.attempt("pop", "ana", 1).responses == {"conv-output-size": "6"}
    assert store.count_rows("pop") == (1, 1)


def test_racing_saves_keep_the_newest_revision_and_one_row(store, quiz):
    attempt = store.start(quiz, "ana", T0)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def saves(offset: int) -> None:
        try:
            barrier.wait()
            for k in range(offset, 40, 4):
                store.save_response(attempt, "conv-output-size", str(k), T0, revision=k)
                store.save_response(attempt, f"q{offset}", {"k": k}, T0, revision=k)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=saves, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    responses = store.attempt("pop", "ana", 1).responses
    assert responses["conv-output-size"] == "39"
    assert {responses[f"q{i}"]["k"] for i in range(4)} == {36, 37, 38, 39}
    assert store.count_rows("pop") == (1, 5)


def test_the_deadline_is_the_servers(store, quiz):
    attempt = store.start(quiz, "ana", T0)
    hard = attempt.hard_deadline  # 60 s + 5 s grace
    store.save_response(attempt, "conv-output-size", "5", hard, revision=1)  # still in grace
    with pytest.raises(QuizClosedError, match="the time was up at 2026-03-02 09:01:00 UTC"):
        store.save_response(attempt, "conv-output-size", "6", hard + timedelta(seconds=1), revision=2)
    # Submitting late closes the attempt at the hard deadline; nothing is accepted after.
    submitted = store.submit(attempt, hard + timedelta(minutes=5))
    assert submitted.submitted_at == hard and submitted.responses == {"conv-output-size": "5"}
    assert store.submit(attempt, hard + timedelta(minutes=9)).submitted_at == hard
    with pytest.raises(QuizClosedError, match="already submitted"):
        store.save_response(attempt, "adam-defaults", "a", T0, revision=3)


def test_attempts_are_counted_and_a_second_one_opens_after_submission(store, quiz):
    first = store.start(quiz, "ana", T0)
    assert store.start(quiz, "ana", T0 + timedelta(seconds=5)) == first
    store.submit(first, T0 + timedelta(seconds=6))
    second = store.start(quiz, "ana", T0 + timedelta(seconds=7))
    assert second.number == 2 and second.started_at == T0 + timedelta(seconds=7)
    store.submit(second, T0 + timedelta(seconds=8))
    with pytest.raises(QuizError, match="used all 2 attempt"):
        store.start(quiz, "ana", T0 + timedelta(seconds=9))
    # An attempt past its deadline but not closed yet is handed back for the server to close.
    late = store.start(quiz, "bob", T0)
    assert store.start(quiz, "bob", T0 + timedelta(hours=1)) == late
    assert [a.student_id for a in store.open_attempts("pop")] == ["bob"]


def test_results_record_and_regrade(store, quiz, bank: Bank):
    paper = build_paper(quiz, bank, "ana")
    attempt = store.start(quiz, "ana", T0, max_score=paper.max_points)
    right = {item.rendered.id: item.rendered.correct_response() for item in paper.items}
    for k, (qid, response) in enumerate(right.items()):
        store.save_response(attempt, qid, response, T0, revision=k + 1)
    with pytest.raises(QuizError, match="not submitted"):
        store.record_result(attempt, grade_paper(paper, right))
    submitted = store.submit(attempt, T0 + timedelta(seconds=30))
    assert submitted.responses == right
    store.record_result(submitted, grade_paper(paper, submitted.responses))
    (result,) = store.results("pop")
    assert (result.status, result.score, result.max_score) == ("graded", paper.max_points, paper.max_points)
    assert {s.question_id for s in result.scores} == set(right) and result.graded_at is not None
    # Regrading replaces the item scores and the total.
    store.record_result(submitted, grade_paper(paper, {}))
    (result,) = store.results("pop")
    assert result.score == 0.0 and len(result.scores) == len(paper.items)
    assert all(s.status == "unanswered" and s.feedback for s in result.scores)
    assert [a.student_id for a in store.attempts_of_quiz("pop")] == ["ana"]
    assert result.as_dict()["answered"] == len(right)
