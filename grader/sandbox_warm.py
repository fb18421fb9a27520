"""Warm sandbox jobs: per slot, a zygote that has imported numpy once forks each job.

Starting a fresh sandbox and interpreter and importing numpy costs about 0.15 s of CPU per
job, more than grading a typical submission. As root, each slot (one unprivileged uid) instead
keeps a zygote (grader/sandbox_zygote.py) in a long-lived bubblewrap sandbox, with numpy and
the modules the assignment's source notebook imports already loaded. A job is a fork of it
that gets new mount and IPC namespaces, its own fresh /tmp and home, only its own job files,
and the slot's uid with no capabilities: what the job sees and may do is what a cold sandbox
gives it (grader/sandbox_process.py), and nothing it does outlives it or reaches the zygote,
which runs as another user and never runs student code.

The grader side is the same as for cold jobs: the same job directory, the same limits, the
same watcher (wall clock, output, disk, memory cgroup), the same results. Whenever the warm
path cannot be used (not root, DLGRADE_WARM_SANDBOX=0, the zygote fails to start or stops
answering), the job runs cold instead; a broken zygote is replaced on the next job.
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import functools
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from grader.cellcode import parse_cell
from grader.sandbox_process import (
    SandboxLimits,
    end_processes_of,
    is_root,
    job_parent,
    memory_group,
    remove_group,
    slot_uid,
    tmp_bytes,
    zygote_command,
)
from grader.sandbox_watch import Drained, watch

ZYGOTE_PREFIX = "dlgrade-zygote-"
_START_SECONDS = 60.0  # preloading scikit-learn on a loaded machine takes a few seconds
_ANSWER_SECONDS = 10.0
_MAX_MESSAGE = 65536
_MIN_JOB_BYTES = 64 * 1024**2


# Libraries whose native start-up misbehaves under a job's address-space limit, imported by
# every zygote: the copy of OpenBLAS bundled with scipy allocates its buffers when loaded and
# retries forever when that fails, so a job that imports TensorFlow (which imports scipy) with
# most of its address space taken would spin until the wall-clock limit. Loaded in the zygote,
# the buffers exist before any limit applies, and such an import fails at once with MemoryError.
_EARLY = ("scipy.special",)


@functools.cache
def _initialised_early() -> tuple[str, ...]:
    return tuple(name for name in _EARLY if importlib.util.find_spec(name.partition(".")[0]) is not None)


class WarmUnavailableError(Exception):
    """The zygote could not start or stopped answering; the job runs cold instead."""


def warm_enabled() -> bool:
    """Whether jobs may run warm here: as root, unless DLGRADE_WARM_SANDBOX=0."""
    return is_root() and os.environ.get("DLGRADE_WARM_SANDBOX", "1") != "0"


def _host_pid(ancestor: int, ns_pid: int) -> int | None:
    """The host pid of the descendant of ``ancestor`` whose pid in its own namespace is ns_pid."""
    pending = [ancestor]
    while pending:
        pid = pending.pop()
        nspid = _status_field(pid, "NSpid")
        if pid != ancestor and nspid and int(nspid.split()[-1]) == ns_pid:
            return pid
        with contextlib.suppress(OSError, ValueError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
    return None


def _status_field(pid: int, name: str) -> str:
    """One field of /proc/<pid>/status ("" when the process or the field is not there)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key == name:
                return value.strip()
    return ""


def _resident_bytes(pid: int) -> int:
    """The resident memory of a process (0 when it cannot be read)."""
    kib = _status_field(pid, "VmRSS").split()
    return int(kib[0]) * 1024 if kib and kib[0].isdigit() else 0


