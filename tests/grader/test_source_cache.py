"""The analysis of a source notebook is kept in the course and reused only while nothing changed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.notebook import SourceNotebookError, load_source
from grader.source_cache import load_source_cached
from tests.grader.data.notebooks import TINY, load_json, write

ROOT = Path(__file__).resolve().parents[2]


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "source" / "tiny"
    folder.mkdir(parents=True)
    return Path(shutil.copy(TINY, folder / TINY.name))


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.json"))


def test_a_cached_analysis_equals_a_fresh_one(tmp_path):
    path, cache = _copy(tmp_path), tmp_path / "cache"
    first = load_source_cached(path, cache)
    assert _entries(cache), "the analysis was not kept"
    second = load_source_cached(path, cache)
    fresh = load_source(path)
    for loaded in (first, second):
        assert loaded == fresh
        assert (loaded.nb, loaded.cells, loaded.spec, loaded.test_cells) == (
            fresh.nb,
            fresh.cells,
            fresh.spec,
            fresh.test_cells,
        )
        assert loaded.assignment == "tiny" and loaded.name == path.stem


def test_a_cached_analysis_does_not_load_nbgrader_preprocessors(tmp_path):
    """The point of the cache: no nbconvert import, no schema validation on the grading path."""
    path, cache = _copy(tmp_path), tmp_path / "cache"
    load_source_cached(path, cache)
    probe = (
        "import sys; from pathlib import Path; from grader.source_cache import load_source_cached; "
        f"s = load_source_cached(Path({str(path)!r}), Path({str(cache)!r})); "
        "print(len(s.test_cells), 'nbgrader.preprocessors' in sys.modules, 'nbconvert' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == [str(len(load_source(path).test_cells)), "False", "False"]


def test_an_edited_notebook_is_analysed_again(tmp_path):
    path, cache = _copy(tmp_path), tmp_path / "cache"
    before = load_source_cached(path, cache)
    nb = load_json(path)
    graded = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("points"))
    graded["metadata"]["nbgrader"]["points"] = 42
    write(path, nb)
    after = load_source_cached(path, cache)
    assert after == load_source(path) and after.spec != before.spec
    assert len(_entries(cache)) == 1, "the analysis of the old version was kept"


def test_a_damaged_or_foreign_entry_is_ignored_and_replaced(tmp_path):
    path, cache = _copy(tmp_path), tmp_path / "cache"
    load_source_cached(path, cache)
    (entry,) = _entries(cache)
    for damage in (b"{not json", b"[]", json.dumps({"nb": {}, "tests": [[1]]}).encode()):
        entry.write_bytes(damage)
        assert load_source_cached(path, cache) == load_source(path)
        assert json.loads(entry.read_bytes())["tests"], "the damaged entry was not replaced"


def test_a_cache_path_that_is_a_file_still_loads(tmp_path):
    path, cache = _copy(tmp_path), tmp_path / "cache"
    cache.write_text("in the way")
    assert load_source_cached(path, cache) == load_source(path)


def test_a_broken_source_notebook_raises_and_is_not_cached(tmp_path):
    path, cache = _copy(tmp_path), tmp_path / "cache"
    nb = load_json(path)
    cells = [c for c in nb["cells"] if "nbgrader" in c["metadata"]]
    cells[1]["metadata"]["nbgrader"]["grade_id"] = cells[0]["metadata"]["nbgrader"]["grade_id"]
    write(path, nb)
    with pytest.raises(SourceNotebookError):
        load_source_cached(path, cache)
    with pytest.raises(SourceNotebookError):
        load_source_cached(path, cache)
    assert not _entries(cache)
