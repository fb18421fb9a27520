"""The course commands end to end through click's CliRunner: a temporary course, real nbgrader release,
real sandboxes, a real gradebook (SQLite, and PostgreSQL for one grade + export round), and
``nbgrader export`` run for real to prove it prints the same scores as ``dlgrade export``.

Expected scores come from what each submission holds, with the points read from assignment.toml: the
solution earns every point, the released stub none, and a mutant that fails every hidden case of one
function (a function no other graded function calls) loses exactly that function's points.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest

from grader.course import Course
from grader.engine import plan
from grader.gradebook_reader import load_results
from tests.grader.helpers_course import (
    ASSIGNMENT,
    dlgrade_export,
    function_points,
    grade_json,
    hidden_grade_id,
    invoke,
    make_course,
    mutant_nb,
    nbgrader_export,
    notebook_bytes,
    row_counts,
    scores_of,
    solution_nb,
    statuses_of,
    stub_nb,
    total_points,
    write_submission,
)

SEED = "7"

# Each of these fails every hidden case of its function, and nothing else calls that function.
MUTANTS = {
    "carol": "update_parameters__gradient_ascent",
    "dan": "L_model_backward__dAL_sign_flipped",
}


def wrong_functions() -> dict[str, set[str]]:
    """What each student of the shared course got wrong."""
    return {
        "alice": set(),
        "bob": set(function_points()),
        **{student: {mutant.split("__")[0]} for student, mutant in MUTANTS.items()},
    }


def expected_score(wrong: set[str]) -> float:
    points = function_points()
    return total_points() - sum(points[f] for f in wrong)


@dataclass
class Shared:
    """One course taken through release, collect and a first grading run, shared by the tests below."""

    course: Course
    tmp: Path
    release_output: str
    collect_outputs: list[str]
    first: dict[str, Any]

    @property
    def c(self) -> str:
        return str(self.course.root)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    tmp = tmp_path_factory.mktemp("cli")
    course = make_course(tmp)
    released = invoke("release", ASSIGNMENT, "--course", str(course.root))
    # A folder of notebooks named by student (the solution, the released stub untouched) ...
    inbox = tmp / "inbox"
    inbox.mkdir()
    (inbox / "alice.ipynb").write_bytes(notebook_bytes(solution_nb()))
    stub = course.release_dir / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    (inbox / "bob.ipynb").write_bytes(stub.read_bytes())
    # ... and an LMS zip of the two mutants.
    archive = tmp / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for student, mutant in MUTANTS.items():
            zf.writestr(f"{student}.ipynb", notebook_bytes(mutant_nb(mutant)))
    outputs = [
        invoke("collect", ASSIGNMENT, "--course", str(course.root), "--from", str(inbox)).output,
        invoke("collect", ASSIGNMENT, "--course", str(course.root), "--from", str(archive)).output,
    ]
    first = grade_json(course, "--seed", SEED, "--workers", "2")
    return Shared(course, tmp, released.output, outputs, first)


# ---------------------------------------------------------------- init


def test_init_creates_a_course(tmp_path):
    target = tmp_path / "newcourse"
    result = invoke("init", str(target), "--course-id", "dl2026")
    assert "Created course dl2026" in result.output
    assert ASSIGNMENT in result.output
    assert (target / "nbgrader_config.py").is_file()
    assert (target / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    course = Course(target)
    assert course.course_id == "dl2026"
    assert ASSIGNMENT in course.assignments()


def test_init_refuses_an_existing_course(tmp_path):
    invoke("init", str(tmp_path / "c"), "--course-id", "dl")
    before = (tmp_path / "c" / "nbgrader_config.py").read_text()
    result = invoke("init", str(tmp_path / "c"), "--course-id", "other", expect=1)
    assert result.output.startswith("Error: ")
    assert "already holds a course" in result.output
    assert (tmp_path / "c" / "nbgrader_config.py").read_text() == before


def test_init_refuses_a_non_empty_directory(tmp_path):
    """`dlgrade init ~` must not scatter a course over a directory holding other things."""
    target = tmp_path / "documents"
    target.mkdir()
    (target / "thesis.tex").write_text("my work")
    result = invoke("init", str(target), "--course-id", "dl", expect=1)
    assert result.output.startswith("Error: ")
    assert str(target) in result.output or "documents" in result.output
    assert sorted(p.name for p in target.iterdir()) == ["thesis.tex"], "nothing written"


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        ((), 2, "Missing argument"),
        (("{tmp}/x", "--course-id", "bad id/.."), 1, "not a valid course id"),
        (("{tmp}/x", "--no-such-option"), 2, "No such option"),
        (("{tmp}/a-file",), 2, "is a file"),
    ],
    ids=["no-directory", "bad-course-id", "unknown-option", "directory-is-a-file"],
)
def test_init_bad_arguments(tmp_path, args, code, says):
    (tmp_path / "a-file").write_text("")
    result = invoke("init", *(a.format(tmp=tmp_path) for a in args), expect=code)
    assert "Error: " in result.output
    assert says in result.output
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------- release and collect


@pytest.mark.slow
def test_release_publishes_the_student_version(shared):
    released = shared.course.release_dir / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert str(released.parent) in shared.release_output
    text = released.read_text()
    source = (shared.course.source_dir / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert "### BEGIN SOLUTION" in source and "### BEGIN HIDDEN TESTS" in source
    assert "### BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "from grader.hidden import check" not in text
    outbound = shared.course.exchange_root / shared.course.course_id / "outbound" / ASSIGNMENT
    assert (outbound / f"{ASSIGNMENT}.ipynb").read_text() == text


@pytest.mark.slow
def test_release_of_an_unknown_assignment(shared):
    result = invoke("release", "no_such_assignment", "--course", shared.c, expect=1)
    assert result.output.startswith("Error: ")
    assert "no_such_assignment" in result.output


@pytest.mark.slow
def test_collect_from_a_folder_and_a_zip(shared):
    assert "Imported 2 submission(s)" in shared.collect_outputs[0]
    assert "Imported 2 submission(s)" in shared.collect_outputs[1]
    assert shared.course.students(ASSIGNMENT) == sorted(wrong_functions())
    for student in wrong_functions():
        folder = shared.course.submitted_dir / student / ASSIGNMENT
        assert (folder / f"{ASSIGNMENT}.ipynb").is_file()
        assert (folder / "timestamp.txt").is_file()
    stub = shared.course.release_dir / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert (shared.course.submitted_dir / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes() == (
        stub.read_bytes()
    )


@pytest.mark.slow
def test_collect_errors(shared, tmp_path):
    result = invoke("collect", "no_such_assignment", "--course", shared.c, "--from", str(tmp_path), expect=1)
    assert result.output.startswith("Error: ") and "no_such_assignment" in result.output
    result = invoke("collect", ASSIGNMENT, "--course", shared.c, "--from", str(tmp_path / "nope"), expect=2)
    assert "Error: " in result.output and "does not exist" in result.output


# ---------------------------------------------------------------- grade


@pytest.mark.slow
def test_grade_scores_follow_the_submissions(shared):
    first = shared.first
    assert first["seed"] == int(SEED)
    assert first["skipped"] == []
    expected = {s: expected_score(w) for s, w in wrong_functions().items()}
    assert scores_of(first) == pytest.approx(expected)
    assert set(statuses_of(first).values()) == {"graded"}
    assert {r["max_score"] for r in first["results"]} == {total_points()}
    # Per cell in the gradebook: exactly the wrong functions have zero, the others full marks.
    points = function_points()
    for result in load_results(shared.course.db_url, ASSIGNMENT):
        wrong = wrong_functions()[result.student]
        cells = {c.grade_id: c.score for c in result.cells}
        for function, pts in points.items():
            assert cells[hidden_grade_id(function)] == pytest.approx(0.0 if function in wrong else pts), (
                result.student,
                function,
            )


@pytest.mark.slow
def test_grade_again_skips_unchanged_work(shared):
    again = grade_json(shared.course, "--seed", SEED)
    assert again["results"] == []
    assert sorted(again["skipped"]) == sorted(wrong_functions())
    table = invoke("grade", ASSIGNMENT, "--course", shared.c, "--seed", SEED)
    assert "0 graded" in table.output and "4 unchanged and skipped" in table.output


@pytest.mark.slow
def test_grade_force_regrades_and_prints_a_table(shared):
    result = invoke("grade", ASSIGNMENT, "--course", shared.c, "--seed", SEED, "--force")
    out = result.output
    for student, wrong in wrong_functions().items():
        line = next(line for line in out.splitlines() if f" {student} " in line)
        assert f"{expected_score(wrong):.2f} / {total_points():g}" in line
        assert "graded" in line
    assert "4 graded" in out and "0 unchanged" in out
    ours, theirs = row_counts(shared.course.db_url)
    assert ours == theirs == dict.fromkeys(wrong_functions(), 1), "regrading replaced, never added"


@pytest.mark.slow
def test_grade_one_student(shared):
    report = grade_json(shared.course, "--seed", SEED, "--student", "carol", "--force")
    assert list(scores_of(report)) == ["carol"]
    assert scores_of(report)["carol"] == pytest.approx(expected_score(wrong_functions()["carol"]))
    report = grade_json(shared.course, "--seed", SEED, "--student", "nobody")
    assert report["results"] == [] and report["skipped"] == []


@pytest.mark.slow
def test_one_or_three_workers_give_the_same_grades(shared):
    def cases() -> dict[str, list[tuple[str, int, bool]]]:
        return {
            r.student: [(c.grade_id, k.index, k.passed) for c in r.cells for k in c.cases]
            for r in load_results(shared.course.db_url, ASSIGNMENT)
        }

    one = grade_json(shared.course, "--seed", SEED, "--force", "--workers", "1")
    by_one = cases()
    three = grade_json(shared.course, "--seed", SEED, "--force", "--workers", "3")
    assert scores_of(one) == scores_of(three) == scores_of(shared.first)
    assert cases() == by_one


# ---------------------------------------------------------------- status, export (both backends)


@pytest.mark.slow
def test_grade_status_and_export_on_each_backend(db_url, tmp_path):
    """One round on SQLite and on PostgreSQL: status before and after, dlgrade export vs nbgrader export."""
    course = make_course(tmp_path)
    wrong = {"alice": set(), "bob": set(function_points()), "carol": {"update_parameters"}}
    write_submission(course, "alice", solution_nb())
    write_submission(course, "bob", stub_nb())
    write_submission(course, "carol", mutant_nb(MUTANTS["carol"]))
    c = str(course.root)

    report = grade_json(course, "--db", db_url, "--seed", "3", "--student", "alice")
    assert list(scores_of(report)) == ["alice"]
    status = json.loads(invoke("status", ASSIGNMENT, "--course", c, "--db", db_url, "--json").stdout)
    by_student = {row["student_id"]: row for row in status}
    assert by_student["alice"]["status"] == "graded"
    assert by_student["alice"]["score"] == pytest.approx(total_points())
    assert by_student["bob"]["status"] == by_student["carol"]["status"] == "submitted, not graded"

    report = grade_json(course, "--db", db_url, "--seed", "3")
    assert report["skipped"] == ["alice"]
    expected = {s: expected_score(w) for s, w in wrong.items()}
    status = json.loads(invoke("status", ASSIGNMENT, "--course", c, "--db", db_url, "--json").stdout)
    assert {row["student_id"]: row["score"] for row in status} == pytest.approx(expected)
    assert {row["status"] for row in status} == {"graded"}

    ours = dlgrade_export(course, tmp_path, db_url=db_url)
    header = next(iter(ours.values())).keys()
    assert list(header)[:5] == ["student_id", "assignment", "score", "max_score", "status"]
    assert {s: float(r["score"]) for s, r in ours.items()} == pytest.approx(expected)
    assert {float(r["max_score"]) for r in ours.values()} == {total_points()}
    assert {r["status"] for r in ours.values()} == {"graded"}

    theirs = nbgrader_export(course, tmp_path, db_url=db_url)
    assert set(theirs) == set(ours)
    for student, row in ours.items():
        assert float(theirs[student]["score"]) == pytest.approx(float(row["score"])), student
        assert float(theirs[student]["max_score"]) == pytest.approx(float(row["max_score"])), student
    ours_rows, nbgrader_rows = row_counts(db_url)
    assert ours_rows == nbgrader_rows == dict.fromkeys(wrong, 1)


@pytest.mark.slow
def test_export_to_stdout_and_status_table(shared):
    out = invoke("export", "--course", shared.c).stdout
    lines = out.strip().splitlines()
    assert lines[0].startswith("student_id,assignment,score,max_score,status")
    assert len(lines) == 1 + len(wrong_functions())
    table = invoke("status", ASSIGNMENT, "--course", shared.c).output
    for student in wrong_functions():
        assert student in table


# ---------------------------------------------------------------- feedback and report


def _hidden_values(course: Course) -> set[str]:
    """Every float of the hidden cases' inputs and reference outputs of the run's seed, printed the
    ways a leak would print it (repr, numpy's 8 decimals, 6 decimals), keeping only long strings."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, np.ndarray):
            if value.dtype.kind == "f":
                for v in value.ravel()[:2000]:
                    add(float(v))
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)
        elif isinstance(value, float | np.floating):
            add(float(value))

    def add(v: float) -> None:
        for text_ in (repr(v), f"{v:.8f}".rstrip("0"), f"{v:.6f}"):
            digits = text_.split(".")[-1] if "." in text_ else ""
            if len(digits) >= 6 and "e" not in text_:
                found.add(text_)

    for cell in plan(course, ASSIGNMENT, int(SEED)).cells:
        for case in cell.cases:
            walk(case.args)
            walk(case.kwargs)
            walk(case.expected)
    return found


