"""The course commands of ``dlgrade``: init, release, collect, grade, feedback, export, status, report,
assignments.

Each is a thin shell over the library: parse options, call one function, print the outcome.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.cliopts import course_option, db_option, json_option, reports_errors
from grader.errors import DlgradeError


def _console() -> Console:
    return Console(width=None if sys.stdout.isatty() else 160)


def open_course(course_dir: Path) -> Any:
    """The Course at ``course_dir``; a clear error when it is not a course directory."""
    from grader.course import Course

    return Course(course_dir)


def _emit_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def register(cli: click.Group) -> None:
    """Add the course commands to the ``dlgrade`` group."""

    @cli.command("init")
    @click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
    @click.option("--course-id", default=None, help="Course id (default: the directory name).")
    @click.option(
        "--exchange",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="nbgrader exchange directory (default: DIRECTORY/exchange).",
    )
    @reports_errors
    def init_cmd(directory: Path, course_id: str | None, exchange: Path | None) -> None:
        """Create a course directory with every assignment of this repository in source/.

        \b
        Example:
          dlgrade init ~/dl-course --course-id dl2026
        """
        from grader.course import init_course

        course = init_course(directory, course_id or directory.resolve().name, exchange=exchange)
        names = ", ".join(course.assignments()) or "none"
        click.echo(f"Created course {course.course_id} in {course.root} (assignments: {names})")

    @cli.command("release")
    @click.argument("assignment")
    @course_option
    @reports_errors
    def release_cmd(assignment: str, course_dir: Path) -> None:
        """Make the student version of ASSIGNMENT and publish it to the exchange.

        Solutions and hidden tests are removed (nbgrader's generate step).
        """
        from grader.release import release_assignment

        path = release_assignment(open_course(course_dir), assignment)
        click.echo(f"Released {assignment}: {path}")

    @cli.command("collect")
    @click.argument("assignment")
    @course_option
    @click.option(
        "--from",
        "source",
        type=click.Path(exists=True, path_type=Path),
        default=None,
        help="Import a folder or LMS zip of notebooks named by student instead of the exchange.",
    )
    @click.option(
        "--pattern", default=None, help="Regex with a (?P<student>...) group for --from file names."
    )
    @reports_errors
    def collect_cmd(assignment: str, course_dir: Path, source: Path | None, pattern: str | None) -> None:
        """Collect submissions of ASSIGNMENT into submitted/ (from the exchange, or --from PATH)."""
        from grader.collect import collect_assignment
        from grader.lms_import import import_submissions

        course = open_course(course_dir)
        if source is None:
            students = collect_assignment(course, assignment)
            click.echo(f"Collected {len(students)} submission(s) of {assignment} from the exchange")
        else:
            report = import_submissions(course, assignment, source, pattern=pattern)
            click.echo(f"Imported {len(report.imported)} submission(s) of {assignment} from {source}")
            for problem in report.skipped:
                click.echo(f"  skipped {problem}", err=True)

    @cli.command("grade")
    @click.argument("assignment")
    @course_option
    @click.option("--student", "students", multiple=True, help="Grade only this student (repeatable).")
    @click.option(
        "--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Parallel sandboxes."
    )
    @db_option
    @click.option(
        "--seed", type=int, default=None, help="Seed of the hidden cases (default: random, recorded)."
    )
    @click.option("--force", is_flag=True, help="Regrade submissions whose files have not changed.")
    @click.option(
        "--cell-timeout",
        type=click.FloatRange(0.1),
        default=None,
        help="Seconds one notebook cell may run [assignment.toml: cell_timeout_s, else 60].",
    )
    @click.option(
        "--call-timeout",
        type=click.FloatRange(0.1),
        default=None,
        help="Seconds one hidden-test call may run [assignment.toml: call_timeout_s, else 30].",
    )
    @click.option(
        "--wall-timeout",
        type=click.FloatRange(1),
        default=None,
        help="Seconds one whole notebook may run [assignment.toml: time_budget_s, else 120].",
    )
    @click.option(
        "--unsafe-no-sandbox", is_flag=True, help="Run student code without bubblewrap (trusted code only)."
    )
    @click.option(
        "--scheduler",
        default=None,
        envvar="DLGRADE_SCHEDULER",
        metavar="ADDRESS",
        help="Grade on the Dask cluster of this scheduler, e.g. tcp://host:8786 [$DLGRADE_SCHEDULER; "
        "default: locally].",
    )
    @click.option(
        "--dask-retries",
        type=click.IntRange(0, 10),
        default=2,
        show_default=True,
        help="With --scheduler: retries of a task on which dlgrade itself failed.",
    )
    @click.option(
        "--scheduler-timeout",
        type=click.FloatRange(0.1),
        default=10.0,
        show_default=True,
        help="With --scheduler: seconds to connect and to wait for a suitable worker.",
    )
    @json_option
    @reports_errors
    def grade_cmd(
        assignment: str,
        course_dir: Path,
        students: tuple[str, ...],
        workers: int,
        db_url: str | None,
        seed: int | None,
        force: bool,
        cell_timeout: float | None,
        call_timeout: float | None,
        wall_timeout: float | None,
        unsafe_no_sandbox: bool,
        scheduler: str | None,
        dask_retries: int,
        scheduler_timeout: float,
        as_json: bool,
    ) -> None:
        """Grade every submission of ASSIGNMENT in sandboxes, in parallel, into the gradebook.

        With --scheduler, one task per submission goes to that Dask cluster (assignments whose
        metadata says gpu = true only to workers started with --resources GPU=1); this process
        still writes the gradebook. --workers then does not apply.

        \b
        Examples:
          dlgrade grade deep_network --workers 4
          dlgrade grade deep_network --student alice --db postgresql://grader@db/course
          dlgrade grade cnn --scheduler tcp://grading-head:8786
        """
        course = open_course(course_dir)
        if not unsafe_no_sandbox and scheduler is None:
            # Sandboxes take longest to start: they start while the rest of the grader loads.
            from grader.sandbox_warm import prewarm_notebooks

            with contextlib.suppress(DlgradeError):  # grade() reports an unknown assignment
                prewarm_notebooks(course.source_notebooks(assignment), workers)

        from grader.distributed import DaskSettings
        from grader.engine import GradeOptions, clip
        from grader.run import grade

        console = _console()
        given = {"cell_seconds": cell_timeout, "call_seconds": call_timeout, "wall_seconds": wall_timeout}
        options = GradeOptions(
            workers=workers,
            sandboxed=not unsafe_no_sandbox,
            seed=seed,
            force=force,
            # Only what is given overrides the assignment's budgets (assignment.toml).
            overrides={key: value for key, value in given.items() if value},
        )
        report = grade(
            course,
            assignment,
            students=students,
            options=options,
            db_url=db_url,
            console=None if as_json else console,
            cluster=DaskSettings(scheduler, dask_retries, scheduler_timeout) if scheduler else None,
        )
        rows = sorted(report.results, key=lambda r: r.student)
        if as_json:
            _emit_json(
                {
                    "run_id": report.run_id,
                    "seed": report.seed,
                    "wall_seconds": round(report.wall_seconds, 3),
                    "skipped": report.skipped,
                    "results": [
                        {
                            "student": r.student,
                            "status": r.status,
                            "score": r.score,
                            "max_score": r.max_score,
                            "message": r.message,
                        }
                        for r in rows
                    ],
                }
            )
            return
        if not rows and not report.skipped:
            console.print(
                f"Nothing to grade: no submission of {assignment} in {course.root / 'submitted'}"
                + ("" if students else f"; collect them first with `dlgrade collect {assignment}`")
            )
            return
        table = Table(title=f"{assignment}: run {report.run_id}, seed {report.seed}")
        for column in ("student", "status", "score", "message"):
            table.add_column(column, justify="right" if column == "score" else "left")
        for r in rows:
            # Messages quote the student's own text (exception messages): never read as rich markup.
            table.add_row(
                Text(r.student), r.status, f"{r.score:.2f} / {r.max_score:g}", Text(clip(r.message, 240))
            )
        console.print(table)
        graded = len(rows)
        mean = sum(r.score for r in rows) / graded if graded else 0.0
        console.print(
            f"{graded} graded in {report.wall_seconds:.1f} s, {len(report.skipped)} unchanged and skipped, "
            f"mean score {mean:.2f}"
        )

    @cli.command("status")
    @click.argument("assignment")
    @course_option
    @db_option
    @json_option
    @reports_errors
    def status_cmd(assignment: str, course_dir: Path, db_url: str | None, as_json: bool) -> None:
        """Show each student's state for ASSIGNMENT: submitted, graded, score, status."""
        from grader.export import export_rows
        from grader.resume import sqlite_file

        course = open_course(course_dir)
        default_file = sqlite_file(course.db_url) if db_url is None else None
        if default_file is not None and not default_file.exists():
            course.check_assignment(assignment)  # nothing graded yet: what is submitted, if anything
            rows = []
        else:
            rows = export_rows(db_url or course.db_url, assignment)
        submitted = {s.student for s in course.submissions(assignment)}
        known = {r.student_id for r in rows}
        if as_json:
            data = [r.as_dict() for r in rows] + [
                {"student_id": s, "assignment": assignment, "status": "submitted, not graded"}
                for s in sorted(submitted - known)
            ]
            _emit_json(data)
            return
        table = Table(title=f"{assignment}: status")
        # What went wrong (a cell stopped at its time limit, a changed read-only cell), when anything did.
        messages = any(r.message for r in rows)
        for column in ("student", "status", "score", *(("message",) if messages else ())):
            table.add_column(column, overflow="fold")
        for r in rows:
            score = f"{r.score:.2f} / {r.max_score:g}"
            table.add_row(Text(r.student_id), r.status, score, *([Text(r.message)] * messages))
        for s in sorted(submitted - known):
            table.add_row(Text(s), "submitted, not graded", "-", *([""] * messages))
        _console().print(table)

    @cli.command("export")
    @course_option
    @click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
    @click.option(
        "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Default: stdout."
    )
    @click.option("--assignment", default=None, help="Only this assignment.")
    @db_option
    @reports_errors
    def export_cmd(
        course_dir: Path, fmt: str, output: Path | None, assignment: str | None, db_url: str | None
    ) -> None:
        """Export grades as CSV: one row per student and assignment.

        Columns: student_id, assignment, score, max_score, status (and more; see README).
        """
        from grader.export import export_rows, write_csv

        course = open_course(course_dir)
        rows = export_rows(db_url or course.db_url, assignment)
        if output is None:
            write_csv(rows, sys.stdout)
        else:
            write_csv(rows, output)
            click.echo(f"Wrote {len(rows)} row(s) to {output}", err=True)

    @cli.command("feedback")
    @click.argument("assignment")
    @course_option
    @db_option
    @reports_errors
    def feedback_cmd(assignment: str, course_dir: Path, db_url: str | None) -> None:
        """Write per-student HTML feedback for ASSIGNMENT into feedback/<student>/<assignment>/."""
        from grader.feedback import write_feedback
        from grader.gradebook_reader import load_results

        course = open_course(course_dir)
        results = load_results(db_url or course.db_url, assignment)
        if not results:
            raise DlgradeError(
                f"no graded submissions of {assignment}: run `dlgrade grade {assignment}` first"
            )
        for result in results:
            write_feedback(result, course.root / "feedback")
        click.echo(f"Wrote feedback for {len(results)} student(s) under {course.root / 'feedback'}")

    @cli.command("report")
    @click.argument("assignment")
    @course_option
    @db_option
    @click.option(
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="PNG path (default: COURSE/reports/ASSIGNMENT.png).",
    )
    @json_option
    @reports_errors
    def report_cmd(
        assignment: str, course_dir: Path, db_url: str | None, output: Path | None, as_json: bool
    ) -> None:
        """Write a score histogram PNG and print per-test pass rates for ASSIGNMENT."""
        from grader.gradebook_reader import load_results
        from grader.report import pass_rates, write_histogram

        course = open_course(course_dir)
        results = load_results(db_url or course.db_url, assignment)
        if not results:
            raise DlgradeError(
                f"no graded submissions of {assignment}: run `dlgrade grade {assignment}` first"
            )
        png = write_histogram(results, output or course.root / "reports" / f"{assignment}.png", assignment)
        rates = pass_rates(results)
        if as_json:
            _emit_json(
                {
                    "histogram": str(png),
                    "tests": [r.__dict__ | {"full_marks_rate": r.full_marks_rate} for r in rates],
                }
            )
            return
        table = Table(title=f"{assignment}: {len(results)} submissions")
        for column in ("test", "mean", "full marks", "hidden cases passed"):
            table.add_column(column)
        for r in rates:
            table.add_row(
                r.grade_id,
                f"{r.mean_score:.2f} / {r.max_score:g}",
                f"{100 * r.full_marks_rate:.0f}%",
                f"{100 * r.case_pass_rate:.0f}%",
            )
        console = _console()
        console.print(table)
        console.print(f"Histogram: {png}")

    @cli.command("demo")
    @click.option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where to create the demo course (default: a new temporary directory).",
    )
    @click.option("--students", type=click.IntRange(6, 500), default=30, show_default=True)
    @click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
    @reports_errors
    def demo_cmd(directory: Path | None, students: int, workers: int) -> None:
        """Run a whole grading cycle on simulated students (what `make demo` runs).

        Creates a course, releases deep_network, writes simulated submissions (correct, each
        typical mistake, crashing, looping, the stub and one hostile), collects and grades them in
        the sandbox, and prints the gradebook and the paths of the feedback and the histogram.
        """
        from grader.demo import run_demo

        run_demo(directory, students=students, workers=workers, console=_console())

    @cli.command("assignments")
    @click.option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        default=None,
        help="Folder of assignments (default: this repository's assignments/).",
    )
    @json_option
    @reports_errors
    def assignments_cmd(directory: Path | None, as_json: bool) -> None:
        """List the assignments: name, title, week, points, graded functions and the GPU flag.

        \b
        Examples:
          dlgrade assignments
          dlgrade assignments --json
        """
        from grader.course import ASSIGNMENTS_DIR
        from grader.metadata import list_metadata

        metas = list_metadata(directory or ASSIGNMENTS_DIR)
        if as_json:
            _emit_json([m.as_dict() for m in metas])
            return
        table = Table("week", "name", "title", "points", "functions", "GPU", "budget")
        for m in metas:
            table.add_row(
                str(m.week),
                m.name,
                m.title,
                f"{m.total_points:g}",
                ", ".join(f.name for f in m.functions),
                "yes" if m.gpu else "no",
                f"{m.time_budget_s:g} s, {m.memory_budget_mb} MB",
            )
        _console().print(table)
