"""The course's JupyterHub on one machine: its settings, the hub process, its students, and feedback
released through nbgrader's exchange.

A hub directory, written by `write_hub_config`, holds everything the hub needs::

    jupyterhub_config.py          a copy of deploy/jupyterhub_config.py (reads the settings below)
    dlgrade_hub.json              settings: ports, authenticator, exchange, courses and their people
    secrets/dlgrade-admin.token   the token of the ``dlgrade-admin`` service (mode 600)
    state/                        the hub's database, cookie secret and proxy pid (mode 700)
    student-config/               nbgrader and Jupyter settings every single-user server reads
    jupyterhub.log                the hub's log, when started by `start_hub`

Students and instructors are OS accounts (see deploy/jupyterhub_config.py for why); adding them
to a course is grader/hub_roster.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from grader.course import Course, CourseError, is_safe_name, nbgrader_failure
from grader.errors import DlgradeError

DEPLOY_DIR = Path(__file__).resolve().parents[1] / "deploy"
CONFIG_TEMPLATE = DEPLOY_DIR / "jupyterhub_config.py"
SETTINGS_FILE = "dlgrade_hub.json"
TOKEN_FILE = Path("secrets") / "dlgrade-admin.token"
LOG_FILE = "jupyterhub.log"
PROXY_VERSION = "5.3.0"
REPO_PROXY = Path(__file__).resolve().parents[1] / ".cache/node/node_modules/.bin/configurable-http-proxy"

Authenticator = Literal["pam", "dummy"]


class HubError(DlgradeError):
    """A problem with the hub directory, the hub process or its REST API; names which."""


# ---------------------------------------------------------------------------------------------
# Settings


@dataclass
class HubCourse:
    """One course on the hub: its directory, the OS account owning it and its people."""

    id: str
    root: str
    owner: str
    instructors: list[str]
    students: list[str] = field(default_factory=list)
    port: int = 9000
    """Where the course's formgrader service listens (127.0.0.1)."""


@dataclass
class QuizSettings:
    """The quiz page as a hub-managed service (``dlgrade quiz serve`` plus ``args``)."""

    port: int = 9100
    args: list[str] = field(default_factory=list)
    user: str | None = None
    cwd: str | None = None
    environment: dict[str, str] = field(default_factory=dict)


@dataclass
class HubSettings:
    """The contents of dlgrade_hub.json (deploy/jupyterhub_config.py documents their use)."""

    python: str
    exchange: str
    courses: list[HubCourse]
    ip: str = "127.0.0.1"
    port: int = 8000
    hub_port: int = 8081
    proxy_api_port: int = 8001
    proxy_command: str | None = None
    authenticator: Authenticator = "pam"
    dummy_password: str | None = None
    admin_users: list[str] = field(default_factory=list)
    quiz: QuizSettings | None = None
    idle_timeout_s: int = 3600
    default_url: str = "/tree"

    @property
    def url(self) -> str:
        """The hub's public URL."""
        return f"http://{self.ip}:{self.port}"

    def course(self, course_id: str) -> HubCourse:
        """The course ``course_id``; HubError when the hub has no such course."""
        for course in self.courses:
            if course.id == course_id:
                return course
        known = ", ".join(c.id for c in self.courses) or "none"
        raise HubError(f"the hub has no course {course_id!r} (courses: {known})")


def settings_path(hub_dir: Path) -> Path:
    """Where the settings of the hub in ``hub_dir`` live."""
    return Path(hub_dir) / SETTINGS_FILE