def _memory_cgroup_of(pid: int) -> Path | None:
    """The tasks file of the v1 memory cgroup pid is in now."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(","):
                return Path("/sys/fs/cgroup/memory") / path.lstrip("/") / "tasks"
    return None


class Zygote:
    """One slot's zygote: its sandbox process, control socket and spool of job directories."""

    def __init__(self, slot: int, uid: int, files: Mapping[str, Path], preload: tuple[str, ...]) -> None:
        self.key = (slot, _files_key(files), preload)
        self.uid = uid
        self.files = tuple(sorted(files))
        self.root = Path(tempfile.mkdtemp(prefix=f"{ZYGOTE_PREFIX}{os.getpid()}-", dir=job_parent()))
        self.root.chmod(0o755)
        self.spool = self.root / "spool"
        self.spool.mkdir(mode=0o755)
        self.buffer = b""
        host_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.control = host_end
        try:
            modules = tuple(dict.fromkeys((*_initialised_early(), *preload)))
            command = zygote_command(self.root, files, slot, zygote_end.fileno(), modules)
            with (self.root / "zygote.log").open("wb") as log:
                self.process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                    pass_fds=(zygote_end.fileno(),),
                    start_new_session=True,
                )
        except BaseException:
            self.control.close()
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        finally:
            zygote_end.close()
        try:
            ready = self.receive(_START_SECONDS)
            if "ready" not in ready:
                raise WarmUnavailableError(f"the zygote did not start: {ready}")
            pid = _host_pid(self.process.pid, int(ready["ready"]))
            if pid is None:
                raise WarmUnavailableError("the zygote's process was not found")
            self.pid = pid
            self.home_group = _memory_cgroup_of(pid)
            self.resident = _resident_bytes(pid)
            preloaded = ready.get("preloaded_bytes")
            self.preloaded_bytes = max(preloaded, 0) if isinstance(preloaded, int) else 0
        except BaseException:
            self.close()
            raise

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.root / "zygote.log").read_bytes()[-2000:].decode(errors="replace")
        return ""

    def receive(self, timeout: float) -> dict[str, Any]:
        """The zygote's next message; ``{}`` when none came within timeout (0: do not wait)."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            # Past the deadline the socket does not block: only what already arrived is read.
            self.control.settimeout(max(deadline - time.monotonic(), 0.0))
            try:
                chunk = self.control.recv(_MAX_MESSAGE)
            except (TimeoutError, BlockingIOError):
                return {}
            except OSError as exc:
                raise WarmUnavailableError(f"the zygote's socket failed: {exc}") from exc
            if not chunk:
                raise WarmUnavailableError("the zygote exited: " + self.log_tail())
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        record = json.loads(line)
        if not isinstance(record, dict):
            raise WarmUnavailableError("the zygote sent something that is not an object")
        return record

    def run(self, job: Path, limits: SandboxLimits) -> Drained:
        """Run the job whose directory is ``job`` (inside the spool) and watch it like a cold one."""
        # The zygote's pages are the job's too (in every measure of its memory but the cgroup's,
        # which charges them to the zygote): the job may add what a cold one could beside them.
        group = memory_group(max(limits.memory_bytes - self.resident, _MIN_JOB_BYTES))
        read_end, write_end = os.pipe()
        try:
            request = {
                "job": job.name,
                "tmp_bytes": tmp_bytes(limits),
                "home_bytes": limits.disk_bytes,
                "files": list(self.files),
            }
            if group is not None:
                # The zygote joins the job's group just for the fork, so that the job starts in it.
                (group / "tasks").write_text(str(self.pid))
            spawned_at = time.time()
            try:
                socket.send_fds(self.control, [json.dumps(request).encode()], [write_end])
                started = self.receive(_ANSWER_SECONDS)
            finally:
                os.close(write_end)
                if group is not None and self.home_group is not None:
                    with contextlib.suppress(OSError):
                        self.home_group.write_text(str(self.pid))
            if "started" not in started:
                raise WarmUnavailableError(f"the zygote did not start the job: {started or 'no answer'}")
            return watch(_WarmJob(self, read_end), limits, job / "out", self.uid, group, spawned_at)
        finally:
            with contextlib.suppress(OSError):
                os.close(read_end)
            if group is not None:
                remove_group(group)

    def close(self) -> None:
        """Stop the zygote and its sandbox, and remove its directory."""
        with contextlib.suppress(OSError):
            self.control.close()
        # The zygote runs in a session of its own inside the sandbox: kill it by its pid (its
        # sandbox's init then ends too), and bubblewrap's process group outside.
        for kill, pid in ((os.kill, getattr(self, "pid", None)), (os.killpg, self.process.pid)):
            if pid is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)


class _WarmJob:
    """A job forked by a zygote, as grader.sandbox_process.watch sees it."""

    def __init__(self, zygote: Zygote, output_fd: int) -> None:
        self.zygote = zygote
        self.output_fd = output_fd
        self.code: int | None = None

    def poll(self) -> int | None:
        if self.code is None:
            self.code = _exit_code(self.zygote.receive(0))
        return self.code

    def kill(self) -> None:
        end_processes_of(self.zygote.uid)

    def wait(self, timeout: float) -> int | None:
        if self.code is None:
            self.code = _exit_code(self.zygote.receive(timeout))
            if self.code is None:
                raise WarmUnavailableError("the zygote did not report the job's end")
        return self.code


def _exit_code(record: dict[str, Any]) -> int | None:
    code = record.get("exit")
    return code if isinstance(code, int) else None


def _files_key(files: Mapping[str, Path]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name, str(Path(source).resolve())) for name, source in files.items()))


_ZYGOTES: dict[int, Zygote] = {}
_LOCK = threading.Lock()
_SLOT_LOCKS: dict[int, threading.Lock] = {}
_FAILED: set[tuple[object, ...]] = set()


def _slot_lock(slot: int) -> threading.Lock:
    with _LOCK:
        return _SLOT_LOCKS.setdefault(slot, threading.Lock())


def zygote_for(slot: int, uid: int, files: Mapping[str, Path], preload: tuple[str, ...]) -> Zygote | None:
    """The slot's running zygote for these files and modules, started when needed; None when a
    zygote cannot run here (then jobs run cold)."""
    if not warm_enabled():
        return None
    with _slot_lock(slot):
        for modules in dict.fromkeys((preload, ())):  # a module that starts threads: numpy alone
            key = (slot, _files_key(files), modules)
            current = _ZYGOTES.get(slot)
            if current is not None and current.key == key and current.process.poll() is None:
                return current
            if key in _FAILED:
                continue
            if current is not None:
                del _ZYGOTES[slot]
                current.close()
            try:
                zygote = Zygote(slot, uid, files, modules)
            except (WarmUnavailableError, OSError, ValueError):
                _FAILED.add(key)
                continue
            _ZYGOTES[slot] = zygote
            return zygote
    return None


def prewarm(slots: Iterable[int], uid_of: Callable[[int], int], preload: tuple[str, ...]) -> None:
    """Start the zygotes of these slots in the background, so that the first jobs find them ready."""
    if not warm_enabled():
        return

    def start() -> None:
        for slot in slots:
            with contextlib.suppress(Exception):  # the job itself retries, and falls back to cold
                zygote_for(slot, uid_of(slot), {}, preload)

    threading.Thread(target=start, name="dlgrade-prewarm", daemon=True).start()


def discard(zygote: Zygote) -> None:
    """Stop a zygote that failed; its slot gets a new one on the next job."""
    with _slot_lock(zygote.key[0]):
        if _ZYGOTES.get(zygote.key[0]) is zygote:
            del _ZYGOTES[zygote.key[0]]
    zygote.close()


@atexit.register
def close_all() -> None:
    """Stop every zygote of this process."""
    with _LOCK:
        zygotes = list(_ZYGOTES.values())
        _ZYGOTES.clear()
    for zygote in zygotes:
        zygote.close()


# Frameworks that run thread pools or reserve gigabytes of address space: a student's own import
# of them belongs in the student's job, never in a zygote that is forked.
_NOT_PRELOADED = frozenset(
    {"grader", "reference", "tensorflow", "keras", "torch", "jax", "tensorflow_addons"}
)


def notebook_preload(notebooks: Iterable[Path]) -> tuple[str, ...] | None:
    """preload_modules of the code cells of these (source) notebooks, read as plain JSON; None
    when one cannot be read (the grading run reports it)."""
    sources: list[str] = []
    for path in notebooks:
        try:
            nb = json.loads(Path(path).read_bytes())
        except (OSError, ValueError, RecursionError):
            return None
        cells = nb.get("cells") if isinstance(nb, dict) else None
        for cell in cells if isinstance(cells, list) else ():
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                source = cell.get("source")
                if isinstance(source, list):
                    source = "".join(line for line in source if isinstance(line, str))
                if isinstance(source, str):
                    sources.append(source)
    return preload_modules(sources)


def prewarm_notebooks(notebooks: Iterable[Path], workers: int) -> None:
    """Start the zygotes that a local grading run of these source notebooks will use.

    A zygote takes longer to start than the rest of the grader takes to load, so ``dlgrade grade``
    calls this first: the zygotes start while the grader loads, with the same modules as the run's
    plan (GradingPlan.preload), and the run's own prewarm then finds them starting or ready.
    """
    preload = notebook_preload(notebooks)
    if preload is not None:
        prewarm(range(max(1, workers)), slot_uid, preload)


def preload_modules(sources: Iterable[str]) -> tuple[str, ...]:
    """The absolute imports at the top level of these cells (an instructor's source notebook)
    worth importing once in a zygote: installed here and not in the frameworks left out above."""
    found: dict[str, None] = {}
    for source in sources:
        tree = parse_cell(source)
        if tree is None:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top not in _NOT_PRELOADED and importlib.util.find_spec(top) is not None:
                    found[name] = None
    return tuple(found)
