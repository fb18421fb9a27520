"""The early read of what is already graded agrees with the gradebook writer's, or defers to it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from grader.dbmodels import SubmissionRecord
from grader.gradebook import GradebookWriter
from grader.resume import RESULTS_TABLE, recorded_checksums, sqlite_file
from tests.grader.conftest import gradebook_spec, submission


def test_the_table_is_the_writers():
    assert SubmissionRecord.__tablename__ == RESULTS_TABLE
    columns = set(SubmissionRecord.__table__.columns.keys())
    assert {"assignment", "student", "checksum"} <= columns


def test_it_reads_what_the_writer_recorded(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with GradebookWriter(url, course_id="c") as writer:
        writer.sync_assignment(gradebook_spec())
        run = writer.start_run("deep_network", seed=1, workers=1)
        writer.record(run, submission("ana", {}, checksum="c-ana"))
        writer.record(run, submission("ben", {}, checksum="c-ben", status="invalid", message="not JSON"))
        writer.record(run, submission("ana", {}, checksum="c-ana-2"))  # a resubmission replaces it
        assert recorded_checksums(url, "deep_network") == writer.graded("deep_network")
    assert recorded_checksums(url, "deep_network") == {"ana": "c-ana-2", "ben": "c-ben"}
    assert recorded_checksums(url, "other") == {}


def test_a_new_or_foreign_sqlite_file_has_nothing_recorded(tmp_path: Path):
    assert recorded_checksums(f"sqlite:///{tmp_path / 'missing.db'}", "a") == {}
    assert not (tmp_path / "missing.db").exists(), "the read created a gradebook"
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    assert recorded_checksums(f"sqlite:///{other}", "a") == {}


def test_what_it_cannot_read_it_leaves_to_the_writer(tmp_path: Path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    assert recorded_checksums(f"sqlite:///{garbage}", "a") is None
    missing_folder = f"sqlite:///{tmp_path / 'no' / 'gradebook.db'}"
    for url in (
        "postgresql://u@127.0.0.1/db",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///x.db?mode=ro",
        missing_folder,
    ):
        assert recorded_checksums(url, "a") is None, url


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////abs/gradebook.db", Path("/abs/gradebook.db")),
        ("sqlite:///relative.db", Path("relative.db")),
        ("sqlite+pysqlite:///x.db", None),
        ("mysql://h/db", None),
    ],
)
def test_sqlite_file(url: str, path: Path | None):
    assert sqlite_file(url) == path