@pytest.mark.slow
def test_feedback_pages(shared):
    grade_json(shared.course, "--seed", SEED, "--force")  # the stored cases are those of SEED
    result = invoke("feedback", ASSIGNMENT, "--course", shared.c)
    assert "4 student(s)" in result.output
    hidden = _hidden_values(shared.course)
    assert len(hidden) > 100
    points = function_points()
    for student, wrong in wrong_functions().items():
        page = shared.course.root / "feedback" / student / ASSIGNMENT / "feedback.html"
        html = page.read_text(encoding="utf-8")
        assert html.lstrip().lower().startswith("<!doctype html>")
        assert f"{expected_score(wrong):.2f} / {total_points():g}" in html
        leaked = [v for v in hidden if v in html]
        assert not leaked, f"{student}'s feedback shows hidden values: {leaked[:5]}"
        assert "Traceback" not in html and "array(" not in html
        for function in wrong:
            row = next(r for r in html.split("<tr>") if f">{hidden_grade_id(function)}<" in r)
            assert f"0.00 / {points[function]:g}" in row
            assert "hidden cases passed" in row and "0 of " in row
    carol = (shared.course.root / "feedback" / "carol" / ASSIGNMENT / "feedback.html").read_text()
    assert "update_parameters" in carol


@pytest.mark.slow
def test_report_histogram_and_pass_rates(shared, tmp_path):
    png = tmp_path / "hist.png"
    result = invoke("report", ASSIGNMENT, "--course", shared.c, "--json", "--output", str(png))
    data = json.loads(result.stdout)
    assert Path(data["histogram"]) == png
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rates = {t["grade_id"]: t for t in data["tests"]}
    students = wrong_functions()
    for function, pts in function_points().items():
        right = sum(function not in wrong for wrong in students.values())
        rate = rates[hidden_grade_id(function)]
        assert rate["full_marks_rate"] == pytest.approx(right / len(students)), function
        assert rate["case_pass_rate"] == pytest.approx(right / len(students)), function
        assert rate["mean_score"] == pytest.approx(pts * right / len(students)), function
        assert rate["max_score"] == pts
    table = invoke("report", ASSIGNMENT, "--course", shared.c)
    assert "Histogram:" in table.output
    assert (shared.course.root / "reports" / f"{ASSIGNMENT}.png").is_file()


