"""Collecting submissions into submitted/: from nbgrader's exchange, or from an LMS download.

`collect_assignment` runs nbgrader's collect with `SafeExchangeCollect`, which differs from nbgrader's
own in what a hostile entry of the world-writable exchange could do: entries whose student id is not a
safe name (``..``, hidden names) or whose time cannot be read are ignored instead of aborting the whole
collection, symbolic links are never followed or copied, and an oversized submission is skipped alone.

Importing an LMS download instead is grader/lms_import.py.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import ignore_patterns
from traitlets.config import Config

from grader.course import Course, CourseError, format_timestamp, is_safe_name, nbgrader_failure, to_utc
from grader.errors import DlgradeError


class CollectError(DlgradeError):
    """Collecting or importing submissions of an assignment failed as a whole."""

    def __init__(self, assignment: str, message: str) -> None:
        self.assignment = assignment
        super().__init__(f"collect {assignment}: {message}")


# ---------------------------------------------------------------------------------------------
# From nbgrader's exchange


def _copy_file(src: Path, dest: Path) -> None:
    """Copy one regular file without following a symbolic link at either end."""
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(src, os.O_RDONLY | nofollow | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{src} is not a regular file")
        out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | nofollow | os.O_CLOEXEC, 0o644)
        with os.fdopen(fd, "rb", closefd=False) as reader, os.fdopen(out, "wb") as writer:
            shutil.copyfileobj(reader, writer)
    finally:
        os.close(fd)


def copy_tree(
    src: Path, dest: Path, ignore: Callable[[str, list[str]], list[str]] | None, max_bytes: int
) -> list[str]:
    """Copy the regular files and folders under ``src`` to ``dest``, never following a symbolic link.

    Returns what was left out and why. Raises OSError when the files would exceed ``max_bytes``.
    """
    left_out: list[str] = []
    total = 0
    dest.mkdir(parents=True, exist_ok=True)
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        here = Path(dirpath)
        target = dest / here.relative_to(src)
        ignored = set(ignore(dirpath, [*dirnames, *filenames])) if ignore else set()
        kept: list[str] = []
        for name in sorted(dirnames):
            if name in ignored:
                continue
            if (here / name).is_symlink():
                left_out.append(f"{here / name}: symbolic link")
                continue
            (target / name).mkdir()
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            if name in ignored:
                continue
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode):
                kind = "symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
                left_out.append(f"{path}: {kind}")
                continue
            total += info.st_size
            if total > max_bytes:
                raise OSError(f"{src} holds more than {max_bytes} bytes")
            _copy_file(path, target / name)
    return left_out


class SafeExchangeCollect(ExchangeCollect):  # type: ignore[misc]  # nbgrader is untyped
    """nbgrader's ExchangeCollect, hardened against hostile entries in the exchange's inbound folder."""

    src_records: list[dict[str, Any]]

    def _path_to_record(self, path: str) -> dict[str, Any]:
        try:
            record: dict[str, Any] = super()._path_to_record(path)
        except Exception as exc:  # nbgrader fails the whole collection on one unreadable name
            self.log.warning("Ignoring %s: %s", path, exc)
            return {"username": "", "filename": Path(path).name, "timestamp": datetime.min}
        if not is_safe_name(str(record["username"])):
            self.log.warning("Ignoring %s: %r is not a valid student id", path, record["username"])
            record["username"] = ""
        return record

    def init_src(self) -> None:
        super().init_src()
        self.src_records = [r for r in self.src_records if r["username"]]

    def do_copy(self, src: str, dest: str, log: Any = None) -> None:
        source = Path(src)
        try:
            mode = source.lstat().st_mode
        except OSError:
            mode = 0
        if not stat.S_ISDIR(mode):
            self.log.warning("Ignoring %s: not a folder", src)
            return
        ignore = ignore_patterns(
            exclude=self.coursedir.ignore,
            include=self.coursedir.include,
            max_file_size=self.coursedir.max_file_size,
            log=self.log,
        )
        try:
            left_out = copy_tree(source, Path(dest), ignore, 1000 * int(self.coursedir.max_dir_size))
        except OSError as exc:
            shutil.rmtree(dest, ignore_errors=True)
            self.log.error("Skipped %s: %s", src, exc)
            return
        for item in left_out:
            self.log.warning("Left out %s", item)
        # The folder name and timestamp.txt are the student's own words. The inbound folder's ctime
        # is set by the kernel when the student's submit wrote it and cannot be set back, so the
        # recorded time is the later of the two: backdating or garbling the claim gains nothing.
        claimed = self._path_to_record(src).get("timestamp")
        arrived = datetime.fromtimestamp(source.lstat().st_ctime, UTC).replace(tzinfo=None)
        moment = arrived
        if isinstance(claimed, datetime) and claimed != datetime.min:
            moment = max(to_utc(claimed), arrived)
        (Path(dest) / "timestamp.txt").write_text(format_timestamp(moment) + "\n")


def collect_assignment(course: Course, name: str, *, update: bool = True) -> list[str]:
    """Collect the latest submission of each student of ``name`` from the exchange into submitted/.

    With ``update``, a newer submission replaces a collected one. Returns the students whose
    submission was collected or replaced. Raises CollectError when nbgrader's collect fails.
    """
    course.check_assignment(name)
    if not course.course_id:
        raise CourseError(f"{course.config_file}: set c.CourseDirectory.course_id to use the exchange")
    if not course.exchange_root.is_dir():
        raise CourseError(
            f"the exchange {course.exchange_root} does not exist; set c.Exchange.root in {course.config_file}"
        )
    before = {s.student: s.timestamp for s in course.submissions(name)}
    config = Config()
    config.ExchangeFactory.collect = SafeExchangeCollect
    result = course.nbgrader_api(config).collect(name, update=update)
    if not result or not result.get("success"):
        raise CollectError(name, nbgrader_failure(result or {}))
    after = {s.student: s.timestamp for s in course.submissions(name)}
    return sorted(s for s, t in after.items() if s not in before or before[s] != t)
