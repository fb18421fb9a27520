"""Item analysis: Moodle's formulas against numpy/scipy, poor-item flags, the real store, the CLI."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.stats
from click.testing import CliRunner
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quizzes.bank import Bank
from quizzes.quiz import Quiz, build_paper, grade_paper, load_quiz
from quizzes.scoring import grade_essay
from quizzes.stats import (
    GradedAttempt,
    StatsError,
    Thresholds,
    analyse,
    flags_of,
    item_statistics,
    quiz_statistics,
    random_guess_score,
    select_attempts,
    summary_statistics,
)
from quizzes.store import SqlAttemptStore
from tests.grader.conftest import postgres_database, require_postgres

NOW = datetime(2025, 3, 1, 10, 0, 0)

QUIZ_YAML = """\
title: Stats test
questions:
  - id: minibatch-count
  - id: dead-relu
  - id: never-sigmoid-hidden
  - id: autoencoder-definition
  - id: bigger-networks-then-shrink
"""
ESSAY = "bigger-networks-then-shrink"


# ---------------------------------------------------------------- helpers shared with test_regrade


def write_quiz(folder: Path, text: str = QUIZ_YAML, quiz_id: str = "stats-test") -> Quiz:
    """A quiz file in ``folder`` (created), loaded."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{quiz_id}.yaml"
    path.write_text(text)
    return load_quiz(path)


def take_quiz(
    store: SqlAttemptStore, quiz: Quiz, bank: Bank, student: str, answer: dict[str, Any], grade: bool = True
) -> None:
    """``student`` starts, answers (``answer[qid]``: a response, or "right"/None) and submits; graded."""
    attempt = store.start(quiz, student, NOW)
    paper = build_paper(quiz, bank, student, attempt.number)
    for item in paper.items:
        response = answer.get(item.rendered.id)
        if response == "right":
            response = item.rendered.correct_response()
        if response is not None:
            store.save_response(attempt, item.rendered.id, response, NOW, 1)
    attempt = store.submit(attempt, NOW)
    if grade:
        store.record_result(attempt, grade_paper(paper, attempt.responses))


def ability_answers(ability: int, questions: list[str]) -> dict[str, Any]:
    """A student of ``ability`` k gets the first k questions right (a Guttman pattern)."""
    return {qid: ("right" if k < ability else None) for k, qid in enumerate(questions)}


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqlAttemptStore]:
    with SqlAttemptStore(f"sqlite:///{tmp_path / 'gradebook.db'}") as store:
        yield store


# ---------------------------------------------------------------- formulas against numpy / scipy

marks_matrices = st.integers(4, 25).flatmap(
    lambda s: st.integers(2, 6).flatmap(
        lambda p: arrays(np.float64, (s, p), elements=st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0]))
    )
)


@given(marks_matrices)
def test_summary_statistics_match_numpy_and_scipy(matrix: np.ndarray) -> None:
    totals = matrix.sum(axis=1)
    assume(np.var(totals) > 1e-9)
    got = summary_statistics(totals, matrix)
    p = matrix.shape[1]
    assert got["mean"] == pytest.approx(np.mean(totals))
    assert got["median"] == pytest.approx(np.median(totals))
    assert got["sd"] == pytest.approx(np.std(totals, ddof=1))
    # Moodle's k3/k2^1.5 and k4/k2^2 are the bias-corrected G1 and G2 of scipy.
    assert got["skewness"] == pytest.approx(scipy.stats.skew(totals, bias=False), rel=1e-6, abs=1e-9)
    assert got["kurtosis"] == pytest.approx(scipy.stats.kurtosis(totals, bias=False), rel=1e-6, abs=1e-9)
    # Cronbach's alpha from the item covariance matrix: the sum of all its entries is var(X).
    cov = np.cov(matrix, rowvar=False, ddof=1)
    alpha = p / (p - 1) * (1 - np.trace(cov) / cov.sum())
    assert got["cic"] == pytest.approx(100 * alpha, rel=1e-6, abs=1e-6)
    assert got["error_ratio"] == pytest.approx(100 * math.sqrt(max(0.0, 1 - alpha)), rel=1e-6, abs=1e-6)
    assert got["standard_error"] == pytest.approx(
        math.sqrt(max(0.0, 1 - alpha)) * np.std(totals, ddof=1), rel=1e-6, abs=1e-6
    )


