"""A grading run: plan once, grade submissions in parallel, record each result with one writer.

Submissions are graded by a backend: the local pool (grader.engine.run_parallel), or a Dask
cluster (grader.distributed) when a scheduler is given. Either hands each result to the same
writer on the calling thread.

The run is idempotent and resumable: a submission whose current result was produced from the same
files (same checksum) is skipped unless ``force`` is set, and each result is recorded as soon as it
arrives, so a run killed at any point loses at most the submissions that were in flight.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from grader.course import Course, LatePolicy, Submission, late_penalty
from grader.engine import GradeOptions, GradingPlan, plan, run_parallel, submission_checksum
from grader.records import SubmissionResult
from grader.resume import recorded_checksums
from grader.sandbox import SandboxUnavailableError, sandbox_available, sandbox_problem
from grader.sandbox_process import slot_uid
from grader.sandbox_warm import prewarm
from grader.schedule import slow_first

if TYPE_CHECKING:
    from grader.distributed import DaskSettings
    from grader.gradebook import GradebookWriter

OnResult = Callable[[SubmissionResult], None]
Backend = Callable[[GradingPlan, Sequence[Submission], GradeOptions, OnResult], None]
"""Grades submissions, handing each result to the callback on the calling thread (as run_parallel)."""


@dataclass
class RunReport:
    """What one grading run did."""

    run_id: int
    seed: int
    results: list[SubmissionResult]
    skipped: list[str]
    wall_seconds: float
    started: datetime


class _Recorder:
    """The run's one gradebook writer, opened when first needed: at the first result, so that the
    first jobs start while SQLAlchemy and nbgrader's schema load (or at once, when the gradebook
    can only be read through the writer)."""

    def __init__(self, course: Course, plan_: GradingPlan, db_url: str, workers: int) -> None:
        self.course, self.plan, self.db_url, self.workers = course, plan_, db_url, workers
        self.writer: GradebookWriter | None = None
        self.run_id = 0
        self.duedate: datetime | None = None
        self.policy: LatePolicy | None = None

    def open(self) -> GradebookWriter:
        """The writer, with the assignment synced and the run started."""
        if self.writer is None:
            from grader.gradebook import GradebookWriter

            writer = GradebookWriter(self.db_url, course_id=self.course.course_id)
            try:
                writer.sync_assignment(self.plan.spec)
                self.run_id = writer.start_run(self.plan.assignment, self.plan.seed, self.workers)
            except BaseException:
                writer.close()
                raise
            self.writer = writer
            # Once per run, after the sync: the due date may come from nbgrader's gradebook.
            self.duedate = self.course.duedate(self.plan.assignment)
            self.policy = self.course.late_policy()
        return self.writer

    def record(self, result: SubmissionResult) -> SubmissionResult:
        """Record one result (with its late penalty); the result as recorded."""
        writer = self.open()
        assert self.policy is not None
        penalty = late_penalty(self.course, self.plan.assignment, result, self.duedate, self.policy)
        final = replace(result, late_penalty=penalty) if penalty > 0 else result
        writer.record(self.run_id, final)
        return final

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@contextlib.contextmanager
def _backend(
    course: Course, plan_: GradingPlan, options: GradeOptions, cluster: DaskSettings | None
) -> Iterator[tuple[Backend, int]]:
    """The backend that grades ``plan_``'s submissions, and how many workers it has."""
    if cluster is None:
        if options.sandboxed and not sandbox_available():
            raise SandboxUnavailableError(sandbox_problem() or "unknown problem")
        if options.sandboxed:  # while the gradebook opens
            prewarm(range(max(1, options.workers)), slot_uid, plan_.preload)
        yield run_parallel, options.workers
        return
    from grader.distributed import connect, prepare, run_on_dask

    meta = course.metadata(plan_.assignment)
    gpu = meta is not None and meta.gpu
    with connect(cluster) as client:
        workers = prepare(client, cluster, gpu=gpu, what=plan_.assignment, sandboxed=options.sandboxed)
        yield functools.partial(run_on_dask, client, cluster, gpu=gpu), workers


def grade(
    course: Course,
    assignment: str,
    *,
    students: Sequence[str] = (),
    options: GradeOptions | None = None,
    db_url: str | None = None,
    console: Console | None = None,
    cluster: DaskSettings | None = None,
) -> RunReport:
    """Grade every submission of ``assignment`` (or only ``students``) and record the results.

    With ``cluster`` the submissions are graded on that Dask cluster, else by the local pool.
    Raises SandboxUnavailableError when the sandbox is requested but bubblewrap is missing here
    (local) or on a worker (ClusterError, which also reports an unreachable scheduler and an
    assignment needing a GPU that no worker has).
    """
    options = options or GradeOptions()
    started = datetime.now(UTC)
    start = time.perf_counter()
    plan_ = plan(course, assignment, options.seed)
    submissions: list[Submission] = course.submissions(assignment)
    if students:
        wanted = set(students)
        submissions = [s for s in submissions if s.student in wanted]
    with _backend(course, plan_, options, cluster) as (backend, workers):
        recorder = _Recorder(course, plan_, db_url or course.db_url, workers)
        try:
            done = recorded_checksums(recorder.db_url, assignment)
            if done is None:
                done = recorder.open().graded(assignment)
            if options.force:
                done = {}
            todo: list[Submission] = []
            skipped: list[str] = []
            for sub in submissions:
                if done.get(sub.student) == submission_checksum(sub.notebooks.values()):
                    skipped.append(sub.student)
                else:
                    todo.append(sub)
            results: list[SubmissionResult] = []
            progress = Progress(
                TextColumn("grading {task.fields[assignment]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[last]}"),
                console=console,
                transient=True,
                disable=console is None or not console.is_terminal,
            )
            with progress:
                task = progress.add_task("grade", total=len(todo), assignment=assignment, last="")

                def record(result: SubmissionResult) -> None:
                    final = recorder.record(result)
                    results.append(final)
                    last = f"{final.student}: {final.score:g}/{final.max_score:g}"
                    progress.update(task, advance=1, last=last)

                # Likely-slow notebooks first, so that quick ones fill the other workers meanwhile.
                backend(plan_, slow_first(todo), options, record)
            counts: dict[str, int] = {}
            for r in results:
                counts[r.status] = counts.get(r.status, 0) + 1
            recorder.open().finish_run(recorder.run_id, counts)
        finally:
            recorder.close()
    return RunReport(recorder.run_id, plan_.seed, results, skipped, time.perf_counter() - start, started)
