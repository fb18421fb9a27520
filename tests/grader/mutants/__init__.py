"""Student-like wrong implementations, and a small harness that runs the deep network notebook
in-process the way a submission would run (cells in order, a failing cell does not stop the rest).

Each ``<function>__<mistake>.py`` file here is the source of a SOLUTION CELL as a student might
write it: it replaces the notebook's solution cell of ``<function>`` and relies on the notebook's
setup cell for ``np``, ``copy`` and the activation helpers (hence the ruff noqa line). Files named
``*__hardcoded_public_example.py`` return the public example's expected output.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from grader.hidden import CheckCall, CheckReport, parse_checks, run_check

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


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    return dict(cell.metadata.get("nbgrader", {}))


def grade_id(cell: nbformat.NotebookNode) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def is_hidden_test(cell: nbformat.NotebookNode) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def source_notebook() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK, as_version=4)


def released_notebook() -> nbformat.NotebookNode:
    """The student version, made with nbgrader's own preprocessors: solution regions replaced by
    its stub, hidden test regions removed."""
    nb = source_notebook()
    resources: dict = {}
    nb, resources = ClearSolutions().preprocess(nb, resources)
    nb, resources = ClearHiddenTests().preprocess(nb, resources)
    return nb


def hidden_calls(nb: nbformat.NotebookNode) -> list[tuple[str, float, CheckCall]]:
    """(grade id, points, call) for every check call of the graded cells, in notebook order."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "code" and is_hidden_test(cell):
            meta = nbgrader_meta(cell)
            for call in parse_checks(cell.source, cell=meta["grade_id"]):
                found.append((meta["grade_id"], float(meta["points"]), call))
    return found


def execute(
    nb: nbformat.NotebookNode, replace: dict[str, str] | None = None, *, run_hidden: bool = False
) -> tuple[dict, dict[str, BaseException], str]:
    """Run the code cells in order in one namespace, like the sandbox does: (namespace, errors by
    grade id or cell index, printed output). ``replace`` maps a grade id to new cell source.
    Hidden test cells are skipped unless ``run_hidden`` (the instructor's in-process checks)."""
    namespace: dict = {"__name__": "__main__"}
    errors: dict[str, BaseException] = {}
    out = io.StringIO()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if is_hidden_test(cell) and not run_hidden:
            continue
        key = grade_id(cell) or str(index)
        source = (replace or {}).get(key, cell.source)
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(source, f"<cell {key}>", "exec"), namespace)
        except Exception as exc:  # a failing cell does not stop the notebook
            errors[key] = exc
    return namespace, errors, out.getvalue()


def grade(
    nb: nbformat.NotebookNode, namespace: dict, seed: int
) -> dict[str, tuple[float, float, CheckReport]]:
    """Score every hidden check of ``nb`` against the functions in ``namespace`` (in-process):
    function name -> (score, points, report)."""
    scores = {}
    for _grade_id, points, call in hidden_calls(nb):
        function = namespace.get(call.function)
        if function is None:

            def function(*_args, _name=call.function, **_kwargs):
                raise NameError(f"name {_name!r} is not defined")

        report = run_check(call.name, function, seed=seed)
        scores[call.function] = (points * report.fraction, points, report)
    return scores


def mutant_files() -> list[Path]:
    return sorted(p for p in MUTANTS.glob("*__*.py") if not p.name.startswith("_"))


def mutant_target(path: Path) -> str:
    return path.stem.split("__", 1)[0]


def with_mutant(path: Path) -> dict[str, str]:
    """The ``replace`` mapping that puts the mutant in place of its function's solution cell."""
    return {mutant_target(path): path.read_text()}
