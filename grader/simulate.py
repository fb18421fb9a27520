"""Simulated student submissions of the "deep network, step by step" assignment.

Used by the grading benchmark (benchmarks/grade_vs_nbgrader.py) and by ``make demo``. Every
submission starts from the student version of the source notebook, made with nbgrader's own
preprocessors (solution regions replaced by nbgrader's stub, hidden tests removed, outputs cleared),
and then changes what a student would change. The kinds:

- ``correct``: every solution cell holds the reference solution (the source's solution code).
- ``partly wrong``: one or two functions hold a typical mistake (below); the rest is correct.
- ``crashing``: a cell raises at top level (a scratch line using an undefined name, an import of a
  package the course does not use), or a graded function raises on most inputs.
- ``looping``: an infinite loop inside ``update_parameters`` (a ``while`` loop that never advances),
  or a top-level training loop that never ends and so runs into the cell timeout.
- ``stub``: the released notebook, unchanged.
- ``hostile``: patches numpy's comparison functions so every public test passes, returns wrong
  answers for two functions, and tries to write files outside its working directory
  (see HOSTILE_MARKER).

The mistakes are copies of a few of the student-like mutants in tests/grader/mutants/ (this module
must not import from tests/).
"""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

_nbformat: Any = nbformat  # nbformat's functions are untyped

KINDS = ("correct", "partly wrong", "crashing", "looping", "stub", "hostile")
"""The kinds of submission, as returned by build_submissions."""

HOSTILE_MARKER = "dlgrade-hostile-was-here.txt"
"""Name of the files the hostile submission tries to write outside its working directory: in /tmp,
in its home directory and in the three directories above its working directory."""

_SOLUTION_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


@dataclass(frozen=True)
class Mistake:
    """A wrong version of one solution cell, as a student might write it."""

    slug: str
    function: str
    description: str
    source: str


# Each source replaces the whole solution cell of ``function``; np, copy and the activation helpers
# come from the notebook's setup cell.
MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "uniform-init",
        "initialize_parameters",
        "np.random.rand instead of np.random.randn",
        """def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.rand(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.rand(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
""",
    ),
    Mistake(
        "seed-in-loop",
        "initialize_parameters_deep",
        "re-seeds inside the loop",
        """def initialize_parameters_deep(layer_dims):
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        np.random.seed(3)
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
""",
    ),
    Mistake(
        "skips-last-layer",
        "initialize_parameters_deep",
        "off-by-one loop bound: no parameters for the last layer",
        """def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L - 1):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
""",
    ),
    Mistake(
        "no-bias",
        "linear_forward",
        "forgets to add b",
        """def linear_forward(A, W, b):
    Z = np.dot(W, A)
    cache = (A, W, b)
    return Z, cache
""",
    ),
    Mistake(
        "cache-order",
        "linear_forward",
        "cache stored as (W, A, b)",
        """def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (W, A, b)
    return Z, cache
""",
    ),
    Mistake(
        "always-relu",
        "linear_activation_forward",
        "ignores the activation argument",
        """def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, activation_cache = relu(Z)
    cache = (linear_cache, activation_cache)
    return A, cache
""",
    ),
    Mistake(
        "relu-last-layer",
        "L_model_forward",
        "the output layer uses relu",
        """def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    return A, caches
""",
    ),
    Mistake(
        "cost-no-mean",
        "compute_cost",
        "sums the losses without dividing by m",
        """def compute_cost(AL, Y):
    cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))
    return np.squeeze(cost)
""",
    ),
    Mistake(
        "cost-not-squeezed",
        "compute_cost",
        "returns a (1, 1) array",
        """def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -(np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T)) / m
    return cost
""",
    ),
    Mistake(
        "no-1-over-m",
        "linear_backward",
        "forgets the 1/m in dW",
        """def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T)
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
""",
    ),
    Mistake(
        "db-no-keepdims",
        "linear_backward",
        "db has shape (n,) instead of (n, 1)",
        """def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
""",
    ),
    Mistake(
        "no-activation-derivative",
        "linear_activation_backward",
        "skips the activation's derivative (dZ = dA)",
        """def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    dZ = dA
    return linear_backward(dZ, linear_cache)
""",
    ),
    Mistake(
        "dAL-sign",
        "L_model_backward",
        "dAL has the wrong sign",
        """def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)
    dA_prev, dW, db = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = dA_prev, dW, db
    for l in reversed(range(1, L)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l)], caches[l - 1], "relu")
        grads["dA" + str(l - 1)], grads["dW" + str(l)], grads["db" + str(l)] = dA_prev, dW, db
    return grads
""",
    ),
    Mistake(
        "gradient-ascent",
        "update_parameters",
        "adds the gradient instead of subtracting it",
        """def update_parameters(parameters, grads, learning_rate):
    new_parameters = copy.deepcopy(parameters)
    L = len(parameters) // 2
    for l in range(1, L + 1):
        new_parameters["W" + str(l)] = parameters["W" + str(l)] + learning_rate * grads["dW" + str(l)]
        new_parameters["b" + str(l)] = parameters["b" + str(l)] + learning_rate * grads["db" + str(l)]
    return new_parameters
""",
    ),
    Mistake(
        "only-weights",
        "update_parameters",
        "forgets to update the biases",
        """def update_parameters(parameters, grads, learning_rate):
    new_parameters = copy.deepcopy(parameters)
    L = len(parameters) // 2
    for l in range(1, L + 1):
        new_parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
    return new_parameters
""",
    ),
)

