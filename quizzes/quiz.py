"""Quizzes: which questions, how long, how many attempts, when feedback shows; and attempt papers.

A quiz file ``quizzes/quizzes/<quiz-id>.yaml`` lists slots: a question by ``id``, a ``pool`` (N
questions drawn from a tag), or ``one_of`` (one question of a group of alternatives). ``build_paper``
turns a quiz into one student's attempt paper, deterministically from (quiz id, student id,
attempt): the same student gets the same questions, order, variants and choice order everywhere.
Everything here is a pure function over plain data; attempts are kept by an :class:`AttemptStore`
(an in-memory one is provided; the web server supplies a database-backed one).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from grader.errors import DlgradeError, FileError
from quizzes import QUIZZES_DIR, jsonschemas
from quizzes.bank import Bank
from quizzes.schema import QuestionError, check_schema, read_yaml
from quizzes.scoring import Score, score
from quizzes.variants import Rendered, VariantError, derive_seed, render, variant_seed

DEFAULT_TIME_LIMIT_S = 360
DEFAULT_GRACE_S = 30
FeedbackPolicy = Literal["immediately", "after-close", "never"]


class QuizError(DlgradeError):
    """A quiz that cannot be built or an attempt action that is not allowed."""


@dataclass(frozen=True)
class Slot:
    """One place of a quiz: a fixed question, N from a tag pool, or one of a group."""

    kind: Literal["id", "pool", "one_of"]
    ids: tuple[str, ...] = ()
    tag: str = ""
    count: int = 1
    types: tuple[str, ...] = ()
    points: float | None = None


@dataclass(frozen=True)
class Quiz:
    """One validated quiz file."""

    id: str
    title: str
    slots: tuple[Slot, ...]
    week: int | None = None
    description: str = ""
    time_limit_s: int = DEFAULT_TIME_LIMIT_S
    grace_s: int = DEFAULT_GRACE_S
    attempts: int = 1
    shuffle_questions: bool = True
    shuffle_choices: bool = True
    feedback: FeedbackPolicy = "after-close"
    extra_time_s: dict[str, int] = field(default_factory=dict)
    path: Path = field(default=Path(), compare=False)

    def time_allowed_s(self, student_id: str) -> int:
        """The time limit of ``student_id`` (with any extra time), grace not included."""
        return self.time_limit_s + self.extra_time_s.get(student_id, 0)

    def named_ids(self) -> set[str]:
        """Every question id the quiz names (fixed slots and groups)."""
        return {qid for slot in self.slots for qid in slot.ids}


def parse_quiz(path: Path, data: Any) -> Quiz:
    """Validate the parsed YAML of a quiz file (QuestionError naming file and field)."""
    if not isinstance(data, dict):
        raise QuestionError(path, "", "a quiz file must be a YAML mapping")
    check_schema(path, data, jsonschemas.QUIZ)
    quiz_id = data.get("id", path.stem)
    if quiz_id != path.stem:
        raise QuestionError(path, "id", f"{quiz_id!r} must equal the file name {path.stem!r}")
    slots = []
    for i, raw in enumerate(data["questions"]):
        kinds = [k for k in ("id", "pool", "one_of") if k in raw]
        if len(kinds) != 1:
            raise QuestionError(path, f"questions[{i}]", "needs exactly one of id, pool, one_of")
        points = raw.get("points")
        if kinds[0] == "id":
            slots.append(Slot("id", (raw["id"],), points=points))
        elif kinds[0] == "one_of":
            slots.append(Slot("one_of", tuple(raw["one_of"]), points=points))
        else:
            pool = raw["pool"]
            slots.append(
                Slot(
                    "pool",
                    tag=pool["tag"],
                    count=pool.get("count", 1),
                    types=tuple(pool.get("types", [])),
                    points=points,
                )
            )
    return Quiz(
        id=quiz_id,
        title=data["title"],
        slots=tuple(slots),
        week=data.get("week"),
        description=data.get("description", ""),
        time_limit_s=data.get("time_limit_s", DEFAULT_TIME_LIMIT_S),
        grace_s=data.get("grace_s", DEFAULT_GRACE_S),
        attempts=data.get("attempts", 1),
        shuffle_questions=data.get("shuffle_questions", True),
        shuffle_choices=data.get("shuffle_choices", True),
        feedback=data.get("feedback", "after-close"),
        extra_time_s=dict(data.get("extra_time_s", {})),
        path=path,
    )


def load_quiz(path: Path | str) -> Quiz:
    """Read and validate one quiz file."""
    path = Path(path)
    return parse_quiz(path, read_yaml(path))


def find_quiz(quiz_id: str, directory: Path = QUIZZES_DIR) -> Quiz:
    """The quiz ``quiz_id`` of ``directory``."""
    path = directory / f"{quiz_id}.yaml"
    if not path.is_file():
        known = ", ".join(p.stem for p in sorted(directory.glob("*.yaml"))) or "none"
        raise DlgradeError(f"no quiz {quiz_id!r} in {directory} (known: {known})")
    return load_quiz(path)


def check_quiz(quiz: Quiz, bank: Bank) -> None:
    """QuizError when a slot names an unknown question or a pool is too small."""
    named = quiz.named_ids()
    for i, slot in enumerate(quiz.slots):
        for qid in slot.ids:
            if qid not in bank.questions:
                raise QuestionError(quiz.path, f"questions[{i}]", f"no question {qid!r} in the bank")
        if slot.kind == "pool":
            if slot.tag not in bank.tags:
                raise QuestionError(quiz.path, f"questions[{i}].pool.tag", f"unknown tag {slot.tag!r}")
            available = len(_pool(bank, slot, named))
            needed = sum(s.count for s in quiz.slots if s.kind == "pool" and s.tag == slot.tag)
            if available < needed:
                raise QuestionError(
                    quiz.path,
                    f"questions[{i}].pool",
                    f"tag {slot.tag!r} has {available} questions, {needed} needed",
                )


def _pool(bank: Bank, slot: Slot, exclude: set[str]) -> list[str]:
    return [
        q.id
        for q in bank.with_tag(slot.tag)
        if q.id not in exclude and (not slot.types or q.type in slot.types)
    ]


@dataclass(frozen=True)
class PaperItem:
    """One question of a paper and the points it is worth in this quiz."""

    rendered: Rendered
    points: float


@dataclass(frozen=True)
class Paper:
    """One student's attempt paper: the rendered questions in the order shown."""

    quiz_id: str
    student_id: str
    attempt: int
    items: tuple[PaperItem, ...]
    time_allowed_s: int
    grace_s: int

    @property
    def max_points(self) -> float:
        """Sum of the items' points."""
        return sum(item.points for item in self.items)

    def item(self, question_id: str) -> PaperItem:
        """The item of ``question_id``."""
        for item in self.items:
            if item.rendered.id == question_id:
                return item
        raise QuizError(f"question {question_id!r} is not on this paper")

    def public(self) -> dict[str, Any]:
        """What the student's page shows (no answers)."""
        return {
            "quiz": self.quiz_id,
            "attempt": self.attempt,
            "time_allowed_s": self.time_allowed_s,
            "questions": [{**item.rendered.public(), "points": item.points} for item in self.items],
        }


