"""What a grading run may skip: the checksum of each student's recorded submission, read early.

A run skips a submission whose recorded result came from the same files, so it must know what is
recorded before it starts any job. Opening the gradebook writer for that loads SQLAlchemy and
nbgrader's schema (half a second); for the default SQLite gradebook this module reads the one
table it needs with the standard library instead, so the first jobs start while the writer is
opened. Other databases are read by the writer (GradebookWriter.graded).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

# grader/dbmodels.py: SubmissionRecord (tests/grader/test_resume.py keeps the two in step).
RESULTS_TABLE = "dlgrade_submission_results"
_BUSY_SECONDS = 30.0


def sqlite_file(db_url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL, or None for any other URL."""
    prefix = "sqlite:///"
    if not db_url.startswith(prefix):
        return None
    database = db_url.removeprefix(prefix)
    if not database or database == ":memory:" or "?" in database or database.startswith("file:"):
        return None
    return Path(database)


def recorded_checksums(db_url: str, assignment: str) -> dict[str, str] | None:
    """Student -> checksum of the submission whose result is recorded for ``assignment``.

    Empty when the SQLite file or dlgrade's tables do not exist yet; None when the gradebook is
    not a plain SQLite file or cannot be read here (then ask GradebookWriter.graded, which also
    reports the problem properly).
    """
    path = sqlite_file(db_url)
    if path is None or not path.parent.is_dir():
        return None  # the writer explains a gradebook in a missing folder, before any job runs
    if not path.exists():
        return {}
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=_BUSY_SECONDS)
    except sqlite3.Error:
        return None
    try:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (RESULTS_TABLE,)
        ).fetchone()
        if found is None:
            return {}
        rows = connection.execute(
            f"SELECT student, checksum FROM {RESULTS_TABLE} WHERE assignment = ?", (assignment,)
        ).fetchall()
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    return {str(student): str(checksum) for student, checksum in rows}
