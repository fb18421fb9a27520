"""`dlgrade quiz ...` through click's CliRunner, on a group built here (cli.py registers it for real)."""

from __future__ import annotations

import io
import json
import shutil
import zipfile

import click
import pytest
from click.testing import CliRunner

from grader.quizcli import register
from quizzes import BANK_DIR


@pytest.fixture
def cli():
    @click.group()
    def group() -> None:
        """Test group."""

    register(group)
    return group


@pytest.fixture
def run(cli):
    def invoke(*args):
        return CliRunner().invoke(cli, ["quiz", *args])

    return invoke


def test_every_command_is_documented(cli):
    quiz = cli.commands["quiz"]
    assert set(quiz.commands) == {"lint", "list", "show", "export", "serve", "links", "stats", "regrade"}
    for command in quiz.commands.values():
        assert command.help and "Example" in command.help


def test_lint_passes_on_the_shipped_bank(run):
    result = run("lint", "--seeds", "20")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].endswith("checked: 0 problem(s)")
    data = json.loads(run("lint", "--json", "--seeds", "5").output)
    assert data["ok"] and data["questions"] >= 110 and data["issues"] == []


def test_lint_fails_on_a_broken_bank(run, tmp_path):
    bank = tmp_path / "bank"
    shutil.copytree(BANK_DIR, bank)
    (bank / "broken.yaml").write_text("type: numeric\ntitle: x\n")
    result = run("lint", "--bank", str(bank), "--seeds", "3")
    assert result.exit_code == 1
    assert f"{bank / 'broken.yaml'}: text: missing required field" in result.output
    assert "Error: quiz lint found 1 problem(s)" in result.output
    data = json.loads(run("lint", "--bank", str(bank), "--seeds", "3", "--json").stdout)
    assert data["ok"] is False and data["issues"][0]["path"].endswith("broken.yaml")


def test_list_and_filter_by_tag(run):
    rows = json.loads(run("list", "--json").output)
    assert len(rows) >= 110 and {"id", "type", "points", "tags", "title", "parametrized"} <= set(rows[0])
    cnn = json.loads(run("list", "--tag", "cnn", "--json").output)
    assert cnn and all("cnn" in r["tags"] for r in cnn) and len(cnn) < len(rows)
    both = json.loads(run("list", "--tag", "cnn", "--tag", "seed-004", "--json").output)
    assert {r["id"] for r in both} <= {r["id"] for r in cnn}
    table = run("list", "--tag", "gans")
    assert table.exit_code == 0 and "gan-analogy" in table.output and "question(s)" in table.output


def test_list_unknown_tag_is_a_usage_error(run):
    result = run("list", "--tag", "quantum")
    assert result.exit_code == 2 and "unknown tag(s) quantum" in result.output


def test_show_renders_a_variant_with_its_answer(run):
    a = run("show", "conv-output-size", "--seed", "7")
    assert a.exit_code == 0, a.output
    assert "params: n=" in a.output and "answer: " in a.output and "feedback: " in a.output
    assert run("show", "conv-output-size", "--seed", "7").output == a.output
    data = json.loads(run("show", "conv-output-size", "--seed", "8", "--json").output)
    n, f, p, s = (data["params"][k] for k in "nfps")
    assert data["answer"] == (n + 2 * p - f) // s + 1
    choice = run("show", "dropout-phase")
    assert " * " in choice.output and "Only during training" in choice.output


def test_show_unknown_question(run):
    result = run("show", "nope")
    assert result.exit_code == 1 and result.output == "Error: no question 'nope' in the bank\n"


def test_export_formats(run, tmp_path):
    gift = run("export", "--format", "gift")
    assert gift.exit_code == 0 and "::conv-output-size::[html]" in gift.stdout
    xml_file = tmp_path / "bank.xml"
    result = run("export", "--format", "moodle-xml", "--output", str(xml_file))
    assert result.exit_code == 0 and xml_file.read_text().startswith('<?xml version="1.0"')
    result = run("export", "--format", "qti", "--quiz", "week-06", "--output", str(tmp_path))
    assert result.exit_code == 0, result.output
    archive = zipfile.ZipFile(io.BytesIO((tmp_path / "week-06.zip").read_bytes()))
    assert "imsmanifest.xml" in archive.namelist() and "week-06/week-06.xml" in archive.namelist()


def test_export_errors(run):
    assert run("export", "--format", "pdf").exit_code == 2
    assert run("export").exit_code == 2
    qti = run("export", "--format", "qti")
    assert qti.exit_code == 2 and "--output is required" in qti.output
    missing = run("export", "--format", "gift", "--quiz", "week-99")
    assert missing.exit_code == 1 and missing.output.startswith("Error: no quiz 'week-99'")
