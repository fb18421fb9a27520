"""Grading an assignment: every submission in a sandbox, scored outside it, recorded by one writer.

For each graded cell of the trusted source notebook, the hidden-test calls ``check(NAME, fn)`` name
a check definition. The engine draws that check's randomized cases once per run (seed chosen at
grading time), computes the reference outputs once, and asks each submission's sandbox to call the
student's function on the same inputs. Values come back as plain data and are compared here, so
nothing the student code does at run time can turn a wrong answer into points.
"""

from __future__ import annotations

import hashlib
import queue
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from grader.cases import Case, CheckDef, get_check
from grader.course import Course, Submission
from grader.hidden import parse_checks
from grader.notebook import NotebookError, SourceNotebook, read_notebook, reconcile
from grader.records import (
    MESSAGE_SEPARATOR,
    AssignmentSpec,
    CaseResult,
    GradeCellResult,
    SubmissionResult,
    SubmissionStatus,
)
from grader.sandbox import CallOutcome, CallRequest, ExecutionResult, SandboxLimits, execute
from grader.sandbox_warm import preload_modules
from grader.source_cache import load_source_cached

MESSAGE_LIMIT = 400


@dataclass(frozen=True)
class PlannedCase:
    """One randomized case of one check: the inputs sent to the sandbox and the reference output."""

    call_id: str
    check: CheckDef
    function: str
    index: int
    family: str
    args: tuple[object, ...]
    kwargs: dict[str, object]
    expected: object


@dataclass(frozen=True)
class PlannedCell:
    """A graded cell of a source notebook and the cases that score it."""

    notebook: str
    grade_id: str
    points: float
    cases: tuple[PlannedCase, ...]


@dataclass(frozen=True)
class GradingPlan:
    """Everything a run needs that does not depend on the submission."""

    assignment: str
    seed: int
    sources: dict[str, SourceNotebook]
    cells: tuple[PlannedCell, ...]
    spec: AssignmentSpec
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    """The assignment's budgets (its metadata), or the defaults when it has none."""
    preload: tuple[str, ...] = ()
    """Modules the source notebooks import, loaded once per sandbox slot (grader/sandbox_warm.py)."""

    def cells_of(self, notebook: str) -> list[PlannedCell]:
        """The planned graded cells of one notebook, in order."""
        return [c for c in self.cells if c.notebook == notebook]


@dataclass(frozen=True)
class GradeOptions:
    """How to grade: parallelism, sandbox, limits, seed, and whether to regrade unchanged work.

    ``limits`` None means the assignment's own budgets (GradingPlan.limits); ``overrides`` then
    replaces single fields of whichever limits apply (e.g. ``{"call_seconds": 10}`` from the CLI).
    """

    workers: int = 2
    sandboxed: bool = True
    seed: int | None = None
    limits: SandboxLimits | None = None
    force: bool = False
    overrides: Mapping[str, float] = field(default_factory=dict)

    def limits_for(self, plan_: GradingPlan) -> SandboxLimits:
        """The limits one job of ``plan_`` runs under."""
        base = self.limits if self.limits is not None else plan_.limits
        unknown = set(self.overrides) - set(OVERRIDABLE)
        if unknown:
            raise ValueError(f"cannot override {', '.join(sorted(unknown))}; only {', '.join(OVERRIDABLE)}")
        given = self.overrides
        return replace(
            base,
            cell_seconds=float(given.get("cell_seconds", base.cell_seconds)),
            call_seconds=float(given.get("call_seconds", base.call_seconds)),
            wall_seconds=float(given.get("wall_seconds", base.wall_seconds)),
        )


OVERRIDABLE = ("cell_seconds", "call_seconds", "wall_seconds")
"""The limits GradeOptions.overrides may replace (what the CLI's timeout options set)."""


