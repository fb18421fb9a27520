"""`dlgrade quiz serve` as a real process: links from `dlgrade quiz links` open the page, the API
answers, maths arrives as MathML, a bad database URL is an error, and Ctrl-C or SIGTERM leaves no
process behind.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from click.testing import CliRunner

from grader.cli import cli
from quizzes.bank import load_bank
from quizzes.quiz import build_paper, load_quiz

pytestmark = pytest.mark.slow

QUIZ = "cli-quiz"
QUESTIONS = ["autoencoder-definition", "adam-bias-correction-v"]  # the second one has LaTeX in its text
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env() -> dict[str, str]:
    """The environment of a standalone server: no hub, no secret or database from the environment."""
    env = dict(os.environ)
    for name in ("DLGRADE_QUIZ_SECRET", "DLGRADE_DB", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_PREFIX"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def serve_command(db_url: str, port: int, quizzes: Path, secret: Path) -> list[str]:
    command = [sys.executable, "-m", "grader.cli", "quiz", "serve", "--db", db_url, "--port", str(port)]
    return [*command, "--quizzes", str(quizzes), "--secret-file", str(secret)]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    base: str
    quizzes: Path
    secret: Path
    log: Path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A `dlgrade quiz serve` subprocess (its own process group) on a new SQLite gradebook."""
    quizzes = tmp_path / "quizzes"
    quizzes.mkdir()
    data = {"title": "CLI quiz", "feedback": "immediately", "questions": [{"id": q} for q in QUESTIONS]}
    (quizzes / f"{QUIZ}.yaml").write_text(yaml.safe_dump(data))
    secret, log, port = tmp_path / "quiz-secret", tmp_path / "server.log", free_port()
    command = serve_command(f"sqlite:///{tmp_path / 'gradebook.db'}", port, quizzes, secret)
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=server_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}api/health", timeout=1).json() == {"ok": True}:
                    break
            except requests.RequestException:
                assert process.poll() is None, f"the server exited:\n{log.read_text()}"
                assert time.monotonic() < deadline, f"the server did not answer in 60 s:\n{log.read_text()}"
                time.sleep(0.2)
        yield Served(process, base, quizzes, secret, log)
    finally:
        if group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def links(served: Served, *args: str) -> dict[str, Any]:
    options = [
        "--base-url",
        served.base,
        "--quizzes",
        str(served.quizzes),
        "--secret-file",
        str(served.secret),
    ]
    result = CliRunner().invoke(
        cli, ["quiz", "links", QUIZ, *options, "--json", *args], env={"DLGRADE_QUIZ_SECRET": None}
    )
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def test_links_open_the_page_and_the_api_answers(served):
    data = links(served, "--students", "ana,ben", "--instructor")
    url = {row["student_id"]: row["url"] for row in data["links"]}
    assert set(url) == {"ana", "ben"} and all(
        u.startswith(f"{served.base}quiz/{QUIZ}?") for u in url.values()
    )
    # The server created the secret file (private); the links are signed with it.
    assert served.secret.stat().st_mode & 0o077 == 0

    ana = requests.Session()
    page = ana.get(url["ana"], timeout=10)
    assert page.status_code == 200 and "token=" not in page.url and "CLI quiz" in page.text
    config = json.loads(re.search(r'type="application/json">(.*?)</script>', page.text, re.S).group(1))
    api, xsrf = f"{served.base}api/quiz/{QUIZ}", {"X-XSRFToken": config["xsrf"]}
    state = ana.get(api, timeout=10).json()
    assert state["student"] == "ana" and state["status"] == "not-started" and state["quiz"]["questions"] == 2

    state = ana.post(f"{api}/start", json={}, headers=xsrf, timeout=10).json()
    assert state["status"] == "open"
    shown = {q["id"]: q for q in state["paper"]["questions"]}
    assert '<math display="inline">' in shown["adam-bias-correction-v"]["text_html"]
    paper = build_paper(load_quiz(served.quizzes / f"{QUIZ}.yaml"), load_bank(), "ana")
    for revision, item in enumerate(paper.items, start=1):
        response = item.rendered.correct_response()
        body = {"attempt": 1, "question": item.rendered.id, "response": response, "revision": revision}
        saved = ana.post(f"{api}/answer", json=body, headers=xsrf, timeout=10)
        assert saved.status_code == 200 and saved.json()["stored"], saved.text
    done = ana.post(f"{api}/submit", json={"attempt": 1}, headers=xsrf, timeout=10).json()
    assert done["status"] == "submitted" and done["result"]["score"] == done["result"]["max_score"] == 2

    teacher = requests.Session()
    assert teacher.get(str(data["instructor"]), timeout=10).status_code == 200
    progress = teacher.get(f"{api}/progress", timeout=10).json()
    assert [(r["student_id"], r["status"]) for r in progress["students"]] == [("ana", "graded")]
    # Ben's link is Ben's only; without a link there is no way in.
    stolen = url["ben"].replace("student=ben", "student=ana")
    assert requests.get(stolen, timeout=10).status_code == 403
    assert requests.get(api, timeout=10).status_code == 403

    # Ctrl-C stops the server cleanly: exit status 0, nothing left in its process group.
    served.process.send_signal(signal.SIGINT)
    assert served.process.wait(15) == 0, served.log.read_text()
    assert not group_alive(served.process.pid)
    assert "Traceback" not in served.log.read_text()


def test_sigterm_leaves_no_process_behind(served):
    served.process.terminate()
    served.process.wait(15)
    assert not group_alive(served.process.pid)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{served.base}api/health", timeout=2)


@pytest.mark.parametrize(
    ("db_url", "message"),
    [
        ("nosuchdb://x", "Error: gradebook nosuchdb://x: cannot use this database"),
        ("sqlite:////nonexistent/dir/gradebook.db", "directory /nonexistent/dir does not exist"),
    ],
)
def test_a_bad_database_url_is_an_error(tmp_path, db_url, message):
    quizzes = tmp_path / "quizzes"
    quizzes.mkdir()
    command = serve_command(db_url, 0, quizzes, tmp_path / "quiz-secret")
    done = subprocess.run(command, cwd=tmp_path, env=server_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    errors = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and message in errors[0], (done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr
