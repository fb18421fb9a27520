"""`dlgrade assignments`: the assignments of the repository (or a folder), as a table or JSON."""

from __future__ import annotations

import json
import tomllib

from click.testing import CliRunner

from grader.cli import cli
from grader.course import ASSIGNMENTS_DIR


def test_json_lists_every_shipped_assignment_with_its_functions():
    result = CliRunner().invoke(cli, ["assignments", "--json"])
    assert result.exit_code == 0, result.output
    listed = {a["name"]: a for a in json.loads(result.output)}
    shipped = sorted(p.parent.name for p in ASSIGNMENTS_DIR.glob("*/assignment.toml"))
    assert sorted(listed) == shipped
    for name, entry in listed.items():
        toml = tomllib.loads((ASSIGNMENTS_DIR / name / "assignment.toml").read_text())
        assert entry["title"] == toml["title"] and entry["week"] == toml["week"]
        assert entry["gpu"] is toml["gpu"]
        assert [f["name"] for f in entry["functions"]] == [f["name"] for f in toml["functions"]]
        assert entry["points"] == sum(f["points"] for f in toml["functions"])


def test_table_names_the_assignments():
    result = CliRunner().invoke(cli, ["assignments"])
    assert result.exit_code == 0
    assert "deep_network" in result.output and "GPU" in result.output


def test_a_broken_file_is_an_error_naming_file_and_field(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "assignment.toml").write_text('title = "x"\nweek = "soon"\n')
    result = CliRunner().invoke(cli, ["assignments", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "broken/assignment.toml" in result.output and "time_budget_s" in result.output
    assert "Traceback" not in result.output
