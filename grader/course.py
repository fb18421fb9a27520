"""The course directory: nbgrader's layout, its configuration, submissions, due dates and late penalties.

A course is an nbgrader course directory::

    nbgrader_config.py            course id, exchange root, database URL, due dates, late policy
    source/<assignment>/*.ipynb   the instructor's notebooks (solutions and hidden tests)
    release/<assignment>/         the student version
    submitted/<student>/<assignment>/*.ipynb + timestamp.txt
    autograded/  feedback/  gradebook.db

`nbgrader_config.py` is nbgrader's own file (``c.CourseDirectory.course_id``, ``c.Exchange.root``,
``c.CourseDirectory.db_url``). dlgrade reads two more settings from it, in a ``Dlgrade`` section that
nbgrader ignores::

    c.Dlgrade.duedates = {"deep_network": "2026-03-01 23:59:00 UTC"}  # when the gradebook has none
    c.Dlgrade.late_policy = "subtract per hour"   # or "none" / "zero"
    c.Dlgrade.late_points_per_hour = 1.0

Without ``c.Dlgrade.late_policy`` nbgrader's ``c.LateSubmissionPlugin.penalty_method`` ("none" or
"zero") applies. An assignment missing from ``c.Dlgrade.duedates`` takes its due date from nbgrader's
gradebook (``nbgrader db assignment add --duedate``); the file comes first because dlgrade copies its
dates into the gradebook, where an old copy must not hide a date changed since. Times are UTC.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import os
import re
import shutil
import stat
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from traitlets.config import Config
from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

from grader.errors import DlgradeError

if TYPE_CHECKING:
    from grader.metadata import AssignmentMeta
    from grader.records import SubmissionResult

CONFIG_FILE = "nbgrader_config.py"
TIMESTAMP_FILE = "timestamp.txt"
NBGRADER_DEFAULT_EXCHANGE = Path("/usr/local/share/nbgrader/exchange")
ASSIGNMENTS_DIR = Path(__file__).resolve().parents[1] / "assignments"
"""The assignments shipped in this repository: ``assignments/<name>/<name>.ipynb``."""

NAME = re.compile(r"[A-Za-z0-9_.-]+")
"""What a course id, an assignment name or a student id may contain (a safe path component)."""

LatePolicyName = Literal["none", "zero", "subtract per hour"]
LATE_POLICIES: tuple[LatePolicyName, ...] = ("none", "zero", "subtract per hour")

# nbgrader logs through traitlets; its messages go to the results we return, not to the console.
NBGRADER_LOG = logging.getLogger("grader.course.nbgrader")
NBGRADER_LOG.addHandler(logging.NullHandler())
NBGRADER_LOG.propagate = False
NBGRADER_LOG.setLevel(logging.INFO)


class CourseError(DlgradeError):
    """A problem with the course directory or its configuration; names the directory or file."""


def is_safe_name(name: str) -> bool:
    """Whether ``name`` is usable as one path component: [A-Za-z0-9_.-], not hidden, not '.' or '..'."""
    return bool(NAME.fullmatch(name)) and not name.startswith(".") and len(name) <= 128


def ensure_alembic_on_path() -> None:
    """Put this interpreter's bin directory first on PATH: nbgrader's Gradebook runs ``alembic``."""
    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if not parts or parts[0] != bindir:
        os.environ["PATH"] = os.pathsep.join([bindir, *[p for p in parts if p != bindir]])


def nbgrader_failure(result: dict[str, Any]) -> str:
    """The reason an nbgrader API call failed: its last logged error, else its exception's message."""
    logged = [
        line.strip().split("] ", 1)[1]
        for line in str(result.get("log") or "").splitlines()
        if line.strip().startswith(("[ERROR]", "[CRITICAL]")) and "] " in line
    ]
    if logged:
        return logged[-1]
    lines = [line.strip() for line in str(result.get("error") or "").splitlines() if line.strip()]
    if lines:
        # "nbgrader.exchange.abc.exchange.ExchangeError: Course not found: ..." -> the message
        head, sep, tail = lines[-1].partition(": ")
        return tail if sep and "Error" in head and " " not in head else lines[-1]
    return "nbgrader reported a failure without a message"


# ---------------------------------------------------------------------------------------------
# Late submissions


@dataclass(frozen=True)
class LatePolicy:
    """How late work is penalised, as nbgrader's LateSubmissionPlugin policies.

    none: no penalty; zero: the whole score; subtract per hour: ``points_per_hour`` for each started
    hour after the due date, never more than the score.
    """

    method: LatePolicyName = "none"
    points_per_hour: float = 0.0


