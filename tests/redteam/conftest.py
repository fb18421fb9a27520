"""One end-to-end grading run of every attack, shared by the red-team tests.

The ``redteam`` fixture builds a course in a temporary directory with the real CLI (``init``,
``release``), collects every submission the way an instructor would (an LMS folder, an LMS zip that
also carries path-traversal and symlink entries, the nbgrader exchange with planted symlinks), grades
them ALL in one ``dlgrade grade`` run (real bubblewrap sandbox, real SQLite gradebook), then exports
and writes feedback. Around the run it records what must not change: canary file names anywhere a
submission could reach, the course directory's listing, the repository's targeted files, leftover
sandbox processes and job directories.

Two correct submissions (graded first and last, so that one runs after every attack) must score full
marks and the released stub zero in the same run. The course has a due date (yesterday) and the late
policy "zero"; every submission is dated the day before, except those an attack makes late.

Time limits are shortened (``LIMITS``) so that the attacks that run until a limit stops them fit in
CI: the CLI has no option for them, so the test passes them through ``GradeOptions``.
Set ``DLGRADE_REDTEAM_REPORT=path.json`` to write a per-attack summary (status, score, messages).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
import os
import stat
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from grader import commands, engine
from grader.cli import cli
from grader.export import ExportRow, export_rows
from grader.gradebook_reader import load_results
from grader.records import SubmissionResult
from grader.sandbox import SandboxLimits
from tests.redteam.attacks import (
    DUE,
    ON_TIME,
    ROOT,
    SOURCE,
    WRONG,
    Attack,
    Context,
    all_attacks,
    correct_answers,
    nbgrader_time,
)

ASSIGNMENT = "deep_network"
COURSE_ID = "rt"
SEED = 20_260_214
WORKERS = 2

LIMITS = SandboxLimits(
    wall_seconds=15.0,
    cell_seconds=3.0,
    call_seconds=2.0,
    cpu_seconds=30,
    memory_bytes=1024**3,  # assignment.toml's memory budget for this assignment
)
"""Shorter time limits than the defaults (120 s wall, 60 s per cell, 30 s per call); the rest as shipped."""

CORRECT = ("aaa_correct", "zzz_correct")
STUB = "zzz_stub"

TRAVERSAL_ENTRIES = (
    "../evil_parent.ipynb",
    "../../evil_grandparent.ipynb",
    "inner/../../evil_inner.ipynb",
    "/tmp/dlgrade_pwned_@TOKEN@_absolute.ipynb",
    "C:/evil_drive.ipynb",
    "..\\..\\evil_backslash.ipynb",
    "\u2025/\u2025/evil_two_dot_leader.ipynb",
    ".hidden/evil_hidden.ipynb",
)
"""Zip entries whose names try to leave submitted/ (each must be skipped with a reason)."""

ZIP_SYMLINK = "zip_symlink.ipynb"
ZIP_DIRLINK = "zip_dirlink"
FOLDER_SYMLINK = "symlinker.ipynb"
FOLDER_DIRLINK = "dirlinker"
EXCHANGE_SYMLINK = "exch_symlink"
EXCHANGE_DIRLINK = "exch_dirlink"
PLANTED_DIRLINK = "planted_dirlink"
PLANTED_NBLINK = "planted_nblink"

NO_ROW = (
    "evil_parent",
    "evil_grandparent",
    "evil_inner",
    "evil_drive",
    "evil_backslash",
    "evil_two_dot_leader",
    "evil_hidden",
    "symlinker",
    FOLDER_DIRLINK,
    "zip_symlink",
    EXCHANGE_DIRLINK,
    PLANTED_DIRLINK,
)
"""Names that must never become graded students (their entries are links or leave submitted/)."""

MOODLE_VICTIM = "Victim_Student"
MOODLE_INTRUDER = "Mallory_Student"
MOODLE_ENTRIES = (
    # Moodle's folder layout: "<Full Name>_<id>_assignsubmission_file_/<the file as uploaded>".
    "Victim Student_222_assignsubmission_file_/deep_network.ipynb",
    # Mallory uploads a file NAMED like Victim's entry, an hour later.
    "Mallory Student_111_assignsubmission_file_/Victim Student_222_assignsubmission_file_deep_network.ipynb",
)
"""An uploaded file's name is the student's choice; the LMS's folder says whose it is."""

