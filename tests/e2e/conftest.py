"""A real course hub on 127.0.0.1 for the end-to-end tests, shared by the tests of one session.

JupyterHub from this interpreter with configurable-http-proxy (npm), PAM login, single-user servers
spawned as real OS accounts (an instructor owning the course, students), the course's formgrader,
the quiz page when ``dlgrade quiz serve`` exists, and the idle culler. Everything runs from a folder
in /tmp that the accounts can enter; teardown stops the hub (and with it the proxy, services and
servers), kills whatever the test accounts still run, deletes them and the folder.

Needs root (accounts, servers as their users) and configurable-http-proxy: without them the tests
skip, and with ``CI=true`` they fail.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader.course import Course
from grader.hub import (
    HubError,
    HubProcess,
    find_proxy,
    interpreter_blocked,
    start_hub,
    write_hub_config,
)
from grader.hub_roster import add_students, create_account
from tests.deploy.conftest import ACCOUNT_PREFIX, remove_account
from tests.grader.helpers_course import invoke
from tests.services import unavailable


def quiz_serve_available() -> bool:
    """Whether ``dlgrade quiz serve`` exists in this checkout."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dlgrade"), "quiz", "serve", "--help"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@dataclass
class CourseHub:
    """The running hub of one course, its accounts and their passwords."""

    hub: HubProcess
    hub_dir: Path
    course: Course
    teacher: str
    students: dict[str, str] = field(default_factory=dict)
    """name -> password"""
    passwords: dict[str, str] = field(default_factory=dict)
    quiz: bool = False

    @property
    def url(self) -> str:
        return self.hub.url

    def dlgrade(self, *args: str, expect: int = 0) -> str:
        """``dlgrade ARGS --course COURSE`` as the instructor does it; its output.

        It runs in this (root) process, so that grading uses the sandbox's per-worker accounts;
        what it writes is then handed to the instructor, as if they had run it themselves.
        """
        output = invoke(*args, "--course", str(self.course.root), expect=expect).output
        subprocess.run(["chown", "-R", f"{self.teacher}:", str(self.course.root)], check=True)
        return output


@pytest.fixture(scope="session")
def course_hub() -> Iterator[CourseHub]:
    if os.geteuid() != 0:
        unavailable("the hub runs students' servers as their OS accounts: run as root")
    try:
        proxy = find_proxy()
    except HubError as exc:
        unavailable(exc.message)
    work = Path(tempfile.mkdtemp(prefix=f"{ACCOUNT_PREFIX}hub-", dir="/tmp"))
    work.chmod(0o755)
    opened: list[tuple[Path, int]] = []
    accounts: list[str] = []
    hub: HubProcess | None = None
    try:
        # The accounts run this interpreter: open (traverse only) a folder on its way that is
        # closed to others, as installing under /opt would; restored at the end.
        while (blocked := interpreter_blocked(sys.executable)) is not None:
            mode = stat.S_IMODE(blocked.stat().st_mode)
            opened.append((blocked, mode))
            blocked.chmod(mode | stat.S_IXOTH)
        tag = uuid.uuid4().hex[:6]
        teacher = f"{ACCOUNT_PREFIX}{tag}-teach"
        students = [f"{ACCOUNT_PREFIX}{tag}-s{i}" for i in (1, 2)]
        passwords = {name: f"pw-{uuid.uuid4().hex[:12]}" for name in [teacher, *students]}
        for name, password in passwords.items():
            accounts.append(name)
            create_account(name, password)
        course_id = f"dlgt{tag}"
        course_root = work / "course"
        invoke("init", str(course_root), "--course-id", course_id, "--exchange", str(work / "exchange"))
        # The course belongs to the instructor, closed to students; the formgrader runs as its owner.
        subprocess.run(["chown", "-R", f"{teacher}:", str(course_root)], check=True)
        course_root.chmod(0o700)
        course = Course(course_root)
        hub_dir = work / "hub"
        quiz = quiz_serve_available()
        write_hub_config(
            hub_dir,
            course,
            owner=teacher,
            port=0,
            quiz=quiz,
            quiz_args=[],
            idle_timeout_s=3600,
            proxy_command=proxy,
        )
        add_students(hub_dir, course_id, students)  # writes the gradebook: hand it to the instructor
        subprocess.run(["chown", "-R", f"{teacher}:", str(course_root)], check=True)
        hub = start_hub(hub_dir, timeout=90)
        yield CourseHub(
            hub, hub_dir, course, teacher, {s: passwords[s] for s in students}, passwords, quiz=quiz
        )
    finally:
        if hub is not None:
            hub.stop()
        for name in accounts:
            remove_account(name)
        for folder, mode in reversed(opened):
            folder.chmod(mode)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def released(course_hub: CourseHub) -> Callable[[], None]:
    """Release deep_network to the exchange once (either test may come first)."""
    done: list[str] = []

    def release() -> None:
        if not done:
            output = course_hub.dlgrade("release", "deep_network")
            assert "Released deep_network" in output
            done.append(output)

    return release
