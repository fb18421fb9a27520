"""Student-like wrong implementations, and a small harness that runs the deep network notebook
in-process the way a submission would run (cells in order, a failing cell does not stop the rest).

Each ``<function>__<mistake>.py`` file here is the source of a SOLUTION CELL as a student might
write it: it replaces the notebook's solution cell of ``<function>`` and relies on the notebook's
setup cell for ``np``, ``copy`` and the activation helpers (hence the ruff noqa line). Files named
``*__hardcoded_public_example.py`` return the public example's expected output.
"""

from __future__ import annotations

from pathlib import Path

from grader.metadata import load_meta

# The generic harness runs and scores any assignment; these names stay importable from here.
from tests.assignments.harness import (  # noqa: F401
    Assignment,
    execute,
    grade,
    grade_id,
    hidden_calls,
    is_hidden_test,
    mutant_target,
    nbgrader_meta,
)

ROOT = Path(__file__).resolve().parents[3]
NOTEBOOK = ROOT / "assignments" / "deep_network" / "deep_network.ipynb"
ASSIGNMENT_TOML = NOTEBOOK.parent / "assignment.toml"
MUTANTS = Path(__file__).resolve().parent

FUNCTIONS = (
    "initialize_parameters",
    "initialize_parameters_deep",
    "linear_forward",
    "linear_activation_forward",
    "L_model_forward",
    "compute_cost",
    "linear_backward",
    "linear_activation_backward",
    "L_model_backward",
    "update_parameters",
)

DEPENDS_ON = {
    "linear_activation_forward": {"linear_forward"},
    "L_model_forward": {"linear_activation_forward", "linear_forward"},
    "linear_activation_backward": {"linear_backward"},
    "L_model_backward": {"linear_activation_backward", "linear_backward"},
}
"""Which student functions a function calls: a mistake there also costs the caller's points, as in
the course (the student's own helpers are used, never the reference)."""


_ASSIGNMENT = Assignment(load_meta(ASSIGNMENT_TOML))
source_notebook = _ASSIGNMENT.source
released_notebook = _ASSIGNMENT.released
"""The student version, made with nbgrader's own preprocessors (solutions and hidden tests removed)."""


def mutant_files() -> list[Path]:
    return sorted(p for p in MUTANTS.glob("*__*.py") if not p.name.startswith("_"))


def with_mutant(path: Path) -> dict[str, str]:
    """The ``replace`` mapping that puts the mutant in place of its function's solution cell."""
    return {mutant_target(path): path.read_text()}
