"""Run any assignment's notebook in-process the way a submission runs, and score it with its checks.

An assignment lives in ``assignments/<name>/``: the source notebook named in its ``assignment.toml``
and that file. Its mutants (student-like wrong solutions) live in ``tests/assignments/<name>/mutants/``
(deep_network's in ``tests/grader/mutants/``): each ``<function>__<mistake>.py`` is the source of the
solution cell whose grade id is ``<function>``, as a student might write it.

In-process runs here are for the instructor's view (the same cells work in plain Jupyter); the
sandboxed engine is exercised by the end-to-end tests.
"""

from __future__ import annotations

import contextlib
import functools
import io
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from grader.course import ASSIGNMENTS_DIR
from grader.hidden import CheckCall, CheckReport, parse_checks, run_check
from grader.metadata import AssignmentMeta, list_metadata

TESTS = Path(__file__).resolve().parent
_LEGACY_MUTANTS = {"deep_network": TESTS.parent / "grader" / "mutants"}


def all_assignments() -> list[AssignmentMeta]:
    """Every shipped assignment with metadata, by week."""
    return list_metadata(ASSIGNMENTS_DIR)


@dataclass(frozen=True)
class Assignment:
    """One shipped assignment: its metadata, its source notebook and its mutants."""

    meta: AssignmentMeta

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def notebook_path(self) -> Path:
        return ASSIGNMENTS_DIR / self.name / self.meta.notebook

    @property
    def mutants_dir(self) -> Path:
        return _LEGACY_MUTANTS.get(self.name, TESTS / self.name / "mutants")

    def source(self) -> nbformat.NotebookNode:
        return nbformat.read(self.notebook_path, as_version=4)

    def released(self) -> nbformat.NotebookNode:
        """The student version, made with nbgrader's preprocessors (solutions and hidden tests removed)."""
        nb = self.source()
        resources: dict = {}
        nb, resources = ClearSolutions().preprocess(nb, resources)
        nb, resources = ClearHiddenTests().preprocess(nb, resources)
        return nb

    def mutants(self) -> list[Path]:
        return sorted(p for p in self.mutants_dir.glob("*__*.py") if not p.name.startswith("_"))

    def affected_by(self, function: str) -> set[str]:
        """The graded functions whose points a mistake in ``function`` may cost: itself and every
        function that uses it, directly or through another."""
        hit = {function}
        changed = True
        while changed:
            changed = False
            for f in self.meta.functions:
                if f.name not in hit and hit & set(f.uses):
                    hit.add(f.name)
                    changed = True
        return hit


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    return dict(cell.metadata.get("nbgrader", {}))


def grade_id(cell: nbformat.NotebookNode) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def is_hidden_test(cell: nbformat.NotebookNode) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def hidden_calls(nb: nbformat.NotebookNode) -> list[tuple[str, float, CheckCall]]:
    """(grade id, points, call) for every check call of the graded cells, in notebook order."""
    found = []
    for cell in nb.cells:
        if is_hidden_test(cell):
            meta = nbgrader_meta(cell)
            for call in parse_checks(cell.source, cell=meta["grade_id"]):
                found.append((meta["grade_id"], float(meta["points"]), call))
    return found


def execute(
    nb: nbformat.NotebookNode, replace: dict[str, str] | None = None, *, run_hidden: bool = False
) -> tuple[dict, dict[str, BaseException], str]:
    """Run the code cells in order in one namespace: (namespace, errors by grade id or cell index,
    printed output). ``replace`` maps a grade id to new cell source. Hidden test cells are skipped
    unless ``run_hidden`` (the instructor validating the source notebook in plain Jupyter)."""
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
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                exec(compile(source, f"<cell {key}>", "exec"), namespace)
        except Exception as exc:  # a failing cell does not stop the notebook
            errors[key] = exc
    return namespace, errors, out.getvalue()


@functools.cache
def _executed_source(name: str) -> tuple[nbformat.NotebookNode, dict]:
    """The source notebook of assignment ``name`` and the namespace of one clean run of it."""
    meta = next(m for m in all_assignments() if m.name == name)
    nb = nbformat.read(ASSIGNMENTS_DIR / name / meta.notebook, as_version=4)
    namespace, errors, _ = execute(nb)
    assert errors == {}, f"{name}: the source notebook fails: {errors}"
    return nb, namespace


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def reaches(namespace: dict, function: str, changed: set[str]) -> bool:
    """Whether calling ``namespace[function]`` can reach one of the ``changed`` names: through the
    global names its code (nested code included) mentions, followed through the functions they name."""
    seen: set[str] = set()
    todo = [function]
    while todo:
        name = todo.pop()
        if name in changed:
            return True
        if name in seen:
            continue
        seen.add(name)
        code = getattr(namespace.get(name), "__code__", None)
        if code is not None:
            todo.extend(_global_names(code))
    return False


@contextlib.contextmanager
def with_mutant(
    name: str, grade_id_: str, source: str
) -> Iterator[tuple[nbformat.NotebookNode, dict, set[str]]]:
    """The executed source notebook of ``name`` with the solution cell ``grade_id_`` run again as
    ``source``: (notebook, namespace, names the mutant cell changed). Restored afterwards.

    Running the whole notebook again per mutant would retrain every model of its demo cells; the
    other cells' functions look their callees up in this namespace at call time, so redefining the
    mutated cell's names in place is what a student's notebook with that cell amounts to.
    """
    nb, namespace = _executed_source(name)
    saved = dict(namespace)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            exec(compile(source, f"<cell {grade_id_}>", "exec"), namespace)
        changed = {k for k, v in namespace.items() if k not in saved or saved[k] is not v}
        yield nb, namespace, changed
    finally:
        namespace.clear()
        namespace.update(saved)


def grade(
    nb: nbformat.NotebookNode, namespace: dict, seed: int, only: set[str] | None = None
) -> dict[str, tuple[float, float, CheckReport]]:
    """Score every hidden check of ``nb`` (or those of the functions in ``only``) against the
    functions in ``namespace``: function name -> (score, points, report)."""
    scores = {}
    for _grade_id, points, call in hidden_calls(nb):
        if only is not None and call.function not in only:
            continue
        function = namespace.get(call.function)
        if function is None:

            def function(*_args, _name=call.function, **_kwargs):
                raise NameError(f"name {_name!r} is not defined")

        report = run_check(call.name, function, seed=seed)
        scores[call.function] = (points * report.fraction, points, report)
    return scores


def mutant_target(path: Path) -> str:
    return path.stem.split("__", 1)[0]
