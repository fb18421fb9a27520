"""The hidden-test API of source notebooks: ``check(NAME, function)``.

A graded cell of a source notebook holds only calls such as::

    ### BEGIN HIDDEN TESTS
    from grader.hidden import check
    check("deep_network.linear_forward", linear_forward)
    ### END HIDDEN TESTS

Two readers give them meaning:

* The grading engine never runs these cells. It reads them with ``parse_checks`` (a syntax tree,
  no execution), draws each check's cases outside the sandbox and compares the values the
  sandboxed student function returned with the reference.
* In the instructor's own Jupyter the cell runs as written: ``check`` calls the function in-process
  on freshly drawn cases, returns a ``CheckReport`` and raises AssertionError with the student-style
  feedback when a case fails, so validating the source notebook exercises the same checks.
"""

from __future__ import annotations

import ast
import copy
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from grader.cases import Case, CheckDef, UnknownCheckError, get_check
from grader.errors import DlgradeError
from grader.plaindata import from_framework
from grader.records import CaseResult

OPTIONS: dict[str, str] = {
    "cases": "a positive int: use only the first N cases of the check",
    "seed": "an int >= 0 or None: draw the cases from this seed instead of a fresh one",
}
"""Keyword options a hidden ``check`` call may give, and what they mean."""

MESSAGE_LIMIT = 300
"""Longest exception text quoted from student code in feedback."""


class HiddenTestError(DlgradeError):
    """A hidden test cell that cannot be read: a syntax error or a malformed ``check`` call.

    Carries the cell (its grade id, when known), the 1-based line within the cell and that line's
    text, and says all three.
    """

    def __init__(self, problem: str, *, line: int | None, source: str, cell: str | None = None) -> None:
        self.problem = problem
        self.line = line
        self.cell = cell
        lines = source.splitlines()
        self.line_text = lines[line - 1].strip() if line is not None and 0 < line <= len(lines) else ""
        where = "hidden test cell" + (f" {cell!r}" if cell else "")
        if line is not None:
            where += f", line {line}"
        quoted = f"\n    {self.line_text}" if self.line_text else ""
        super().__init__(f"{where}: {problem}{quoted}")


@dataclass(frozen=True)
class CheckCall:
    """One ``check(name, function, **options)`` call found in a hidden test cell."""

    name: str
    function: str
    options: dict[str, object]
    line: int


@dataclass(frozen=True)
class CheckReport:
    """What an in-process ``check`` found: one CaseResult per case, and the seed to replay it."""

    name: str
    function: str
    seed: int
    cases: tuple[CaseResult, ...]

    @property
    def passed(self) -> bool:
        """True when every case passed."""
        return all(c.passed for c in self.cases)

    @property
    def n_passed(self) -> int:
        """How many cases passed."""
        return sum(c.passed for c in self.cases)

    @property
    def fraction(self) -> float:
        """The share of cases that passed: the share of the cell's points earned."""
        return self.n_passed / len(self.cases) if self.cases else 0.0

    def feedback(self) -> str:
        """A summary line, then one line per failed case: its family and what was wrong."""
        lines = [f"{self.name}: {self.n_passed} of {len(self.cases)} hidden cases passed"]
        for case in self.cases:
            if not case.passed:
                lines.append(f"- case {case.index + 1} ({case.family}): {case.message}")
        return "\n".join(lines)

    def _ipython_display_(self) -> None:
        # Shown as printed text: a cell result (execute_result) in a graded cell is read by
        # nbgrader as a partial score, and this is a report, not a score.
        print(f"{self.feedback()} (seed {self.seed})")

    def __repr__(self) -> str:
        return f"<CheckReport {self.name}: {self.n_passed}/{len(self.cases)} cases passed, seed {self.seed}>"


# ---------------------------------------------------------------------------------------------
# In-process checks (the instructor's Jupyter, tests)


def run_check(
    name: str,
    function: Callable[..., object],
    *,
    cases: int | None = None,
    seed: int | None = None,
) -> CheckReport:
    """Run check ``name`` on ``function`` in this process and report every case; never raises for
    what ``function`` does (its exceptions become failed cases).

    ``cases`` keeps only the first N cases; ``seed`` draws them reproducibly (a fresh random seed
    when None, reported in the result).
    """
    check_def = get_check(name)
    run_seed = secrets.randbits(31) if seed is None else seed
    drawn = check_def.make_cases(np.random.default_rng(run_seed))
    if cases is not None:
        drawn = drawn[: max(0, cases)]
    results = tuple(_run_case(check_def, i, case, function) for i, case in enumerate(drawn))
    return CheckReport(name, getattr(function, "__name__", check_def.function), run_seed, results)


def check(
    name: str,
    function: Callable[..., object],
    *,
    cases: int | None = None,
    seed: int | None = None,
) -> CheckReport:
    """Run check ``name`` on ``function`` in-process; AssertionError with the feedback (and the seed
    to reproduce it) when any case fails, else the report."""
    report = run_check(name, function, cases=cases, seed=seed)
    if not report.passed:
        raise AssertionError(f"{report.feedback()}\n(seed {report.seed})")
    return report


