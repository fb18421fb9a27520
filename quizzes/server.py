"""The quiz web server: students take quizzes in the browser, instructors watch progress and results.

``make_app(settings)`` builds the tornado application; ``serve(settings, ip, port)`` runs it. State
lives in the gradebook database (:class:`quizzes.store.SqlAttemptStore`), so a restart, a reload or
a second tab loses nothing; the server closes every attempt at its hard deadline (deadline plus
grace) and grades it as of then. :class:`QuizService` is the part without HTTP: what each request
does, run in a thread pool so that the event loop never waits for the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import logging
import os
import socket
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import tornado.httpserver
import tornado.process
import tornado.web
from tornado.ioloop import PeriodicCallback
from tornado.netutil import bind_sockets

from grader.dbmodels import utc_now
from grader.errors import DlgradeError
from quizzes import BANK_DIR, PACKAGE_DIR, QUIZZES_DIR
from quizzes.bank import Bank, load_bank
from quizzes.markup import page_html, page_inline_html, page_text
from quizzes.quiz import (
    Attempt,
    Paper,
    Quiz,
    build_paper,
    feedback_visible,
    find_quiz,
    grade_paper,
)
from quizzes.store import AttemptResult, SqlAttemptStore

log = logging.getLogger("dlgrade.quiz")

T = TypeVar("T")

MAX_RESPONSE_CHARS = 20_000
"""Longest answer accepted (JSON text), so that one client cannot fill the database."""

CSV_COLUMNS = (
    "student_id",
    "attempt",
    "status",
    "score",
    "max_score",
    "answered",
    "questions",
    "started_at",
    "submitted_at",
    "graded_at",
)


class UnknownQuizError(DlgradeError):
    """No quiz file with this id."""


class BadAnswerError(DlgradeError):
    """An answer the server refuses to store: not on the paper, too long, malformed."""


@dataclass
class ServerSettings:
    """How the server runs: database, quiz and question folders, course, URL prefix, sign-in."""

    db_url: str
    secret: bytes
    instructor_token: str
    quizzes_dir: Path = QUIZZES_DIR
    bank_dir: Path = BANK_DIR
    course_id: str = "default"
    prefix: str = "/"
    hub: bool = False
    instructor_groups: tuple[str, ...] = ("instructors",)
    close_every_s: float = 1.0
    poll_s: float = 3.0
    """How often the instructor's page refreshes."""
    workers: int = 4
    quizzes: dict[str, Quiz] = field(default_factory=dict)
    """Quizzes held in memory (an embedding application, tests): used instead of files of these ids."""
    extra: dict[str, Any] = field(default_factory=dict)

    def groups(self) -> tuple[str, ...]:
        """The hub groups whose members are instructors (plus nbgrader's formgrade group)."""
        return (*self.instructor_groups, f"formgrade-{self.course_id}")


