"""Importing submissions into submitted/ from an LMS download (a folder or a zip of notebooks).

`import_submissions` takes a folder or a zip of notebooks downloaded from an LMS. Each ``.ipynb`` entry
(path relative to the folder or zip) gives a student id and a notebook, by the first rule that applies:

==================================================  ===================  ==========================
entry                                               student id           notebook
==================================================  ===================  ==========================
``<Full Name>_<id>_assignsubmission_file_<f>``      Full Name (Moodle)   ``<f>``
``<name>[_LATE]_<id>_<id>_<f>`` (Canvas)            name (the first      ``<f>``
                                                    part, e.g. doejane)
``.../<Full Name>_<id>_assignsubmission_file_/<f>``  Full Name (Moodle)   ``<f>``
``<student>/<anything>/<f>``                        the first folder     ``<f>``
``<student>.ipynb``                                 the file name        the assignment's only one
==================================================  ===================  ==========================

The numeric LMS ids are not used as student ids, but two different ids giving the same name are
refused (use a pattern). A single folder wrapping everything (``hw3/alice.ipynb``, ``hw3/bob.ipynb``)
is ignored. ``pattern`` replaces these rules: a regular expression searched in the entry's path (with
``/`` separators) whose named group ``student`` gives the student id and optional group ``notebook``
the notebook, e.g. ``_(?P<student>\\d+)_assignsubmission`` to use Moodle's numeric ids.

A notebook name ``<f>`` must be one of the assignment's (a copy suffix such as `` (1)`` or ``-1`` is
dropped); any name is accepted when the assignment has one notebook, an exact name winning over others.
Student ids keep only ``[A-Za-z0-9_.-]`` (accents are dropped, other characters become ``_``).

Skipped, each with its reason: symbolic links, absolute paths, ``..`` in a path, encrypted or
non-regular entries, hidden and system files (``__MACOSX``, ``.ipynb_checkpoints``), non-notebooks,
files over the size limit, entries compressed suspiciously well; an archive with too many entries or
that would unpack to more than the total limit is refused whole. Files are never written outside
submitted/: each imported student's ``submitted/<student>/<assignment>/`` is replaced by the notebooks
and a ``timestamp.txt`` holding the latest file time of the student's entries (a zip entry's time, a
file's modification time, taken as UTC; now when unknown), or the ``timestamp`` given.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import unicodedata
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from grader.course import Course, CourseError, format_timestamp, to_utc
from grader.errors import FileError
from grader.notebook import MAX_NOTEBOOK_BYTES

MOODLE_FILE = re.compile(r"^(?P<student>.+?)_(?P<lms_id>\d+)_assignsubmission_file_(?P<file>.+)$")
MOODLE_DIR = re.compile(r"^(?P<student>.+?)_(?P<lms_id>\d+)_assignsubmission_(?:file|onlinetext)_?$")
CANVAS_FILE = re.compile(r"^(?P<student>[^_]+)(?:_LATE)?_(?P<lms_id>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
_COPY_SUFFIX = re.compile(r"(?:\s*\(\d+\)|-\d+|-checkpoint|\s+copy)$", re.IGNORECASE)
_JUNK = ("__MACOSX", ".ipynb_checkpoints", "__pycache__", "Thumbs.db", "desktop.ini")


class SubmissionImportError(FileError):
    """A folder or archive that cannot be imported at all (missing, not a zip, too large, bad pattern)."""


@dataclass(frozen=True)
class ImportLimits:
    """Bounds on what an import reads: entries, bytes per notebook and in all, compression ratio."""

    max_entries: int = 10_000
    max_notebook_bytes: int = MAX_NOTEBOOK_BYTES
    max_total_bytes: int = 1024**3
    max_ratio: float = 200.0
    """Above this uncompressed/compressed ratio an entry over 1 MiB is taken for a zip bomb."""


@dataclass(frozen=True)
class Skipped:
    """An entry that was not imported, and why."""

    entry: str
    reason: str

    def __str__(self) -> str:
        return f"{self.entry}: {self.reason}"


@dataclass(frozen=True)
class ImportedNotebook:
    """One notebook written to submitted/<student>/<assignment>/."""

    student: str
    notebook: str
    entry: str
    path: Path
    timestamp: datetime


@dataclass(frozen=True)
class ImportReport:
    """What `import_submissions` wrote and what it skipped."""

    assignment: str
    imported: tuple[ImportedNotebook, ...]
    skipped: tuple[Skipped, ...]

    @property
    def students(self) -> list[str]:
        """The students whose submission was imported, sorted."""
        return sorted({item.student for item in self.imported})


class _Skip(Exception):  # noqa: N818  (a control-flow signal, not an error)
    """An entry cannot be imported; the message says why."""


@dataclass
class _Candidate:
    """A notebook entry of the folder or archive, before it is read."""

    entry: str
    parts: tuple[str, ...]
    size: int
    mtime: datetime | None
    read: Callable[[], bytes]
    student: str = ""
    notebook: str = ""
    exact: bool = False
    lms_id: str | None = None


def sanitise_student_id(raw: str) -> str:
    """``raw`` as a student id: accents dropped, runs of other characters than [A-Za-z0-9_.-] made ``_``,
    no leading or trailing ``._-`` (so never hidden, '.' or '..'), at most 64 characters."""
    text = "".join(ch for ch in unicodedata.normalize("NFKD", raw) if not unicodedata.combining(ch))
    text = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._-")
    return text[:64].rstrip("._-")


def _entry_parts(name: str) -> tuple[str, ...]:
    """The components of an entry's path; raises _Skip for absolute paths and '..'."""
    unified = name.replace("\\", "/")
    if "\x00" in unified:
        raise _Skip("has a NUL character in its name")
    if unified.startswith("/") or re.match(r"^[A-Za-z]:", unified):
        raise _Skip("has an absolute path")
    parts = tuple(p for p in unified.split("/") if p not in ("", "."))
    if ".." in parts:
        raise _Skip("has '..' in its path (path traversal)")
    if not parts:
        raise _Skip("has an empty name")
    return parts