@given(marks_matrices, st.data())
def test_item_statistics_match_numpy(matrix: np.ndarray, data: st.DataObject) -> None:
    totals = matrix.sum(axis=1)
    j = data.draw(st.integers(0, matrix.shape[1] - 1))
    x, rest = matrix[:, j], totals - matrix[:, j]
    got = item_statistics(x, totals, 2.0)
    assert got["facility"] is not None and 0 <= got["facility"] <= 100
    assert got["facility"] == pytest.approx(100 * x.mean() / 2.0)
    assert got["sd"] == pytest.approx(100 * np.std(x, ddof=1) / 2.0)
    if np.var(x) > 0 and np.var(rest) > 0:
        assert got["discrimination_index"] == pytest.approx(100 * np.corrcoef(x, rest)[0, 1], abs=1e-6)
        cov_max = np.cov(np.sort(x), np.sort(rest), ddof=1)[0, 1]
        expected = 100 * np.cov(x, rest, ddof=1)[0, 1] / cov_max
        assert got["discriminative_efficiency"] == pytest.approx(expected, abs=1e-6)
        assert got["discriminative_efficiency"] <= 100 + 1e-9  # cov(x, R) <= cov of the sorted pairs
    else:
        assert got["discrimination_index"] is None


@given(arrays(np.float64, st.integers(3, 30), elements=st.integers(0, 20).map(float)))
def test_question_everyone_gets_right_is_flagged(rest: np.ndarray) -> None:
    x = np.full(len(rest), 3.0)
    got = item_statistics(x, x + rest, 3.0)
    assert got["facility"] == 100
    flags, severity = flags_of(got, Thresholds())
    assert severity == "warning" and any("facility 100.0% > 95%" in f for f in flags)
    assert any("same mark" in f for f in flags)


@given(st.lists(st.integers(0, 50), min_size=4, max_size=40, unique=True), st.floats(0.2, 0.8))
def test_perfectly_discriminating_item(rest_scores: list[int], cut: float) -> None:
    rest = np.array(sorted(rest_scores), dtype=float)
    k = max(1, min(len(rest) - 1, int(len(rest) * cut)))
    x = np.array([0.0] * k + [1.0] * (len(rest) - k))  # right exactly for the best students
    got = item_statistics(x, x + rest, 1.0)
    assert got["discriminative_efficiency"] == pytest.approx(100)  # as good as these marks allow
    assert got["discrimination_index"] is not None and got["discrimination_index"] > 0
    assert flags_of(got, Thresholds())[1] != "red"
    reversed_got = item_statistics(1.0 - x, 1.0 - x + rest, 1.0)  # right exactly for the worst
    assert reversed_got["discrimination_index"] is not None and reversed_got["discrimination_index"] < 0
    flags, severity = flags_of(reversed_got, Thresholds())
    assert severity == "red" and any("better students do worse" in f for f in flags)


def test_random_guess_scores(bank: Bank) -> None:
    single = bank.get("dead-relu")
    assert random_guess_score(single) == pytest.approx(1 / len(single.choices))
    assert random_guess_score(bank.get("never-sigmoid-hidden")) == 0.5
    assert random_guess_score(bank.get("minibatch-count")) == 0.0
    assert random_guess_score(bank.get(ESSAY)) is None
    matching = bank.get("activation-ranges")
    assert random_guess_score(matching) == pytest.approx(1 / 4)  # 3 pairs + 1 distractor


def test_select_attempts_first_last_highest_all() -> None:
    def attempt(student: str, number: int, mark: float) -> GradedAttempt:
        return GradedAttempt(student, number, {"q": mark}, {"q": 1.0}, ("q",))

    attempts = [attempt("a", 1, 0.0), attempt("a", 2, 1.0), attempt("a", 3, 0.5), attempt("b", 1, 0.5)]
    assert [(a.student_id, a.number) for a in select_attempts(attempts)] == [("a", 1), ("b", 1)]
    assert [a.number for a in select_attempts(attempts, "last")] == [3, 1]
    assert [a.number for a in select_attempts(attempts, "highest")] == [2, 1]
    assert len(select_attempts(attempts, "all")) == 4


# ---------------------------------------------------------------- the real store


