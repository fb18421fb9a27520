"""Grading on Dask against the local pool: throughput, overhead, and the time for a 1000-student class.

The same N simulated deep_network submissions (grader.simulate: correct, partly wrong, crashing,
looping, stubs, one hostile) are graded, sandbox on, with a fixed seed and ``force``, by what
``dlgrade grade`` runs (grader.run.grade):

- local: the local pool with W threads (``--workers W``);
- dask-1 and dask-2: a local Dask cluster (distributed.LocalCluster, one process per worker, one
  thread each) with 1 and 2 workers (``--scheduler ADDRESS``).

Each cluster is started and warmed up (two submissions graded, so that the workers have imported
dlgrade and numpy, as they have on a cluster that serves a course) before the timed run; the
start-up is printed separately. Every wall time includes planning, connecting, the worker checks,
scattering the plan and writing the gradebook (SQLite, one file per run).

Figures printed: throughput (submissions per second), Dask's overhead against the local pool at
the same parallelism ((wall dask-W - wall local) / wall local; the goal is under 15%), the
per-submission cost in worker-seconds, the writer's cost per result, and the estimate for a class
of C students on K workers:

    T(K) = fixed + C * max(cost / K, writer)

where ``fixed`` is the run's start (plan, connection, checks, scatter: wall of dask-1 minus N*cost
measured on the worker side), ``cost`` the mean worker-seconds per submission in the dask-1 run
(the sum of the tasks' durations over N, this mix of submissions), and ``writer`` the single
writer's seconds per recorded result (it bounds throughput however many workers there are).

    python benchmarks/grade_on_dask.py [--n 40] [--workers 2] [--class-size 1000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.course import Course, init_course  # noqa: E402
from grader.distributed import DaskSettings  # noqa: E402
from grader.engine import GradeOptions  # noqa: E402
from grader.gradebook import GradebookWriter  # noqa: E402
from grader.run import RunReport, grade  # noqa: E402
from grader.simulate import build_submissions  # noqa: E402

ASSIGNMENT = "deep_network"
SOURCE = ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
SEED = 2026
ESTIMATE_WORKERS = (1, 4, 16, 64)


@dataclass
class Measured:
    name: str
    wall: float
    results: int
    task_seconds: float
    record_seconds: float


@contextmanager
def _timed_writer() -> Iterator[list[float]]:
    """Seconds spent in each GradebookWriter.record call while the block runs."""
    spent: list[float] = []
    original = GradebookWriter.record

    def record(self: GradebookWriter, run_id: int, result: Any) -> None:
        start = time.perf_counter()
        try:
            original(self, run_id, result)
        finally:
            spent.append(time.perf_counter() - start)

    GradebookWriter.record = record  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        GradebookWriter.record = original  # type: ignore[method-assign]


def _course(tmp: Path, n: int) -> Course:
    course = init_course(tmp / "course", "bench", exchange=tmp / "exchange")
    notebooks = tmp / "notebooks"
    for student in build_submissions(SOURCE, notebooks, n, SEED):
        folder = course.submitted_dir / student / ASSIGNMENT
        folder.mkdir(parents=True)
        shutil.copyfile(notebooks / f"{student}.ipynb", folder / f"{ASSIGNMENT}.ipynb")
    return course


def _run(
    name: str,
    course: Course,
    tmp: Path,
    workers: int,
    cluster: DaskSettings | None,
    students: tuple[str, ...] = (),
) -> tuple[Measured, RunReport]:
    options = GradeOptions(workers=workers, seed=SEED, force=True)
    db = f"sqlite:///{tmp / f'{name}.db'}"
    with _timed_writer() as spent:
        start = time.perf_counter()
        report = grade(course, ASSIGNMENT, students=students, options=options, db_url=db, cluster=cluster)
        wall = time.perf_counter() - start
    task_seconds = sum(r.wall_seconds for r in report.results)
    return Measured(name, wall, len(report.results), task_seconds, statistics.fmean(spent)), report


def _on_cluster(
    course: Course, tmp: Path, workers: int, warm: tuple[str, ...]
) -> tuple[Measured, RunReport, float]:
    from distributed import LocalCluster

    start = time.perf_counter()
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        cluster.wait_for_workers(workers)
        settings = DaskSettings(cluster.scheduler_address, timeout=60)
        _run(f"warm-{workers}", course, tmp, workers, settings, warm)
        started = time.perf_counter() - start
        measured, report = _run(f"dask-{workers}", course, tmp, workers, settings)
    return measured, report, started


def _scores(report: RunReport) -> dict[str, tuple[str, float]]:
    return {r.student: (r.status, r.score) for r in report.results}


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=40, help="simulated submissions")
    parser.add_argument("--workers", type=int, default=2, help="threads of the local pool")
    parser.add_argument("--class-size", type=int, default=1000, help="students of the estimate")
    parser.add_argument("--keep", type=Path, default=None, help="keep the course and gradebooks here")
    args = parser.parse_args(argv)
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="dlgrade-dask-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        course = _course(tmp, args.n)
        warm = tuple(course.students(ASSIGNMENT)[:2])
        # The local pool, warmed up the same way (this process's imports, the sandbox's page cache).
        _run("warm-local", course, tmp, args.workers, None, warm)
        local, local_report = _run("local", course, tmp, args.workers, None)
        dask1, report1, start1 = _on_cluster(course, tmp, 1, warm)
        dask2, report2, start2 = _on_cluster(course, tmp, 2, warm)
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    reference = _scores(local_report)
    differ = sorted(
        student
        for report in (report1, report2)
        for student, outcome in _scores(report).items()
        if reference.get(student) != outcome
    )
    n = args.n
    rows = [["run", "workers", "wall s", "subs/s", "worker-s/sub", "writer ms/result"]]
    for m, w in ((local, args.workers), (dask1, 1), (dask2, 2)):
        rows.append(
            [
                m.name,
                str(w),
                f"{m.wall:.2f}",
                f"{m.results / m.wall:.2f}",
                f"{m.task_seconds / m.results:.3f}",
                f"{1000 * m.record_seconds:.1f}",
            ]
        )
    print(f"{n} simulated {ASSIGNMENT} submissions, sandbox on, seed {SEED}")
    print(_table(rows))
    print(f"cluster start-up and warm-up (not timed): {start1:.1f} s (1 worker), {start2:.1f} s (2 workers)")
    print(
        "scores identical in all three runs: "
        + ("yes" if not differ else f"no: {', '.join(sorted(set(differ)))} (time limits under load?)")
    )
    for student in sorted(set(differ)):
        print(
            f"  {student}: local {reference[student]}, dask-1 {_scores(report1).get(student)}, "
            f"dask-2 {_scores(report2).get(student)}"
        )
    compare = dask2 if args.workers == 2 else dask1
    overhead = (compare.wall - local.wall) / local.wall
    verdict = "meets" if overhead < 0.15 else "misses"
    print(
        f"Dask overhead vs local pool at {compare.name.split('-')[1]} worker(s): {100 * overhead:+.1f}% "
        f"({verdict} the < 15% goal)"
    )
    print(f"speed-up dask-2 / dask-1: {dask1.wall / dask2.wall:.2f}x")
    cost = dask1.task_seconds / dask1.results
    fixed = max(0.0, dask1.wall - dask1.task_seconds)
    # The writer's cost when its process does nothing else (dask runs); the local pool's threads
    # compete with it for the grading machine's cores.
    writer = min(dask1.record_seconds, dask2.record_seconds)
    size = args.class_size
    print()
    print(f"estimate for {size} students: T(K) = fixed + {size} * max(cost / K, writer)")
    print(f"  cost   = {cost:.3f} worker-s per submission (dask-1, this mix: sum of task times / {n})")
    print(f"  fixed  = {fixed:.2f} s (dask-1 wall - sum of task times: plan, connect, scatter, gaps)")
    print(f"  writer = {1000 * writer:.1f} ms per result (one writer; caps throughput at {1 / writer:.0f}/s)")
    estimate = [["workers K", "T(K)", "subs/s"]]
    for k in ESTIMATE_WORKERS:
        total = fixed + size * max(cost / k, writer)
        estimate.append([str(k), _duration(total), f"{size / total:.1f}"])
    print(_indent(_table(estimate)))
    looping = sum(
        1
        for r in report1.results
        if r.wall_seconds > 5 * statistics.median(x.wall_seconds for x in report1.results)
    )
    print(f"  (the mix holds {looping} of {n} submissions that run into time limits; they dominate cost)")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{seconds:.1f} s"


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


if __name__ == "__main__":
    main()
