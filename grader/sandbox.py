"""Run a submission's code cells and calls of its functions in a bubblewrap sandbox.

One job is one fresh Python process (grader/sandbox_runner.py, whose docstring describes the
files it reads and writes) that runs the cells in order, then calls the requested functions on
arguments given as plain data and writes the results back as plain data. The grader never
trusts what comes out: every file is read defensively, sizes are bounded, and anything
malformed becomes a "not-run" or "bad-output" outcome rather than an exception.

How that process is isolated, limited and supervised (no network, read-only system, private
home and /tmp, nothing of the repository or the course, an unprivileged uid per slot, the
whole tree killed at the wall-clock limit) is grader/sandbox_process.py.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from grader import plaindata, sandbox_warm
from grader.sandbox_process import (
    DEFAULT_LIMITS,
    MAX_SLOTS,
    SLOT_UID_BASE,
    SandboxLimits,
    SandboxUnavailableError,
    _sandbox_problem,
    bwrap_command,
    claim_slot,
    end_processes_of,
    is_root,
    job_parent,
    runner_settings,
    sandbox_available,
    sandbox_problem,
    unsafe_command,
)
from grader.sandbox_warm import ZYGOTE_PREFIX
from grader.sandbox_watch import Drained, run_process

__all__ = [
    "MAX_SLOTS",
    "SLOT_UID_BASE",
    "CallOutcome",
    "CallRequest",
    "CellOutcome",
    "CodeCell",
    "ExecutionResult",
    "SandboxLimits",
    "SandboxUnavailableError",
    "_sandbox_problem",
    "execute",
    "sandbox_available",
    "sandbox_problem",
]

CellStatus = Literal["ok", "error", "timeout", "not-run"]
CallStatus = Literal["ok", "error", "missing", "timeout", "not-run", "bad-output"]
ExitStatus = Literal["ok", "crashed", "timeout", "memory", "output-limit"]

_JOB_PREFIX = "dlgrade-job-"
_CALL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_MAX_ENAME = 200
_MAX_EVALUE = 2_000
_MAX_TRACEBACK = 20_000
_CELL_STDOUT = 64 * 1024
_STATUS_BYTES = 64 * 1024
_NO_FILES: Mapping[str, Path] = MappingProxyType({})


@dataclass(frozen=True)
class CodeCell:
    """One code cell to run: its position in the notebook, its id and its source."""

    index: int
    cell_id: str
    source: str


@dataclass(frozen=True)
class CallRequest:
    """A call of a function the notebook defines, with plain-data arguments."""

    call_id: str
    function: str
    args: tuple[object, ...]
    kwargs: dict[str, object]
    return_args: bool = False
    """Also send back the positional arguments as the call left them (to catch in-place changes)."""


@dataclass(frozen=True)
class CellOutcome:
    """What became of one cell; stdout holds both of the cell's streams, truncated."""

    index: int
    cell_id: str
    status: CellStatus
    ename: str
    evalue: str
    traceback: str
    stdout: str
    seconds: float


@dataclass(frozen=True)
class CallOutcome:
    """What became of one call; value is the decoded plain data when status is "ok"."""

    call_id: str
    status: CallStatus
    value: object
    ename: str
    evalue: str
    seconds: float
    traceback: str = ""
    args_after: tuple[object, ...] | None = None
    """The positional arguments after the call, when the request asked for them."""


@dataclass(frozen=True)
class ExecutionResult:
    """Everything one job produced, as far as it could be read back."""

    cells: tuple[CellOutcome, ...]
    calls: dict[str, CallOutcome]
    exit: ExitStatus
    returncode: int | None
    wall_seconds: float
    log_tail: str
    startup_seconds: float = 0.0


# -- one job --------------------------------------------------------------------------------