ZERO_IF_ANY = (EXCHANGE_SYMLINK, PLANTED_NBLINK, ZIP_DIRLINK, MOODLE_INTRUDER)
"""Students whose notebook is a link (or whose folder was a link): a row is fine, points are not."""

TARGETED_REPO_FILES = (
    "assignments/deep_network/deep_network.ipynb",
    "assignments/deep_network/assignment.toml",
    "reference/deep_network.py",
    "reference/initialization.py",
    "grader/compare.py",
    "grader/plaindata.py",
    "grader/sandbox_runner.py",
)


# ---------------------------------------------------------------------------------------------
# Building submissions


def _code_cell(source: str, number: int) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "id": f"redteam-{number}",
        "metadata": {},
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


def _grade_id(cell: dict[str, Any]) -> str:
    return str(cell["metadata"].get("nbgrader", {}).get("grade_id", ""))


def notebook_with(released: dict[str, Any], answers: dict[str, str]) -> dict[str, Any]:
    """The released notebook with these answer cells (grade id -> source) written in."""
    nb = copy.deepcopy(released)
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code" and meta["grade_id"] in answers:
            cell["source"] = answers[meta["grade_id"]]
    return nb


def build_submission(attack: Attack, released: dict[str, Any], ctx: Context) -> bytes:
    """The notebook file of ``attack``: wrong answers, the attack's answers and cells, its edits."""
    if attack.raw is not None:
        return attack.raw(ctx)
    answers = {gid: ctx.fill(code) for gid, code in {**WRONG, **attack.answers}.items()}
    nb = notebook_with(released, answers)
    cells = nb["cells"]
    # A marker in every job of this run, so that leftover processes and job folders can be told apart.
    start = [_code_cell(f"# dlgrade red team run {ctx.token}: {attack.name}", 0)]
    end = []
    after: dict[str, list[dict[str, Any]]] = {}
    for number, cell in enumerate(attack.cells, start=1):
        new = _code_cell(ctx.fill(cell.source), number)
        if cell.after == "start":
            start.append(new)
        elif cell.after == "end":
            end.append(new)
        else:
            assert any(_grade_id(c) == cell.after for c in cells), cell.after
            after.setdefault(cell.after, []).append(new)
    ordered = list(start)
    for cell in cells:
        ordered.append(cell)
        ordered.extend(after.get(_grade_id(cell), []))
    nb["cells"] = ordered + end
    if attack.edit is not None:
        attack.edit(nb, ctx)
    return json.dumps(nb, indent=1).encode()


def _zip_symlink(archive: zipfile.ZipFile, name: str, target: str) -> None:
    info = zipfile.ZipInfo(name, date_time=ON_TIME.timetuple()[:6])
    info.create_system = 3  # Unix: the mode below is meaningful
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive.writestr(info, target)


# ---------------------------------------------------------------------------------------------
# Watching the host


