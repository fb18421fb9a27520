"""The hub directory written by ``dlgrade hub config``, read by JupyterHub's own config loader, and
``dlgrade hub add-students`` creating real accounts without a running hub."""

from __future__ import annotations

import csv
import json
import stat
import sys
from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

from grader.course import Course
from grader.hub import HubError, interpreter_blocked, load_settings, write_hub_config
from grader.hub_roster import add_students
from tests.grader.helpers_course import configure, invoke, make_course


def load_hub_config(hub_dir: Path):
    """The traitlets Config JupyterHub would load from ``hub_dir``."""
    return PyFileConfigLoader("jupyterhub_config.py", path=str(hub_dir)).load_config()


@pytest.fixture
def course(tmp_path) -> Course:
    return make_course(tmp_path, "dl2026")


def test_config_command_writes_a_hub_jupyterhub_loads(tmp_path, course):
    hub_dir = tmp_path / "hub"
    result = invoke(
        "hub", "config", str(hub_dir), "--course", str(course.root), "--owner", "teacher",
        "--instructor", "teacher", "--instructor", "ta1", "--quiz-arg", "--quiz-dir=/srv/quiz",
    )  # fmt: skip
    assert "courses: dl2026" in result.output and "http://127.0.0.1:8000" in result.output
    config = load_hub_config(hub_dir)
    assert config.JupyterHub.bind_url == "http://127.0.0.1:8000"
    assert config.JupyterHub.authenticator_class == "pam"
    assert config.JupyterHub.spawner_class == "localprocess"
    assert config.Spawner.cmd == [str(Path(sys.executable).parent / "jupyterhub-singleuser")]
    assert config.JupyterHub.load_groups == {
        "formgrade-dl2026": {"users": ["ta1", "teacher"]},
        "nbgrader-dl2026": {"users": []},
    }
    assert config.Authenticator.allowed_users == {"ta1", "teacher"}
    assert config.Authenticator.admin_users == {"teacher"}
    services = {s["name"]: s for s in config.JupyterHub.services}
    formgrader = services["dl2026"]
    assert formgrader["user"] == "teacher" and formgrader["cwd"] == str(course.root)
    assert formgrader["oauth_no_confirm"] is True
    assert formgrader["environment"]["JUPYTERHUB_DEFAULT_URL"] == "/formgrader"
    quiz = services["quiz"]
    assert quiz["command"][:3] == [str(Path(sys.executable).parent / "dlgrade"), "quiz", "serve"]
    assert quiz["command"][-1] == "--quiz-dir=/srv/quiz"
    port = quiz["url"].rsplit(":", 1)[1]
    assert quiz["url"] == f"http://127.0.0.1:{port}" and quiz["oauth_no_confirm"] is True
    args = " ".join(quiz["command"])
    assert f"--port {port} --course-id dl2026 --db {course.db_url}" in args
    assert quiz["user"] == "teacher" and quiz["cwd"] == str(course.root)
    assert "--timeout=3600" in services["idle-culler"]["command"]
    token = (hub_dir / "secrets" / "dlgrade-admin.token").read_text().strip()
    assert services["dlgrade-admin"]["api_token"] == token and len(token) == 64
    roles = {r["name"]: r for r in config.JupyterHub.load_roles}
    assert roles["formgrade-dl2026"]["groups"] == ["formgrade-dl2026"]
    assert "access:services!service=dl2026" in roles["formgrade-dl2026"]["scopes"]
    assert "access:services!service=dl2026" not in roles["nbgrader-dl2026"]["scopes"]
    assert roles["quiz-takers"]["scopes"] == ["access:services!service=quiz"]
    assert set(roles["quiz-takers"]["groups"]) == {"formgrade-dl2026", "nbgrader-dl2026"}
    assert set(roles["idle-culler"]["scopes"]) == {
        "list:users", "read:users:activity", "read:servers", "delete:servers",
    }  # fmt: skip
    # Secrets and state are private; what single-user servers read is not.
    assert stat.S_IMODE((hub_dir / "secrets").stat().st_mode) == 0o700
    assert stat.S_IMODE((hub_dir / "secrets" / "dlgrade-admin.token").stat().st_mode) == 0o600
    assert stat.S_IMODE((hub_dir / "state").stat().st_mode) == 0o700
    student = (hub_dir / "student-config" / "nbgrader_config.py").read_text()
    assert f"c.Exchange.root = {str(course.exchange_root)!r}" in student
    assert "c.CourseDirectory.course_id = 'dl2026'" in student
    server = json.loads((hub_dir / "student-config" / "jupyter_server_config.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"]["nbgrader.server_extensions.formgrader"] is False


def test_a_second_course_joins_the_hub(tmp_path, course):
    hub_dir = tmp_path / "hub"
    write_hub_config(hub_dir, course, owner="teacher", port=0, authenticator="dummy", dummy_password="pw")
    shared_exchange = f"c.Exchange.root = {str(course.exchange_root)!r}"
    other = configure(make_course(tmp_path / "second", "ml2026"), shared_exchange)
    write_hub_config(hub_dir, other, owner="prof", port=0)
    settings = load_settings(hub_dir)
    assert [c.id for c in settings.courses] == ["dl2026", "ml2026"]
    assert len({settings.port, settings.hub_port, *(c.port for c in settings.courses)}) == 4
    config = load_hub_config(hub_dir)
    assert config.JupyterHub.authenticator_class == "dummy" and config.DummyAuthenticator.password == "pw"
    assert {"dl2026", "ml2026"} <= {s["name"] for s in config.JupyterHub.services}
    # Two courses: the students name the course (nbgrader's --course), none is the default.
    assert "course_id" not in (hub_dir / "student-config" / "nbgrader_config.py").read_text()
    # A course with another exchange cannot share the hub.
    third = make_course(tmp_path / "third", "cv2026")
    with pytest.raises(HubError, match="exchange"):
        write_hub_config(hub_dir, third, owner="prof")


@pytest.mark.slow  # nbgrader creates the gradebook (about 10 s)
def test_add_students_creates_accounts_that_log_in(tmp_path, course, accounts):
    hub_dir = tmp_path / "hub"
    write_hub_config(hub_dir, course, owner="root", port=0)
    alice, bob = accounts("alice"), accounts("bob")
    roster = tmp_path / "roster.csv"
    roster.write_text(f"name,email\n{bob},bob@example.org\n")
    passwords = tmp_path / "passwords.csv"
    result = invoke(
        "hub", "add-students", str(hub_dir), alice, "--course-id", "dl2026", "--from", str(roster),
        "--create-accounts", "--passwords", str(passwords),
    )  # fmt: skip
    assert "Added 2 student(s) to dl2026 in the settings" in result.output
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600
    rows = {r["name"]: r["password"] for r in csv.DictReader(passwords.open())}
    assert set(rows) == {alice, bob}
    import pamela

    pamela.authenticate(alice, rows[alice], service="login")  # the class authenticator's check
    with pytest.raises(pamela.PAMError):
        pamela.authenticate(alice, rows[bob], service="login")
    assert load_settings(hub_dir).course("dl2026").students == sorted([alice, bob])
    assert load_hub_config(hub_dir).JupyterHub.load_groups["nbgrader-dl2026"]["users"] == sorted([alice, bob])
    # nbgrader's gradebook knows them (the formgrader's student list).
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gradebook:
        assert {s.id for s in gradebook.students} == {alice, bob}
    # Adding them again changes nothing and creates nothing.
    again = add_students(hub_dir, "dl2026", [alice], create_accounts=True)
    assert [(a.name, a.created) for a in again] == [(alice, False)]


def test_add_students_errors(tmp_path, course):
    hub_dir = tmp_path / "hub"
    write_hub_config(hub_dir, course, owner="root", port=0)
    result = invoke("hub", "add-students", str(hub_dir), "dlgt-nobody", "--course-id", "dl2026", expect=1)
    assert "has no OS account" in result.output and "--create-accounts" in result.output
    result = invoke("hub", "add-students", str(hub_dir), "root", "--course-id", "ml", expect=1)
    assert "the hub has no course 'ml' (courses: dl2026)" in result.output
    result = invoke("hub", "add-students", str(hub_dir), "../x", "--course-id", "dl2026", expect=1)
    assert "not valid user names" in result.output
    result = invoke("hub", "add-students", str(tmp_path), "root", "--course-id", "dl2026", expect=1)
    assert "is not a hub directory" in result.output
    invoke("hub", "add-students", str(hub_dir), "--course-id", "dl2026", expect=2)
    result = invoke("hub", "start", str(tmp_path), expect=1)
    assert "is not a hub directory" in result.output


def test_release_feedback_needs_feedback_of_exchange_submissions(course):
    result = invoke("hub", "release-feedback", "deep_network", "--course", str(course.root), expect=1)
    assert "no feedback of deep_network to release" in result.output
    result = invoke("hub", "release-feedback", "nope", "--course", str(course.root), expect=1)
    assert "no such assignment" in result.output


def test_start_refuses_an_interpreter_students_cannot_run(tmp_path):
    closed = tmp_path / "closed"
    (closed / "bin").mkdir(parents=True)
    closed.chmod(0o700)
    # pytest's own tmp folders are closed too: the first closed folder on the way is named.
    blocked = interpreter_blocked(str(closed / "bin" / "python"))
    assert blocked is not None and blocked in (closed, *closed.parents)
    assert not blocked.stat().st_mode & stat.S_IXOTH
    assert interpreter_blocked("/usr/bin/env") is None
