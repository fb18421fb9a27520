"""Release through nbgrader, fetch and submit as students, collect; import LMS folders and zips safely."""

from __future__ import annotations

import json
import os
import shutil
import stat
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from grader.collect import CollectError, collect_assignment
from grader.course import NBGRADER_LOG, Course, CourseError, init_course
from grader.lms_import import ImportLimits, SubmissionImportError, import_submissions, sanitise_student_id
from grader.notebook import SourceNotebookError, load_source, read_notebook, reconcile
from grader.release import release_assignment
from tests.grader.data.notebooks import ANSWERS, TINY, load_json, student_copy, write


@pytest.fixture
def course(tmp_path: Path) -> Course:
    assignments = tmp_path / "assignments"
    (assignments / "tiny").mkdir(parents=True)
    shutil.copy(TINY, assignments / "tiny" / "tiny.ipynb")
    return init_course(tmp_path / "course", "dl101", assignments, exchange=tmp_path / "exchange")


def _files_outside(root: Path, inside: Path) -> set[str]:
    """Every path under ``root`` that is not under ``inside``, for 'nothing written elsewhere' checks."""
    return {str(p) for p in root.rglob("*") if not p.is_relative_to(inside)}


# --- release ---------------------------------------------------------------------------------


def test_release_removes_solutions_and_hidden_tests_and_publishes(course):
    released = release_assignment(course, "tiny")
    assert released == course.release_dir / "tiny"
    text = (released / "tiny.ipynb").read_text()
    assert "SCALE * x" not in text and "x / 2" not in text, "solutions removed"
    assert "double(21)" not in text and "isclose" not in text, "hidden tests removed"
    assert "BEGIN" not in text
    nb = json.loads(text)
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader")
        if meta and (meta["grade"] or meta["solution"] or meta["locked"]):
            assert len(meta["checksum"]) == 32
    assert "assert double(1) == 2" in text, "public tests stay"
    outbound = course.exchange_root / "dl101" / "outbound" / "tiny" / "tiny.ipynb"
    assert outbound.read_text() == text
    # nbgrader's gradebook knows the assignment and its graded cells.
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, "dl101") as gb:
        notebook = gb.find_notebook("tiny", "tiny")
        assert sorted(c.name for c in notebook.grade_cells) == ["test_double", "test_halve"]
        assert notebook.max_score == 3.0
    # Releasing again replaces the earlier release.
    assert release_assignment(course, "tiny") == released


def test_release_without_exchange(course):
    shutil.rmtree(course.exchange_root)
    assert release_assignment(course, "tiny").is_dir()
    with pytest.raises(CourseError, match=r"exchange .* does not exist"):
        release_assignment(course, "tiny", publish_to_exchange=True)


def test_release_refuses_broken_sources(course):
    nb = load_json()
    nb["cells"][3]["source"] = "### BEGIN SOLUTION\nx = 1"
    write(course.source_dir / "tiny" / "tiny.ipynb", nb)
    with pytest.raises(SourceNotebookError, match="malformed solution region"):
        release_assignment(course, "tiny")
    with pytest.raises(CourseError, match="no such assignment"):
        release_assignment(course, "cnn")


# --- the exchange, as students use it ----------------------------------------------------------


def _student_config(course: Course, student: str, home: Path) -> Config:
    config = course.nbgrader_config()
    config.CourseDirectory.root = str(home)
    config.CourseDirectory.student_id = student
    config.CourseDirectory.assignment_id = "tiny"
    config.Exchange.assignment_dir = str(home)
    config.Exchange.cache = str(home / ".cache")
    return config


