"""Reliability of grading runs: malformed and broken submissions among good ones, a run killed with
SIGKILL and started again, resubmissions, and late work under a due date and a penalty policy.

Every run is real: the CLI (click's CliRunner, or the installed ``dlgrade`` as a subprocess for the
kill), bubblewrap sandboxes, a SQLite gradebook, and ``nbgrader export`` for the late penalties.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from grader.course import Course
from tests.grader.data.notebooks import TINY
from tests.grader.helpers_course import (
    ASSIGNMENT,
    DLGRADE,
    add_code_cell,
    configure,
    dlgrade_export,
    function_points,
    grade_json,
    make_course,
    mutant_nb,
    nbgrader_export,
    notebook_bytes,
    recorded,
    row_counts,
    scores_of,
    slow_nb,
    solution_nb,
    statuses_of,
    stub_nb,
    subprocess_env,
    total_points,
    write_submission,
)

NOTEBOOK = f"{ASSIGNMENT}.ipynb"
MUTANT = "update_parameters__gradient_ascent"  # fails every case of update_parameters, nothing else
SHARED_DIRS = sorted({Path("/dev/shm"), Path(tempfile.gettempdir())})
"""Where sandboxes keep their job directories: grading must leave these shared folders as they were."""


@pytest.fixture(autouse=True)
def shared_dirs_untouched() -> Iterator[None]:
    """Fail (and repair) when a run changed the mode of /dev/shm or /tmp: other users, PostgreSQL's
    shared memory among them, would be locked out of them."""
    before = {d: stat.S_IMODE(d.stat().st_mode) for d in SHARED_DIRS if d.is_dir()}
    yield
    changed = {}
    for directory, mode in before.items():
        now = stat.S_IMODE(directory.stat().st_mode)
        if now != mode:
            directory.chmod(mode)
            changed[str(directory)] = f"{mode:o} -> {now:o}"
    assert not changed, f"grading changed the mode of shared directories (repaired): {changed}"


def mutant_score() -> float:
    return total_points() - function_points()["update_parameters"]


# ---------------------------------------------------------------- malformed submissions


def _huge_outputs(megabytes: int) -> bytes:
    """The solution as Jupyter saves it after a cell printed ``megabytes`` MB of text."""
    from nbformat.v4 import new_output

    nb = solution_nb()
    cell = next(c for c in nb.cells if c.cell_type == "code")
    line = "loss 0.693147 " * 7 + "\n"  # ~100 characters a line
    cell.outputs = [new_output("stream", name="stdout", text=line * (megabytes * 1024**2 // len(line)))]
    cell.execution_count = 1
    return notebook_bytes(nb)


def _without_solution_cells() -> bytes:
    nb = solution_nb()
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("solution")]
    return notebook_bytes(nb)


def _with_extra_cells() -> bytes:
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

    nb = solution_nb()
    nb.cells.insert(1, new_markdown_cell("My notes"))
    nb.cells.extend(
        [
            new_code_cell("def my_helper(x):\n    return x * 2\nprint(my_helper(21))"),
            new_code_cell("1 / 0"),  # a student's cell that fails: the rest still counts
            new_raw_cell("raw text"),
        ]
    )
    return notebook_bytes(nb)


def _not_utf8() -> bytes:
    data = notebook_bytes(solution_nb())
    at = data.index(b"Create")
    return data[:at] + "Créate".encode("latin-1") + data[at + len(b"Create") :]


MALFORMED: dict[str, tuple[bytes, str, tuple[str, ...]]] = {
    # student: (file content, expected status, words the message must contain)
    "invalid_json": (b'{"cells": [{"cell_type": "code", ', "invalid", ("JSON",)),
    "nbformat3": (
        json.dumps(
            {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]}
        ).encode(),
        "invalid",
        ("3",),
    ),
    "not_utf8": (_not_utf8(), "invalid", ("UTF-8",)),
    "no_cells_key": (
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}}).encode(),
        "invalid",
        ("cells",),
    ),
    "empty_file": (b"", "invalid", ("empty",)),
    "wrong_assignment": (TINY.read_bytes(), "invalid", ("assignment",)),
}


def _recorded_with_feedback(course: Course) -> dict[str, tuple[str, float, str, str]]:
    """Student -> (status, score, message, every cell's feedback joined)."""
    from grader.gradebook_reader import load_results

    return {
        r.student: (r.status, r.score, r.message, "\n".join(c.feedback for c in r.cells))
        for r in load_results(course.db_url, ASSIGNMENT)
    }


@pytest.fixture(scope="module")
def malformed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Course, dict]:
    """One run over good submissions and every kind of malformed or broken one."""
    tmp = tmp_path_factory.mktemp("malformed")
    course = make_course(tmp)
    write_submission(course, "good_solution", solution_nb())
    write_submission(course, "good_mutant", mutant_nb(MUTANT))
    for student, (content, _, _) in MALFORMED.items():
        write_submission(course, student, content)
    write_submission(course, "no_solution_cells", _without_solution_cells())
    write_submission(course, "extra_cells", _with_extra_cells())
    write_submission(course, "huge_outputs", _huge_outputs(50))
    # Broken folders: a directory, a FIFO and a symbolic link where the notebook should be.
    (course.submitted_dir / "directory" / ASSIGNMENT / NOTEBOOK).mkdir(parents=True)
    (course.submitted_dir / "fifo" / ASSIGNMENT).mkdir(parents=True)
    os.mkfifo(course.submitted_dir / "fifo" / ASSIGNMENT / NOTEBOOK)
    (course.submitted_dir / "symlink" / ASSIGNMENT).mkdir(parents=True)
    target = course.submitted_dir / "good_solution" / ASSIGNMENT / NOTEBOOK
    (course.submitted_dir / "symlink" / ASSIGNMENT / NOTEBOOK).symlink_to(target)
    report = grade_json(course, "--seed", "5", "--workers", "2")
    return course, report


