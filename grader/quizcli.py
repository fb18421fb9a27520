"""The ``dlgrade quiz`` commands: lint, list, show and export the quiz bank; serve quizzes, print links.

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

from grader.cliopts import attempts_place, course_option, db_option, json_option, reports_errors
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
        """The quiz bank and quiz server: lint, list, show, export, serve, links, stats, regrade."""

    from grader.quizstats_cli import register as register_quiz_stats

    register_quiz_stats(quiz_group)

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

    _register_server_commands(quiz_group)


def _secret_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--secret-file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=Path(".dlgrade_quiz_secret"),
        show_default=True,
        help="Secret signing the links (created 0600 if missing); $DLGRADE_QUIZ_SECRET overrides it.",
    )(func)


def _read_students(spec: str) -> list[str]:
    """Student ids from a file (one per line, # comments) or a comma-separated list."""
    path = Path(spec)
    if path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        ids = [line.split("#", 1)[0].strip() for line in lines]
    else:
        ids = [part.strip() for part in spec.split(",")]
    ids = [i for i in ids if i]
    if not ids:
        raise click.BadParameter("no student ids", param_hint="--students")
    return list(dict.fromkeys(ids))


def _register_server_commands(quiz_group: click.Group) -> None:
    @quiz_group.command("serve")
    @course_option
    @db_option
    @click.option("--ip", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
    @click.option(
        "--processes",
        type=click.IntRange(0, 64),
        default=1,
        show_default=True,
        help="Server processes sharing the port (0: one per CPU); state is in the database.",
    )
    @_quizzes_option
    @_bank_option
    @click.option(
        "--course-id", default=None, help='Course of the attempts (default: the course\'s, else "default").'
    )
    @click.option(
        "--prefix", default=None, help="URL prefix (default: / or the hub's JUPYTERHUB_SERVICE_PREFIX)."
    )
    @click.option(
        "--instructor-group",
        "groups",
        multiple=True,
        default=("instructors",),
        show_default=True,
        help="Hub group of instructors (repeatable; formgrade-<course-id> always counts).",
    )
    @_secret_option
    @reports_errors
    def serve_cmd(
        course_dir: Path,
        db_url: str | None,
        ip: str,
        port: int,
        processes: int,
        quizzes_dir: Path | None,
        bank_dir: Path | None,
        course_id: str | None,
        prefix: str | None,
        groups: tuple[str, ...],
        secret_file: Path,
    ) -> None:
        """Run the quiz web server: students take quizzes, instructors watch progress and results.

        Runs as a JupyterHub service (OAuth sign-in) when started by the hub, else standalone with
        per-student links (see `dlgrade quiz links`). Answers, attempts and scores go into the
        course's gradebook (--db, $DLGRADE_DB, the course's db_url, or COURSE/gradebook.db).

        \b
        Examples:
          dlgrade quiz serve --course ~/dl2026 --port 8765
          dlgrade quiz links week-05 --students students.txt --base-url http://quiz.example.org:8765/
        """
        from quizzes import BANK_DIR, QUIZZES_DIR
        from quizzes.auth import hub_prefix, in_hub, instructor_token, load_secret
        from quizzes.server import ServerSettings, serve

        db_url, course_id = attempts_place(db_url, course_id, course_dir)
        hub = in_hub()
        secret = load_secret(secret_file)
        settings = ServerSettings(
            db_url=db_url,
            secret=secret,
            instructor_token=instructor_token(secret),
            quizzes_dir=quizzes_dir or QUIZZES_DIR,
            bank_dir=bank_dir or BANK_DIR,
            course_id=course_id,
            prefix=prefix or (hub_prefix() if hub else "/"),
            hub=hub,
            instructor_groups=groups,
        )
        serve(settings, ip, port, processes)

    @quiz_group.command("links")
    @click.argument("quiz_id")
    @click.option(
        "--students", required=True, help="File of student ids (one per line) or ids separated by commas."
    )
    @click.option(
        "--base-url", default="http://127.0.0.1:8765/", show_default=True, help="Where the server is."
    )
    @click.option("--instructor", is_flag=True, help="Also print the instructor's progress page link.")
    @_quizzes_option
    @_secret_option
    @json_option
    @reports_errors
    def links_cmd(
        quiz_id: str,
        students: str,
        base_url: str,
        instructor: bool,
        quizzes_dir: Path | None,
        secret_file: Path,
        as_json: bool,
    ) -> None:
        """Print each student's personal link to QUIZ_ID (standalone server; keep them private).

        \b
        Examples:
          dlgrade quiz links week-05 --students ana,ben,cy
          dlgrade quiz links week-05 --students students.txt --base-url https://quiz.example.org/ --json
        """
        from urllib.parse import quote, urlencode

        from quizzes import QUIZZES_DIR
        from quizzes.auth import instructor_token, load_secret, student_token, valid_student_id
        from quizzes.quiz import find_quiz

        find_quiz(quiz_id, quizzes_dir or QUIZZES_DIR)
        ids = _read_students(students)
        bad = [s for s in ids if not valid_student_id(s)]
        if bad:
            raise click.BadParameter(f"not a student id: {bad[0]!r}", param_hint="--students")
        secret = load_secret(secret_file)
        base = base_url if base_url.endswith("/") else base_url + "/"
        page = f"{base}quiz/{quote(quiz_id)}"
        rows = [
            {"student_id": s, "url": f"{page}?{urlencode({'student': s, 'token': student_token(secret, s)})}"}
            for s in ids
        ]
        teacher = f"{page}/instructor?{urlencode({'token': instructor_token(secret)})}"
        if as_json:
            data: dict[str, object] = {"quiz": quiz_id, "links": rows}
            if instructor:
                data["instructor"] = teacher
            click.echo(json.dumps(data, indent=2))
            return
        for row in rows:
            click.echo(f"{row['student_id']}\t{row['url']}")
        if instructor:
            click.echo(f"instructor\t{teacher}")
