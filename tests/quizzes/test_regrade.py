"""Regrading after a question is fixed: a numeric tolerance widened in a copy of the bank, real stores."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from grader.errors import DlgradeError
from quizzes import BANK_DIR
from quizzes.bank import Bank, load_bank
from quizzes.quiz import Quiz, build_paper, grade_paper
from quizzes.regrade import regrade
from quizzes.scoring import grade_essay
from quizzes.store import SqlAttemptStore
from tests.grader.conftest import postgres_database, require_postgres
from tests.quizzes.test_stats import ESSAY, take_quiz, write_quiz

FIXED = "minibatch-count"
OFF_BY_ONE = ("s1", "s3")  # answered the right value + 1: wrong until the tolerance is fixed


@pytest.fixture
def bank_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "bank"
    shutil.copytree(BANK_DIR, folder)
    return folder


def _fill(store: SqlAttemptStore, quiz: Quiz, bank: Bank) -> None:
    for k in range(5):
        student = f"s{k}"
        paper = build_paper(quiz, bank, student)
        value = paper.item(FIXED).rendered.value
        assert value is not None
        numeric = value + 1 if student in OFF_BY_ONE else (value if k % 2 == 0 else value + 7)
        take_quiz(store, quiz, bank, student, {FIXED: numeric, "dead-relu": "right", ESSAY: "an essay"})
    # s0's essay was graded by hand: a regrade must keep it.
    result = next(r for r in store.results(quiz.id) if r.attempt.student_id == "s0")
    paper = build_paper(quiz, bank, "s0")
    rendered = paper.item(ESSAY).rendered
    rubric = rendered.question.answer.rubric  # type: ignore[union-attr]
    essay = grade_essay(rendered, {rubric[0].criterion: rubric[0].points})
    scores = tuple(essay if s.question_id == ESSAY else s for s in result.scores)
    store.record_result(result.attempt, type(grade_paper(paper, {}))(scores))


def _fix_tolerance(bank_dir: Path) -> Bank:
    path = bank_dir / f"{FIXED}.yaml"
    data = yaml.safe_load(path.read_text())
    data["answer"] |= {"tolerance": 1, "tolerance_type": "abs"}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_bank(bank_dir)


def _totals(store: SqlAttemptStore, quiz: Quiz) -> dict[str, float | None]:
    return {r.attempt.student_id: r.score for r in store.results(quiz.id)}


def _essay_points(store: SqlAttemptStore, quiz: Quiz, student: str) -> tuple[float, str]:
    result = next(r for r in store.results(quiz.id) if r.attempt.student_id == student)
    essay = next(s for s in result.scores if s.question_id == ESSAY)
    return essay.points, essay.status


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlAttemptStore]:
    if request.param == "sqlite":
        with SqlAttemptStore(f"sqlite:///{tmp_path / 'gradebook.db'}") as sqlite_store:
            yield sqlite_store
        return
    require_postgres()
    with postgres_database() as url, SqlAttemptStore(url) as pg_store:
        yield pg_store


def test_fixed_tolerance_changes_only_the_affected_students(
    tmp_path: Path, bank_copy: Path, store: SqlAttemptStore
) -> None:
    quiz = write_quiz(tmp_path / "quizzes")
    _fill(store, quiz, load_bank(bank_copy))
    before = _totals(store, quiz)
    manual = _essay_points(store, quiz, "s0")
    assert manual[1] == "graded" and manual[0] > 0

    fixed = _fix_tolerance(bank_copy)
    dry = regrade(quiz, fixed, store, dry_run=True)
    assert dry.dry_run and {c.student_id for c in dry.changes} == set(OFF_BY_ONE)
    assert _totals(store, quiz) == before  # nothing stored

    report = regrade(quiz, fixed, store)
    assert report.regraded == 5
    assert {c.student_id for c in report.changes} == set(OFF_BY_ONE)
    for change in report.changes:
        assert change.questions == (FIXED,)
        assert change.old == pytest.approx(before[change.student_id])
        assert change.new == pytest.approx(change.old + 1)
    after = _totals(store, quiz)
    for student, total in before.items():
        assert total is not None
        expected = total + 1 if student in OFF_BY_ONE else total
        assert after[student] == pytest.approx(expected), student
    assert _essay_points(store, quiz, "s0") == manual  # the manual essay grade survives
    assert _essay_points(store, quiz, "s1") == (0.0, "needs-grading")

    again = regrade(quiz, fixed, store)
    assert again.regraded == 5 and again.changes == ()  # idempotent


def test_regrade_one_question_keeps_the_other_stored_scores(
    tmp_path: Path, bank_copy: Path, store: SqlAttemptStore
) -> None:
    quiz = write_quiz(tmp_path / "quizzes")
    bank = load_bank(bank_copy)
    _fill(store, quiz, bank)
    # dead-relu's key changes too, but only the fixed numeric question is regraded.
    path = bank_copy / "dead-relu.yaml"
    data = yaml.safe_load(path.read_text())
    for choice in data["choices"]:
        choice["correct"] = not choice.get("correct", False) if choice is data["choices"][1] else False
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    _fix_tolerance(bank_copy)
    report = regrade(quiz, load_bank(bank_copy), store, question_id=FIXED)
    assert {c.student_id for c in report.changes} == set(OFF_BY_ONE)
    assert all(c.questions == (FIXED,) for c in report.changes)
    with pytest.raises(DlgradeError, match="not used by quiz"):
        regrade(quiz, bank, store, question_id="lstm-gates")


@pytest.mark.slow
def test_cli_regrade_dry_run_then_real(tmp_path: Path, bank_copy: Path) -> None:
    from grader.quizstats_cli import register

    quizzes = tmp_path / "quizzes"
    quiz = write_quiz(quizzes)
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with SqlAttemptStore(url) as store:
        _fill(store, quiz, load_bank(bank_copy))
    _fix_tolerance(bank_copy)
    group = click.Group("quiz")
    register(group)
    runner = CliRunner()
    args = ["regrade", quiz.id, "--db", url, "--bank", str(bank_copy), "--quizzes", str(quizzes)]
    dry = runner.invoke(group, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "s1" in dry.output and "s3" in dry.output and "s2" not in dry.output
    assert "dry run, nothing stored" in dry.output and "2 would change" in dry.output
    real = runner.invoke(group, [*args, "--json"])
    assert real.exit_code == 0, real.output
    data = json.loads(real.output)
    assert [c["student_id"] for c in data["changes"]] == list(OFF_BY_ONE) and data["regraded"] == 5
    assert runner.invoke(group, [*args, "--json"]).output.count('"student_id"') == 0
    bad = runner.invoke(group, [*args, "--question", "lstm-gates"])
    assert bad.exit_code == 1 and "Error: question 'lstm-gates' is not used" in bad.output