def _is_junk(part: str) -> bool:
    return part.startswith(".") or part in _JUNK


def _check_name(parts: tuple[str, ...], size: int, limits: ImportLimits) -> None:
    if not parts[-1].lower().endswith(".ipynb"):
        raise _Skip("is not a notebook (.ipynb)")
    if size > limits.max_notebook_bytes:
        raise _Skip(f"is {size / 1024**2:.1f} MB, more than {limits.max_notebook_bytes / 1024**2:.0f} MB")


def _read_bounded(reader: Any, limit: int) -> bytes:
    data: bytes = reader.read(limit + 1)
    if len(data) > limit:
        raise _Skip(f"is larger than {limit / 1024**2:.0f} MB once unpacked")
    return data


def _read_zip_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    try:
        with archive.open(info) as reader:
            return _read_bounded(reader, limit)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _Skip(f"cannot be unpacked: {exc}") from None


def _zip_time(date_time: tuple[int, int, int, int, int, int]) -> datetime | None:
    try:
        moment = datetime(*date_time)
    except ValueError:
        return None
    return None if moment.year <= 1980 else moment


def _list_zip(
    archive: zipfile.ZipFile, path: Path, limits: ImportLimits, skipped: list[Skipped]
) -> list[_Candidate]:
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise SubmissionImportError(path, f"has {len(infos)} entries, more than {limits.max_entries}")
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_total_bytes:
        raise SubmissionImportError(
            path,
            f"would unpack to {declared / 1024**2:.0f} MB, more than the "
            f"{limits.max_total_bytes / 1024**2:.0f} MB limit (a zip bomb?)",
        )
    candidates: list[_Candidate] = []
    junk = 0
    for info in infos:
        if info.is_dir():
            continue
        mode = info.external_attr >> 16
        try:
            parts = _entry_parts(info.filename)
            if stat.S_ISLNK(mode):
                raise _Skip("is a symbolic link")
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                raise _Skip("is not a regular file")
            if info.flag_bits & 0x1:
                raise _Skip("is encrypted")
            if any(_is_junk(p) for p in parts):
                junk += 1
                continue
            _check_name(parts, info.file_size, limits)
            ratio = info.file_size / max(1, info.compress_size)
            if info.file_size > 1024**2 and ratio > limits.max_ratio:
                raise _Skip(f"compresses {ratio:.0f}:1, more than {limits.max_ratio:.0f}:1 (a zip bomb?)")
        except _Skip as why:
            skipped.append(Skipped(info.filename, str(why)))
            continue
        read = partial(_read_zip_entry, archive, info, limits.max_notebook_bytes)
        candidates.append(_Candidate(info.filename, parts, info.file_size, _zip_time(info.date_time), read))
    if junk:
        skipped.append(
            Skipped(f"{junk} hidden or system file(s)", "ignored (__MACOSX, .ipynb_checkpoints, ...)")
        )
    return candidates


