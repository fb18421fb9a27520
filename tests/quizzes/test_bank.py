"""The shipped bank: size, coverage of topics and seeds, and lint (passing here, failing on broken files)."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
import yaml

from grader.errors import FileError
from quizzes import BANK_DIR, QUIZZES_DIR
from quizzes.bank import lint_bank, load_bank, load_tags

TOPICS_OF_THE_LECTURES = [
    "perceptron-history",
    "activations",
    "preprocessing",
    "initialization",
    "sgd-minibatches",
    "lr-schedules",
    "dropout",
    "regularization",
    "ensembling",
    "gradient-checking",
    "cnn",
    "rnn-lstm",
    "autoencoders",
    "gans",
    "autograd",
    "logistic-regression",
]


def test_shipped_bank_is_large_and_covers_every_topic_and_seed(bank):
    assert len(bank) >= 110
    types = Counter(q.type for q in bank.questions.values())
    assert set(types) == {
        "single",
        "multiple",
        "truefalse",
        "numeric",
        "short",
        "matching",
        "ordering",
        "essay",
    }
    rules = {q.partial_credit for q in bank.questions.values() if q.type == "multiple"}
    assert rules == {"moodle-sum", "all-or-nothing", "net-correct", "coverage", "each-answer"}
    tags = Counter(t for q in bank.questions.values() for t in q.tags)
    for topic in TOPICS_OF_THE_LECTURES:
        assert tags[topic] >= 2, topic
    for seed in ("seed-000", "seed-001", "seed-002", "seed-003", "seed-004"):
        assert tags[seed] >= 5, seed
    parametrized = [q.id for q in bank.questions.values() if q.parametrized]
    assert len(parametrized) >= 20
    for needed in (
        "conv-output-size",
        "conv-weights-shared",
        "conv-weights-unshared",
        "dense-network-params",
        "adam-bias-correction-v",
        "update-lr-value",
        "schedule-lr-decay-value",
        "rnn-cell-params",
    ):
        assert needed in parametrized


def test_every_tag_is_known_and_described(bank):
    tags = load_tags()
    assert all(t in tags for q in bank.questions.values() for t in q.tags)


def test_lint_passes_on_the_shipped_bank():
    report = lint_bank(seeds=200)
    assert report.ok, "\n".join(map(str, report.issues))
    assert report.questions >= 110 and report.quizzes >= 9
    parametrized = sum(q.parametrized for q in load_bank().questions.values())
    assert report.variants >= 200 * parametrized


@pytest.fixture
def bank_copy(tmp_path):
    target = tmp_path / "bank"
    shutil.copytree(BANK_DIR, target)
    return target


def _edit(path, **changes):
    data = yaml.safe_load(path.read_text())
    data.update(changes)
    path.write_text(yaml.safe_dump(data))


def test_lint_reports_broken_files_clearly(bank_copy, tmp_path):
    _edit(
        bank_copy / "conv-output-size.yaml",
        answer={"value": "floor((n + 2*p - f) / s)"},
        tags=["cnn", "convnets"],
    )
    _edit(bank_copy / "dropout-phase.yaml", feedback="Yes.")
    _edit(bank_copy / "update-lr-value.yaml", answer={"value": "lr0 / (decay * epoch)", "tolerance": 0.01})
    (bank_copy / "typo.yaml").write_text("type: single\ntitle: [unclosed\n")
    (bank_copy / "copy.yml").write_text("id: gan-analogy\n" + (bank_copy / "gan-analogy.yaml").read_text())
    report = lint_bank(bank_copy, quizzes_dir=None, seeds=50)
    messages = [str(i) for i in report.issues]
    assert not report.ok

    def find(file, text):
        return [m for m in messages if m.startswith(str(bank_copy / file)) and text in m]

    assert find("conv-output-size.yaml", "tags: unknown tag(s) convnets")
    assert find("dropout-phase.yaml", "feedback: too short")
    assert find("typo.yaml", "not valid YAML")
    assert find("copy.yml", "must equal the file name")
    # the answer without +1 is still "its own answer", so it scores full marks: lint cannot know it is wrong
    assert not find("conv-output-size.yaml", "scores")
    # epoch 0 divides by zero: reported with the params
    assert find("update-lr-value.yaml", "answer fails for params {") and find(
        "update-lr-value.yaml", "division by zero"
    )


def test_lint_catches_an_answer_that_does_not_score_full(bank_copy, monkeypatch):
    import quizzes.bank as bank_module

    real = bank_module.score

    def broken(rendered, response):
        result = real(rendered, response)
        if rendered.id == "minibatch-count":
            return type(result)(result.question_id, 0.0, result.max_points, "graded", result.feedback)
        return result

    monkeypatch.setattr(bank_module, "score", broken)
    report = lint_bank(bank_copy, quizzes_dir=None, seeds=5)
    assert any(
        "minibatch-count" in i.path and "its own answer scores 0/1" in i.message for i in report.issues
    )


def test_load_bank_refuses_duplicates(bank_copy):
    text = (bank_copy / "gan-analogy.yaml").read_text()
    (bank_copy / "gan-analogy.yml").write_text(text)
    with pytest.raises(FileError, match=r"gan-analogy.yml: id: duplicate id 'gan-analogy'"):
        load_bank(bank_copy)


def test_lint_checks_quiz_files(bank_copy, tmp_path):
    quizzes = tmp_path / "quizzes"
    shutil.copytree(QUIZZES_DIR, quizzes)
    (quizzes / "week-99.yaml").write_text("title: Broken\nquestions:\n  - id: not-in-the-bank\n")
    report = lint_bank(bank_copy, quizzes, seeds=2)
    assert [str(i) for i in report.issues] == [
        f"{quizzes / 'week-99.yaml'}: questions[0]: no question 'not-in-the-bank' in the bank"
    ]