@pytest.mark.slow
def test_good_submissions_grade_normally_among_malformed_ones(malformed_run):
    course, report = malformed_run
    scores, statuses = scores_of(report), statuses_of(report)
    assert len(report["results"]) == len(course.students(ASSIGNMENT)), "every submission has a result"
    assert statuses["good_solution"] == statuses["good_mutant"] == "graded"
    assert scores["good_solution"] == pytest.approx(total_points())
    assert scores["good_mutant"] == pytest.approx(mutant_score())
    ours, theirs = row_counts(course.db_url)
    assert ours == theirs == dict.fromkeys(course.students(ASSIGNMENT), 1)


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(MALFORMED))
def test_malformed_notebook_is_invalid_with_a_message(malformed_run, student):
    course, report = malformed_run
    _, status, words = MALFORMED[student]
    row = next(r for r in report["results"] if r["student"] == student)
    assert row["status"] == status
    assert row["score"] == 0.0
    assert row["max_score"] == pytest.approx(total_points())
    assert NOTEBOOK in row["message"], row["message"]
    for word in words:
        assert word in row["message"], row["message"]
    stored = recorded(course.db_url)[student]
    assert stored[0] == status and stored[1] == 0.0 and stored[2] == row["message"]


@pytest.mark.slow
def test_extra_cells_do_not_matter(malformed_run):
    _, report = malformed_run
    assert statuses_of(report)["extra_cells"] == "graded"
    assert scores_of(report)["extra_cells"] == pytest.approx(total_points())


@pytest.mark.slow
def test_huge_outputs_still_grade(malformed_run):
    """Outputs are never graded: 50 MB of printed text in a saved notebook must not cost any point."""
    course, report = malformed_run
    assert (course.submitted_dir / "huge_outputs" / ASSIGNMENT / NOTEBOOK).stat().st_size > 50 * 10**6
    row = next(r for r in report["results"] if r["student"] == "huge_outputs")
    assert row["status"] == "graded", row["message"]
    assert row["score"] == pytest.approx(total_points())


