"""dlgrade vs nbgrader: the same simulated submissions graded by both, in one run.

Builds a course (``dlgrade init`` + ``release``), writes N simulated submissions of the deep network
assignment (benchmarks/submissions.py: correct, partly wrong, crashing, looping, stubs; the hostile
one is left out because nbgrader would run it unsandboxed), collects them, copies the course for
each tool and grades each copy with it:

- nbgrader: ``nbgrader autograde deep_network`` from .venv/bin (one process, one kernel per
  notebook, hidden tests executed in the student's kernel), with ``c.Execute.timeout = T``.
- dlgrade: ``dlgrade grade deep_network --workers W --cell-timeout T --seed S`` from .venv/bin,
  sandbox ON: the same per-cell timeout as nbgrader; each hidden call gets the assignment's own
  budget (assignment.toml ``call_timeout_s``; ``--call-timeout`` overrides it), everything else as
  assignment.toml sets it. Per-submission times are read from dlgrade's gradebook.

Both wall times are measured from outside the process (start to exit). Throughput is N / wall.

Per-submission overhead. The notebook's "own" execution time is measured here, in this process:
the same reconciled cells (what dlgrade sends to the sandbox) executed with ``exec`` in a fresh
namespace, then the same hidden calls (same seed, same inputs) on the student's functions, in an
interpreter that has numpy imported already. dlgrade's per-submission overhead is then given two
ways, both for the non-looping submissions (the looping ones spend their time in timeouts):
- latency: grade_submission's wall time (sandbox preparation, process start, imports, the cells,
  the calls, reading results, scoring) minus own time;
- amortized: wall * W / N (worker-seconds per submission, fixed costs included) minus own time.
A second dlgrade run, on a third copy of the course and not timed against nbgrader, calls the
library (grader.run.grade) in a fresh process and times its parts (monkeypatched wrappers around
plan, the sandbox's execute, the gradebook writer; grader/ is not changed): see the "where
dlgrade's time goes" table and the per-submission overhead split.

Scores: both gradebooks are read through nbgrader's API (dlgrade writes nbgrader's schema). nbgrader
scores a hidden test cell all or nothing (the check raises on the first wrong case), dlgrade gives
partial credit per case, so only correct (full marks) and stub (zero) submissions must agree; the
per-cell "full marks or not" agreement is reported for all.

    python benchmarks/grade_vs_nbgrader.py [--n 40] [--workers 2] [--timeout 10] [--json] [--keep DIR]
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from grader.metadata import load_meta  # noqa: E402
from grader.simulate import plan_submissions, write_submissions  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
ASSIGNMENT = "deep_network"
SOURCE = ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

# Run in a fresh interpreter: grade the course in argv[1] like `dlgrade grade` does, timing the
# parts through wrappers, and print one JSON object on stdout.
DLGRADE_CHILD = r"""
import json, sys, threading, time
t0 = time.perf_counter()
from pathlib import Path
import grader.engine as engine
import grader.run as run
from grader.course import Course
from grader.engine import GradeOptions
from grader.gradebook import GradebookWriter
t_import = time.perf_counter() - t0
cfg = json.loads(sys.argv[2])
local = threading.local()
per = {}
totals = {"plan": 0.0, "open_gradebook": 0.0, "sync_assignment": 0.0, "record": 0.0}

def timed(name, fn):
    def wrapper(*a, **k):
        s = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            totals[name] += time.perf_counter() - s
    return wrapper

run.plan = timed("plan", run.plan)
GradebookWriter.__init__ = timed("open_gradebook", GradebookWriter.__init__)
GradebookWriter.sync_assignment = timed("sync_assignment", GradebookWriter.sync_assignment)
GradebookWriter.record = timed("record", GradebookWriter.record)
grade_submission, execute = engine.grade_submission, engine.execute

def grade_wrapper(plan_, submission, options, slot=0):
    local.student = submission.student
    per[submission.student] = {"execute": 0.0, "cells": 0.0, "calls": 0.0, "sandbox_wall": 0.0}
    return grade_submission(plan_, submission, options, slot)

def execute_wrapper(*a, **k):
    s = time.perf_counter()
    result = execute(*a, **k)
    row = per[local.student]
    row["execute"] += time.perf_counter() - s
    row["sandbox_wall"] += result.wall_seconds
    row["cells"] += sum(c.seconds for c in result.cells)
    row["calls"] += sum(c.seconds for c in result.calls.values())
    row["exit"] = result.exit
    return result

