"""The quiz pages in a real browser: Playwright driving Debian's chromium against a real server.

A student opens their link, answers a single-choice and a numeric question, reloads (answers still
there, even one typed just before the reload), loses the connection (answers kept and sent when it
is back), submits and sees the result; the instructor's page shows that student's progress live; a
3-second quiz closes itself and refuses a late save. LaTeX shows as MathML laid out by the browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from quizzes.auth import instructor_token, student_token
from quizzes.bank import load_bank
from quizzes.quiz import build_paper
from quizzes.store import SqlAttemptStore
from tests.grader.conftest import sqlite_url
from tests.quizzes.test_server import SECRET, ServerThread, quiz_settings
from tests.services import chromium

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerThread]:
    settings = quiz_settings(sqlite_url(tmp_path), tmp_path / "quizzes")
    settings.poll_s = 0.5
    settings.quizzes["tick"] = replace(settings.quizzes["blink"], id="tick", time_limit_s=3)
    with ServerThread(settings) as running:
        yield running


def link(server: ServerThread, quiz_id: str, student: str) -> str:
    return f"{server.url}quiz/{quiz_id}?student={student}&token={student_token(SECRET, student)}"


def test_a_student_takes_the_quiz_while_the_instructor_watches(browser, server, tmp_path):
    from playwright.sync_api import expect

    paper = build_paper(_pop(server), load_bank(), "ana")
    right = {item.rendered.id: item.rendered.correct_response() for item in paper.items}
    student = browser.new_context()
    teacher = browser.new_context()
    try:
        page = student.new_page()
        page.goto(link(server, "pop", "ana"))
        assert "token=" not in page.url  # the link's token is swapped for a signed cookie
        page.click("#start")
        single = page.locator("#question-autoencoder-definition")
        numeric = page.locator("#question-conv-output-size input")
        single.locator(f'input[value="{right["autoencoder-definition"]}"]').check()
        numeric.fill("999")
        expect(page.locator("#save-status")).to_have_text("All answers saved")

        watch = teacher.new_page()
        watch.goto(f"{server.url}quiz/pop/instructor?token={instructor_token(SECRET)}")
        row = watch.locator('tr[data-student="ana"]')
        expect(row).to_contain_text("2 / 3")
        expect(row).to_have_attribute("data-status", "open")

        # A reload while the last answer is still being typed (not sent yet) loses nothing.
        numeric.fill(str(right["conv-output-size"]))
        page.reload()
        expect(page.locator("#save-status")).to_have_text("All answers saved")
        expect(single.locator(f'input[value="{right["autoencoder-definition"]}"]')).to_be_checked()
        expect(numeric).to_have_value(str(right["conv-output-size"]))

        # The connection drops: the answer waits in the browser, then reaches the server.
        student.set_offline(True)
        page.locator("#question-adam-defaults input").first.check()
        expect(page.locator("#save-status")).to_have_attribute("data-state", "offline")
        student.set_offline(False)
        expect(page.locator("#save-status")).to_have_text("All answers saved", timeout=15_000)
        expect(row).to_contain_text("3 / 3")

        page.click("#submit")
        expect(page.locator("#submitted")).to_be_visible()
        expect(page.locator("#score")).to_contain_text(f"/ {paper.max_points:g}")
        expect(page.locator("#result .feedback").first).to_be_visible()
        # The feedback's LaTeX is MathML that the browser lays out (no MathJax, no CDN).
        formula = page.locator('#result .item-result[data-qid="conv-output-size"] .feedback math').first
        box = formula.bounding_box()
        assert box is not None and box["width"] > 20 and box["height"] > 5
        expect(row).to_have_attribute("data-status", "graded")
        expect(watch.locator("#summary")).to_contain_text("1 started, 1 submitted")
    finally:
        student.close()
        teacher.close()
    with SqlAttemptStore(server.settings.db_url, "dl101") as store:
        (attempt,) = store.attempts("pop", "ana")
    assert attempt.responses["conv-output-size"] == str(right["conv-output-size"])
    assert attempt.responses["autoencoder-definition"] == right["autoencoder-definition"]
    assert len(attempt.responses) == 3 and attempt.submitted_at is not None


def _pop(server: ServerThread) -> Any:
    from quizzes.quiz import load_quiz

    return load_quiz(server.settings.quizzes_dir / "pop.yaml")


def test_a_timed_out_quiz_closes_itself_and_refuses_late_saves(browser, server):
    from playwright.sync_api import expect

    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(link(server, "tick", "cy"))
        page.click("#start")
        page.locator("#question-conv-output-size input").fill("9")
        expect(page.locator("#save-status")).to_have_text("All answers saved")
        expect(page.locator("#app")).to_have_attribute("data-status", "submitted", timeout=8_000)
        expect(page.locator("#timer")).to_have_text("")
        late = page.evaluate(
            """async () => {
                const cfg = JSON.parse(document.getElementById("dlgrade-config").textContent);
                const r = await fetch(cfg.api + "/answer", {method: "POST",
                    headers: {"Content-Type": "application/json", "X-XSRFToken": cfg.xsrf},
                    body: JSON.stringify({attempt: 1, question: "conv-output-size", response: "10",
                                          revision: Date.now()})});
                return [r.status, (await r.json()).error];
            }"""
        )
        assert late[0] == 409 and "submitted" in late[1]
    finally:
        context.close()
    with SqlAttemptStore(server.settings.db_url, "dl101") as store:
        (attempt,) = store.attempts("tick", "cy")
    assert attempt.responses == {"conv-output-size": "9"} and attempt.submitted_at is not None


MATHS_QUIZ = """title: Maths
feedback: immediately
shuffle_questions: false
questions:
  - id: gradcheck-centered
  - id: lstm-gates
"""


def test_latex_is_laid_out_as_mathml(browser, server):
    """Inline maths in a question, its choices and matching items is real MathML (a subscript sits
    lower than its base); a matching answer's maths reads as Unicode in the drop-down."""
    (server.settings.quizzes_dir / "maths.yaml").write_text(MATHS_QUIZ)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(link(server, "maths", "dee"))
        page.click("#start")
        question = page.locator("#question-gradcheck-centered")
        formula = question.locator(".text math").first
        box = formula.bounding_box()
        assert box is not None and box["width"] > 50 and box["height"] > 5
        assert question.locator("label math").count() >= 2  # the choices' O(epsilon^2), O(epsilon)
        assert page.locator(".math-source").count() == 0
        layout = page.evaluate(
            """() => {
                const rect = (e) => e.getBoundingClientRect();
                const sub = document.querySelector("#question-lstm-gates .matching-row msub");
                const math = sub.closest("math");
                return {
                    namespace: math.namespaceURI,
                    baseBottom: rect(sub.children[0]).bottom,
                    subBottom: rect(sub.children[1]).bottom,
                    display: getComputedStyle(math).display,
                };
            }"""
        )
        assert layout["namespace"] == "http://www.w3.org/1998/Math/MathML"
        assert layout["subBottom"] > layout["baseBottom"], layout  # the subscript is lowered
        assert "math" in layout["display"], layout
        labels = page.locator("#question-lstm-gates select").first.locator("option").all_text_contents()
        assert "how much of the cell state to expose as a^⟨t⟩" in labels
        assert not [label for label in labels if "$" in label]
    finally:
        context.close()