def _read_file(path: Path, limit: int) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _Skip(f"cannot be read: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as reader:
        if not stat.S_ISREG(os.fstat(reader.fileno()).st_mode):
            raise _Skip("is not a regular file")
        return _read_bounded(reader, limit)


def _list_folder(root: Path, limits: ImportLimits, skipped: list[Skipped]) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    count = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        relative = here.relative_to(root)
        kept: list[str] = []
        for name in sorted(dirnames):
            if (here / name).is_symlink():
                skipped.append(Skipped((relative / name).as_posix() + "/", "is a symbolic link"))
            elif _is_junk(name):
                skipped.append(Skipped((relative / name).as_posix() + "/", "is a hidden or system folder"))
            else:
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            count += 1
            if count > limits.max_entries:
                raise SubmissionImportError(root, f"holds more than {limits.max_entries} files")
            entry = (relative / name).as_posix()
            info = (here / name).lstat()
            try:
                if stat.S_ISLNK(info.st_mode):
                    raise _Skip("is a symbolic link")
                if not stat.S_ISREG(info.st_mode):
                    raise _Skip("is not a regular file")
                if _is_junk(name):
                    raise _Skip("is a hidden or system file")
                parts = (*relative.parts, name)
                _check_name(parts, info.st_size, limits)
            except _Skip as why:
                skipped.append(Skipped(entry, str(why)))
                continue
            mtime = datetime.fromtimestamp(info.st_mtime, UTC).replace(tzinfo=None)
            read = partial(_read_file, here / name, limits.max_notebook_bytes)
            candidates.append(_Candidate(entry, parts, info.st_size, mtime, read))
    total = sum(c.size for c in candidates)
    if total > limits.max_total_bytes:
        raise SubmissionImportError(
            root,
            f"holds {total / 1024**2:.0f} MB of notebooks, "
            f"more than {limits.max_total_bytes / 1024**2:.0f} MB",
        )
    return candidates


@contextmanager
def _candidates(path: Path, limits: ImportLimits, skipped: list[Skipped]) -> Iterator[list[_Candidate]]:
    """The notebook entries of a folder or a zip archive."""
    if path.is_symlink():
        raise SubmissionImportError(path, "is a symbolic link; give the folder or archive itself")
    if path.is_dir():
        yield _list_folder(path, limits, skipped)
    elif path.is_file() and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                yield _list_zip(archive, path, limits, skipped)
        except zipfile.BadZipFile as exc:
            raise SubmissionImportError(path, f"is a damaged zip archive: {exc}") from None
    elif path.exists():
        raise SubmissionImportError(path, "is neither a folder nor a zip archive")
    else:
        raise SubmissionImportError(path, "does not exist")


def _stem(name: str) -> str:
    return name[: -len(".ipynb")] if name.lower().endswith(".ipynb") else name


def _strip_wrapper(candidates: list[_Candidate], notebooks: Sequence[str]) -> None:
    """Drop one folder that wraps every entry (``hw3/alice.ipynb``), unless it is a student's folder."""
    if len(candidates) < 2 or any(len(c.parts) < 2 for c in candidates):
        return
    if len({c.parts[0] for c in candidates}) != 1 or MOODLE_DIR.match(candidates[0].parts[0]):
        return
    # A student's folder holds notebooks named like the assignment's; a wrapper holds students' files.
    if any(len(c.parts) == 2 and _stem(c.parts[1]) in notebooks for c in candidates):
        return
    for c in candidates:
        c.parts = c.parts[1:]


def _identify(c: _Candidate, notebooks: Sequence[str], pattern: re.Pattern[str] | None) -> None:
    """Set the candidate's student, notebook and LMS id, or raise _Skip."""
    file: str | None
    if pattern is not None:
        found = pattern.search("/".join(c.parts))
        if found is None or not found.group("student"):
            raise _Skip("does not match the pattern")
        raw, file, c.lms_id = found.group("student"), found.groupdict().get("notebook"), None
        file = file or _stem(c.parts[-1])
    else:
        raw, file = _default_identity(c)
    student = sanitise_student_id(raw)
    if not student:
        raise _Skip(f"gives no usable student id (from {raw[:40]!r})")
    c.student = student
    c.notebook, c.exact = _notebook_for(file, notebooks)


def _default_identity(c: _Candidate) -> tuple[str, str | None]:
    # The LMS names folders; the name of a file inside one is whatever the student uploaded, so it
    # must never decide whose submission it is (a file named "<Victim>_<id>_assignsubmission_file_x"
    # would otherwise replace the victim's work). File-name rules apply to top-level files only.
    base = c.parts[-1]
    folders = c.parts[:-1]
    for folder in reversed(folders):
        found = MOODLE_DIR.match(folder)
        if found:
            c.lms_id = found.group("lms_id")
            return found.group("student"), _stem(base)
    if folders:
        return folders[0], _stem(base)
    for rule in (MOODLE_FILE, CANVAS_FILE):
        found = rule.match(base)
        if found:
            c.lms_id = found.group("lms_id")
            return found.group("student"), _stem(found.group("file"))
    return _stem(base), None


def _notebook_for(file: str | None, notebooks: Sequence[str]) -> tuple[str, bool]:
    """The assignment's notebook a file name stands for, and whether the name matched exactly."""
    if file is not None:
        if file in notebooks:
            return file, True
        cleaned = re.sub(r"^copy of\s+", "", _COPY_SUFFIX.sub("", file), flags=re.IGNORECASE).strip()
        if cleaned in notebooks:
            return cleaned, True
    if len(notebooks) == 1:
        return notebooks[0], False
    if file is None:
        raise _Skip(
            f"cannot tell which notebook it is: name it <student>/<notebook>.ipynb ({', '.join(notebooks)})"
        )
    raise _Skip(f"is not a notebook of the assignment ({', '.join(notebooks)})")


def _choose(candidates: list[_Candidate], skipped: list[Skipped]) -> dict[str, list[_Candidate]]:
    """One candidate per (student, notebook); refuse students that several LMS users map to."""
    lms_ids: defaultdict[str, set[str]] = defaultdict(set)
    for c in candidates:
        if c.lms_id is not None:
            lms_ids[c.student].add(c.lms_id)
    best: dict[tuple[str, str], _Candidate] = {}
    for c in candidates:
        if len(lms_ids[c.student]) > 1:
            ids = ", ".join(sorted(lms_ids[c.student]))
            skipped.append(
                Skipped(
                    c.entry, f"several LMS users (ids {ids}) give the student id {c.student}; use a pattern"
                )
            )
            continue
        key = (c.student, c.notebook)
        rank = (c.exact, c.mtime or datetime.min)
        other = best.get(key)
        if other is None or rank >= (other.exact, other.mtime or datetime.min):
            if other is not None:
                skipped.append(
                    Skipped(other.entry, f"{c.entry} is also {c.student}/{c.notebook}.ipynb and was kept")
                )
            best[key] = c
        else:
            skipped.append(
                Skipped(c.entry, f"{other.entry} is also {c.student}/{c.notebook}.ipynb and was kept")
            )
    chosen: dict[str, list[_Candidate]] = defaultdict(list)
    for (student, _), c in sorted(best.items()):
        chosen[student].append(c)
    return chosen


def _fresh_submission_dir(course: Course, student: str, assignment: str) -> Path:
    """Empty submitted/<student>/<assignment>/ (created, or emptied), refusing symbolic links on the way."""
    directory = course.submission_dir(student, assignment)
    for folder in (course.submitted_dir, directory.parent):
        if folder.is_symlink():
            raise CourseError(f"{folder} is a symbolic link; refusing to write through it")
        folder.mkdir(exist_ok=True)
    if directory.is_symlink():
        raise CourseError(f"{directory} is a symbolic link; refusing to write through it")
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir()
    if not directory.resolve().is_relative_to(course.submitted_dir.resolve()):
        raise CourseError(f"{directory} is outside {course.submitted_dir}")
    return directory


def _write_new(path: Path, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC
    with os.fdopen(os.open(path, flags, 0o644), "wb") as writer:
        writer.write(data)


def import_submissions(
    course: Course,
    name: str,
    path: Path | str,
    pattern: str | None = None,
    *,
    timestamp: datetime | None = None,
    limits: ImportLimits | None = None,
) -> ImportReport:
    """Import the notebooks of the folder or zip archive at ``path`` as submissions of
    ``name`` (naming rules, limits and what is skipped: see the module docstring).

    Raises CourseError for an unknown assignment and SubmissionImportError when
    ``path`` cannot be imported at all or ``pattern`` is not a usable regular expression.
    """
    path = Path(path)
    limits = limits or ImportLimits()
    notebooks = course.notebook_names(name)
    regex: re.Pattern[str] | None = None
    if pattern is not None:
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise SubmissionImportError(
                path, f"the pattern {pattern!r} is not a regular expression: {exc}"
            ) from None
        if "student" not in regex.groupindex:
            raise SubmissionImportError(path, f"the pattern {pattern!r} has no (?P<student>...) group")
    if path.resolve().is_relative_to(course.submitted_dir.resolve()):
        raise SubmissionImportError(path, f"is inside {course.submitted_dir}; import from elsewhere")
    skipped: list[Skipped] = []
    imported: list[ImportedNotebook] = []
    with _candidates(path, limits, skipped) as found:
        if regex is None:
            _strip_wrapper(found, notebooks)
        identified: list[_Candidate] = []
        for c in found:
            try:
                _identify(c, notebooks, regex)
            except _Skip as why:
                skipped.append(Skipped(c.entry, str(why)))
                continue
            identified.append(c)
        for student, picks in _choose(identified, skipped).items():
            contents: list[tuple[_Candidate, bytes]] = []
            for c in picks:
                try:
                    contents.append((c, c.read()))
                except _Skip as why:
                    skipped.append(Skipped(c.entry, str(why)))
            if not contents:
                continue
            # Read everything first: a broken entry must not erase the student's earlier submission.
            directory = _fresh_submission_dir(course, student, name)
            times = [c.mtime for c, _ in contents if c.mtime is not None]
            moment = (
                to_utc(timestamp)
                if timestamp
                else max(times)
                if times
                else datetime.now(UTC).replace(tzinfo=None)
            )
            for c, data in contents:
                target = directory / f"{c.notebook}.ipynb"
                _write_new(target, data)
                imported.append(ImportedNotebook(student, c.notebook, c.entry, target, moment))
            _write_new(directory / "timestamp.txt", format_timestamp(moment).encode())
    return ImportReport(name, tuple(imported), tuple(skipped))