# ---------------------------------------------------------------- exit codes


@pytest.mark.parametrize(
    "args",
    [
        ("no-such-command",),
        ("grade",),
        ("grade", ASSIGNMENT, "--workers", "0"),
        ("grade", ASSIGNMENT, "--seed", "seven"),
        ("export", "--format", "xml"),
        ("status",),
        ("collect", ASSIGNMENT, "--from", "/no/such/path"),
    ],
    ids=[
        "unknown-command",
        "missing-assignment",
        "zero-workers",
        "bad-seed",
        "bad-format",
        "no-arg",
        "no-path",
    ],
)
def test_usage_errors_exit_2(args, tmp_path):
    result = invoke(*args, "--course", str(tmp_path), expect=2)
    assert "Error: " in result.output


def test_errors_exit_1_with_a_message(tmp_path):
    not_a_course = tmp_path / "empty"
    not_a_course.mkdir()
    for command in (
        ("grade", ASSIGNMENT),
        ("status", ASSIGNMENT),
        ("export",),
        ("feedback", ASSIGNMENT),
        ("report", ASSIGNMENT),
        ("release", ASSIGNMENT),
    ):
        result = invoke(*command, "--course", str(not_a_course), expect=1)
        assert result.output.startswith("Error: "), command
        assert "not a course directory" in result.output, command
    missing = tmp_path / "missing"
    result = invoke("grade", ASSIGNMENT, "--course", str(missing), expect=1)
    assert result.output.startswith("Error: ") and str(missing) in result.output


