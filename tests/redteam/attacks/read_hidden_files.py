"""Looking for the reference code, the hidden tests, the source notebook and the gradebook, on disk
and through imports; if the reference is found, the answers use it."""

from __future__ import annotations

from tests.redteam.attacks import FUNCTIONS, LEAK, Attack, Cell, leak_checked

SEARCH = r"""
import importlib
import os
import sys
import time

# Markers are assembled at run time so that this cell's own source (in /job) does not contain them.
HIDDEN = ("BEGIN " + "HIDDEN TESTS").encode()
SOLUTION = ("BEGIN " + "SOLUTION").encode()
HIDDEN_API = ("grader" + ".hidden").encode()

# 1. Paths a student would guess, with the real host paths filled in.
for path in ["@REPO@", "@REPO@/reference", "@REPO@/grader", "@REPO@/assignments", "@COURSE@",
             "@COURSE@/source", "@COURSE@/gradebook.db", "@GRADEBOOK@", "/work", "/work/main",
             "/work/main/reference", "/srv", "/var", "/var/lib/postgresql", "/run/postgresql",
             "/etc/shadow", "/root/.ssh", "/proc/1/root/work", "/proc/1/cwd/reference"]:
    if os.path.lexists(path):
        _leak("sees " + path)
# The host's home may exist as a mount point on the way to the Python installation: no file in it.
try:
    for entry in os.scandir("@HOST_HOME@"):
        if not entry.is_dir(follow_symlinks=False):
            _leak("sees @HOST_HOME@/" + entry.name)
except OSError:
    pass

# 2. Imports: the grader's packages by name, then from every guessed location.
def _try_imports():
    for name in ["reference", "reference.deep_network", "grader", "grader" + ".hidden", "grader.cases",
                 "grader.cases.deep_network"]:
        sys.modules.pop(name, None)
        try:
            importlib.import_module(name)
        except BaseException:
            continue
        _leak("imported " + name)

_try_imports()
for guess in ["@REPO@", "/work/main", "/opt", "/opt/dlgrade/..", "/venv/src", "/venv/lib/python3.11"]:
    sys.path.insert(0, guess)
_try_imports()

# 3. A walk of the file system outside the Python installation (bounded in time) for telltale files.
_deadline = time.monotonic() + 2.0
_names = {"gradebook.db", "nbgrader_config.py", "assignment.toml", "deep_network.ipynb"}
_skip = ("/proc", "/sys", "/usr", "/dev", "/venv", "/root/.pyenv")
for root, dirs, files in os.walk("/"):
    if time.monotonic() > _deadline:
        break
    if root.startswith(_skip):
        dirs[:] = []
        continue
    for name in files:
        path = os.path.join(root, name)
        if name in _names:
            _leak("found " + path)
        try:
            with open(path, "rb") as handle:
                text = handle.read(4 * 1024**2)
        except OSError:
            continue
        for marker in (HIDDEN, SOLUTION, HIDDEN_API):
            if marker in text:
                _leak(f"{marker.decode()} in {path}")

# 4. Secrets in the environment.
for key, value in os.environ.items():
    secret = key.startswith(("DLGRADE", "PG", "DATABASE", "CI", "GITHUB", "SSH"))
    if secret or "@REPO@" in value or "@COURSE@" in value:
        _leak("environment " + key)

# 5. If the reference is importable after all: use it.
try:
    from reference import deep_network as _dn
    from reference import initialization as _init
except BaseException:
    pass
else:
    _leak("reference importable")
    for _name in ("linear_forward", "linear_activation_forward", "L_model_forward", "compute_cost",
                  "linear_backward", "linear_activation_backward", "L_model_backward", "update_parameters"):
        globals()[_name] = getattr(_dn, _name)
    initialize_parameters = _init.initialize_parameters
"""

ATTACK = Attack(
    name="read_hidden_files",
    summary="looks for reference/, grader/, source/, gradebook.db, the repository and the course on disk "
    "(guessed and real host paths, a bounded walk of /, /job, the environment), imports reference and "
    "grader from guessed paths, and uses the reference if found",
    answers={function: leak_checked(function) for function in FUNCTIONS},
    cells=(Cell(LEAK, after="start"), Cell(SEARCH)),
)
