"""The program that runs inside the sandbox: a submission's cells, then calls of its functions.

It is started as a script with two arguments, the job directory (read-only) and the output
directory, and uses only the standard library, numpy and (when a cell needs it) IPython:

    JOB/settings.json          limits and timeouts
    JOB/cells.json             [{"index", "cell_id", "source"}, ...] in run order
    JOB/calls.json             [{"call_id", "function", "return_args"}, ...]
    JOB/args/<call_id>/        plain data of [args, kwargs]
    OUT/cells.jsonl            one JSON line per event: ready, start, end (per cell), done
    OUT/calls/<call_id>/       status.json (running, ok, error, missing, timeout) and, for ok,
                               the returned value as plain data (data.json, arrays.npz)

Everything here shares its process with student code, so nothing it writes is trusted: the
parent validates every file and compares values outside. The runner only tries hard to report
what happened: it continues after a failing cell, catches every exception including SystemExit
and KeyboardInterrupt, and calls the functions in a forked child so that a call that loops,
exits or crashes costs only that call. Per-cell timeouts use SIGALRM and are best effort; the
parent's wall-clock limit is the authoritative one.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import linecache
import os
import re
import resource
import select
import signal
import sys
import time
import traceback
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader import plaindata
else:
    try:  # inside the sandbox: a flat copy next to this file
        import plaindata
    except ImportError:  # pragma: no cover - run from the package
        from grader import plaindata

import numpy  # noqa: F401  (every assignment imports it: load it before the clock of cell 1 starts)

_MAX_EVALUE = 2_000
_MAX_TRACEBACK = 20_000
_CELL_OUTPUT = 64 * 1024
# Magics that change nothing a grader can observe when matplotlib already draws off-screen
# (MPLBACKEND=Agg) and modules never change during a run: they become `pass`, so that the
# common notebook preamble does not cost an IPython start-up.
_NOOP_MAGIC = re.compile(
    r"^(?P<indent>[ \t]*)%(?:matplotlib\b|load_ext\s+autoreload\b|reload_ext\s+autoreload\b"
    r"|autoreload\b|config\s+InlineBackend\b).*$",
    re.MULTILINE,
)
_IPYTHON_SYNTAX = re.compile(r"^\s*(?:[%!]|\w+\s*=\s*[%!])|\?\s*$", re.MULTILINE)
_THIS_FILE = __file__
_dumps = json.dumps  # private references: student code may patch the json module
_now = time.monotonic


class _Timeout(BaseException):
    """Raised by the SIGALRM handler when a cell or an in-process call runs out of time."""


class _Alarm:
    """A re-armable per-step time limit; the flag closes the race at the step's end."""

    def __init__(self) -> None:
        self.armed = False

    def handler(self, signum: int, frame: types.FrameType | None) -> None:
        if self.armed:
            self.armed = False
            raise _Timeout

    def arm(self, seconds: float) -> None:
        signal.signal(signal.SIGALRM, self.handler)
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))

    def disarm(self) -> None:
        self.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)


class _Capture(io.TextIOBase):
    """A text stream that keeps at most ``limit`` characters and counts the rest."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        room = self.limit - self.size
        if room > 0:
            kept = text[:room]
            self.parts.append(kept)
            self.size += len(kept)
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def value(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[... {self.dropped} more characters of output not kept]"
        return text


def _set_limits(limits: dict[str, Any]) -> None:
    """Lower this process's resource limits (inherited by everything it starts)."""
    names = {
        "AS": resource.RLIMIT_AS,
        "CPU": resource.RLIMIT_CPU,
        "NPROC": resource.RLIMIT_NPROC,
        "FSIZE": resource.RLIMIT_FSIZE,
        "NOFILE": resource.RLIMIT_NOFILE,
        "CORE": resource.RLIMIT_CORE,
    }
    for name, value in limits.items():
        if value is None or name not in names:
            continue
        which = names[name]
        _, hard = resource.getrlimit(which)
        soft = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)
        # CPU: SIGXCPU at the soft limit, SIGKILL a few seconds later at the hard one.
        new_hard = (
            soft + 5 if name == "CPU" and (hard == resource.RLIM_INFINITY or soft + 5 <= hard) else soft
        )
        try:
            resource.setrlimit(which, (soft, new_hard))
        except (ValueError, OSError):
            resource.setrlimit(which, (soft, hard))


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"


