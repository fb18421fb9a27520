"""Watching a running job from outside: its output, its disk and memory use, its clocks.

The watcher drains the job's output with a cap, checks the size of its output directory and the
memory of its processes a few times a second, and stops the whole job at the wall-clock limit. It
also follows the runner's event log (``cells.jsonl``): the runner's own per-cell timeout is a
signal handler, which cannot interrupt native code (a regular expression that backtracks, a
library that retries an allocation forever) or code that blocks the signal, so a cell that runs
well past its timeout stops the job from here. The log is written by the job, so it is read
defensively and only ever makes the job end sooner.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from grader.sandbox_process import SandboxLimits, job_memory, memory_group, oom_killed, remove_group

# Output to the process's stdout/stderr beyond this many times limits.output_bytes ends the run.
_OUTPUT_KILL_FACTOR = 16
# Seconds between checks of the size of the job's output directory.
_USAGE_INTERVAL = 0.2
# A cell is stopped from outside this long past its timeout (the runner's own alarm comes first).
_CELL_GRACE_SECONDS = 2.0
_CELL_GRACE_FRACTION = 0.2
_EVENTS_READ = 1024**2
_EVENT_LINE = 1024**2

KilledFor = Literal["", "timeout", "cell-timeout", "output-limit", "memory"]


@dataclass
class Drained:
    """What the parent saw of the process: its output tail and why it ended."""

    tail: bytes
    returncode: int | None
    killed_for: KilledFor
    spawned_at: float


def _disk_usage(directory: Path, max_entries: int) -> int:
    """Bytes allocated under directory (symlinks not followed); -1 beyond max_entries entries."""
    total, entries = 0, 0
    pending = [str(directory)]
    while pending:
        try:
            with os.scandir(pending.pop()) as listing:
                for entry in listing:
                    entries += 1
                    if entries > max_entries:
                        return -1
                    info = entry.stat(follow_symlinks=False)
                    total += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
        except OSError:
            continue
    return total


class JobProcess(Protocol):
    """A running job as the watcher sees it: its output pipe, whether it ended, how to stop it."""

    output_fd: int

    def poll(self) -> int | None:
        """The exit code once the job's main process has ended (negative: killed by a signal)."""

    def kill(self) -> None:
        """Kill every process of the job."""

    def wait(self, timeout: float) -> int | None:
        """The exit code, waiting at most timeout seconds for the job to end after kill()."""


class _Spawned:
    """A job that is a child process of this one (and its process group)."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path | None) -> None:
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group, killed as a whole
            close_fds=True,
        )
        assert self.process.stdout is not None
        self.output_fd = self.process.stdout.fileno()

    def poll(self) -> int | None:
        return self.process.poll()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        assert self.process.stdout is not None
        self.process.stdout.close()

    def wait(self, timeout: float) -> int | None:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL was sent
            return None


class CellClock:
    """Which cell the job runs now and since when, from the runner's event log, read as it grows."""

    def __init__(self, events: Path, cell_seconds: float) -> None:
        self.events = events
        self.limit = cell_seconds + max(_CELL_GRACE_SECONDS, _CELL_GRACE_FRACTION * cell_seconds)
        self.offset = 0
        self.partial = b""
        self.since: float | None = None

    def overdue(self, now: float) -> bool:
        """Whether a cell has run past its timeout and grace (read what the log gained first)."""
        for line in self._new_lines():
            try:
                event = json.loads(line)
            except (ValueError, RecursionError):
                continue
            kind = event.get("event") if isinstance(event, dict) else None
            if kind == "start":
                self.since = now
            elif kind in ("end", "done"):
                self.since = None
        return self.since is not None and now - self.since > self.limit

    def _new_lines(self) -> list[bytes]:
        try:
            fd = os.open(self.events, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            return []
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return []
            chunk = os.pread(fd, _EVENTS_READ, self.offset)
        except OSError:
            return []
        finally:
            os.close(fd)
        self.offset += len(chunk)
        *lines, self.partial = (self.partial + chunk).split(b"\n")
        if len(self.partial) > _EVENT_LINE:  # a line this long is no event of the runner's
            self.partial = b""
        return lines


def run_process(
    command: list[str],
    env: dict[str, str],
    cwd: Path | None,
    limits: SandboxLimits,
    out: Path,
    uid: int | None = None,
) -> Drained:
    """Run command, keeping the last output_bytes of its output, within the wall-clock limit
    (see watch), in a memory cgroup of its own when this process is root and ``uid`` is given."""
    group = memory_group(limits.memory_bytes) if uid is not None else None
    if group is not None:
        # Joins the group before it becomes the sandbox, so that every process of the job is in it.
        command = ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(group / "tasks"), *command]
    try:
        spawned_at = time.time()
        return watch(_Spawned(command, env, cwd), limits, out, uid, group, spawned_at)
    finally:
        if group is not None:
            remove_group(group)


def watch(
    job: JobProcess,
    limits: SandboxLimits,
    out: Path,
    uid: int | None,
    group: Path | None,
    spawned_at: float,
) -> Drained:
    """Drain a job's output, keeping the last output_bytes, and stop it at the wall-clock limit.

    The output directory is a host directory the job can write: its size is checked a few times
    a second and the job stopped (as "output-limit") beyond disk_bytes. When the job runs as its
    own ``uid``, the memory of all its processes together is checked as often and the job stopped
    (as "memory") beyond memory_bytes; with a memory cgroup the kernel also holds the job to
    memory_bytes (it kills a process of the job past it, and the job is then stopped as "memory").
    """
    keep = max(limits.output_bytes, 1)
    hard_cap = keep * _OUTPUT_KILL_FACTOR
    started = time.monotonic()
    deadline = started + limits.wall_seconds
    fd = job.output_fd
    os.set_blocking(fd, False)
    tail = bytearray()
    total = 0
    killed_for: KilledFor = ""
    exited_at: float | None = None
    next_check = started + _USAGE_INTERVAL
    max_entries = 64 + 8 * sum(1 for _ in os.scandir(out / "calls"))
    clock = CellClock(out / "cells.jsonl", limits.cell_seconds)
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            if now >= deadline:
                killed_for = "timeout"
                break
            if now >= next_check:
                next_check = now + _USAGE_INTERVAL
                usage = _disk_usage(out, max_entries)
                if usage < 0 or usage > limits.disk_bytes:
                    killed_for = "output-limit"
                    break
                if (group is not None and oom_killed(group)) or (
                    uid is not None and job_memory(uid) > limits.memory_bytes
                ):
                    killed_for = "memory"
                    break
                if clock.overdue(now):
                    killed_for = "cell-timeout"
                    break
            if exited_at is None and job.poll() is not None:
                exited_at = now
            # Once the main process is gone, leftovers holding the pipe get a moment only.
            if exited_at is not None and now - exited_at > 0.5:
                break
            if not selector.select(timeout=min(_USAGE_INTERVAL, deadline - now)):
                continue
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                break
            total += len(chunk)
            tail += chunk
            if len(tail) > 2 * keep:
                del tail[:-keep]
            if total > hard_cap:
                killed_for = "output-limit"
                break
    if not killed_for and group is not None and oom_killed(group):
        killed_for = "memory"  # a process of the job was killed between two checks
    job.kill()
    returncode = job.wait(max(5.0, deadline - time.monotonic()))
    if killed_for:
        returncode = None
    return Drained(bytes(tail[-keep:]), returncode, killed_for, spawned_at)
