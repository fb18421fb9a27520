"""The ``dlgrade quiz`` commands: lint, list, show and export the quiz bank.

Thin click commands over :mod:`quizzes`; errors print ``Error: ...`` and exit 1, usage errors exit 2,
listings take ``--json``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from grader.cliopts import json_option, reports_errors
from grader.errors import DlgradeError


def _console() -> Console:
    return Console(width=None if sys.stdout.isatty() else 160)


def _bank_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--bank",
        "bank_dir",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        default=None,
        help="Folder of question files (default: this repository's quizzes/bank/).",
    )(func)


def _quizzes_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--quizzes",
        "quizzes_dir",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        default=None,
        help="Folder of quiz files (default: this repository's quizzes/quizzes/).",
    )(func)


def register(cli: click.Group) -> None:
    """Add the ``quiz`` group to the ``dlgrade`` group."""

    @cli.group("quiz")
    def quiz_group() -> None:
        """The quiz bank: lint, list, show and export questions and quizzes."""

    @quiz_group.command("lint")
    @_bank_option
    @_quizzes_option
    @click.option(
        "--seeds",
        type=click.IntRange(1, 10_000),
        default=200,
        show_default=True,
        help="Variants per question.",
    )
    @json_option
    @reports_errors
    def lint_cmd(bank_dir: Path | None, quizzes_dir: Path | None, seeds: int, as_json: bool) -> None:
        """Check every question and quiz file; render every question for many seeds and score its answer.

        Exits 1 when any problem is found.

        \b
        Examples:
          dlgrade quiz lint
          dlgrade quiz lint --json
        """
        from quizzes import BANK_DIR, QUIZZES_DIR
        from quizzes.bank import lint_bank

        report = lint_bank(bank_dir or BANK_DIR, quizzes_dir or QUIZZES_DIR, seeds=seeds)
        if as_json:
            click.echo(json.dumps(report.as_dict(), indent=2))
        else:
            for issue in report.issues:
                click.echo(str(issue))
            click.echo(
                f"{report.questions} question(s), {report.quizzes} quiz(zes), {report.variants} variant(s) "
                f"checked: {len(report.issues)} problem(s)"
            )
        if not report.ok:
            raise DlgradeError(f"quiz lint found {len(report.issues)} problem(s)")

    @quiz_group.command("list")
    @_bank_option
    @click.option(
        "--tag", "tags", multiple=True, help="Only questions with this tag (repeatable: all of them)."
    )
    @json_option
    @reports_errors
    def list_cmd(bank_dir: Path | None, tags: tuple[str, ...], as_json: bool) -> None:
        """List the questions: id, type, points, tags, title.

        \b
        Examples:
          dlgrade quiz list --tag cnn
          dlgrade quiz list --json
        """
        from quizzes import BANK_DIR
        from quizzes.bank import load_bank

        bank = load_bank(bank_dir or BANK_DIR)
        unknown = [t for t in tags if t not in bank.tags]
        if unknown:
            raise click.BadParameter(f"unknown tag(s) {', '.join(unknown)}", param_hint="--tag")
        questions = [q for q in bank.questions.values() if all(t in q.tags for t in tags)]
        if as_json:
            rows = [
                {
                    "id": q.id,
                    "type": q.type,
                    "points": q.points,
                    "tags": list(q.tags),
                    "title": q.title,
                    "parametrized": q.parametrized,
                }
                for q in questions
            ]
            click.echo(json.dumps(rows, indent=2))
            return
        table = Table("id", "type", "points", "tags", "title")
        for q in questions:
            kind = f"{q.type}*" if q.parametrized else q.type
            table.add_row(q.id, kind, f"{q.points:g}", ", ".join(q.tags), q.title)
        console = _console()
        console.print(table)
        by_type = Counter(q.type for q in questions)
        console.print(
            f"{len(questions)} question(s): " + ", ".join(f"{n} {t}" for t, n in sorted(by_type.items()))
        )

    @quiz_group.command("show")
    @click.argument("question_id")
    @_bank_option
    @click.option("--seed", type=int, default=0, show_default=True, help="Seed of the variant shown.")
    @json_option
    @reports_errors
    def show_cmd(question_id: str, bank_dir: Path | None, seed: int, as_json: bool) -> None:
        """Show one question as a student sees it (variant SEED), then its answer and feedback.

        \b
        Example:
          dlgrade quiz show conv-output-size --seed 7
        """
        from quizzes import BANK_DIR
        from quizzes.bank import load_bank
        from quizzes.variants import derive_seed, format_number, render

        question = load_bank(bank_dir or BANK_DIR).get(question_id)
        rendered = render(question, derive_seed("show", question_id, seed))
        if as_json:
            data = {**rendered.public(), "params": rendered.params, "answer": rendered.correct_response()}
            click.echo(json.dumps({**data, "feedback": question.feedback}, indent=2, default=str))
            return
        click.echo(
            f"{question.id} ({question.type}, {question.points:g} point(s)) [{', '.join(question.tags)}]"
        )
        if rendered.params:
            click.echo("params: " + ", ".join(f"{k}={format_number(v)}" for k, v in rendered.params.items()))
        click.echo(f"\n{rendered.title}\n\n{rendered.text.rstrip()}\n")
        public = rendered.public()
        correct = {c.id for c in question.choices if c.correct}
        for choice in public.get("choices", []):
            mark = "*" if choice["id"] in correct else " "
            click.echo(f" {mark} {choice['id']}) {choice['text']}")
        for label in ("left", "options", "items"):
            if label in public:
                click.echo(f"{label}: " + " | ".join(public[label]))
        answer = rendered.correct_response()
        if question.type not in ("single", "multiple"):
            shown = format_number(answer) if isinstance(answer, float) else answer
            click.echo(f"\nanswer: {shown}")
        click.echo(f"\nfeedback: {question.feedback.rstrip()}")

    @quiz_group.command("export")
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(["gift", "moodle-xml", "qti"]),
        required=True,
        help="Output format.",
    )
    @click.option(
        "--quiz", "quiz_id", default=None, help="Only the questions of this quiz (default: the whole bank)."
    )
    @click.option(
        "--output",
        type=click.Path(path_type=Path),
        default=None,
        help="File or folder to write (default: stdout for gift and moodle-xml; required for qti).",
    )
    @_bank_option
    @_quizzes_option
    @reports_errors
    def export_cmd(
        fmt: str, quiz_id: str | None, output: Path | None, bank_dir: Path | None, quizzes_dir: Path | None
    ) -> None:
        """Export the bank (or one quiz) for Moodle (GIFT, Moodle XML) or Canvas (QTI 1.2 zip).

        \b
        Examples:
          dlgrade quiz export --format moodle-xml --output bank.xml
          dlgrade quiz export --format qti --quiz week-05 --output week-05.zip
        """
        from quizzes import BANK_DIR, QUIZZES_DIR
        from quizzes.bank import load_bank
        from quizzes.export import export_bank, write_export
        from quizzes.quiz import find_quiz

        bank = load_bank(bank_dir or BANK_DIR)
        quiz = find_quiz(quiz_id, quizzes_dir or QUIZZES_DIR) if quiz_id else None
        result = export_bank(bank, fmt, quiz)
        if output is None:
            if result.binary:
                raise click.UsageError("--output is required for --format qti (a zip file)")
            click.echo(result.content.decode("utf-8"), nl=False)
            return
        target = write_export(result, output)
        click.echo(f"Wrote {result.questions} question(s) as {fmt} to {target}", err=True)