def _fetch_and_submit(course: Course, student: str, home: Path, answers: dict[str, str]) -> None:
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeSubmit

    home.mkdir(parents=True, exist_ok=True)
    config = _student_config(course, student, home)

    def run(app_class: Any) -> None:
        coursedir = CourseDirectory(config=config, log=NBGRADER_LOG)
        app = app_class(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
        app.log = NBGRADER_LOG
        app.start()

    if not (home / "tiny").exists():
        run(ExchangeFetchAssignment)
    path = home / "tiny" / "tiny.ipynb"
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    path.write_text(json.dumps(nb))
    run(ExchangeSubmit)


def test_fetch_submit_collect_and_resubmit(course, tmp_path):
    release_assignment(course, "tiny")
    _fetch_and_submit(course, "alice", tmp_path / "alice", ANSWERS)
    _fetch_and_submit(course, "bob", tmp_path / "bob", {"double": "def double(x):\n    return x"})
    assert collect_assignment(course, "tiny") == ["alice", "bob"]
    alice = course.submission("tiny", "alice")
    assert alice.notebooks == {"tiny": course.submitted_dir / "alice" / "tiny" / "tiny.ipynb"}
    assert (alice.directory / "timestamp.txt").is_file() and isinstance(alice.timestamp, datetime)
    # The collected notebook reconciles with the source: the answers run, the given code is the source's.
    path = alice.notebooks["tiny"]
    runs = reconcile(load_source(course.source_notebooks("tiny")[0]), read_notebook(path), path).cells
    assert [c.source for c in runs][1] == ANSWERS["double"]
    # Nothing new: nothing collected; a resubmission replaces the earlier one.
    assert collect_assignment(course, "tiny") == []
    _fetch_and_submit(course, "alice", tmp_path / "alice", {"double": "def double(x):\n    return 2.0 * x"})
    assert collect_assignment(course, "tiny") == ["alice"]
    assert "2.0 * x" in course.submission("tiny", "alice").notebooks["tiny"].read_text()


def test_collect_ignores_hostile_exchange_entries(course, tmp_path):
    release_assignment(course, "tiny")
    _fetch_and_submit(course, "alice", tmp_path / "alice", ANSWERS)
    inbound = course.exchange_root / "dl101" / "inbound"
    stamp = "2026-01-01 00:00:00.000000 UTC"
    for name in (f"..+tiny+{stamp}+x", f".hidden+tiny+{stamp}+y", "carol+tiny+not a time+z"):
        write(inbound / name / "tiny.ipynb", student_copy())
    (inbound / f"dave+tiny+{stamp}+w").write_text("a file, not a folder")
    mallory = inbound / f"mallory+tiny+{stamp}+v"
    write(mallory / "tiny.ipynb", student_copy())
    (mallory / "solution.ipynb").symlink_to(course.source_notebooks("tiny")[0])
    (mallory / "source").symlink_to(course.source_dir)
    before = _files_outside(tmp_path, course.submitted_dir)
    assert collect_assignment(course, "tiny") == ["alice", "mallory"]
    assert _files_outside(tmp_path, course.submitted_dir) == before
    assert sorted(p.name for p in (course.submitted_dir / "mallory" / "tiny").iterdir()) == [
        "timestamp.txt",
        "tiny.ipynb",
    ]
    assert not (course.root / "tiny").exists()


def test_collect_needs_the_exchange(course):
    with pytest.raises(CollectError, match=r"collect tiny: Course not found: .*dl101/inbound"):
        collect_assignment(course, "tiny")  # nothing was ever released or submitted
    shutil.rmtree(course.exchange_root)
    with pytest.raises(CourseError, match=r"the exchange .* does not exist"):
        collect_assignment(course, "tiny")


# --- importing LMS downloads --------------------------------------------------------------------


def _nb_bytes(answer: str = "def double(x):\n    return 2 * x") -> bytes:
    return json.dumps(student_copy({"double": answer, "halve": ANSWERS["halve"]})).encode()


def _zip(path: Path, entries: dict[str, bytes], **infos: zipfile.ZipInfo) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 3, 1, 12, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        for info in infos.values():
            archive.writestr(info, b"x")
    return path


def _imported(report: Any) -> dict[str, str]:
    return {f"{i.student}/{i.notebook}": i.entry for i in report.imported}


def test_import_folder_of_student_files(course, tmp_path):
    folder = tmp_path / "download"
    write(folder / "alice.ipynb", json.loads(_nb_bytes()))
    write(folder / "bob" / "my work" / "whatever.ipynb", json.loads(_nb_bytes()))
    (folder / "notes.pdf").write_bytes(b"%PDF")
    write(folder / ".ipynb_checkpoints" / "alice-checkpoint.ipynb", {})
    report = import_submissions(course, "tiny", folder)
    assert _imported(report) == {"alice/tiny": "alice.ipynb", "bob/tiny": "bob/my work/whatever.ipynb"}
    assert {str(s) for s in report.skipped} == {
        "notes.pdf: is not a notebook (.ipynb)",
        ".ipynb_checkpoints/: is a hidden or system folder",
    }
    alice = course.submission("tiny", "alice")
    assert alice.notebooks["tiny"].read_bytes() == (folder / "alice.ipynb").read_bytes()
    mtime = datetime.fromtimestamp((folder / "alice.ipynb").stat().st_mtime, UTC).replace(tzinfo=None)
    assert abs((alice.timestamp - mtime).total_seconds()) < 1e-3


def test_import_canvas_zip(course, tmp_path):
    archive = _zip(
        tmp_path / "canvas.zip",
        {
            "doejane_12345_67890_tiny.ipynb": _nb_bytes(),
            "smithjohn_LATE_222_333_tiny-1.ipynb": _nb_bytes(),
            "leeann_444_555_Untitled.ipynb": _nb_bytes(),
        },
    )
    report = import_submissions(course, "tiny", archive)
    assert set(_imported(report)) == {"doejane/tiny", "smithjohn/tiny", "leeann/tiny"}
    assert course.submission("tiny", "doejane").timestamp == datetime(2026, 3, 1, 12, 0)
    assert (course.submitted_dir / "doejane" / "tiny" / "timestamp.txt").read_text().endswith("UTC")


def test_import_moodle_files_and_folders(course, tmp_path):
    archive = _zip(
        tmp_path / "moodle.zip",
        {
            "Jane Doe_101_assignsubmission_file_tiny.ipynb": _nb_bytes(),
            "José Núñez_102_assignsubmission_file_/tiny.ipynb": _nb_bytes(),
        },
    )
    report = import_submissions(course, "tiny", archive)
    assert set(_imported(report)) == {"Jane_Doe/tiny", "Jose_Nunez/tiny"}


def test_import_with_a_pattern(course, tmp_path):
    archive = _zip(tmp_path / "moodle.zip", {"Jane Doe_101_assignsubmission_file_tiny.ipynb": _nb_bytes()})
    report = import_submissions(course, "tiny", archive, pattern=r"_(?P<student>\d+)_assignsubmission")
    assert set(_imported(report)) == {"101/tiny"}
    with pytest.raises(SubmissionImportError, match="no \\(\\?P<student>"):
        import_submissions(course, "tiny", archive, pattern=r"(\d+)")
    with pytest.raises(SubmissionImportError, match="not a regular expression"):
        import_submissions(course, "tiny", archive, pattern=r"(?P<student>")


def test_hostile_zip_entries_are_skipped_and_nothing_escapes(course, tmp_path):
    link = zipfile.ZipInfo("linky.ipynb")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    link_dir = zipfile.ZipInfo("eve/tiny.ipynb")
    link_dir.external_attr = (stat.S_IFLNK | 0o777) << 16
    fifo = zipfile.ZipInfo("fifo.ipynb")
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    archive = _zip(
        tmp_path / "evil.zip",
        {
            "alice.ipynb": _nb_bytes(),
            "../escape.ipynb": _nb_bytes(),
            "x/../../escape2.ipynb": _nb_bytes(),
            "/abs.ipynb": _nb_bytes(),
            "C:\\Users\\x.ipynb": _nb_bytes(),
            "..\\win.ipynb": _nb_bytes(),
            "bob.py": b"print(1)",
            "__MACOSX/._alice.ipynb": b"junk",
        },
        link=link,
        link_dir=link_dir,
        fifo=fifo,
    )
    before = _files_outside(tmp_path, course.submitted_dir)
    report = import_submissions(course, "tiny", archive)
    assert _files_outside(tmp_path, course.submitted_dir) == before
    assert set(_imported(report)) == {"alice/tiny"}
    reasons = {s.entry: s.reason for s in report.skipped}
    assert reasons["../escape.ipynb"] == "has '..' in its path (path traversal)"
    assert reasons["x/../../escape2.ipynb"] == "has '..' in its path (path traversal)"
    assert reasons["..\\win.ipynb"] == "has '..' in its path (path traversal)"
    assert reasons["/abs.ipynb"] == "has an absolute path"
    assert reasons["C:\\Users\\x.ipynb"] == "has an absolute path"
    assert reasons["linky.ipynb"] == reasons["eve/tiny.ipynb"] == "is a symbolic link"
    assert reasons["fifo.ipynb"] == "is not a regular file"
    assert reasons["bob.py"] == "is not a notebook (.ipynb)"
    assert reasons["1 hidden or system file(s)"].startswith("ignored (__MACOSX")
    assert sorted(p.name for p in course.submitted_dir.iterdir()) == ["alice"]


def test_zip_bombs(course, tmp_path):
    zeros = b" " * (21 * 1024**2)
    big = _zip(tmp_path / "big.zip", {"alice.ipynb": _nb_bytes(), "bob.ipynb": zeros})
    report = import_submissions(course, "tiny", big, limits=ImportLimits(max_notebook_bytes=20 * 1024**2))
    assert set(_imported(report)) == {"alice/tiny"}
    assert "more than 20 MB" in {s.entry: s.reason for s in report.skipped}["bob.ipynb"]
    dense = _zip(tmp_path / "dense.zip", {"carol.ipynb": b" " * (2 * 1024**2)})
    (skip,) = import_submissions(course, "tiny", dense).skipped
    assert "(a zip bomb?)" in skip.reason and "compresses" in skip.reason
    limits = ImportLimits(max_total_bytes=3 * 1024**2)
    with pytest.raises(SubmissionImportError, match=r"would unpack to 21 MB, more than the 3 MB limit"):
        import_submissions(course, "tiny", big, limits=limits)
    with pytest.raises(SubmissionImportError, match="has 2 entries, more than 1"):
        import_submissions(course, "tiny", big, limits=ImportLimits(max_entries=1))


def test_entry_that_lies_about_its_size(course, tmp_path):
    archive = _zip(tmp_path / "liar.zip", {"alice.ipynb": b"{" + b" " * 5000 + b"}"})
    data = bytearray(archive.read_bytes())
    # Declare 10 bytes in both headers: reading must stop there and the CRC check must fail.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature)
        data[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    (skip,) = import_submissions(course, "tiny", archive).skipped
    assert skip.entry == "alice.ipynb" and "cannot be unpacked" in skip.reason


def test_folder_symlinks_are_skipped(course, tmp_path):
    folder = tmp_path / "download"
    write(folder / "alice.ipynb", json.loads(_nb_bytes()))
    (folder / "bob.ipynb").symlink_to(course.source_notebooks("tiny")[0])
    (folder / "carol").symlink_to(course.source_dir / "tiny")
    os.mkfifo(folder / "dave.ipynb")
    report = import_submissions(course, "tiny", folder)
    assert set(_imported(report)) == {"alice/tiny"}
    assert {str(s) for s in report.skipped} == {
        "bob.ipynb: is a symbolic link",
        "carol/: is a symbolic link",
        "dave.ipynb: is not a regular file",
    }
    (tmp_path / "link").symlink_to(folder)
    with pytest.raises(SubmissionImportError, match="is a symbolic link"):
        import_submissions(course, "tiny", tmp_path / "link")


def test_student_ids_are_sanitised():
    assert sanitise_student_id("José Núñez") == "Jose_Nunez"
    assert sanitise_student_id("..") == ""
    assert sanitise_student_id(".hidden") == "hidden"
    assert sanitise_student_id("a/b\\c+d*e") == "a_b_c_d_e"
    assert sanitise_student_id("x" * 100) == "x" * 64
    assert sanitise_student_id("李雷") == ""


def test_unusable_ids_conflicts_and_duplicates(course, tmp_path):
    folder = tmp_path / "download"
    write(folder / "李雷.ipynb", json.loads(_nb_bytes()))
    # Two Canvas users with the same name part are refused rather than merged.
    write(folder / "leeann_1_10_tiny.ipynb", json.loads(_nb_bytes()))
    write(folder / "leeann_2_20_tiny.ipynb", json.loads(_nb_bytes()))
    # One student, two files: the exact notebook name wins over another name.
    write(folder / "zoe" / "tiny.ipynb", json.loads(_nb_bytes("def double(x):\n    return 'exact'")))
    write(folder / "zoe" / "scratch.ipynb", json.loads(_nb_bytes()))
    report = import_submissions(course, "tiny", folder)
    assert _imported(report) == {"zoe/tiny": "zoe/tiny.ipynb"}
    reasons = {s.entry: s.reason for s in report.skipped}
    assert reasons["李雷.ipynb"].startswith("gives no usable student id")
    assert "several LMS users (ids 1, 2)" in reasons["leeann_1_10_tiny.ipynb"]
    assert reasons["zoe/scratch.ipynb"] == "zoe/tiny.ipynb is also zoe/tiny.ipynb and was kept"
    assert "exact" in course.submission("tiny", "zoe").notebooks["tiny"].read_text()


def test_reimport_replaces_the_earlier_submission(course, tmp_path):
    first = _zip(tmp_path / "one.zip", {"alice.ipynb": _nb_bytes("def double(x):\n    return 1")})
    import_submissions(course, "tiny", first)
    (course.submitted_dir / "alice" / "tiny" / "stale.ipynb").write_text("{}")
    second = _zip(tmp_path / "two.zip", {"alice.ipynb": _nb_bytes("def double(x):\n    return 2")})
    when = datetime(2026, 5, 1, 8, 0)
    import_submissions(course, "tiny", second, timestamp=when)
    alice = course.submission("tiny", "alice")
    assert list(alice.notebooks) == ["tiny"] and "return 2" in alice.notebooks["tiny"].read_text()
    assert alice.timestamp == when


def test_wrapper_folder_and_multi_notebook_assignments(course, tmp_path):
    archive = _zip(tmp_path / "wrapped.zip", {"hw/alice.ipynb": _nb_bytes(), "hw/bob.ipynb": _nb_bytes()})
    assert set(_imported(import_submissions(course, "tiny", archive))) == {"alice/tiny", "bob/tiny"}
    # An assignment of two notebooks needs the notebook's name.
    write(course.source_dir / "pair" / "part1.ipynb", load_json())
    write(course.source_dir / "pair" / "part2.ipynb", load_json())
    archive = _zip(
        tmp_path / "pair.zip",
        {
            "alice/part1.ipynb": _nb_bytes(),
            "alice/part2 (1).ipynb": _nb_bytes(),
            "bob.ipynb": _nb_bytes(),
            "carol/notes.ipynb": _nb_bytes(),
        },
    )
    report = import_submissions(course, "pair", archive)
    assert set(_imported(report)) == {"alice/part1", "alice/part2"}
    reasons = {s.entry: s.reason for s in report.skipped}
    assert reasons["bob.ipynb"].startswith("cannot tell which notebook it is")
    assert reasons["carol/notes.ipynb"] == "is not a notebook of the assignment (part1, part2)"


def test_import_refusals(course, tmp_path):
    with pytest.raises(SubmissionImportError, match="does not exist"):
        import_submissions(course, "tiny", tmp_path / "nothing.zip")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SubmissionImportError, match="neither a folder nor a zip archive"):
        import_submissions(course, "tiny", tmp_path / "notes.txt")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(_zip(tmp_path / "ok.zip", {"a.ipynb": _nb_bytes()}).read_bytes()[:-30] + b"\0" * 30)
    with pytest.raises(SubmissionImportError):
        import_submissions(course, "tiny", broken)
    course.submitted_dir.mkdir()
    with pytest.raises(SubmissionImportError, match="is inside"):
        import_submissions(course, "tiny", course.submitted_dir)
    with pytest.raises(CourseError, match="no such assignment"):
        import_submissions(course, "cnn", tmp_path)
    single = write(tmp_path / "alice.ipynb", json.loads(_nb_bytes()))
    with pytest.raises(SubmissionImportError, match="neither a folder nor a zip archive"):
        import_submissions(course, "tiny", single)


def test_imported_files_are_graded_as_invalid_not_rejected(course, tmp_path):
    """A corrupt notebook is still imported: grading then reports it, naming the file."""
    archive = _zip(tmp_path / "bad.zip", {"alice.ipynb": b'{"nbformat": 4, "cells": [}'})
    import_submissions(course, "tiny", archive)
    path = course.submission("tiny", "alice").notebooks["tiny"]
    with pytest.raises(Exception, match=r"alice/tiny/tiny.ipynb: is not valid JSON"):
        read_notebook(path)


def test_nbgrader_failures_are_summarised():
    from grader.course import nbgrader_failure

    logged = {"log": "[INFO] start\n[ERROR] There was an error processing tiny\n", "error": "X: see the log"}
    assert nbgrader_failure(logged) == "There was an error processing tiny"
    raised = {"error": "Traceback\n  ...\nnbgrader.exchange.abc.exchange.ExchangeError: Course not found: /x"}
    assert nbgrader_failure(raised) == "Course not found: /x"
    assert nbgrader_failure({}) == "nbgrader reported a failure without a message"
