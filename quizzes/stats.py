"""Item analysis of a quiz with Moodle's definitions: test statistics, per-question statistics, poor items.

Definitions (anchors section 6 and Moodle's "Quiz statistics calculations"; ``x`` a question's mark,
``X`` the attempt's total, ``R = X - x`` the rest of the test, ``s`` the number of attempts, sample
statistics with ``s - 1``):

- test: mean, median (mean of the middle two for even ``s``), SD; skewness ``k3 / k2^1.5`` and
  kurtosis ``k4 / k2^2`` from the k-statistics ``k2 = s m2/(s-1)``, ``k3 = s^2 m3/((s-1)(s-2))``,
  ``k4 = s^2 ((s+1) m4 - 3 (s-1) m2^2)/((s-1)(s-2)(s-3))`` (``m_i`` the central moments);
  coefficient of internal consistency (Cronbach's alpha) ``CIC = 100 p/(p-1) (1 - sum var(x_i)/k2)``
  over the ``p`` positions of a paper; error ratio ``ER = 100 sqrt(1 - CIC/100)``; standard error
  ``SE = ER * SD / 100``.
- question: facility ``100 mean(x)/max``; SD ``100 sd(x)/max``; random guess score (Moodle's per
  type, None where Moodle does not define one); intended weight ``100 max/quiz max``; effective weight
  ``100 sqrt(cov(x, X)) / sum over positions of sqrt(cov(x_i, X))`` (None for a negative covariance);
  discrimination index ``100 cov(x, R)/sqrt(var x var R)``; discriminative efficiency
  ``100 cov(x, R)/cov_max`` where ``cov_max`` pairs the sorted ``x`` with the sorted ``R``.

Statistics use one attempt per student, the first by default as in Moodle (``which``: first, last,
highest or all). A quiz whose slots draw from groups or pools puts different questions at one
position: per-question statistics use the attempts whose paper holds the question; CIC and effective
weights use positions (slot order; the questions of one pool slot by id).

Poor items (:class:`Thresholds`): facility below 5% or above 95%, discrimination index below 0 (red:
better students do worse, check the key) or below 25%, discriminative efficiency below 15% (Moodle's
"dubious" flag, red) or below 30%.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from grader.errors import DlgradeError
from quizzes.bank import Bank
from quizzes.quiz import Attempt, Paper, PaperResult, Quiz, build_paper, grade_paper
from quizzes.schema import MatchingAnswer, OrderingAnswer, Question
from quizzes.scoring import Score

Which = Literal["first", "last", "highest", "all"]
Severity = Literal["ok", "warning", "red"]
WHICH: tuple[Which, ...] = ("first", "last", "highest", "all")


class StoredResult(Protocol):
    """One attempt and the item scores stored for it (none when it was never scored)."""

    @property
    def attempt(self) -> Attempt: ...

    @property
    def scores(self) -> tuple[Score, ...]: ...


class ResultStore(Protocol):
    """Where attempts and their scores live (``quizzes.store.SqlAttemptStore`` in production)."""

    def results(self, quiz_id: str) -> Sequence[StoredResult]:
        """Every attempt of the quiz (all students, with responses) and its stored item scores."""
        ...

    def record_result(self, attempt: Attempt, result: PaperResult) -> None:
        """Store ``result`` for ``attempt``, replacing its item scores and total."""
        ...


class StatsError(DlgradeError):
    """Statistics that cannot be computed (no submitted attempt)."""


@dataclass(frozen=True)
class GradedAttempt:
    """One submitted attempt, scored: each question's mark and the positions of the paper."""

    student_id: str
    number: int
    marks: dict[str, float]
    max_marks: dict[str, float]
    positions: tuple[str, ...]

    @property
    def total(self) -> float:
        return sum(self.marks.values())

    @property
    def max_total(self) -> float:
        return sum(self.max_marks.values())


def position_order(quiz: Quiz, paper: Paper) -> tuple[str, ...]:
    """The paper's question ids in slot order (the questions of one pool slot sorted by id)."""
    remaining = {item.rendered.id: item.rendered.question for item in paper.items}
    order: list[str] = []
    for slot in quiz.slots:
        if slot.kind in ("id", "one_of"):
            found = [qid for qid in slot.ids if qid in remaining]
            picks = found[:1]
        else:
            matching = sorted(
                qid
                for qid, q in remaining.items()
                if slot.tag in q.tags and (not slot.types or q.type in slot.types)
            )
            picks = matching[: slot.count]
        for qid in picks:
            order.append(qid)
            del remaining[qid]
    return (*order, *sorted(remaining))