def _validate(
    cells: Sequence[CodeCell], calls: Sequence[CallRequest], files: Mapping[str, Path], slot: int
) -> None:
    indices = [cell.index for cell in cells]
    if len(set(indices)) != len(indices):
        raise ValueError("cell indices must be unique")
    ids = [call.call_id for call in calls]
    if len(set(ids)) != len(ids):
        raise ValueError("call ids must be unique")
    for call in calls:
        if not _CALL_ID.fullmatch(call.call_id):
            raise ValueError(f"invalid call id {call.call_id!r}")
        if not call.function.isidentifier():
            raise ValueError(f"invalid function name {call.function!r}")
    for name, source in files.items():
        parts = Path(name).parts
        if not parts or Path(name).is_absolute() or any(p in ("..", ".") for p in parts) or "\\" in name:
            raise ValueError(f"invalid job file name {name!r}")
        if not Path(source).exists():
            raise ValueError(f"job file {name!r}: {source} does not exist")
    if not 0 <= slot < MAX_SLOTS:
        raise ValueError(f"slot must be in [0, {MAX_SLOTS})")


def _create_owned(path: Path, uid: int | None) -> None:
    """An empty file that the job's uid may write (it cannot create files in root-owned dirs)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        os.fchmod(fd, 0o644)
        if uid is not None:
            os.fchown(fd, uid, uid)
    finally:
        os.close(fd)


def _make_dir(path: Path) -> None:
    path.mkdir()
    path.chmod(0o755)  # whatever this process's umask is: the job's uid must read it


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o644)


# Every submission of a run gets the same hidden cases: their arguments are encoded once per run
# (keyed by the argument objects themselves, which the cache keeps alive, so ids cannot be reused).
_ENCODED: dict[tuple[int, int], tuple[object, object, tuple[bytes, bytes]]] = {}
_ENCODED_LOCK = threading.Lock()
_ENCODED_MAX = 20_000


def _encoded_arguments(call: CallRequest) -> tuple[bytes, bytes]:
    """The ``data.json`` and ``arrays.npz`` contents of the call's arguments."""
    key = (id(call.args), id(call.kwargs))
    with _ENCODED_LOCK:
        hit = _ENCODED.get(key)
    if hit is not None and hit[0] is call.args and hit[1] is call.kwargs:
        return hit[2]
    files = plaindata.encode_files([list(call.args), dict(call.kwargs)], strict=True)
    with _ENCODED_LOCK:
        if len(_ENCODED) >= _ENCODED_MAX:
            _ENCODED.clear()
        _ENCODED[key] = (call.args, call.kwargs, files)
    return files


def _prepare(
    root: Path,
    cells: Sequence[CodeCell],
    calls: Sequence[CallRequest],
    limits: SandboxLimits,
    owner: int | None,
    inherited_bytes: int = 0,
) -> None:
    """Write the job directory and the output skeleton under root."""
    job, out = root / "job", root / "out"
    for directory in (job, job / "args", out, out / "calls"):
        _make_dir(directory)
    settings = runner_settings(limits, drop_to_slot=owner is not None, inherited_bytes=inherited_bytes)
    _write_text(job / "settings.json", json.dumps(settings))
    records = [{"index": c.index, "cell_id": c.cell_id, "source": c.source} for c in cells]
    _write_text(job / "cells.json", json.dumps(records))
    _write_text(
        job / "calls.json",
        json.dumps(
            [{"call_id": c.call_id, "function": c.function, "return_args": c.return_args} for c in calls]
        ),
    )
    for call in calls:
        args_dir = job / "args" / call.call_id
        _make_dir(args_dir)
        plaindata.write_files(args_dir, _encoded_arguments(call))
        for written in args_dir.iterdir():
            written.chmod(0o644)
        out_dir = out / "calls" / call.call_id
        _make_dir(out_dir)
        for name in ("status.json", plaindata.DATA_FILE, plaindata.ARRAYS_FILE):
            _create_owned(out_dir / name, owner)
    _create_owned(out / "cells.jsonl", owner)


# -- reading results back --------------------------------------------------------------------