def build_paper(quiz: Quiz, bank: Bank, student_id: str, attempt: int = 1) -> Paper:
    """``student_id``'s paper for ``attempt`` of ``quiz``: deterministic, no question twice."""
    check_quiz(quiz, bank)
    rng = random.Random(derive_seed("paper", quiz.id, student_id, attempt))
    named = quiz.named_ids()
    used: set[str] = set()
    chosen: list[tuple[str, float | None]] = []
    for slot in quiz.slots:
        if slot.kind == "id":
            picks = list(slot.ids)
        elif slot.kind == "one_of":
            picks = [rng.choice([qid for qid in slot.ids if qid not in used] or list(slot.ids))]
        else:
            picks = rng.sample(sorted(set(_pool(bank, slot, named)) - used), slot.count)
        for qid in picks:
            if qid in used:
                raise QuizError(f"{quiz.path}: question {qid!r} appears twice in the quiz")
            used.add(qid)
            chosen.append((qid, slot.points))
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    items = []
    for qid, points in chosen:
        question = bank.get(qid)
        seed = variant_seed(quiz.id, student_id, qid, attempt)
        rendered = render(question, seed, shuffle_choices=quiz.shuffle_choices)
        items.append(PaperItem(rendered, question.points if points is None else float(points)))
    return Paper(quiz.id, student_id, attempt, tuple(items), quiz.time_allowed_s(student_id), quiz.grace_s)


@dataclass(frozen=True)
class PaperResult:
    """The scores of one paper, each scaled to the item's points in this quiz."""

    scores: tuple[Score, ...]

    @property
    def points(self) -> float:
        return sum(s.points for s in self.scores)

    @property
    def max_points(self) -> float:
        return sum(s.max_points for s in self.scores)

    @property
    def needs_grading(self) -> bool:
        """Some essay waits for a human."""
        return any(s.status == "needs-grading" for s in self.scores)


