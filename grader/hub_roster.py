"""A course's students on its JupyterHub: OS accounts, hub users and group, gradebook rows.

`add_students` creates missing accounts when asked, adds the students to the hub and to the course's
group ``nbgrader-<course>``, and records them in the hub's settings so that a restarted hub keeps
them; nbgrader's gradebook gets a student row each, for the formgrader.
"""

from __future__ import annotations

import os
import pwd
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from grader.course import Course, is_safe_name
from grader.hub import HubAPI, HubError, load_settings, save_settings


@dataclass(frozen=True)
class StudentAccount:
    """A student added to a course; ``password`` is set when `add_students` created the account."""

    name: str
    created: bool
    password: str | None = None


def account_exists(name: str) -> bool:
    """Whether ``name`` is an OS account on this machine."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def create_account(name: str, password: str) -> None:
    """Create the OS account ``name`` with a home directory and ``password`` (needs root)."""
    if os.geteuid() != 0:
        raise HubError(
            f"creating the account {name!r} needs root (or create it yourself and omit --create-accounts)"
        )
    done = subprocess.run(
        ["useradd", "--create-home", "--shell", "/bin/bash", name], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise HubError(f"useradd {name}: {done.stderr.strip()}")
    done = subprocess.run(["chpasswd"], input=f"{name}:{password}\n", capture_output=True, text=True)
    if done.returncode != 0:
        raise HubError(f"chpasswd {name}: {done.stderr.strip()}")


def add_students(
    hub_dir: Path,
    course_id: str,
    names: list[str],
    *,
    create_accounts: bool = False,
    api: HubAPI | None = None,
) -> list[StudentAccount]:
    """Add ``names`` to ``course_id``: OS accounts, hub users, group ``nbgrader-<course>``, gradebook.

    With ``create_accounts`` missing OS accounts are created with a random password (returned);
    without it a missing account is an error, since the hub could not start the student's server.
    A running hub learns the students through its API (``api``, default the dlgrade-admin token);
    the settings always record them. nbgrader's gradebook gets a student row for the formgrader.
    """
    settings = load_settings(hub_dir)
    course = settings.course(course_id)
    bad = [n for n in names if not is_safe_name(n)]
    if bad:
        raise HubError(f"not valid user names: {', '.join(map(repr, bad))}")
    accounts: list[StudentAccount] = []
    for name in dict.fromkeys(names):
        if account_exists(name):
            accounts.append(StudentAccount(name, created=False))
        elif create_accounts:
            password = secrets.token_urlsafe(12)
            create_account(name, password)
            accounts.append(StudentAccount(name, created=True, password=password))
        else:
            raise HubError(f"{name!r} has no OS account: create it, or use --create-accounts")
    added = [a.name for a in accounts]
    course.students = sorted(set(course.students) | set(added))
    save_settings(hub_dir, settings)
    client = api or HubAPI.for_hub(hub_dir)
    if client.reachable():
        client.ensure_users(added)
        client.add_to_group(f"nbgrader-{course_id}", added)
    _add_to_gradebook(Course(course.root), added)
    return accounts


def _add_to_gradebook(course: Course, names: list[str]) -> None:
    from nbgrader.api import Gradebook

    from grader.course import ensure_alembic_on_path

    ensure_alembic_on_path()
    with Gradebook(course.db_url, course_id=course.course_id) as gradebook:
        for name in names:
            gradebook.update_or_create_student(name)
