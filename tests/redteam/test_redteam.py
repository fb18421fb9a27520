"""The red team: every attack of tests/redteam/attacks, graded in one real `dlgrade grade` run.

Each attack starts from wrong answers, so any point it earns beyond what its module declares is
stolen. Beyond the scores: the run completes (every submission has exactly one result, the correct
submissions score full marks and the stub zero in the same run), the gradebook stays intact (SQLite's
integrity check, nbgrader's own Gradebook agrees with dlgrade's export, no extra or duplicate rows),
and nothing is written outside the sandbox (canary names, the course, the repository, leftover
processes and job folders). The run itself is the session fixture ``redteam`` (conftest.py).
"""

from __future__ import annotations

import csv
import html
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from tests.redteam.attacks import GRADED, Attack, all_attacks
from tests.redteam.conftest import (
    ASSIGNMENT,
    CORRECT,
    MOODLE_INTRUDER,
    MOODLE_VICTIM,
    NO_ROW,
    STUB,
    TRAVERSAL_ENTRIES,
    ZERO_IF_ANY,
    ZIP_DIRLINK,
    ZIP_SYMLINK,
    RedteamRun,
    readable,
)

pytestmark = pytest.mark.slow

MAX_SCORE = 100.0


def expected_students(run: RedteamRun) -> set[str]:
    """Every submission that must have a result: the correct ones, the stub, every attack."""
    return {*CORRECT, STUB, MOODLE_VICTIM, *(a.name for a in run.attacks)}


def recorded_texts(run: RedteamRun, student: str) -> list[str]:
    """Everything grading recorded about a student that comes from its code: message, log, feedback."""
    result = run.results[student]
    texts = [result.message, result.log]
    for cell in result.cells:
        texts.append(cell.feedback)
        texts += [case.message for case in cell.cases]
    return texts


# ---------------------------------------------------------------------------------------------
# The run completed


def test_every_command_of_the_run_succeeded(redteam: RedteamRun) -> None:
    for name in ("init", "release", "collect-exchange", "collect-folder", "collect-zip", "grade"):
        redteam.invoke_ok(name)
    for name in ("export", "feedback", "status", "report"):  # what reads the hostile results back
        redteam.invoke_ok(name)


def test_every_submission_was_graded_exactly_once_in_the_one_run(redteam: RedteamRun) -> None:
    reported = Counter(r["student"] for r in redteam.grade_json["results"])
    assert [s for s, n in reported.items() if n > 1] == []
    missing = expected_students(redteam) - set(reported)
    assert not missing, f"no result in the grade run for {sorted(missing)}"
    assert redteam.grade_json["skipped"] == []
    # The shortened limits were in force: an attack that only the wall-clock limit stops took ~15 s.
    assert redteam.results["alarm_proof_loop"].wall_seconds < 60
    assert set(redteam.results) >= expected_students(redteam)
    unexpected = set(redteam.results) - expected_students(redteam) - set(ZERO_IF_ANY)
    assert not unexpected, f"graded students nobody submitted as such: {sorted(unexpected)}"


def test_correct_submissions_get_full_marks_and_the_stub_zero_in_the_same_run(redteam: RedteamRun) -> None:
    for name in CORRECT:
        result = redteam.results[name]
        assert (result.status, result.score, result.max_score) == ("graded", MAX_SCORE, MAX_SCORE), readable(
            result
        )
    stub = redteam.results[STUB]
    assert (stub.status, stub.score, stub.max_score) == ("graded", 0.0, MAX_SCORE), readable(stub)
    # The first correct one ran before every attack, the second after them all.
    assert (
        CORRECT[0] < min(a.name for a in redteam.attacks) <= max(a.name for a in redteam.attacks) < CORRECT[1]
    )


# ---------------------------------------------------------------------------------------------
# Each attack


@pytest.mark.parametrize("attack", all_attacks(), ids=lambda a: a.name)
def test_attack_earns_nothing_it_cheats(redteam: RedteamRun, attack: Attack) -> None:
    result = redteam.results.get(attack.name)
    assert result is not None, f"{attack.name} has no result in the gradebook"
    got = {
        "status": result.status if result.status in attack.statuses else result.status + " (unexpected)",
        "max_score": result.max_score,
        "cells": {cell.grade_id: cell.score for cell in result.cells},
    }
    got["score"] = result.score
    want = {
        "status": result.status if result.status in attack.statuses else sorted(attack.statuses),
        "max_score": MAX_SCORE,
        "cells": {grade_id: attack.earns.get(grade_id, 0.0) for grade_id in GRADED.values()},
        "score": attack.final_score,
    }
    assert got == want, f"{attack.summary}\n{readable(result)}"
    leaks = sorted(
        {
            line.strip()[:200]
            for text in recorded_texts(redteam, attack.name)
            for line in text.splitlines()
            if attack.leak_marker in line and "raised RuntimeError" not in line
        }
    )
    assert leaks == [], f"{attack.name} saw or did what the sandbox must prevent: {leaks[:8]}"
    row = next(r for r in redteam.rows if r.student_id == attack.name)
    assert (row.status, row.score, row.max_score) == (result.status, result.score, MAX_SCORE)


# ---------------------------------------------------------------------------------------------
# The gradebook is intact


