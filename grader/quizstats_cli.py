"""The ``dlgrade quiz stats`` and ``dlgrade quiz regrade`` commands: item analysis and regrading.

Thin click commands over :mod:`quizzes.stats`, :mod:`quizzes.statsplot` and :mod:`quizzes.regrade`,
reading attempts from the gradebook database (``--db``, ``$DLGRADE_DB``, else the course's gradebook).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from grader.cliopts import attempts_place, course_option, db_option, json_option, reports_errors

if TYPE_CHECKING:
    from quizzes.bank import Bank
    from quizzes.quiz import Quiz
    from quizzes.stats import QuizStats, Which
    from quizzes.store import SqlAttemptStore


def _console(stderr: bool = False) -> Console:
    return Console(width=None if sys.stdout.isatty() else 160, stderr=stderr)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}%"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


@contextmanager
def _progress(label: str, total: int, quiet: bool) -> Iterator[Progress]:
    """A rich progress bar on stderr (hidden for --json or when stderr is not a terminal)."""
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=_console(stderr=True), disable=quiet, transient=True) as progress:
        progress.add_task(label, total=total)
        yield progress


def _load(quiz_id: str, bank_dir: Path | None, quizzes_dir: Path | None) -> tuple[Quiz, Bank]:
    from quizzes import BANK_DIR, QUIZZES_DIR
    from quizzes.bank import load_bank
    from quizzes.quiz import find_quiz

    bank = load_bank(bank_dir or BANK_DIR)
    return find_quiz(quiz_id, quizzes_dir or QUIZZES_DIR), bank


def _store(db_url: str | None, course_id: str | None, course_dir: Path) -> SqlAttemptStore:
    from quizzes.store import SqlAttemptStore

    return SqlAttemptStore(*attempts_place(db_url, course_id, course_dir))


def print_stats(stats: QuizStats) -> None:
    """The rich tables of ``quiz stats``: test statistics, questions, poor questions with reasons."""
    console = _console()
    summary = Table("statistic", "value", title=f"Quiz {stats.quiz_id}: {stats.which} attempts")
    mp = stats.max_points or 1.0
    rows = [
        ("attempts", f"{stats.attempts}"),
        ("mean", f"{stats.mean:.3f} / {stats.max_points:g} ({100 * stats.mean / mp:.2f}%)"),
        ("median", f"{stats.median:.3f} ({100 * stats.median / mp:.2f}%)"),
        ("standard deviation", "" if stats.sd is None else f"{stats.sd:.3f} ({100 * stats.sd / mp:.2f}%)"),
        ("skewness", _num(stats.skewness)),
        ("kurtosis", _num(stats.kurtosis)),
        ("coefficient of internal consistency", _pct(stats.cic)),
        ("error ratio", _pct(stats.error_ratio)),
        ("standard error", "" if stats.standard_error is None else f"{stats.standard_error:.3f}"),
    ]
    for name, value in rows:
        summary.add_row(name, value)
    console.print(summary)
    table = Table(
        "question", "type", "n", "facility", "SD", "guess", "intended", "effective", "discr.", "disc. eff."
    )
    for q in stats.questions:
        style = "red" if q.severity == "red" else "yellow" if q.poor else None
        table.add_row(
            q.question_id,
            q.type,
            str(q.attempts),
            _pct(q.facility),
            _pct(q.sd),
            _pct(q.random_guess_score),
            _pct(q.intended_weight),
            _pct(q.effective_weight),
            _pct(q.discrimination_index),
            _pct(q.discriminative_efficiency),
            style=style,
        )
    console.print(table)
    poor = stats.poor
    if not poor:
        console.print("No question flagged as poor.")
        return
    console.print(f"{len(poor)} question(s) flagged as poor:")
    for q in poor:
        console.print(f"  [bold]{q.question_id}[/bold] ({q.severity})", highlight=False)
        for reason in q.flags:
            console.print(f"    - {reason}", highlight=False)


def register(quiz_group: click.Group) -> None:
    """Add ``stats`` and ``regrade`` to the ``quiz`` group."""

    def _common(func: click.decorators.FC) -> click.decorators.FC:
        options = [
            db_option,
            click.option(
                "--course-id",
                default=None,
                help='Course id of the quiz attempts (default: the course\'s, else "default").',
            ),
            click.option(
                "--bank",
                "bank_dir",
                type=click.Path(file_okay=False, exists=True, path_type=Path),
                default=None,
                help="Folder of question files (default: this repository's quizzes/bank/).",
            ),
            click.option(
                "--quizzes",
                "quizzes_dir",
                type=click.Path(file_okay=False, exists=True, path_type=Path),
                default=None,
                help="Folder of quiz files (default: this repository's quizzes/quizzes/).",
            ),
            course_option,
        ]
        for option in reversed(options):
            func = option(func)
        return func

    @quiz_group.command("stats")
    @click.argument("quiz_id")
    @_common
    @click.option(
        "--attempts",
        "which",
        type=click.Choice(["first", "last", "highest", "all"]),
        default="first",
        show_default=True,
        help="Which attempt of each student counts (Moodle's default: first).",
    )
    @click.option(
        "--plot",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Write facility, discrimination and the score histogram to this PNG file.",
    )
    @json_option
    @reports_errors
    def stats_cmd(
        quiz_id: str,
        db_url: str | None,
        course_id: str | None,
        bank_dir: Path | None,
        quizzes_dir: Path | None,
        course_dir: Path,
        which: str,
        plot: Path | None,
        as_json: bool,
    ) -> None:
        """Item statistics of QUIZ with Moodle's definitions; lists the questions flagged as poor.

        \b
        Examples:
          dlgrade quiz stats week-05
          dlgrade quiz stats week-05 --plot week-05-stats.png --json
        """
        from quizzes.stats import analyse, grade_attempts
        from quizzes.statsplot import plot_stats

        quiz, bank = _load(quiz_id, bank_dir, quizzes_dir)
        with _store(db_url, course_id, course_dir) as store:
            results = store.results(quiz.id)
        with _progress("grading attempts", len(results), quiet=as_json) as progress:
            task = progress.task_ids[0]
            graded = grade_attempts(quiz, bank, results, lambda: progress.advance(task))
        stats = analyse(quiz, bank, graded, cast("Which", which))
        if plot is not None:
            plot_stats(stats, plot)
        if as_json:
            data = stats.as_dict()
            if plot is not None:
                data["plot"] = str(plot)
            click.echo(json.dumps(data, indent=2))
            return
        print_stats(stats)
        if plot is not None:
            click.echo(f"Plot written to {plot}")

    @quiz_group.command("regrade")
    @click.argument("quiz_id")
    @_common
    @click.option("--question", "question_id", default=None, help="Re-score only this question.")
    @click.option("--dry-run", is_flag=True, help="Show the changes, store nothing.")
    @json_option
    @reports_errors
    def regrade_cmd(
        quiz_id: str,
        db_url: str | None,
        course_id: str | None,
        bank_dir: Path | None,
        quizzes_dir: Path | None,
        course_dir: Path,
        question_id: str | None,
        dry_run: bool,
        as_json: bool,
    ) -> None:
        """Re-score every submitted attempt of QUIZ from the current bank (after fixing a question).

        Prints the attempts whose score changed (student, old, new); essays keep their manual grades.

        \b
        Examples:
          dlgrade quiz regrade week-05 --dry-run
          dlgrade quiz regrade week-05 --question adam-first-step
        """
        from quizzes.regrade import regrade

        quiz, bank = _load(quiz_id, bank_dir, quizzes_dir)
        with _store(db_url, course_id, course_dir) as store:
            total = sum(1 for r in store.results(quiz.id) if r.attempt.submitted_at is not None)
            with _progress("regrading", total, quiet=as_json) as progress:
                task = progress.task_ids[0]
                report = regrade(quiz, bank, store, question_id, dry_run, lambda: progress.advance(task))
        if as_json:
            click.echo(json.dumps(report.as_dict(), indent=2))
            return
        console = _console()
        table = Table("student", "attempt", "old", "new", "max", "questions changed")
        for change in report.changes:
            old = "" if change.old is None else f"{change.old:g}"
            table.add_row(
                Text(change.student_id),  # a hub user name or link id: not rich markup
                str(change.attempt),
                old,
                f"{change.new:g}",
                f"{change.max_points:g}",
                ", ".join(change.questions),
            )
        if report.changes:
            console.print(table)
        verb = "would change" if dry_run else "changed"
        console.print(
            f"{report.regraded} attempt(s) regraded{' (dry run, nothing stored)' if dry_run else ''}; "
            f"{len(report.changes)} {verb}."
        )
