"""JupyterHub configuration of a dlgrade course on one machine.

Every value comes from ``dlgrade_hub.json`` beside this file (or the file named by
``$DLGRADE_HUB_SETTINGS``), written by ``dlgrade hub config`` and extended by ``dlgrade hub
add-students``; edit that file (or rerun the commands) rather than this one. What it sets up:

- Students and instructors are real OS accounts and each single-user server runs as its user
  (LocalProcessSpawner, hub started as root). nbgrader's exchange keys on the OS user name and
  relies on file ownership (a submission belongs to whoever wrote it), so real accounts are what
  keeps it honest: a student cannot read or overwrite another student's submission.
- Login: PAM (the accounts' passwords) for a class; ``"authenticator": "dummy"`` with a shared
  password only for tests.
- The nbgrader exchange (``exchange``): students get an nbgrader config with the exchange, the
  course id and nbgrader's JupyterHub auth plugin (course membership = hub group ``nbgrader-<course>``).
- One formgrader service per course, named after the course id: nbgrader's formgrader running as
  the course owner in the course directory, reachable by the group ``formgrade-<course>``.
- The quiz page (``dlgrade quiz serve``) as a hub-managed service at /services/quiz/, behind the
  hub's OAuth, open to every course group.
- jupyterhub-idle-culler stops servers idle for ``idle_timeout_s``.
- ``dlgrade-admin``: a service whose token (``secrets/dlgrade-admin.token``) lets
  ``dlgrade hub add-students`` create users and groups through the REST API.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

c = get_config()  # type: ignore[name-defined]  # noqa: F821  (provided by JupyterHub's loader)

HERE = Path(__file__).resolve().parent
SETTINGS_FILE = Path(os.environ.get("DLGRADE_HUB_SETTINGS") or HERE / "dlgrade_hub.json")
settings = json.loads(SETTINGS_FILE.read_text(encoding="utf-8"))
HUB_DIR = SETTINGS_FILE.parent
STATE = HUB_DIR / "state"
PYTHON = settings["python"]
BIN = str(Path(PYTHON).parent)
SINGLEUSER = str(Path(BIN) / "jupyterhub-singleuser")
PATH = os.pathsep.join([BIN, "/usr/local/bin", "/usr/bin", "/bin"])
courses = settings["courses"]

# -- network and state -------------------------------------------------------------------------
c.JupyterHub.bind_url = f"http://{settings['ip']}:{settings['port']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings['hub_port']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
if settings.get("proxy_command"):
    c.ConfigurableHTTPProxy.command = [settings["proxy_command"]]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every single-user server

# -- who may log in ----------------------------------------------------------------------------
instructors = sorted({name for course in courses for name in course["instructors"]})
students = sorted({name for course in courses for name in course["students"]})
if settings["authenticator"] == "dummy":
    # Tests only: any allowed user name with the shared password.
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = settings["dummy_password"]
else:
    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = set(instructors) | set(students)
c.Authenticator.admin_users = set(settings.get("admin_users", []))

# -- single-user servers: one process per user, as that OS user -------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [SINGLEUSER]
c.Spawner.default_url = settings.get("default_url", "/tree")
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 90
c.Spawner.environment = {
    "PATH": PATH,
    # The students' nbgrader and Jupyter settings (exchange, course, extensions students don't get).
    "JUPYTER_CONFIG_PATH": str(HUB_DIR / "student-config"),
}
# What the server's token (and so nbgrader in the student's kernel) may do: its own activity and
# server, plus reading the user's groups for nbgrader's JupyterHubAuthPlugin and the services list.
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "access:servers!server",
    "read:users:name!user",
    "read:users:groups!user",
    "list:services",
    "read:services",
]

# -- groups, services and roles ----------------------------------------------------------------
groups: dict[str, dict[str, list[str]]] = {}
services: list[dict[str, object]] = []
roles: list[dict[str, object]] = []
for course in courses:
    cid = course["id"]
    groups[f"formgrade-{cid}"] = {"users": sorted(course["instructors"])}
    groups[f"nbgrader-{cid}"] = {"users": sorted(course["students"])}
    # nbgrader's formgrader for the course, as its owner, in the course directory.
    services.append(
        {
            "name": cid,
            "url": f"http://127.0.0.1:{course['port']}",
            "command": [SINGLEUSER, f"--ServerApp.root_dir={course['root']}"],
            "user": course["owner"],
            "cwd": course["root"],
            "oauth_no_confirm": True,
            "environment": {"PATH": PATH, "JUPYTERHUB_DEFAULT_URL": "/formgrader"},
        }
    )
    roles.append(
        {
            "name": f"formgrade-{cid}",
            "description": f"Instructors of {cid}: the formgrader service",
            "groups": [f"formgrade-{cid}"],
            "scopes": [f"access:services!service={cid}", "list:services", f"read:services!service={cid}"],
        }
    )
    roles.append(
        {
            "name": f"nbgrader-{cid}",
            "description": f"Students of {cid}: see the course's service",
            "groups": [f"nbgrader-{cid}"],
            "scopes": ["list:services", f"read:services!service={cid}"],
        }
    )
    # The formgrader adds students to the course (nbgrader's JupyterHubAuthPlugin).
    roles.append(
        {
            "name": f"formgrader-service-{cid}",
            "services": [cid],
            "scopes": ["list:users", "read:users:groups", f"groups!group=nbgrader-{cid}"],
        }
    )

quiz = settings.get("quiz")
if quiz:
    quiz_env = {"PATH": PATH, **quiz.get("environment", {})}
    quiz_service: dict[str, object] = {
        "name": "quiz",
        "display": True,
        "url": f"http://127.0.0.1:{quiz['port']}",
        "command": [str(Path(BIN) / "dlgrade"), "quiz", "serve", *quiz.get("args", [])],
        "oauth_no_confirm": True,
        "environment": quiz_env,
    }
    if quiz.get("user"):
        quiz_service["user"] = quiz["user"]
    if quiz.get("cwd"):
        quiz_service["cwd"] = quiz["cwd"]
    services.append(quiz_service)
    roles.append(
        {
            "name": "quiz-takers",
            "description": "Open the quiz page through the hub",
            "groups": sorted(groups),
            "scopes": ["access:services!service=quiz"],
        }
    )

if settings.get("idle_timeout_s"):
    services.append(
        {
            "name": "idle-culler",
            "command": [
                PYTHON,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={int(settings['idle_timeout_s'])}",
            ],
        }
    )
    roles.append(
        {
            "name": "idle-culler",
            "services": ["idle-culler"],
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        }
    )

# dlgrade's own client: `dlgrade hub add-students` (users, groups, servers).
services.append(
    {
        "name": "dlgrade-admin",
        "api_token": (HUB_DIR / "secrets" / "dlgrade-admin.token").read_text(encoding="utf-8").strip(),
    }
)
roles.append(
    {
        "name": "dlgrade-admin",
        "services": ["dlgrade-admin"],
        "scopes": [
            "admin:users",
            "admin:groups",
            "admin:servers",
            "tokens",
            "list:services",
            "read:services",
        ],
    }
)

c.JupyterHub.load_groups = groups
c.JupyterHub.services = services
c.JupyterHub.load_roles = roles
