"""export_rows / write_csv / load_results, and agreement with the real `nbgrader export`."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbgrader.api as nbapi
import pytest

from grader.dbmodels import GradebookError, GradebookUnavailableError, utc_naive
from grader.export import EXPORT_COLUMNS, ExportRow, export_rows, write_csv
from grader.gradebook import GradebookWriter, UnknownAssignmentError, put_interpreter_on_path
from grader.gradebook_reader import load_results
from tests.grader.conftest import DUE, gradebook_spec, submission

FULL = {"linear_forward": 2.0, "L_model_forward": 3.0, "update_parameters": 4.0}
LATE = DUE + timedelta(days=2)


@pytest.fixture
def course_db(db_url):
    """Two assignments; five students: full marks, late with a penalty, penalty above the score,
    invalid, and one nbgrader knows who submitted nothing; a manual score in the formgrader."""
    with GradebookWriter(db_url) as writer:
        writer.sync_assignment(gradebook_spec())
        writer.sync_assignment(gradebook_spec("cnn"))
        run = writer.start_run("deep_network", seed=3, workers=2)
        writer.record(run, submission("ana", FULL))
        writer.record(
            run, submission("ben", {"linear_forward": 2.0, "L_model_forward": 1.5}, late_penalty=1.0)
        )
        writer.record(run, submission("cy", {"linear_forward": 0.5}, late_penalty=3.0, submitted_at=LATE))
        writer.record(run, submission("dee", {}, status="invalid", message="=not a notebook (nbformat 3)"))
        writer.finish_run(run, {"graded": 3, "invalid": 1})
        run = writer.start_run("cnn", seed=4, workers=1)
        writer.record(run, submission("ana", {"linear_forward": 1.0}, assignment="cnn", submitted_at=None))
    with nbapi.Gradebook(db_url) as gb:
        gb.add_student("eve", first_name="Eve")
        grade = gb.find_grade("L_model_forward", "part1", "deep_network", "ben")
        grade.manual_score = 2.5
        gb.db.commit()
    return db_url


def by_key(rows):
    return {(row.assignment, row.student_id): row for row in rows}


def test_one_row_per_student_and_assignment(course_db):
    rows = export_rows(course_db)
    assert [(r.assignment, r.student_id) for r in rows] == [
        (a, s) for a in ("cnn", "deep_network") for s in ("ana", "ben", "cy", "dee", "eve")
    ]
    got = by_key(rows)
    ana = got[("deep_network", "ana")]
    assert (ana.score, ana.max_score, ana.status, ana.raw_score, ana.late_penalty) == (
        9.0,
        10.0,
        "graded",
        9.0,
        0.0,
    )
    assert ana.submitted_at == DUE - timedelta(hours=1) and ana.graded_at is not None
    ben = got[("deep_network", "ben")]
    assert (ben.raw_score, ben.late_penalty, ben.score) == (4.5, 1.0, 3.5)  # manual 2.5 replaced auto 1.5
    cy = got[("deep_network", "cy")]
    assert (cy.raw_score, cy.late_penalty, cy.score, cy.submitted_at) == (0.5, 3.0, 0.0, LATE)
    dee = got[("deep_network", "dee")]
    assert (dee.status, dee.score, dee.message) == ("invalid", 0.0, "=not a notebook (nbformat 3)")
    eve = got[("deep_network", "eve")]
    assert eve == ExportRow("eve", "deep_network", 0.0, 10.0, "missing")
    assert eve.as_dict()["submitted_at"] is None
    assert ana.as_dict()["submitted_at"] == "2025-03-01T11:00:00+00:00"
    assert got[("cnn", "ben")].status == "missing"
    assert got[("cnn", "ana")].submitted_at is None
    assert {r.assignment for r in export_rows(course_db, "cnn")} == {"cnn"}
    with pytest.raises(UnknownAssignmentError, match="'rnn'"):
        export_rows(course_db, "rnn")


def test_csv_columns_and_values(course_db, tmp_path):
    path = tmp_path / "grades.csv"
    write_csv(export_rows(course_db), path)
    with path.open(newline="") as stream:
        reader = csv.DictReader(stream)
        assert tuple(reader.fieldnames or ()) == EXPORT_COLUMNS
        lines = {(row["assignment"], row["student_id"]): row for row in reader}
    ana = lines[("deep_network", "ana")]
    assert (ana["score"], ana["max_score"], ana["status"], ana["late_penalty"]) == (
        "9.0",
        "10.0",
        "graded",
        "0.0",
    )
    assert datetime.fromisoformat(ana["submitted_at"]) == (DUE - timedelta(hours=1)).replace(tzinfo=UTC)
    assert lines[("deep_network", "eve")]["submitted_at"] == ""
    # A message that a spreadsheet would run as a formula is defused.
    assert lines[("deep_network", "dee")]["message"] == "'=not a notebook (nbformat 3)"

    stream = io.StringIO()
    write_csv([], stream)
    assert stream.getvalue() == ",".join(EXPORT_COLUMNS) + "\n"


def nbgrader_export(db_url: str, directory: Path) -> dict[tuple[str, str], dict[str, str]]:
    """Run the real `nbgrader export` command on the gradebook and read its CSV."""
    put_interpreter_on_path()
    target = directory / "nbgrader.csv"
    command = [str(Path(sys.executable).parent / "nbgrader"), "export", f"--db={db_url}", f"--to={target}"]
    done = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=120, env=os.environ)
    assert done.returncode == 0, done.stderr
    with target.open(newline="") as stream:
        return {(row["assignment"], row["student_id"]): row for row in csv.DictReader(stream)}


def test_nbgrader_export_prints_the_same_scores(course_db, tmp_path):
    ours = by_key(export_rows(course_db))
    theirs = nbgrader_export(course_db, tmp_path)
    assert set(theirs) == set(ours)
    for key, row in ours.items():
        line = theirs[key]
        assert float(line["score"]) == row.score, key
        assert float(line["raw_score"]) == row.raw_score, key
        assert float(line["late_submission_penalty"]) == row.late_penalty, key
        assert float(line["max_score"]) == row.max_score, key
        stamp = datetime.fromisoformat(line["timestamp"]) if line["timestamp"] else None
        assert stamp == row.submitted_at, key
    # And with dlgrade's own stored score where nothing was graded by hand.
    for student in ("ana", "cy", "dee"):
        (stored,) = load_results(course_db, "deep_network", [student])
        assert float(theirs[("deep_network", student)]["score"]) == stored.score


# nbgrader's own add_submission relies on SQLAlchemy 1.x backref cascades and warns under 2.x.
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_interrupted_and_foreign_submissions_read_as_ungraded(db_url):
    put_interpreter_on_path()
    with nbapi.Gradebook(db_url) as gb:  # a gradebook nbgrader alone wrote: no dlgrade tables
        gb.add_assignment("ps1")
        gb.add_notebook("p1", "ps1")
        gb.add_grade_cell("q1", "p1", "ps1", max_score=2.0, cell_type="code")
        gb.add_student("kim")
        gb.add_student("lee")
        gb.add_submission("ps1", "kim")
        gb.find_grade("q1", "p1", "ps1", "kim").auto_score = 1.5
        gb.db.commit()
    rows = by_key(export_rows(db_url))
    assert rows[("ps1", "kim")].status == "ungraded" and rows[("ps1", "kim")].score == 1.5
    assert rows[("ps1", "lee")].status == "missing"
    assert load_results(db_url, "ps1") == []


def test_load_results_gives_back_what_was_recorded(db_url):
    aware = datetime(2025, 3, 1, 13, 0, tzinfo=UTC)
    result = submission("ana", {"linear_forward": 1.0, "update_parameters": 4.0}, late_penalty=0.25)
    result = type(result)(**{**result.__dict__, "submitted_at": aware, "extra": {"python": "3.11"}})
    with GradebookWriter(db_url) as writer:
        writer.sync_assignment(gradebook_spec())
        writer.record(writer.start_run("deep_network", 1, 1), result)
    (loaded,) = load_results(db_url, "deep_network")
    expected = type(result)(**{**result.__dict__, "submitted_at": utc_naive(aware)})
    assert loaded == expected
    assert load_results(db_url, "deep_network", ["nobody"]) == []


def test_readers_never_create_a_gradebook(tmp_path):
    missing = tmp_path / "gradebook.db"
    with pytest.raises(GradebookUnavailableError, match="no gradebook file"):
        export_rows(f"sqlite:///{missing}")
    assert not missing.exists()
    (tmp_path / "other.db").touch()
    with pytest.raises(GradebookError, match="no nbgrader gradebook"):
        export_rows(f"sqlite:///{tmp_path / 'other.db'}")


@pytest.mark.slow
def test_quiz_scores_join_the_same_export(course_db, tmp_path):
    """Quizzes taken on the quiz server add rows (kind quiz) to the same export; the assignment rows
    are unchanged and still match `nbgrader export`."""
    from quizzes.bank import load_bank
    from quizzes.quiz import build_paper, grade_paper, load_quiz
    from quizzes.store import SqlAttemptStore

    before = export_rows(course_db)
    path = tmp_path / "pop.yaml"
    path.write_text(
        "title: Pop\nattempts: 2\nquestions:\n  - id: conv-output-size\n  - id: autoencoder-definition\n"
    )
    quiz, bank = load_quiz(path), load_bank()
    start = datetime(2025, 3, 1, 9, 0)
    with SqlAttemptStore(course_db) as store:
        for student, attempts in (("ana", [True, False]), ("zed", [True]), ("ben", [])):
            for right in attempts:
                paper = build_paper(quiz, bank, student, len(store.attempts("pop", student)) + 1)
                attempt = store.start(quiz, student, start, max_score=paper.max_points)
                answers = {i.rendered.id: i.rendered.correct_response() if right else "" for i in paper.items}
                for k, (qid, response) in enumerate(answers.items()):
                    store.save_response(attempt, qid, response, start, revision=k + 1)
                done = store.submit(attempt, start + timedelta(minutes=2))
                store.record_result(done, grade_paper(paper, done.responses))
        store.start(quiz, "cy", start)  # still open

    rows = export_rows(course_db)
    assert rows[: len(before)] == before and all(r.kind == "assignment" for r in before)
    quiz_rows = {r.student_id: r for r in rows[len(before) :]}
    assert {r.kind for r in quiz_rows.values()} == {"quiz"} and {
        r.assignment for r in quiz_rows.values()
    } == {"pop"}
    # Every student nbgrader knows, plus zed who only took the quiz; ana's best of two attempts counts.
    assert sorted(quiz_rows) == ["ana", "ben", "cy", "dee", "eve", "zed"]
    assert (quiz_rows["ana"].score, quiz_rows["ana"].max_score, quiz_rows["ana"].status) == (
        2.0,
        2.0,
        "graded",
    )
    assert quiz_rows["ana"].submitted_at == start + timedelta(minutes=2)
    assert (quiz_rows["cy"].status, quiz_rows["cy"].message) == ("ungraded", "attempt 1 is still open")
    assert (quiz_rows["ben"].status, quiz_rows["ben"].max_score) == ("missing", 2.0)
    assert [r.student_id for r in export_rows(course_db, "pop")] == sorted(quiz_rows)

    stream = io.StringIO()
    write_csv(rows, stream)
    lines = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert {(line["assignment"], line["kind"]) for line in lines} == {
        ("cnn", "assignment"),
        ("deep_network", "assignment"),
        ("pop", "quiz"),
    }
    theirs = nbgrader_export(course_db, tmp_path)
    ours = {(r.assignment, r.student_id): r for r in rows if r.kind == "assignment"}
    assert set(theirs) == set(ours)
    for key, row in ours.items():
        assert float(theirs[key]["score"]) == row.score, key
