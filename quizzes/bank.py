"""The question bank: every file of ``quizzes/bank/``, loaded and linted.

``load_bank`` refuses a bank with any invalid file or a duplicate id (first error raised);
``lint_bank`` collects every problem instead: files that do not validate, unknown tags, choice
questions without a correct answer or without feedback, and, for every question, 200 seeds rendered
and the rendered answer scored (it must earn full marks; parametrized answers must be finite), plus
every quiz file of ``quizzes/quizzes/`` with papers built for a few students.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import DlgradeError, FileError
from quizzes import BANK_DIR, QUIZZES_DIR, TAGS_FILE
from quizzes.schema import Question, load_question, read_yaml
from quizzes.scoring import score
from quizzes.variants import VariantError, derive_seed, render

LINT_SEEDS = 200


@dataclass(frozen=True)
class Bank:
    """Questions by id, in file-name order, and the known tags with their descriptions."""

    questions: dict[str, Question]
    tags: dict[str, str] = field(default_factory=dict)

    def get(self, qid: str) -> Question:
        """The question ``qid``; a DlgradeError naming it when there is none."""
        try:
            return self.questions[qid]
        except KeyError:
            raise DlgradeError(f"no question {qid!r} in the bank") from None

    def with_tag(self, tag: str) -> list[Question]:
        """Questions carrying ``tag``, in id order."""
        return [q for q in self.questions.values() if tag in q.tags]

    def __len__(self) -> int:
        return len(self.questions)


@dataclass(frozen=True)
class LintIssue:
    """One problem found by the linter."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class LintReport:
    """What lint checked and what it found."""

    questions: int = 0
    quizzes: int = 0
    variants: int = 0
    issues: list[LintIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No issue."""
        return not self.issues

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "ok": self.ok,
            "questions": self.questions,
            "quizzes": self.quizzes,
            "variants": self.variants,
            "issues": [{"path": i.path, "message": i.message} for i in self.issues],
        }


def load_tags(path: Path = TAGS_FILE) -> dict[str, str]:
    """The tag vocabulary: tag -> description (``quizzes/tags.yaml``)."""
    data = read_yaml(path)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise FileError(path, "must map each tag to a one-line description")
    return dict(data)


def question_files(directory: Path) -> list[Path]:
    """The question files of ``directory`` in name order (``*.yaml`` and ``*.yml``)."""
    if not directory.is_dir():
        raise FileError(directory, "no such question bank directory")
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def load_bank(directory: Path = BANK_DIR, tags_file: Path = TAGS_FILE) -> Bank:
    """Every question of ``directory``; the first invalid file or duplicate id raises."""
    questions: dict[str, Question] = {}
    for path in question_files(directory):
        question = load_question(path)
        if question.id in questions:
            raise FileError(path, f"id: duplicate id {question.id!r} (also {questions[question.id].path})")
        questions[question.id] = question
    return Bank(questions=questions, tags=load_tags(tags_file))


def check_answer_scores_full(question: Question, seeds: Iterable[int]) -> tuple[int, list[str]]:
    """Render ``question`` for each seed and score its own answer; (variants, problems)."""
    problems: list[str] = []
    count = 0
    for seed in seeds:
        try:
            rendered = render(question, seed)
        except VariantError as exc:
            return count, [exc.message]
        count += 1
        if rendered.value is not None and not math.isfinite(rendered.value):
            problems.append(f"seed {seed}: answer is not finite")
        result = score(rendered, rendered.correct_response())
        wanted = "needs-grading" if question.type == "essay" else "graded"
        if result.status != wanted or (wanted == "graded" and not result.correct):
            problems.append(
                f"seed {seed} (params {rendered.params}): its own answer scores "
                f"{result.points:g}/{result.max_points:g} ({result.status})"
            )
        if problems or (not question.parametrized and count >= 3):
            break
    return count, problems


def lint_question(question: Question, tags: dict[str, str], seeds: int = LINT_SEEDS) -> tuple[int, list[str]]:
    """The problems of one valid question and the number of variants checked."""
    problems = []
    unknown = [t for t in question.tags if t not in tags]
    if unknown:
        problems.append(f"tags: unknown tag(s) {', '.join(unknown)} (add them to quizzes/tags.yaml)")
    if not question.topics:
        problems.append("tags: needs at least one topic tag besides seed-NNN")
    if question.type in ("single", "multiple"):
        if not any(c.correct for c in question.choices):
            problems.append("choices: no correct choice")
        if not any(c.feedback for c in question.choices):
            problems.append("choices: no choice has feedback (explain at least the tempting wrong ones)")
    if len(question.feedback.split()) < 8:
        problems.append(
            "feedback: too short to teach (explain why the answer is right and the usual mistake)"
        )
    variants, failures = check_answer_scores_full(
        question, (derive_seed("lint", question.id, i) for i in range(seeds))
    )
    problems.extend(failures)
    return variants, problems


def lint_bank(
    directory: Path = BANK_DIR,
    quizzes_dir: Path | None = QUIZZES_DIR,
    tags_file: Path = TAGS_FILE,
    seeds: int = LINT_SEEDS,
) -> LintReport:
    """Check every question and quiz file; collects every problem instead of stopping at the first."""
    from quizzes.quiz import lint_quiz_files  # the quiz module builds on the bank

    report = LintReport()
    tags = load_tags(tags_file)
    valid: dict[str, Question] = {}
    for path in question_files(directory):
        report.questions += 1
        try:
            question = load_question(path)
        except FileError as exc:
            report.issues.append(LintIssue(str(path), exc.message.removeprefix(f"{path}: ")))
            continue
        if question.id in valid:
            report.issues.append(LintIssue(str(path), f"id: duplicate id {question.id!r}"))
            continue
        valid[question.id] = question
        variants, problems = lint_question(question, tags, seeds)
        report.variants += variants
        report.issues.extend(LintIssue(str(path), p) for p in problems)
    if quizzes_dir is not None and quizzes_dir.is_dir():
        bank = Bank(questions=valid, tags=tags)
        count, issues = lint_quiz_files(quizzes_dir, bank)
        report.quizzes = count
        report.issues.extend(LintIssue(path, message) for path, message in issues)
    return report
