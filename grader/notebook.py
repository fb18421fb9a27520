"""Notebooks: reading them defensively, the trusted source notebook, and what of a submission runs.

A submitted notebook is untrusted input. `read_notebook` accepts only a regular UTF-8 file that holds
an nbformat-4 notebook within a size limit, and returns a clean copy: every cell's outputs and
attachments are dropped (grading never needs them, and they are where notebooks get huge), sources are
joined into strings, and anything malformed raises a `NotebookError` that names the file and says what
is wrong. Messages number cells from 1, as a reader counts them.

`load_source` reads the instructor's source notebook (solutions and hidden tests included) into a
`SourceNotebook`: its nbgrader cells, the test cells the engine evaluates, and the `NotebookSpec` the
gradebook stores, with nbgrader's own checksums.

`reconcile` decides which code of a submission runs in the sandbox, following the source notebook
wherever the two disagree:

- cells run in the order of the submission;
- a cell whose grade id names a read-only (locked) source cell runs the source's code, whatever the
  student made of it; one deleted by the student is put back after the nearest preceding source cell
  that is present (at the top when there is none);
- test cells (graded, not a solution) never run: hidden tests are evaluated outside the sandbox;
- read-only public-test cells (grade id ``*_public_tests`` or tag ``public-tests``) do not run either:
  they are there for students, and the hidden cases judge the same functions;
- solution cells run the student's code; cells without nbgrader metadata (added by the student) run too;
- when a grade id appears more than once, the first copy counts and the others run as ordinary code
  (copies of test cells are dropped), with a warning;
- points, grade ids and cell kinds written in the submission's metadata are ignored: the source decides.
"""

from __future__ import annotations

import copy
import errno
import json
import logging
import os
import re
import stat
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import nbformat
from nbformat import NotebookNode

from grader.errors import FileError
from grader.records import GradeCellSpec, NotebookSpec, SourceCellSpec

if TYPE_CHECKING:
    from grader.sandbox import CodeCell

MAX_NOTEBOOK_BYTES = 256 * 1024**2
"""Largest notebook file accepted. Saved outputs (plots, long prints) make notebooks big and are thrown
away after parsing, so the bound is generous; MAX_SOURCE_CHARS bounds the code that is kept."""

MAX_CELLS = 5000
MAX_SOURCE_CHARS = 8 * 1024**2
"""Largest total of cell sources (outputs excluded) of one notebook."""

MAX_WARNINGS = 40

_CELL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CELL_TYPES = ("code", "markdown", "raw")

# nbformat ships type hints but leaves these two untyped; give them the types they have.
_from_dict: Callable[[Any], NotebookNode] = nbformat.from_dict

# nbgrader's classes log through traitlets; keep their messages out of dlgrade's output.
_NBGRADER_LOG = logging.getLogger("grader.notebook.nbgrader")
_NBGRADER_LOG.addHandler(logging.NullHandler())
_NBGRADER_LOG.propagate = False


class NotebookError(FileError):
    """A notebook file that cannot be used: the message names the file and what is wrong with it."""


class SourceNotebookError(NotebookError):
    """The instructor's source notebook is inconsistent (nbgrader metadata, grade ids, solution regions)."""


class WrongAssignmentError(NotebookError):
    """A submitted notebook shares no nbgrader cell with the source notebook it was submitted for."""

    def __init__(self, path: Path | str, assignment: str, notebook: str, message: str) -> None:
        self.assignment = assignment
        self.notebook = notebook
        super().__init__(path, message)


# ---------------------------------------------------------------------------------------------
# Reading