def _run_case(check_def: CheckDef, index: int, case: Case, function: Callable[..., object]) -> CaseResult:
    expected = check_def.expected(case)
    args = copy.deepcopy(case.args)
    kwargs = copy.deepcopy(case.kwargs)
    try:
        actual = function(*args, **kwargs)
    except Exception as exc:  # the student's error is a failed case, not a crash of the check
        return CaseResult(check_def.name, index, case.family, False, describe_exception(check_def, exc))
    # As the sandbox runner does: TensorFlow tensors and Keras models become plain data.
    actual = from_framework(actual)
    verdict = check_def.compare(expected, actual)
    if verdict.passed and check_def.unchanged_args:
        verdict = check_def.compare_inputs(case, args)
    return CaseResult(check_def.name, index, case.family, verdict.passed, verdict.message)


def describe_exception(check_def: CheckDef, exc: BaseException) -> str:
    """Feedback for a student function that raised: its type and (clipped) message."""
    text = str(exc).strip()
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 3] + "..."
    if isinstance(exc, NotImplementedError) and not text:
        return f"`{check_def.function}` is not implemented yet (it raised NotImplementedError)"
    return f"`{check_def.function}` raised {type(exc).__name__}" + (f": {text}" if text else "")


# ---------------------------------------------------------------------------------------------
# Reading hidden test cells (the engine)


def parse_checks(source: str, *, cell: str | None = None) -> list[CheckCall]:
    """The ``check`` calls of a hidden test cell, read from its syntax tree (nothing is executed).

    A call counts when it is a top-level statement ``check("<name>", <function name>, **options)``
    with a string literal naming a known check, a bare name for the student function, and literal
    option values (see OPTIONS). Imports, comments and other statements are ignored. A syntax error,
    a malformed or nested ``check`` call, an unknown check or option raises HiddenTestError naming
    ``cell`` and the line.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise HiddenTestError(
            f"not valid Python ({exc.msg})", line=exc.lineno, source=source, cell=cell
        ) from None
    top_level: set[int] = set()
    calls: list[CheckCall] = []
    for statement in tree.body:
        if isinstance(statement, ast.Expr) and _is_check_call(statement.value):
            assert isinstance(statement.value, ast.Call)
            top_level.add(id(statement.value))
            calls.append(_read_call(statement.value, source, cell))
    for node in ast.walk(tree):
        if _is_check_call(node) and id(node) not in top_level:
            raise HiddenTestError(
                "check(...) must be a statement of its own at the top level of the cell "
                "(not inside a loop, function, condition or expression)",
                line=getattr(node, "lineno", None),
                source=source,
                cell=cell,
            )
    return calls


def _is_check_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check"


def _read_call(call: ast.Call, source: str, cell: str | None) -> CheckCall:
    def error(problem: str) -> HiddenTestError:
        return HiddenTestError(problem, line=call.lineno, source=source, cell=cell)

    if any(isinstance(arg, ast.Starred) for arg in call.args) or any(k.arg is None for k in call.keywords):
        raise error("check(...) cannot take *args or **kwargs")
    if len(call.args) != 2:
        raise error("check(...) takes exactly two positional arguments: the check name and the function")
    name_node, function_node = call.args
    if not (isinstance(name_node, ast.Constant) and isinstance(name_node.value, str)):
        raise error(
            'the first argument of check(...) must be a string literal such as "deep_network.linear_forward"'
        )
    if not isinstance(function_node, ast.Name):
        raise error("the second argument of check(...) must be the bare name of the student's function")
    name = name_node.value
    try:
        get_check(name)
    except UnknownCheckError as exc:
        raise error(exc.message) from None
    options: dict[str, object] = {}
    for keyword in call.keywords:
        assert keyword.arg is not None
        if keyword.arg not in OPTIONS:
            known = ", ".join(sorted(OPTIONS))
            raise error(f"unknown option {keyword.arg!r} of check(...) (known: {known})")
        try:
            value = ast.literal_eval(keyword.value)
        except ValueError:
            raise error(f"option {keyword.arg!r} must be a literal value") from None
        problem = _option_problem(keyword.arg, value)
        if problem:
            raise error(problem)
        options[keyword.arg] = value
    return CheckCall(name, function_node.id, options, call.lineno)


def _option_problem(option: str, value: object) -> str | None:
    """Why an option value is invalid, or None when it is fine."""
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if option == "cases" and not (is_int and isinstance(value, int) and value > 0):
        return f"option 'cases' must be {OPTIONS['cases']}"
    if option == "seed" and not (value is None or (is_int and isinstance(value, int) and value >= 0)):
        return f"option 'seed' must be {OPTIONS['seed']}"
    return None
