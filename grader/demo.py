"""The demo behind ``make demo``: a whole grading cycle on simulated students, on this machine.

Creates a course in a temporary directory, releases the deep network assignment, writes simulated
submissions (correct, each typical mistake, crashing, looping, the untouched stub and one hostile),
imports them as an LMS folder, grades them in the sandbox into a SQLite gradebook, and writes the
feedback pages and the score report.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.course import Course, init_course
from grader.engine import GradeOptions
from grader.export import export_rows
from grader.feedback import write_feedback
from grader.gradebook_reader import load_results
from grader.lms_import import import_submissions
from grader.release import release_assignment
from grader.report import pass_rates, write_histogram
from grader.run import grade
from grader.simulate import build_submissions

ASSIGNMENT = "deep_network"


@dataclass(frozen=True)
class DemoOutcome:
    """Where the demo left its course and what it produced."""

    course: Course
    kinds: dict[str, str]
    feedback: list[Path]
    histogram: Path


def run_demo(
    directory: Path | None = None,
    *,
    students: int = 30,
    workers: int = 2,
    seed: int = 2026,
    console: Console | None = None,
) -> DemoOutcome:
    """Run the whole cycle in ``directory`` (a new temporary directory when None)."""
    console = console or Console()
    root = Path(tempfile.mkdtemp(prefix="dlgrade-demo-")) if directory is None else directory
    course = init_course(root / "course", "demo")
    console.print(f"[bold]1.[/] course created in {course.root}")
    released = release_assignment(course, ASSIGNMENT)
    console.print(f"[bold]2.[/] released {ASSIGNMENT}: {released}")
    inbox = root / "lms-download"
    kinds = build_submissions(
        course.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", inbox, students, seed
    )
    console.print(f"[bold]3.[/] wrote {len(kinds)} simulated submissions to {inbox}")
    imported = import_submissions(course, ASSIGNMENT, inbox)
    console.print(
        f"[bold]4.[/] collected {len(imported.imported)} submissions into {course.root / 'submitted'}"
    )
    console.print(f"[bold]5.[/] grading with {workers} sandboxed workers ...")
    # The assignment's own budgets (assignment.toml): the looping students cost one timeout each.
    options = GradeOptions(workers=workers, seed=seed)
    report = grade(course, ASSIGNMENT, options=options, console=console)
    console.print(
        f"    graded {len(report.results)} submissions in {report.wall_seconds:.1f} s "
        f"({len(report.results) / max(report.wall_seconds, 1e-9):.1f} per second)"
    )
    table = Table(title=f"gradebook: {ASSIGNMENT} ({course.db_url})")
    for column in ("student", "simulated as", "status", "score", "message"):
        table.add_column(column, justify="right" if column == "score" else "left")
    for row in export_rows(course.db_url, ASSIGNMENT):
        table.add_row(
            Text(row.student_id),
            kinds.get(row.student_id, "?"),
            row.status,
            f"{row.score:.1f} / {row.max_score:g}",
            Text((row.message or "")[:60]),  # the hostile student's text is not rich markup
        )
    console.print(table)
    results = load_results(course.db_url, ASSIGNMENT)
    feedback = [write_feedback(r, course.root / "feedback") for r in results]
    histogram = write_histogram(results, course.root / "reports" / f"{ASSIGNMENT}.png", ASSIGNMENT)
    worst = min(pass_rates(results), key=lambda r: r.case_pass_rate)
    console.print(
        f"[bold]6.[/] feedback: {len(feedback)} pages under {course.root / 'feedback'}, e.g. {feedback[0]}"
    )
    console.print(f"    histogram and pass rates: {histogram} (hardest test: {worst.grade_id})")
    return DemoOutcome(course, kinds, feedback, histogram)
