"""Grading on a Dask cluster: one task per submission, GPU work on GPU workers, one writer.

``dlgrade grade ASSIGNMENT --scheduler tcp://HOST:8786`` connects to a running scheduler
(stock ``dask scheduler``) whose workers (stock ``dask worker``; ``--resources GPU=1`` on GPU
machines) have dlgrade and bubblewrap installed. The grading plan is scattered to every worker
once; each task carries one submission's notebook bytes, so workers need no shared file system.
A worker writes them into a temporary directory of its own and grades them in the same sandbox
as a local run (slots are claimed with per-slot file locks, so several worker processes on one
machine never share a sandbox uid). Results come back as plain SubmissionResult records and are
handed to the caller's ``on_result`` on the calling thread, as the local pool does, so the one
gradebook writer, resumption and idempotence work unchanged.

A worker that dies mid-task has its task rescheduled by the scheduler; a submission whose
grading kills ``distributed.scheduler.allowed-failures`` + 1 workers is recorded as failed
with a message saying so, instead of being retried for ever.
"""

from __future__ import annotations

import contextlib
import pickle
import queue
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.course import Submission
from grader.engine import GradeOptions, GradingPlan, failed_result, grade_submission
from grader.errors import DlgradeError
from grader.records import SubmissionResult

SCHEDULER_ENV = "DLGRADE_SCHEDULER"
"""The environment variable that gives ``--scheduler`` its default."""

GPU_RESOURCE = "GPU"
"""The worker resource that GPU assignments (metadata ``gpu = true``) require, one unit per task."""

DEFAULT_RETRIES = 2
DEFAULT_TIMEOUT = 10.0
_POLL_SECONDS = 0.2
_RERUN = "what was graded is recorded: run the command again to grade the rest"


class ClusterError(DlgradeError):
    """The Dask cluster at ``address`` cannot grade: unreachable, no suitable worker, broken workers."""

    def __init__(self, address: str, message: str) -> None:
        self.address = address
        super().__init__(f"Dask scheduler {address}: {message}")


class WorkerLostError(Exception):
    """Grading one submission killed every worker that tried it (recorded as a failed result)."""


@dataclass(frozen=True)
class DaskSettings:
    """Where and how to grade on Dask.

    ``timeout`` bounds both connecting to the scheduler and waiting for a worker able to take the
    assignment's tasks. ``retries`` is how often a task that raised (dlgrade failing on a worker,
    not the student's code) is tried again before its submission is recorded as failed.
    """

    address: str
    retries: int = DEFAULT_RETRIES
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class Payload:
    """One submission as a worker receives it: the notebooks' bytes, no path of this machine."""

    student: str
    assignment: str
    notebooks: dict[str, bytes]
    timestamp: datetime | None
    problems: tuple[str, ...]


def payload_of(submission: Submission) -> Payload:
    """Read the submission's notebooks; raises OSError when one cannot be read."""
    notebooks = {name: path.read_bytes() for name, path in submission.notebooks.items()}
    return Payload(
        submission.student, submission.assignment, notebooks, submission.timestamp, submission.problems
    )


def task_key(assignment: str, student: str, token: str) -> str:
    """The Dask key of one submission's task in one run (student ids are safe path names)."""
    return f"dlgrade-{assignment}-{student}-{token}"


# -- the worker side ---------------------------------------------------------------------------

_slots: queue.SimpleQueue[int] = queue.SimpleQueue()
_next_slot = [0]


def _take_slot() -> int:
    """A preferred sandbox slot for this worker thread; the sandbox locks the one it really uses."""
    try:
        return _slots.get_nowait()
    except queue.Empty:
        _next_slot[0] += 1
        return _next_slot[0] - 1


def grade_payload(plan_: GradingPlan, packed: bytes) -> SubmissionResult:
    """Grade one submission on a worker (the Dask task); ``packed`` is a pickled (Payload, GradeOptions).

    Arguments travel pickled so that the scheduler never needs dlgrade's classes. Exceptions of
    dlgrade itself propagate, so that Dask's retries apply; the student's code never raises here.
    """
    payload, options = pickle.loads(packed)
    if not isinstance(payload, Payload) or not isinstance(options, GradeOptions):
        raise TypeError("a grading task needs a Payload and GradeOptions")
    with tempfile.TemporaryDirectory(prefix="dlgrade-submission-") as temp:
        directory = Path(temp) / payload.student / payload.assignment
        directory.mkdir(parents=True)
        notebooks: dict[str, Path] = {}
        for name, data in payload.notebooks.items():
            if Path(name).name != name or name.startswith("."):
                raise ValueError(f"invalid notebook name {name!r}")
            path = directory / f"{name}.ipynb"
            path.write_bytes(data)
            notebooks[name] = path
        submission = Submission(
            payload.student, payload.assignment, directory, notebooks, payload.timestamp, payload.problems
        )
        slot = _take_slot()
        try:
            return grade_submission(plan_, submission, options, slot)
        finally:
            _slots.put(slot)