def test_errors_about_the_assignment_exit_1(tmp_path):
    course = make_course(tmp_path)
    c = str(course.root)
    result = invoke("grade", "nope", "--course", c, expect=1)
    assert result.output.startswith("Error: ") and "nope" in result.output
    # Nothing graded yet: the message names the assignment or the missing gradebook.
    for command in (("feedback", ASSIGNMENT), ("report", ASSIGNMENT), ("status", "nope"), ("export",)):
        result = invoke(*command, "--course", c, expect=1)
        assert result.output.startswith("Error: "), command
        assert command[-1] in result.output or "gradebook" in result.output, command


def test_course_from_the_environment(tmp_path):
    course = make_course(tmp_path)
    result = invoke("status", ASSIGNMENT, "--json", env={"DLGRADE_COURSE": str(course.root)}, expect=None)
    # The gradebook does not exist yet: an error naming it, or an empty list; never a traceback.
    assert result.exit_code in (0, 1)
    if result.exit_code == 0:
        assert json.loads(result.stdout) == []
    else:
        assert result.output.startswith("Error: ")


def test_gradebook_from_the_environment(tmp_path):
    """$DLGRADE_DB stands for --db in every command that reads or writes the gradebook."""
    course = make_course(tmp_path / "c")
    write_submission(course, "alice", solution_nb())
    elsewhere = tmp_path / "elsewhere.db"
    env = {"DLGRADE_DB": f"sqlite:///{elsewhere}"}
    c = str(course.root)
    graded = invoke("grade", ASSIGNMENT, "--course", c, "--student", "alice", "--json", env=env)
    assert scores_of(json.loads(graded.stdout)) == {"alice": pytest.approx(total_points())}
    assert elsewhere.is_file() and not (course.root / "gradebook.db").exists()
    status = json.loads(invoke("status", ASSIGNMENT, "--course", c, "--json", env=env).stdout)
    assert [(row["student_id"], row["status"]) for row in status] == [("alice", "graded")]
    exported = invoke("export", "--course", c, "--format", "csv", env=env).stdout
    assert exported.splitlines()[1].startswith(f"alice,{ASSIGNMENT},")
    # --db still wins over the environment.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    invoke("grade", ASSIGNMENT, "--course", c, "--db", other, "--student", "alice", "--json", env=env)
    assert (tmp_path / "other.db").is_file()


