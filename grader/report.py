"""Assignment reports: the score distribution as a PNG and per-test pass rates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.records import SubmissionResult


@dataclass(frozen=True)
class CellRate:
    """How often one graded cell's hidden cases passed across the class."""

    notebook: str
    grade_id: str
    max_score: float
    mean_score: float
    full_marks: int
    submissions: int
    case_pass_rate: float

    @property
    def full_marks_rate(self) -> float:
        """Share of submissions with every case of this cell passed."""
        return self.full_marks / self.submissions if self.submissions else 0.0


def pass_rates(results: Sequence[SubmissionResult]) -> list[CellRate]:
    """Per graded cell: mean score, submissions with full marks, share of hidden cases passed."""
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    maxima: dict[tuple[str, str], float] = {}
    full: dict[tuple[str, str], int] = defaultdict(int)
    cases_passed: dict[tuple[str, str], int] = defaultdict(int)
    cases_total: dict[tuple[str, str], int] = defaultdict(int)
    for result in results:
        for cell in result.cells:
            key = (cell.notebook, cell.grade_id)
            scores[key].append(cell.score)
            maxima[key] = cell.max_score
            full[key] += cell.max_score > 0 and cell.score >= cell.max_score
            cases_passed[key] += sum(c.passed for c in cell.cases)
            cases_total[key] += len(cell.cases)
    rates = []
    for key, values in scores.items():
        total = cases_total[key]
        rates.append(
            CellRate(
                notebook=key[0],
                grade_id=key[1],
                max_score=maxima[key],
                mean_score=sum(values) / len(values),
                full_marks=full[key],
                submissions=len(values),
                case_pass_rate=cases_passed[key] / total if total else 0.0,
            )
        )
    return rates


def write_histogram(results: Sequence[SubmissionResult], path: Path, title: str) -> Path:
    """Draw the distribution of final scores (after penalties) as a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    scores = [r.score for r in results]
    max_score = max((r.max_score for r in results), default=0.0) or 1.0
    fig, (ax_hist, ax_rates) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
    bins = [max_score * k / 20 for k in range(21)]
    ax_hist.hist(scores, bins=bins, color="#4C72B0", edgecolor="white")
    ax_hist.set_xlabel(f"score (out of {max_score:g})")
    ax_hist.set_ylabel("students")
    ax_hist.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_hist.set_title(f"{title}: {len(scores)} submissions")
    if scores:
        mean = sum(scores) / len(scores)
        ax_hist.axvline(mean, color="#C44E52", linestyle="--", label=f"mean {mean:.1f}")
        ax_hist.legend()
    rates = pass_rates(results)
    labels = [r.grade_id for r in rates]
    ax_rates.barh(labels, [100 * r.case_pass_rate for r in rates], color="#55A868")
    ax_rates.set_xlim(0, 100)
    ax_rates.set_xlabel("hidden cases passed (%)")
    ax_rates.invert_yaxis()
    ax_rates.set_title("per test")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
