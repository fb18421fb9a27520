"""Assignment metadata: the ``assignment.toml`` beside each assignment's source notebook.

It names the assignment (title, week), lists the graded functions with their checks and points,
and sets the budgets the sandbox enforces when that assignment is graded::

    title = "Building a deep neural network, step by step"
    week = 5
    notebook = "deep_network.ipynb"
    total_points = 100
    time_budget_s = 60        # wall time of one submission: every cell and every hidden call
    cell_timeout_s = 30       # one cell (default: the time budget)
    call_timeout_s = 2        # one hidden call on small inputs (default 5)
    memory_budget_mb = 1024   # the student's process
    gpu = false               # grading benefits from a GPU
    datasets = []             # offline data sets the notebook loads
    max_processes = 64        # processes and threads of the student (optional)
    limit_address_space = true  # false for TensorFlow (optional)

    [[functions]]
    name = "initialize_parameters"
    check = "deep_network.initialize_parameters"
    grade_id = "initialize_parameters_hidden_tests"
    points = 5
    uses = []                 # graded functions it calls (optional)

The source notebook's nbgrader metadata stays authoritative for points; the test suite checks that
both agree. ``dlgrade init`` copies the file to ``<course>/metadata/<assignment>.toml`` (outside
``source/``, so that nbgrader never releases it to students).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grader.errors import FileError
from grader.sandbox_process import SandboxLimits

FILE_NAME = "assignment.toml"
DEFAULT_CALL_TIMEOUT_S = 5.0
_MB = 1024**2


class MetadataError(FileError):
    """An assignment.toml that cannot be read or has a missing or invalid field."""

    def __init__(self, path: Path | str, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(path, f"{field}: {message}" if field else message)


@dataclass(frozen=True)
class GradedFunction:
    """One graded function: the student's function, its hidden check, its grade cell and points."""

    name: str
    check: str
    grade_id: str
    points: float
    uses: tuple[str, ...] = ()
    """Other graded functions this one calls in the course's design: a mistake there costs here too."""