def _text(value: object, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    return value if len(value) <= limit else value[:limit] + " [truncated]"


def _seconds(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
        return float(value)
    return 0.0


def _open_dir(name: str, dir_fd: int | None) -> int | None:
    try:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return None


def _read_events(out_fd: int, cells: Sequence[CodeCell], limits: SandboxLimits) -> dict[str, Any]:
    """The runner's event log, line by line; malformed lines are skipped."""
    cap = 4 * limits.output_bytes + len(cells) * 8 * (_CELL_STDOUT + _MAX_TRACEBACK) + 1024**2
    try:
        fd = os.open("cells.jsonl", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=out_fd)
    except OSError:
        return {"start": set(), "end": {}, "ready": None, "done": False}
    try:
        raw = os.read(fd, cap) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
        while len(raw) < cap:  # os.read may return less than asked of a large file
            chunk = os.read(fd, cap - len(raw)) if raw else b""
            if not chunk:
                break
            raw += chunk
    finally:
        os.close(fd)
    wanted = {cell.index for cell in cells}
    started: set[int] = set()
    ended: dict[int, dict[str, Any]] = {}
    ready: float | None = None
    done = False
    for line in raw.split(b"\n"):
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(event, dict):
            continue
        kind, index = event.get("event"), event.get("index")
        if kind == "ready" and ready is None:
            ready = _seconds(event.get("time"))
        elif kind == "done":
            done = True
        elif type(index) is int and index in wanted:
            if kind == "start":
                started.add(index)
            elif kind == "end" and index not in ended and event.get("status") in ("ok", "error", "timeout"):
                ended[index] = event
    return {"start": started, "end": ended, "ready": ready, "done": done}


def _cell_outcomes(
    cells: Sequence[CodeCell], events: dict[str, Any], exit_status: ExitStatus, why: str
) -> tuple[CellOutcome, ...]:
    outcomes = []
    for cell in cells:
        end = events["end"].get(cell.index)
        if end is not None:
            outcome = CellOutcome(
                cell.index,
                cell.cell_id,
                end["status"],
                _text(end.get("ename"), _MAX_ENAME),
                _text(end.get("evalue"), _MAX_EVALUE),
                _text(end.get("traceback"), _MAX_TRACEBACK),
                _text(end.get("stdout"), _CELL_STDOUT + 256),
                _seconds(end.get("seconds")),
            )
        elif cell.index in events["start"]:
            status: CellStatus = "timeout" if exit_status == "timeout" else "error"
            ename = (
                "Timeout" if status == "timeout" else ("MemoryError" if exit_status == "memory" else "Crash")
            )
            outcome = CellOutcome(cell.index, cell.cell_id, status, ename, why, "", "", 0.0)
        else:
            outcome = CellOutcome(cell.index, cell.cell_id, "not-run", "", "", "", "", 0.0)
        outcomes.append(outcome)
    return tuple(outcomes)


def _call_outcome(calls_fd: int | None, call: CallRequest, exit_status: ExitStatus, why: str) -> CallOutcome:
    """Read one call's files; any problem becomes not-run or bad-output, never an exception."""

    def outcome(
        status: CallStatus, value: object = None, ename: str = "", evalue: str = "", **extra: Any
    ) -> CallOutcome:
        return CallOutcome(
            call.call_id, status, value, ename, evalue, _seconds(extra.get("seconds")), extra.get("tb", "")
        )

    dir_fd = _open_dir(call.call_id, calls_fd) if calls_fd is not None else None
    if dir_fd is None:
        return outcome("bad-output", evalue="the call's output directory is missing")
    try:
        try:
            raw = plaindata.read_regular_file(dir_fd, "status.json", _STATUS_BYTES)
        except plaindata.PlainDataError as exc:
            return outcome("bad-output", evalue=str(exc))
        if not raw:
            return outcome("not-run")
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError):
            return outcome("bad-output", evalue="status.json is not valid JSON")
        if not isinstance(record, dict):
            return outcome("bad-output", evalue="status.json is not an object")
        status, seconds = record.get("status"), record.get("seconds")
        if status == "running":
            if exit_status == "timeout":
                return outcome("timeout", evalue=why)
            return outcome("error", ename="MemoryError" if exit_status == "memory" else "Crash", evalue=why)
        if status in ("missing", "timeout"):
            return outcome(status, seconds=seconds)
        if status == "error":
            return outcome(
                "error",
                ename=_text(record.get("ename"), _MAX_ENAME),
                evalue=_text(record.get("evalue"), _MAX_EVALUE),
                seconds=seconds,
                tb=_text(record.get("traceback"), _MAX_TRACEBACK),
            )
        if status != "ok":
            return outcome("bad-output", evalue="status.json has an unknown status")
        try:
            value = plaindata.load(Path(f"/proc/self/fd/{dir_fd}"))
        except Exception as exc:  # whatever a forged file does, it only spoils this call
            return outcome("bad-output", evalue=_text(str(exc), _MAX_EVALUE))
        if not call.return_args:
            return outcome("ok", value, seconds=seconds)
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], list)):
            return outcome("bad-output", evalue="the result is not [value, arguments]")
        found = outcome("ok", value[0], seconds=seconds)
        return replace(found, args_after=tuple(value[1]))
    finally:
        os.close(dir_fd)


