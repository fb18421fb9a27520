"""Warm sandbox jobs (grader/sandbox_warm.py): forks of a slot's zygote that must isolate like cold
ones. Every test of test_sandbox.py also runs warm; these check what is particular to forking:
nothing passes from one job to the next, the zygote stays out of reach, and a failing zygote
costs no job."""

from __future__ import annotations

import os
import signal
import textwrap
import threading
import time
from pathlib import Path

import pytest

from grader import sandbox_warm
from grader.sandbox import CallRequest, CodeCell, ExecutionResult, SandboxLimits, execute
from grader.sandbox_process import SLOT_UID_BASE
from tests.services import unavailable

LIMITS = SandboxLimits(
    wall_seconds=20.0, cell_seconds=5.0, call_seconds=5.0, memory_bytes=1024**3, disk_bytes=32 * 1024**2
)
SLOT = 11
ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"


@pytest.fixture(autouse=True)
def warm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLGRADE_WARM_SANDBOX", raising=False)
    if not sandbox_warm.warm_enabled():
        unavailable("warm sandbox jobs run only as root")


def run(*sources: str, calls: list[CallRequest] | None = None, **options: object) -> ExecutionResult:
    cells = [CodeCell(i, f"cell-{i}", textwrap.dedent(s)) for i, s in enumerate(sources)]
    return execute(cells, calls or [], limits=LIMITS, slot=SLOT, **options)  # type: ignore[arg-type]


def output(result: ExecutionResult) -> str:
    assert result.exit == "ok", result
    assert all(cell.status == "ok" for cell in result.cells), result.cells
    return "".join(cell.stdout for cell in result.cells)


def zygote() -> sandbox_warm.Zygote:
    found = sandbox_warm._ZYGOTES.get(SLOT)
    assert found is not None, "the job did not run warm"
    return found


PARENT = """
import os
print("parent", open(f"/proc/{os.getppid()}/cmdline").read().split("\\0")[2])
"""


def test_jobs_are_forks_of_one_zygote_that_outlives_them():
    first = output(run(PARENT))
    pid = zygote().pid
    second = output(run(PARENT))
    assert first == second == "parent /opt/dlgrade/sandbox_zygote.py\n"
    assert zygote().pid == pid


def test_a_job_has_no_privilege_and_its_slot_uid():
    probe = """
    import os
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    print({k: status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs")})
    print(os.getuid(), os.getgid(), os.getgroups())
    """
    lines = output(run(probe)).splitlines()
    assert eval(lines[0]) == {
        "CapInh": "0000000000000000",
        "CapPrm": "0000000000000000",
        "CapEff": "0000000000000000",
        "CapBnd": "0000000000000000",
        "CapAmb": "0000000000000000",
        "NoNewPrivs": "1",
    }
    uid = SLOT_UID_BASE + SLOT
    assert lines[1] == f"{uid} {uid} []"


def test_a_job_reads_its_own_processes_in_proc_as_a_cold_one_does():
    probe = """
    import os
    pid = os.fork()
    if pid == 0:
        import time
        time.sleep(5)
        os._exit(0)
    print(open(f"/proc/{pid}/smaps_rollup").readline().split()[-1], os.stat(f"/proc/{os.getpid()}").st_uid)
    os.kill(pid, 9)
    """
    assert output(run(probe)) == f"[rollup] {SLOT_UID_BASE + SLOT}\n"


def test_nothing_a_job_leaves_reaches_the_next_one():
    leave = """
    import ctypes, os, sys, numpy
    open("/tmp/left", "w").write("secret")
    open("left-in-home", "w").write("secret")
    libc = ctypes.CDLL(None, use_errno=True)
    print("shm", libc.shmget(0x5EC2E7, 4096, 0o1666))  # IPC_CREAT | 0666: a System V segment
    os.environ["LEFT"] = "secret"
    numpy.allclose = lambda *a, **k: True
    sys.modules["planted"] = sys
    """
    find = """
    import ctypes, os, sys, numpy
    print(os.listdir("/tmp"), os.listdir("."), os.environ.get("LEFT"), "planted" in sys.modules)
    libc = ctypes.CDLL(None, use_errno=True)
    print("shm", libc.shmget(0x5EC2E7, 4096, 0))
    print(numpy.allclose([0.0], [1.0]))
    """
    assert output(run(leave)).startswith("shm ")
    assert output(run(find)).splitlines() == ["[] [] None False", "shm -1", "False"]


def test_jobs_draw_their_own_random_numbers():
    draw = "import random, numpy\nprint(random.random(), numpy.random.rand())"
    assert output(run(draw)) != output(run(draw))