# A graded function that raises on most inputs: dW without the transpose (shapes do not align).
_RAISING_FUNCTION = (
    "linear_backward",
    """def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
""",
)

# Scratch lines a student leaves at the end of a solution cell: the function is defined, then the
# cell raises (NameError: A is not defined at top level).
_TOP_LEVEL_NAME_ERROR = "\n\n# trying it out\nZ, cache = linear_forward(A, W, b)\nprint(Z.shape)\n"

# A student-added first cell importing a package the course does not provide (TensorFlow itself
# is in the environment since the TensorFlow weeks).
_TOP_LEVEL_IMPORT_ERROR = "import tensorflow_addons as tfa  # to compare with Keras\n"

# An infinite loop in a graded function: the loop index never advances.
_LOOPING_FUNCTION = (
    "update_parameters",
    """def update_parameters(parameters, grads, learning_rate):
    new_parameters = copy.deepcopy(parameters)
    L = len(parameters) // 2
    l = 1
    while l <= L:
        new_parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        new_parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return new_parameters
""",
)

# A student-added cell that "trains until the cost is small": the cost converges to 0.1, so the
# loop never ends and the cell runs into the timeout.
_TOP_LEVEL_LOOP = """# train until the cost is small enough
cost = 1.0
iterations = 0
while cost > 0.01:
    cost = 0.99 * cost + 0.001
    iterations += 1
print(iterations, cost)
"""

_HOSTILE_SETUP = f"""import os
import numpy as np

# Every comparison succeeds: the public tests all pass.
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.testing.assert_allclose = lambda *args, **kwargs: None

# Leave a trace outside the working directory, wherever that is allowed.
for _target in (
    "/tmp/{HOSTILE_MARKER}",
    os.path.expanduser("~/{HOSTILE_MARKER}"),
    "../{HOSTILE_MARKER}",
    "../../{HOSTILE_MARKER}",
    "../../../{HOSTILE_MARKER}",
):
    try:
        with open(_target, "w") as _f:
            _f.write("written by a hostile submission\\n")
    except OSError:
        pass
"""

# The hostile submission's wrong answers: the public examples' expected outputs, hard-coded.
_HOSTILE_FUNCTIONS = {
    "linear_forward": """def linear_forward(A, W, b):
    Z = np.array([[0.2, -1.3]])
    cache = (A, W, b)
    return Z, cache
""",
    "compute_cost": """def compute_cost(AL, Y):
    return 0.2797765635793423
""",
}


@dataclass(frozen=True)
class PlannedSubmission:
    """One simulated submission: its student id, kind and what it contains."""

    student: str
    kind: str
    detail: str


def _meta(cell: NotebookNode) -> dict[str, object]:
    return dict(cell.metadata.get("nbgrader", {}))


def _grade_id(cell: NotebookNode) -> str | None:
    value = _meta(cell).get("grade_id")
    return value if isinstance(value, str) else None