def worker_report() -> dict[str, str | None]:
    """What a worker says about itself before a run: dlgrade's version, and why its sandbox cannot run."""
    import grader
    from grader.sandbox import sandbox_problem

    return {"version": grader.__version__, "sandbox": sandbox_problem()}


# -- the client side ---------------------------------------------------------------------------


@contextlib.contextmanager
def connect(settings: DaskSettings) -> Iterator[Any]:
    """A distributed.Client of the scheduler at ``settings.address``; ClusterError when unreachable."""
    import distributed

    engine: Any = distributed  # distributed's functions are untyped
    try:
        client = engine.Client(
            settings.address, timeout=settings.timeout, set_as_default=False, direct_to_workers=False
        )
    except (OSError, TimeoutError) as exc:
        raise ClusterError(
            settings.address, f"cannot connect within {settings.timeout:g} s ({exc or type(exc).__name__})"
        ) from None
    except ValueError as exc:
        raise ClusterError(settings.address, f"not a scheduler address ({exc})") from None
    try:
        yield client
    finally:
        client.close()


def _workers(client: Any) -> dict[str, dict[str, Any]]:
    workers: dict[str, dict[str, Any]] = client.scheduler_info(n_workers=-1).get("workers", {})
    return workers


def suitable_workers(client: Any, settings: DaskSettings, *, gpu: bool, what: str) -> list[str]:
    """Addresses of the workers that may take ``what``'s tasks, waiting up to ``settings.timeout``.

    Raises ClusterError when none is connected, or when ``gpu`` and none advertises a GPU resource.
    """
    deadline = time.monotonic() + settings.timeout
    while True:
        workers = _workers(client)
        able = [
            address
            for address, info in workers.items()
            if not gpu or float((info.get("resources") or {}).get(GPU_RESOURCE, 0)) >= 1
        ]
        if able:
            return sorted(able)
        if time.monotonic() >= deadline:
            break
        time.sleep(_POLL_SECONDS)
    waited = f"waited {settings.timeout:g} s"
    if not workers:
        raise ClusterError(
            settings.address,
            f"no worker is connected ({waited}); start one with `dask worker {settings.address}`",
        )
    raise ClusterError(
        settings.address,
        f"{what} needs a GPU (its metadata says gpu = true) but none of the {len(workers)} worker(s) "
        f"advertises a {GPU_RESOURCE} resource ({waited}); start one with "
        f"`dask worker {settings.address} --resources {GPU_RESOURCE}=1`",
    )


def check_workers(client: Any, settings: DaskSettings, workers: Sequence[str], *, sandboxed: bool) -> None:
    """Raise ClusterError unless every worker in ``workers`` runs this dlgrade version and, when
    ``sandboxed``, can start the sandbox."""
    import grader

    try:
        reports: dict[str, dict[str, str | None]] = client.run(worker_report, workers=list(workers))
    except Exception as exc:  # a worker that cannot even import dlgrade
        raise ClusterError(
            settings.address, f"workers cannot run dlgrade ({type(exc).__name__}: {exc}); install it there"
        ) from None
    problems = []
    for address, report in sorted(reports.items()):
        if report.get("version") != grader.__version__:
            problems.append(f"{address} runs dlgrade {report.get('version')}, not {grader.__version__}")
        elif sandboxed and report.get("sandbox"):
            problems.append(f"{address} cannot sandbox: {report['sandbox']}")
    if problems:
        raise ClusterError(settings.address, "; ".join(problems))


def prepare(client: Any, settings: DaskSettings, *, gpu: bool, what: str, sandboxed: bool) -> int:
    """Check the cluster before a run (see suitable_workers, check_workers); the number of workers."""
    workers = suitable_workers(client, settings, gpu=gpu, what=what)
    check_workers(client, settings, workers, sandboxed=sandboxed)
    return len(workers)


def _lost_message(exc: BaseException) -> str:
    return (
        f"grading this submission killed the Dask worker running it every time it was tried "
        f"({type(exc).__name__}: {exc}); not tried again"
    )


