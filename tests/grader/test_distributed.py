"""``dlgrade grade --scheduler`` on a real Dask cluster: a stock ``dask scheduler`` and two stock
``dask worker`` processes (nannies), one of them advertising ``GPU=1``, all started here as
subprocesses. Scores must equal a local run of the same course with the same seed; GPU work must
run on the GPU worker only; a worker killed mid-run costs nothing; a submission that kills every
worker that grades it ends as a failed result; errors name the scheduler.

The scheduler allows one failure per task (DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1) so
that the poison submission is given up after two worker deaths rather than four.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, LocalCluster

from grader.course import Course
from grader.distributed import GPU_RESOURCE
from tests.grader.helpers_course import (
    ASSIGNMENT,
    BINDIR,
    DLGRADE,
    add_code_cell,
    invoke,
    make_course,
    mutant_nb,
    row_counts,
    slow_nb,
    solution_nb,
    stub_nb,
    subprocess_env,
    write_submission,
)

pytestmark = pytest.mark.slow

SEED = "11"
DASK = BINDIR / "dask"
SUBMISSIONS = {
    "alice": solution_nb(),
    "bob": stub_nb(),
    "carol": mutant_nb("update_parameters__gradient_ascent"),
    "dan": mutant_nb("L_model_backward__dAL_sign_flipped"),
    # Slow ones keep both workers busy long enough for a worker to be killed mid-task.
    "erin": slow_nb(2.5),
    "frank": slow_nb(2.5, stub_nb()),
}
# Run without the sandbox (trusted test code), its first cell kills the process that grades it.
POISON = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"


@dataclass
class Cluster:
    """The running cluster: the scheduler's address and a client of ours to watch it."""

    address: str
    client: Client
    processes: list[subprocess.Popen[bytes]]

    def workers(self, count: int = 2, timeout: float = 60) -> dict[str, dict[str, Any]]:
        """Address -> info of the connected workers, once ``count`` of them are."""
        self.client.wait_for_workers(count, timeout=timeout)
        deadline = time.monotonic() + timeout
        while True:
            workers: dict[str, dict[str, Any]] = self.client.scheduler_info(n_workers=-1)["workers"]
            if len(workers) >= count or time.monotonic() > deadline:
                return workers
            time.sleep(0.2)

    def gpu_worker(self) -> str:
        return next(a for a, w in self.workers().items() if w.get("resources", {}).get(GPU_RESOURCE))