def grade_paper(paper: Paper, responses: dict[str, Any]) -> PaperResult:
    """Score every item of ``paper`` (missing responses score 0)."""
    scores = []
    for item in paper.items:
        result = score(item.rendered, responses.get(item.rendered.id))
        factor = item.points / result.max_points
        scores.append(replace(result, points=round(result.points * factor, 6), max_points=item.points))
    return PaperResult(tuple(scores))


def feedback_visible(quiz: Quiz, submitted: bool, closed: bool) -> bool:
    """Whether a student may see scores and feedback now, under the quiz's feedback policy."""
    if quiz.feedback == "immediately":
        return submitted
    if quiz.feedback == "after-close":
        return closed
    return False


@dataclass
class Attempt:
    """One student's attempt: when it started, its deadline, the responses saved so far."""

    quiz_id: str
    student_id: str
    number: int
    started_at: datetime
    time_allowed_s: int
    grace_s: int
    responses: dict[str, Any] = field(default_factory=dict)
    submitted_at: datetime | None = None

    @property
    def deadline(self) -> datetime:
        """End of the allowed time (shown to the student)."""
        return self.started_at + timedelta(seconds=self.time_allowed_s)

    @property
    def hard_deadline(self) -> datetime:
        """Deadline plus grace: answers saved until then still count (network latency, autosave)."""
        return self.deadline + timedelta(seconds=self.grace_s)

    def open_at(self, now: datetime) -> bool:
        """Whether the attempt still accepts answers at ``now``."""
        return self.submitted_at is None and now <= self.hard_deadline


class AttemptStore(Protocol):
    """Where attempts are kept: memory here, a database for the web server."""

    def attempts(self, quiz_id: str, student_id: str) -> list[Attempt]:
        """The student's attempts of the quiz, oldest first."""
        ...

    def save(self, attempt: Attempt) -> None:
        """Create or replace ``attempt`` (keyed by quiz, student and number)."""
        ...


class MemoryAttemptStore:
    """An AttemptStore in a dictionary (tests, the CLI, a single-process server)."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], dict[int, Attempt]] = {}

    def attempts(self, quiz_id: str, student_id: str) -> list[Attempt]:
        found = self._data.get((quiz_id, student_id), {})
        return [found[n] for n in sorted(found)]

    def save(self, attempt: Attempt) -> None:
        self._data.setdefault((attempt.quiz_id, attempt.student_id), {})[attempt.number] = attempt


def start_attempt(store: AttemptStore, quiz: Quiz, student_id: str, now: datetime) -> Attempt:
    """Open the student's next attempt (or return the one still open); QuizError when none is left."""
    previous = store.attempts(quiz.id, student_id)
    if previous and previous[-1].open_at(now):
        return previous[-1]
    if len(previous) >= quiz.attempts:
        raise QuizError(f"{student_id} has used all {quiz.attempts} attempt(s) of {quiz.id}")
    attempt = Attempt(
        quiz.id, student_id, len(previous) + 1, now, quiz.time_allowed_s(student_id), quiz.grace_s
    )
    store.save(attempt)
    return attempt


def save_response(
    store: AttemptStore, attempt: Attempt, question_id: str, response: Any, now: datetime
) -> Attempt:
    """Record a response if the attempt is still open; QuizError once time (and grace) is up."""
    if not attempt.open_at(now):
        raise QuizError(f"attempt {attempt.number} of {attempt.quiz_id} is closed")
    updated = replace(attempt, responses={**attempt.responses, question_id: response})
    store.save(updated)
    return updated


def submit_attempt(store: AttemptStore, attempt: Attempt, now: datetime) -> Attempt:
    """Close the attempt; after the hard deadline it closes at the deadline (late answers never count)."""
    if attempt.submitted_at is not None:
        return attempt
    updated = replace(attempt, submitted_at=min(now, attempt.hard_deadline))
    store.save(updated)
    return updated


def lint_quiz_files(directory: Path, bank: Bank, students: int = 5) -> tuple[int, list[tuple[str, str]]]:
    """Validate every quiz file and build papers for a few students; (files, [(path, problem)])."""
    issues: list[tuple[str, str]] = []
    paths = sorted(directory.glob("*.yaml"))
    for path in paths:
        try:
            quiz = load_quiz(path)
            for k in range(students):
                paper = build_paper(quiz, bank, f"lint-student-{k}")
                if len({item.rendered.id for item in paper.items}) != len(paper.items):
                    raise QuizError("a paper has the same question twice")
        except (FileError, QuizError, VariantError) as exc:
            issues.append((str(path), exc.message.removeprefix(f"{path}: ")))
    return len(paths), issues
