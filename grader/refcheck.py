"""Running the reference checks for ``dlgrade reference check`` and reporting them."""

from __future__ import annotations

import fnmatch
import json
import math
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from reference.checks import Check, CheckResult, all_checks, run_check, torch_available


def select_checks(patterns: Sequence[str] = (), kinds: Sequence[str] = ()) -> list[Check]:
    """The checks whose function matches one of the glob patterns (all when none are given)
    and whose kind is one of ``kinds`` (all when empty)."""
    selected = []
    for check in all_checks():
        if patterns and not any(
            fnmatch.fnmatch(check.function, p) or fnmatch.fnmatch(check.function, f"*.{p}") for p in patterns
        ):
            continue
        if kinds and check.kind not in kinds:
            continue
        selected.append(check)
    return selected


def run_checks(
    checks: Iterable[Check], *, use_torch: bool = True, console: Console | None = None
) -> list[CheckResult]:
    """Run the checks in order, showing a progress bar on ``console`` when it is a terminal."""
    checks = list(checks)
    results: list[CheckResult] = []
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=console is None or not console.is_terminal,
    )
    with progress:
        task = progress.add_task("reference checks", total=len(checks))
        for check in checks:
            progress.update(task, description=check.function)
            results.append(run_check(check, use_torch=use_torch))
            progress.advance(task)
    return results


def _format_error(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2e}"


def results_table(results: Sequence[CheckResult]) -> Table:
    """A rich table: function, check, worst error, tolerance, verdict."""
    table = Table(title="Reference checks", show_lines=False)
    table.add_column("function")
    table.add_column("check")
    table.add_column("worst error", justify="right")
    table.add_column("tolerance", justify="right")
    table.add_column("result")
    styles = {"pass": "green", "fail": "bold red", "error": "bold red", "skipped": "yellow"}
    for r in results:
        verdict = f"[{styles[r.status]}]{r.status}[/]"
        if r.message:
            verdict += f" ({r.message})"
        table.add_row(
            r.check.function,
            f"{r.check.kind}: {r.check.description}",
            _format_error(r.error),
            f"{r.check.tolerance:.0e}",
            verdict,
        )
    return table


def results_json(results: Sequence[CheckResult]) -> str:
    """The results as a JSON document (a list of objects), for machines."""
    rows = [
        {
            "function": r.check.function,
            "kind": r.check.kind,
            "check": r.check.description,
            "worst_error": None if math.isnan(r.error) else r.error,
            "tolerance": r.check.tolerance,
            "status": r.status,
            "passed": r.passed,
            "seconds": round(r.seconds, 4),
            "message": r.message,
        }
        for r in results
    ]
    return json.dumps({"torch": torch_available(), "results": rows}, indent=2)
