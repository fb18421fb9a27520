"""The analysis of a source notebook, kept in the course and reused while the notebook is unchanged.

Reading a source notebook (grader.notebook.load_source) runs nbgrader's metadata validation and
its solution and hidden-test clearing, which import nbconvert: about half a second of every
grading run, spent before the first submission can start. The result depends only on the
notebook's bytes and on the code that analyses them, so it is written as JSON under
``COURSE/.dlgrade/sources/ASSIGNMENT/`` and read back while both are unchanged. An entry that is
missing, unreadable, or written by other code is ignored and replaced; a course directory that
cannot be written only loses the saving.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from grader.notebook import SourceCell, SourceNotebook, TestCell, load_source
from grader.records import GradeCellSpec, NotebookSpec, SourceCellSpec

_FORMAT = 1
_from_dict: Callable[[Any], NotebookNode] = nbformat.from_dict


@functools.cache
def _analyser() -> bytes:
    """What the analysis depends on besides the notebook: this code, load_source's and nbgrader's."""
    digest = hashlib.sha256(f"{_FORMAT}\0".encode())
    for module in ("notebook.py", "source_cache.py", "records.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        digest.update(importlib.metadata.version("nbgrader").encode())
    return digest.digest()


def _entry(path: Path, data: bytes, cache_dir: Path, assignment: str) -> Path:
    key = hashlib.sha256(_analyser() + path.name.encode() + b"\0" + data).hexdigest()[:40]
    return cache_dir / assignment / f"{path.stem}.{key}.json"


def _to_json(source: SourceNotebook) -> dict[str, Any]:
    return {
        "nb": source.nb,
        "tests": [list(test) for test in source.test_cells],
        "cells": [dataclasses.asdict(cell) for cell in source.cells],
        "grade_cells": [dataclasses.asdict(cell) for cell in source.spec.grade_cells],
        "source_cells": [dataclasses.asdict(cell) for cell in source.spec.source_cells],
    }


def _from_json(record: dict[str, Any], path: Path, assignment: str) -> SourceNotebook:
    spec = NotebookSpec(
        path.stem,
        tuple(GradeCellSpec(**cell) for cell in record["grade_cells"]),
        tuple(SourceCellSpec(**cell) for cell in record["source_cells"]),
    )
    return SourceNotebook(
        path=path,
        name=path.stem,
        nb=_from_dict(record["nb"]),
        spec=spec,
        test_cells=[TestCell(str(g), float(p), str(s)) for g, p, s in record["tests"]],
        cells=tuple(SourceCell(**cell) for cell in record["cells"]),
        assignment=assignment,
    )


def _write(entry: Path, source: SourceNotebook) -> None:
    entry.parent.mkdir(parents=True, exist_ok=True)
    for stale in entry.parent.glob(f"{source.name}.*.json"):  # analyses of earlier versions
        stale.unlink(missing_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".", suffix=".json", dir=entry.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(_to_json(source), out)
        Path(temporary).replace(entry)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_source_cached(path: Path, cache_dir: Path, *, assignment: str | None = None) -> SourceNotebook:
    """What ``load_source(path)`` returns, from ``cache_dir`` while the notebook is unchanged.

    Raises as load_source does (a notebook that fails its checks is never cached).
    """
    path = Path(path)
    assignment = assignment if assignment is not None else path.parent.name
    try:
        data = path.read_bytes()
    except OSError:
        return load_source(path, assignment=assignment)  # its error names the file
    entry = _entry(path, data, cache_dir, assignment)
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return _from_json(json.loads(entry.read_bytes()), path, assignment)
    source = load_source(path, assignment=assignment)
    with contextlib.suppress(OSError, ValueError, TypeError):
        if path.read_bytes() == data:  # not edited meanwhile: the analysis is of these bytes
            _write(entry, source)
    return source