def _fill(store: SqlAttemptStore, quiz: Quiz, bank: Bank) -> list[str]:
    order = ["minibatch-count", "dead-relu", "never-sigmoid-hidden", "autoencoder-definition"]
    for ability in range(9):
        take_quiz(store, quiz, bank, f"s{ability}", ability_answers(ability % 5, order))
    take_quiz(store, quiz, bank, "late", {}, grade=False)  # submitted, never scored: graded now
    store.start(quiz, "open", NOW)  # not submitted: not counted
    return order


def _check_against_store(stats: Any, store: SqlAttemptStore, quiz: Quiz) -> None:
    """The statistics recomputed here from the stored item scores."""
    results = [r for r in store.results(quiz.id) if r.attempt.submitted_at is not None]
    marks = {r.attempt.student_id: {s.question_id: s.points for s in r.scores} for r in results}
    marks["late"] = {q.question_id: 0.0 for q in stats.questions}
    totals = np.array([sum(m.values()) for _, m in sorted(marks.items())])
    assert stats.attempts == 10 and list(stats.totals) == pytest.approx(list(totals))
    assert stats.mean == pytest.approx(totals.mean()) and stats.sd == pytest.approx(np.std(totals, ddof=1))
    for q in stats.questions:
        x = np.array([m[q.question_id] for _, m in sorted(marks.items())])
        assert q.attempts == 10 and q.facility == pytest.approx(100 * x.mean() / q.max_mark)
        if q.discrimination_index is not None:
            assert q.discrimination_index == pytest.approx(100 * np.corrcoef(x, totals - x)[0, 1])


def test_statistics_from_the_sqlite_store(tmp_path: Path, sqlite_store: SqlAttemptStore, bank: Bank) -> None:
    quiz = write_quiz(tmp_path / "quizzes")
    _fill(sqlite_store, quiz, bank)
    stats = quiz_statistics(quiz, bank, sqlite_store)
    _check_against_store(stats, sqlite_store, quiz)
    by_id = {q.question_id: q for q in stats.questions}
    assert by_id[ESSAY].facility == 0 and by_id[ESSAY].poor  # nobody graded the essay yet
    # Guttman pattern: the easiest question (answered by abilities >= 1) discriminates positively.
    assert by_id["minibatch-count"].discrimination_index > 0
    assert stats.positions == 5 and stats.cic is not None
    assert sum(q.intended_weight for q in stats.questions) == pytest.approx(100)


def test_statistics_use_stored_manual_essay_grades(
    tmp_path: Path, sqlite_store: SqlAttemptStore, bank: Bank
) -> None:
    quiz = write_quiz(tmp_path / "quizzes")
    for k in range(4):
        take_quiz(sqlite_store, quiz, bank, f"s{k}", {ESSAY: "my essay"})
    for result in sqlite_store.results(quiz.id):
        paper = build_paper(quiz, bank, result.attempt.student_id)
        rendered = paper.item(ESSAY).rendered
        rubric = rendered.question.answer.rubric  # type: ignore[union-attr]
        essay = grade_essay(rendered, {rubric[0].criterion: rubric[0].points})
        scores = tuple(essay if s.question_id == ESSAY else s for s in result.scores)
        sqlite_store.record_result(result.attempt, type(grade_paper(paper, {}))(scores))
    by_id = {q.question_id: q for q in quiz_statistics(quiz, bank, sqlite_store).questions}
    expected = 100 * rubric[0].points / bank.get(ESSAY).points
    assert by_id[ESSAY].facility == pytest.approx(expected)


def test_statistics_from_the_postgresql_store(tmp_path: Path, bank: Bank) -> None:
    require_postgres()
    quiz = write_quiz(tmp_path / "quizzes")
    with postgres_database() as url, SqlAttemptStore(url) as store:
        _fill(store, quiz, bank)
        _check_against_store(quiz_statistics(quiz, bank, store), store, quiz)


def test_no_submitted_attempt_is_an_error(tmp_path: Path, sqlite_store: SqlAttemptStore, bank: Bank) -> None:
    quiz = write_quiz(tmp_path / "quizzes")
    with pytest.raises(StatsError, match="no submitted attempt"):
        quiz_statistics(quiz, bank, sqlite_store)


