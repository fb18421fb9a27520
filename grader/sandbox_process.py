"""The process of one sandbox job: its limits, its uid, its bubblewrap command, its supervision.

As root, each parallel worker uses a slot: an unprivileged uid (SLOT_UID_BASE + slot) claimed
with a lock so that no two jobs on the machine share it; bubblewrap runs without a user
namespace and setpriv drops to that uid with every capability removed (resource limits are not
enforced for root). As another user, bubblewrap's user namespace is used instead.

The sandbox sees a read-only /usr and Python installation (a venv appears at /venv), a
synthetic minimal /etc, a private home directory and /tmp (size-limited tmpfs), the job files
read-only and the output directory; nothing else of the host. It has no network and its own
pid, IPC and UTS namespaces. How the parent watches a running job (output, disk, memory, clocks)
is grader/sandbox_watch.py; jobs forked from a warm zygote are grader/sandbox_warm.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import importlib.util
import itertools
import os
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.allocator import TUNABLES
from grader.errors import DlgradeError

SLOT_UID_BASE = 60000
"""As root, slot N runs as uid and gid SLOT_UID_BASE + N."""
MAX_SLOTS = 5000

_PACKAGE_DIR = Path(__file__).resolve().parent
_RUNNER_FILES = ("sandbox_runner.py", "plaindata.py", "sandbox_zygote.py")
_RUNNER_DIR = "/opt/dlgrade"
_HOME = "/home/student"
_VENV = "/venv"


class SandboxUnavailableError(DlgradeError):
    """bubblewrap (or, as root, setpriv) is missing or does not work on this machine."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"the sandbox is not available: {reason} "
            "(install bubblewrap, or grade with --unsafe-no-sandbox at your own risk)"
        )


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one job; an assignment may relax them.

    ``limit_address_space=False`` leaves RLIMIT_AS unset, for frameworks that reserve far more
    virtual memory than they use (TensorFlow); ``memory_bytes`` is then not enforced.
    """

    wall_seconds: float = 120.0
    cell_seconds: float = 60.0
    call_seconds: float = 30.0
    cpu_seconds: int = 120
    memory_bytes: int = 2 * 1024**3
    processes: int = 64
    file_size_bytes: int = 64 * 1024**2
    open_files: int = 256
    output_bytes: int = 1024**2
    disk_bytes: int = 256 * 1024**2
    limit_address_space: bool = True


DEFAULT_LIMITS = SandboxLimits()


# -- the machine ----------------------------------------------------------------------------


@functools.cache
def job_parent() -> str:
    """Where job directories go: memory-backed /dev/shm when usable, since creating small files
    there costs a tenth of what it costs on a journaled disk (measured 0.02 ms vs 0.2 ms)."""
    shm = "/dev/shm"
    if Path(shm).is_dir() and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return tempfile.gettempdir()


def is_root() -> bool:
    """Whether this process runs as root (slots with their own uids are used then)."""
    return os.geteuid() == 0


@functools.cache
def _sandbox_problem() -> str | None:
    """Why bubblewrap cannot be used here, or None when a trivial sandbox ran."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap was not found on PATH"
    command = [bwrap, *_system_mounts(), "--unshare-net", "--unshare-pid", "--die-with-parent"]
    if is_root():
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            return "setpriv (util-linux) was not found on PATH"
        command += [setpriv, f"--reuid={SLOT_UID_BASE}", f"--regid={SLOT_UID_BASE}", "--clear-groups", "true"]
    else:
        command += ["--unshare-user", "--disable-userns", "true"]
    try:
        probe = subprocess.run(command, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not be run ({exc})"
    if probe.returncode != 0:
        return "bwrap failed: " + probe.stderr.decode(errors="replace").strip()[:300]
    return None


def sandbox_problem() -> str | None:
    """Why execute(..., sandboxed=True) cannot run here, or None (checked once per process)."""
    return _sandbox_problem()


def sandbox_available() -> bool:
    """Whether execute(..., sandboxed=True) can run here (checked once per process)."""
    return _sandbox_problem() is None


def _system_mounts() -> list[str]:
    """Read-only /usr plus the host's /bin, /lib... as they are (symlinks into /usr or dirs)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", str(path.readlink()), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


@dataclass(frozen=True)
class _Python:
    """Where the interpreter lives on the host and in the sandbox, and what to hide of it."""

    executable: str  # the interpreter's path inside the sandbox
    binds: tuple[tuple[str, str], ...]  # (host, sandbox) read-only
    masks: tuple[str, ...]  # sandbox directories covered by an empty tmpfs
    emptied: tuple[str, ...]  # sandbox files replaced by an empty one


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


@functools.cache
def _python_layout() -> _Python:
    base = Path(sys.base_prefix)
    prefix = Path(sys.prefix)
    in_venv = prefix != base
    binds: list[tuple[str, str]] = []
    if not _under(base, Path("/usr")):
        binds.append((str(base), str(base)))
    executable = Path(sys.executable)
    if in_venv:
        binds.append((str(prefix), _VENV))
        inside = Path(_VENV) / executable.relative_to(prefix) if _under(executable, prefix) else executable
    else:
        inside = executable

    def sandbox_path(host: Path) -> str | None:
        if in_venv and _under(host, prefix):
            return str(Path(_VENV) / host.relative_to(prefix))
        if _under(host, base) or _under(host, Path("/usr")):
            return str(host)
        return None

    masks: list[str] = []
    # The base installation's own packages are not on a venv's path: hide them.
    if in_venv:
        scheme = sysconfig.get_paths(vars={"base": str(base), "platbase": str(base)})
        on_path = {os.path.realpath(p) for p in sys.path if p}
        for key in ("purelib", "platlib"):
            candidate = Path(scheme[key])
            if candidate.is_dir() and os.path.realpath(candidate) not in on_path:
                masked = sandbox_path(candidate)
                if masked is not None and masked not in masks:
                    masks.append(masked)
    # dlgrade itself when installed into the interpreter (not editable): its reference
    # implementations and the grader must not be readable from the sandbox.
    for package in ("grader", "reference"):
        spec = importlib.util.find_spec(package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            masked = sandbox_path(Path(location))
            if masked is not None:
                masks.append(masked)
    # An editable install's import hook points into the repository, which is not mounted: it
    # would only slow every job's start-up (a bare interpreter: 38 ms with it, 24 ms without).
    emptied: list[str] = []
    for entry in sys.path:
        directory = Path(entry) if entry else None
        if directory is None or not directory.is_dir() or sandbox_path(directory) is None:
            continue
        for hook in directory.glob("__editable__.dlgrade-*.pth"):
            inside_hook = sandbox_path(hook)
            if inside_hook is not None:
                emptied.append(inside_hook)
    return _Python(str(inside), tuple(binds), tuple(masks), tuple(emptied))


def _parents(path: str, stop: str = "/") -> list[str]:
    """The ancestors of path below stop, outermost first."""
    found: list[str] = []
    for parent in Path(path).parents:
        if str(parent) in (stop, "/"):
            break
        found.append(str(parent))
    return found[::-1]


def pids_of(uid: int) -> Iterator[int]:
    """The ids of the processes running as ``uid`` now (those that vanish meanwhile are skipped)."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                yield int(entry.name)
        except OSError:
            continue


def _count_processes(uid: int) -> int:
    """How many processes uid has now (RLIMIT_NPROC counts them all)."""
    return sum(1 for _ in pids_of(uid))


def end_processes_of(uid: int, patience: float = 5.0) -> None:
    """SIGKILL whatever still runs as uid and wait until it is gone.

    The pid namespace dies with the job, but the kernel kills its members asynchronously; the
    next job of this slot must not find them still counted against its process limit.
    """
    deadline = time.monotonic() + patience
    pause = 0.0005  # a killed process is usually gone within a millisecond: look again soon
    while True:
        remaining = 0
        for pid in pids_of(uid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                remaining += 1
        if remaining == 0 or time.monotonic() > deadline:
            return
        time.sleep(pause)
        pause = min(pause * 2, 0.01)


def runner_settings(limits: SandboxLimits, *, drop_to_slot: bool, inherited_bytes: int = 0) -> dict[str, Any]:
    """The runner's settings.json. ``inherited_bytes`` is address space a warm job inherits
    beyond what a cold one has when it starts (the zygote's preloaded modules): it is added to
    the address-space limit, so that the job has the room of a cold one for its own use."""
    nproc = limits.processes
    if not drop_to_slot and not is_root():
        # The job shares its real uid with this process and its siblings: count those too.
        nproc += _count_processes(os.getuid())
    return {
        "cell_seconds": limits.cell_seconds,
        "call_seconds": limits.call_seconds,
        "output_chars": limits.output_bytes,
        "rlimits": {
            "AS": limits.memory_bytes + inherited_bytes if limits.limit_address_space else None,
            "CPU": limits.cpu_seconds,
            "NPROC": nproc,
            "FSIZE": limits.file_size_bytes,
            "NOFILE": limits.open_files,
            "CORE": 0,
        },
    }


def _environment(home: str, tmp: str, path: str) -> dict[str, str]:
    threads = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    return {
        "HOME": home,
        "USER": "student",
        "LOGNAME": "student",
        "PATH": path,
        "LANG": "C.UTF-8",
        "TMPDIR": tmp,
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{tmp}/.matplotlib",
        "IPYTHONDIR": f"{tmp}/.ipython",
        "XDG_CACHE_HOME": f"{tmp}/.cache",
        "XDG_CONFIG_HOME": f"{tmp}/.config",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "GLIBC_TUNABLES": TUNABLES,
        # TensorFlow writes start-up notices (oneDNN, CPU features) to stderr, which would fill
        # the job's log tail: keep (mostly) its warnings and errors.
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **threads,
    }


def _etc_files(root: Path, uid: int) -> list[str]:
    """Minimal /etc: who the job's uid is (getpass, ~), localhost, the linker and font caches."""
    etc = root / "etc"
    etc.mkdir(mode=0o755)
    (etc / "passwd").write_text(
        "root:x:0:0:root:/root:/usr/sbin/nologin\n"
        f"student:x:{uid}:{uid}:student:{_HOME}:/bin/sh\n"
        + ("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" if uid != 65534 else "")
    )
    (etc / "group").write_text(
        f"root:x:0:\nstudent:x:{uid}:\n" + ("nogroup:x:65534:\n" if uid != 65534 else "")
    )
    (etc / "hosts").write_text("127.0.0.1 localhost\n::1 localhost\n")
    args: list[str] = []
    for name in ("passwd", "group", "hosts"):
        (etc / name).chmod(0o644)
        args += ["--ro-bind", str(etc / name), f"/etc/{name}"]
    for name in ("ld.so.cache", "fonts"):
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def slot_uid(slot: int) -> int:
    """The uid a job of this slot runs as."""
    return SLOT_UID_BASE + slot if is_root() else 65534


def _base_command(root: Path, uid: int) -> list[str]:
    """What every sandbox has: the read-only system and Python, /etc, the runner, no network,
    its own pid, IPC and UTS namespaces, and the job's environment."""
    python = _python_layout()
    bwrap = shutil.which("bwrap") or "bwrap"
    args = [bwrap, *_system_mounts(), "--proc", "/proc", "--dev", "/dev"]
    made = {"/usr", "/proc", "/dev"}
    # bwrap creates missing mount points as 0700 root dirs; the job's uid must traverse them.
    for _, inside in python.binds:
        for parent in _parents(inside):
            if parent not in made:
                args += ["--perms", "0755", "--dir", parent]
                made.add(parent)
    for host, inside in python.binds:
        args += ["--ro-bind", host, inside]
    for masked in python.masks:
        args += ["--tmpfs", masked]
    for emptied in python.emptied:
        args += ["--ro-bind", "/dev/null", emptied]
    args += ["--perms", "0755", "--dir", "/etc", *_etc_files(root, uid)]
    args += ["--perms", "0755", "--dir", _RUNNER_DIR]
    for name in _RUNNER_FILES:
        args += ["--ro-bind", str(_PACKAGE_DIR / name), f"{_RUNNER_DIR}/{name}"]
    args += [
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--hostname",
        "sandbox",
        "--unshare-cgroup-try",
        "--new-session",
        "--clearenv",
    ]
    path = f"{_VENV}/bin:/usr/local/bin:/usr/bin:/bin"
    for key, value in _environment(_HOME, "/tmp", path).items():
        args += ["--setenv", key, value]
    return args


def bwrap_command(root: Path, files: Mapping[str, Path], limits: SandboxLimits, slot: int) -> list[str]:
    """One job in a sandbox of its own: a fresh interpreter running the runner on root/job."""
    uid = slot_uid(slot)
    args = _base_command(root, uid)
    args += ["--perms", "1777", "--size", str(tmp_bytes(limits)), "--tmpfs", "/tmp"]
    args += ["--perms", "0755", "--dir", "/home"]
    args += ["--perms", "0777", "--size", str(limits.disk_bytes), "--tmpfs", _HOME]
    created: set[str] = set()
    for name, source in sorted(files.items()):
        target = f"{_HOME}/{Path(name).as_posix()}"
        for parent in _parents(target, stop=_HOME):
            if parent not in created:
                args += ["--perms", "0777", "--dir", parent]
                created.add(parent)
        args += ["--ro-bind", str(Path(source).resolve()), target]
    args += ["--ro-bind", str(root / "job"), "/job", "--bind", str(root / "out"), "/out"]
    args += ["--chdir", _HOME, "--die-with-parent"]
    if is_root():
        setpriv = shutil.which("setpriv") or "setpriv"
        args += [
            setpriv,
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
        ]
    else:
        args[1:1] = ["--unshare-user", "--uid", str(uid), "--gid", str(uid), "--disable-userns"]
    return [*args, _python_layout().executable, "-B", f"{_RUNNER_DIR}/sandbox_runner.py", "/job", "/out"]


# What the zygote of warm jobs keeps to build each job's view and drop to the slot's uid.
ZYGOTE_CAPABILITIES = ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_KILL")


def zygote_command(
    root: Path, files: Mapping[str, Path], slot: int, control_fd: int, preload: tuple[str, ...]
) -> list[str]:
    """The sandbox of a slot's zygote (grader/sandbox_zygote.py), as root with a few capabilities.

    Job directories appear under /spool (root/spool) and the job's files under /data; each job
    child mounts its own /tmp and home over the empty ones here and detaches both. Root only.
    """
    uid = slot_uid(slot)
    args = _base_command(root, uid)
    args += ["--perms", "1777", "--dir", "/tmp", "--perms", "0755", "--dir", "/home", "--dir", _HOME]
    args += ["--dir", "/job", "--dir", "/out", "--bind", str(root / "spool"), "/spool"]
    for name, source in sorted(files.items()):
        args += ["--ro-bind", str(Path(source).resolve()), f"/data/{Path(name).as_posix()}"]
    args += ["--chdir", "/", "--cap-drop", "ALL"]
    for capability in ZYGOTE_CAPABILITIES:
        args += ["--cap-add", capability]
    zygote = f"{_RUNNER_DIR}/sandbox_zygote.py"
    return [*args, _python_layout().executable, "-B", zygote, str(control_fd), str(uid), *preload]


def tmp_bytes(limits: SandboxLimits) -> int:
    """The size of a job's /tmp (its home directory gets limits.disk_bytes)."""
    return max(limits.disk_bytes // 4, 1024**2)


def unsafe_command(root: Path, files: Mapping[str, Path]) -> tuple[list[str], dict[str, str], Path]:
    home, tmp = root / "home", root / "tmp"
    home.mkdir(mode=0o700)
    tmp.mkdir(mode=0o700)
    for name, source in files.items():
        target = home / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path(source).is_dir():
            shutil.copytree(source, target, symlinks=False)
        else:
            shutil.copyfile(source, target)
    path = os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"])
    env = _environment(str(home), str(tmp), path)
    runner = str(_PACKAGE_DIR / "sandbox_runner.py")
    return [sys.executable, "-B", runner, str(root / "job"), str(root / "out")], env, home


def job_memory(uid: int) -> int:
    """Proportional set size, in bytes, of every process running as ``uid`` (a job's slot).

    RLIMIT_AS bounds each process, not the job: forked children would multiply it. PSS shares
    copy-on-write pages among the processes that map them, so forks of one interpreter are not
    counted many times over.
    """
    total = 0
    for pid in pids_of(uid):
        try:
            with Path(f"/proc/{pid}/smaps_rollup").open("rb") as rollup:
                for line in rollup:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError):
            continue
    return total


_MEMORY_CGROUPS = Path("/sys/fs/cgroup/memory")
_GROUP_PREFIX = "dlgrade-job-"


def memory_group(memory_bytes: int) -> Path | None:
    """A new cgroup (v1 memory controller) limited to ``memory_bytes``, or None where none can be made
    (not root, no such controller). The kernel then enforces the job's memory as a whole, however
    briefly it is exceeded, which polling the processes' memory cannot promise."""
    if os.geteuid() != 0 or not (_MEMORY_CGROUPS / "tasks").exists():
        return None
    _sweep_stale_groups()
    group = _MEMORY_CGROUPS / f"{_GROUP_PREFIX}{os.getpid()}-{next(_GROUP_COUNTER)}"
    try:
        group.mkdir()
        (group / "memory.limit_in_bytes").write_text(str(memory_bytes))
    except OSError:
        with contextlib.suppress(OSError):
            group.rmdir()
        return None
    return group


_GROUP_COUNTER = itertools.count()


def oom_killed(group: Path) -> bool:
    """Whether the kernel killed a process of the group for exceeding its memory limit."""
    try:
        for line in (group / "memory.oom_control").read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == "oom_kill":
                return int(value) > 0
    except (OSError, ValueError):
        pass
    return False


def remove_group(group: Path) -> None:
    """Kill what is left in the group and remove it (a group with processes cannot be removed)."""
    for _ in range(50):
        try:
            pids = [int(pid) for pid in (group / "tasks").read_text().split()]
        except (OSError, ValueError):
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        try:
            group.rmdir()
            return
        except OSError:
            time.sleep(0.02)


@functools.cache
def _sweep_stale_groups() -> None:
    """Remove the groups of grader processes that died without cleaning up (once per process)."""
    with contextlib.suppress(OSError):
        for entry in _MEMORY_CGROUPS.iterdir():
            if not entry.name.startswith(_GROUP_PREFIX):
                continue
            owner = entry.name[len(_GROUP_PREFIX) :].split("-", 1)[0]
            if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                remove_group(entry)


def _lock_dir() -> Path:
    """A directory of slot locks that only this user can write (created once)."""
    path = Path(job_parent()) / f"dlgrade-slots-{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise SandboxUnavailableError(f"{path} is not a private directory of this user")
    return path


def claim_slot(preferred: int) -> tuple[int, int]:
    """A slot no other job on this machine uses now, from preferred on, and its held lock.

    Slots map to uids; two jobs sharing one (two graders on one machine, or tests beside a
    grader) would share a process limit and kill each other's processes.
    """
    directory = _lock_dir()
    for step in range(MAX_SLOTS):
        slot = (preferred + step) % MAX_SLOTS
        fd = os.open(directory / f"{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return slot, fd
    raise DlgradeError(f"all {MAX_SLOTS} sandbox slots are in use")