def test_before_any_grading_status_lists_the_submissions_and_grade_says_what_to_do(tmp_path):
    course = make_course(tmp_path / "a")
    c = str(course.root)
    assert json.loads(invoke("status", ASSIGNMENT, "--course", c, "--json").stdout) == []
    write_submission(course, "alice", solution_nb())
    status = json.loads(invoke("status", ASSIGNMENT, "--course", c, "--json").stdout)
    assert status == [{"student_id": "alice", "assignment": ASSIGNMENT, "status": "submitted, not graded"}]
    assert "submitted, not graded" in invoke("status", ASSIGNMENT, "--course", c).output
    assert not (course.root / "gradebook.db").exists()  # status creates no gradebook
    missing = invoke("status", "nope", "--course", c, expect=1).output
    assert missing.startswith("Error: ") and "nope" in missing

    empty = make_course(tmp_path / "b")
    result = invoke("grade", ASSIGNMENT, "--course", str(empty.root))
    assert "Nothing to grade: no submission of deep_network" in result.output
    assert f"dlgrade collect {ASSIGNMENT}" in result.output


def test_status_shows_what_went_wrong_in_a_graded_notebook(tmp_path):
    course = make_course(tmp_path)
    nb = solution_nb()
    nb.cells.insert(3, nbformat.v4.new_code_cell("print(A_prev.shape)  # trying it out"))
    write_submission(course, "alice", nb)
    write_submission(course, "bob", solution_nb())
    c = str(course.root)
    invoke("grade", ASSIGNMENT, "--course", c, "--json")
    table = invoke("status", ASSIGNMENT, "--course", c).output
    assert "message" in table and "cell #4 raised NameError" in table
    status = json.loads(invoke("status", ASSIGNMENT, "--course", c, "--json").stdout)
    rows = {row["student_id"]: row for row in status}
    said = "deep_network.ipynb, cell #4 raised NameError: name 'A_prev' is not defined"
    assert rows["alice"]["message"] == said
    assert rows["bob"]["message"] == "" and rows["alice"]["score"] == rows["bob"]["score"] == total_points()