def test_the_zygote_is_out_of_reach_of_the_job():
    attack = """
    import ctypes, os, signal
    libc = ctypes.CDLL(None, use_errno=True)
    zygote = os.getppid()
    for pid in (zygote, 1):
        try:
            os.kill(pid, signal.SIGKILL)
            print("killed", pid)
        except PermissionError:
            print("kill denied")
        print("ptrace", libc.ptrace(16, pid, None, None), ctypes.get_errno())  # PTRACE_ATTACH
    try:
        open(f"/proc/{zygote}/environ").read()
        print("environ read")
    except PermissionError:
        print("environ denied")
    print("unshare", libc.unshare(0x20000), "mount", libc.mount(b"none", b"/tmp", b"tmpfs", 0, None))
    os.kill(-1, signal.SIGKILL)
    """
    output(run("pass"))
    pid_before = zygote().pid
    result = run(attack)
    lines = result.cells[0].stdout.splitlines() if result.cells[0].stdout else []
    assert lines[:5] == ["kill denied", "ptrace -1 1", "kill denied", "ptrace -1 1", "environ denied"], result
    assert lines[5] == "unshare -1 mount -1"
    assert zygote().pid == pid_before and zygote().process.poll() is None
    assert output(run("print('still here')")) == "still here\n"


def test_a_zygote_that_died_between_jobs_is_replaced():
    output(run("pass"))
    old = zygote()
    os.kill(old.pid, signal.SIGKILL)
    old.process.wait(timeout=10)
    assert output(run("print(6 * 7)")) == "42\n"
    assert zygote() is not old


def test_a_zygote_that_dies_during_a_job_costs_nothing_the_job_runs_cold():
    output(run("pass"))
    old = zygote()

    def kill_the_zygote_soon() -> None:  # from outside, as a crash of the zygote would
        time.sleep(0.5)
        os.kill(old.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_the_zygote_soon)
    killer.start()
    job = "import time\ntime.sleep(1.5)\ndef f(x):\n    return x + 1\n"
    result = run(job, calls=[CallRequest("c", "f", (3,), {})])
    killer.join()
    assert result.exit == "ok", result
    assert result.calls["c"].value == 4
    assert sandbox_warm._ZYGOTES.get(SLOT) is not old


def test_preloaded_modules_are_imported_once_and_a_failing_one_is_harmless():
    probe = "import sys\nprint('json' in sys.modules, 'colorsys' in sys.modules)"
    assert output(run(probe, preload=("colorsys", "no_such_module_here"))) == "True True\n"
    assert zygote().key[2] == ("colorsys", "no_such_module_here")


def test_preload_modules_reads_the_top_level_imports_of_the_source():
    sources = [
        "import numpy as np\nimport os, copy\nfrom sklearn.datasets import load_digits\n%matplotlib inline",
        "from grader.hidden import check\nimport tensorflow as tf\nfrom . import sibling\nimport no_such_mod",
        "def f():\n    import json\n",
        "import numpy\nimport copy",
    ]
    assert sandbox_warm.preload_modules(sources) == ("numpy", "os", "copy", "sklearn.datasets")


def test_with_warm_jobs_turned_off_jobs_run_cold(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DLGRADE_WARM_SANDBOX", "0")
    assert output(run(PARENT)).startswith("parent ") and "sandbox_zygote" not in output(run(PARENT))


def test_importing_tensorflow_under_an_address_space_limit_ends_that_cell_quickly():
    """TensorFlow barely fits in 1 GiB of address space: the import either works or fails with
    MemoryError, and the later cells run (it used to spin in scipy's OpenBLAS start-up until the
    wall-clock limit)."""
    limits = SandboxLimits(wall_seconds=60.0, cell_seconds=50.0, memory_bytes=1024**3)
    cells = [CodeCell(0, "a", "import tensorflow as tf"), CodeCell(1, "b", "print('next')")]
    result = execute(cells, [], limits=limits, slot=SLOT)
    assert result.exit == "ok", result
    assert (result.cells[0].status, result.cells[0].ename) in (("ok", ""), ("error", "MemoryError"))
    assert result.cells[1].stdout == "next\n"
    assert result.cells[0].seconds < 30  # not the 50 s cell limit: it failed by itself


@pytest.mark.parametrize("assignment", sorted(p.parent.name for p in ASSIGNMENTS.glob("*/*.ipynb")))
def test_early_prewarm_reads_the_same_preload_as_the_plan(assignment, tmp_path):
    """`dlgrade grade` starts zygotes from the raw notebook before planning: unless both read the
    same modules, the run's zygotes would be started twice."""
    from grader.source_cache import load_source_cached

    notebooks = sorted((ASSIGNMENTS / assignment).glob("*.ipynb"))
    sources = [load_source_cached(path, tmp_path) for path in notebooks]
    planned = sandbox_warm.preload_modules(
        str(cell.source) for source in sources for cell in source.nb.cells if cell.cell_type == "code"
    )
    assert sandbox_warm.notebook_preload(notebooks) == planned
    assert "numpy" in planned


def test_early_prewarm_of_an_unreadable_notebook_starts_nothing(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert sandbox_warm.notebook_preload([broken]) is None
    sandbox_warm.prewarm_notebooks([broken], 2)  # no error: the grading run reports the notebook