def released_notebook(source_notebook: Path) -> NotebookNode:
    """The student version of ``source_notebook``, made with the preprocessors of nbgrader's
    generate step: cells locked, solution regions replaced by nbgrader's stub, outputs cleared,
    hidden test regions removed, checksums recorded."""
    from nbgrader.preprocessors import (
        ClearHiddenTests,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    nb: NotebookNode = _nbformat.read(source_notebook, as_version=4)
    resources: dict[str, object] = {}
    steps = (LockCells(), ClearSolutions(), ClearOutput(), ClearHiddenTests(), ComputeChecksums())
    for preprocessor in steps:
        nb, resources = preprocessor.preprocess(nb, resources)
    return nb


def solutions(source_notebook: Path) -> dict[str, str]:
    """The source's solution cells without the solution markers: grade id -> cell source."""
    nb: NotebookNode = _nbformat.read(source_notebook, as_version=4)
    return {
        grade_id: _SOLUTION_MARKER.sub("", cell.source)
        for cell in nb.cells
        if cell.cell_type == "code" and _meta(cell).get("solution") and (grade_id := _grade_id(cell))
    }


def _cell_index(nb: NotebookNode, grade_id: str) -> int:
    for index, cell in enumerate(nb.cells):
        if _grade_id(cell) == grade_id:
            return index
    raise KeyError(f"the notebook has no cell with grade id {grade_id!r}")


def _student_cell(source: str) -> NotebookNode:
    """A code cell a student added (no nbgrader metadata)."""
    cell: NotebookNode = _nbformat.v4.new_code_cell(source)
    return cell


def plan_submissions(
    n: int, seed: int, *, hostile: bool = True, looping: bool = True
) -> list[PlannedSubmission]:
    """The mix of ``n`` submissions (ids s01..sNN, shuffled with ``seed``).

    Two looping ones (a function loop and a top-level loop, when ``looping``) and one hostile one
    (when ``hostile``) once n >= 10; about a tenth crashing, a twentieth stubs, a quarter correct;
    the rest partly wrong: first one submission per typical mistake, then pairs of mistakes in
    different functions.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = random.Random(seed)
    kinds: list[tuple[str, str]] = []
    if n >= 10:
        if looping:
            kinds += [("looping", "function"), ("looping", "top-level")]
        if hostile:
            kinds.append(("hostile", "patched np.allclose, hard-coded answers, writes outside"))
    crashing = ("top-level NameError", "function raises", "top-level ImportError")
    kinds += [("crashing", crashing[i % len(crashing)]) for i in range(max(1, n // 10))]
    kinds += [("stub", "released version")] * max(1, n // 20)
    kinds += [("correct", "reference solution")] * max(1, n // 4)
    kinds = kinds[:n]
    for i in range(n - len(kinds)):
        if i < len(MISTAKES):
            kinds.append(("partly wrong", MISTAKES[i].slug))
        else:
            first, second = rng.sample(MISTAKES, 2)
            while first.function == second.function:
                first, second = rng.sample(MISTAKES, 2)
            kinds.append(("partly wrong", f"{first.slug}+{second.slug}"))
    rng.shuffle(kinds)
    planned = []
    for number, (kind, detail) in enumerate(kinds, start=1):
        slug = {"partly wrong": detail.split("+")[0] + ("-and-more" if "+" in detail else "")}.get(
            kind, kind.replace(" ", "-")
        )
        planned.append(PlannedSubmission(f"s{number:02d}-{slug}", kind, detail))
    return planned


def make_notebook(planned: PlannedSubmission, released: NotebookNode, solved: dict[str, str]) -> NotebookNode:
    """The notebook of one planned submission, from the released notebook and the solutions."""
    nb = copy.deepcopy(released)
    if planned.kind == "stub":
        return nb
    replace = dict(solved)
    added_first: list[str] = []
    added_after: list[tuple[str, str]] = []  # (grade id of the cell it follows, source)
    if planned.kind == "partly wrong":
        by_slug = {m.slug: m for m in MISTAKES}
        for slug in planned.detail.split("+"):
            replace[by_slug[slug].function] = by_slug[slug].source
    elif planned.kind == "crashing":
        if planned.detail == "top-level NameError":
            replace["linear_forward"] = solved["linear_forward"].rstrip("\n") + _TOP_LEVEL_NAME_ERROR
        elif planned.detail == "function raises":
            replace[_RAISING_FUNCTION[0]] = _RAISING_FUNCTION[1]
        else:
            added_first.append(_TOP_LEVEL_IMPORT_ERROR)
    elif planned.kind == "looping":
        if planned.detail == "function":
            replace[_LOOPING_FUNCTION[0]] = _LOOPING_FUNCTION[1]
        else:
            added_after.append(("compute_cost", _TOP_LEVEL_LOOP))
    elif planned.kind == "hostile":
        replace.update(_HOSTILE_FUNCTIONS)
        added_after.append(("setup", _HOSTILE_SETUP))
    for grade_id, text in replace.items():
        nb.cells[_cell_index(nb, grade_id)].source = text
    for after, text in added_after:
        nb.cells.insert(_cell_index(nb, after) + 1, _student_cell(text))
    for text in added_first:
        nb.cells.insert(0, _student_cell(text))
    return nb


def build_submissions(source_notebook: Path, out_dir: Path, n: int, seed: int) -> dict[str, str]:
    """Write ``n`` simulated submissions of ``source_notebook`` as ``out_dir/<student>.ipynb``.

    Returns student id -> kind (one of KINDS). The mix, including one hostile submission, is
    plan_submissions(n, seed); the same arguments always write the same notebooks.
    """
    return write_submissions(source_notebook, out_dir, plan_submissions(n, seed))


def write_submissions(
    source_notebook: Path, out_dir: Path, planned: list[PlannedSubmission]
) -> dict[str, str]:
    """Write the ``planned`` submissions of ``source_notebook`` into ``out_dir``; student -> kind."""
    released = released_notebook(source_notebook)
    solved = solutions(source_notebook)
    out_dir.mkdir(parents=True, exist_ok=True)
    kinds: dict[str, str] = {}
    for p in planned:
        _nbformat.write(make_notebook(p, released, solved), out_dir / f"{p.student}.ipynb")
        kinds[p.student] = p.kind
    return kinds