def test_analyse_flags_a_miskeyed_question(bank: Bank, tmp_path: Path) -> None:
    quiz = write_quiz(tmp_path / "quizzes")
    graded = []
    for k in range(10):
        good = k >= 5
        marks = {"minibatch-count": float(good), "dead-relu": float(not good), "never-sigmoid-hidden": 1.0}
        marks |= {"autoencoder-definition": float(k >= 3), ESSAY: float(k >= 7)}
        graded.append(GradedAttempt(f"s{k}", 1, marks, dict.fromkeys(marks, 1.0), tuple(marks)))
    stats = analyse(quiz, bank, graded)
    poor = {q.question_id: q for q in stats.poor}
    assert poor["dead-relu"].severity == "red" and stats.poor[0].severity == "red"
    assert "never-sigmoid-hidden" in poor and "autoencoder-definition" not in poor


# ---------------------------------------------------------------- CLI


def test_cli_stats_json_table_and_plot(tmp_path: Path, sqlite_store: SqlAttemptStore, bank: Bank) -> None:
    import click

    from grader.quizstats_cli import register

    quizzes = tmp_path / "quizzes"
    quiz = write_quiz(quizzes)
    _fill(sqlite_store, quiz, bank)
    group = click.Group("quiz")
    register(group)
    runner = CliRunner()
    args = ["stats", quiz.id, "--db", sqlite_store.db_url, "--quizzes", str(quizzes)]
    plot = tmp_path / "stats.png"
    result = runner.invoke(group, [*args, "--json", "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["attempts"] == 10 and ESSAY in data["poor"] and data["plot"] == str(plot)
    assert {q["question_id"] for q in data["questions"]} == {
        "minibatch-count",
        "dead-relu",
        "never-sigmoid-hidden",
        "autoencoder-definition",
        ESSAY,
    }
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    height, width = matplotlib.image.imread(plot).shape[:2]
    assert width == 1600 and height >= 400

    table = runner.invoke(group, args)
    assert table.exit_code == 0, table.output
    assert "coefficient of internal consistency" in table.output and "flagged as poor" in table.output
    assert f"{ESSAY} (" in table.output and "facility 0.0% < 5%" in table.output

    missing = runner.invoke(group, ["stats", "no-such-quiz", "--db", sqlite_store.db_url])
    assert missing.exit_code == 1 and "Error: no quiz 'no-such-quiz'" in missing.output
    empty = runner.invoke(group, ["stats", quiz.id, "--db", f"sqlite:///{tmp_path / 'empty.db'}", *args[4:]])
    assert empty.exit_code == 1 and "no submitted attempt" in empty.output


def test_cli_stats_reads_the_attempts_of_the_environment_or_the_course(tmp_path: Path, bank: Bank) -> None:
    """Without --db: $DLGRADE_DB, else the course's c.CourseDirectory.db_url, else COURSE/gradebook.db;
    without --course-id: the course's id (the hub's quiz page records attempts under it)."""
    import click

    from grader.quizstats_cli import register

    quizzes = tmp_path / "quizzes"
    quiz = write_quiz(quizzes)
    configured = f"sqlite:///{tmp_path / 'configured.db'}"
    with SqlAttemptStore(configured, "dl2026") as store:
        _fill(store, quiz, bank)
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        'c.CourseDirectory.course_id = "dl2026"\n'
        f"c.CourseDirectory.db_url = {configured!r}\n"
    )
    plain = tmp_path / "plain"
    plain.mkdir()
    group = click.Group("quiz")
    register(group)
    runner = CliRunner(env={"DLGRADE_DB": None, "DLGRADE_COURSE": None})
    args = ["stats", quiz.id, "--quizzes", str(quizzes), "--json"]

    def attempts(*extra: str, env: dict[str, str] | None = None) -> int | str:
        result = runner.invoke(group, [*args, *extra], env=env)
        if result.exit_code != 0:
            assert result.exit_code == 1 and result.output.startswith("Error: "), result.output
            return result.output
        return int(json.loads(result.output)["attempts"])

    assert attempts("--course", str(course)) == 10
    from_env = {"DLGRADE_DB": configured}
    assert attempts("--course", str(plain), "--course-id", "dl2026", env=from_env) == 10
    # A folder that is not a course: course id "default", and its own gradebook.db.
    assert "no submitted attempt" in str(attempts("--course", str(plain), env=from_env))
    assert "no submitted attempt" in str(attempts("--course", str(plain)))
    assert (plain / "gradebook.db").exists()
    # The environment and the options win over the course's settings.
    empty = {"DLGRADE_DB": f"sqlite:///{tmp_path / 'empty.db'}"}
    assert "no submitted attempt" in str(attempts("--course", str(course), env=empty))
    assert "no submitted attempt" in str(attempts("--course", str(course), "--course-id", "other"))