def to_utc(moment: datetime) -> datetime:
    """``moment`` as a naive UTC datetime, as nbgrader stores times (naive values are taken as UTC)."""
    offset = moment.utcoffset()
    return moment if offset is None else (moment - offset).replace(tzinfo=None)


def parse_timestamp(text: str) -> datetime:
    """Parse a time as nbgrader writes it (``2026-03-01 23:59:00.000000 UTC``) to naive UTC.

    Raises ValueError when it is not a time.
    """
    parts = text.split()
    if len(parts) == 3 and parts[2] == "UTC":  # what nbgrader writes, without loading nbgrader
        for layout in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
            try:
                return datetime.strptime(f"{parts[0]} {parts[1]}", layout)
            except ValueError:
                continue
    if len(parts) == 3 and re.fullmatch(r"[+-]\d\d:?\d\d", parts[2]):
        # nbgrader's parse_utc reads "+0100" as 100 seconds; read numeric offsets as ISO 8601 does.
        stamp = f"{parts[0]} {parts[1]} {parts[2].replace(':', '')}"
        for layout in ("%Y-%m-%d %H:%M:%S.%f %z", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z"):
            try:
                return to_utc(datetime.strptime(stamp, layout))
            except ValueError:
                continue
    from nbgrader.utils import parse_utc

    try:
        parsed = parse_utc(text.strip())
    except (ValueError, OverflowError, TypeError) as exc:
        raise ValueError(f"not a time: {text.strip()[:60]!r}") from exc
    if not isinstance(parsed, datetime):
        raise ValueError(f"not a time: {text.strip()[:60]!r}")
    return to_utc(parsed)


def seconds_late(timestamp: datetime | None, duedate: datetime | None) -> float:
    """How many seconds after ``duedate`` the work was submitted (0 when on time or either is unknown)."""
    if timestamp is None or duedate is None:
        return 0.0
    return max(0.0, (to_utc(timestamp) - to_utc(duedate)).total_seconds())


def compute_late_penalty(
    timestamp: datetime | None, duedate: datetime | None, policy: LatePolicy, score: float
) -> float:
    """The points to subtract from ``score`` for work submitted at ``timestamp`` against ``duedate``.

    Between 0 and ``max(score, 0)``; 0 when the work is on time, or the time or due date is unknown.
    """
    late = seconds_late(timestamp, duedate)
    score = max(0.0, score)
    if late <= 0 or policy.method == "none":
        return 0.0
    if policy.method == "zero":
        return score
    # Each started hour counts, so one second late costs one hour's points.
    return min(score, math.ceil(late / 3600.0) * max(0.0, policy.points_per_hour))


def late_penalty(
    course: Course,
    assignment: str,
    result: SubmissionResult,
    duedate: datetime | Literal["read"] | None = "read",
    policy: LatePolicy | None = None,
) -> float:
    """The late penalty of ``result`` under the course's due date for ``assignment`` and its policy
    (``duedate`` and ``policy`` as already read from the course, else read now).

    A submission whose time is unknown (timestamp.txt missing or not a time) is taken as submitted
    when its folder was last written: an unreadable claim must not count as on time.
    """
    submitted_at = result.submitted_at
    if submitted_at is None:
        folder = course.root / "submitted" / result.student / assignment
        with contextlib.suppress(OSError):
            submitted_at = datetime.fromtimestamp(folder.stat().st_mtime, UTC)
    due = course.duedate(assignment) if duedate == "read" else duedate
    return compute_late_penalty(submitted_at, due, policy or course.late_policy(), result.raw_score)


# ---------------------------------------------------------------------------------------------
# The course


@dataclass(frozen=True)
class Submission:
    """One student's submitted files of one assignment, as found under submitted/.

    ``notebooks`` maps a notebook's name (file stem) to its path; ``timestamp`` is nbgrader's
    ``timestamp.txt`` in UTC (None when missing or unreadable, said in ``problems``).
    """

    student: str
    assignment: str
    directory: Path
    notebooks: dict[str, Path]
    timestamp: datetime | None
    problems: tuple[str, ...] = ()


def _config_value(config: Config, section: str, key: str) -> object | None:
    if section not in config:
        return None
    part = config[section]
    if not isinstance(part, Config) or key not in part:
        return None
    value: object = part[key]
    return value


class Course:
    """An nbgrader course directory (see the module docstring)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise CourseError(f"{self.root}: no such course directory")
        self.config_file = self.root / CONFIG_FILE
        if not self.config_file.is_file() and not (self.root / "source").is_dir():
            raise CourseError(
                f"{self.root} is not a course directory (no {CONFIG_FILE} and no source/); "
                "create one with `dlgrade init DIR`"
            )
        self.config = self._load_config()
        course_id = _config_value(self.config, "CourseDirectory", "course_id")
        self.course_id = str(course_id) if course_id else ""
        exchange = _config_value(self.config, "Exchange", "root")
        self.exchange_root = Path(str(exchange)) if exchange else NBGRADER_DEFAULT_EXCHANGE
        db_url = _config_value(self.config, "CourseDirectory", "db_url")
        self.db_url = str(db_url) if db_url else f"sqlite:///{self.root / 'gradebook.db'}"
        self.source_dir = self._step_dir("source")
        self.release_dir = self._step_dir("release")
        self.submitted_dir = self._step_dir("submitted")
        self.autograded_dir = self._step_dir("autograded")
        self.feedback_dir = self._step_dir("feedback")
        self.cache_dir = self.root / ".dlgrade" / "sources"
        """Where dlgrade keeps its analysis of the source notebooks (grader/source_cache.py)."""

    def __repr__(self) -> str:
        return f"Course({str(self.root)!r}, course_id={self.course_id!r})"

    def _load_config(self) -> Config:
        if not self.config_file.is_file():
            return Config()
        try:
            loaded: Config = PyFileConfigLoader(CONFIG_FILE, path=str(self.root)).load_config()
        except ConfigFileNotFound:
            return Config()
        except Exception as exc:  # the config is Python: any error it raises is a config error
            raise CourseError(f"{self.config_file}: cannot be loaded: {type(exc).__name__}: {exc}") from None
        return loaded

    def _step_dir(self, step: str) -> Path:
        name = _config_value(self.config, "CourseDirectory", f"{step}_directory")
        return self.root / (str(name) if name else step)

    # -- nbgrader ------------------------------------------------------------------------------

    def nbgrader_config(self) -> Config:
        """A fresh traitlets Config for nbgrader's apps: the course's file plus its root and URLs."""
        config = copy.deepcopy(self.config)  # Config.merge shares sections: never hand out ours
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.course_id = self.course_id
        config.CourseDirectory.db_url = self.db_url
        config.Exchange.root = str(self.exchange_root)
        return config

    def nbgrader_api(self, config: Config | None = None) -> Any:
        """nbgrader's NbGraderAPI for this course (``config`` merged over `nbgrader_config`), logging
        into its results only."""
        from nbgrader.apps import NbGraderAPI

        ensure_alembic_on_path()
        merged = self.nbgrader_config()
        if config is not None:
            merged.merge(config)
        return NbGraderAPI(config=merged, log=NBGRADER_LOG)

    # -- assignments ---------------------------------------------------------------------------

    def assignments(self) -> list[str]:
        """Names of the assignments in source/ (folders holding at least one notebook), sorted."""
        if not self.source_dir.is_dir():
            return []
        return sorted(
            p.name
            for p in self.source_dir.iterdir()
            if p.is_dir() and not p.is_symlink() and is_safe_name(p.name) and any(p.glob("*.ipynb"))
        )

    def check_assignment(self, assignment: str) -> None:
        """Raise CourseError unless ``assignment`` is a safe name with notebooks in source/."""
        if not is_safe_name(assignment):
            raise CourseError(f"{assignment!r} is not a valid assignment name")
        if not any((self.source_dir / assignment).glob("*.ipynb")):
            known = ", ".join(self.assignments()) or "none"
            raise CourseError(
                f"{self.source_dir / assignment}: no such assignment (assignments of this course: {known})"
            )

    def source_notebooks(self, assignment: str) -> list[Path]:
        """The source notebooks of ``assignment``, sorted; raises CourseError if it has none."""
        self.check_assignment(assignment)
        return sorted(p for p in (self.source_dir / assignment).glob("*.ipynb") if p.is_file())

    def notebook_names(self, assignment: str) -> list[str]:
        """The names (file stems) of the notebooks of ``assignment``."""
        return [p.stem for p in self.source_notebooks(assignment)]

    # -- submissions ---------------------------------------------------------------------------

    def students(self, assignment: str) -> list[str]:
        """Students with a folder submitted/<student>/<assignment>/, sorted."""
        if not is_safe_name(assignment):
            raise CourseError(f"{assignment!r} is not a valid assignment name")
        if not self.submitted_dir.is_dir():
            return []
        return sorted(
            p.name
            for p in self.submitted_dir.iterdir()
            if is_safe_name(p.name) and _real_dir(p) and _real_dir(p / assignment)
        )

    def submission_dir(self, student: str, assignment: str) -> Path:
        """submitted/<student>/<assignment>/ (both names checked to be safe path components)."""
        for name in (student, assignment):
            if not is_safe_name(name):
                raise CourseError(f"{name!r} is not a valid student id or assignment name")
        return self.submitted_dir / student / assignment

    def submission(self, assignment: str, student: str) -> Submission:
        """The files ``student`` submitted for ``assignment`` (symbolic links are left out)."""
        directory = self.submission_dir(student, assignment)
        problems: list[str] = []
        notebooks: dict[str, Path] = {}
        if _real_dir(directory):
            for path in sorted(directory.iterdir()):
                if path.suffix != ".ipynb" or path.name.startswith("."):
                    continue
                if path.is_symlink():
                    problems.append(f"{path.name} is a symbolic link and was ignored")
                elif path.is_file():
                    notebooks[path.stem] = path
        timestamp, problem = read_timestamp(directory)
        if problem:
            problems.append(problem)
        return Submission(student, assignment, directory, notebooks, timestamp, tuple(problems))

    def submissions(self, assignment: str, student: str | None = None) -> list[Submission]:
        """Every student's submission of ``assignment`` (or only ``student``'s), sorted by student."""
        students = self.students(assignment)
        if student is not None:
            students = [s for s in students if s == student]
        return [self.submission(assignment, s) for s in students]

    # -- due dates and late policy -------------------------------------------------------------

    def metadata_file(self, assignment: str) -> Path:
        """Where the assignment's metadata (grader.metadata) lives in this course."""
        return self.root / "metadata" / f"{assignment}.toml"

    def metadata(self, assignment: str) -> AssignmentMeta | None:
        """The assignment's metadata, or None when the course has none for it (default budgets)."""
        from grader.metadata import load_meta

        path = self.metadata_file(assignment)
        return load_meta(path, assignment) if path.is_file() else None

    def duedate(self, assignment: str) -> datetime | None:
        """The due date of ``assignment`` in UTC: ``c.Dlgrade.duedates``, else nbgrader's gradebook."""
        configured = self.configured_duedate(assignment)
        return configured if configured is not None else self._gradebook_duedate(assignment)

    def configured_duedate(self, assignment: str) -> datetime | None:
        """The due date of ``assignment`` in UTC set in ``c.Dlgrade.duedates``, if any."""
        dates = _config_value(self.config, "Dlgrade", "duedates")
        if dates is not None and not isinstance(dates, dict):
            raise CourseError(f"{self.config_file}: c.Dlgrade.duedates must be a dict of assignment: time")
        value = dates.get(assignment) if isinstance(dates, dict) else None
        if value is None:
            return None
        if isinstance(value, datetime):
            return to_utc(value)
        try:
            return parse_timestamp(str(value))
        except ValueError as exc:
            raise CourseError(f"{self.config_file}: due date of {assignment}: {exc}") from None

    def _gradebook_duedate(self, assignment: str) -> datetime | None:
        """Read nbgrader's ``assignment.duedate`` without creating or migrating the database."""
        from sqlalchemy import Column, DateTime, MetaData, String, Table, create_engine, inspect, select
        from sqlalchemy.exc import SQLAlchemyError

        if self.db_url.startswith("sqlite:///"):
            file = Path(self.db_url.removeprefix("sqlite:///"))
            if not file.is_file():
                return None
        table = Table("assignment", MetaData(), Column("name", String), Column("duedate", DateTime))
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as connection:
                if not inspect(connection).has_table("assignment"):
                    return None
                row = connection.execute(select(table.c.duedate).where(table.c.name == assignment)).first()
        except SQLAlchemyError as exc:
            raise CourseError(f"cannot read due dates from {engine.url!r}: {exc}") from None
        finally:
            engine.dispose()
        value = row[0] if row is not None else None
        return to_utc(value) if isinstance(value, datetime) else None

    def late_policy(self) -> LatePolicy:
        """The late policy from ``c.Dlgrade.late_policy`` or nbgrader's LateSubmissionPlugin setting."""
        method = _config_value(self.config, "Dlgrade", "late_policy")
        if method is None:
            method = _config_value(self.config, "LateSubmissionPlugin", "penalty_method") or "none"
        if method not in LATE_POLICIES:
            raise CourseError(
                f"{self.config_file}: unknown late policy {method!r} (known: {', '.join(LATE_POLICIES)})"
            )
        per_hour = _config_value(self.config, "Dlgrade", "late_points_per_hour") or 0.0
        if not isinstance(per_hour, int | float) or per_hour < 0:
            raise CourseError(f"{self.config_file}: c.Dlgrade.late_points_per_hour must be a number >= 0")
        if method == "subtract per hour" and per_hour == 0:
            raise CourseError(
                f"{self.config_file}: the 'subtract per hour' policy needs c.Dlgrade.late_points_per_hour"
            )
        name: LatePolicyName = (
            "none" if method == "none" else "zero" if method == "zero" else "subtract per hour"
        )
        return LatePolicy(name, float(per_hour))


