"""GradebookWriter on real SQLite and PostgreSQL databases, checked through nbgrader's own API."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbgrader.api as nbapi
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from grader import __version__
from grader.dbmodels import (
    DLGRADE_TABLES,
    LOG_LIMIT,
    MESSAGE_LIMIT,
    Base,
    CaseRecord,
    CellRecord,
    GradebookUnavailableError,
    GradingRun,
    SubmissionRecord,
    resolve_url,
)
from grader.export import export_rows
from grader.gradebook import (
    AssignmentChangedError,
    GradebookWriter,
    InvalidResultError,
    InvalidSpecError,
    UnknownAssignmentError,
    UnknownGradeCellError,
    UnknownRunError,
    nbgrader_schema_revision,
    put_interpreter_on_path,
)
from grader.records import GradeCellResult
from tests.grader.conftest import CELL_POINTS, DUE, gradebook_spec, submission

FULL = {"linear_forward": 2.0, "L_model_forward": 3.0, "update_parameters": 4.0}


@pytest.fixture
def writer(db_url):
    with GradebookWriter(db_url) as w:
        w.sync_assignment(gradebook_spec())
        yield w


def row_counts(db_url: str) -> dict[str, int]:
    """Rows per table, over nbgrader's tables (with alembic's stamp) and dlgrade's."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            counts = {
                table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in [*nbapi.Base.metadata.sorted_tables, *Base.metadata.sorted_tables]
            }
            counts["alembic_version"] = connection.execute(
                text("SELECT count(*) FROM alembic_version")
            ).scalar_one()
            return counts
    finally:
        engine.dispose()


def auto_scores(db_url: str, student: str, assignment: str = "deep_network") -> dict[str, float | None]:
    """grade id -> auto score, read through nbgrader's Gradebook."""
    with nbapi.Gradebook(db_url) as gb:
        submission_ = gb.find_submission(assignment, student)
        return {grade.name: grade.auto_score for nb in submission_.notebooks for grade in nb.grades}