class QuizService:
    """What the server does for each request, over the store; thread-safe, blocking."""

    def __init__(self, settings: ServerSettings, bank: Bank | None = None) -> None:
        self.settings = settings
        self.bank = bank if bank is not None else load_bank(settings.bank_dir)
        self.store = SqlAttemptStore(settings.db_url, settings.course_id)
        self._lock = threading.Lock()
        self._quizzes: dict[str, tuple[float, Quiz]] = {}
        self._papers: OrderedDict[tuple[str, float, str, int], tuple[Paper, dict[str, Any]]] = OrderedDict()

    def close(self) -> None:
        """Release the database."""
        self.store.close()

    # ------------------------------------------------------------------ quizzes and papers

    def quiz(self, quiz_id: str) -> Quiz:
        """The quiz ``quiz_id`` (re-read when its file changes); UnknownQuizError when missing."""
        if quiz_id in self.settings.quizzes:
            return self.settings.quizzes[quiz_id]
        path = self.settings.quizzes_dir / f"{quiz_id}.yaml"
        if not quiz_id.replace("-", "").replace("_", "").isalnum() or not path.is_file():
            raise UnknownQuizError(f"no quiz {quiz_id!r}")
        mtime = path.stat().st_mtime
        with self._lock:
            cached = self._quizzes.get(quiz_id)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        quiz = find_quiz(quiz_id, self.settings.quizzes_dir)
        with self._lock:
            self._quizzes[quiz_id] = (mtime, quiz)
        return quiz

    def paper(self, quiz: Quiz, student_id: str, number: int) -> Paper:
        """The student's paper for attempt ``number`` (built once, kept in a bounded cache)."""
        return self._paper_and_page(quiz, student_id, number)[0]

    def _paper_and_page(self, quiz: Quiz, student_id: str, number: int) -> tuple[Paper, dict[str, Any]]:
        """The paper and what the page shows of it (HTML rendered once); read-only, shared."""
        mtime = self._quizzes.get(quiz.id, (0.0, quiz))[0]
        key = (quiz.id, mtime, student_id, number)
        with self._lock:
            found = self._papers.get(key)
            if found is not None:
                self._papers.move_to_end(key)
                return found
        paper = build_paper(quiz, self.bank, student_id, number)
        entry = (paper, _page_paper(paper))
        with self._lock:
            self._papers[key] = entry
            while len(self._papers) > 4096:
                self._papers.popitem(last=False)
        return entry

    # ------------------------------------------------------------------ students

    def state(self, quiz_id: str, student_id: str, now: datetime) -> dict[str, Any]:
        """What the student's page shows: the quiz, the current attempt, saved answers, result."""
        quiz = self.quiz(quiz_id)
        results = self.store.results(quiz_id, student_id)
        if results and self._expired(results[-1].attempt, now):
            self.finalize(quiz, results[-1].attempt, now)
            results = self.store.results(quiz_id, student_id)
        first = self.paper(quiz, student_id, 1)
        out: dict[str, Any] = {
            "quiz": {
                "id": quiz.id,
                "title": quiz.title,
                "description_html": page_html(quiz.description) if quiz.description else "",
                "time_limit_s": quiz.time_allowed_s(student_id),
                "attempts": quiz.attempts,
                "feedback": quiz.feedback,
                "questions": len(first.items),
            },
            "student": student_id,
            "attempts_used": len(results),
            "status": "not-started",
            "attempt": None,
        }
        if not results:
            return out
        latest = results[-1].attempt
        page = self._paper_and_page(quiz, student_id, latest.number)[1]
        out["status"] = "open" if latest.submitted_at is None else "submitted"
        out["attempt"] = {
            "number": latest.number,
            "started_at": latest.started_at.isoformat() + "Z",
            "deadline": latest.deadline.isoformat() + "Z",
            "remaining_s": round((latest.deadline - now).total_seconds(), 3),
            "grace_s": latest.grace_s,
            "submitted_at": latest.submitted_at.isoformat() + "Z" if latest.submitted_at else None,
        }
        out["paper"] = page
        out["responses"] = latest.responses
        if latest.submitted_at is not None:
            closed = quiz.feedback == "after-close" and not any(
                not self._expired(a, now) for a in self.store.open_attempts(quiz_id)
            )
            if feedback_visible(quiz, submitted=True, closed=closed):
                out["result"] = _page_result(results[-1])
            else:
                out["result_note"] = {
                    "after-close": "Scores and feedback are shown once the quiz has closed for everyone.",
                    "never": "This quiz shows no scores or feedback.",
                    "immediately": "",
                }[quiz.feedback]
        return out

    def start(self, quiz_id: str, student_id: str, now: datetime) -> dict[str, Any]:
        """Open the student's next attempt (or keep the open one) and return the page state."""
        quiz = self.quiz(quiz_id)
        max_score = self.paper(quiz, student_id, 1).max_points
        attempt = self.store.start(quiz, student_id, now, max_score=max_score)
        if self._expired(attempt, now):  # left open past its deadline: close it, then the next one
            self.finalize(quiz, attempt, now)
            self.store.start(quiz, student_id, now, max_score=max_score)
        return self.state(quiz_id, student_id, now)

    def answer(
        self,
        quiz_id: str,
        student_id: str,
        number: int,
        question_id: str,
        response: Any,
        revision: int,
        now: datetime,
    ) -> dict[str, Any]:
        """Save one answer (QuizClosedError after the deadline); the stored revision and time left."""
        quiz = self.quiz(quiz_id)
        if question_id not in {item.rendered.id for item in self.paper(quiz, student_id, number).items}:
            raise BadAnswerError(f"question {question_id!r} is not on this paper")
        saved = self.store.save_answer(quiz_id, student_id, number, question_id, response, now, revision)
        assert saved.deadline is not None
        return {
            "question": question_id,
            "revision": saved.revision,
            "stored": saved.stored,
            "remaining_s": round((saved.deadline - now).total_seconds(), 3),
        }

    def submit(self, quiz_id: str, student_id: str, number: int, now: datetime) -> dict[str, Any]:
        """Close and grade the attempt; the page state after."""
        quiz = self.quiz(quiz_id)
        self.finalize(quiz, self.store.attempt(quiz_id, student_id, number), now)
        return self.state(quiz_id, student_id, now)

    def finalize(self, quiz: Quiz, attempt: Attempt, now: datetime) -> None:
        """Submit (as of the hard deadline at the latest) and grade ``attempt``, in one transaction."""
        paper = self.paper(quiz, attempt.student_id, attempt.number)
        self.store.submit(attempt, now, grade=lambda submitted: grade_paper(paper, submitted.responses))

    @staticmethod
    def _expired(attempt: Attempt, now: datetime) -> bool:
        return attempt.submitted_at is None and now > attempt.hard_deadline

    def close_expired(self, now: datetime) -> int:
        """Close and grade every attempt past its hard deadline; how many were closed."""
        closed = 0
        for attempt in self.store.open_attempts():
            if not self._expired(attempt, now):
                continue
            try:
                self.finalize(self.quiz(attempt.quiz_id), attempt, now)
                closed += 1
            except DlgradeError as exc:
                log.error("cannot close %s of %s: %s", attempt.quiz_id, attempt.student_id, exc)
        return closed

    # ------------------------------------------------------------------ instructors

    def progress(self, quiz_id: str, now: datetime) -> dict[str, Any]:
        """Every student's latest attempt: answered, status, time left, score; and totals."""
        quiz = self.quiz(quiz_id)
        latest: dict[str, AttemptResult] = {}
        for result in self.store.results(quiz_id):
            latest[result.attempt.student_id] = result
        rows = []
        for student, result in sorted(latest.items()):
            a = result.attempt
            row = result.as_dict()
            row["questions"] = len(self.paper(quiz, student, a.number).items)
            row["remaining_s"] = (
                max(0.0, round((a.deadline - now).total_seconds(), 1)) if a.submitted_at is None else None
            )
            if self._expired(a, now):
                row["status"] = "closing"
            rows.append(row)
        scores = [r["score"] for r in rows if r["score"] is not None]
        return {
            "quiz": {"id": quiz.id, "title": quiz.title, "time_limit_s": quiz.time_limit_s},
            "students": rows,
            "started": len(rows),
            "submitted": sum(r["submitted_at"] is not None for r in rows),
            "mean_score": round(sum(scores) / len(scores), 3) if scores else None,
            "now": now.isoformat() + "Z",
        }

    def results_csv(self, quiz_id: str) -> str:
        """Every attempt of the quiz as CSV (``CSV_COLUMNS``)."""
        quiz = self.quiz(quiz_id)
        stream = io.StringIO()
        writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for result in self.store.results(quiz_id):
            row = result.as_dict()
            row["questions"] = len(self.paper(quiz, result.attempt.student_id, result.attempt.number).items)
            writer.writerow({k: "" if row.get(k) is None else row[k] for k in CSV_COLUMNS})
        return stream.getvalue()