def _real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False


def read_timestamp(directory: Path) -> tuple[datetime | None, str]:
    """nbgrader's timestamp.txt of a submission folder in UTC, or None and why it could not be used."""
    path = directory / TIMESTAMP_FILE
    try:
        info = path.lstat()
    except OSError:
        return None, ""
    if not stat.S_ISREG(info.st_mode):
        return None, f"{TIMESTAMP_FILE} is not a regular file"
    if info.st_size > 1024:
        return None, f"{TIMESTAMP_FILE} is too large to be a time"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{TIMESTAMP_FILE} cannot be read: {exc}"
    if not text.strip():
        return None, f"{TIMESTAMP_FILE} is empty"
    try:
        return parse_timestamp(text), ""
    except ValueError as exc:
        return None, f"{TIMESTAMP_FILE}: {exc}"


def format_timestamp(moment: datetime) -> str:
    """``moment`` as nbgrader writes timestamp.txt (UTC, microseconds)."""
    return to_utc(moment).strftime("%Y-%m-%d %H:%M:%S.%f") + " UTC"


# ---------------------------------------------------------------------------------------------
# Creating a course

_CONFIG_TEMPLATE = '''\
"""nbgrader configuration of the course {course_id!r}, written by `dlgrade init`."""

c = get_config()

c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}

# Due dates (UTC unless a zone is given); without one, nbgrader's gradebook is asked:
# c.Dlgrade.duedates = {{"deep_network": "2026-03-01 23:59:00 UTC"}}

# Late submissions: "none", "zero" (the whole score), or "subtract per hour" (each started hour):
# c.Dlgrade.late_policy = "subtract per hour"
# c.Dlgrade.late_points_per_hour = 1.0
'''


