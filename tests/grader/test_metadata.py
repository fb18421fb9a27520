"""grader.metadata: assignment.toml files, their validation and the limits they set."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.course import ASSIGNMENTS_DIR
from grader.metadata import DEFAULT_CALL_TIMEOUT_S, MetadataError, list_metadata, load_meta
from grader.sandbox_process import SandboxLimits

VALID = """
title = "Tiny"
week = 2
notebook = "tiny.ipynb"
total_points = 3
time_budget_s = 20
memory_budget_mb = 512
gpu = true
datasets = ["digits"]

[[functions]]
name = "double"
check = "tiny.double"
grade_id = "test_double"
points = 1

[[functions]]
name = "halve"
check = "tiny.halve"
grade_id = "test_halve"
points = 2
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiny" / "assignment.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def test_a_valid_file_and_its_defaults(tmp_path):
    meta = load_meta(_write(tmp_path, VALID))
    assert (meta.name, meta.title, meta.week, meta.notebook) == ("tiny", "Tiny", 2, "tiny.ipynb")
    assert meta.gpu is True and meta.datasets == ("digits",)
    assert [(f.name, f.points) for f in meta.functions] == [("double", 1.0), ("halve", 2.0)]
    # Unset timeouts: a cell may use the whole budget, a call gets the default.
    assert meta.cell_timeout_s == 20 and meta.call_timeout_s == DEFAULT_CALL_TIMEOUT_S
    assert meta.as_dict()["functions"][1] == {
        "name": "halve",
        "check": "tiny.halve",
        "grade_id": "test_halve",
        "points": 2.0,
        "uses": [],
    }


def test_limits_follow_the_budgets_and_never_exceed_the_wall_time(tmp_path):
    meta = load_meta(_write(tmp_path, "cell_timeout_s = 50\ncall_timeout_s = 3\n" + VALID))
    limits = meta.limits()
    assert limits.wall_seconds == 20 and limits.cell_seconds == 20 and limits.call_seconds == 3
    assert limits.memory_bytes == 512 * 1024**2
    assert limits.cpu_seconds >= 40
    assert limits.processes == 64 and limits.limit_address_space
    # What the budgets do not cover stays as given.
    base = SandboxLimits(open_files=7, output_bytes=99)
    assert (meta.limits(base).open_files, meta.limits(base).output_bytes) == (7, 99)


def test_framework_settings_relax_processes_and_address_space(tmp_path):
    text = "max_processes = 512\nlimit_address_space = false\n" + VALID.replace(
        'name = "halve"', 'name = "halve"\nuses = ["double"]'
    )
    meta = load_meta(_write(tmp_path, text))
    assert meta.functions[1].uses == ("double",)
    limits = meta.limits()
    assert limits.processes == 512 and not limits.limit_address_space


@pytest.mark.parametrize(
    ("edit", "field", "problem"),
    [
        (lambda t: t.replace('title = "Tiny"\n', ""), "title", "is missing"),
        (lambda t: t.replace("week = 2", 'week = "two"'), "week", "must be an integer, not str"),
        (lambda t: t.replace("week = 2", "week = 0"), "week", "must be 1 or more"),
        (lambda t: t.replace("gpu = true", "gpu = 1"), "gpu", "must be true or false"),
        (lambda t: t.replace("time_budget_s = 20", "time_budget_s = true"), "time_budget_s", "boolean"),
        (lambda t: t.replace("time_budget_s = 20", "time_budget_s = -1"), "time_budget_s", "positive"),
        (lambda t: t.replace("memory_budget_mb = 512", "memory_budget_mb = 8"), "memory_budget_mb", "64"),
        (lambda t: t.replace("total_points = 3", "total_points = 4"), "total_points", "add up to 3"),
        (lambda t: t.replace('datasets = ["digits"]', "datasets = [1]"), "datasets", "list of strings"),
        (lambda t: t.replace("points = 2", 'points = "2"'), "functions[1].points", "must be a number"),
        (lambda t: t.replace('name = "double"\n', ""), "functions[0].name", "is missing"),
        (lambda t: "call_timeout_s = 0\n" + t, "call_timeout_s", "positive"),
        (lambda t: "max_processes = 2\n" + t, "max_processes", "from 8 to 4096"),
        (lambda t: 'limit_address_space = "no"\n' + t, "limit_address_space", "true or false"),
        (
            lambda t: t.replace('name = "halve"', 'name = "halve"\nuses = "double"'),
            "functions[1].uses",
            "list",
        ),
    ],
)
def test_invalid_fields_are_named_with_the_file(tmp_path, edit, field, problem):
    path = _write(tmp_path, edit(VALID))
    with pytest.raises(MetadataError) as info:
        load_meta(path)
    assert info.value.field == field
    assert str(path) in str(info.value) and problem in str(info.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [("title = ", "is not valid TOML"), (b"\xff\xfe", "is not UTF-8")],
)
def test_unreadable_files(tmp_path, content, problem):
    path = tmp_path / "x" / "assignment.toml"
    path.parent.mkdir()
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(MetadataError, match=problem):
        load_meta(path)
    with pytest.raises(MetadataError, match="cannot be read"):
        load_meta(tmp_path / "missing" / "assignment.toml")


def test_every_shipped_assignment_has_valid_metadata():
    metas = list_metadata(ASSIGNMENTS_DIR)
    assert metas, "no assignment.toml under assignments/"
    for meta in metas:
        assert (ASSIGNMENTS_DIR / meta.name / meta.notebook).is_file(), meta.name
        assert meta.call_timeout_s <= meta.time_budget_s
    assert [m.week for m in metas] == sorted(m.week for m in metas)