def paper_result(paper: Paper, attempt: Attempt, stored: Sequence[Score] = ()) -> PaperResult:
    """The attempt's scores: stored ones where the paper's question has one, else graded now."""
    by_id = {s.question_id: s for s in stored}
    graded = grade_paper(paper, attempt.responses)
    return PaperResult(tuple(by_id.get(s.question_id, s) for s in graded.scores))


def select_attempts(attempts: Sequence[GradedAttempt], which: Which = "first") -> list[GradedAttempt]:
    """One attempt per student (first, last or highest total), or all of them."""
    if which == "all":
        return list(attempts)
    chosen: dict[str, GradedAttempt] = {}
    for a in sorted(attempts, key=lambda a: (a.student_id, a.number)):
        held = chosen.get(a.student_id)
        if held is None or which == "last" or (which == "highest" and a.total > held.total + 1e-9):
            chosen[a.student_id] = a
    return [chosen[s] for s in sorted(chosen)]


def grade_attempts(
    quiz: Quiz,
    bank: Bank,
    results: Sequence[StoredResult],
    on_graded: Callable[[], None] | None = None,
) -> list[GradedAttempt]:
    """Every submitted attempt scored: its paper rebuilt (deterministic), stored scores kept."""
    graded = []
    for stored in results:
        attempt = stored.attempt
        if attempt.submitted_at is None:
            continue
        paper = build_paper(quiz, bank, attempt.student_id, attempt.number)
        result = paper_result(paper, attempt, stored.scores)
        graded.append(
            GradedAttempt(
                attempt.student_id,
                attempt.number,
                {s.question_id: s.points for s in result.scores},
                {s.question_id: s.max_points for s in result.scores},
                position_order(quiz, paper),
            )
        )
        if on_graded is not None:
            on_graded()
    return graded


def random_guess_score(question: Question) -> float | None:
    """The expected fraction of a random guess, as Moodle's question type defines it (None if not)."""
    if question.type == "single":
        return sum(1.0 if c.correct else 0.0 for c in question.choices) / len(question.choices)
    if question.type == "truefalse":
        return 0.5
    if question.type in ("numeric", "short"):
        return 0.0
    answer = question.answer
    if isinstance(answer, MatchingAnswer):
        options = len(answer.pairs) + len(answer.distractors)
        if answer.partial == "all-or-nothing":
            return float((1 / options) ** len(answer.pairs))
        return 1 / options
    if isinstance(answer, OrderingAnswer):
        n = len(answer.order)
        return 1 / math.factorial(n) if answer.partial == "all-or-nothing" else 1 / n
    return None  # multiple answers (Moodle: "pretty much impossible to compute"), essays


def _var(values: np.ndarray) -> float:
    return float(np.var(values, ddof=1)) if len(values) > 1 else math.nan