def init_course(
    root: Path | str,
    course_id: str,
    assignments_dir: Path = ASSIGNMENTS_DIR,
    exchange: Path | str | None = None,
) -> Course:
    """Create a course in ``root``: nbgrader_config.py and each ``assignments_dir/<name>/*.ipynb`` copied
    into source/<name>/. The exchange defaults to ``root/exchange`` and is created when missing.

    Raises CourseError when ``root`` is not empty (or already holds a course) or the course id is not
    a safe name.
    """
    root = Path(root).resolve()
    if not is_safe_name(course_id):
        raise CourseError(f"{course_id!r} is not a valid course id (letters, digits, '_', '.', '-')")
    if (root / CONFIG_FILE).exists():
        raise CourseError(f"{root} already holds a course ({CONFIG_FILE} exists)")
    if root.exists() and not root.is_dir():
        raise CourseError(f"{root} exists and is not a directory")
    if root.is_dir() and any(root.iterdir()):
        raise CourseError(f"{root} is not empty: choose a new or empty directory for the course")
    exchange_root = Path(exchange).resolve() if exchange is not None else root / "exchange"
    (root / "source").mkdir(parents=True, exist_ok=True)
    if not exchange_root.exists():
        exchange_root.mkdir(parents=True)
        # nbgrader's exchange is shared by every student account: world-writable, like /tmp.
        exchange_root.chmod(0o777)
    if assignments_dir.is_dir():
        for folder in sorted(assignments_dir.iterdir()):
            notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
            if not notebooks or not is_safe_name(folder.name):
                continue
            target = root / "source" / folder.name
            target.mkdir(exist_ok=True)
            for notebook in notebooks:
                shutil.copyfile(notebook, target / notebook.name)
            # Budgets and points stay outside source/: nbgrader releases whatever source/ holds.
            meta = folder / "assignment.toml"
            if meta.is_file():
                (root / "metadata").mkdir(exist_ok=True)
                shutil.copyfile(meta, root / "metadata" / f"{folder.name}.toml")
    text = _CONFIG_TEMPLATE.format(course_id=course_id, exchange=str(exchange_root))
    (root / CONFIG_FILE).write_text(text, encoding="utf-8")
    return Course(root)
