"""The course directory: creation, configuration, submissions, due dates and late penalties."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from grader.course import (
    Course,
    CourseError,
    LatePolicy,
    compute_late_penalty,
    ensure_alembic_on_path,
    format_timestamp,
    init_course,
    late_penalty,
    parse_timestamp,
)
from grader.metadata import MetadataError
from grader.records import GradeCellResult, SubmissionResult
from tests.grader.data.notebooks import TINY, student_copy, write


@pytest.fixture
def assignments(tmp_path: Path) -> Path:
    folder = tmp_path / "assignments"
    (folder / "tiny").mkdir(parents=True)
    shutil.copy(TINY, folder / "tiny" / "tiny.ipynb")
    (folder / "tiny" / "assignment.toml").write_text("title = 'tiny'\n")
    (folder / "empty").mkdir()
    return folder


@pytest.fixture
def course(tmp_path: Path, assignments: Path) -> Course:
    return init_course(tmp_path / "course", "dl101", assignments)


def _submit(course: Course, student: str, timestamp: str | None = "2026-03-01 12:00:00.000000 UTC") -> Path:
    directory = course.submitted_dir / student / "tiny"
    write(directory / "tiny.ipynb", student_copy())
    if timestamp is not None:
        (directory / "timestamp.txt").write_text(timestamp)
    return directory


def test_init_course_writes_config_and_copies_notebooks(tmp_path, course):
    assert course.course_id == "dl101"
    assert course.root == (tmp_path / "course").resolve()
    assert course.exchange_root == course.root / "exchange" and course.exchange_root.is_dir()
    assert course.db_url == f"sqlite:///{course.root / 'gradebook.db'}"
    assert course.assignments() == ["tiny"]  # 'empty' has no notebook
    assert course.source_notebooks("tiny") == [course.root / "source" / "tiny" / "tiny.ipynb"]
    assert not (course.root / "source" / "tiny" / "assignment.toml").exists()
    # The metadata goes beside source/, where nbgrader never releases it from.
    assert course.metadata_file("tiny") == course.root / "metadata" / "tiny.toml"
    assert course.metadata_file("tiny").read_text() == "title = 'tiny'\n"
    assert "c.CourseDirectory.course_id = 'dl101'" in course.config_file.read_text()
    # Reloading from disk gives the same course.
    again = Course(course.root)
    assert (again.course_id, again.exchange_root) == ("dl101", course.exchange_root)


def test_init_course_with_given_exchange_and_refusals(tmp_path, assignments, course):
    other = init_course(tmp_path / "c2", "dl102", assignments, exchange=tmp_path / "shared" / "exchange")
    assert other.exchange_root == (tmp_path / "shared" / "exchange").resolve()
    assert (other.exchange_root.stat().st_mode & 0o777) == 0o777
    with pytest.raises(CourseError, match="already holds a course"):
        init_course(course.root, "dl101", assignments)
    with pytest.raises(CourseError, match="not a valid course id"):
        init_course(tmp_path / "c3", "dl 101/x", assignments)


def test_the_repository_assignments_are_the_default(tmp_path):
    course = init_course(tmp_path / "c", "dl")
    from grader.course import ASSIGNMENTS_DIR

    expected = sorted(p.parent.name for p in ASSIGNMENTS_DIR.glob("*/*.ipynb"))
    assert course.assignments() == sorted(set(expected))


def test_not_a_course(tmp_path):
    with pytest.raises(CourseError, match="no such course directory"):
        Course(tmp_path / "nope")
    with pytest.raises(CourseError, match="is not a course directory"):
        Course(tmp_path)


def test_broken_config_is_named(tmp_path, course):
    course.config_file.write_text("c = get_config()\nc.CourseDirectory.course_id = \n")
    with pytest.raises(CourseError, match=r"nbgrader_config.py: cannot be loaded: SyntaxError"):
        Course(course.root)


def test_config_sets_exchange_database_and_directories(tmp_path, course):
    course.config_file.write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'x'\n"
        f"c.Exchange.root = '{tmp_path / 'ex'}'\n"
        "c.CourseDirectory.db_url = 'postgresql://postgres@127.0.0.1:5432/test'\n"
        "c.CourseDirectory.submitted_directory = 'inbox'\n"
    )
    loaded = Course(course.root)
    assert loaded.exchange_root == tmp_path / "ex"
    assert loaded.db_url.startswith("postgresql://")
    assert loaded.submitted_dir == course.root / "inbox"
    config = loaded.nbgrader_config()
    assert config.CourseDirectory.root == str(course.root)
    assert config.CourseDirectory.submitted_directory == "inbox"


def test_unknown_assignment_lists_the_known_ones(course):
    with pytest.raises(CourseError, match=r"no such assignment \(assignments of this course: tiny\)"):
        course.source_notebooks("cnn")
    with pytest.raises(CourseError, match="not a valid assignment name"):
        course.source_notebooks("../tiny")


def test_submissions_with_timestamps(course):
    _submit(course, "alice")
    _submit(course, "bob", timestamp="2026-03-01 13:30:00 +0100")
    _submit(course, "carol", timestamp=None)
    _submit(course, "dave", timestamp="yesterday-ish")
    (course.submitted_dir / "notes.txt").write_text("not a student")
    (course.submitted_dir / "eve").symlink_to(course.submitted_dir / "alice")
    subs = {s.student: s for s in course.submissions("tiny")}
    assert sorted(subs) == ["alice", "bob", "carol", "dave"]
    assert subs["alice"].timestamp == datetime(2026, 3, 1, 12, 0)
    assert subs["bob"].timestamp == datetime(2026, 3, 1, 12, 30)
    assert subs["alice"].notebooks == {"tiny": course.submitted_dir / "alice" / "tiny" / "tiny.ipynb"}
    assert subs["carol"].timestamp is None and subs["carol"].problems == ()
    assert subs["dave"].timestamp is None and "not a time" in subs["dave"].problems[0]
    assert [s.student for s in course.submissions("tiny", student="bob")] == ["bob"]


def test_symlinked_notebook_is_left_out(course, tmp_path):
    directory = _submit(course, "mallory")
    (directory / "tiny.ipynb").unlink()
    (directory / "tiny.ipynb").symlink_to(course.source_notebooks("tiny")[0])
    sub = course.submission("tiny", "mallory")
    assert sub.notebooks == {}
    assert sub.problems == ("tiny.ipynb is a symbolic link and was ignored",)


def test_timestamps_parse_like_nbgrader():
    assert parse_timestamp("2026-03-01 12:00:00.123456 UTC") == datetime(2026, 3, 1, 12, 0, 0, 123456)
    assert parse_timestamp("2026-03-01 12:00:00 UTC") == datetime(2026, 3, 1, 12, 0, 0)
    assert parse_timestamp("2026-03-01T12:00:00 UTC") == datetime(2026, 3, 1, 12, 0, 0)  # nbgrader's way
    assert parse_timestamp("2026-03-01 12:00:00 America/New_York") == datetime(2026, 3, 1, 17, 0)
    assert parse_timestamp(format_timestamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))) == datetime(
        2026, 1, 2, 3, 4, 5
    )
    with pytest.raises(ValueError, match="not a time"):
        parse_timestamp("soon")


def test_duedate_from_config(course):
    assert course.duedate("tiny") is None
    text = course.config_file.read_text()
    course.config_file.write_text(text + "c.Dlgrade.duedates = {'tiny': '2026-03-01 23:59:00 +0200'}\n")
    assert Course(course.root).duedate("tiny") == datetime(2026, 3, 1, 21, 59)
    course.config_file.write_text(text + "c.Dlgrade.duedates = {'tiny': 'whenever'}\n")
    with pytest.raises(CourseError, match="due date of tiny"):
        Course(course.root).duedate("tiny")


def test_duedate_from_nbgraders_gradebook_when_the_config_has_none(course):
    from nbgrader.api import Gradebook

    ensure_alembic_on_path()
    with Gradebook(course.db_url, "dl101") as gb:
        gb.update_or_create_assignment("tiny", duedate="2026-04-01 10:00:00 UTC")
        gb.update_or_create_assignment("other", duedate="2026-05-01 10:00:00 UTC")
    assert Course(course.root).duedate("tiny") == datetime(2026, 4, 1, 10, 0)
    assert Course(course.root).duedate("nope") is None
    text = course.config_file.read_text()
    course.config_file.write_text(text + "c.Dlgrade.duedates = {'tiny': '2026-03-01 00:00:00 UTC'}\n")
    assert Course(course.root).duedate("tiny") == datetime(2026, 3, 1, 0, 0)
    assert Course(course.root).duedate("other") == datetime(2026, 5, 1, 10, 0)


def test_late_policy_from_config(course):
    text = course.config_file.read_text()
    assert course.late_policy() == LatePolicy("none", 0.0)
    course.config_file.write_text(text + "c.LateSubmissionPlugin.penalty_method = 'zero'\n")
    assert Course(course.root).late_policy() == LatePolicy("zero", 0.0)
    course.config_file.write_text(
        text + "c.Dlgrade.late_policy = 'subtract per hour'\nc.Dlgrade.late_points_per_hour = 0.5\n"
    )
    assert Course(course.root).late_policy() == LatePolicy("subtract per hour", 0.5)
    course.config_file.write_text(text + "c.Dlgrade.late_policy = 'halve'\n")
    with pytest.raises(CourseError, match="unknown late policy 'halve'"):
        Course(course.root).late_policy()
    course.config_file.write_text(text + "c.Dlgrade.late_policy = 'subtract per hour'\n")
    with pytest.raises(CourseError, match=r"needs c\.Dlgrade\.late_points_per_hour"):
        Course(course.root).late_policy()


DUE = datetime(2026, 3, 1, 12, 0)


@pytest.mark.parametrize(
    ("submitted", "policy", "score", "expected"),
    [
        (DUE - timedelta(seconds=1), LatePolicy("zero"), 5.0, 0.0),
        (DUE, LatePolicy("zero"), 5.0, 0.0),
        (DUE + timedelta(seconds=1), LatePolicy("none"), 5.0, 0.0),
        (DUE + timedelta(seconds=1), LatePolicy("zero"), 5.0, 5.0),
        (DUE + timedelta(seconds=1), LatePolicy("subtract per hour", 1.0), 5.0, 1.0),
        (DUE + timedelta(hours=1), LatePolicy("subtract per hour", 1.0), 5.0, 1.0),
        (DUE + timedelta(hours=2, minutes=1), LatePolicy("subtract per hour", 0.5), 5.0, 1.5),
        (DUE + timedelta(days=3), LatePolicy("subtract per hour", 1.0), 5.0, 5.0),  # capped at the score
        (DUE + timedelta(days=3), LatePolicy("zero"), 0.0, 0.0),
        (None, LatePolicy("zero"), 5.0, 0.0),
    ],
)
def test_late_penalty_policies(submitted, policy, score, expected):
    assert compute_late_penalty(submitted, DUE, policy, score) == pytest.approx(expected)


def test_late_penalty_compares_in_utc():
    paris = timezone(timedelta(hours=1))
    on_time = datetime(2026, 3, 1, 12, 30, tzinfo=paris)  # 11:30 UTC
    assert compute_late_penalty(on_time, DUE, LatePolicy("zero"), 3.0) == 0.0
    assert (
        compute_late_penalty(on_time, DUE.replace(tzinfo=UTC) - timedelta(hours=1), LatePolicy("zero"), 3.0)
        == 3.0
    )
    assert compute_late_penalty(DUE + timedelta(hours=1), None, LatePolicy("zero"), 3.0) == 0.0


def test_late_penalty_of_a_result(course):
    text = course.config_file.read_text()
    course.config_file.write_text(
        text + "c.Dlgrade.duedates = {'tiny': '2026-03-01 12:00:00 UTC'}\n"
        "c.Dlgrade.late_policy = 'subtract per hour'\nc.Dlgrade.late_points_per_hour = 1.0\n"
    )
    cells = (
        GradeCellResult("tiny", "test_double", 2.0, 2.0),
        GradeCellResult("tiny", "test_halve", 0.5, 1.0),
    )
    result = SubmissionResult("tiny", "alice", "graded", "x", cells, submitted_at=DUE + timedelta(minutes=90))
    assert late_penalty(Course(course.root), "tiny", result) == 2.0


def test_metadata_is_read_and_checked_when_asked_for(course):
    assert course.metadata("empty") is None  # none shipped: the default budgets apply
    with pytest.raises(MetadataError) as info:
        course.metadata("tiny")  # the fixture's file has only a title
    assert str(course.metadata_file("tiny")) in str(info.value) and info.value.field is not None