def _spawn(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("dask")
    env = {**subprocess_env(), "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}
    info = tmp / "scheduler.json"
    common = ["--scheduler-file", str(info), "--nthreads", "1", "--nworkers", "1", "--no-dashboard"]
    processes = [
        _spawn(
            [str(DASK), "scheduler", "--port", "0", "--no-dashboard", "--scheduler-file", str(info)],
            tmp / "scheduler.log",
            env,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not info.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert info.is_file(), (tmp / "scheduler.log").read_text()
        processes.append(_spawn([str(DASK), "worker", *common, "--name", "cpu"], tmp / "cpu.log", env))
        gpu = ["--name", "gpu", "--resources", f"{GPU_RESOURCE}=1"]
        processes.append(_spawn([str(DASK), "worker", *common, *gpu], tmp / "gpu.log", env))
        address = json.loads(info.read_text())["address"]
        with Client(address, timeout=30, set_as_default=False) as client:
            found = Cluster(address, client, processes)
            found.workers()
            client.get_task_stream()  # installs the scheduler's task stream plugin
            yield found
    finally:
        for process in reversed(processes):
            _stop(process)


@dataclass
class Graded:
    course: Course
    tmp: Path
    local: dict[str, tuple[str, float]]


def _course(tmp: Path, students: dict[str, Any], *, gpu: bool = False) -> Course:
    course = make_course(tmp)
    for student, nb in students.items():
        write_submission(course, student, nb)
    if gpu:
        meta = course.metadata_file(ASSIGNMENT)
        meta.write_text(meta.read_text().replace("gpu = false", "gpu = true"))
        assert course.metadata(ASSIGNMENT) is not None and course.metadata(ASSIGNMENT).gpu  # type: ignore[union-attr]
    return course


def _outcomes(report: dict[str, Any]) -> dict[str, tuple[str, float]]:
    return {r["student"]: (r["status"], r["score"]) for r in report["results"]}


def _grade(course: Course, *args: str, expect: int = 0) -> dict[str, Any]:
    result = invoke("grade", ASSIGNMENT, "--course", str(course.root), "--seed", SEED, *args, expect=expect)
    return json.loads(result.stdout) if expect == 0 else {"output": result.output}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    """The course graded locally: the reference every Dask run must reproduce."""
    tmp = tmp_path_factory.mktemp("course")
    course = _course(tmp, SUBMISSIONS)
    local = _outcomes(_grade(course, "--json", "--workers", "2"))
    assert local["alice"][1] > local["carol"][1] > 0 and local["bob"][1] == 0
    return Graded(course, tmp, local)


def _ran_on(cluster: Cluster, since: float) -> dict[str, set[str]]:
    """Student -> workers that ran (or began) their grading tasks since ``since``."""
    placed: dict[str, set[str]] = {}
    for task in cluster.client.get_task_stream(start=since):
        key = str(task["key"])
        if key.startswith(f"dlgrade-{ASSIGNMENT}-"):
            student = key.removeprefix(f"dlgrade-{ASSIGNMENT}-").rsplit("-", 2)[0]
            placed.setdefault(student, set()).add(task["worker"])
    return placed


def test_a_dask_run_scores_like_a_local_run(cluster: Cluster, graded: Graded) -> None:
    workers = set(cluster.workers())
    since = time.time()
    db = f"sqlite:///{graded.tmp / 'dask.db'}"
    report = _grade(graded.course, "--json", "--scheduler", cluster.address, "--db", db)
    assert _outcomes(report) == graded.local
    ours, nbgraders = row_counts(db)
    assert ours == nbgraders == dict.fromkeys(SUBMISSIONS, 1)
    placed = _ran_on(cluster, since)
    assert set(placed) == set(SUBMISSIONS)
    assert set.union(*placed.values()) == workers, "a CPU assignment uses every worker"
    # Run again: nothing changed, so nothing is sent to the cluster.
    again = _grade(graded.course, "--json", "--scheduler", cluster.address, "--db", db)
    assert again["results"] == [] and sorted(again["skipped"]) == sorted(SUBMISSIONS)


def test_a_gpu_assignment_runs_on_the_gpu_worker_only(cluster: Cluster, tmp_path: Path) -> None:
    students = {s: SUBMISSIONS[s] for s in ("alice", "bob", "carol")}
    course = _course(tmp_path, students, gpu=True)
    gpu = cluster.gpu_worker()
    since = time.time()
    report = _grade(course, "--json", "--scheduler", cluster.address)
    assert {s for s, (status, _) in _outcomes(report).items() if status == "graded"} == set(students)
    placed = _ran_on(cluster, since)
    assert placed == {s: {gpu} for s in students}


def test_a_worker_killed_mid_run_loses_nothing(cluster: Cluster, graded: Graded) -> None:
    cluster.workers()
    db = f"sqlite:///{graded.tmp / 'killed.db'}"
    command = [str(DLGRADE), "grade", ASSIGNMENT, "--course", str(graded.course.root), "--seed", SEED]
    command += ["--json", "--scheduler", cluster.address, "--db", db]
    run = subprocess.Popen(command, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Wait until a slow submission is being graded, then SIGKILL the worker process grading it.
        victim = None
        deadline = time.monotonic() + 60
        while victim is None and time.monotonic() < deadline and run.poll() is None:
            for address, keys in cluster.client.processing().items():
                if any("-erin-" in str(k) or "-frank-" in str(k) for k in keys):
                    victim = address
            time.sleep(0.1)
        assert victim is not None, "no slow submission was seen in flight"
        time.sleep(1.0)  # its sandbox is running now
        pid = cluster.client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)
        out, err = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, err.decode()
    assert _outcomes(json.loads(out)) == graded.local
    ours, nbgraders = row_counts(db)
    assert ours == nbgraders == dict.fromkeys(SUBMISSIONS, 1)
    assert victim not in cluster.workers(), "the killed worker was replaced by its nanny"


def test_a_submission_that_kills_its_workers_fails_clearly(cluster: Cluster, tmp_path: Path) -> None:
    cluster.workers()
    students = {"alice": SUBMISSIONS["alice"], "mallory": add_code_cell(solution_nb(), POISON, at=0)}
    course = _course(tmp_path, students)
    report = _grade(course, "--json", "--scheduler", cluster.address, "--unsafe-no-sandbox")
    results = {r["student"]: r for r in report["results"]}
    assert results["alice"]["status"] == "graded" and results["alice"]["score"] > 0
    assert results["mallory"]["status"] == "error" and results["mallory"]["score"] == 0
    assert "killed the Dask worker" in results["mallory"]["message"]
    cluster.workers()  # both nannies bring their workers back


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_an_unreachable_scheduler_is_an_error(tmp_path: Path) -> None:
    course = _course(tmp_path, {"alice": SUBMISSIONS["alice"]})
    address = f"tcp://127.0.0.1:{_free_port()}"
    out = _grade(course, "--scheduler", address, "--scheduler-timeout", "1", expect=1)["output"]
    assert out.startswith("Error: ") and address in out and "cannot connect" in out
    env = {"DLGRADE_SCHEDULER": address}
    result = invoke(
        "grade", ASSIGNMENT, "--course", str(course.root), "--scheduler-timeout", "1", expect=1, env=env
    )
    assert address in result.output
    assert not (course.root / "gradebook.db").exists(), "no run was started"


def test_a_gpu_assignment_without_a_gpu_worker_is_an_error(tmp_path: Path) -> None:
    course = _course(tmp_path, {"alice": SUBMISSIONS["alice"]}, gpu=True)
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=":0"
    ) as cpu_only:
        address = cpu_only.scheduler_address
        out = _grade(course, "--scheduler", address, "--scheduler-timeout", "0.5", expect=1)["output"]
    assert out.startswith("Error: ") and address in out
    assert "needs a GPU" in out and f"--resources {GPU_RESOURCE}=1" in out
