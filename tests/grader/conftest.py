"""Fixtures for the grader tests: a fresh gradebook database on each backend.

``db_url`` runs a test twice: on a new SQLite file and on a new PostgreSQL database (created on the
server at ``DLGRADE_TEST_POSTGRES``, default ``postgresql://postgres@127.0.0.1:5432/postgres``, and
dropped afterwards). Without a reachable server the PostgreSQL half is skipped with the reason, or
FAILS when ``CI=true``: CI must prove both backends.

Test modules under tests/grader get ``db_url`` automatically. Elsewhere, re-export it from that
directory's conftest (or the module)::

    from tests.grader.conftest import db_url  # noqa: F401

or build databases directly with :func:`sqlite_url` and :func:`postgres_database`.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from grader.dbmodels import resolve_url
from grader.records import (
    AssignmentSpec,
    CaseResult,
    GradeCellResult,
    GradeCellSpec,
    NotebookSpec,
    SourceCellSpec,
    SubmissionResult,
    SubmissionStatus,
)
from tests.services import unavailable

POSTGRES_ADMIN_URL = os.environ.get("DLGRADE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
"""A PostgreSQL database where the tests may run CREATE/DROP DATABASE (trust auth on these machines)."""

BACKENDS = ("sqlite", "postgresql")


def sqlite_url(directory: Path) -> str:
    """The URL of a new (not yet created) SQLite gradebook file in ``directory``."""
    return f"sqlite:///{directory / 'gradebook.db'}"


def _admin_engine() -> Engine:
    # AUTOCOMMIT: CREATE/DROP DATABASE cannot run inside a transaction.
    url = resolve_url(POSTGRES_ADMIN_URL)
    return create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


@functools.cache
def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None if it can (checked once per session)."""
    try:
        engine = _admin_engine()
    except ImportError as exc:
        return f"no PostgreSQL driver is installed ({exc})"
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        detail = " ".join(str(getattr(exc, "orig", exc)).split())
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable: {detail}"
    finally:
        engine.dispose()
    return None


def require_postgres() -> None:
    """Skip the calling test without PostgreSQL, or fail it when running in CI."""
    reason = postgres_unavailable()
    if reason is not None:
        unavailable(f"PostgreSQL for the gradebook tests: {reason}")


@contextmanager
def postgres_database(prefix: str = "dlgrade_test") -> Iterator[str]:
    """A new, uniquely named PostgreSQL database for the duration of the block; yields its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                # FORCE ends connections a failed test left open, so the database never lingers.
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    require_postgres()
    with postgres_database() as url:
        yield url


# ---------------------------------------------------------------- gradebook test data

DUE = datetime(2025, 3, 1, 12, 0, 0)

CELL_POINTS = {
    ("part1", "linear_forward"): 2.0,
    ("part1", "L_model_forward"): 3.0,
    ("part1", "explain"): 1.0,  # a markdown grade cell: graded by hand in the formgrader
    ("part2", "update_parameters"): 4.0,
}


def gradebook_spec(
    name: str = "deep_network", *, points: dict[tuple[str, str], float] | None = None
) -> AssignmentSpec:
    """A two-notebook assignment with code and markdown grade cells, solution and locked cells."""
    points = CELL_POINTS if points is None else points
    notebooks = []
    for nb_name in sorted({nb for nb, _ in points}):
        grades = tuple(
            GradeCellSpec(gid, pts, "markdown" if gid == "explain" else "code")
            for (nb, gid), pts in points.items()
            if nb == nb_name
        )
        sources = (
            SourceCellSpec(
                f"{nb_name}_imports", "code", "import numpy as np", f"sum-{nb_name}-i", True, False
            ),
            SourceCellSpec(
                f"{nb_name}_solution", "code", "# YOUR CODE HERE", f"sum-{nb_name}-s", False, True
            ),
            *(
                SourceCellSpec(
                    g.grade_id, g.cell_type, f"check({g.grade_id!r})", f"sum-{g.grade_id}", True, False
                )
                for g in grades
            ),
        )
        notebooks.append(NotebookSpec(nb_name, grades, sources))
    return AssignmentSpec(name, tuple(notebooks), duedate=DUE)


def submission(
    student: str,
    scores: dict[str, float],
    *,
    assignment: str = "deep_network",
    checksum: str | None = None,
    status: SubmissionStatus = "graded",
    late_penalty: float = 0.0,
    submitted_at: datetime | None = DUE - timedelta(hours=1),
    cases_per_cell: int = 3,
    message: str = "",
) -> SubmissionResult:
    """A result scoring the cells named in ``scores`` (grade id -> points), with passing/failing cases."""
    cells = []
    for (nb, gid), points in CELL_POINTS.items():
        if gid not in scores:
            continue
        score = scores[gid]
        n_pass = round(cases_per_cell * score / points)
        cases = tuple(
            CaseResult(
                f"deep_network.{gid}",
                i,
                "deep" if i % 2 else "shallow",
                i < n_pass,
                "" if i < n_pass else "wrong shape",
            )
            for i in range(cases_per_cell)
        )
        cells.append(
            GradeCellResult(nb, gid, score, points, cases, f"{n_pass}/{cases_per_cell} cases passed")
        )
    return SubmissionResult(
        assignment=assignment,
        student=student,
        status=status,
        checksum=checksum or f"sha-{student}-{sorted(scores.items())}",
        cells=tuple(cells),
        message=message,
        submitted_at=submitted_at,
        late_penalty=late_penalty,
        wall_seconds=1.25,
        log="ran 12 cells\n",
    )