def load_settings(hub_dir: Path) -> HubSettings:
    """Read ``hub_dir``'s settings; HubError when it is not a hub directory or the file is malformed."""
    path = settings_path(hub_dir)
    if not path.is_file():
        raise HubError(
            f"{hub_dir} is not a hub directory (no {SETTINGS_FILE}); create it with `dlgrade hub config`"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        courses = [HubCourse(**course) for course in data.pop("courses")]
        quiz = data.pop("quiz", None)
        return HubSettings(courses=courses, quiz=QuizSettings(**quiz) if quiz else None, **data)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise HubError(f"{path}: not valid hub settings: {exc}") from None


def save_settings(hub_dir: Path, settings: HubSettings) -> Path:
    """Write ``settings`` to ``hub_dir`` atomically; returns the file."""
    path = settings_path(hub_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def find_proxy() -> str:
    """configurable-http-proxy: ``$DLGRADE_CHP``, the repository's npm install (`make node`), or PATH.

    HubError when none is found.
    """
    for candidate in (
        os.environ.get("DLGRADE_CHP"),
        str(REPO_PROXY),
        shutil.which("configurable-http-proxy"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(Path(candidate).resolve()) if candidate != str(REPO_PROXY) else candidate
    raise HubError(
        "configurable-http-proxy not found: run `make node` (npm install --prefix .cache/node "
        f"configurable-http-proxy@{PROXY_VERSION}) or set DLGRADE_CHP"
    )


_STUDENT_NBGRADER = '''\
"""nbgrader settings of every single-user server on this hub (written by `dlgrade hub config`)."""

c = get_config()
c.Exchange.root = {exchange!r}
# Several courses share the exchange: fetched work goes to <course>/<assignment>.
c.Exchange.path_includes_course = True
# Course membership is the hub group nbgrader-<course>.
c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
'''

# Students get the assignment list and validation, not the instructor's extensions.
_STUDENT_SERVER = {
    "ServerApp": {
        "jpserver_extensions": {
            "nbgrader.server_extensions.formgrader": False,
            "nbgrader.server_extensions.course_list": False,
        }
    }
}
_STUDENT_LAB = {
    "disabledExtensions": {
        "@jupyter/nbgrader:formgrader": True,
        "@jupyter/nbgrader:course-list": True,
        "@jupyter/nbgrader:create-assignment": True,
    }
}


def _write_student_config(hub_dir: Path, settings: HubSettings) -> None:
    folder = hub_dir / "student-config"
    (folder / "labconfig").mkdir(parents=True, exist_ok=True)
    text = _STUDENT_NBGRADER.format(exchange=settings.exchange)
    if len(settings.courses) == 1:
        text += f"c.CourseDirectory.course_id = {settings.courses[0].id!r}\n"
    (folder / "nbgrader_config.py").write_text(text, encoding="utf-8")
    (folder / "jupyter_server_config.json").write_text(
        json.dumps(_STUDENT_SERVER, indent=2), encoding="utf-8"
    )
    (folder / "labconfig" / "page_config.json").write_text(
        json.dumps(_STUDENT_LAB, indent=2), encoding="utf-8"
    )
    for path in (folder, folder / "labconfig"):
        path.chmod(0o755)


def quiz_settings(course: Course, owner: str, port: int, extra: list[str]) -> QuizSettings:
    """The quiz page of ``course``: attempts in its gradebook, run as its owner in its directory."""
    args = ["--ip", "127.0.0.1", "--port", str(port), "--course-id", course.course_id, "--db", course.db_url]
    args += ["--instructor-group", f"formgrade-{course.course_id}", *extra]
    return QuizSettings(port=port, args=args, user=owner, cwd=str(course.root))


def write_hub_config(
    hub_dir: Path,
    course: Course,
    *,
    owner: str,
    instructors: list[str] | None = None,
    ip: str = "127.0.0.1",
    port: int = 8000,
    authenticator: Authenticator = "pam",
    dummy_password: str | None = None,
    quiz_args: list[str] | None = None,
    quiz: bool = True,
    idle_timeout_s: int = 3600,
    proxy_command: str | None = None,
    python: str = sys.executable,
) -> HubSettings:
    """Write (or extend with ``course``) the hub directory ``hub_dir``; returns its settings.

    ``owner`` is the OS account the course's formgrader runs as; ``instructors`` (default: the owner)
    form the group ``formgrade-<course>``. The quiz page (one per hub) belongs to the first course:
    it runs as its owner and keeps attempts in its gradebook; ``quiz_args`` are added to
    ``dlgrade quiz serve``. ``port`` 0 picks free ports for the hub and every
    service (tests); otherwise the hub listens on ``ip:port`` and its services on their
    conventional local ports. A course already on the hub is replaced, keeping its students.
    """
    hub_dir = Path(hub_dir).resolve()
    if not course.course_id:
        raise CourseError(f"{course.config_file}: set c.CourseDirectory.course_id to run it on a hub")
    people = instructors or [owner]
    for name in [owner, *people]:
        if not is_safe_name(name):
            raise HubError(f"{name!r} is not a valid user name")
    if authenticator == "dummy" and not dummy_password:
        raise HubError("the dummy authenticator needs a password (tests only)")
    pick = port == 0
    if settings_path(hub_dir).is_file():
        settings = load_settings(hub_dir)
    else:
        settings = HubSettings(
            python=python,
            exchange=str(course.exchange_root),
            courses=[],
            ip=ip,
            port=free_port() if pick else port,
            hub_port=free_port() if pick else 8081,
            proxy_api_port=free_port() if pick else 8001,
            proxy_command=proxy_command,
            authenticator=authenticator,
            dummy_password=dummy_password,
            admin_users=[owner],
            idle_timeout_s=idle_timeout_s,
        )
        if quiz:
            settings.quiz = quiz_settings(course, owner, free_port() if pick else 9100, quiz_args or [])
    if Path(settings.exchange) != course.exchange_root:
        raise HubError(
            f"{course.config_file}: the course's exchange {course.exchange_root} "
            f"is not the hub's {settings.exchange}"
        )
    previous = next((c for c in settings.courses if c.id == course.course_id), None)
    ports = {c.port for c in settings.courses if c is not previous}
    course_port = free_port() if pick else max([8999, *ports]) + 1
    entry = HubCourse(
        id=course.course_id,
        root=str(course.root),
        owner=owner,
        instructors=sorted(set(people)),
        students=previous.students if previous else [],
        port=previous.port if previous and not pick else course_port,
    )
    settings.courses = [c for c in settings.courses if c is not previous] + [entry]
    if owner not in settings.admin_users:
        settings.admin_users.append(owner)

    hub_dir.mkdir(parents=True, exist_ok=True)
    hub_dir.chmod(0o755)  # single-user servers read student-config/
    for private in ("state", "secrets"):
        (hub_dir / private).mkdir(exist_ok=True)
        (hub_dir / private).chmod(0o700)
    token = hub_dir / TOKEN_FILE
    if not token.is_file():
        fd = os.open(token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    token.chmod(0o600)
    shutil.copyfile(CONFIG_TEMPLATE, hub_dir / "jupyterhub_config.py")
    save_settings(hub_dir, settings)
    _write_student_config(hub_dir, settings)
    return settings


# ---------------------------------------------------------------------------------------------
# The REST API


class HubAPI:
    """A client of the hub's REST API (``/hub/api``) with a token."""

    def __init__(self, url: str, token: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    @classmethod
    def for_hub(cls, hub_dir: Path) -> HubAPI:
        """The client of the hub in ``hub_dir``, with the ``dlgrade-admin`` service's token."""
        settings = load_settings(hub_dir)
        token = (Path(hub_dir) / TOKEN_FILE).read_text(encoding="utf-8").strip()
        return cls(settings.url, token)

    def request(self, method: str, path: str, body: object | None = None, ok: tuple[int, ...] = ()) -> Any:
        """Call ``/hub/api<path>``; the decoded JSON answer (None when empty).

        HubError on an unreachable hub or an error status not listed in ``ok``.
        """
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/hub/api{path}", data=data, method=method)
        req.add_header("Authorization", f"token {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as answer:
                payload = answer.read()
        except urllib.error.HTTPError as exc:
            if exc.code in ok:
                return None
            detail = exc.read().decode(errors="replace")[:300]
            raise HubError(f"{method} {path}: the hub answered {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise HubError(f"the hub at {self.url} is not reachable: {exc}") from None
        return json.loads(payload) if payload else None

    def ensure_users(self, names: list[str]) -> None:
        """Create the hub users ``names`` that do not exist yet."""
        existing = {u["name"] for u in self.request("GET", "/users") or []}
        missing = [n for n in names if n not in existing]
        if missing:
            self.request("POST", "/users", {"usernames": missing})

    def add_to_group(self, group: str, names: list[str]) -> None:
        """Add ``names`` to ``group``, creating the group when missing."""
        self.request("POST", f"/groups/{urllib.parse.quote(group)}", ok=(409,))
        self.request("POST", f"/groups/{urllib.parse.quote(group)}/users", {"users": names})

    def group_members(self, group: str) -> list[str]:
        """The users of ``group``."""
        members: list[str] = self.request("GET", f"/groups/{urllib.parse.quote(group)}")["users"]
        return sorted(members)

    def reachable(self) -> bool:
        """Whether the hub answers."""
        try:
            self.request("GET", "/")
        except HubError:
            return False
        return True


# ---------------------------------------------------------------------------------------------
# The hub process


class HubProcess:
    """A running JupyterHub started by `start_hub` (with its proxy and single-user servers)."""

    def __init__(self, process: subprocess.Popen[bytes], hub_dir: Path, settings: HubSettings) -> None:
        self.process = process
        self.hub_dir = hub_dir
        self.settings = settings
        self.log = hub_dir / LOG_FILE

    @property
    def url(self) -> str:
        """The hub's public URL."""
        return self.settings.url

    def log_tail(self, lines: int = 40) -> str:
        """The end of the hub's log, without the proxy's lines (it logs every request it fails)."""
        with contextlib.suppress(OSError):
            text = self.log.read_text(encoding="utf-8", errors="replace")
            kept = [line for line in text.splitlines() if _from_hub(line)]
            return "\n".join(kept[-lines:])
        return ""

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the hub answers through its proxy; HubError with the log's end otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HubError(f"the hub exited with status {self.process.returncode}:\n{self.log_tail()}")
            with (
                contextlib.suppress(OSError, ValueError),
                urllib.request.urlopen(f"{self.url}/hub/api", timeout=2) as answer,
            ):
                if answer.status == 200 and "version" in json.loads(answer.read()):
                    return
            time.sleep(0.2)
        raise HubError(f"the hub did not answer at {self.url} within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the hub, which stops its proxy, services and single-user servers.

        Whatever of those is still running when the hub has exited (or was killed after
        ``timeout``) is killed by process id, as is a proxy left behind by a hub that crashed.
        """
        children = _descendants(self.process.pid) if self.process.poll() is None else []
        proxy = _proxy_pid(self.hub_dir)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for pid, started in [*children, *([proxy] if proxy else [])]:
            if _start_time(pid) == started:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)


def _from_hub(line: str) -> bool:
    """Whether a log line is not the proxy's (its lines and its error objects' lines)."""
    return not (
        "[ConfigProxy]" in line
        or line.startswith(("    at ", "  errno", "  code", "  syscall", "  address", "  port", "}"))
    )


def _start_time(pid: int) -> int | None:
    """The start time of process ``pid`` (tells a process from a later one reusing its id)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
        return int(text.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _descendants(pid: int) -> list[tuple[int, int]]:
    """The processes below ``pid`` now, with their start times."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                text = Path(entry.path, "stat").read_text(encoding="utf-8", errors="replace")
                parents.setdefault(int(text.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found: list[tuple[int, int]] = []
    todo = list(parents.get(pid, []))
    while todo:
        child = todo.pop()
        started = _start_time(child)
        if started is not None:
            found.append((child, started))
        todo.extend(parents.get(child, []))
    return found


def _proxy_pid(hub_dir: Path) -> tuple[int, int] | None:
    """The hub's configurable-http-proxy from its pid file, when that process is still the proxy."""
    try:
        pid = int((hub_dir / "state" / "jupyterhub-proxy.pid").read_text(encoding="utf-8").strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    started = _start_time(pid)
    return (pid, started) if b"configurable-http-proxy" in command and started is not None else None


def interpreter_blocked(python: str) -> Path | None:
    """The first folder on the way to ``python`` (and its real file) that other accounts cannot
    enter, or None: the students' servers run this interpreter as their own users."""
    for target in (Path(python).absolute(), Path(python).resolve()):
        for folder in reversed(target.parents):
            with contextlib.suppress(OSError):
                if not folder.stat().st_mode & stat.S_IXOTH:
                    return folder
    return None


def start_hub(
    hub_dir: Path, *, proxy: str | None = None, timeout: float = 60.0, debug: bool = False
) -> HubProcess:
    """Start the hub of ``hub_dir`` with this interpreter and wait until it answers.

    The proxy is ``proxy``, the settings' ``proxy_command`` or `find_proxy`. Its log goes to
    ``hub_dir/jupyterhub.log``. HubError when it does not come up (with the log's end).
    """
    hub_dir = Path(hub_dir).resolve()
    settings = load_settings(hub_dir)
    chp = proxy or settings.proxy_command or find_proxy()
    blocked = interpreter_blocked(settings.python) if os.geteuid() == 0 else None
    if blocked is not None:
        raise HubError(
            f"{settings.python} is out of reach of the students' accounts ({blocked} is closed to others): "
            "install dlgrade where every account can run it (e.g. /opt/dlgrade) or open that folder "
            "(chmod o+x)"
        )
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(settings.python).parent), env.get("PATH", "/usr/bin:/bin")])
    env["DLGRADE_HUB_SETTINGS"] = str(settings_path(hub_dir))
    command = [
        settings.python,
        "-m",
        "jupyterhub",
        "-f",
        str(hub_dir / "jupyterhub_config.py"),
        f"--ConfigurableHTTPProxy.command={json.dumps([chp])}",
    ]
    if debug:
        command.append("--debug")
    log = hub_dir / LOG_FILE
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=hub_dir / "state",
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    hub = HubProcess(process, hub_dir, settings)
    try:
        hub.wait_ready(timeout)
    except BaseException:
        hub.stop()
        raise
    return hub


# ---------------------------------------------------------------------------------------------
# Feedback through the exchange


def release_feedback(course: Course, assignment: str) -> list[str]:
    """Publish dlgrade's feedback pages of ``assignment`` to the exchange for ``nbgrader fetch_feedback``.

    nbgrader releases ``feedback/<student>/<assignment>/<notebook>.html`` keyed on the submission's
    secret, so each student's ``feedback.html`` (written by ``dlgrade feedback``) is laid out once
    per notebook next to the submission's timestamp and secret. Submissions that did not come
    through the exchange (no ``submission_secret.txt``) are left out. Returns the students released.
    """
    course.check_assignment(assignment)
    if not course.course_id:
        raise CourseError(f"{course.config_file}: set c.CourseDirectory.course_id to use the exchange")
    released: list[str] = []
    for submission in course.submissions(assignment):
        folder = course.feedback_dir / submission.student / assignment
        page = folder / "feedback.html"
        secret = submission.directory / "submission_secret.txt"
        stamp = submission.directory / "timestamp.txt"
        if not page.is_file() or not secret.is_file() or not stamp.is_file():
            continue
        for notebook in course.notebook_names(assignment):
            target = folder / f"{notebook}.html"
            if target != page:
                shutil.copyfile(page, target)
        shutil.copyfile(secret, folder / "submission_secret.txt")
        shutil.copyfile(stamp, folder / "timestamp.txt")
        released.append(submission.student)
    if not released:
        raise HubError(
            f"no feedback of {assignment} to release: run `dlgrade feedback {assignment}` on submissions "
            "collected from the exchange"
        )
    for student in released:
        result = course.nbgrader_api().release_feedback(assignment, student_id=student)
        if not result or not result.get("success"):
            raise HubError(
                f"release of {assignment}'s feedback for {student}: {nbgrader_failure(result or {})}"
            )
    return released
