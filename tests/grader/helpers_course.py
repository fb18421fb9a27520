"""Builders for the end-to-end tests: a temporary course, student submissions, the CLI, the gradebook.

Submissions are made the way a student makes them: from the trusted source notebook of
``assignments/deep_network`` with its hidden tests removed (the solution: full marks), from nbgrader's
released version (the stub: zero), or with one solution cell replaced by a student-like mistake from
``tests/grader/mutants`` (that function's points lost). Points always come from ``assignment.toml``.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import subprocess
import sys
import tomllib
import traceback
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import nbformat
from click.testing import CliRunner, Result
from nbformat import NotebookNode
from sqlalchemy import create_engine, text

from grader.cli import cli
from grader.course import Course, format_timestamp, init_course
from grader.dbmodels import resolve_url

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "deep_network"
SOURCE = ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
ASSIGNMENT_TOML = SOURCE.parent / "assignment.toml"
MUTANTS = Path(__file__).resolve().parent / "mutants"
BINDIR = Path(sys.executable).parent
DLGRADE = BINDIR / "dlgrade"
NBGRADER = BINDIR / "nbgrader"

# ---------------------------------------------------------------- the assignment's points


@cache
def _toml() -> dict[str, Any]:
    with ASSIGNMENT_TOML.open("rb") as file:
        return tomllib.load(file)


def function_points() -> dict[str, float]:
    """Graded function -> its points, from assignment.toml."""
    return {f["name"]: float(f["points"]) for f in _toml()["functions"]}


def hidden_grade_id(function: str) -> str:
    """The grade id of the hidden-test cell that scores ``function`` (from assignment.toml)."""
    for entry in _toml()["functions"]:
        if entry["name"] == function:
            return str(entry["grade_id"])
    raise KeyError(function)


def total_points() -> float:
    """The assignment's maximum score: the sum of the functions' points."""
    return sum(function_points().values())


# ---------------------------------------------------------------- a course


def make_course(tmp: Path, course_id: str = "dl") -> Course:
    """A new course under ``tmp`` with the repository's assignments and a private exchange."""
    return init_course(tmp / "course", course_id, exchange=tmp / "exchange")


def configure(course: Course, text_: str) -> Course:
    """Append settings to the course's nbgrader_config.py and return the reloaded course."""
    with course.config_file.open("a", encoding="utf-8") as file:
        file.write("\n" + text_ + "\n")
    return Course(course.root)


# ---------------------------------------------------------------- notebooks as students submit them


def _grade_id(cell: NotebookNode) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


@cache
def _solution() -> NotebookNode:
    from nbgrader.preprocessors import ClearHiddenTests

    nb = nbformat.read(SOURCE, as_version=4)
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    return nb


@cache
def _stub() -> NotebookNode:
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    nb = nbformat.read(SOURCE, as_version=4)
    nb, _ = ClearSolutions().preprocess(nb, {})
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    return nb


def solution_nb() -> NotebookNode:
    """Every function solved (the instructor's solution), hidden tests removed: full marks."""
    return copy.deepcopy(_solution())


def stub_nb() -> NotebookNode:
    """The released notebook untouched (every function raises NotImplementedError): zero."""
    return copy.deepcopy(_stub())


def cell_source(nb: NotebookNode, grade_id: str) -> str:
    """The source of the cell with this nbgrader grade id."""
    for cell in nb.cells:
        if _grade_id(cell) == grade_id:
            return str(cell.source)
    raise KeyError(grade_id)


def with_cell(nb: NotebookNode, grade_id: str, source: str) -> NotebookNode:
    """A copy of ``nb`` whose cell ``grade_id`` holds ``source`` (as a student would edit it)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if _grade_id(cell) == grade_id:
            cell.source = source
            return nb
    raise KeyError(grade_id)


def mutant_nb(mutant: str, base: NotebookNode | None = None) -> NotebookNode:
    """The solution with one function's cell replaced by ``tests/grader/mutants/<mutant>.py``."""
    function = mutant.split("__", 1)[0]
    return with_cell(base or _solution(), function, (MUTANTS / f"{mutant}.py").read_text(encoding="utf-8"))


def add_code_cell(nb: NotebookNode, source: str, *, at: int | None = None) -> NotebookNode:
    """A copy of ``nb`` with a student's own code cell (no nbgrader metadata) at ``at`` or the end."""
    nb = copy.deepcopy(nb)
    cell = nbformat.v4.new_code_cell(source)
    nb.cells.insert(len(nb.cells) if at is None else at, cell)
    return nb


def slow_nb(seconds: float, base: NotebookNode | None = None) -> NotebookNode:
    """``base`` (the solution by default) with a first student cell that sleeps ``seconds``."""
    return add_code_cell(base or _solution(), f"import time\ntime.sleep({seconds})", at=0)


def notebook_bytes(nb: NotebookNode) -> bytes:
    """The notebook file as Jupyter writes it."""
    return nbformat.writes(nb).encode("utf-8")