def _classify(drained: Drained, done: bool) -> ExitStatus:
    if drained.killed_for == "cell-timeout":
        return "timeout"
    if drained.killed_for:
        return drained.killed_for
    code = drained.returncode
    if done and code == 0:
        return "ok"
    log = drained.tail[-8192:]
    if b"MemoryError" in log or b"Cannot allocate memory" in log or b"bad_alloc" in log:
        return "memory"
    # bwrap reports a child killed by signal N as 128+N; a plain process as -N.
    signal_number = -code if code is not None and code < 0 else (code - 128 if code and code > 128 else 0)
    if signal_number == signal.SIGXCPU:
        return "timeout"
    if signal_number == signal.SIGKILL:
        return "memory"  # nobody but the kernel's out-of-memory killer sends it here
    return "crashed"


def _ending(exit_status: ExitStatus, limits: SandboxLimits, drained: Drained) -> str:
    if drained.killed_for == "cell-timeout":
        return (
            f"a cell ran past its time limit ({limits.cell_seconds:g} s) in code that could not be"
            " interrupted, which ended the run"
        )
    returncode = drained.returncode
    if exit_status == "timeout":
        return f"the run reached its time limit ({limits.wall_seconds:g} s wall, {limits.cpu_seconds} s CPU)"
    if exit_status == "output-limit":
        return "the run was stopped for printing too much output"
    if exit_status == "memory":
        return "the run ran out of memory"
    return f"the process ended unexpectedly (exit status {returncode})"


def _read_results(
    root: Path,
    cells: Sequence[CodeCell],
    calls: Sequence[CallRequest],
    limits: SandboxLimits,
    drained: Drained,
    wall_started: float,
) -> ExecutionResult:
    out_fd = _open_dir(str(root / "out"), None)
    events: dict[str, Any] = {"start": set(), "end": {}, "ready": None, "done": False}
    calls_fd: int | None = None
    try:
        if out_fd is not None:
            events = _read_events(out_fd, cells, limits)
            calls_fd = _open_dir("calls", out_fd)
        exit_status = _classify(drained, events["done"])
        why = _ending(exit_status, limits, drained)
        cell_outcomes = _cell_outcomes(cells, events, exit_status, why)
        call_outcomes = {call.call_id: _call_outcome(calls_fd, call, exit_status, why) for call in calls}
    finally:
        for fd in (calls_fd, out_fd):
            if fd is not None:
                os.close(fd)
    ready = events["ready"]
    startup = max(0.0, ready - drained.spawned_at) if ready else 0.0
    return ExecutionResult(
        cells=cell_outcomes,
        calls=call_outcomes,
        exit=exit_status,
        returncode=drained.returncode,
        wall_seconds=time.monotonic() - wall_started,
        log_tail=drained.tail.decode("utf-8", errors="replace"),
        startup_seconds=startup,
    )