def plan(course: Course, assignment: str, seed: int | None = None) -> GradingPlan:
    """Read the source notebooks of ``assignment`` and draw every check's cases with ``seed``
    (a fresh random seed when None), computing the reference outputs once."""
    run_seed = secrets.randbits(31) if seed is None else seed
    sources: dict[str, SourceNotebook] = {}
    cells: list[PlannedCell] = []
    for path in course.source_notebooks(assignment):
        source = load_source_cached(path, course.cache_dir)
        sources[source.name] = source
        for test in source.test_cells:
            planned: list[PlannedCase] = []
            for k, call in enumerate(parse_checks(test.source)):
                check = get_check(call.name)
                fixed = call.options.get("seed")
                # A literal seed= in the hidden cell pins that check's cases; otherwise the run's seed.
                stream = (
                    [fixed]
                    if isinstance(fixed, int)
                    else [run_seed, _stable_int(f"{source.name}/{test.grade_id}/{k}")]
                )
                rng = np.random.default_rng(stream)
                cases = check.make_cases(rng)
                limit = call.options.get("cases")
                if isinstance(limit, int) and limit > 0:
                    cases = cases[:limit]
                for i, case in enumerate(cases):
                    planned.append(
                        PlannedCase(
                            call_id=f"{source.name}.{test.grade_id}.{k}.{i}",
                            check=check,
                            function=call.function,
                            index=i,
                            family=case.family,
                            args=case.args,
                            kwargs=case.kwargs,
                            expected=check.expected(case),
                        )
                    )
            cells.append(PlannedCell(source.name, test.grade_id, test.points, tuple(planned)))
    # Only a configured due date goes into the spec: the gradebook's own would be written back unchanged.
    spec = AssignmentSpec(
        assignment, tuple(s.spec for s in sources.values()), course.configured_duedate(assignment)
    )
    meta = course.metadata(assignment)
    limits = meta.limits() if meta is not None else SandboxLimits()
    preload = preload_modules(
        str(cell.source)
        for source in sources.values()
        for cell in source.nb.cells
        if cell.cell_type == "code"
    )
    return GradingPlan(assignment, run_seed, sources, tuple(cells), spec, limits, preload)


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def submission_checksum(files: Iterable[Path]) -> str:
    """sha256 over the submitted notebooks' names and bytes, to tell a resubmission from the same work."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` without surrounding whitespace, cut to ``limit`` characters with "..." when longer."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _score_case(case: PlannedCase, outcome: CallOutcome | None, limits: SandboxLimits) -> CaseResult:
    """Compare one call's outcome with the reference output; the verdict is decided here."""
    name = case.check.name
    if outcome is None or outcome.status == "not-run":
        message = "not run: the notebook stopped before this check"
        return CaseResult(name, case.index, case.family, False, message)
    if outcome.status == "missing":
        return CaseResult(name, case.index, case.family, False, f"`{case.function}` is not defined")
    if outcome.status == "timeout":
        message = f"`{case.function}` did not finish within {limits.call_seconds:g} s"
        return CaseResult(name, case.index, case.family, False, message)
    if outcome.status == "error" and outcome.ename == "NotImplementedError":
        return CaseResult(name, case.index, case.family, False, f"`{case.function}` is not implemented yet")
    if outcome.status == "error":
        detail = clip(outcome.evalue, 200)
        message = f"`{case.function}` raised {outcome.ename}" + (f": {detail}" if detail else "")
        return CaseResult(name, case.index, case.family, False, message)
    if outcome.status == "bad-output":
        return CaseResult(name, case.index, case.family, False, "the result could not be read back")
    try:
        verdict = case.check.compare(case.expected, outcome.value)
    except Exception:  # whatever the student returned, it costs this case only
        return CaseResult(name, case.index, case.family, False, "the result could not be compared")
    if verdict.passed and case.check.unchanged_args:
        if outcome.args_after is None:
            return CaseResult(name, case.index, case.family, False, "the arguments could not be read back")
        verdict = case.check.compare_inputs(Case(case.family, case.args, case.kwargs), outcome.args_after)
    return CaseResult(name, case.index, case.family, verdict.passed, clip(verdict.message))


def _cell_feedback(cases: Sequence[CaseResult]) -> str:
    failed = [c for c in cases if not c.passed]
    if not failed:
        return f"all {len(cases)} hidden cases passed"
    lines = [f"{len(cases) - len(failed)} of {len(cases)} hidden cases passed"]
    seen: set[str] = set()
    for c in failed:
        key = f"{c.family}: {c.message}"
        if key not in seen:
            seen.add(key)
            lines.append(f"- {key}")
    return "\n".join(lines[:6])


MAX_CELL_NOTES = 3


def cell_notes(notebook: str, positions: Sequence[int | None], result: ExecutionResult) -> list[str]:
    """What went wrong in the cells that ran, by their number in the submitted notebook (at most
    MAX_CELL_NOTES of them). They earn no points themselves, but a cell that failed or was stopped
    explains missing results, and the student should hear of it."""
    failed = [cell for cell in result.cells if cell.status in ("error", "timeout")]
    notes = []
    for cell in failed[:MAX_CELL_NOTES]:
        position = positions[cell.index]
        where = f"cell #{position + 1}" if position is not None else f"read-only cell {cell.cell_id!r}"
        if cell.status == "timeout":
            what = "ran into its time limit and was stopped"
        else:
            detail = clip(cell.evalue.partition("\n")[0], 160)
            what = f"raised {cell.ename}" + (f": {detail}" if detail else "")
        notes.append(f"{notebook}.ipynb, {where} {what}")
    if len(failed) > MAX_CELL_NOTES:
        notes.append(f"{notebook}.ipynb: {len(failed) - MAX_CELL_NOTES} more cells failed")
    return notes


def _status(executions: Sequence[ExecutionResult]) -> tuple[SubmissionStatus, str]:
    for ex in executions:
        if ex.exit == "timeout":
            return "timeout", "the notebook ran out of time; finished checks still count"
    for ex in executions:
        if ex.exit != "ok":
            return "crashed", f"the notebook's process stopped ({ex.exit}); finished checks still count"
    return "graded", ""