def write_submission(
    course: Course,
    student: str,
    content: NotebookNode | bytes,
    *,
    timestamp: datetime | None = None,
    filename: str = f"{ASSIGNMENT}.ipynb",
) -> Path:
    """Put ``content`` at submitted/<student>/deep_network/<filename> (with nbgrader's timestamp.txt
    when ``timestamp`` is given); return the notebook's path."""
    folder = course.submitted_dir / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    path.write_bytes(content if isinstance(content, bytes) else notebook_bytes(content))
    if timestamp is not None:
        (folder / "timestamp.txt").write_text(format_timestamp(timestamp), encoding="utf-8")
    return path


# ---------------------------------------------------------------- the CLI


def _show(result: Result) -> str:
    shown = f"exit code {result.exit_code}\n--- output\n{result.output}"
    if (
        result.exc_info is not None
        and result.exception is not None
        and not isinstance(result.exception, SystemExit)
    ):
        shown += "\n--- exception\n" + "".join(traceback.format_exception(*result.exc_info))
    return shown


def invoke(*args: str, expect: int | None = 0, env: Mapping[str, str] | None = None) -> Result:
    """Run ``dlgrade ARGS`` in-process with click's CliRunner.

    With ``expect`` set, assert that exit code; in every case assert the command ended through
    click (a SystemExit, never an escaped exception) and printed no traceback.
    """
    runner = CliRunner()
    # The caller's own course and gradebook settings never leak into a test.
    clean: dict[str, str | None] = {"DLGRADE_COURSE": None, "DLGRADE_DB": None}
    result = runner.invoke(cli, list(args), env={**clean, **(env or {})}, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), _show(result)
    assert "Traceback" not in result.output, _show(result)
    if expect is not None:
        assert result.exit_code == expect, _show(result)
    return result


def grade_json(course: Course, *args: str) -> dict[str, Any]:
    """``dlgrade grade deep_network --json ARGS`` on ``course``: the parsed JSON report."""
    result = invoke("grade", ASSIGNMENT, "--course", str(course.root), "--json", *args)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def scores_of(report: Mapping[str, Any]) -> dict[str, float]:
    """Student -> score from a ``grade --json`` report."""
    return {r["student"]: r["score"] for r in report["results"]}


def statuses_of(report: Mapping[str, Any]) -> dict[str, str]:
    """Student -> status from a ``grade --json`` report."""
    return {r["student"]: r["status"] for r in report["results"]}


def subprocess_env() -> dict[str, str]:
    """The environment for running the installed executables: this venv's bin first on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(BINDIR), env.get("PATH", "/usr/bin:/bin")])
    env.pop("DLGRADE_COURSE", None)
    return env


# ---------------------------------------------------------------- reading what was stored


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file with a header."""
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def dlgrade_export(course: Course, tmp: Path, *, db_url: str | None = None) -> dict[str, dict[str, str]]:
    """``dlgrade export --format csv --output FILE`` (via CliRunner): student -> row of deep_network."""
    output = tmp / "dlgrade-export.csv"
    args = ["export", "--course", str(course.root), "--format", "csv", "--output", str(output)]
    invoke(*args, *(["--db", db_url] if db_url else []))
    return {row["student_id"]: row for row in read_csv(output) if row["assignment"] == ASSIGNMENT}


def nbgrader_export(course: Course, tmp: Path, *, db_url: str | None = None) -> dict[str, dict[str, str]]:
    """``nbgrader export`` run for real in the course directory: student -> row of deep_network."""
    output = tmp / "nbgrader-export.csv"
    command = [str(NBGRADER), "export", f"--to={output}"]
    if db_url:
        # The URL with its installed driver spelled out, as dlgrade itself resolves it.
        command.append(f"--db={resolve_url(db_url).render_as_string(hide_password=False)}")
    done = subprocess.run(
        command, cwd=course.root, env=subprocess_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"nbgrader export failed:\n{done.stdout}\n{done.stderr}"
    return {row["student_id"]: row for row in read_csv(output) if row["assignment"] == ASSIGNMENT}


def row_counts(db_url: str, assignment: str = ASSIGNMENT) -> tuple[dict[str, int], dict[str, int]]:
    """Per student: rows in dlgrade_submission_results and in nbgrader's submitted_assignment."""
    engine = create_engine(resolve_url(db_url))
    try:
        with engine.connect() as connection:
            ours = connection.execute(
                text(
                    "SELECT student, COUNT(*) FROM dlgrade_submission_results "
                    "WHERE assignment = :a GROUP BY student"
                ),
                {"a": assignment},
            ).all()
            theirs = connection.execute(
                text(
                    "SELECT s.student_id, COUNT(*) FROM submitted_assignment s "
                    "JOIN assignment a ON a.id = s.assignment_id WHERE a.name = :a GROUP BY s.student_id"
                ),
                {"a": assignment},
            ).all()
    finally:
        engine.dispose()
    return {str(s): int(n) for s, n in ours}, {str(s): int(n) for s, n in theirs}


def recorded(db_url: str, assignment: str = ASSIGNMENT) -> dict[str, tuple[str, float, str]]:
    """Student -> (status, score, message) as dlgrade_submission_results holds them."""
    engine = create_engine(resolve_url(db_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT student, status, score, message FROM dlgrade_submission_results "
                    "WHERE assignment = :a"
                ),
                {"a": assignment},
            ).all()
    finally:
        engine.dispose()
    return {str(s): (str(st), float(sc), str(m)) for s, st, sc, m in rows}