def _page_paper(paper: Paper) -> dict[str, Any]:
    """The paper as the page renders it: Markdown into HTML, LaTeX into MathML, no answers."""
    public = paper.public()
    for question in public["questions"]:
        question["text_html"] = page_html(question.pop("text"))
        for choice in question.get("choices", []):
            choice["html"] = page_inline_html(choice.pop("text"))
        if "left" in question:  # matching: the left sides as HTML, the right sides as option labels
            question["left_html"] = [page_inline_html(left) for left in question["left"]]
            question["option_labels"] = [page_text(option) for option in question["options"]]
        if "items" in question:  # ordering
            question["items_html"] = [page_inline_html(item) for item in question["items"]]
    return public


def _page_result(result: AttemptResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "score": result.score,
        "max_score": result.max_score,
        "items": [
            {**s.as_dict(), "feedback_html": [page_html(text) for text in s.feedback]} for s in result.scores
        ],
    }


# ---------------------------------------------------------------------- the application


def make_app(settings: ServerSettings, service: QuizService | None = None) -> tornado.web.Application:
    """The tornado application of ``settings`` (hub or standalone sign-in, routes under the prefix)."""
    from quizzes import handlers
    from quizzes.auth import cookie_secret

    service = service or QuizService(settings)
    prefix = settings.prefix if settings.prefix.endswith("/") else settings.prefix + "/"
    return tornado.web.Application(
        handlers.routes(prefix, settings.hub),
        template_path=str(PACKAGE_DIR / "templates"),
        static_path=str(PACKAGE_DIR / "static"),
        static_url_prefix=prefix + "static/",
        cookie_secret=cookie_secret(settings.secret),
        xsrf_cookies=True,
        xsrf_cookie_kwargs={"path": prefix, "samesite": "Strict"},
        dlgrade_service=service,
        dlgrade_executor=ThreadPoolExecutor(settings.workers, thread_name_prefix="quiz-db"),
        dlgrade_secret=settings.secret,
        dlgrade_instructor_token=settings.instructor_token,
        dlgrade_prefix=prefix,
        dlgrade_groups=settings.groups(),
        dlgrade_hub=settings.hub,
        dlgrade_poll_s=settings.poll_s,
        **settings.extra,
    )