engine.grade_submission, engine.execute = grade_wrapper, execute_wrapper
overrides = {"cell_seconds": cfg["cell_seconds"]}
if cfg["call_seconds"] is not None:
    overrides["call_seconds"] = cfg["call_seconds"]
options = GradeOptions(workers=cfg["workers"], sandboxed=True, seed=cfg["seed"], overrides=overrides)
t1 = time.perf_counter()
report = run.grade(Course(Path(sys.argv[1])), cfg["assignment"], options=options)
t_grade = time.perf_counter() - t1
for r in report.results:
    per[r.student].update(status=r.status, score=r.score, wall=r.wall_seconds)
print(json.dumps({"import": t_import, "grade": t_grade, "parts": totals, "per": per}))
"""


@dataclass
class ToolRun:
    """One tool's pass over the submissions."""

    tool: str
    wall: float
    per_submission: dict[str, float] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scores:
    """Total and per-cell scores of every student, read from a gradebook."""

    total: dict[str, float]
    cells: dict[str, dict[str, float]]
    max_cells: dict[str, float]


def env_with_venv() -> dict[str, str]:
    """The environment with .venv/bin first on PATH (nbgrader runs `alembic` and the kernel)."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("DLGRADE_COURSE", None)
    return env


def sh(args: list[str], cwd: Path, log: Path | None = None, timeout: float = 900) -> float:
    """Run a command, failing loudly; returns its wall time. Output goes to ``log`` if given."""
    start = time.perf_counter()
    with (log or Path(os.devnull)).open("w") as out:
        proc = subprocess.run(
            args, cwd=cwd, env=env_with_venv(), stdout=out, stderr=subprocess.STDOUT, timeout=timeout
        )
    if proc.returncode != 0:
        where = f" (log: {log})" if log else ""
        raise SystemExit(f"command failed with exit code {proc.returncode}: {' '.join(args)}{where}")
    return time.perf_counter() - start


def setup(work: Path, n: int, seed: int, looping: bool) -> tuple[Path, Path, dict[str, str]]:
    """A released, collected course copied twice: (nbgrader's copy, dlgrade's copy, student -> kind)."""
    base = work / "course"
    dlgrade = str(VENV_BIN / "dlgrade")
    sh([dlgrade, "init", str(base), "--course-id", "bench"], work)
    sh([dlgrade, "release", ASSIGNMENT, "--course", str(base)], work)
    planned = plan_submissions(n, seed, hostile=False, looping=looping)
    kinds = write_submissions(SOURCE, work / "inbox", planned)
    sh([dlgrade, "collect", ASSIGNMENT, "--course", str(base), "--from", str(work / "inbox")], work)
    nb_course, dl_course = work / "nbgrader-course", work / "dlgrade-course"
    for copy_ in (nb_course, dl_course, work / "dlgrade-parts-course"):
        shutil.copytree(base, copy_, symlinks=True)
    return nb_course, dl_course, kinds


def run_nbgrader(course: Path, timeout: float, work: Path) -> ToolRun:
    """`nbgrader autograde` over every submission; per-submission times from its log."""
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(
            "\n# grade_vs_nbgrader.py\n"
            f"c.Execute.timeout = {int(timeout)}\n"
            'c.Application.log_format = "%(created).3f [%(name)s | %(levelname)s] %(message)s"\n'
        )
    log = work / "nbgrader-autograde.log"
    start = time.time()
    wall = sh([str(VENV_BIN / "nbgrader"), "autograde", ASSIGNMENT], course, log)
    end = start + wall
    starts: list[tuple[float, str]] = []
    marker = "Creating/updating student with ID '"
    for line in log.read_text(errors="replace").splitlines():
        if marker in line:
            stamp = line.split(" ", 1)[0]
            student = line.split(marker, 1)[1].split("'", 1)[0]
            try:
                starts.append((float(stamp), student))
            except ValueError:
                continue
    per: dict[str, float] = {}
    for (t, student), following in zip(starts, [*starts[1:], (end, "")], strict=True):
        per[student] = following[0] - t
    first = starts[0][0] - start if starts else 0.0
    return ToolRun("nbgrader", wall, per, {"startup": first, "log": str(log)})


def run_dlgrade(course: Path, workers: int, seed: int, cell_s: float, call_s: float | None) -> ToolRun:
    """``dlgrade grade`` (the CLI) in a fresh process, timed from outside; sandbox on."""
    from grader.gradebook_reader import load_results

    command = [str(VENV_BIN / "dlgrade"), "grade", ASSIGNMENT, "--course", str(course)]
    command += ["--workers", str(workers), "--seed", str(seed), "--cell-timeout", str(cell_s), "--json"]
    if call_s is not None:
        command += ["--call-timeout", str(call_s)]
    start = time.perf_counter()
    proc = subprocess.run(
        command, cwd=course, env=env_with_venv(), capture_output=True, text=True, timeout=1800
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"dlgrade failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    results = load_results(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT)
    return ToolRun("dlgrade", wall, {r.student: r.wall_seconds for r in results})


def dlgrade_parts(
    course: Path, workers: int, seed: int, cell_s: float, call_s: float | None
) -> dict[str, Any]:
    """grader.run.grade in a fresh process, timing its parts (DLGRADE_CHILD); its wall is "wall"."""
    cfg = {
        "assignment": ASSIGNMENT,
        "workers": workers,
        "seed": seed,
        "cell_seconds": cell_s,
        "call_seconds": call_s,
    }
    start = time.perf_counter()
    proc = subprocess.run(
        [str(PYTHON), "-c", DLGRADE_CHILD, str(course), json.dumps(cfg)],
        cwd=course,
        env=env_with_venv(),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"dlgrade (timing its parts) failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    data["wall"] = wall
    return data


def read_scores(course: Path) -> Scores:
    """Every student's total and per-cell auto scores, through nbgrader's gradebook API."""
    os.environ["PATH"] = env_with_venv()["PATH"]
    from nbgrader.api import Gradebook

    total: dict[str, float] = {}
    cells: dict[str, dict[str, float]] = {}
    max_cells: dict[str, float] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(ASSIGNMENT):
            student = submission.student.id
            total[student] = float(submission.score)
            row = cells.setdefault(student, {})
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.cell.cell_type == "code":
                        row[grade.cell.name] = float(grade.score)
                        max_cells[grade.cell.name] = float(grade.max_score)
    return Scores(total, cells, max_cells)


class _AlarmError(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise _AlarmError in this (main) thread after ``seconds``."""

    def ring(signum: int, frame: object) -> None:
        raise _AlarmError

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def own_times(course: Path, students: list[str], seed: int, limit: float) -> dict[str, float]:
    """Each submission's own execution time: its reconciled cells and the hidden calls of the run's
    plan, executed in this process (numpy already imported), no sandbox, no IPython."""
    from grader.course import Course
    from grader.engine import plan
    from grader.notebook import read_notebook, reconcile

    course_ = Course(course)
    plan_ = plan(course_, ASSIGNMENT, seed)
    (name, source), *_ = plan_.sources.items()
    subs = {s.student: s for s in course_.submissions(ASSIGNMENT)}
    cases = [case for cell in plan_.cells_of(name) for case in cell.cases]
    result: dict[str, float] = {}
    for student in students:
        path = subs[student].notebooks[name]
        cells = reconcile(source, read_notebook(path), path).cells
        namespace: dict[str, Any] = {"__name__": "__main__"}
        elapsed = 0.0
        sink = io.StringIO()
        with redirect_stdout(sink), redirect_stderr(sink):
            for cell in cells:
                code = compile(cell.source, f"<cell {cell.index}>", "exec")
                start = time.perf_counter()
                try:
                    with time_limit(limit):
                        exec(code, namespace)
                except BaseException:  # a failing cell does not stop the notebook
                    pass
                elapsed += time.perf_counter() - start
            for case in cases:
                function: Callable[..., object] | None = namespace.get(case.function)
                if function is None:
                    continue
                args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
                start = time.perf_counter()
                try:
                    with time_limit(limit):
                        function(*args, **kwargs)
                except BaseException:
                    pass
                elapsed += time.perf_counter() - start
        result[student] = elapsed
    return result


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median wall seconds of fn() over ``repeats`` calls (after one warm-up)."""
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def profile(course: Path, seed: int, repeats: int = 5) -> dict[str, float]:
    """Micro-measurements of dlgrade's fixed and per-submission costs (seconds, medians)."""
    from grader.course import Course
    from grader.engine import GradeOptions, grade_submission, plan
    from grader.notebook import load_source
    from grader.sandbox import CodeCell, execute

    def python(code: str) -> Callable[[], object]:
        return lambda: subprocess.run([str(PYTHON), "-c", code], check=True, env=env_with_venv())

    course_ = Course(course)
    source = load_source(course_.source_notebooks(ASSIGNMENT)[0])
    setup_cell = next(c for c in source.nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    numpy_cell = [CodeCell(0, "setup", setup_cell.source)]
    plan_ = plan(course_, ASSIGNMENT, seed)
    correct = next(s for s in course_.submissions(ASSIGNMENT) if s.student.endswith("-correct"))
    options = GradeOptions(workers=1, sandboxed=True, seed=seed)
    unsafe = GradeOptions(workers=1, sandboxed=False, seed=seed)
    return {
        "python -c pass": median_time(python("pass"), repeats),
        "python -c 'import numpy'": median_time(python("import numpy"), repeats),
        "python -c 'import IPython'": median_time(python("import IPython"), repeats),
        "python -c 'import grader.run' (what `dlgrade grade` imports)": median_time(
            python("import grader.run"), 3
        ),
        "  the same without rfc3987_syntax (jsonschema's lark grammars)": median_time(
            python("import sys; sys.modules['rfc3987_syntax'] = None; import grader.run"), 3
        ),
        "  python -c 'import nbgrader.api' without rfc3987_syntax": median_time(
            python("import sys; sys.modules['rfc3987_syntax'] = None; import nbgrader.api"), 3
        ),
        "plan(): draw cases + reference outputs": median_time(lambda: plan(course_, ASSIGNMENT, seed), 3),
        "sandbox: empty job (bwrap + runner start)": median_time(lambda: execute([], []), repeats),
        "no sandbox: empty job (runner start)": median_time(
            lambda: execute([], [], sandboxed=False), repeats
        ),
        "sandbox: setup cell (import numpy)": median_time(lambda: execute(numpy_cell, []), repeats),
        "no sandbox: setup cell (import numpy)": median_time(
            lambda: execute(numpy_cell, [], sandboxed=False), repeats
        ),
        "grade_submission, correct, sandbox": median_time(
            lambda: grade_submission(plan_, correct, options), repeats
        ),
        "grade_submission, correct, no sandbox": median_time(
            lambda: grade_submission(plan_, correct, unsafe), repeats
        ),
    }


def summarize(
    kinds: dict[str, str],
    nb: ToolRun,
    dl: ToolRun,
    nb_scores: Scores,
    dl_scores: Scores,
    own: dict[str, float],
    n: int,
    workers: int,
) -> dict[str, Any]:
    """Every figure the report prints."""
    students = sorted(kinds)
    non_looping = [s for s in students if kinds[s] != "looping"]
    by_kind: dict[str, dict[str, Any]] = {}
    for kind in sorted(set(kinds.values())):
        group = [s for s in students if kinds[s] == kind]
        by_kind[kind] = {
            "count": len(group),
            "nbgrader_mean_score": statistics.fmean(nb_scores.total.get(s, float("nan")) for s in group),
            "dlgrade_mean_score": statistics.fmean(dl_scores.total.get(s, float("nan")) for s in group),
            "nbgrader_mean_s": statistics.fmean(nb.per_submission.get(s, float("nan")) for s in group),
            "dlgrade_mean_s": statistics.fmean(dl.per_submission.get(s, float("nan")) for s in group),
            "own_mean_s": statistics.fmean(own[s] for s in group) if all(s in own for s in group) else None,
        }
    agree_total = sum(abs(nb_scores.total.get(s, -1) - dl_scores.total.get(s, -2)) < 1e-6 for s in students)
    cell_pairs = [
        (nb_scores.cells.get(s, {}).get(c), dl_scores.cells.get(s, {}).get(c), m)
        for s in students
        for c, m in nb_scores.max_cells.items()
    ]
    full_agree = sum((a is not None and b is not None) and ((a >= m) == (b >= m)) for a, b, m in cell_pairs)
    nb_only = sum((a or 0) >= m > (b or 0) for a, b, m in cell_pairs)
    dl_only = sum((b or 0) >= m > (a or 0) for a, b, m in cell_pairs)

    def anchored(kind: str, target: float) -> dict[str, int]:
        group = [s for s in students if kinds[s] == kind]
        return {
            "count": len(group),
            "nbgrader_at_target": sum(abs(nb_scores.total.get(s, -1) - target) < 1e-6 for s in group),
            "dlgrade_at_target": sum(abs(dl_scores.total.get(s, -1) - target) < 1e-6 for s in group),
        }

    latency = [dl.per_submission[s] - own[s] for s in non_looping if s in dl.per_submission]
    amortized = dl.wall * workers / n - statistics.fmean(own[s] for s in non_looping)
    parts = dl.detail.get("per", {})
    sandbox_overhead = [
        parts[s]["sandbox_wall"] - parts[s]["cells"] - parts[s]["calls"] for s in non_looping if s in parts
    ]
    outside_sandbox = [parts[s]["wall"] - parts[s]["execute"] for s in non_looping if s in parts]
    return {
        "n": n,
        "workers": workers,
        "nbgrader_wall_s": nb.wall,
        "dlgrade_wall_s": dl.wall,
        "nbgrader_throughput": n / nb.wall,
        "dlgrade_throughput": n / dl.wall,
        "ratio": nb.wall / dl.wall,
        # No run of these submissions can be shorter than its slowest one alone.
        "slowest_dlgrade_s": max(dl.per_submission.values(), default=0.0),
        "ratio_ceiling": nb.wall / max(max(dl.per_submission.values(), default=0.0), 1e-9),
        # A long run of the same mix: no single notebook bounds it, start-up costs vanish. nbgrader
        # grades one notebook after another; dlgrade's workers share the per-submission times
        # (each measured while the other worker ran, so sharing the cores is in them).
        "steady_state_ratio": sum(nb.per_submission.values())
        / max(sum(dl.per_submission.values()) / workers, 1e-9),
        "nbgrader_startup_s": nb.detail.get("startup"),
        "dlgrade_fixed": {
            "imports_s": dl.detail.get("import"),
            "interpreter_and_rest_s": dl.detail.get("wall", 0.0)
            - dl.detail.get("grade", 0.0)
            - dl.detail.get("import", 0.0),
            **{f"{k}_s": v for k, v in dl.detail.get("parts", {}).items()},
        },
        "non_looping": {
            "count": len(non_looping),
            "nbgrader_sum_s": sum(nb.per_submission.get(s, 0.0) for s in non_looping),
            "dlgrade_latency_mean_s": statistics.fmean(dl.per_submission[s] for s in non_looping),
            "own_mean_s": statistics.fmean(own[s] for s in non_looping),
            "dlgrade_overhead_latency_mean_s": statistics.fmean(latency),
            "dlgrade_overhead_latency_median_s": statistics.median(latency),
            "dlgrade_overhead_amortized_s": amortized,
            "sandbox_outside_cells_and_calls_mean_s": statistics.fmean(sandbox_overhead),
            "engine_outside_sandbox_mean_s": statistics.fmean(outside_sandbox),
        },
        "looping": {
            s: {"nbgrader_s": nb.per_submission.get(s), "dlgrade_s": dl.per_submission.get(s)}
            for s in students
            if kinds[s] == "looping"
        },
        "by_kind": by_kind,
        "agreement": {
            "same_total": agree_total,
            "cells_full_marks_agree": full_agree,
            "cells_compared": len(cell_pairs),
            "cells_full_only_nbgrader": nb_only,
            "cells_full_only_dlgrade": dl_only,
            "correct_at_100": anchored("correct", 100.0),
            "stub_at_0": anchored("stub", 0.0),
        },
        "students": {
            s: {
                "kind": kinds[s],
                "nbgrader_score": nb_scores.total.get(s),
                "dlgrade_score": dl_scores.total.get(s),
                "nbgrader_s": nb.per_submission.get(s),
                "dlgrade_s": dl.per_submission.get(s),
                "own_s": own.get(s),
            }
            for s in students
        },
    }


def any_tool_bound(kinds: dict[str, str], nb: ToolRun, dl: ToolRun, timeout: float) -> dict[str, Any] | None:
    """The ratio no grader can beat on this mix: a looping submission that ran into the cell timeout
    in both tools costs at least that timeout in any grader that gives each cell as long."""
    timed_out = [
        s
        for s in sorted(kinds)
        if kinds[s] == "looping"
        and nb.per_submission.get(s, 0.0) >= timeout
        and dl.per_submission.get(s, 0.0) >= timeout
    ]
    if not timed_out:
        return None
    return {"submissions": timed_out, "ratio": nb.wall / timeout, "nbgrader_wall_for_10x_s": 10 * timeout}


def print_report(r: dict[str, Any], args: argparse.Namespace, prof: dict[str, float] | None) -> None:
    print(
        f"\n== grade_vs_nbgrader: {r['n']} submissions, dlgrade --workers {r['workers']} (sandbox on), "
        f"per-cell timeout {args.timeout:g} s for both tools, dlgrade per-call timeout "
        f"{args.call_timeout:g} s{'' if args.call_override else ' (assignment.toml)'}, {os.cpu_count()} cores"
    )
    print(f"{'':28}{'wall s':>9}{'subm/s':>9}")
    print(f"{'nbgrader autograde':28}{r['nbgrader_wall_s']:9.1f}{r['nbgrader_throughput']:9.3f}")
    print(f"{'dlgrade grade':28}{r['dlgrade_wall_s']:9.1f}{r['dlgrade_throughput']:9.3f}")
    goal = "met" if r["ratio"] >= 10 else "NOT met"
    print(f"throughput ratio dlgrade/nbgrader: {r['ratio']:.2f}x (goal 10x: {goal})")
    print(
        f"  the slowest submission alone took {r['slowest_dlgrade_s']:.1f} s in dlgrade: no run of these"
        f" can be shorter, so the ratio cannot exceed {r['ratio_ceiling']:.1f}x"
    )
    bound = r.get("any_tool_bound")
    if bound:
        t = f"{args.timeout:g} s"
        print(
            f"  {', '.join(bound['submissions'])} ran into the {t} cell timeout in both tools: any grader"
            f" giving each cell {t} needs at least that, so none can exceed {bound['ratio']:.1f}x"
            f" on this mix (10x needs nbgrader to take {bound['nbgrader_wall_for_10x_s']:.0f} s or more)"
        )
    print(
        f"  steady state (the same mix over many more submissions, no single notebook bounding the run,"
        f" start-up amortized): {r['steady_state_ratio']:.2f}x; not the goal's measure"
    )

    print("\nper kind, mean seconds per submission (nbgrader: from its log; dlgrade: grade_submission):")
    header = ("kind", "n", "nbgrader s", "dlgrade s", "own s", "nbgrader score", "dlgrade score")
    print("{:14}{:>3}{:>12}{:>11}{:>8}{:>16}{:>15}".format(*header))
    for kind, row in r["by_kind"].items():
        own = "-" if row["own_mean_s"] is None else f"{row['own_mean_s']:.3f}"
        print(
            f"{kind:14}{row['count']:3d}{row['nbgrader_mean_s']:12.2f}{row['dlgrade_mean_s']:11.2f}{own:>8}"
            f"{row['nbgrader_mean_score']:16.1f}{row['dlgrade_mean_score']:15.1f}"
        )
    for student, row in r["looping"].items():
        print(f"  {student}: nbgrader {row['nbgrader_s']:.1f} s, dlgrade {row['dlgrade_s']:.1f} s")

    nl = r["non_looping"]
    ms = {k: v * 1000 for k, v in nl.items() if isinstance(v, float)}
    print(
        f"\ndlgrade's per-submission overhead beyond the notebook's own execution "
        f"({nl['count']} non-looping):"
    )
    print(f"  own execution (cells + hidden calls in-process, numpy warm): {ms['own_mean_s']:.0f} ms mean")
    print(
        "  latency overhead (grade_submission wall - own): "
        f"{ms['dlgrade_overhead_latency_mean_s']:.0f} ms mean, "
        f"{ms['dlgrade_overhead_latency_median_s']:.0f} ms median"
    )
    print(
        "    in the sandbox run, outside cells and calls: "
        f"{ms['sandbox_outside_cells_and_calls_mean_s']:.0f} ms"
    )
    print(f"    in the engine, outside execute(): {ms['engine_outside_sandbox_mean_s']:.0f} ms")
    print(f"  amortized overhead (wall x workers / n - own): {ms['dlgrade_overhead_amortized_s']:.0f} ms")
    print(
        f"  for scale: nbgrader spent {nl['nbgrader_sum_s']:.1f} s on these {nl['count']} "
        f"({nl['nbgrader_sum_s'] / nl['count']:.2f} s each) after its {r['nbgrader_startup_s']:.1f} s startup"
    )
    print("\nwhere dlgrade's time goes, fixed costs of the run (seconds; record is the sum over all):")
    for key, value in r["dlgrade_fixed"].items():
        print(f"  {key:28}{value:8.2f}")
    if prof:
        print("\nprofile (median seconds):")
        for key, value in prof.items():
            print(f"  {key:62}{value:8.3f}")

    a = r["agreement"]
    correct, stub = a["correct_at_100"], a["stub_at_0"]
    print("\nscores, nbgrader vs dlgrade:")
    print(
        f"  correct at 100: nbgrader {correct['nbgrader_at_target']}/{correct['count']}, "
        f"dlgrade {correct['dlgrade_at_target']}/{correct['count']}"
    )
    print(
        f"  stub at 0: nbgrader {stub['nbgrader_at_target']}/{stub['count']}, "
        f"dlgrade {stub['dlgrade_at_target']}/{stub['count']}"
    )
    print(f"  same total: {a['same_total']}/{r['n']} submissions")
    print(
        f"  graded cells where both agree on full marks or not: {a['cells_full_marks_agree']}/"
        f"{a['cells_compared']} (full only in nbgrader: {a['cells_full_only_nbgrader']}, "
        f"only in dlgrade: {a['cells_full_only_dlgrade']})"
    )
    header = ("student", "kind", "nbgrader", "dlgrade", "nb s", "dl s", "own s")
    print("\n{:34}{:14}{:>9}{:>9}{:>7}{:>7}{:>7}".format(*header))
    for student, row in r["students"].items():
        own = "-" if row["own_s"] is None else f"{row['own_s']:.3f}"
        print(
            f"{student:34}{row['kind']:14}{row['nbgrader_score'] or 0:9.2f}{row['dlgrade_score'] or 0:9.2f}"
            f"{row['nbgrader_s'] or 0:7.2f}{row['dlgrade_s'] or 0:7.2f}{own:>7}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=40, help="number of submissions (default 40)")
    parser.add_argument("--workers", type=int, default=2, help="dlgrade workers (default 2)")
    parser.add_argument("--seed", type=int, default=7, help="submissions' mix and hidden cases")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-cell timeout, both tools (s)")
    parser.add_argument(
        "--call-timeout",
        type=float,
        default=None,
        help="dlgrade per hidden call (default: the assignment's call_timeout_s)",
    )
    parser.add_argument("--no-looping", action="store_true", help="leave the looping submissions out")
    parser.add_argument("--no-profile", action="store_true", help="skip the micro-measurements")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", type=Path, default=None, help="work in DIR and keep it")
    args = parser.parse_args(argv)
    args.call_override = args.call_timeout
    if args.call_timeout is None:
        args.call_timeout = load_meta(ROOT / "assignments" / ASSIGNMENT / "assignment.toml").call_timeout_s
    if args.keep:
        if args.keep.exists() and any(args.keep.iterdir()):
            parser.error(f"--keep {args.keep}: the directory is not empty")
        args.keep.mkdir(parents=True, exist_ok=True)
        work = args.keep.resolve()
    else:
        work = Path(tempfile.mkdtemp(prefix="grade-vs-nbgrader-"))
    try:
        say = (lambda m: print(m, file=sys.stderr)) if args.json else print
        say(f"setting up {args.n} submissions in {work} ...")
        nb_course, dl_course, kinds = setup(work, args.n, args.seed, not args.no_looping)
        say("grading with dlgrade ...")
        dl = run_dlgrade(dl_course, args.workers, args.seed, args.timeout, args.call_override)
        say(f"  {dl.wall:.1f} s; grading with nbgrader autograde ...")
        nb = run_nbgrader(nb_course, args.timeout, work)
        say(f"  {nb.wall:.1f} s; timing dlgrade's parts in a second run ...")
        dl.detail = dlgrade_parts(
            work / "dlgrade-parts-course", args.workers, args.seed, args.timeout, args.call_override
        )
        say("measuring own execution times ...")
        non_looping = [s for s in sorted(kinds) if kinds[s] != "looping"]
        own = own_times(dl_course, non_looping, args.seed, args.timeout)
        prof = None
        if not args.no_profile:
            say("profiling dlgrade's parts ...")
            prof = profile(dl_course, args.seed)
        report = summarize(
            kinds, nb, dl, read_scores(nb_course), read_scores(dl_course), own, args.n, args.workers
        )
        report["any_tool_bound"] = any_tool_bound(kinds, nb, dl, args.timeout)
        report["settings"] = {
            "timeout_s": args.timeout,
            "call_timeout_s": args.call_timeout,
            "seed": args.seed,
            "work": str(work),
        }
        report["profile"] = prof
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print_report(report, args, prof)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