def run_on_dask(
    client: Any,
    settings: DaskSettings,
    plan_: GradingPlan,
    submissions: Sequence[Submission],
    options: GradeOptions,
    on_result: Callable[[SubmissionResult], None],
    *,
    gpu: bool = False,
) -> None:
    """Grade ``submissions`` as one Dask task each and hand every result to ``on_result`` on the
    calling thread, in completion order (the contract of grader.engine.run_parallel).

    Tasks are submitted in the given order with falling priority. A submission whose task raised
    after its retries, or killed its workers, gets a failed result (status error). When every copy
    of the scattered plan is lost with its workers, the plan is scattered again and the tasks that
    depended on it are resubmitted. Raises ClusterError when the scheduler drops the run (results
    recorded so far stay; running again grades the rest).
    """
    import distributed
    from distributed.scheduler import KilledWorker

    engine: Any = distributed  # distributed's functions are untyped

    run = _DaskRun(client, settings, plan_, options, {GPU_RESOURCE: 1} if gpu else None)
    futures = []
    for index, submission in enumerate(submissions):
        try:
            futures.append(run.submit(submission, len(submissions) - index))
        except OSError as exc:
            on_result(failed_result(plan_, submission, exc))
    completed = engine.as_completed(futures, loop=client.loop)
    for future in completed:
        submission, generation = run.tasks.pop(future.key)
        error = future.exception() if future.status == "error" else None
        if future.status == "finished":
            on_result(future.result())
        elif isinstance(error, KilledWorker):
            on_result(failed_result(plan_, submission, WorkerLostError(_lost_message(error))))
        elif future.status == "cancelled" and client.status != "running":
            raise ClusterError(settings.address, f"lost the connection to the scheduler; {_RERUN}")
        elif run.plan_lost(generation, patience=_PLAN_NEWS_SECONDS if future.status == "cancelled" else 0.0):
            # Every worker holding the plan died with it (its dependents are cancelled then):
            # scatter it again and retry this task.
            completed.add(run.submit(submission, 0))
        elif future.status == "cancelled":
            raise ClusterError(settings.address, f"the task of {submission.student} was cancelled; {_RERUN}")
        else:
            reason = error if error is not None else RuntimeError(f"the Dask task ended as {future.status}")
            on_result(failed_result(plan_, submission, reason))
        future.release()


# How long a cancelled task waits to learn whether the plan it needed was lost with its workers.
_PLAN_NEWS_SECONDS = 5.0


class _DaskRun:
    """The futures of one run: the scattered plan (and its generation) and a task per submission."""

    def __init__(
        self,
        client: Any,
        settings: DaskSettings,
        plan_: GradingPlan,
        options: GradeOptions,
        resources: dict[str, int] | None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.plan = plan_
        self.options = options
        self.resources = resources
        self.token = uuid.uuid4().hex[:8]
        self.plan_future = client.scatter(plan_, broadcast=True, hash=False)
        self.generation = 0
        self.tasks: dict[str, tuple[Submission, int]] = {}
        self.packed: dict[str, bytes] = {}
        self.attempts: dict[str, int] = {}

    def submit(self, submission: Submission, priority: int) -> Any:
        """Submit one submission's task (reading its files the first time; OSError if unreadable)."""
        student = submission.student
        if student not in self.packed:
            self.packed[student] = pickle.dumps((payload_of(submission), self.options))
        self.attempts[student] = attempt = self.attempts.get(student, 0) + 1
        future = self.client.submit(
            grade_payload,
            self.plan_future,
            self.packed[student],
            key=task_key(self.plan.assignment, student, f"{self.token}-{attempt}"),
            pure=False,
            retries=self.settings.retries,
            resources=self.resources,
            priority=priority,
        )
        self.tasks[future.key] = (submission, self.generation)
        return future

    def plan_lost(self, generation: int, patience: float = 0.0) -> bool:
        """Whether a task of ``generation`` failed for want of the plan; scatters it anew if so.

        The scheduler forgets scattered data that no worker holds any more, and the plan's future
        says so; that news may come after the news of the cancelled tasks that needed it, so wait
        up to ``patience`` seconds for it.
        """
        if generation < self.generation:
            return True
        if self.generation > self.settings.retries:
            return False
        deadline = time.monotonic() + patience
        while self.plan_future.status == "finished":
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        self.plan_future = self.client.scatter(self.plan, broadcast=True, hash=False)
        self.generation += 1
        return True
