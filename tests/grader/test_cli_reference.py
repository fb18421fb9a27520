"""`dlgrade reference check`: table, JSON, selection, exit codes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from grader import cli as cli_module
from grader.cli import cli
from reference.checks import Check


@pytest.fixture
def runner():
    return CliRunner()


def test_check_prints_a_table_and_exits_0(runner):
    result = runner.invoke(cli, ["reference", "check", "--only", "activations.*"])
    assert result.exit_code == 0, result.output
    assert "activations.softmax_backward" in result.output
    assert "worst error" in result.output
    assert "8 passed, 0 failed, 0 skipped" in result.output


def test_check_json_is_machine_readable(runner):
    result = runner.invoke(cli, ["reference", "check", "--only", "activations.relu*", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["torch"] is True
    functions = {row["function"] for row in doc["results"]}
    assert functions == {"activations.relu", "activations.relu_backward"}
    for row in doc["results"]:
        assert row["status"] == "pass"
        assert 0.0 <= row["worst_error"] <= row["tolerance"]


def test_kind_filter_and_no_torch(runner):
    result = runner.invoke(
        cli, ["reference", "check", "--only", "activations.*", "--kind", "oracle", "--no-torch", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["results"]
    assert len(rows) == 4
    assert {row["status"] for row in rows} == {"skipped"}


def test_unknown_pattern_is_a_usage_error(runner):
    result = runner.invoke(cli, ["reference", "check", "--only", "no_such_function"])
    assert result.exit_code == 2
    assert "no reference check matches" in result.output


def test_failing_check_exits_1_with_error_line(runner, monkeypatch):
    broken = [
        Check("demo.wrong", "gradient", "always off", lambda: 1.0, 1e-7),
        Check("demo.raises", "oracle", "raises", lambda: 1 / 0, 1e-7),
        Check("demo.right", "known-value", "exact", lambda: 0.0, 1e-9),
    ]
    monkeypatch.setattr("grader.refcheck.all_checks", lambda: broken)
    result = runner.invoke(cli, ["reference", "check"])
    assert result.exit_code == 1
    assert "1 passed, 2 failed, 0 skipped" in result.output
    assert "ZeroDivisionError" in result.output
    assert "Error: 2 reference check(s) failed: demo.wrong" in result.output
    assert "Traceback" not in result.output


def test_help_documents_every_command(runner):
    def walk(group, path):
        for name, command in group.commands.items():
            yield [*path, name], command
            if hasattr(command, "commands"):
                yield from walk(command, [*path, name])

    for path, command in walk(cli_module.cli, []):
        assert command.help, f"dlgrade {' '.join(path)} has no help text"
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0