def test_the_gradebook_file_is_intact_and_nbgrader_agrees_with_the_export(redteam: RedteamRun) -> None:
    database = redteam.course / "gradebook.db"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        students = [s for (s,) in connection.execute("SELECT id FROM student")]
        per_submission = connection.execute(
            "SELECT assignment, student, COUNT(*) FROM dlgrade_submission_results "
            "GROUP BY assignment, student HAVING COUNT(*) > 1"
        ).fetchall()
        duplicated_nbgrader = connection.execute(
            "SELECT assignment_id, student_id, COUNT(*) FROM submitted_assignment "
            "GROUP BY assignment_id, student_id HAVING COUNT(*) > 1"
        ).fetchall()
        grades_per_notebook = connection.execute(
            "SELECT notebook_id, COUNT(*) FROM grade GROUP BY notebook_id"
        ).fetchall()
        assignments = [a for (a,) in connection.execute("SELECT name FROM assignment")]
    assert per_submission == [] and duplicated_nbgrader == []
    assert assignments == [ASSIGNMENT]
    assert sorted(students) == sorted(redteam.results), "students without a result, or the reverse"
    assert {count for _, count in grades_per_notebook} == {len(GRADED)}, "one grade per graded cell"

    rows = {r.student_id: r for r in redteam.rows}
    assert len(rows) == len(redteam.rows) == len(redteam.results)
    with Gradebook(redteam.db_url) as gradebook:
        assignment = gradebook.find_assignment(ASSIGNMENT)
        assert assignment.max_score == MAX_SCORE
        for student, result in redteam.results.items():
            submission = gradebook.find_submission(ASSIGNMENT, student)
            # nbgrader keeps the late penalty apart from the score, as its export does.
            penalty = submission.late_submission_penalty or 0.0
            assert max(0.0, submission.score - penalty) == pytest.approx(result.score), student
            assert submission.max_score == MAX_SCORE
            assert rows[student].score == pytest.approx(result.score)


def test_the_exported_csv_and_the_feedback_survive_hostile_text(redteam: RedteamRun) -> None:
    with (redteam.base / "grades.csv").open(newline="", encoding="utf-8") as file:
        exported = {row["student_id"]: row for row in csv.DictReader(file)}
    assert set(exported) == set(redteam.results)
    for student, row in exported.items():
        assert float(row["score"]) == pytest.approx(redteam.results[student].score)
        assert not row["message"].startswith(("=", "+", "-", "@")), "a spreadsheet formula"
    page = (redteam.course / "feedback" / "hostile_text" / ASSIGNMENT / "feedback.html").read_text()
    assert "<script>" not in page and "<img" not in page and "\x00" not in page
    assert html.escape("<script>") in page or "script" not in page


# ---------------------------------------------------------------------------------------------
# Nothing was written outside the sandbox


def test_no_canary_file_appears_on_the_host(redteam: RedteamRun) -> None:
    assert redteam.canaries_before == []
    assert redteam.canaries_after == [], "files named by an attack were created outside its sandbox"
    assert redteam.host_files_with_token == [], "host files were appended to by an attack"


def test_the_repository_and_the_course_are_unchanged_by_grading(redteam: RedteamRun) -> None:
    assert redteam.repo_after == redteam.repo_before
    before, after = redteam.course_before_grade, redteam.course_after_grade
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    # Grading writes the gradebook (and SQLite's transient journal); nothing else in the course.
    allowed = {"gradebook.db", "gradebook.db-journal", "gradebook.db-wal", "gradebook.db-shm"}
    assert changed - allowed == set()


def test_no_sandbox_process_or_job_folder_outlives_the_run(redteam: RedteamRun) -> None:
    assert redteam.leftover_processes == []
    assert redteam.leftover_job_dirs == []


# ---------------------------------------------------------------------------------------------
# Submitted file names: traversal and links


def test_collecting_writes_only_inside_submitted(redteam: RedteamRun) -> None:
    before, after = redteam.base_before_collect, redteam.base_after_collect
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    inside = {
        path
        for path in changed
        if path.startswith("course/submitted/")
        or path in ("course/submitted", "course", "course/gradebook.db")
    }
    assert changed - inside == set()
    assert [p for p in after if "evil" in Path(p).name] == []
    assert [p for p, (kind, _, _) in after.items() if kind == "link" and p.startswith("course/")] == []


def test_every_hostile_entry_is_skipped_with_its_reason(redteam: RedteamRun) -> None:
    said = redteam.invocations["collect-zip"].output + redteam.invocations["collect-folder"].output
    for entry in TRAVERSAL_ENTRIES:
        name = redteam.ctx.fill(entry)
        if name.startswith(".hidden"):
            assert "hidden or system file" in said
            continue
        assert name in said, f"no message about {name!r}:\n{said}"
    reasons = {
        "../evil_parent.ipynb": "..",
        "/tmp/": "absolute path",
        "C:/evil_drive.ipynb": "absolute path",
        ZIP_SYMLINK: "symbolic link",
        "symlinker.ipynb": "symbolic link",
        "dirlinker/": "symbolic link",
        f"{ZIP_DIRLINK}:": "symbolic link",
        "\u2025": "no usable student id",
    }
    lines = said.splitlines()
    for fragment, reason in reasons.items():
        assert any(fragment in line and reason in line for line in lines), (fragment, reason, said)


def test_links_and_traversal_never_earn_points(redteam: RedteamRun) -> None:
    assert sorted(set(NO_ROW) & set(redteam.results)) == []
    for name in ZERO_IF_ANY:
        if name in redteam.results:
            assert redteam.results[name].score == 0.0, readable(redteam.results[name])


def test_an_uploaded_file_name_cannot_claim_another_students_submission(redteam: RedteamRun) -> None:
    victim = redteam.results.get(MOODLE_VICTIM)
    assert victim is not None, f"{MOODLE_VICTIM}'s submission was not graded"
    assert (victim.status, victim.score) == ("graded", MAX_SCORE), (
        f"{MOODLE_VICTIM}'s own (correct) notebook was replaced by the file {MOODLE_INTRUDER} uploaded "
        f"under a name imitating {MOODLE_VICTIM}'s entry\n{readable(victim)}"
    )