def test_tables_show_the_students_text_as_it_is_never_as_markup(tmp_path):
    """A cell's exception message reaches the grade and status tables: rich must not read it as
    markup (an unmatched closing tag used to end the command with a traceback)."""
    course = make_course(tmp_path)
    nb = solution_nb()
    nb.cells.insert(3, nbformat.v4.new_code_cell('raise ValueError("[/bold] [link=http://x]click[/link]")'))
    write_submission(course, "alice", nb)
    c = str(course.root)
    graded = invoke("grade", ASSIGNMENT, "--course", c, "--workers", "1").output
    status = invoke("status", ASSIGNMENT, "--course", c).output
    for table in (graded, status):
        assert "[/bold] [link=http://x]click[/link]" in " ".join(table.split()), table


def test_timeout_options_bound_a_looping_function(tmp_path):
    import time

    from tests.grader.helpers_course import make_course, solution_nb, with_cell, write_submission

    course = make_course(tmp_path)
    looping = "def update_parameters(params, grads, learning_rate):\n    while True:\n        pass\n"
    write_submission(course, "loopy", with_cell(solution_nb(), "update_parameters", looping))
    start = time.monotonic()
    report = grade_json(course, "--call-timeout", "1", "--cell-timeout", "2", "--seed", "3")
    # The public test cell hangs (2 s), then one hidden case (1 s); the other cases are not even made.
    assert time.monotonic() - start < 30
    (row,) = report["results"]
    results = load_results(course.db_url, "deep_network")
    cell = next(c for c in results[0].cells if c.grade_id.startswith("update_parameters"))
    assert cell.score == 0 and row["score"] == row["max_score"] - cell.max_score
    assert all("did not finish within 1 s" in case.message for case in cell.cases)