def _describe(exc: BaseException) -> tuple[str, str, str]:
    """ename, evalue and a traceback without the runner's own frames; never raises."""
    try:
        ename = str(type(exc).__name__)[:200]
    except Exception:
        ename = "Exception"
    try:
        evalue = _short(str(exc), _MAX_EVALUE)
    except BaseException:
        evalue = "<the exception's message could not be read>"
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == _THIS_FILE:
        tb = tb.tb_next
    try:
        lines = traceback.TracebackException(type(exc), exc, tb, compact=True).format()
        text = _short("".join(lines), _MAX_TRACEBACK)
    except BaseException:
        text = f"{ename}: {evalue}"
    return ename, evalue, text


class _Events:
    """Appends JSON lines to OUT/cells.jsonl, opening it anew for every line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, **record: Any) -> None:
        line = (_dumps(record) + "\n").encode()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError:
            pass


def _write_json(path: Path, record: dict[str, Any]) -> None:
    try:
        with path.open("w", encoding="ascii") as out:
            out.write(_dumps(record))
    except OSError:
        pass


class Runner:
    """The state of one run: the notebook's namespace, the optional IPython shell, the limits."""

    def __init__(self, job: Path, out: Path) -> None:
        self.job = job
        self.out = out
        self.settings: dict[str, Any] = json.loads((job / "settings.json").read_text())
        self.events = _Events(out / "cells.jsonl")
        self.alarm = _Alarm()
        self.output_left = int(self.settings["output_chars"])
        self.module = types.ModuleType("__main__")
        self.ns: dict[str, Any] = self.module.__dict__
        self.ns["__builtins__"] = builtins
        self.ns["get_ipython"] = self.get_ipython
        self.ns["display"] = _display
        self.shell: Any = None
        self.pid = os.getpid()
        self.hung: set[str] = set()
        """Functions one of whose calls ran out of time: their remaining calls are not made."""

    def leave_if_forked(self) -> None:
        """A process that student code forked must not go on running the job as well."""
        if os.getpid() != self.pid:
            os._exit(0)

    # -- cells ---------------------------------------------------------------------------
    def get_ipython(self) -> Any:
        """The IPython shell, created on first use around the notebook's namespace."""
        if self.shell is None:
            from IPython.core.interactiveshell import InteractiveShell
            from traitlets.config import Config

            class Shell(InteractiveShell):
                def enable_gui(self, gui: Any = None) -> None:
                    """No event loop here: figures are drawn off-screen."""

            config = Config()
            config.HistoryManager.enabled = False
            config.InteractiveShell.colors = "NoColor"
            self.shell = Shell.instance(config=config, user_module=self.module)
        return self.shell

    def run_cells(self) -> None:
        cells = json.loads((self.job / "cells.json").read_text())
        for cell in cells:
            index = int(cell["index"])
            self.events.write(event="start", index=index)
            record = self.run_cell(index, str(cell["source"]))
            self.events.write(event="end", index=index, **record)

    def run_cell(self, index: int, source: str) -> dict[str, Any]:
        filename = f"<cell {index}>"
        capture = _Capture(min(_CELL_OUTPUT, max(self.output_left, 0)))
        start = _now()
        status, ename, evalue, text = "ok", "", "", ""
        saved = sys.stdout, sys.stderr
        try:
            plain = _NOOP_MAGIC.sub(lambda m: m.group("indent") + "pass", source)
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            try:
                code = compile(plain, filename, "exec", dont_inherit=True)
            except SyntaxError:
                if not _IPYTHON_SYNTAX.search(source) or not _ipython_available():
                    raise
                code = None
            sys.stdout = sys.stderr = capture
            self.alarm.arm(float(self.settings["cell_seconds"]))
            try:
                if code is not None:
                    exec(code, self.ns)
                else:
                    result = self.get_ipython().run_cell(source, store_history=False)
                    error = result.error_before_exec or result.error_in_exec
                    if error is not None:
                        raise error
            finally:
                self.alarm.disarm()
                self.leave_if_forked()
        except _Timeout:
            status, ename = "timeout", "Timeout"
            evalue = f"the cell ran longer than {self.settings['cell_seconds']} s"
        except BaseException as exc:
            status = "error"
            ename, evalue, text = _describe(exc)
        finally:
            self.alarm.disarm()
            sys.stdout, sys.stderr = saved
        stdout = capture.value()
        self.output_left -= capture.size
        return {
            "status": status,
            "ename": ename,
            "evalue": evalue,
            "traceback": text,
            "stdout": stdout,
            "seconds": _now() - start,
        }

    # -- calls ---------------------------------------------------------------------------
    def run_calls(self) -> None:
        calls: list[dict[str, Any]] = json.loads((self.job / "calls.json").read_text())
        position = 0
        while position < len(calls):
            read_end = write_end = -1
            try:
                read_end, write_end = os.pipe()
                pid = os.fork()
            except OSError:
                # No process left (a fork bomb used them up): call in this process instead.
                for fd in (read_end, write_end):
                    if fd >= 0:
                        os.close(fd)
                for call in calls[position:]:
                    if call["function"] in self.hung:
                        self.skip_hung(call)
                    else:
                        self.call(call, in_process=True)
                return
            if pid == 0:  # the child: call the functions one after the other
                os.close(read_end)
                self.pid = os.getpid()
                status = 0
                try:
                    for number in range(position, len(calls)):
                        _send(write_end, f"S {number}\n")
                        if calls[number]["function"] in self.hung:
                            self.skip_hung(calls[number])
                        else:
                            self.call(calls[number], in_process=False)
                        _send(write_end, f"D {number}\n")
                except BaseException:
                    status = 1
                os._exit(status)
            os.close(write_end)
            reached = self.supervise(pid, read_end, position, calls)
            if reached <= position:  # the child died before starting: do not fork forever
                self.settle(calls[position], 1 << 8, timed_out=False, started=_now())
                reached = position + 1
            position = reached

    def supervise(self, pid: int, read_end: int, position: int, calls: list[dict[str, Any]]) -> int:
        """Follow a child through its calls; the position of the first call not yet settled."""
        limit = float(self.settings["call_seconds"])
        current: int | None = None
        settled = position
        deadline = _now() + limit
        started = _now()
        pending = b""
        try:
            while True:
                ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - _now()))
                data = os.read(read_end, 4096) if ready else None
                if not data:
                    if data is None:  # out of time: a call (or whatever follows it) hangs
                        os.kill(pid, signal.SIGKILL)
                    _, wait_status = os.waitpid(pid, 0)
                    if current is not None:
                        self.settle(calls[current], wait_status, timed_out=data is None, started=started)
                        if data is None:
                            # Its other cases would hang as well: the next children skip them
                            # rather than wait out the limit once per case.
                            self.hung.add(str(calls[current]["function"]))
                        return current + 1
                    return settled
                pending += data
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    kind, _, number_text = line.decode("ascii", "replace").partition(" ")
                    if not number_text.isdigit() or not position <= int(number_text) < len(calls):
                        continue
                    number = int(number_text)
                    if kind == "S":
                        current, started = number, _now()
                    elif kind == "D":
                        current, settled = None, number + 1
                    deadline = _now() + limit
        finally:
            os.close(read_end)

    def skip_hung(self, call: dict[str, Any]) -> None:
        """Report a call of a function whose earlier call ran out of time, without making it."""
        directory = self.out / "calls" / call["call_id"]
        _write_json(directory / "status.json", {"status": "timeout", "seconds": 0.0})

    def settle(self, call: dict[str, str], wait_status: int, *, timed_out: bool, started: float) -> None:
        """Write the status of a call whose child was killed or died."""
        directory = self.out / "calls" / call["call_id"]
        seconds = _now() - started
        if timed_out:
            _write_json(directory / "status.json", {"status": "timeout", "seconds": seconds})
            return
        code = os.waitstatus_to_exitcode(wait_status)
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            ename, evalue = "Crash", f"the process was killed by signal {name} during the call"
        else:
            ename, evalue = "ProcessExit", f"the process exited with code {code} during the call"
        record = {"status": "error", "ename": ename, "evalue": evalue, "seconds": seconds}
        _write_json(directory / "status.json", record)

    def call(self, call: dict[str, Any], *, in_process: bool) -> None:
        directory = self.out / "calls" / call["call_id"]
        status_file = directory / "status.json"
        _write_json(status_file, {"status": "running"})
        name = call["function"]
        start = _now()
        if name not in self.ns:
            _write_json(status_file, {"status": "missing", "seconds": 0.0})
            return
        payload = plaindata.load(self.job / "args" / call["call_id"])
        if not isinstance(payload, list) or len(payload) != 2:
            raise plaindata.PlainDataError(f"arguments of {call['call_id']} are not [args, kwargs]")
        args, kwargs = payload
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = _Capture(0)
        try:
            if in_process:
                self.alarm.arm(float(self.settings["call_seconds"]))
            try:
                value = self.ns[name](*args, **kwargs)
            finally:
                self.alarm.disarm()
                self.leave_if_forked()
        except _Timeout:
            _write_json(status_file, {"status": "timeout", "seconds": _now() - start})
            self.hung.add(name)
            return
        except BaseException as exc:
            ename, evalue, text = _describe(exc)
            record = {"status": "error", "ename": ename, "evalue": evalue, "traceback": text}
            _write_json(status_file, {**record, "seconds": _now() - start})
            return
        finally:
            sys.stdout, sys.stderr = saved
        seconds = _now() - start
        with contextlib.suppress(BaseException):
            # TensorFlow tensors and Keras models become arrays and plain descriptions.
            value = plaindata.from_framework(value)
        if call.get("return_args") is True:
            # The arguments as the function left them: in-place changes are judged outside.
            value = [value, list(args)]
        try:
            try:
                plaindata.dump(value, directory)
            except plaindata.PlainDataError as exc:
                marker = plaindata.Unencodable(plaindata.type_name(value), str(exc))
                plaindata.dump(marker, directory)
        except BaseException as exc:
            ename, evalue, _ = _describe(exc)
            record = {
                "status": "error",
                "ename": ename,
                "evalue": f"the result could not be written: {evalue}",
            }
            _write_json(status_file, {**record, "seconds": seconds})
            return
        _write_json(status_file, {"status": "ok", "seconds": seconds})


def _send(fd: int, message: str) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, message.encode("ascii"))


def _display(*objects: Any, **options: Any) -> None:
    """IPython's display(), imported only when a notebook calls it."""
    from IPython.display import display

    display(*objects, **options)  # type: ignore[no-untyped-call]


def _ipython_available() -> bool:
    try:
        import IPython  # noqa: F401
    except Exception:
        return False
    return True


def main(argv: list[str]) -> int:
    """Run the job in argv[1], writing to argv[2]; returns only when everything was attempted."""
    started = time.time()
    job, out = Path(argv[1]), Path(argv[2])
    runner = Runner(job, out)
    _set_limits(runner.settings["rlimits"])
    # Like a notebook kernel: imports resolve from the working directory, not from here.
    sys.path[0] = ""
    sys.argv = [""]
    sys.modules["__main__"] = runner.module
    runner.events.write(event="ready", time=time.time(), startup=time.time() - started)
    runner.run_cells()
    runner.run_calls()
    runner.events.write(event="done", time=time.time())
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    # Skip interpreter shutdown: student atexit handlers, threads and __del__ methods do not run.
    os._exit(code)