def _cov(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2:
        return math.nan
    return float(np.sum((a - a.mean()) * (b - b.mean())) / (len(a) - 1))


@dataclass(frozen=True)
class Thresholds:
    """When a question is flagged as poor (percentages)."""

    facility_low: float = 5.0
    facility_high: float = 95.0
    discrimination_weak: float = 25.0
    efficiency_dubious: float = 15.0
    efficiency_low: float = 30.0


@dataclass(frozen=True)
class QuestionStats:
    """Moodle's statistics of one question (percentages; None where undefined)."""

    question_id: str
    title: str
    type: str
    attempts: int
    max_mark: float
    mean_mark: float
    facility: float | None
    sd: float | None
    random_guess_score: float | None
    intended_weight: float | None
    effective_weight: float | None
    discrimination_index: float | None
    discriminative_efficiency: float | None
    flags: tuple[str, ...] = ()
    severity: Severity = "ok"

    @property
    def poor(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class QuizStats:
    """Moodle's test statistics of a quiz and the statistics of each of its questions."""

    quiz_id: str
    which: Which
    attempts: int
    max_points: float
    positions: int
    mean: float
    median: float
    sd: float | None
    skewness: float | None
    kurtosis: float | None
    cic: float | None
    error_ratio: float | None
    standard_error: float | None
    totals: tuple[float, ...]
    questions: tuple[QuestionStats, ...] = field(default=())

    @property
    def poor(self) -> list[QuestionStats]:
        """The flagged questions, red first."""
        flagged = [q for q in self.questions if q.poor]
        return sorted(flagged, key=lambda q: (q.severity != "red", q.question_id))

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        data = asdict(self)
        data["totals"] = list(self.totals)
        data["questions"] = [{**asdict(q), "flags": list(q.flags)} for q in self.questions]
        data["poor"] = [q.question_id for q in self.poor]
        return data


def summary_statistics(totals: np.ndarray, position_marks: np.ndarray) -> dict[str, float | None]:
    """Mean, median, SD, skewness, kurtosis, CIC, error ratio and standard error of the totals.

    ``position_marks`` is attempts x positions; its rows add up to ``totals``.
    """
    s = len(totals)
    out: dict[str, float | None] = dict.fromkeys(
        ("sd", "skewness", "kurtosis", "cic", "error_ratio", "standard_error")
    )
    out["mean"] = float(totals.mean())
    ordered = np.sort(totals)
    out["median"] = float(ordered[s // 2] if s % 2 else (ordered[s // 2 - 1] + ordered[s // 2]) / 2)
    if s < 2:
        return out
    d = totals - totals.mean()
    power2, power3, power4 = (float(np.sum(d**k)) for k in (2, 3, 4))
    sd = math.sqrt(power2 / (s - 1))
    out["sd"] = sd
    if s < 3:
        return out
    m2, m3, m4 = power2 / s, power3 / s, power4 / s
    k2 = s * m2 / (s - 1)
    k3 = s * s * m3 / ((s - 1) * (s - 2))
    if k2 <= 1e-12:
        return out
    out["skewness"] = k3 / k2**1.5
    if s > 3:
        k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
        out["kurtosis"] = k4 / (k2 * k2)
    p = position_marks.shape[1]
    if p > 1:
        sum_var = float(np.sum(np.var(position_marks, axis=0, ddof=1)))
        cic = 100 * p / (p - 1) * (1 - sum_var / k2)
        error_ratio = 100 * math.sqrt(max(0.0, 1 - cic / 100))
        out.update(cic=cic, error_ratio=error_ratio, standard_error=error_ratio * sd / 100)
    return out


def item_statistics(x: np.ndarray, totals: np.ndarray, max_mark: float) -> dict[str, float | None]:
    """Facility, SD, discrimination index and efficiency of marks ``x`` (attempt totals ``totals``)."""
    s = len(x)
    rest = totals - x
    out: dict[str, float | None] = {
        "mean_mark": float(x.mean()),
        "facility": 100 * float(x.mean()) / max_mark if max_mark else None,
        "sd": None,
        "discrimination_index": None,
        "discriminative_efficiency": None,
        "covariance_with_total": None,
    }
    if s < 2:
        return out
    var_x, var_r = _var(x), _var(rest)
    cov = _cov(x, rest)
    out["sd"] = 100 * math.sqrt(var_x) / max_mark if max_mark else None
    if var_x * var_r > 1e-12:
        out["discrimination_index"] = 100 * cov / math.sqrt(var_x * var_r)
    cov_max = float(np.sum((np.sort(x) - x.mean()) * (np.sort(rest) - rest.mean())) / (s - 1))
    if abs(cov_max) > 1e-12:
        out["discriminative_efficiency"] = 100 * cov / cov_max
    out["covariance_with_total"] = _cov(x, totals)
    return out


def flags_of(stats: dict[str, float | None], thresholds: Thresholds) -> tuple[tuple[str, ...], Severity]:
    """Why a question is poor, and how badly (``ok``, ``warning``, ``red``)."""
    flags: list[str] = []
    red = False
    facility, di, de = stats["facility"], stats["discrimination_index"], stats["discriminative_efficiency"]
    if facility is not None and facility < thresholds.facility_low:
        flags.append(f"facility {facility:.1f}% < {thresholds.facility_low:g}%: nearly nobody gets it right")
    if facility is not None and facility > thresholds.facility_high:
        flags.append(f"facility {facility:.1f}% > {thresholds.facility_high:g}%: nearly everybody gets it")
    if di is None and stats["sd"] is not None:
        flags.append("no discrimination: every student got the same mark")
    elif di is not None and di < 0:
        red = True
        flags.append(f"discrimination index {di:.1f}% < 0: better students do worse (check the answer)")
    elif di is not None and di < thresholds.discrimination_weak:
        flags.append(f"discrimination index {di:.1f}% < {thresholds.discrimination_weak:g}%: weak")
    if de is not None and de < thresholds.efficiency_dubious:
        red = True
        limit = thresholds.efficiency_dubious
        flags.append(f"discriminative efficiency {de:.1f}% < {limit:g}% (Moodle: dubious)")
    elif de is not None and de < thresholds.efficiency_low:
        flags.append(f"discriminative efficiency {de:.1f}% < {thresholds.efficiency_low:g}%")
    return tuple(flags), ("red" if red else "warning" if flags else "ok")


def analyse(
    quiz: Quiz,
    bank: Bank,
    graded: Sequence[GradedAttempt],
    which: Which = "first",
    thresholds: Thresholds | None = None,
) -> QuizStats:
    """The test and question statistics of ``graded`` attempts (one per student unless ``all``)."""
    thresholds = thresholds or Thresholds()
    chosen = select_attempts(graded, which)
    if not chosen:
        raise StatsError(f"quiz {quiz.id!r} has no submitted attempt: no statistics")
    totals = np.array([a.total for a in chosen], dtype=float)
    p = max(len(a.positions) for a in chosen)
    position_marks = np.array(
        [[a.marks[qid] for qid in a.positions] + [0.0] * (p - len(a.positions)) for a in chosen], dtype=float
    )
    max_points = max(a.max_total for a in chosen)
    test = summary_statistics(totals, position_marks)
    sqrt_cov_sum = 0.0
    if len(chosen) > 1:
        for k in range(p):
            cov = _cov(position_marks[:, k], totals)
            if cov >= 0:
                sqrt_cov_sum += math.sqrt(cov)
    question_ids = sorted({qid for a in chosen for qid in a.marks})
    questions = []
    for qid in question_ids:
        holding = [a for a in chosen if qid in a.marks]
        x = np.array([a.marks[qid] for a in holding], dtype=float)
        max_mark = max(a.max_marks[qid] for a in holding)
        item = item_statistics(x, np.array([a.total for a in holding], dtype=float), max_mark)
        cov_total = item.pop("covariance_with_total")
        effective = None
        if cov_total is not None and math.isfinite(cov_total) and cov_total >= 0 and sqrt_cov_sum > 0:
            effective = 100 * math.sqrt(cov_total) / sqrt_cov_sum
        flags, severity = flags_of(item, thresholds)
        question = bank.questions.get(qid)
        questions.append(
            QuestionStats(
                question_id=qid,
                title=question.title if question else qid,
                type=question.type if question else "unknown",
                attempts=len(holding),
                max_mark=max_mark,
                mean_mark=float(x.mean()),
                facility=item["facility"],
                sd=item["sd"],
                random_guess_score=(
                    None if question is None or (g := random_guess_score(question)) is None else 100 * g
                ),
                intended_weight=100 * max_mark / max_points if max_points else None,
                effective_weight=effective,
                discrimination_index=item["discrimination_index"],
                discriminative_efficiency=item["discriminative_efficiency"],
                flags=flags,
                severity=severity,
            )
        )
    return QuizStats(
        quiz_id=quiz.id,
        which=which,
        attempts=len(chosen),
        max_points=max_points,
        positions=p,
        mean=float(test["mean"] or 0.0),
        median=float(test["median"] or 0.0),
        sd=test["sd"],
        skewness=test["skewness"],
        kurtosis=test["kurtosis"],
        cic=test["cic"],
        error_ratio=test["error_ratio"],
        standard_error=test["standard_error"],
        totals=tuple(float(t) for t in totals),
        questions=tuple(questions),
    )


def quiz_statistics(
    quiz: Quiz,
    bank: Bank,
    store: ResultStore,
    which: Which = "first",
    thresholds: Thresholds | None = None,
    on_graded: Callable[[], None] | None = None,
) -> QuizStats:
    """The statistics of ``quiz`` from the attempts in ``store``."""
    graded = grade_attempts(quiz, bank, store.results(quiz.id), on_graded)
    return analyse(quiz, bank, graded, which, thresholds)