def grade_submission(
    plan_: GradingPlan, submission: Submission, options: GradeOptions, slot: int = 0
) -> SubmissionResult:
    """Grade one student's submission of the planned assignment. Never raises for bad student work."""
    start = time.perf_counter()
    limits = options.limits_for(plan_)
    checksum = submission_checksum(submission.notebooks.values())
    cells: list[GradeCellResult] = []
    executions: list[ExecutionResult] = []
    # What was wrong with the submitted folder (a link, an unreadable timestamp) is part of the story.
    problems: list[str] = list(submission.problems)
    notes: list[str] = []
    for name, source in plan_.sources.items():
        planned_cells = plan_.cells_of(name)
        path = submission.notebooks.get(name)
        if path is None:
            problems.append(f"{name}.ipynb was not submitted")
            cells.extend(_zero_cells(planned_cells, f"{name}.ipynb was not submitted"))
            continue
        try:
            reconciled = reconcile(source, read_notebook(path), path)
        except NotebookError as exc:
            problems.append(exc.message)
            cells.extend(_zero_cells(planned_cells, exc.message))
            continue
        notes.extend(f"{name}.ipynb: {warning}" for warning in reconciled.warnings)
        requests = [
            CallRequest(case.call_id, case.function, case.args, case.kwargs, bool(case.check.unchanged_args))
            for cell in planned_cells
            for case in cell.cases
        ]
        result = execute(
            reconciled.cells,
            requests,
            limits=limits,
            sandboxed=options.sandboxed,
            slot=slot,
            preload=plan_.preload,
        )
        executions.append(result)
        notes.extend(cell_notes(name, reconciled.positions, result))
        for cell in planned_cells:
            found = tuple(_score_case(c, result.calls.get(c.call_id), limits) for c in cell.cases)
            passed = sum(c.passed for c in found)
            score = cell.points * passed / len(found) if found else 0.0
            feedback = _cell_feedback(found)
            cells.append(GradeCellResult(name, cell.grade_id, score, cell.points, found, feedback))
    if problems and not executions:
        status: SubmissionStatus = "invalid"
        message = MESSAGE_SEPARATOR.join(problems)
    else:
        status, outcome = _status(executions)
        message = MESSAGE_SEPARATOR.join(part for part in (*problems, outcome, *notes) if part)
    # Students see these messages: name their files from the submission folder, not the server's disk.
    message = message.replace(f"{submission.directory}/", "")
    log = "\n".join(ex.log_tail for ex in executions if ex.log_tail)
    return SubmissionResult(
        plan_.assignment,
        submission.student,
        status,
        checksum,
        cells=tuple(cells),
        message=message,
        submitted_at=submission.timestamp,
        wall_seconds=time.perf_counter() - start,
        log=clip(log, 4000),
    )


def _zero_cells(cells: Sequence[PlannedCell], reason: str) -> list[GradeCellResult]:
    return [GradeCellResult(c.notebook, c.grade_id, 0.0, c.points, (), reason) for c in cells]


def failed_result(plan_: GradingPlan, submission: Submission, exc: BaseException) -> SubmissionResult:
    """The record of a submission on which dlgrade itself failed: status error, zero points."""
    cells = [GradeCellResult(c.notebook, c.grade_id, 0.0, c.points, (), "not graded") for c in plan_.cells]
    try:
        checksum = submission_checksum(submission.notebooks.values())
    except OSError:
        checksum = ""
    return SubmissionResult(
        plan_.assignment,
        submission.student,
        "error",
        checksum,
        tuple(cells),
        message=clip(f"dlgrade failed on this submission: {type(exc).__name__}: {exc}"),
        submitted_at=submission.timestamp,
    )


def run_parallel(
    plan_: GradingPlan,
    submissions: Sequence[Submission],
    options: GradeOptions,
    on_result: Callable[[SubmissionResult], None],
) -> None:
    """Grade submissions on ``options.workers`` threads (each drives one sandbox process at a time)
    and hand every result to ``on_result`` on the calling thread, in completion order. When
    ``on_result`` raises, no further submission starts and the exception propagates."""
    slots: queue.SimpleQueue[int] = queue.SimpleQueue()
    for slot in range(max(1, options.workers)):
        slots.put(slot)

    def work(submission: Submission) -> SubmissionResult:
        slot = slots.get()
        try:
            return grade_submission(plan_, submission, options, slot)
        except Exception as exc:  # one broken submission never stops the run
            return failed_result(plan_, submission, exc)
        finally:
            slots.put(slot)

    with ThreadPoolExecutor(max_workers=max(1, options.workers), thread_name_prefix="dlgrade") as pool:
        futures: dict[Future[SubmissionResult], Submission] = {pool.submit(work, s): s for s in submissions}
        try:
            for future in as_completed(futures):
                on_result(future.result())
        except BaseException:
            # The caller cannot take results (its gradebook failed, or it was interrupted): start
            # nothing more; the jobs in flight finish within their limits.
            for future in futures:
                future.cancel()
            raise
