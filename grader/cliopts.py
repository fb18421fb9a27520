"""Options shared by several commands, and how errors reach the user."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from grader.errors import DlgradeError

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., object])


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn DlgradeError into ``Error: ...`` on stderr with exit code 1, never a traceback."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DlgradeError as exc:
            raise click.ClickException(exc.message) from exc

    return wrapper


def course_option(func: F) -> F:
    """--course DIR, defaulting to $DLGRADE_COURSE or the current directory."""
    return click.option(
        "--course",
        "course_dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="DLGRADE_COURSE",
        default=Path.cwd,
        show_default="$DLGRADE_COURSE or the current directory",
        help="The nbgrader course directory.",
    )(func)


def json_option(func: F) -> F:
    """--json: print machine-readable output instead of a table."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(func)


def db_option(func: F) -> F:
    """--db URL, defaulting to $DLGRADE_DB, then the course's gradebook."""
    return click.option(
        "--db",
        "db_url",
        envvar="DLGRADE_DB",
        default=None,
        help="Gradebook URL, SQLite or PostgreSQL (default: $DLGRADE_DB, else the course's"
        " c.CourseDirectory.db_url, else sqlite:///COURSE/gradebook.db).",
    )(func)


def attempts_place(db_url: str | None, course_id: str | None, course_dir: Path) -> tuple[str, str]:
    """(gradebook URL, course id) of the quiz attempts of the course in ``course_dir``: its
    gradebook and course id unless given. A folder that is not a course (a standalone quiz page's
    working directory) has its own gradebook.db and the course id "default"."""
    from grader.course import Course, CourseError

    try:
        course: Course | None = Course(course_dir)
    except CourseError:
        if not course_dir.is_dir():
            raise
        course = None
    if db_url is None:
        db_url = course.db_url if course else f"sqlite:///{course_dir.resolve() / 'gradebook.db'}"
    if course_id is None:
        course_id = course.course_id if course and course.course_id else "default"
    return db_url, course_id
