"""Who is taking the quiz: JupyterHub OAuth when run as a hub service, signed link tokens otherwise.

Standalone, each student gets a link ``/quiz/<id>?student=<sid>&token=<tok>`` where ``tok`` is
HMAC-SHA256(secret, student id); opening it sets a signed cookie and the student id is never read
from the client again. The instructor's token is ``DLGRADE_QUIZ_INSTRUCTOR_TOKEN`` or derived from the
same secret. The secret is ``DLGRADE_QUIZ_SECRET`` or a file created with mode 0600.

As a hub service (``JUPYTERHUB_API_TOKEN`` and friends in the environment), the user name is the
student id and instructors are hub admins or members of the instructor groups.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tornado.web import RequestHandler

from grader.errors import FileError

SECRET_ENV = "DLGRADE_QUIZ_SECRET"
INSTRUCTOR_TOKEN_ENV = "DLGRADE_QUIZ_INSTRUCTOR_TOKEN"
DEFAULT_SECRET_FILE = ".dlgrade_quiz_secret"
COOKIE_NAME = "dlgrade_quiz_user"
COOKIE_DAYS = 2


@dataclass(frozen=True)
class Identity:
    """The signed-in user: a student id (the hub user name) and whether they are an instructor."""

    name: str
    instructor: bool = False


def load_secret(path: Path | None = None) -> bytes:
    """The signing secret: ``$DLGRADE_QUIZ_SECRET``, else ``path`` (created 0600 with a random secret
    when missing; refused when others may read it)."""
    from_env = os.environ.get(SECRET_ENV, "")
    if from_env:
        return from_env.encode("utf-8")
    path = path or Path(DEFAULT_SECRET_FILE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            private = f"the quiz secret must be private (chmod 600), mode is {oct(mode & 0o777)}"
            raise FileError(path, private) from None
        text = path.read_text(encoding="utf-8").strip()
        if len(text) < 32:
            raise FileError(path, "the quiz secret is too short (32 characters at least)") from None
        return text.encode("utf-8")
    except OSError as exc:
        raise FileError(path, f"cannot create the quiz secret: {exc.strerror}") from exc
    value = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(value + "\n")
    return value.encode("utf-8")


def student_token(secret: bytes, student_id: str) -> str:
    """The link token of ``student_id``: HMAC-SHA256(secret, student id), hex."""
    return hmac.new(secret, student_id.encode("utf-8"), hashlib.sha256).hexdigest()


def instructor_token(secret: bytes) -> str:
    """``$DLGRADE_QUIZ_INSTRUCTOR_TOKEN``, else a token derived from the secret."""
    return os.environ.get(INSTRUCTOR_TOKEN_ENV, "") or student_token(secret, "\x00instructor")


def cookie_secret(secret: bytes) -> str:
    """The key of tornado's signed cookies (never the link key itself)."""
    return hmac.new(secret, b"\x00cookie", hashlib.sha256).hexdigest()


def check_token(expected: str, given: str | None) -> bool:
    """Constant-time comparison of tokens."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def valid_student_id(student_id: str) -> bool:
    """A student id a link may carry: 1-128 printable characters, no slash."""
    return 0 < len(student_id) <= 128 and student_id.isprintable() and "/" not in student_id


class LinkIdentity(RequestHandler):
    """Standalone sign-in: a student's or the instructor's token in the URL sets a signed cookie."""

    def identity(self) -> Identity | None:
        """The user of the signed cookie, or None."""
        raw = self.get_signed_cookie(COOKIE_NAME, max_age_days=COOKIE_DAYS)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return Identity(str(data["name"]), bool(data["instructor"]))
        except (ValueError, KeyError, TypeError):
            return None

    def sign_in_from_link(self, instructor_page: bool) -> bool:
        """Check ``?student=&token=`` (or the instructor's ``?token=``); on success set the cookie.

        Returns whether the request carried a valid token (the caller then redirects to a clean URL).
        """
        token = self.get_query_argument("token", None)
        if token is None:
            return False
        secret: bytes = self.settings["dlgrade_secret"]
        if instructor_page:
            if not check_token(self.settings["dlgrade_instructor_token"], token):
                return False
            who = Identity("instructor", instructor=True)
        else:
            student = self.get_query_argument("student", "")
            if not valid_student_id(student) or not check_token(student_token(secret, student), token):
                return False
            who = Identity(student)
        self.set_signed_cookie(
            COOKIE_NAME,
            json.dumps({"name": who.name, "instructor": who.instructor}),
            expires_days=COOKIE_DAYS,
            httponly=True,
            secure=self.request.protocol == "https",
            samesite="Lax",
            path=self.settings["dlgrade_prefix"],
        )
        return True


def hub_identity_class() -> type[Any]:
    """The base handler class of hub mode: JupyterHub OAuth decides who the user is."""
    from jupyterhub.services.auth import HubOAuthenticated  # type: ignore[import-untyped]

    class HubIdentity(HubOAuthenticated, RequestHandler):  # type: ignore[misc]
        """Hub sign-in: the hub user's name is the student id."""

        def identity(self) -> Identity | None:
            model = self.get_current_user()
            if not model:
                return None
            groups = set(model.get("groups") or ())
            instructor = bool(model.get("admin")) or bool(groups & set(self.settings["dlgrade_groups"]))
            return Identity(str(model["name"]), instructor)

        def sign_in_from_link(self, instructor_page: bool) -> bool:
            return False

    return HubIdentity


def in_hub() -> bool:
    """Whether this process runs as a JupyterHub service (the hub sets these variables)."""
    return bool(os.environ.get("JUPYTERHUB_API_TOKEN") and os.environ.get("JUPYTERHUB_SERVICE_PREFIX"))


def hub_prefix() -> str:
    """The service's URL prefix given by the hub (ends with a slash)."""
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    return prefix if prefix.endswith("/") else prefix + "/"
