"""The ``dlgrade`` command line: thin commands over the grader and reference libraries."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import click
from rich.console import Console

from grader import __version__
from grader.cliopts import reports_errors
from grader.commands import register as register_course_commands
from grader.errors import ReferenceCheckError
from grader.hubcli import register as register_hub_commands
from grader.quizcli import register as register_quiz_commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dlgrade")
def cli() -> None:
    """dlgrade: release, collect, grade and give feedback on the course's notebooks."""


@cli.group()
def reference() -> None:
    """Verify the reference implementations that hidden tests compare against."""


@reference.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--no-torch", is_flag=True, help="Skip the PyTorch oracle comparisons.")
@click.option(
    "--only",
    "patterns",
    multiple=True,
    metavar="PATTERN",
    help="Only functions matching this glob, e.g. 'cnn.*' or 'lstm_backward' (repeatable).",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["gradient", "oracle", "known-value", "invariant"]),
    help="Only checks of this kind (repeatable).",
)
@reports_errors
def reference_check(as_json: bool, no_torch: bool, patterns: tuple[str, ...], kinds: tuple[str, ...]) -> None:
    """Run the gradient checks, the known course values and (with torch) the PyTorch oracle.

    Prints one row per check: function, check, worst relative error, pass/fail. Exits 1 when any
    check fails. Run it on a new machine or GPU image before grading on it.

    \b
    Examples:
      dlgrade reference check
      dlgrade reference check --only 'cnn.*' --json
    """
    from grader.refcheck import results_json, results_table, run_checks, select_checks

    checks = select_checks(patterns, kinds)
    if not checks:
        raise click.UsageError(f"no reference check matches --only {' '.join(patterns)}")
    # Piped output gets a wide table rather than rich's 80-column default.
    width = None if sys.stdout.isatty() else 160
    console = Console(stderr=True) if as_json else Console(width=width)
    results = run_checks(checks, use_torch=not no_torch, console=console)
    if as_json:
        click.echo(results_json(results))
    else:
        console.print(results_table(results))
        failed = sum(not r.passed for r in results)
        skipped = sum(r.status == "skipped" for r in results)
        console.print(f"{len(results) - failed - skipped} passed, {failed} failed, {skipped} skipped")
    failures = [r.check.name for r in results if not r.passed]
    if failures:
        raise ReferenceCheckError(failures)


register_course_commands(cli)
register_quiz_commands(cli)
register_hub_commands(cli)


def main() -> None:
    """Console-script entry point."""
    # nbgrader's gradebook runs the `alembic` executable installed beside this interpreter.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    try:
        cli(prog_name="dlgrade")
    finally:
        # The process ends now: the collector need not walk every object of every loaded module
        # (SQLAlchemy, nbgrader, numpy...) at shutdown, which took a fifth of a second.
        gc.freeze()
    sys.exit(0)


if __name__ == "__main__":
    main()
