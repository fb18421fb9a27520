"""The order submissions are graded in: likely-slow notebooks first.

A grading run is as long as its slowest worker. Most notebooks take a fraction of a second, but a
notebook whose own code trains "until the cost is small" runs into its cell timeout, and if it is
picked last, every other worker idles while it waits that timeout out. Starting the likely-slow ones
first (longest-processing-time-first scheduling) lets the quick ones fill the other workers meanwhile.

Without running anything, what makes a notebook slow is code outside any function that loops: a
``while`` loop at the top level of a cell (the usual culprit) weighs most, a ``for`` loop less.
Notebooks that cannot be estimated (too big, unreadable, not JSON, invalid Python) count as quick:
the order is only a hint, and grading reports their problems.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from grader.cellcode import parse_cell
from grader.course import Submission

_MAX_ESTIMATED_BYTES = 4 * 1024**2
_WHILE_WEIGHT = 10.0
_FOR_WEIGHT = 1.0
_LOOP_LINE = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:while|for)\b", re.MULTILINE)


@functools.lru_cache(maxsize=4096)  # the cells students did not change are the same in every notebook
def _top_level_loops(code: str) -> float:
    """Weighted count of loops in ``code`` that are not inside a function or class body."""
    if not _LOOP_LINE.search(code):
        return 0.0  # most cells: no need to parse them
    tree = parse_cell(code)
    if tree is None:
        return 0.0
    weight = 0.0
    # Loops are statements: only statement bodies are searched, never expressions.
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(node, ast.While):
            weight += _WHILE_WEIGHT
        elif isinstance(node, ast.For | ast.AsyncFor):
            weight += _FOR_WEIGHT
        for field in ("body", "orelse", "finalbody"):
            todo.extend(getattr(node, field, ()))
        for handler in getattr(node, "handlers", ()):
            todo.extend(handler.body)
        for case in getattr(node, "cases", ()):
            todo.extend(case.body)
    return weight


def notebook_cost(path: Path) -> float:
    """A relative estimate of how long the code cells of one notebook run (0 when unknown)."""
    try:
        if path.is_symlink() or path.stat().st_size > _MAX_ESTIMATED_BYTES:
            return 0.0
        nb = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return 0.0
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        return 0.0
    total = 0.0
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str):
            total += _top_level_loops(source)
    return total


def submission_cost(submission: Submission) -> float:
    """The estimated cost of a submission: the sum over its notebooks."""
    return sum(notebook_cost(path) for path in submission.notebooks.values())


def slow_first(submissions: Iterable[Submission]) -> list[Submission]:
    """``submissions`` ordered by estimated cost, most expensive first; ties keep their order."""
    items: Sequence[Submission] = list(submissions)
    costs = [submission_cost(s) for s in items]
    order = sorted(range(len(items)), key=lambda i: -costs[i])
    return [items[i] for i in order]