@dataclass(frozen=True)
class AssignmentMeta:
    """The parsed metadata of one assignment (see the module docstring for the fields)."""

    name: str
    title: str
    week: int
    notebook: str
    total_points: float
    time_budget_s: float
    cell_timeout_s: float
    call_timeout_s: float
    memory_budget_mb: int
    gpu: bool
    datasets: tuple[str, ...]
    functions: tuple[GradedFunction, ...]
    max_processes: int = 64
    """Processes and threads of the student's uid (TensorFlow starts dozens of threads)."""
    limit_address_space: bool = True
    """False for frameworks that reserve far more virtual memory than they use (TensorFlow): the
    job's resident memory is still capped by the sandbox's job-wide memory watch."""

    def limits(self, base: SandboxLimits | None = None) -> SandboxLimits:
        """The sandbox limits for grading this assignment: ``base`` (the defaults) with its budgets."""
        base = base or SandboxLimits()
        wall = float(self.time_budget_s)
        return replace(
            base,
            wall_seconds=wall,
            cell_seconds=min(float(self.cell_timeout_s), wall),
            call_seconds=min(float(self.call_timeout_s), wall),
            # CPU time across the job's processes: the wall budget on each of two cores.
            cpu_seconds=max(base.cpu_seconds, math.ceil(2 * wall)),
            memory_bytes=int(self.memory_budget_mb) * _MB,
            processes=max(base.processes, self.max_processes),
            limit_address_space=base.limit_address_space and self.limit_address_space,
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` listings."""
        return {
            "name": self.name,
            "title": self.title,
            "week": self.week,
            "notebook": self.notebook,
            "points": self.total_points,
            "time_budget_s": self.time_budget_s,
            "cell_timeout_s": self.cell_timeout_s,
            "call_timeout_s": self.call_timeout_s,
            "memory_budget_mb": self.memory_budget_mb,
            "gpu": self.gpu,
            "datasets": list(self.datasets),
            "functions": [
                {
                    "name": f.name,
                    "check": f.check,
                    "grade_id": f.grade_id,
                    "points": f.points,
                    "uses": list(f.uses),
                }
                for f in self.functions
            ],
        }


def _field(
    path: Path, table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str = ""
) -> Any:
    name = f"{where}{key}"
    if key not in table:
        raise MetadataError(path, "is missing", name)
    value = table[key]
    # bool is an int in Python: a number field must not accept `true`.
    if isinstance(value, bool) and kind is not bool:
        raise MetadataError(path, f"must be {_kind_name(kind)}, not a boolean", name)
    if not isinstance(value, kind):
        raise MetadataError(path, f"must be {_kind_name(kind)}, not {type(value).__name__}", name)
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if set(kinds) == {int, float}:
        return "a number"
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _positive(path: Path, table: Mapping[str, Any], key: str, default: float | None = None) -> float:
    if key not in table and default is not None:
        return default
    value = float(_field(path, table, key, (int, float)))
    if not (math.isfinite(value) and value > 0):
        raise MetadataError(path, f"must be a positive number, not {value!r}", key)
    return value


def load_meta(path: Path | str, name: str | None = None) -> AssignmentMeta:
    """Read and validate one assignment.toml; ``name`` defaults to the folder holding it.

    Raises MetadataError naming the file and the field.
    """
    path = Path(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MetadataError(path, f"cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise MetadataError(path, "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise MetadataError(path, f"is not valid TOML: {exc}") from None
    time_budget = _positive(path, table, "time_budget_s")
    functions = []
    entries = table.get("functions", [])
    if not isinstance(entries, list):
        raise MetadataError(path, "must be an array of tables ([[functions]])", "functions")
    for i, entry in enumerate(entries):
        where = f"functions[{i}]."
        if not isinstance(entry, dict):
            raise MetadataError(path, "must be a table", f"functions[{i}]")
        points = float(_field(path, entry, "points", (int, float), where))
        if not (math.isfinite(points) and points >= 0):
            raise MetadataError(path, f"must be a number >= 0, not {points!r}", f"{where}points")
        uses = entry.get("uses", [])
        if not isinstance(uses, list) or not all(isinstance(u, str) for u in uses):
            raise MetadataError(path, "must be a list of function names", f"{where}uses")
        functions.append(
            GradedFunction(
                name=_field(path, entry, "name", str, where),
                check=_field(path, entry, "check", str, where),
                grade_id=_field(path, entry, "grade_id", str, where),
                points=points,
                uses=tuple(uses),
            )
        )
    datasets = table.get("datasets", [])
    if not isinstance(datasets, list) or not all(isinstance(d, str) for d in datasets):
        raise MetadataError(path, "must be a list of strings", "datasets")
    week = _field(path, table, "week", int)
    if week < 1:
        raise MetadataError(path, f"must be 1 or more, not {week}", "week")
    memory = _field(path, table, "memory_budget_mb", int)
    if memory < 64:
        raise MetadataError(path, f"must be at least 64, not {memory}", "memory_budget_mb")
    total = float(_field(path, table, "total_points", (int, float)))
    listed = sum(f.points for f in functions)
    if functions and abs(listed - total) > 1e-9:
        raise MetadataError(
            path, f"is {total:g} but the functions' points add up to {listed:g}", "total_points"
        )
    processes = table.get("max_processes", 64)
    if isinstance(processes, bool) or not isinstance(processes, int) or not 8 <= processes <= 4096:
        raise MetadataError(path, "must be an integer from 8 to 4096", "max_processes")
    address_limit = table.get("limit_address_space", True)
    if not isinstance(address_limit, bool):
        raise MetadataError(path, "must be true or false", "limit_address_space")
    return AssignmentMeta(
        name=name or path.parent.name,
        title=_field(path, table, "title", str),
        week=week,
        notebook=_field(path, table, "notebook", str),
        total_points=total,
        time_budget_s=time_budget,
        cell_timeout_s=_positive(path, table, "cell_timeout_s", time_budget),
        call_timeout_s=_positive(path, table, "call_timeout_s", DEFAULT_CALL_TIMEOUT_S),
        memory_budget_mb=memory,
        gpu=_field(path, table, "gpu", bool),
        datasets=tuple(datasets),
        functions=tuple(functions),
        max_processes=processes,
        limit_address_space=address_limit,
    )


def list_metadata(assignments_dir: Path) -> list[AssignmentMeta]:
    """The metadata of every ``assignments_dir/<name>/assignment.toml``, sorted by week then name."""
    metas = [load_meta(p) for p in sorted(assignments_dir.glob(f"*/{FILE_NAME}"))]
    return sorted(metas, key=lambda m: (m.week, m.name))
