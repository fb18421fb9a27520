"""The parent of warm sandbox jobs: a process that has imported numpy once and forks a job per request.

It runs inside a bubblewrap sandbox of its own (grader/sandbox_warm.py starts it) as root with
only the capabilities it needs to build each job's private view (SYS_ADMIN, SETUID, SETGID,
SETPCAP, KILL), and never runs student code itself. For each request on its control socket
(a JSON object plus the write end of the job's output pipe) it forks a child that:

- enters new mount and IPC namespaces, so that nothing one job leaves in /tmp, the home
  directory or System V / POSIX IPC objects is seen by the next;
- mounts a fresh, size-limited tmpfs on /tmp and on the home directory, binds the job's own
  directory read-only on /job and its output directory on /out, and detaches the spool that
  holds the job directories (so no other job's files are reachable);
- drops the capability bounding set, sets no_new_privs and becomes the slot's unprivileged uid
  with no groups, which leaves it no capabilities at all;
- reseeds the random generators it inherited, then runs grader/sandbox_runner.py's main.

The zygote reports ``{"started": pid}`` and, when the child ends, ``{"exit": code}`` (negative:
killed by that signal). It exits when the control socket closes; if that happens during a job,
it kills every process it can (the job's) first. Like the runner, it uses only the standard
library (and numpy through the runner).
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import json
import os
import random
import select
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader import sandbox_runner
else:
    try:  # inside the sandbox: a flat copy next to the runner
        import sandbox_runner
    except ImportError:  # pragma: no cover - imported from the package
        from grader import sandbox_runner

_CLONE_NEWNS = 0x00020000
_CLONE_NEWIPC = 0x08000000
_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_REMOUNT = 32
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_MNT_DETACH = 2
_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_DUMPABLE = 4
_HOME = "/home/student"
_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str, target: str, kind: str | None, flags: int, data: str | None = None) -> None:
    _check(
        _libc.mount(
            source.encode(),
            target.encode(),
            kind.encode() if kind else None,
            flags,
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def _bind(source: str, target: str, *, read_only: bool) -> None:
    _mount(source, target, None, _MS_BIND | _MS_REC)
    flags = _MS_REMOUNT | _MS_BIND | _MS_NOSUID | _MS_NODEV | (_MS_RDONLY if read_only else 0)
    _mount("none", target, None, flags)


def _private_view(request: dict[str, Any]) -> None:
    """New mount and IPC namespaces holding only this job's files (see the module docstring)."""
    _check(_libc.unshare(_CLONE_NEWNS | _CLONE_NEWIPC), "unshare")
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE)
    tmpfs = _MS_NOSUID | _MS_NODEV
    _mount("tmpfs", "/tmp", "tmpfs", tmpfs, f"size={int(request['tmp_bytes'])},mode=1777")
    _mount("tmpfs", _HOME, "tmpfs", tmpfs, f"size={int(request['home_bytes'])},mode=0777")
    for name in request["files"]:
        source, target = f"/data/{name}", f"{_HOME}/{name}"
        parent = _HOME
        for part in name.split("/")[:-1]:  # like a cold job's: the job may add files beside them
            parent += f"/{part}"
            if not Path(parent).is_dir():
                Path(parent).mkdir()
                Path(parent).chmod(0o777)
        if Path(source).is_dir():
            Path(target).mkdir()
        else:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o644))
        _bind(source, target, read_only=True)
    job = f"/spool/{request['job']}"
    _bind(f"{job}/job", "/job", read_only=True)
    _bind(f"{job}/out", "/out", read_only=False)
    _check(_libc.umount2(b"/spool", _MNT_DETACH), "umount /spool")
    for name in request["files"]:
        _check(_libc.umount2(f"/data/{name}".encode(), _MNT_DETACH), f"umount /data/{name}")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _clear_inheritable() -> None:
    """Empty the inheritable set (setuid clears the others; this one it keeps)."""
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3: two 32-bit words
    data = (_CapData * 2)()
    _check(_libc.capget(ctypes.byref(header), data), "capget")
    for word in data:
        word.inheritable = 0
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def _become(uid: int) -> None:
    """The slot's uid, no groups, no capabilities, and no way to gain any."""
    _clear_inheritable()
    for capability in range(64):
        if _libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    # Changing uid made the process undumpable: its /proc files would belong to root and its own
    # children could not read them. A cold job's exec would have reset this; so does this.
    _check(_libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0), "dumpable")
    status = Path("/proc/self/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in status if ":" in line)
    capabilities = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")
    if os.getuid() != uid or any(int(fields[name].strip(), 16) for name in capabilities):
        raise OSError("the job process kept a privilege")


def _child(request: dict[str, Any], output: int, control: socket.socket, uid: int) -> None:
    control.close()
    os.setsid()
    _private_view(request)
    _become(uid)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.closerange(3, 65536)
    os.chdir(_HOME)
    os.umask(0o022)
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD):
        signal.signal(number, signal.SIG_DFL)
    # A fresh process draws its seeds from the OS: so must every job, or all would share them.
    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    code = sandbox_runner.main(["sandbox_runner", "/job", "/out"])
    sys.stdout.flush()
    os._exit(code)


def _wait(pid: int, control: socket.socket) -> int:
    """The child's exit code (negative: the signal that killed it); a closed socket ends the job."""
    handle = os.pidfd_open(pid)
    try:
        while True:
            ready, _, _ = select.select([handle, control.fileno()], [], [])
            if handle in ready:
                break
            if not control.recv(1, socket.MSG_PEEK):
                os.kill(-1, signal.SIGKILL)  # the grader is gone: so is the job
                break
            control.recv(4096)  # nothing is expected during a job
    finally:
        os.close(handle)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _address_space() -> int:
    """This process's virtual memory size in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _send(control: socket.socket, record: dict[str, Any]) -> None:
    control.sendall(json.dumps(record).encode() + b"\n")


def main(argv: list[str]) -> int:
    """Serve job requests on the socket whose fd is argv[1] as uid argv[2], after importing argv[3:]."""
    control = socket.socket(fileno=int(argv[1]))
    uid = int(argv[2])
    before = _address_space()  # what a cold job has too: the interpreter, the runner, numpy
    failed = []
    for name in argv[3:]:
        try:
            importlib.import_module(name)
        except Exception as exc:  # a student's own import of it fails the same way, in their cell
            failed.append(f"{name}: {type(exc).__name__}")
    # Forking a process that runs threads copies locks some other thread may hold.
    if threading.active_count() > 1 or len(list(Path("/proc/self/task").iterdir())) > 1:
        _send(control, {"unsafe": "importing the preloaded modules started threads"})
        return 1
    gc.collect()
    gc.freeze()  # the children's garbage collector then leaves the shared pages unwritten
    _send(control, {"ready": os.getpid(), "failed": failed, "preloaded_bytes": _address_space() - before})
    while True:
        message, fds, _, _ = socket.recv_fds(control, 65536, 1)
        if not message:
            return 0
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            _send(control, {"error": "a job request carries exactly one file descriptor"})
            continue
        request = json.loads(message)
        pid = os.fork()
        if pid == 0:
            try:
                _child(request, fds[0], control, uid)
            except BaseException as exc:  # report, and never return into the zygote's loop
                for fd in (fds[0], 1):
                    try:
                        os.write(fd, f"dlgrade sandbox: the job could not be set up: {exc}\n".encode())
                        break
                    except OSError:
                        continue
            os._exit(71)
        os.close(fds[0])
        _send(control, {"started": pid})
        _send(control, {"exit": _wait(pid, control)})


if __name__ == "__main__":
    sys.exit(main(sys.argv))