@dataclass
class RunningServer:
    """A server listening in the current event loop, with its deadline closer."""

    app: tornado.web.Application
    server: Any
    closer: PeriodicCallback
    port: int

    def stop(self) -> None:
        """Stop listening and closing; release the database and the thread pool."""
        self.closer.stop()
        self.server.stop()
        self.app.settings["dlgrade_executor"].shutdown(wait=False)
        self.app.settings["dlgrade_service"].close()


async def in_pool(app: tornado.web.Application, func: Callable[..., T], *args: Any) -> T:
    """Run ``func(*args)`` in the application's database thread pool."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(app.settings["dlgrade_executor"], func, *args)


def start(
    settings: ServerSettings,
    ip: str = "127.0.0.1",
    port: int = 8765,
    sockets: list[socket.socket] | None = None,
) -> RunningServer:
    """Listen on ``ip:port`` (0: any free port), or on ``sockets``, in the running event loop, and close
    attempts at their deadline."""
    app = make_app(settings)
    sockets = sockets if sockets is not None else bind_sockets(port, ip)
    server = tornado.httpserver.HTTPServer(app, xheaders=True)
    server.add_sockets(sockets)
    service: QuizService = app.settings["dlgrade_service"]
    busy = {"closing": False}

    async def close_due() -> None:
        if busy["closing"]:
            return
        busy["closing"] = True
        try:
            closed = await in_pool(app, service.close_expired, utc_now())
            if closed:
                log.info("closed %d attempt(s) at their deadline", closed)
        except DlgradeError as exc:
            log.error("closing attempts: %s", exc)
        finally:
            busy["closing"] = False

    closer = PeriodicCallback(close_due, settings.close_every_s * 1000)
    closer.start()
    return RunningServer(app, server, closer, sockets[0].getsockname()[1])


def serve(settings: ServerSettings, ip: str = "127.0.0.1", port: int = 8765, processes: int = 1) -> None:
    """Run the server until interrupted; ``processes`` > 1 forks that many servers sharing the port
    (0: one per CPU), all state being in the database."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("tornado.access").setLevel(logging.WARNING)  # errors only, not every save
    sockets = bind_sockets(port, ip)
    where = f"http://{ip}:{sockets[0].getsockname()[1]}{settings.prefix}"
    mode = "hub service" if settings.hub else "standalone"
    log.warning("dlgrade quiz server on %s (%s, %d process(es))", where, mode, processes or os.cpu_count())
    parent = os.getpid()
    if processes != 1:
        tornado.process.fork_processes(processes)

    async def main() -> None:
        running = start(settings, sockets=sockets)
        stop = asyncio.Event()

        def stop_if_orphaned() -> None:  # the parent was killed (SIGTERM): do not serve on alone
            if os.getppid() != parent:
                stop.set()

        watch = PeriodicCallback(stop_if_orphaned, 1000)
        if processes != 1:
            watch.start()
        try:
            await stop.wait()
        finally:
            watch.stop()
            running.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