@pytest.mark.slow
def test_deleted_solution_cells_score_zero_and_say_so(malformed_run):
    course, report = malformed_run
    row = next(r for r in report["results"] if r["student"] == "no_solution_cells")
    assert row["status"] in ("graded", "invalid")
    assert row["score"] == 0.0
    _, _, message, feedback = _recorded_with_feedback(course)["no_solution_cells"]
    # Every graded function is reported as missing, by name, in the cells' feedback ...
    for function in function_points():
        assert f"`{function}` is not defined" in feedback, function
    # ... and the submission's message says the answer cells were deleted, naming them.
    assert "missing" in message and "linear_forward" in message, message


@pytest.mark.slow
@pytest.mark.parametrize("student", ["directory", "fifo"])
def test_a_broken_submission_folder_never_stops_the_run(malformed_run, student):
    _, report = malformed_run
    row = next(r for r in report["results"] if r["student"] == student)
    assert row["status"] in ("invalid", "error")
    assert row["score"] == 0.0
    assert NOTEBOOK in row["message"], row["message"]
    assert scores_of(report)["good_solution"] == pytest.approx(total_points())


@pytest.mark.slow
def test_a_symlinked_notebook_is_not_followed_and_says_so(malformed_run):
    _, report = malformed_run
    row = next(r for r in report["results"] if r["student"] == "symlink")
    assert row["status"] in ("invalid", "error")
    assert row["score"] == 0.0, "the other student's solution must not be graded as this one's"
    assert "symbolic link" in row["message"], row["message"]


# ---------------------------------------------------------------- SIGKILL in the middle of a run


def _count_results(db: Path) -> int:
    try:
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2)
    except sqlite3.Error:
        return 0
    try:
        return int(connection.execute("SELECT COUNT(*) FROM dlgrade_submission_results").fetchone()[0])
    except sqlite3.Error:  # not created yet, or locked by the writer for a moment
        return 0
    finally:
        connection.close()


def _descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class KilledRun:
    """A run killed with SIGKILL after its first results, then a second run of the same course."""

    course: Course
    expected: dict[str, float]
    sandboxes: set[int]
    before: dict[str, tuple[str, float, str]]
    again: dict[str, Any]
    marker: str


