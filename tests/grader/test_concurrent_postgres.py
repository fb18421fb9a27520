"""Several ``dlgrade grade`` processes at once against one new PostgreSQL gradebook.

Three real ``dlgrade grade`` subprocesses, each on a different assignment of the same course (the
deep network with simulated submissions, initialization and regularization with a correct and a
stub submission each), start together on an empty database: every one of them creates what is
missing (nbgrader's schema, the course row, dlgrade's tables, the students) while the others do
the same. Afterwards no result is lost or duplicated, in dlgrade's tables or nbgrader's, and
nbgrader's own API reads back the scores each process reported.

Meanwhile a real ``dlgrade quiz serve`` on the same database creates its own tables and takes ~40
simulated students through a quiz while the graders grade (the ``concurrent_quiz_load`` fixture):
no quiz answer is lost or duplicated either, and every attempt is submitted and graded.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import nbformat
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from grader.course import Course
from grader.dbmodels import resolve_url
from grader.simulate import PlannedSubmission, make_notebook, plan_submissions, released_notebook, solutions
from quizzes.auth import student_token
from quizzes.bank import load_bank
from quizzes.quiz import build_paper, load_quiz
from quizzes.store import SqlAttemptStore
from tests.grader.conftest import postgres_database, require_postgres
from tests.grader.helpers_course import DLGRADE, make_course, subprocess_env

pytestmark = pytest.mark.slow

SEED = "5"
SIMULATED = 6
"""Simulated deep-network submissions (no looping or hostile ones: they only cost time here)."""
OTHERS = ("initialization", "regularization")

Check = Callable[[], None]


def _write(course: Course, assignment: str, student: str, nb: Any) -> None:
    folder = course.submitted_dir / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{assignment}.ipynb")


def _populate(course: Course) -> dict[str, set[str]]:
    """Write the submissions; assignment -> its students."""
    students: dict[str, set[str]] = {}
    for assignment in ("deep_network", *OTHERS):
        source = course.source_dir / assignment / f"{assignment}.ipynb"
        released, solved = released_notebook(source), solutions(source)
        if assignment == "deep_network":
            planned = plan_submissions(SIMULATED, 3, hostile=False, looping=False)
        else:
            planned = [
                PlannedSubmission("s01-correct", "correct", ""),
                PlannedSubmission("s02-stub", "stub", ""),
            ]
        for p in planned:
            _write(course, assignment, p.student, make_notebook(p, released, solved))
        students[assignment] = {p.student for p in planned}
    return students


# ---------------------------------------------------------------- the quiz server, under load, meanwhile

QUIZ_STUDENTS = 40
QUIZ_SECRET = "concurrent-test-secret-" + "0" * 40
QUIZ_COURSE = "dl-quiz"
QUIZ_QUESTIONS = ("autoencoder-definition", "conv-output-size", "adam-defaults", "autograd-sigmoid-identity")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _expected_answers(quiz_path: Path) -> dict[str, dict[str, Any]]:
    """Student -> question -> the right response, numbers as the page sends them (text)."""
    quiz, bank = load_quiz(quiz_path), load_bank()
    out = {}
    for k in range(QUIZ_STUDENTS):
        sid = f"q{k:03d}"
        paper = build_paper(quiz, bank, sid)
        right = {i.rendered.id: i.rendered.correct_response() for i in paper.items}
        out[sid] = {q: str(v) if isinstance(v, float) else v for q, v in right.items()}
    return out


class QuizLoad:
    """Simulated students (aiohttp, one cookie jar each) against a ``dlgrade quiz serve`` process:
    each opens their link, starts, saves every answer (plus a repeated save and a stale revision,
    as a flaky connection sends them) and submits, once a grading run has started."""

    def __init__(self, db_url: str, base: str, expected: dict[str, dict[str, Any]]) -> None:
        self.db_url, self.base, self.expected = db_url, base, expected
        self.errors: list[str] = []
        self.requests = 0
        self.results: dict[str, dict[str, Any]] = {}

    def run(self) -> None:
        try:
            self._wait_for_health()
            self._wait_for_a_grading_run()
            asyncio.run(self._students())
        except Exception as exc:  # reported by the check, not lost in the thread
            self.errors.append(f"load: {type(exc).__name__}: {exc}")

    def _wait_for_health(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}api/health", timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _wait_for_a_grading_run(self) -> None:
        """So that the students answer while the graders grade (not while they import)."""
        engine = create_engine(resolve_url(self.db_url))
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                try:
                    with engine.connect() as connection:
                        if connection.execute(text("SELECT COUNT(*) FROM dlgrade_runs")).scalar_one():
                            return
                except SQLAlchemyError:  # the graders have not created the table yet
                    pass
                time.sleep(0.2)
        finally:
            engine.dispose()

    async def _students(self) -> None:
        rng = random.Random(5)
        await asyncio.gather(
            *(self._student(sid, answers, rng.uniform(0, 3)) for sid, answers in self.expected.items())
        )

    async def _student(self, sid: str, answers: dict[str, Any], delay: float) -> None:
        await asyncio.sleep(delay)
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
        async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=60)) as session:

            async def call(method: str, path: str, body: Any = None, headers: Any = None) -> Any:
                async with session.request(method, self.base + path, json=body, headers=headers) as r:
                    self.requests += 1
                    reply = await r.text()
                    if r.status != 200:
                        self.errors.append(f"{sid} {method} {path}: {r.status} {reply[:200]}")
                    return reply

            page = await call(
                "GET", f"quiz/load?student={sid}&token={student_token(QUIZ_SECRET.encode(), sid)}"
            )
            found = re.search(r'type="application/json">(.*?)</script>', page, re.S)
            if not found:
                self.errors.append(f"{sid}: no page config")
                return
            headers = {"X-XSRFToken": json.loads(found.group(1).replace("<\\/", "</"))["xsrf"]}
            await call("POST", "api/quiz/load/start", {}, headers)
            first = next(iter(answers))
            for revision, (qid, response) in enumerate(answers.items(), start=2):
                body = {"attempt": 1, "question": qid, "response": response, "revision": revision}
                await call("POST", "api/quiz/load/answer", body, headers)
                await asyncio.sleep(0.05)
            await call("POST", "api/quiz/load/answer", body, headers)  # the last save, sent twice
            stale = {"attempt": 1, "question": first, "response": "stale", "revision": 1}
            await call("POST", "api/quiz/load/answer", stale, headers)  # late, older: must not win
            await call("POST", "api/quiz/load/submit", {"attempt": 1}, headers)
            self.results[sid] = json.loads(await call("GET", "api/quiz/load"))


def _check_quiz_rows(db_url: str, load: QuizLoad) -> None:
    """Every answer stored once with the value sent last, every attempt submitted and graded in full,
    and the students answered while a grader was running."""
    expected = load.expected
    with SqlAttemptStore(db_url, QUIZ_COURSE) as store:
        attempts = {a.student_id: a for a in store.attempts_of_quiz("load")}
        results = {r.attempt.student_id: r for r in store.results("load")}
        attempt_rows, answer_rows = store.count_rows("load")
    assert sorted(attempts) == sorted(expected) and attempt_rows == QUIZ_STUDENTS
    assert answer_rows == sum(len(a) for a in expected.values()), "no answer lost or duplicated"
    assert {sid: a.responses for sid, a in attempts.items()} == expected
    assert all(a.submitted_at is not None and a.number == 1 for a in attempts.values())
    for sid, result in results.items():
        assert result.status == "graded" and result.score == result.max_score > 0, sid
        assert load.results[sid]["result"]["score"] == result.score
    duplicated = _rows(
        db_url,
        "SELECT r.attempt_id, r.question_id FROM dlgrade_quiz_responses r "
        "GROUP BY r.attempt_id, r.question_id HAVING COUNT(*) > 1",
    )
    assert duplicated == []
    ((first_start,),) = _rows(db_url, "SELECT MIN(started_at) FROM dlgrade_quiz_attempts")
    ((last_run_end,),) = _rows(db_url, "SELECT MAX(finished_at) FROM dlgrade_runs")
    assert first_start < last_run_end, "the students answered while the graders were running"


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server and everything it started (its own process group)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)


@pytest.fixture
def concurrent_quiz_load(tmp_path: Path) -> Iterator[Callable[[str], Check]]:
    """The quiz server's share of the test: called with the database URL before the graders start, it
    starts a real ``dlgrade quiz serve`` on the same (still empty) database, whose tables it creates
    while the graders create theirs, and ~40 simulated students who take a quiz while the graders
    grade; returns the check run after the graders finish (no quiz answer lost or duplicated, every
    attempt submitted and graded), which stops the server."""
    servers: list[subprocess.Popen[bytes]] = []

    def start(db_url: str) -> Check:
        folder = tmp_path / "quiz"
        folder.mkdir()
        quiz_path = folder / "load.yaml"
        quiz_path.write_text(
            "title: Load\ntime_limit_s: 600\nfeedback: immediately\nquestions:\n"
            + "".join(f"  - id: {q}\n" for q in QUIZ_QUESTIONS)
        )
        port = _free_port()
        env = {**subprocess_env(), "DLGRADE_QUIZ_SECRET": QUIZ_SECRET}
        for name in ("JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_PREFIX"):
            env.pop(name, None)
        log = folder / "server.log"
        command = [str(DLGRADE), "quiz", "serve", "--db", db_url, "--port", str(port)]
        command += ["--quizzes", str(folder), "--course-id", QUIZ_COURSE]
        with log.open("wb") as out:
            server = subprocess.Popen(
                command,
                env=env,
                cwd=folder,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        servers.append(server)
        load = QuizLoad(db_url, f"http://127.0.0.1:{port}/", _expected_answers(quiz_path))
        thread = threading.Thread(target=load.run, name="quiz-load", daemon=True)
        thread.start()

        def check() -> None:
            try:
                thread.join(120)
                assert not thread.is_alive(), "the simulated students did not finish in 2 minutes"
                assert server.poll() is None, f"the quiz server died:\n{log.read_text()}"
                assert load.errors == [], f"{len(load.errors)} failed request(s): {load.errors[:3]}"
                assert len(load.results) == QUIZ_STUDENTS
                _check_quiz_rows(db_url, load)
            finally:
                _stop(server)
            assert server.returncode is not None

        return check

    yield start
    for server in servers:  # the test failed before its check
        _stop(server)


def _rows(db_url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(resolve_url(db_url))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql)).all()]
    finally:
        engine.dispose()


def test_concurrent_grading_runs_lose_and_duplicate_nothing(
    tmp_path: Path, concurrent_quiz_load: Callable[[str], Check]
) -> None:
    require_postgres()
    course = make_course(tmp_path)
    students = _populate(course)
    with postgres_database() as db_url:
        quiz_check = concurrent_quiz_load(db_url)
        grade = [str(DLGRADE), "grade", "--seed", SEED, "--workers", "1", "--json"]
        runs = {
            assignment: subprocess.Popen(
                [*grade, assignment, "--course", str(course.root), "--db", db_url],
                env=subprocess_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for assignment in students
        }
        reports: dict[str, dict[str, Any]] = {}
        for assignment, run in runs.items():
            out, err = run.communicate(timeout=300)
            assert run.returncode == 0, f"{assignment}: {err.decode()}"
            reports[assignment] = json.loads(out)
        quiz_check()

        reported = {(a, r["student"]): r["score"] for a, report in reports.items() for r in report["results"]}
        expected = {(a, s) for a, names in students.items() for s in names}
        assert set(reported) == expected, "every run graded all of its submissions"

        ours = _rows(db_url, "SELECT assignment, student, score FROM dlgrade_submission_results")
        assert len(ours) == len(expected) and {(a, s): sc for a, s, sc in ours} == reported
        theirs = _rows(
            db_url,
            "SELECT a.name, s.student_id FROM submitted_assignment s "
            "JOIN assignment a ON a.id = s.assignment_id",
        )
        assert sorted(theirs) == sorted(expected), "one nbgrader submission per student and assignment"
        everyone = set().union(*students.values())
        assert sorted(s for (s,) in _rows(db_url, "SELECT id FROM student")) == sorted(everyone)
        assert _rows(db_url, "SELECT COUNT(*) FROM course") == [(1,)]
        finished = _rows(db_url, "SELECT assignment FROM dlgrade_runs WHERE finished_at IS NOT NULL")
        assert sorted(a for (a,) in finished) == sorted(students)
        # Every grade cell of every submitted notebook has exactly one grade.
        missing = _rows(
            db_url,
            "SELECT sa.student_id, bc.name, COUNT(g.id) FROM submitted_assignment sa "
            "JOIN submitted_notebook sn ON sn.assignment_id = sa.id "
            "JOIN base_cell bc ON bc.notebook_id = sn.notebook_id "
            "JOIN grade_cells gc ON gc.id = bc.id "
            "LEFT JOIN grade g ON g.notebook_id = sn.id AND g.cell_id = gc.id "
            "GROUP BY sa.student_id, bc.name, sn.id HAVING COUNT(g.id) != 1",
        )
        assert missing == []

        from nbgrader.api import Gradebook

        url = resolve_url(db_url).render_as_string(hide_password=False)
        with Gradebook(url, course_id=course.course_id) as gradebook:
            for (assignment, student), score in reported.items():
                assert gradebook.find_submission(assignment, student).score == pytest.approx(score)
        for assignment in OTHERS:
            scores = {r["student"]: r["score"] for r in reports[assignment]["results"]}
            assert scores == {"s01-correct": 100.0, "s02-stub": 0.0}
