"""One hostile submission per module, and what each must (not) achieve.

Every module here defines ``ATTACK``: the code a hostile student puts into the deep network notebook
(extra cells, replaced answer cells, edits of the notebook's JSON, or a whole malformed file) and
what grading must make of it. Each attack starts from WRONG answers (``WRONG``: every function
returns well-shaped values that are off by a constant), so any point it earns beyond ``earns`` is
stolen. Where an attack carries a correct answer on purpose (``CORRECT``), ``earns`` says which
cell keeps its points.

Attack code is a template: ``@TOKEN@`` (unique per test run, in every canary file name),
``@COURSE@``, ``@GRADEBOOK@``, ``@REPO@`` and ``@HOST_HOME@`` are replaced by the real host paths,
so attacks aim at the very files a real attacker would guess. Attacks that find something they
must not see raise ``RuntimeError("LEAK ...")`` from the graded functions (the message reaches the
gradebook as case feedback) and write ``LEAK`` to stderr (the log), which the suite looks for.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "assignments" / "deep_network" / "deep_network.ipynb"

GRADED = {
    "initialize_parameters": "initialize_parameters_hidden_tests",
    "initialize_parameters_deep": "initialize_parameters_deep_hidden_tests",
    "linear_forward": "linear_forward_hidden_tests",
    "linear_activation_forward": "linear_activation_forward_hidden_tests",
    "L_model_forward": "L_model_forward_hidden_tests",
    "compute_cost": "compute_cost_hidden_tests",
    "linear_backward": "linear_backward_hidden_tests",
    "linear_activation_backward": "linear_activation_backward_hidden_tests",
    "L_model_backward": "L_model_backward_hidden_tests",
    "update_parameters": "update_parameters_hidden_tests",
}
"""Graded function (= the grade id of its answer cell) -> the grade id of its hidden-test cell."""

FUNCTIONS = tuple(GRADED)

STATUSES = frozenset({"graded", "invalid", "crashed", "timeout", "error"})

NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
DUE = NOW - timedelta(days=1)
"""The assignment's due date in the red-team course (late policy "zero": a late submission scores 0)."""
ON_TIME = NOW - timedelta(days=2)
"""When every submission of the run was made, except those an attack makes late on purpose."""


def nbgrader_time(moment: datetime) -> str:
    """A time as nbgrader writes it in exchange folder names and timestamp.txt."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") + " UTC"


@dataclass(frozen=True)
class Context:
    """Where things are on the host, for the attacks' templates."""

    token: str
    course: Path
    gradebook: Path
    repo: Path
    host_home: Path

    def fill(self, code: str) -> str:
        """``code`` with its placeholders replaced."""
        for key, value in {
            "@TOKEN@": self.token,
            "@COURSE@": str(self.course),
            "@GRADEBOOK@": str(self.gradebook),
            "@REPO@": str(self.repo),
            "@HOST_HOME@": str(self.host_home),
        }.items():
            code = code.replace(key, value)
        return code


@dataclass(frozen=True)
class Cell:
    """A code cell the student adds: at the "start", at the "end", or after the cell with this grade id."""

    source: str
    after: str = "end"


@dataclass(frozen=True)
class Attack:
    """A hostile submission and what grading must make of it.

    ``answers`` replaces answer cells (grade id -> code) on top of ``WRONG``; ``cells`` adds code
    cells; ``edit`` changes the notebook's JSON last; ``raw`` gives the whole file instead.
    ``exchange``, when given, submits through nbgrader's exchange instead of the LMS zip: it is
    called with the exchange's inbound folder and the notebook's bytes and creates the entry.
    ``statuses``: the submission statuses that are acceptable. ``earns``: hidden-test grade id ->
    the exact points it must get (every other graded cell must get 0). ``score``: the final score
    after any late penalty (default: the sum of ``earns``). ``leak_marker``: text that must appear
    nowhere in what grading recorded.
    """

    name: str
    summary: str
    answers: dict[str, str] = field(default_factory=dict)
    cells: tuple[Cell, ...] = ()
    edit: Callable[[dict[str, Any], Context], None] | None = None
    raw: Callable[[Context], bytes] | None = None
    exchange: Callable[[Path, bytes], None] | None = None
    statuses: frozenset[str] = frozenset({"graded"})
    earns: dict[str, float] = field(default_factory=dict)
    score: float | None = None
    leak_marker: str = "LEAK"

    @property
    def final_score(self) -> float:
        """The score the submission must end with, late penalty included."""
        return sum(self.earns.values()) if self.score is None else self.score

    def __post_init__(self) -> None:
        assert re.fullmatch(r"[a-z][a-z_]+", self.name), self.name
        assert self.statuses <= STATUSES, self.statuses
        assert set(self.earns) <= set(GRADED.values()), self.earns


# ---------------------------------------------------------------------------------------------
# Wrong answers: the course's shapes and types, every value off by a constant (never within tolerance)

