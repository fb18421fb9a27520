"""What grading one submission of each assignment costs: wall time and CPU, in the sandbox and in the
grader's own process, against the assignment's budget (issue: under 60 s of CPU per submission).

For every assignment of this repository (or those named), the source solution is submitted as a
student would save it (solutions in, hidden tests out, no outputs) and graded by what ``dlgrade
grade`` runs for one submission (grader.engine.grade_submission), sandbox on, one worker. CPU is
read from a cpuacct cgroup that this process and every process it starts belong to: the kernel's
per-process accounting does not see the sandbox's processes, whose parent inside bubblewrap's pid
namespace never waits for them. The grader's share (reference values, comparisons, rebuilding and
training Keras models outside the sandbox) is this process's own (RUSAGE_SELF); the sandbox's is
the rest. The first submission of an assignment also pays the grader's imports for it
(TensorFlow: several seconds). Needs root and cgroup v1's cpuacct (or v2) to measure the sandbox.

    python benchmarks/assignment_costs.py [NAME ...] [--repeat 2] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests
from rich.console import Console
from rich.table import Table

from grader.course import Course, init_course
from grader.engine import GradeOptions, grade_submission, plan
from grader.metadata import list_metadata

ROOT = Path(__file__).resolve().parent.parent


class CpuGroup:
    """A cgroup holding this process and its descendants, to read their CPU time as one total."""

    def __init__(self) -> None:
        name = f"dlgrade-costs-{os.getpid()}"
        self.usage: Path | None = None
        for base, tasks, usage in (
            (Path("/sys/fs/cgroup/cpuacct"), "tasks", "cpuacct.usage"),
            (Path("/sys/fs/cgroup/unified"), "cgroup.procs", "cpu.stat"),
            (Path("/sys/fs/cgroup"), "cgroup.procs", "cpu.stat"),
        ):
            try:
                (base / name).mkdir()
                (base / name / tasks).write_text(str(os.getpid()))
            except OSError:
                continue
            self.usage = base / name / usage
            break

    def close(self) -> None:
        """Move this process back to the root group and remove the group."""
        if self.usage is None:
            return
        folder = self.usage.parent
        tasks = "tasks" if (folder / "tasks").exists() else "cgroup.procs"
        with contextlib.suppress(OSError):
            (folder.parent / tasks).write_text(str(os.getpid()))
            folder.rmdir()

    def seconds(self) -> float | None:
        """CPU seconds used by the group so far; None when no cgroup could be made."""
        if self.usage is None:
            return None
        text = self.usage.read_text()
        if self.usage.name == "cpuacct.usage":
            return int(text) / 1e9
        fields = dict(line.split() for line in text.splitlines())
        return int(fields["usage_usec"]) / 1e6


def _self_cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def _submit(course: Course, student: str, name: str, notebook: str) -> None:
    nb = nbformat.read(ROOT / "assignments" / name / notebook, as_version=4)
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    folder = course.submitted_dir / student / name
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / notebook)
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="assignments (default: all)")
    parser.add_argument("--repeat", type=int, default=2, help="submissions graded per assignment")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    metas = [m for m in list_metadata(ROOT / "assignments") if not args.names or m.name in args.names]
    console = Console(width=130)
    group = CpuGroup()
    if group.usage is None:
        console.print("no cgroup for CPU accounting (needs root): the sandbox's CPU is not measured")
    rows = []
    with tempfile.TemporaryDirectory(prefix="dlgrade-costs-") as tmp:
        course = init_course(Path(tmp) / "course", "costs")
        for meta in metas:
            for k in range(args.repeat):
                _submit(course, f"student{k}", meta.name, meta.notebook)
            plan_ = plan(course, meta.name, seed=5)
            for k, submission in enumerate(course.submissions(meta.name)):
                self0, total0 = _self_cpu(), group.seconds()
                start = time.perf_counter()
                result = grade_submission(plan_, submission, GradeOptions(workers=1))
                wall = time.perf_counter() - start
                self1, total1 = _self_cpu(), group.seconds()
                grader_cpu = self1 - self0
                sandbox_cpu = 0.0 if total0 is None or total1 is None else total1 - total0 - grader_cpu
                rows.append(
                    {
                        "assignment": meta.name,
                        "submission": k + 1,
                        "score": result.score,
                        "max_score": result.max_score,
                        "wall_s": round(wall, 2),
                        "sandbox_cpu_s": round(sandbox_cpu, 2),
                        "grader_cpu_s": round(grader_cpu, 2),
                        "cpu_s": round(sandbox_cpu + grader_cpu, 2),
                        "budget_s": meta.time_budget_s,
                        "gpu": meta.gpu,
                    }
                )
                console.print(f"{meta.name} #{k + 1}: {rows[-1]['cpu_s']} s CPU, {rows[-1]['wall_s']} s wall")
    table = Table(title="grading one submission (source solution, sandbox on, 1 worker)")
    columns = ("assignment", "#", "score", "wall s", "sandbox CPU s", "grader CPU s", "CPU s", "budget s")
    for column in columns:
        table.add_column(column, justify="left" if column == "assignment" else "right")
    for r in rows:
        table.add_row(
            r["assignment"],
            str(r["submission"]),
            f"{r['score']:g}/{r['max_score']:g}",
            f"{r['wall_s']:.2f}",
            f"{r['sandbox_cpu_s']:.2f}",
            f"{r['grader_cpu_s']:.2f}",
            f"{r['cpu_s']:.2f}",
            str(r["budget_s"]),
        )
    console.print(table)
    worst = max(rows, key=lambda r: r["cpu_s"])
    console.print(
        f"most CPU for one submission: {worst['assignment']} {worst['cpu_s']:.1f} s (goal: under 60 s)"
    )
    group.close()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0 if all(r["score"] == r["max_score"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
