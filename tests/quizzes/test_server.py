"""The quiz server over HTTP: a real tornado server on 127.0.0.1 in a thread, a real database.

Sign-in by link tokens, XSRF, answers saved and reloaded, revisions, the deadline enforced by the
server, submit and grading, the instructor's progress and CSV, a restart losing nothing, the export.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from quizzes.auth import instructor_token, student_token
from quizzes.bank import load_bank
from quizzes.quiz import Quiz, build_paper, load_quiz
from quizzes.server import RunningServer, ServerSettings, start
from quizzes.store import SqlAttemptStore
from tests.grader.conftest import BACKENDS, postgres_database, require_postgres, sqlite_url

SECRET = b"test-secret-0123456789abcdef0123456789abcdef"
QUESTIONS = ["autoencoder-definition", "conv-output-size", "adam-defaults"]


def write_quiz(directory: Path, quiz_id: str, **fields: Any) -> Quiz:
    """A quiz file of real bank questions in ``directory``."""
    data = {"title": f"Quiz {quiz_id}", "questions": [{"id": q} for q in QUESTIONS], **fields}
    path = directory / f"{quiz_id}.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_quiz(path)


def quiz_settings(db_url: str, directory: Path) -> ServerSettings:
    """Three quizzes: ``pop`` (feedback at once, 2 attempts), ``later`` (after close) and ``blink``
    (2 seconds, no grace: a limit only a test uses, so it is given in memory)."""
    directory.mkdir(exist_ok=True)
    write_quiz(directory, "pop", time_limit_s=300, feedback="immediately", attempts=2)
    write_quiz(directory, "later", time_limit_s=300, feedback="after-close")
    blink = replace(write_quiz(directory, "blink", grace_s=0), time_limit_s=2)
    return ServerSettings(
        db_url=db_url,
        secret=SECRET,
        instructor_token=instructor_token(SECRET),
        quizzes_dir=directory,
        course_id="dl101",
        close_every_s=0.25,
        quizzes={"blink": blink},
    )


class ServerThread:
    """The quiz server listening on a free port of 127.0.0.1, in its own thread and event loop."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.running: RunningServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def _run(self) -> None:
        async def main() -> None:
            try:
                self.running = start(self.settings, "127.0.0.1", 0)
            except BaseException as exc:
                self._error = exc
                self._ready.set()
                return
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            await self._stop.wait()
            self.running.stop()

        asyncio.run(main())

    def __enter__(self) -> ServerThread:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def url(self) -> str:
        assert self.running is not None
        return f"http://127.0.0.1:{self.running.port}/"