def execute(
    cells: Sequence[CodeCell],
    calls: Sequence[CallRequest],
    *,
    limits: SandboxLimits = DEFAULT_LIMITS,
    files: Mapping[str, Path] = _NO_FILES,
    sandboxed: bool = True,
    slot: int = 0,
    preload: Sequence[str] = (),
) -> ExecutionResult:
    """Run cells in order in one fresh process, then each call; the outcome of every one.

    ``files`` maps names relative to the job's home directory to host files or directories
    made available read-only. ``slot`` picks the unprivileged uid when running as root (one
    slot per parallel worker). With ``sandboxed=False`` the job is a plain subprocess under the
    same resource limits, as the current user (for --unsafe-no-sandbox). ``preload`` names
    modules worth importing once per slot rather than once per job (see grader/sandbox_warm.py);
    a job sees no difference but the time it saves.

    Never raises for anything the submission does. Raises SandboxUnavailableError when
    sandboxed and bubblewrap cannot run, and ValueError for invalid requests (call ids,
    function names, file names, arguments that are not plain data).
    """
    wall_started = time.monotonic()
    _validate(cells, calls, files, slot)
    if sandboxed:
        problem = _sandbox_problem()
        if problem is not None:
            raise SandboxUnavailableError(problem)
    lock: int | None = None
    if sandboxed and is_root():
        slot, lock = claim_slot(slot)
        # Whatever still runs as this uid is stale (the lock was free): it must not count
        # against this job's process limit.
        end_processes_of(SLOT_UID_BASE + slot)
    _sweep_stale_jobs()
    try:
        owner = SLOT_UID_BASE + slot if lock is not None else None
        if owner is not None:
            zygote = sandbox_warm.zygote_for(slot, owner, files, tuple(preload))
            if zygote is not None:
                warm = _run_warm(zygote, cells, calls, limits, owner, wall_started)
                if warm is not None:
                    return warm
        root = Path(tempfile.mkdtemp(prefix=f"{_JOB_PREFIX}{os.getpid()}-", dir=job_parent()))
        try:
            _prepare(root, cells, calls, limits, owner)
            if sandboxed:
                command = bwrap_command(root, files, limits, slot)
                env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
                drained = run_process(command, env, None, limits, root / "out", owner)
                if owner is not None:
                    end_processes_of(owner)
            else:
                command, env, home = unsafe_command(root, files)
                drained = run_process(command, env, home, limits, root / "out")
            return _read_results(root, cells, calls, limits, drained, wall_started)
        finally:
            shutil.rmtree(root, onerror=_force_remove)
    finally:
        if lock is not None:
            os.close(lock)


def _run_warm(
    zygote: sandbox_warm.Zygote,
    cells: Sequence[CodeCell],
    calls: Sequence[CallRequest],
    limits: SandboxLimits,
    owner: int,
    wall_started: float,
) -> ExecutionResult | None:
    """The job run as a fork of the slot's zygote, or None when the zygote failed (it is
    replaced, and the job runs cold: nothing of this attempt is kept)."""
    root = Path(tempfile.mkdtemp(prefix=f"{_JOB_PREFIX}{os.getpid()}-", dir=zygote.spool))
    try:
        root.chmod(0o755)
        _prepare(root, cells, calls, limits, owner, zygote.preloaded_bytes)
        try:
            drained = zygote.run(root, limits)
        except (sandbox_warm.WarmUnavailableError, OSError, ValueError):
            end_processes_of(owner)
            sandbox_warm.discard(zygote)
            return None
        # The watcher already ended every process of the slot's uid (the warm job's kill).
        return _read_results(root, cells, calls, limits, drained, wall_started)
    finally:
        shutil.rmtree(root, onerror=_force_remove)


@functools.cache
def _sweep_stale_jobs() -> None:
    """Remove the job directories of grader processes that died without cleaning up (once).

    A grader killed with SIGKILL leaves its jobs' directories (and its zygotes', whose zygotes end
    with it) behind, and in /dev/shm they hold memory until someone removes them. Names carry the
    creating process's id.
    """
    entries = [
        (p, entry) for p in (_JOB_PREFIX, ZYGOTE_PREFIX) for entry in Path(job_parent()).glob(f"{p}*-*")
    ]
    for prefix, entry in entries:
        pid_text = entry.name[len(prefix) :].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                if entry.is_dir() and not entry.is_symlink() and entry.stat().st_uid == os.geteuid():
                    shutil.rmtree(entry, onerror=_force_remove)
        except OSError:
            continue  # alive, under another user


def _force_remove(function: Any, path: str, excinfo: Any) -> None:
    """rmtree's error handler: make what the job left read-only writable, then retry once.

    Only directories inside a job directory are ever made writable: the shared parent (/dev/shm,
    /tmp) must keep its mode, and a path that vanished meanwhile (two graders sweeping the same
    stale job) needs nothing at all.
    """
    error = excinfo[1] if isinstance(excinfo, tuple) else excinfo
    if isinstance(error, FileNotFoundError):
        return
    target = Path(path)
    job_root = next((p for p in (target, *target.parents) if p.name.startswith(_JOB_PREFIX)), None)
    if job_root is None:
        return
    with contextlib.suppress(OSError):
        if target != job_root:
            target.parent.chmod(0o700)
        if target.is_dir() and not target.is_symlink():
            target.chmod(0o700)
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink()
