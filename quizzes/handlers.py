"""The HTTP handlers of the quiz server: the student's and instructor's pages and the JSON API.

| route (under the prefix) | who | what |
|---|---|---|
| ``quiz/<id>`` | student | the quiz page (standalone: ``?student=&token=`` signs in, then redirects) |
| ``quiz/<id>/instructor`` | instructor | live progress and results (standalone: ``?token=``) |
| ``api/quiz/<id>`` GET | student | quiz, attempt, paper, saved answers, seconds left, result per policy |
| ``api/quiz/<id>/start`` POST | student | open the next attempt |
| ``api/quiz/<id>/answer`` POST | student | ``{attempt, question, response, revision}``; 409 once closed |
| ``api/quiz/<id>/submit`` POST | student | ``{attempt}``: close and grade |
| ``api/quiz/<id>/progress`` GET | instructor | every student's latest attempt |
| ``api/quiz/<id>/results.csv`` GET | instructor | every attempt as CSV |
| ``oauth_callback`` | hub | JupyterHub OAuth |

POSTs need the XSRF token of the page (header ``X-XSRFToken``). API errors are JSON ``{"error": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import tornado.web
from tornado.web import HTTPError

from grader.dbmodels import GradebookUnavailableError, utc_now
from grader.errors import DlgradeError
from quizzes.auth import Identity, LinkIdentity, hub_identity_class
from quizzes.quiz import QuizError
from quizzes.server import MAX_RESPONSE_CHARS, BadAnswerError, QuizService, UnknownQuizError, in_pool
from quizzes.store import QuizClosedError, UnknownAttemptError

_MAX_REVISION = 2**62


def _status_of(exc: DlgradeError) -> int:
    if isinstance(exc, UnknownQuizError | UnknownAttemptError):
        return 404
    if isinstance(exc, BadAnswerError):
        return 400
    if isinstance(exc, QuizClosedError | QuizError):
        return 409
    if isinstance(exc, GradebookUnavailableError):
        return 503
    return 500


class QuizHandler(tornado.web.RequestHandler):
    """What every handler shares; the sign-in class (link or hub) comes first in the final class."""

    api = False

    def identity(self) -> Identity | None:  # pragma: no cover - provided by the sign-in class
        raise NotImplementedError

    def sign_in_from_link(self, instructor_page: bool) -> bool:  # pragma: no cover - as above
        raise NotImplementedError

    @property
    def service(self) -> QuizService:
        service: QuizService = self.settings["dlgrade_service"]
        return service

    def user(self, instructor: bool = False) -> Identity:
        """The signed-in user (an instructor when asked); 403 otherwise."""
        who = self.identity()
        if who is None:
            raise HTTPError(403, reason="Not signed in: open the quiz from the link you were given")
        if instructor and not who.instructor:
            raise HTTPError(403, reason="Only instructors may see this page")
        return who

    async def call(self, func: Callable[..., Any], *args: Any) -> Any:
        """``func(*args)`` in the database thread pool; DlgradeError becomes an HTTP error."""
        try:
            return await in_pool(self.application, func, *args)
        except DlgradeError as exc:
            raise HTTPError(_status_of(exc), reason=exc.message.splitlines()[0][:300]) from exc

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = self._reason
        if self.api:
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"error": reason, "status": status_code}))
            return
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(self.render_string("error.html", status=status_code, reason=reason))

    def send_json(self, data: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(data))

    def json_body(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            raise HTTPError(400, reason="the request body is not JSON") from None
        if not isinstance(body, dict):
            raise HTTPError(400, reason="the request body must be a JSON object")
        return body


class PageHandler(QuizHandler):
    """A page: a valid link token signs in and redirects to the same page without it."""

    instructor_page = False
    template = ""

    async def get(self, quiz_id: str) -> None:
        if self.get_query_argument("token", None) is not None:
            if not self.sign_in_from_link(self.instructor_page):
                raise HTTPError(403, reason="This link is not valid: ask your instructor for yours")
            self.redirect(self.request.path)
            return
        if self.identity() is None and self.settings.get("dlgrade_hub"):
            self.redirect(self.get_login_url())
            return
        who = self.user(instructor=self.instructor_page)
        quiz = await self.call(self.service.quiz, quiz_id)
        prefix = self.settings["dlgrade_prefix"]
        config = {
            "quiz": quiz_id,
            "title": quiz.title,
            "user": who.name,
            "api": f"{prefix}api/quiz/{quiz_id}",
            "xsrf": self.xsrf_token.decode("ascii"),
            "poll_s": self.settings["dlgrade_poll_s"],
        }
        self.set_header("Cache-Control", "no-store")
        self.render(self.template, config=config, title=quiz.title, user=who.name)


class StudentPage(PageHandler):
    template = "student.html"


class InstructorPage(PageHandler):
    instructor_page = True
    template = "instructor.html"


class StateApi(QuizHandler):
    api = True

    async def get(self, quiz_id: str) -> None:
        who = self.user()
        self.send_json(await self.call(self.service.state, quiz_id, who.name, utc_now()))


class ActionApi(QuizHandler):
    api = True

    async def post(self, quiz_id: str, action: str) -> None:
        who = self.user()
        body = self.json_body()
        if action == "start":
            self.send_json(await self.call(self.service.start, quiz_id, who.name, utc_now()))
            return
        number = body.get("attempt")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise HTTPError(400, reason="attempt must be a positive integer")
        if action == "submit":
            self.send_json(await self.call(self.service.submit, quiz_id, who.name, number, utc_now()))
            return
        question, revision = body.get("question"), body.get("revision")
        if not isinstance(question, str) or not question:
            raise HTTPError(400, reason="question must be a question id")
        if not isinstance(revision, int) or isinstance(revision, bool) or not 0 <= revision < _MAX_REVISION:
            raise HTTPError(400, reason="revision must be a non-negative integer")
        response = body.get("response")
        if len(json.dumps(response)) > MAX_RESPONSE_CHARS:
            raise HTTPError(400, reason=f"the answer is longer than {MAX_RESPONSE_CHARS} characters")
        saved = await self.call(
            self.service.answer, quiz_id, who.name, number, question, response, revision, utc_now()
        )
        self.send_json(saved)


class ProgressApi(QuizHandler):
    api = True

    async def get(self, quiz_id: str) -> None:
        self.user(instructor=True)
        self.send_json(await self.call(self.service.progress, quiz_id, utc_now()))


class ResultsCsv(QuizHandler):
    api = True

    async def get(self, quiz_id: str) -> None:
        self.user(instructor=True)
        text = await self.call(self.service.results_csv, quiz_id)
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{quiz_id}-results.csv"')
        self.finish(text)


class HealthApi(tornado.web.RequestHandler):
    def get(self) -> None:
        self.finish({"ok": True})


def routes(prefix: str, hub: bool) -> list[Any]:
    """The URL routes under ``prefix``, each handler signed in by links or by the hub."""
    base: type[Any] = hub_identity_class() if hub else LinkIdentity
    quiz = r"([A-Za-z0-9][A-Za-z0-9_.-]*)"

    def signed(cls: type[QuizHandler]) -> type[Any]:
        return type(cls.__name__, (base, cls), {})

    out: list[Any] = [
        (rf"{prefix}quiz/{quiz}/instructor/?", signed(InstructorPage)),
        (rf"{prefix}quiz/{quiz}/?", signed(StudentPage)),
        (rf"{prefix}api/quiz/{quiz}/(start|answer|submit)", signed(ActionApi)),
        (rf"{prefix}api/quiz/{quiz}/progress", signed(ProgressApi)),
        (rf"{prefix}api/quiz/{quiz}/results\.csv", signed(ResultsCsv)),
        (rf"{prefix}api/quiz/{quiz}", signed(StateApi)),
        (rf"{prefix}api/health", HealthApi),
    ]
    if hub:
        from jupyterhub.services.auth import HubOAuthCallbackHandler  # type: ignore[import-untyped]

        out.append((rf"{prefix}oauth_callback", HubOAuthCallbackHandler))
    return out