def page_config(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="dlgrade-config" type="application/json">(.*?)</script>', html, re.S)
    assert found, html[:500]
    return dict(json.loads(found.group(1).replace("<\\/", "</")))


class Student:
    """A browser-less client: signs in by link, keeps cookies, sends the page's XSRF token."""

    def __init__(self, base: str, quiz_id: str, student_id: str, token: str | None = None) -> None:
        self.base, self.quiz_id, self.student_id = base, quiz_id, student_id
        self.session = requests.Session()
        token = student_token(SECRET, student_id) if token is None else token
        page = self.session.get(
            f"{base}quiz/{quiz_id}", params={"student": student_id, "token": token}, timeout=10
        )
        self.status, self.page = page.status_code, page.text
        self.xsrf = page_config(page.text)["xsrf"] if page.ok else ""

    def get(self, path: str = "") -> requests.Response:
        return self.session.get(f"{self.base}api/quiz/{self.quiz_id}{path}", timeout=10)

    def post(self, action: str, body: dict[str, Any]) -> requests.Response:
        headers = {"X-XSRFToken": self.xsrf}
        return self.session.post(
            f"{self.base}api/quiz/{self.quiz_id}/{action}", json=body, headers=headers, timeout=10
        )

    def answer(self, attempt: int, question: str, response: Any, revision: int) -> requests.Response:
        body = {"attempt": attempt, "question": question, "response": response, "revision": revision}
        return self.post("answer", body)


def instructor_session(base: str, quiz_id: str) -> requests.Session:
    session = requests.Session()
    page = session.get(
        f"{base}quiz/{quiz_id}/instructor", params={"token": instructor_token(SECRET)}, timeout=10
    )
    assert page.ok and "progress" in page.text
    return session


@pytest.fixture(params=BACKENDS)
def server_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    require_postgres()
    with postgres_database("dlgrade_quiz_server") as url:
        yield url


@pytest.fixture
def server(server_db: str, tmp_path: Path) -> Iterator[ServerThread]:
    with ServerThread(quiz_settings(server_db, tmp_path / "quizzes")) as running:
        yield running


def right_answers(quiz_id: str, student_id: str, directory: Path) -> dict[str, Any]:
    paper = build_paper(load_quiz(directory / f"{quiz_id}.yaml"), load_bank(), student_id)
    return {item.rendered.id: item.rendered.correct_response() for item in paper.items}


def test_sign_in_is_required_and_tokens_are_per_student(server):
    anonymous = requests.get(f"{server.url}api/quiz/pop", timeout=10)
    assert anonymous.status_code == 403 and "link" in anonymous.json()["error"]
    page = requests.get(f"{server.url}quiz/pop", timeout=10)
    assert page.status_code == 403
    # Bob's token does not open Ana's quiz; a forged cookie is not a signed one.
    stolen = Student(server.url, "pop", "ana", token=student_token(SECRET, "bob"))
    assert stolen.status == 403 and "This link is not valid" in stolen.page
    forged = requests.Session()
    forged.cookies.set("dlgrade_quiz_user", json.dumps({"name": "ana", "instructor": True}))
    assert forged.get(f"{server.url}api/quiz/pop", timeout=10).status_code == 403
    # A student is not an instructor.
    ana = Student(server.url, "pop", "ana")
    assert ana.status == 200 and ana.get().json()["student"] == "ana"
    assert ana.get("/progress").status_code == 403
    assert ana.session.get(f"{server.url}quiz/pop/instructor", timeout=10).status_code == 403
    # POSTs need the page's XSRF token.
    assert ana.session.post(f"{server.url}api/quiz/pop/start", json={}, timeout=10).status_code == 403
    assert Student(server.url, "nope", "ana").status == 404


def test_answers_are_saved_reloaded_submitted_and_graded(server, tmp_path):
    ana = Student(server.url, "pop", "ana")
    state = ana.get().json()
    assert state["status"] == "not-started" and state["quiz"]["questions"] == 3
    state = ana.post("start", {}).json()
    assert state["status"] == "open" and 295 < state["attempt"]["remaining_s"] <= 300
    questions = {q["id"]: q for q in state["paper"]["questions"]}
    assert set(questions) == set(QUESTIONS)
    assert "correct" not in json.dumps(state["paper"]) and "<p>" in questions["conv-output-size"]["text_html"]
    right = right_answers("pop", "ana", tmp_path / "quizzes")
    for k, (qid, response) in enumerate(right.items()):
        saved = ana.answer(1, qid, response, revision=10 + k)
        assert saved.status_code == 200 and saved.json()["stored"], saved.text
    # A stale revision (a slow request from before) does not overwrite; a repeat is harmless.
    assert not ana.answer(1, "conv-output-size", "-1", revision=1).json()["stored"]
    assert ana.answer(1, "conv-output-size", right["conv-output-size"], revision=11).json()["stored"]
    assert ana.answer(1, "not-on-paper", "x", revision=99).status_code == 400
    assert ana.answer(1, "conv-output-size", "x" * 30_000, revision=99).status_code == 400
    # A second tab (a new sign-in) sees the same attempt and answers.
    tab = Student(server.url, "pop", "ana")
    assert tab.post("start", {}).json()["attempt"]["number"] == 1
    assert tab.get().json()["responses"] == right
    done = ana.post("submit", {"attempt": 1}).json()
    assert done["status"] == "submitted" and done["result"]["score"] == done["result"]["max_score"] > 0
    assert {i["question"] for i in done["result"]["items"]} == set(QUESTIONS)
    assert all(i["feedback_html"] for i in done["result"]["items"])
    late = ana.answer(1, "conv-output-size", "3", revision=50)
    assert late.status_code == 409 and "already submitted" in late.json()["error"]
    # The second attempt opens on request; the third is refused.
    assert ana.post("start", {}).json()["attempt"]["number"] == 2
    ana.post("submit", {"attempt": 2})
    refused = ana.post("start", {})
    assert refused.status_code == 409 and "all 2 attempt" in refused.json()["error"]


def test_the_server_enforces_the_deadline(server):
    bob = Student(server.url, "blink", "bob")
    state = bob.post("start", {}).json()
    assert state["attempt"]["remaining_s"] <= 2
    assert bob.answer(1, "conv-output-size", "5", revision=1).status_code == 200
    time.sleep(2.6)
    late = bob.answer(1, "conv-output-size", "6", revision=2)
    assert late.status_code == 409
    assert "time was up" in late.json()["error"] or "already submitted" in late.json()["error"]
    # The server closed and graded the attempt by itself, as of the deadline, with the saved answer.
    state = bob.get().json()
    assert state["status"] == "submitted" and state["responses"] == {"conv-output-size": "5"}
    with SqlAttemptStore(server.settings.db_url, "dl101") as store:
        (result,) = store.results("blink")
    assert result.status == "graded" and result.attempt.submitted_at <= result.attempt.hard_deadline


def test_feedback_after_close_waits_for_everyone(server):
    ana, bob = Student(server.url, "later", "ana"), Student(server.url, "later", "bob")
    ana.post("start", {})
    bob.post("start", {})
    done = ana.post("submit", {"attempt": 1}).json()
    assert "result" not in done and "closed for everyone" in done["result_note"]
    bob.post("submit", {"attempt": 1})
    assert ana.get().json()["result"]["max_score"] > 0


def test_instructor_sees_progress_and_downloads_csv(server, tmp_path):
    ana, bob = Student(server.url, "pop", "ana"), Student(server.url, "pop", "bob")
    ana.post("start", {})
    bob.post("start", {})
    right = right_answers("pop", "ana", tmp_path / "quizzes")
    for k, (qid, response) in enumerate(right.items()):
        ana.answer(1, qid, response, revision=k + 1)
    bob.answer(1, "conv-output-size", "1", revision=1)
    ana.post("submit", {"attempt": 1})
    teacher = instructor_session(server.url, "pop")
    progress = teacher.get(f"{server.url}api/quiz/pop/progress", timeout=10).json()
    rows = {r["student_id"]: r for r in progress["students"]}
    assert rows["ana"]["status"] == "graded" and rows["ana"]["answered"] == 3
    assert rows["bob"]["status"] == "open" and rows["bob"]["answered"] == 1 and rows["bob"]["questions"] == 3
    assert (progress["started"], progress["submitted"]) == (2, 1)
    text = teacher.get(f"{server.url}api/quiz/pop/results.csv", timeout=10).text
    lines = {r["student_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert float(lines["ana"]["score"]) == float(lines["ana"]["max_score"]) > 0
    assert lines["bob"]["status"] == "open" and lines["bob"]["score"] == ""
    bad = requests.get(f"{server.url}quiz/pop/instructor", params={"token": "guess"}, timeout=10)
    assert bad.status_code == 403


def test_a_restart_loses_nothing(server_db, tmp_path):
    settings = quiz_settings(server_db, tmp_path / "quizzes")
    with ServerThread(settings) as first:
        ana = Student(first.url, "pop", "ana")
        ana.post("start", {})
        assert ana.answer(1, "conv-output-size", "12", revision=5).ok
    with ServerThread(settings) as second:
        again = Student(second.url, "pop", "ana")
        state = again.get().json()
        assert state["status"] == "open" and state["responses"] == {"conv-output-size": "12"}
        assert again.answer(1, "conv-output-size", "13", revision=6).json()["stored"]


def test_links_command_prints_links_that_sign_in(server, tmp_path, monkeypatch):
    import click
    from click.testing import CliRunner

    from grader.quizcli import register

    @click.group()
    def group() -> None:
        """Test group."""

    register(group)
    monkeypatch.setenv("DLGRADE_QUIZ_SECRET", SECRET.decode())
    quizzes = str(server.settings.quizzes_dir)
    students = tmp_path / "students.txt"
    students.write_text("ana\n# a comment\nbob\n\nana\n")
    args = [
        "quiz",
        "links",
        "pop",
        "--students",
        str(students),
        "--base-url",
        server.url,
        "--quizzes",
        quizzes,
    ]
    result = CliRunner().invoke(group, [*args, "--json", "--instructor"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [row["student_id"] for row in data["links"]] == ["ana", "bob"]
    page = requests.Session()
    assert page.get(data["links"][1]["url"], timeout=10).ok
    assert page.get(f"{server.url}api/quiz/pop", timeout=10).json()["student"] == "bob"
    assert requests.get(data["instructor"], timeout=10).ok
    text = CliRunner().invoke(group, ["quiz", "links", "pop", "--students", "cy,dee", "--quizzes", quizzes])
    assert text.exit_code == 0 and text.output.startswith(
        "cy\thttp://127.0.0.1:8765/quiz/pop?student=cy&token="
    )
    unknown = CliRunner().invoke(group, ["quiz", "links", "nope", "--students", "cy", "--quizzes", quizzes])
    assert unknown.exit_code == 1 and "no quiz 'nope'" in unknown.output


def test_the_secret_file_is_private(tmp_path, monkeypatch):
    from grader.errors import FileError
    from quizzes.auth import load_secret

    monkeypatch.delenv("DLGRADE_QUIZ_SECRET", raising=False)
    path = tmp_path / "secret"
    first = load_secret(path)
    assert path.stat().st_mode & 0o777 == 0o600 and load_secret(path) == first and len(first) >= 32
    path.chmod(0o644)
    with pytest.raises(FileError, match="must be private"):
        load_secret(path)


def test_hub_mode_sends_students_to_the_hub_login(tmp_path, monkeypatch):
    from jupyterhub.services.auth import HubOAuth

    prefix = "/services/quiz/"
    env = {
        "JUPYTERHUB_API_TOKEN": "service-token",
        "JUPYTERHUB_API_URL": "http://127.0.0.1:1/hub/api",
        "JUPYTERHUB_BASE_URL": "/",
        "JUPYTERHUB_CLIENT_ID": "service-quiz",
        "JUPYTERHUB_SERVICE_PREFIX": prefix,
        "JUPYTERHUB_OAUTH_CALLBACK_URL": f"{prefix}oauth_callback",
        "JUPYTERHUB_HOST": "",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    HubOAuth.clear_instance()
    from quizzes.auth import hub_prefix, in_hub

    assert in_hub() and hub_prefix() == prefix
    settings = quiz_settings(sqlite_url(tmp_path), tmp_path / "quizzes")
    settings.hub, settings.prefix = True, prefix
    try:
        with ServerThread(settings) as running:
            base = f"http://127.0.0.1:{running.running.port}{prefix}"
            page = requests.get(f"{base}quiz/pop", allow_redirects=False, timeout=10)
            assert page.status_code == 302
            assert "/hub/api/oauth2/authorize" in page.headers["Location"]
            assert "client_id=service-quiz" in page.headers["Location"]
            api = requests.get(f"{base}api/quiz/pop", timeout=10)
            assert api.status_code == 403 and "error" in api.json()
            assert requests.get(f"{base}oauth_callback", timeout=10).status_code == 400
    finally:
        HubOAuth.clear_instance()
