"""Draw a quiz's item analysis: facility and discrimination per question, and the score histogram.

One PNG (matplotlib, Agg backend, no display needed) with three panels: facility index per question,
discrimination index per question (poor questions in red, the thresholds as dashed lines), and the
distribution of the attempts' totals with the mean and median marked.
"""

from __future__ import annotations

from pathlib import Path

from grader.errors import DlgradeError
from quizzes.stats import QuizStats, Thresholds

OK_COLOUR = "#4c72b0"
POOR_COLOUR = "#c44e52"


def plot_stats(stats: QuizStats, output: Path, thresholds: Thresholds | None = None) -> Path:
    """Write the item-analysis figure of ``stats`` to ``output`` (PNG) and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    thresholds = thresholds or Thresholds()
    questions = list(stats.questions)
    names = [q.question_id for q in questions]
    colours = [POOR_COLOUR if q.poor else OK_COLOUR for q in questions]
    height = max(4.0, 0.32 * len(questions) + 1.5)
    fig, (ax_fac, ax_di, ax_hist) = plt.subplots(
        1, 3, figsize=(16, height), gridspec_kw={"width_ratios": [1, 1, 1.1]}
    )
    positions = list(range(len(questions)))
    ax_fac.barh(positions, [q.facility or 0.0 for q in questions], color=colours)
    for limit in (thresholds.facility_low, thresholds.facility_high):
        ax_fac.axvline(limit, color="grey", linestyle="--", linewidth=1)
    ax_fac.set_xlim(0, 100)
    ax_fac.set_xlabel("facility index (%)")
    ax_fac.set_yticks(positions, names, fontsize=8)
    for label, q in zip(ax_fac.get_yticklabels(), questions, strict=True):
        if q.poor:
            label.set_color(POOR_COLOUR)
    ax_fac.invert_yaxis()
    ax_fac.set_title("Facility")

    ax_di.barh(positions, [q.discrimination_index or 0.0 for q in questions], color=colours)
    ax_di.axvline(0, color="black", linewidth=1)
    ax_di.axvline(thresholds.discrimination_weak, color="grey", linestyle="--", linewidth=1)
    ax_di.set_xlim(-100, 100)
    ax_di.set_xlabel("discrimination index (%)")
    ax_di.set_yticks(positions, [""] * len(positions))
    ax_di.invert_yaxis()
    ax_di.set_title("Discrimination (red: flagged as poor)")

    bins = max(5, min(20, int(stats.max_points * 2) or 5))
    ax_hist.hist(
        stats.totals, bins=bins, range=(0, stats.max_points or 1), color=OK_COLOUR, edgecolor="white"
    )
    ax_hist.axvline(stats.mean, color="black", linestyle="-", linewidth=1, label=f"mean {stats.mean:.2f}")
    ax_hist.axvline(
        stats.median, color="grey", linestyle="--", linewidth=1, label=f"median {stats.median:.2f}"
    )
    ax_hist.set_xlabel(f"total (out of {stats.max_points:g})")
    ax_hist.set_ylabel("attempts")
    ax_hist.yaxis.get_major_locator().set_params(integer=True)
    ax_hist.legend(loc="upper left", fontsize=8)
    ax_hist.set_title(f"Scores ({stats.attempts} attempts)")

    fig.suptitle(f"Item analysis of {stats.quiz_id} ({stats.which} attempts)")
    fig.tight_layout()
    try:
        fig.savefig(output, format="png", dpi=100)
    except OSError as exc:
        raise DlgradeError(f"{output}: cannot write the plot ({exc.strerror or exc})") from None
    finally:
        plt.close(fig)
    return output