@pytest.fixture(scope="module")
def killed_run(tmp_path_factory: pytest.TempPathFactory) -> KilledRun:
    tmp = tmp_path_factory.mktemp("killed")
    course = make_course(tmp)
    marker = f"dlgrade-test-marker-{uuid.uuid4().hex}"
    expected: dict[str, float] = {}
    for i in range(12):
        student = f"s{i:02d}"
        if i % 2:  # half of them sleep in a cell, so that the run is long enough to be interrupted
            write_submission(course, student, add_code_cell(slow_nb(1.5), f"# {marker}", at=0))
            expected[student] = total_points()
        elif i % 4 == 0:
            write_submission(course, student, mutant_nb(MUTANT))
            expected[student] = mutant_score()
        else:
            write_submission(course, student, stub_nb())
            expected[student] = 0.0
    db = course.root / "gradebook.db"
    command = [
        str(DLGRADE),
        "grade",
        ASSIGNMENT,
        "--course",
        str(course.root),
        "--workers",
        "2",
        "--seed",
        "9",
    ]
    with (tmp / "killed-run.log").open("w") as log:
        process = subprocess.Popen(command, env=subprocess_env(), stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while _count_results(db) < 1:
                assert process.poll() is None, "the run ended before it could be killed"
                assert time.monotonic() < deadline, "no result was recorded within 120 s"
                time.sleep(0.05)
            sandboxes = _descendants(process.pid)
            process.send_signal(signal.SIGKILL)
            assert process.wait(timeout=30) == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    # The sandboxes of the killed run die with it (bwrap --die-with-parent).
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in sandboxes) and time.monotonic() < deadline:
        time.sleep(0.05)
    before = recorded(course.db_url)
    # Run again as the instructor would: a new dlgrade process.
    command = [*command, "--json"]
    done = subprocess.run(command, env=subprocess_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    again = json.loads(done.stdout)
    return KilledRun(course, expected, sandboxes, before, again, marker)


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_grades_everything_exactly_once(killed_run):
    run = killed_run
    assert not [pid for pid in run.sandboxes if _alive(pid)], "processes of the killed run survived it"
    assert 1 <= len(run.before) < len(run.expected), f"the kill came too late: {sorted(run.before)}"
    for student, (status, score, _) in run.before.items():
        assert status == "graded" and score == pytest.approx(run.expected[student]), student

    assert sorted(run.again["skipped"]) == sorted(run.before), "results recorded before the kill are kept"
    assert sorted(scores_of(run.again)) == sorted(set(run.expected) - set(run.before)), "the rest graded now"
    final = recorded(run.course.db_url)
    assert {s: score for s, (_, score, _) in final.items()} == pytest.approx(run.expected)
    ours, theirs = row_counts(run.course.db_url)
    assert ours == theirs == dict.fromkeys(run.expected, 1), "exactly one row per submission"
    third = grade_json(run.course, "--seed", "9")
    assert third["results"] == [] and sorted(third["skipped"]) == sorted(run.expected)


@pytest.mark.slow
def test_sigkill_leaves_no_job_files_behind_after_the_rerun(killed_run):
    """The job directories of the killed run (student code, outputs) are swept by the next run."""
    leftovers = []
    for parent in {Path("/dev/shm"), Path(tempfile.gettempdir())}:
        for job in parent.glob("dlgrade-job-*"):
            try:
                if killed_run.marker in (job / "job" / "cells.json").read_text(errors="replace"):
                    leftovers.append(job)
            except OSError:
                continue
    assert not leftovers, f"job directories of the killed run are still there: {leftovers}"


def test_cleaning_up_a_vanished_job_directory_leaves_its_parent_alone(tmp_path):
    """Two graders sweeping the same stale job directory race: one finds it gone. The clean-up's
    error handler must then leave the shared parent (/dev/shm or /tmp) as it is; making it 0700
    locks every other user out of it (PostgreSQL keeps its shared memory in /dev/shm)."""
    from grader.sandbox import _force_remove

    parent = tmp_path / "shm"
    parent.mkdir()
    parent.chmod(0o1777)
    shutil.rmtree(parent / "dlgrade-job-1-gone", onerror=_force_remove)
    assert stat.S_IMODE(parent.stat().st_mode) == 0o1777


# ---------------------------------------------------------------- resubmission


@pytest.mark.slow
def test_a_resubmission_is_regraded_alone_and_replaces_the_old_result(tmp_path):
    course = make_course(tmp_path)
    write_submission(course, "alice", solution_nb())
    write_submission(course, "bob", stub_nb())
    write_submission(course, "carol", mutant_nb(MUTANT))
    first = grade_json(course, "--seed", "4")
    assert scores_of(first) == pytest.approx({"alice": total_points(), "bob": 0.0, "carol": mutant_score()})

    write_submission(course, "bob", mutant_nb(MUTANT))  # bob finished his work, but for one function
    second = grade_json(course, "--seed", "4")
    assert scores_of(second) == pytest.approx({"bob": mutant_score()})
    assert sorted(second["skipped"]) == ["alice", "carol"]
    write_submission(course, "alice", stub_nb())  # and a resubmission may score lower
    third = grade_json(course, "--seed", "4")
    assert scores_of(third) == {"alice": 0.0}

    ours, theirs = row_counts(course.db_url)
    assert ours == theirs == {"alice": 1, "bob": 1, "carol": 1}
    exported = dlgrade_export(course, tmp_path)
    assert {s: float(r["score"]) for s, r in exported.items()} == pytest.approx(
        {"alice": 0.0, "bob": mutant_score(), "carol": mutant_score()}
    )


# ---------------------------------------------------------------- late submissions

DUE = datetime(2025, 3, 1, 12, 0, 0)
PER_HOUR = 2.0


@pytest.mark.slow
def test_late_submissions_lose_points_per_started_hour(tmp_path):
    course = configure(
        make_course(tmp_path),
        f'c.Dlgrade.duedates = {{"{ASSIGNMENT}": "{DUE:%Y-%m-%d %H:%M:%S} UTC"}}\n'
        'c.Dlgrade.late_policy = "subtract per hour"\n'
        f"c.Dlgrade.late_points_per_hour = {PER_HOUR}",
    )
    submissions = {
        # student: (notebook, submitted at, raw score)
        "on_time": (solution_nb(), DUE - timedelta(hours=1), total_points()),
        "at_the_deadline": (solution_nb(), DUE, total_points()),
        "one_second_late": (solution_nb(), DUE + timedelta(seconds=1), total_points()),
        "three_hours_late": (solution_nb(), DUE + timedelta(hours=3, seconds=1), total_points()),
        "late_mutant": (mutant_nb(MUTANT), DUE + timedelta(minutes=30), mutant_score()),
        "late_stub": (stub_nb(), DUE + timedelta(hours=5), 0.0),
        "a_week_late": (solution_nb(), DUE + timedelta(days=7), total_points()),
    }
    expected_penalty = {}
    for student, (nb, when, raw) in submissions.items():
        write_submission(course, student, nb, timestamp=when)
        hours = math.ceil(max(0.0, (when - DUE).total_seconds()) / 3600)
        expected_penalty[student] = min(raw, hours * PER_HOUR)
    assert expected_penalty["three_hours_late"] == 4 * PER_HOUR
    assert expected_penalty["a_week_late"] == total_points()

    report = grade_json(course, "--seed", "6")
    expected_score = {s: submissions[s][2] - expected_penalty[s] for s in submissions}
    assert scores_of(report) == pytest.approx(expected_score)

    ours = dlgrade_export(course, tmp_path)
    for student, row in ours.items():
        assert float(row["late_penalty"]) == pytest.approx(expected_penalty[student]), student
        assert float(row["raw_score"]) == pytest.approx(submissions[student][2]), student
        assert float(row["score"]) == pytest.approx(expected_score[student]), student
        assert row["submitted_at"].startswith(submissions[student][1].strftime("%Y-%m-%dT%H:%M:%S")), student

    theirs = nbgrader_export(course, tmp_path)
    assert set(theirs) == set(submissions)
    for student, row in theirs.items():
        assert row["duedate"].startswith(f"{DUE:%Y-%m-%d %H:%M:%S}"), row
        assert float(row["late_submission_penalty"]) == pytest.approx(expected_penalty[student]), student
        assert float(row["raw_score"]) == pytest.approx(submissions[student][2]), student
        assert float(row["score"]) == pytest.approx(expected_score[student]), student


# ---------------------------------------------------------------- two runs on one machine


@pytest.mark.slow
def test_two_runs_at_the_same_time_do_not_disturb_each_other(tmp_path):
    """Two courses graded at once on one machine (two terms, or CI jobs sharing a runner): each
    run's sandboxes must survive the other run's clean-up, whatever slot (uid) they share."""
    slow = make_course(tmp_path / "a")
    write_submission(slow, "sleeper", slow_nb(3.0))
    fast = make_course(tmp_path / "b")
    for student in ("quick1", "quick2", "quick3"):
        write_submission(fast, student, solution_nb())
    processes = []
    for course in (slow, fast):
        command = [
            str(DLGRADE),
            "grade",
            ASSIGNMENT,
            "--course",
            str(course.root),
            "--workers",
            "1",
            "--json",
        ]
        processes.append(
            subprocess.Popen(command, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        )
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode(errors="replace")[-2000:]
        reports.append(json.loads(out))
    assert statuses_of(reports[0]) == {"sleeper": "graded"}, reports[0]["results"]
    assert scores_of(reports[0]) == pytest.approx({"sleeper": total_points()})
    assert scores_of(reports[1]) == pytest.approx(
        dict.fromkeys(("quick1", "quick2", "quick3"), total_points())
    )