def read_notebook(path: Path | str, *, max_bytes: int = MAX_NOTEBOOK_BYTES) -> NotebookNode:
    """Read the nbformat-4 notebook at ``path`` without its outputs.

    Raises NotebookError naming the file when it is missing, a symbolic link or not a regular file,
    larger than ``max_bytes``, not UTF-8, not JSON, not a notebook, in another nbformat version, or
    when its cells are malformed.
    """
    path = Path(path)
    data = _read_bytes(path, max_bytes)
    text = _decode(path, data)
    if not text.strip():
        raise NotebookError(path, "is empty, not a notebook")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            path, f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise NotebookError(path, "is not a notebook: its JSON is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer literal with more digits than Python converts
        raise NotebookError(path, f"is not valid JSON: {exc}") from None
    return _normalise(path, raw)


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    # O_NOFOLLOW: a submission that is a symlink must not make the grader read another file;
    # O_NONBLOCK: opening a FIFO must not hang the grader.
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise NotebookError(path, "does not exist") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotebookError(path, "is a symbolic link; a notebook must be a regular file") from None
        raise NotebookError(path, f"cannot be read: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise NotebookError(path, "is a directory, not a notebook")
        if not stat.S_ISREG(info.st_mode):
            raise NotebookError(path, "is not a regular file")
        if info.st_size > max_bytes:
            raise NotebookError(path, _too_large(info.st_size, max_bytes))
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1024**2, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:  # it grew while we read it
            raise NotebookError(path, _too_large(size, max_bytes))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_large(size: int, limit: int) -> str:
    return (
        f"is {size / 1024**2:.1f} MB, more than the {limit / 1024**2:.0f} MB a notebook may have "
        "(clearing its outputs in Jupyter makes it small)"
    )


def _decode(path: Path, data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise NotebookError(path, "is UTF-16 text; notebooks are UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):  # a byte-order mark some editors add: harmless
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise NotebookError(
            path,
            f"is not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line} (offset {exc.start}) "
            "is not valid UTF-8",
        ) from None


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    if type(value) in names:
        return names[type(value)]
    return "a number" if isinstance(value, int | float) else type(value).__name__


def _normalise(path: Path, raw: object) -> NotebookNode:
    if not isinstance(raw, dict):
        raise NotebookError(path, f"is not a notebook: its JSON is {_kind(raw)}, not an object")
    if "nbformat" not in raw:
        if "worksheets" in raw:
            raise NotebookError(path, "is an old (nbformat 3) notebook; save it in Jupyter to convert it")
        raise NotebookError(path, "is not a Jupyter notebook: it has no 'nbformat' field")
    major = raw["nbformat"]
    if isinstance(major, bool) or not isinstance(major, int):
        raise NotebookError(path, f"is not a Jupyter notebook: its 'nbformat' field is {_kind(major)}")
    if major < 4:
        raise NotebookError(
            path,
            f"is in the old notebook format {major} (IPython 2 era); open it in Jupyter and save it "
            "to convert it to format 4",
        )
    if major > 4:
        raise NotebookError(path, f"is in notebook format {major}; dlgrade reads format 4")
    if "cells" not in raw:
        raise NotebookError(path, "is not a valid notebook: it has no 'cells' list")
    cells = raw["cells"]
    if not isinstance(cells, list):
        raise NotebookError(path, f"is not a valid notebook: 'cells' is {_kind(cells)}, not a list")
    if len(cells) > MAX_CELLS:
        raise NotebookError(path, f"has {len(cells)} cells, more than the {MAX_CELLS} allowed")
    minor = raw.get("nbformat_minor")
    metadata = raw.get("metadata")
    clean = [_normalise_cell(path, i, cell) for i, cell in enumerate(cells)]
    total = sum(len(str(c["source"])) for c in clean)
    if total > MAX_SOURCE_CHARS:
        raise NotebookError(path, f"has {total} characters of cell source, more than {MAX_SOURCE_CHARS}")
    return _from_dict(
        {
            "nbformat": 4,
            "nbformat_minor": minor if isinstance(minor, int) and not isinstance(minor, bool) else 5,
            "metadata": metadata if isinstance(metadata, dict) else {},
            "cells": clean,
        }
    )


def _normalise_cell(path: Path, index: int, cell: object) -> dict[str, object]:
    where = f"cell #{index + 1}"
    if not isinstance(cell, dict):
        raise NotebookError(path, f"is not a valid notebook: {where} is {_kind(cell)}, not an object")
    cell_type = cell.get("cell_type")
    if cell_type not in _CELL_TYPES:
        shown = repr(cell_type)[:40] if isinstance(cell_type, str) else _kind(cell_type)
        raise NotebookError(
            path, f"is not a valid notebook: {where} has cell_type {shown}; expected code, markdown or raw"
        )
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        source = "".join(source)
    if not isinstance(source, str):
        raise NotebookError(
            path, f"is not a valid notebook: the source of {where} is neither text nor a list of lines"
        )
    metadata = cell.get("metadata", {})
    if not isinstance(metadata, dict):
        raise NotebookError(path, f"is not a valid notebook: the metadata of {where} is not an object")
    clean: dict[str, object] = {"cell_type": cell_type, "metadata": metadata, "source": source}
    cell_id = cell.get("id")
    if isinstance(cell_id, str) and _CELL_ID.fullmatch(cell_id):
        clean["id"] = cell_id
    if cell_type == "code":
        clean["outputs"] = []
        clean["execution_count"] = None
    return clean


# ---------------------------------------------------------------------------------------------
# The source notebook


class TestCell(NamedTuple):
    """A test cell of the source notebook (graded, not a solution), hidden tests included."""

    grade_id: str
    points: float
    source: str


@dataclass(frozen=True)
class SourceCell:
    """An nbgrader cell of the source notebook, as students receive it.

    ``source`` is the released text (solution regions replaced by nbgrader's stub); ``locked`` follows
    nbgrader: solution cells are never locked, other graded cells always are.
    """

    index: int
    grade_id: str
    cell_type: Literal["code", "markdown"]
    source: str
    grade: bool
    solution: bool
    locked: bool
    points: float = 0.0
    public_test: bool = False
    """A read-only cell of public tests (see `is_public_test_cell`): students run it, grading does not."""

    @property
    def is_test(self) -> bool:
        """A graded code cell that is not a solution: it holds the (public and hidden) tests."""
        return self.grade and not self.solution and self.cell_type == "code"

    @property
    def is_given(self) -> bool:
        """Read-only content that the submission cannot change (locked, not a test)."""
        return self.locked and not self.solution and not self.grade


@dataclass(frozen=True)
class SourceNotebook:
    """The instructor's notebook of an assignment: cells, test cells and the gradebook's spec."""

    path: Path
    name: str
    nb: NotebookNode
    spec: NotebookSpec
    test_cells: list[TestCell]
    cells: tuple[SourceCell, ...] = ()
    assignment: str = ""

    def cell(self, grade_id: str) -> SourceCell | None:
        """The nbgrader cell with this grade id, if any."""
        for cell in self.cells:
            if cell.grade_id == grade_id:
                return cell
        return None


def load_source(path: Path | str, *, assignment: str | None = None) -> SourceNotebook:
    """Read and check the source notebook at ``path`` (its assignment is its folder's name by default).

    Raises NotebookError when the file is unreadable and SourceNotebookError when its nbgrader metadata
    is invalid, a grade id is used twice, or a solution region is malformed.
    """
    from nbgrader.nbgraderformat import MetadataValidator
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
    from nbgrader.utils import compute_checksum, is_grade, is_locked, is_solution

    path = Path(path)
    nb = read_notebook(path)
    validator = MetadataValidator()
    validator.log = _NBGRADER_LOG
    try:
        validator.upgrade_notebook_metadata(nb)
        validator.validate_nb(nb)
    except Exception as exc:  # nbgrader's and jsonschema's errors share no base class
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceNotebookError(path, f"has invalid nbgrader metadata: {first}") from None

    released = copy.deepcopy(nb)
    try:
        released, _ = ClearSolutions(log=_NBGRADER_LOG).preprocess(released, {})
    except RuntimeError as exc:
        raise SourceNotebookError(path, f"has a malformed solution region: {exc}") from None
    except ValueError as exc:  # e.g. a kernel language without a code stub
        raise SourceNotebookError(path, f"cannot have its solutions cleared by nbgrader: {exc}") from None
    try:  # what release will do to the tests; the released copy itself keeps them, as nbgrader stores it
        ClearHiddenTests(log=_NBGRADER_LOG).preprocess(copy.deepcopy(released), {})
    except RuntimeError as exc:
        raise SourceNotebookError(path, f"has a malformed hidden-tests region: {exc}") from None

    cells: list[SourceCell] = []
    grade_cells: list[GradeCellSpec] = []
    source_cells: list[SourceCellSpec] = []
    tests: list[TestCell] = []
    for index, (original, cell) in enumerate(zip(nb["cells"], released["cells"], strict=True)):
        if cell["cell_type"] not in ("code", "markdown") or "nbgrader" not in cell["metadata"]:
            continue
        grade, solution, locked = bool(is_grade(cell)), bool(is_solution(cell)), bool(is_locked(cell))
        if not (grade or solution or locked):
            continue
        grade_id = str(cell["metadata"]["nbgrader"]["grade_id"])  # unique: nbgrader validated it
        cell_type: Literal["code", "markdown"] = "code" if cell["cell_type"] == "code" else "markdown"
        points = float(cell["metadata"]["nbgrader"].get("points", 0.0)) if grade else 0.0
        source = str(cell["source"])
        public = is_public_test_cell(grade_id, original["metadata"].get("tags"))
        cells.append(SourceCell(index, grade_id, cell_type, source, grade, solution, locked, points, public))
        source_cells.append(
            SourceCellSpec(grade_id, cell_type, source, str(compute_checksum(cell)), locked, solution)
        )
        if grade:
            grade_cells.append(GradeCellSpec(grade_id, points, cell_type))
            if not solution and cell_type == "code":
                tests.append(TestCell(grade_id, points, str(original["source"])))
    spec = NotebookSpec(path.stem, tuple(grade_cells), tuple(source_cells))
    return SourceNotebook(
        path=path,
        name=path.stem,
        nb=nb,
        spec=spec,
        test_cells=tests,
        cells=tuple(cells),
        assignment=assignment if assignment is not None else path.parent.name,
    )


# ---------------------------------------------------------------------------------------------
# Reconciling a submission with its source


@dataclass(frozen=True)
class Reconciled:
    """The code cells of a submission to run, in order, and what was changed to get them.

    ``positions[i]`` is the position (from 0) in the submitted notebook of ``cells[i]``, or None for a
    read-only cell put back from the source.
    """

    cells: list[CodeCell]
    warnings: list[str]
    positions: list[int | None] = field(default_factory=list)


@dataclass
class _Run:
    """A code cell chosen to run, before it gets its CodeCell (run index and unique id)."""

    position: int | None
    cell_id: str
    source: str


def _grade_id(cell: Mapping[str, Any]) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    if not isinstance(meta, dict):
        return None
    grade_id = meta.get("grade_id")
    return grade_id if isinstance(grade_id, str) and grade_id else None


def _show(text: str, limit: int = 40) -> str:
    """A student-controlled string, quoted and cut, for a warning."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _claimed_points(cell: Mapping[str, Any]) -> float | None:
    points = cell["metadata"]["nbgrader"].get("points")
    try:
        return float(points) if points is not None and not isinstance(points, bool) else None
    except (TypeError, ValueError, OverflowError):
        return None


def reconcile(source: SourceNotebook, submitted: NotebookNode, path: Path) -> Reconciled:
    """The code of ``submitted`` (read from ``path``) that runs in the sandbox, following ``source``.

    The rules are in this module's docstring. Raises WrongAssignmentError when the submission has none
    of the source's nbgrader cells.
    """
    from grader.sandbox import CodeCell

    by_id = {cell.grade_id: cell for cell in source.cells}
    warnings: list[str] = []
    runs: list[_Run | None] = []  # one per submitted cell: what runs there, if anything
    seen: dict[str, int] = {}  # grade id -> position of its first copy in the submission
    answers = unchanged = 0  # answer code cells, and those still as released

    for position, cell in enumerate(submitted["cells"]):
        where = f"cell #{position + 1}"
        grade_id = _grade_id(cell)
        is_code = cell["cell_type"] == "code"
        own = _Run(position, _student_cell_id(cell, position), str(cell["source"])) if is_code else None
        origin = by_id.get(grade_id) if grade_id is not None else None
        if grade_id is None:
            runs.append(own)
            continue
        if origin is None:
            if is_code:
                warnings.append(
                    f"{where} has grade id {_show(grade_id)}, which the source notebook does not have; "
                    "it ran as ordinary code"
                )
            runs.append(own)
            continue
        if grade_id in seen:
            dropped = origin.is_test
            warnings.append(
                f"{where} repeats grade id {_show(grade_id)} of cell #{seen[grade_id] + 1}; the first "
                + (
                    "counts and this copy was not run"
                    if dropped
                    else "counts and this copy ran as ordinary code"
                )
            )
            runs.append(None if dropped else own)
            continue
        seen[grade_id] = position
        claimed = _claimed_points(cell)
        if origin.grade and claimed is not None and claimed != origin.points:
            warnings.append(
                f"{where} ({_show(grade_id)}) claims {claimed:g} points; the source's {origin.points:g} count"
            )
        if origin.is_test:
            runs.append(None)  # hidden tests are evaluated outside the sandbox
        elif origin.is_given and origin.public_test:
            runs.append(None)  # the hidden cases judge the function: public asserts add nothing
        elif origin.is_given:
            if origin.cell_type == "code":
                if not is_code or cell["source"] != origin.source:
                    warnings.append(f"{where} ({_show(grade_id)}) is read-only; its changes were undone")
                runs.append(_Run(position, origin.grade_id, origin.source))
            else:
                runs.append(None)
        elif origin.solution and origin.cell_type == "code":
            if not is_code:
                warnings.append(f"answer {where} ({_show(grade_id)}) is not a code cell, so it did not run")
                runs.append(None)
            else:
                answers += 1
                unchanged += str(cell["source"]).rstrip() == origin.source.rstrip()
                runs.append(_Run(position, origin.grade_id, str(cell["source"])))
        else:  # a markdown answer or a cell nbgrader does not grade: only code runs
            runs.append(own)

    if source.cells and not seen:
        raise WrongAssignmentError(
            path,
            source.assignment,
            source.name,
            f"has none of the {len(source.cells)} nbgrader cells of {source.assignment}/{source.name}.ipynb;"
            " is it the notebook of another assignment?",
        )

    # Put back deleted read-only code after the nearest preceding source cell that is present.
    after: defaultdict[int, list[_Run]] = defaultdict(list)
    anchor = -1
    for origin in source.cells:
        if origin.grade_id in seen:
            anchor = seen[origin.grade_id]
        elif origin.is_given and origin.cell_type == "code" and not origin.public_test:
            after[anchor].append(_Run(None, origin.grade_id, origin.source))
            place = "at the top" if anchor < 0 else f"after cell #{anchor + 1}"
            warnings.append(f"read-only cell {_show(origin.grade_id)} was missing; it was put back {place}")
        elif origin.solution and origin.cell_type == "code":
            warnings.append(f"answer cell {_show(origin.grade_id)} is missing from the submission")

    ordered: list[_Run] = list(after[-1])
    for position, run in enumerate(runs):
        if run is not None:
            ordered.append(run)
        ordered.extend(after[position])

    cells: list[CodeCell] = []
    used: set[str] = set()
    for index, run in enumerate(ordered):
        cell_id = run.cell_id
        suffix = 2
        while cell_id in used:  # ids may repeat in a hand-edited notebook; the sandbox needs them unique
            cell_id = f"{run.cell_id}-{suffix}"
            suffix += 1
        used.add(cell_id)
        cells.append(CodeCell(index=index, cell_id=cell_id, source=run.source))
    if answers and unchanged == answers:
        # Most often a notebook submitted before it was saved: worth saying first.
        warnings.insert(
            0,
            f"none of its {answers} answer cells differs from the released notebook"
            " (was it saved before it was submitted?)",
        )
    if len(warnings) > MAX_WARNINGS:
        warnings = [*warnings[:MAX_WARNINGS], f"... and {len(warnings) - MAX_WARNINGS} more warnings"]
    return Reconciled(cells=cells, warnings=warnings, positions=[run.position for run in ordered])


PUBLIC_TEST_TAG = "public-tests"
PUBLIC_TEST_SUFFIX = "_public_tests"


def is_public_test_cell(grade_id: str, tags: object) -> bool:
    """Whether a read-only source cell holds public tests: its grade id ends in ``_public_tests`` or
    it is tagged ``public-tests``. Such cells help students and are not run when grading: a looping
    function would otherwise cost a cell timeout before its hidden calls even start."""
    tagged = isinstance(tags, list) and PUBLIC_TEST_TAG in tags
    return tagged or grade_id.endswith(PUBLIC_TEST_SUFFIX)


def _student_cell_id(cell: Mapping[str, Any], position: int) -> str:
    cell_id = cell.get("id")
    return cell_id if isinstance(cell_id, str) and _CELL_ID.fullmatch(cell_id) else f"cell-{position + 1}"