def dlgrade_row(db_url: str, student: str) -> SubmissionRecord:
    engine = create_engine(db_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            return session.scalars(select(SubmissionRecord).where(SubmissionRecord.student == student)).one()
    finally:
        engine.dispose()


# ---------------------------------------------------------------- opening and schema


@pytest.fixture(scope="module")
def alembic_head_by_nbgrader() -> str:
    put_interpreter_on_path()
    return str(nbapi.get_alembic_version())  # runs nbgrader's `alembic heads` subprocess


def test_new_gradebook_is_what_nbgrader_would_create(db_url, alembic_head_by_nbgrader):
    GradebookWriter(db_url).close()
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    assert versions == [alembic_head_by_nbgrader] == [nbgrader_schema_revision()]
    counts = row_counts(db_url)
    assert set(DLGRADE_TABLES) <= set(counts)
    assert all(name.startswith("dlgrade_") for name in DLGRADE_TABLES)
    assert counts["course"] == 1  # nbgrader's course row for "default_course"
    with nbapi.Gradebook(db_url) as gb:  # nbgrader opens it without complaint
        assert gb.assignments == []


def test_opening_a_gradebook_nbgrader_created_keeps_it(db_url):
    put_interpreter_on_path()
    with nbapi.Gradebook(db_url) as gb:
        gb.add_assignment("earlier", duedate=DUE)
        gb.add_student("zoe", first_name="Zoe")
    with GradebookWriter(db_url) as w:
        w.sync_assignment(gradebook_spec())
    GradebookWriter(db_url).close()  # opening again adds nothing
    counts = row_counts(db_url)
    assert counts["alembic_version"] == 1
    assert counts["assignment"] == 2
    with nbapi.Gradebook(db_url) as gb:
        assert gb.find_student("zoe").first_name == "Zoe"


def test_unreachable_databases_are_reported(tmp_path):
    with pytest.raises(GradebookUnavailableError, match="does not exist"):
        GradebookWriter(f"sqlite:///{tmp_path / 'missing' / 'gradebook.db'}")
    with pytest.raises(GradebookUnavailableError) as info:
        GradebookWriter("postgresql://postgres:secret@127.0.0.1:1/nothing")
    assert "secret" not in str(info.value)
    assert "***" in str(info.value)
    with pytest.raises(GradebookUnavailableError, match="not a database URL"):
        GradebookWriter("no url at all")


def test_plain_postgresql_urls_get_an_installed_driver():
    assert resolve_url("postgresql+psycopg2://u@h/db").drivername == "postgresql+psycopg2"
    assert resolve_url("sqlite:///x.db").drivername == "sqlite"
    plain = resolve_url("postgresql://u@h/db")
    assert plain.get_dialect().driver in {"psycopg", "psycopg2"}
    __import__(plain.get_dialect().driver)  # whichever it picked is importable


def test_interpreter_directory_goes_first_on_path(monkeypatch):
    bindir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", os.pathsep.join(["/usr/bin", bindir, "/bin"]))
    put_interpreter_on_path()
    put_interpreter_on_path()
    assert os.environ["PATH"].split(os.pathsep) == [bindir, "/usr/bin", "/bin"]


# ---------------------------------------------------------------- sync


def test_sync_creates_nbgraders_records_and_is_idempotent(writer, db_url):
    before = row_counts(db_url)
    writer.sync_assignment(gradebook_spec())
    assert row_counts(db_url) == before
    assert before["notebook"] == 2
    assert before["grade_cells"] == len(CELL_POINTS)
    assert before["solution_cells"] == 2
    assert before["source_cell"] == 2 * 2 + len(CELL_POINTS)
    with nbapi.Gradebook(db_url) as gb:
        assignment = gb.find_assignment("deep_network")
        assert assignment.duedate == DUE
        assert assignment.max_score == sum(CELL_POINTS.values())
        cell = gb.find_grade_cell("explain", "part1", "deep_network")
        assert (cell.max_score, cell.cell_type) == (1.0, "markdown")
        source = gb.find_source_cell("part1_imports", "part1", "deep_network")
        assert (source.checksum, source.locked, source.source) == ("sum-part1-i", True, "import numpy as np")
        gb.find_solution_cell("part2_solution", "part2", "deep_network")


def test_sync_follows_the_source_while_nothing_is_graded(writer, db_url):
    changed = {("part1", "linear_forward"): 5.0, ("part1", "extra"): 1.0}
    writer.sync_assignment(gradebook_spec(points=changed))
    with nbapi.Gradebook(db_url) as gb:
        assignment = gb.find_assignment("deep_network")
        assert [nb.name for nb in assignment.notebooks] == ["part1"]
        assert sorted(c.name for c in assignment.notebooks[0].grade_cells) == ["extra", "linear_forward"]
        assert assignment.max_score == 6.0
    counts = row_counts(db_url)
    assert counts["notebook"] == 1
    assert counts["source_cell"] == 2 + 2


def test_sync_refuses_to_drop_cells_that_have_grades(writer, db_url):
    run = writer.start_run("deep_network", seed=1, workers=1)
    writer.record(run, submission("ana", FULL))
    before = row_counts(db_url)
    without_part2 = {key: pts for key, pts in CELL_POINTS.items() if key[0] == "part1"}
    with pytest.raises(AssignmentChangedError, match="notebook 'part2'") as info:
        writer.sync_assignment(gradebook_spec(points=without_part2))
    assert info.value.assignment == "deep_network"
    assert row_counts(db_url) == before  # rolled back as a whole
    # Changing points of graded cells is allowed: nbgrader recomputes the maximum.
    writer.sync_assignment(gradebook_spec(points={**CELL_POINTS, ("part2", "update_parameters"): 8.0}))
    assert export_rows(db_url)[0].max_score == 14.0


def test_invalid_specs_are_refused(writer):
    spec = gradebook_spec()
    nb = spec.notebooks[0]
    doubled = type(spec)(spec.name, (type(nb)(nb.name, nb.grade_cells * 2, nb.source_cells),))
    with pytest.raises(InvalidSpecError, match="same grade id"):
        writer.sync_assignment(doubled)
    with pytest.raises(InvalidSpecError, match="points nan"):
        writer.sync_assignment(gradebook_spec(points={("part1", "a"): float("nan")}))


# ---------------------------------------------------------------- runs


def test_runs_record_their_settings_and_counts(writer, db_url):
    run = writer.start_run("deep_network", seed=2**63 - 1, workers=4)
    writer.finish_run(run, {"graded": 3, "invalid": 1})
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            stored = session.get(GradingRun, run)
            assert stored is not None
            assert (stored.assignment, stored.seed, stored.workers) == ("deep_network", 2**63 - 1, 4)
            assert stored.counts == {"graded": 3, "invalid": 1}
            assert stored.dlgrade_version == __version__
            assert stored.finished_at is not None and stored.finished_at >= stored.started_at
    finally:
        engine.dispose()
    with pytest.raises(UnknownAssignmentError, match="'nope'"):
        writer.start_run("nope", seed=1, workers=1)
    with pytest.raises(UnknownRunError):
        writer.finish_run(run + 100, {})


# ---------------------------------------------------------------- record


def test_record_writes_nbgrader_grades_and_dlgrade_rows(writer, db_url):
    run = writer.start_run("deep_network", seed=7, workers=2)
    result = submission("ana", {"linear_forward": 1.0, "update_parameters": 4.0}, late_penalty=0.5)
    writer.record(run, result)

    # Cells missing from the result: code cells get 0, the markdown cell waits for a human.
    assert auto_scores(db_url, "ana") == {
        "linear_forward": 1.0,
        "L_model_forward": 0.0,
        "explain": None,
        "update_parameters": 4.0,
    }
    with nbapi.Gradebook(db_url) as gb:
        sub = gb.find_submission("deep_network", "ana")
        assert sub.timestamp == result.submitted_at
        assert sub.score == 5.0
        assert sub.late_submission_penalty == 0.5
        penalties = {nb.name: nb.late_submission_penalty for nb in sub.notebooks}
        assert penalties == {"part1": 0.5, "part2": None}  # the whole penalty on the first notebook
        assert not gb.find_grade("linear_forward", "part1", "deep_network", "ana").needs_manual_grade
        assert gb.find_grade("explain", "part1", "deep_network", "ana").needs_manual_grade
        gb.find_comment("part1_solution", "part1", "deep_network", "ana")  # the formgrader needs it

    row = dlgrade_row(db_url, "ana")
    assert (row.run_id, row.status, row.checksum) == (run, "graded", result.checksum)
    assert (row.raw_score, row.late_penalty, row.score, row.max_score) == (5.0, 0.5, 4.5, 10.0)
    assert row.score == result.score
    assert row.log_excerpt == result.log
    counts = row_counts(db_url)
    assert counts["dlgrade_cell_results"] == 2
    assert counts["dlgrade_case_results"] == 6


def test_recording_twice_leaves_one_copy(writer, db_url):
    run = writer.start_run("deep_network", seed=7, workers=2)
    result = submission("ana", FULL)
    writer.record(run, result)
    first = row_counts(db_url)
    first_id = dlgrade_row(db_url, "ana").id
    writer.record(run, result)
    assert row_counts(db_url) == first
    assert dlgrade_row(db_url, "ana").id == first_id


def test_regrade_replaces_the_previous_result(writer, db_url):
    run1 = writer.start_run("deep_network", seed=1, workers=1)
    writer.record(run1, submission("ana", FULL, cases_per_cell=6))
    writer.record(run1, submission("ben", {"linear_forward": 2.0}))
    before = row_counts(db_url)
    run2 = writer.start_run("deep_network", seed=2, workers=1)
    resubmitted = submission("ana", {"linear_forward": 1.0}, checksum="new", cases_per_cell=2)
    writer.record(run2, resubmitted)

    assert writer.graded("deep_network") == {
        "ana": "new",
        "ben": submission("ben", {"linear_forward": 2.0}).checksum,
    }
    assert auto_scores(db_url, "ana")["update_parameters"] == 0.0
    row = dlgrade_row(db_url, "ana")
    assert (row.run_id, row.score) == (run2, 1.0)
    after = row_counts(db_url)
    assert after["dlgrade_case_results"] == before["dlgrade_case_results"] - 3 * 6 + 2
    assert after["dlgrade_cell_results"] == before["dlgrade_cell_results"] - 3 + 1
    for table in (
        "submitted_assignment",
        "submitted_notebook",
        "grade",
        "comment",
        "dlgrade_submission_results",
    ):
        assert after[table] == before[table], table


def test_graded_lists_checksums_for_resume(writer):
    assert writer.graded("deep_network") == {}
    run = writer.start_run("deep_network", seed=1, workers=1)
    writer.record(run, submission("ana", FULL, checksum="c-ana"))
    writer.record(run, submission("ben", {}, checksum="c-ben", status="invalid", message="not a notebook"))
    writer.record(run, submission("cy", {}, checksum="c-cy", status="error", message="dlgrade failed"))
    assert writer.graded("deep_network") == {"ana": "c-ana", "ben": "c-ben", "cy": "c-cy"}
    assert writer.graded("deep_network", statuses={"graded", "invalid"}) == {"ana": "c-ana", "ben": "c-ben"}
    assert writer.graded("other") == {}


def test_a_crash_between_the_two_halves_reads_as_not_graded(writer, db_url):
    run = writer.start_run("deep_network", seed=1, workers=1)
    result = submission("ana", FULL)
    with writer._transaction("simulated crash") as session:
        writer._write_nbgrader(session, result)  # the dlgrade half never runs

    assert writer.graded("deep_network") == {}
    assert auto_scores(db_url, "ana")["update_parameters"] == 4.0
    assert [row.status for row in export_rows(db_url)] == ["ungraded"]

    writer.record(run, result)  # the resumed run grades it again
    assert writer.graded("deep_network") == {"ana": result.checksum}
    fixed = row_counts(db_url)
    with GradebookWriter(f"{db_url}") as other:  # compare with a clean record into a fresh assignment
        other.sync_assignment(gradebook_spec("clean"))
        other.record(other.start_run("clean", 1, 1), submission("ana", FULL, assignment="clean"))
    doubled = row_counts(db_url)
    for table in ("submitted_assignment", "submitted_notebook", "grade", "comment", "dlgrade_case_results"):
        assert doubled[table] == 2 * fixed[table], table


class CrashingWriter(GradebookWriter):
    """Fails after dlgrade's half has been written, before the transaction commits."""

    def _write_dlgrade(self, session, run_id, result, totals):
        super()._write_dlgrade(session, run_id, result, totals)
        raise RuntimeError("power cut")


def test_a_failure_inside_record_keeps_the_previous_result(writer, db_url):
    run = writer.start_run("deep_network", seed=1, workers=1)
    writer.record(run, submission("ana", FULL))
    before = row_counts(db_url)
    crashing = CrashingWriter(db_url)
    try:
        with pytest.raises(RuntimeError, match="power cut"):
            crashing.record(run, submission("ana", {}, checksum="new"))
    finally:
        crashing.close()
    assert row_counts(db_url) == before
    assert auto_scores(db_url, "ana")["update_parameters"] == 4.0
    assert writer.graded("deep_network") == {"ana": submission("ana", FULL).checksum}


def test_results_that_do_not_fit_are_refused_without_writing(writer, db_url):
    run = writer.start_run("deep_network", seed=1, workers=1)
    writer.record(run, submission("ana", FULL))
    before = row_counts(db_url)
    unknown = (*submission("ana", FULL).cells, GradeCellResult("part1", "ghost", 1.0, 1.0))
    good = submission("ana", {})
    bad_results = [
        (UnknownGradeCellError, "no grade cell 'ghost'", type(good)(**{**good.__dict__, "cells": unknown})),
        (InvalidResultError, "outside 0..2.0", submission("ana", {"linear_forward": 2.5})),
        (InvalidResultError, "late penalty", submission("ana", FULL, late_penalty=-1.0)),
        (InvalidResultError, "unknown status", submission("ana", FULL, status="fine")),  # type: ignore[arg-type]
        (InvalidResultError, "grades 'deep_network'", submission("ana", FULL, assignment="other")),
    ]
    for error, message, result in bad_results:
        with pytest.raises(error, match=message):
            writer.record(run, result)
    points_changed = GradeCellResult("part1", "linear_forward", 1.0, 5.0)
    with pytest.raises(InvalidResultError, match="sync the assignment"):
        writer.record(run, type(good)(**{**good.__dict__, "cells": (points_changed,)}))
    with pytest.raises(UnknownRunError):
        writer.record(run + 1, submission("ana", FULL))
    assert row_counts(db_url) == before


def test_manual_grades_survive_regrading_and_are_flagged(writer, db_url):
    run = writer.start_run("deep_network", seed=1, workers=1)
    writer.record(run, submission("ana", {"linear_forward": 1.0}))
    with nbapi.Gradebook(db_url) as gb:
        grade = gb.find_grade("linear_forward", "part1", "deep_network", "ana")
        grade.manual_score = 2.0
        gb.db.commit()
    writer.record(run, submission("ana", {"linear_forward": 1.0}))
    with nbapi.Gradebook(db_url) as gb:
        grade = gb.find_grade("linear_forward", "part1", "deep_network", "ana")
        assert (grade.auto_score, grade.manual_score, grade.needs_manual_grade) == (1.0, 2.0, True)
    assert dlgrade_row(db_url, "ana").score == 1.0  # the autograder's own score
    assert export_rows(db_url)[0].score == 2.0  # the gradebook's, as nbgrader export reports it


def test_untrusted_text_is_stored_cleaned_and_bounded(writer, db_url):
    run = writer.start_run("deep_network", seed=1, workers=1)
    hostile = "nul\x00 surrogate\udcff done"
    result = submission("ana", FULL, message=hostile * 1000)
    cell = result.cells[0]
    case = type(cell.cases[0])(cell.cases[0].check, 0, "shallow", False, hostile)
    cells = (type(cell)(cell.notebook, cell.grade_id, cell.score, cell.max_score, (case,), hostile),)
    result = type(result)(
        **{**result.__dict__, "cells": cells, "log": "start\n" + "x" * 10 * LOG_LIMIT + "\nEND"}
    )
    writer.record(run, result)
    row = dlgrade_row(db_url, "ana")
    assert len(row.message) <= MESSAGE_LIMIT
    assert row.message.startswith("nul\ufffd surrogate? done")
    assert len(row.log_excerpt) <= LOG_LIMIT and row.log_excerpt.endswith("\nEND")
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            assert session.scalars(select(CaseRecord.message)).one() == "nul\ufffd surrogate? done"
            assert session.scalars(select(CellRecord.feedback)).one() == "nul\ufffd surrogate? done"
    finally:
        engine.dispose()