def tree(root: Path) -> dict[str, tuple[str, int, int]]:
    """Relative path -> (kind, size, mtime in ns) of everything under root, links not followed."""
    found: dict[str, tuple[str, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            try:
                info = path.lstat()
            except OSError:
                continue
            kind = "link" if stat.S_ISLNK(info.st_mode) else "dir" if stat.S_ISDIR(info.st_mode) else "file"
            found[str(path.relative_to(root))] = (kind, info.st_size, info.st_mtime_ns)
    return found


def canaries(token: str, places: list[tuple[Path, bool]]) -> list[str]:
    """Paths whose name contains ``token`` in each (directory, recursive) place."""
    hits = []
    for place, recursive in places:
        if not place.is_dir():
            continue
        if recursive:
            for dirpath, dirnames, filenames in os.walk(place, followlinks=False):
                dirnames[:] = [d for d in dirnames if d not in (".venv", ".git", "node_modules")]
                hits += [str(Path(dirpath) / n) for n in [*dirnames, *filenames] if token in n]
        else:
            with contextlib.suppress(OSError):
                hits += [str(path) for path in place.iterdir() if token in path.name]
    return sorted(set(hits))


def files_containing(token: str, paths: list[Path]) -> list[str]:
    """Those of ``paths`` (files) whose content contains ``token``."""
    hits = []
    for path in paths:
        try:
            if token.encode() in path.read_bytes():
                hits.append(str(path))
        except OSError:
            pass
    return hits


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def processes_of_run(token: str) -> list[str]:
    """Live processes whose sandbox job (seen through /proc/PID/root) belongs to this run."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            cells = Path(f"/proc/{entry.name}/root/job/cells.json").read_bytes()
        except OSError:
            continue
        if token.encode() in cells:
            try:
                command = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                command = "?"
            found.append(f"{entry.name}: {command.strip()[-200:]}")
    return found


def job_dirs_of_run(token: str) -> list[str]:
    """Job folders of this run still on disk after it (dlgrade-job-* in /dev/shm or the temp dir)."""
    found = []
    for parent in {Path("/dev/shm"), Path(os.environ.get("TMPDIR", "/tmp"))}:
        for job in parent.glob("dlgrade-job-*"):
            if files_containing(token, [job / "job" / "cells.json"]):
                found.append(str(job))
    return found


# ---------------------------------------------------------------------------------------------
# The run


@dataclass
class RedteamRun:
    """Everything the red-team tests assert on."""

    ctx: Context
    base: Path
    course: Path
    db_url: str
    attacks: tuple[Attack, ...]
    invocations: dict[str, Result] = field(default_factory=dict)
    grade_json: dict[str, Any] = field(default_factory=dict)
    results: dict[str, SubmissionResult] = field(default_factory=dict)
    rows: list[ExportRow] = field(default_factory=list)
    # What must not have changed.
    base_before_collect: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    base_after_collect: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    course_before_grade: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    course_after_grade: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    repo_before: dict[str, str] = field(default_factory=dict)
    repo_after: dict[str, str] = field(default_factory=dict)
    canaries_before: list[str] = field(default_factory=list)
    canaries_after: list[str] = field(default_factory=list)
    host_files_with_token: list[str] = field(default_factory=list)
    leftover_processes: list[str] = field(default_factory=list)
    leftover_job_dirs: list[str] = field(default_factory=list)
    grade_seconds: float = 0.0

    def invoke_ok(self, name: str) -> Result:
        result = self.invocations[name]
        assert result.exit_code == 0, f"dlgrade {name} failed ({result.exit_code}):\n{result.output}"
        return result


def _invoke(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, catch_exceptions=True)


def _canary_places(run: RedteamRun) -> list[tuple[Path, bool]]:
    home = Path.home()
    return [
        (Path("/tmp"), False),
        (Path("/dev/shm"), False),
        (Path("/var/tmp"), False),
        (Path("/"), False),
        (home, False),
        (run.base, True),
        (run.course.parent, False),
        (ROOT, True),
    ]


def _host_files(run: RedteamRun) -> list[Path]:
    return [
        Path("/etc/passwd"),
        Path("/etc/hosts"),
        *(ROOT / p for p in TARGETED_REPO_FILES),
        run.course / "nbgrader_config.py",
        run.course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
        Path(sys.prefix) / "pyvenv.cfg",
    ]


def _zip_entry(name: str, moment: datetime = ON_TIME) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _build_inbox(run: RedteamRun, released: dict[str, Any]) -> tuple[Path, Path]:
    """The LMS folder (correct, stub, folder symlinks) and the LMS zip (attacks, hostile entries)."""
    ctx = run.ctx
    folder = run.base / "inbox"
    folder.mkdir()
    solved = json.dumps(notebook_with(released, correct_answers()), indent=1).encode()
    for name in CORRECT:
        (folder / f"{name}.ipynb").write_bytes(solved)
    (folder / f"{STUB}.ipynb").write_bytes(json.dumps(released, indent=1).encode())
    for path in folder.iterdir():
        os.utime(path, (ON_TIME.replace(tzinfo=UTC).timestamp(),) * 2)
    (folder / FOLDER_SYMLINK).symlink_to(SOURCE)  # the instructor's solution
    (folder / FOLDER_DIRLINK).symlink_to(run.course / "source" / ASSIGNMENT, target_is_directory=True)

    archive = run.base / "lms.zip"
    wrong = json.dumps(notebook_with(released, WRONG), indent=1).encode()
    with zipfile.ZipFile(archive, "w") as z:
        for attack in run.attacks:
            if attack.exchange is None:
                z.writestr(_zip_entry(f"{attack.name}.ipynb"), build_submission(attack, released, ctx))
        for entry in TRAVERSAL_ENTRIES:
            z.writestr(_zip_entry(ctx.fill(entry)), solved)
        _zip_symlink(z, ZIP_SYMLINK, str(SOURCE))
        # A link to the course's source folder, then a file "inside" it: a classic zip slip.
        _zip_symlink(z, ZIP_DIRLINK, str(run.course / "source" / ASSIGNMENT))
        z.writestr(_zip_entry(f"{ZIP_DIRLINK}/{ASSIGNMENT}.ipynb"), wrong)
        victim, intruder = MOODLE_ENTRIES
        z.writestr(_zip_entry(victim, ON_TIME - timedelta(hours=1)), solved)
        z.writestr(_zip_entry(intruder, ON_TIME), wrong)
    return folder, archive


def _plant_exchange(run: RedteamRun, released: dict[str, Any]) -> None:
    """Hostile entries in the exchange's world-writable inbound folder, and the attacks sent that way."""
    inbound = run.base / "exchange" / COURSE_ID / "inbound"
    for attack in run.attacks:
        if attack.exchange is not None:
            attack.exchange(inbound, build_submission(attack, released, run.ctx))
    moment = nbgrader_time(ON_TIME)
    entry = inbound / f"{EXCHANGE_SYMLINK}+{ASSIGNMENT}+{moment}"
    entry.mkdir()
    (entry / f"{ASSIGNMENT}.ipynb").symlink_to(SOURCE)
    (entry / "timestamp.txt").write_text(moment)
    (inbound / f"{EXCHANGE_DIRLINK}+{ASSIGNMENT}+{moment}").symlink_to(
        run.course / "source" / ASSIGNMENT, target_is_directory=True
    )
    (inbound / f"..+{ASSIGNMENT}+{moment}").mkdir()


def _plant_submitted(run: RedteamRun) -> None:
    """Links placed straight into submitted/ (as a careless copy or a hostile exchange could)."""
    submitted = run.course / "submitted"
    (submitted / PLANTED_DIRLINK).symlink_to(submitted / CORRECT[0], target_is_directory=True)
    folder = submitted / PLANTED_NBLINK / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / f"{ASSIGNMENT}.ipynb").symlink_to(SOURCE)


def _run(base: Path) -> RedteamRun:
    token = "rt" + uuid.uuid4().hex[:12]
    course = base / "course"
    ctx = Context(token, course, course / "gradebook.db", ROOT, Path.home())
    run = RedteamRun(ctx, base, course, f"sqlite:///{course / 'gradebook.db'}", all_attacks())
    run.repo_before = {p: digest(ROOT / p) for p in TARGETED_REPO_FILES}
    run.canaries_before = canaries(token, _canary_places(run))

    run.invocations["init"] = _invoke(
        ["init", str(course), "--course-id", COURSE_ID, "--exchange", str(base / "exchange")]
    )
    run.invoke_ok("init")
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as config:
        config.write(f'\nc.Dlgrade.duedates = {{"{ASSIGNMENT}": "{nbgrader_time(DUE)}"}}\n')
        config.write('c.Dlgrade.late_policy = "zero"\n')
    run.invocations["release"] = _invoke(["release", ASSIGNMENT, "--course", str(course)])
    run.invoke_ok("release")
    released = json.loads((course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())

    folder, archive = _build_inbox(run, released)
    _plant_exchange(run, released)
    run.base_before_collect = tree(base)
    run.invocations["collect-exchange"] = _invoke(["collect", ASSIGNMENT, "--course", str(course)])
    run.invocations["collect-folder"] = _invoke(
        ["collect", ASSIGNMENT, "--course", str(course), "--from", str(folder)]
    )
    run.invocations["collect-zip"] = _invoke(
        ["collect", ASSIGNMENT, "--course", str(course), "--from", str(archive)]
    )
    run.base_after_collect = tree(base)
    _plant_submitted(run)

    run.course_before_grade = tree(course)
    options = functools.partial(engine.GradeOptions, limits=LIMITS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "GradeOptions", options)
        if hasattr(commands, "GradeOptions"):  # should the CLI import it at module level one day
            patch.setattr(commands, "GradeOptions", options)
        started = time.monotonic()
        run.invocations["grade"] = _invoke(
            [
                "grade",
                ASSIGNMENT,
                "--course",
                str(course),
                "--seed",
                str(SEED),
                "--workers",
                str(WORKERS),
                "--json",
            ]
        )
        run.grade_seconds = time.monotonic() - started
    run.course_after_grade = tree(course)
    run.leftover_processes = processes_of_run(token)
    run.leftover_job_dirs = job_dirs_of_run(token)
    run.canaries_after = canaries(token, _canary_places(run))
    run.host_files_with_token = files_containing(token, _host_files(run))
    run.repo_after = {p: digest(ROOT / p) for p in TARGETED_REPO_FILES}

    if run.invocations["grade"].exit_code == 0:
        output = run.invocations["grade"].stdout
        run.grade_json = json.loads(output[output.index("{") :])
    run.results = {r.student: r for r in load_results(run.db_url, ASSIGNMENT)}
    run.rows = export_rows(run.db_url, ASSIGNMENT)
    run.invocations["export"] = _invoke(
        ["export", "--course", str(course), "--output", str(base / "grades.csv")]
    )
    run.invocations["feedback"] = _invoke(["feedback", ASSIGNMENT, "--course", str(course)])
    run.invocations["status"] = _invoke(["status", ASSIGNMENT, "--course", str(course)])
    run.invocations["report"] = _invoke(["report", ASSIGNMENT, "--course", str(course), "--json"])
    return run


def _write_report(run: RedteamRun, path: str) -> None:
    summary = []
    for attack in run.attacks:
        result = run.results.get(attack.name)
        if result is None:
            summary.append({"attack": attack.name, "status": "NO RESULT"})
            continue
        summary.append(
            {
                "attack": attack.name,
                "status": result.status,
                "score": result.score,
                "max_score": result.max_score,
                "message": result.message,
                "cells": {c.grade_id: [c.score, c.feedback] for c in result.cells},
                "log": result.log[-600:],
            }
        )
    Path(path).write_text(json.dumps({"grade_seconds": run.grade_seconds, "attacks": summary}, indent=1))


@pytest.fixture(scope="session")
def redteam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedteamRun]:
    """The one grading run of every attack (see the module docstring)."""
    with pytest.MonkeyPatch.context() as patch:
        bindir = str(Path(sys.executable).parent)
        patch.setenv("PATH", bindir + os.pathsep + os.environ.get("PATH", ""))
        run = _run(tmp_path_factory.mktemp("redteam"))
        report = os.environ.get("DLGRADE_REDTEAM_REPORT")
        if report:
            _write_report(run, report)
        yield run


def readable(result: SubmissionResult) -> str:
    """A result as text, for assertion messages."""
    lines = [
        f"{result.student}: {result.status}, {result.score:g}/{result.max_score:g} (late penalty "
        f"{result.late_penalty:g}, submitted {result.submitted_at}): {result.message}"
    ]
    lines += [f"  {c.grade_id}: {c.score:g}/{c.max_score:g} {c.feedback!r}"[:300] for c in result.cells]
    if result.log:
        lines.append("  log: " + result.log[-300:].replace("\n", " | "))
    return "\n".join(lines)