WRONG: dict[str, str] = {
    "initialize_parameters": """
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.randn(n_h, n_x) * 0.01 + 0.5
    b1 = np.zeros((n_h, 1)) + 0.5
    W2 = np.random.randn(n_y, n_h) * 0.01 + 0.5
    b2 = np.zeros((n_y, 1)) + 0.5
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
""",
    "initialize_parameters_deep": """
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01 + 0.5
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1)) + 0.5
    return parameters
""",
    "linear_forward": """
def linear_forward(A, W, b):
    Z = np.dot(W, A) + b + 0.5
    return Z, (A, W, b)
""",
    "linear_activation_forward": """
def linear_activation_forward(A_prev, W, b, activation):
    Z = np.dot(W, A_prev) + b
    A = (1 / (1 + np.exp(-Z)) if activation == "sigmoid" else np.maximum(0, Z)) + 0.5
    return A, ((A_prev, W, b), Z)
""",
    "L_model_forward": """
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        W, b = parameters["W" + str(l)], parameters["b" + str(l)]
        Z = np.dot(W, A) + b
        caches.append(((A, W, b), Z))
        A = 1 / (1 + np.exp(-Z)) if l == L else np.maximum(0, Z)
    return A + 0.5, caches
""",
    "compute_cost": """
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    return float(cost) + 0.5
""",
    "linear_backward": """
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m + 0.5
    db = np.sum(dZ, axis=1, keepdims=True) / m + 0.5
    dA_prev = np.dot(W.T, dZ) + 0.5
    return dA_prev, dW, db
""",
    "linear_activation_backward": """
def linear_activation_backward(dA, cache, activation):
    (A_prev, W, b), Z = cache
    m = A_prev.shape[1]
    s = 1 / (1 + np.exp(-Z))
    dZ = dA * s * (1 - s) if activation == "sigmoid" else np.where(Z > 0, dA, 0.0)
    dW = np.dot(dZ, A_prev.T) / m + 0.5
    db = np.sum(dZ, axis=1, keepdims=True) / m + 0.5
    return np.dot(W.T, dZ) + 0.5, dW, db
""",
    "L_model_backward": """
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    for l in range(L, 0, -1):
        (A_prev, W, b), Z = caches[l - 1]
        grads["dA" + str(l - 1)] = np.zeros(A_prev.shape) + 0.5
        grads["dW" + str(l)] = np.zeros(W.shape) + 0.5
        grads["db" + str(l)] = np.zeros(b.shape) + 0.5
    return grads
""",
    "update_parameters": """
def update_parameters(parameters, grads, learning_rate):
    new_parameters = {}
    for l in range(1, len(parameters) // 2 + 1):
        new_parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)] + 0.5
        new_parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)] + 0.5
    return new_parameters
""",
}


@cache
def correct_answers() -> dict[str, str]:
    """The instructor's answer cells (grade id -> source), from the source notebook."""
    nb = nbformat.read(SOURCE, as_version=4)
    found = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            found[meta["grade_id"]] = cell.source
    assert set(found) == set(FUNCTIONS), sorted(found)
    return found


def correct(function: str) -> str:
    """The correct answer cell of ``function`` (an attack keeps its points)."""
    return correct_answers()[function]


def all_correct() -> dict[str, str]:
    """Every answer cell correct (for attacks on what happens around the answers)."""
    return dict(correct_answers())


FULL_MARKS = {
    "initialize_parameters_hidden_tests": 5.0,
    "initialize_parameters_deep_hidden_tests": 10.0,
    "linear_forward_hidden_tests": 10.0,
    "linear_activation_forward_hidden_tests": 10.0,
    "L_model_forward_hidden_tests": 15.0,
    "compute_cost_hidden_tests": 10.0,
    "linear_backward_hidden_tests": 10.0,
    "linear_activation_backward_hidden_tests": 10.0,
    "L_model_backward_hidden_tests": 15.0,
    "update_parameters_hidden_tests": 5.0,
}
"""The points of every hidden-test cell (assignment.toml)."""


# ---------------------------------------------------------------------------------------------
# Snippets shared by attacks

LEAK = '''
import os as _os
_LEAKS = []

def _leak(what):
    """Record something the sandbox must not have shown: stderr (the log) and every graded call."""
    _LEAKS.append(str(what)[:120])
    try:
        _os.write(2, ("LEAK " + str(what)[:200] + "\\n").encode("utf-8", "replace"))
    except Exception:
        pass

def _raise_if_leaked():
    if _LEAKS:
        raise RuntimeError("LEAK " + "; ".join(_LEAKS)[:180])
'''
"""Defines ``_leak(what)`` and ``_raise_if_leaked()``; put it in a cell before using them."""


def leak_checked(function: str, body: str | None = None) -> str:
    """A wrong answer for ``function`` that first raises if the attack found something."""
    source = WRONG[function] if body is None else body
    return source.replace("):\n", "):\n    _raise_if_leaked()\n", 1)


# ---------------------------------------------------------------------------------------------
# The registry


@cache
def all_attacks() -> tuple[Attack, ...]:
    """Every ATTACK of this package's modules, sorted by name; names are unique."""
    attacks = []
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        attack = loaded.ATTACK
        assert attack.name == module.name, f"{module.name} defines ATTACK named {attack.name}"
        attacks.append(attack)
    attacks.sort(key=lambda a: a.name)
    return tuple(attacks)
