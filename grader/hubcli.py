"""The ``dlgrade hub`` commands: write a course's hub configuration, start the hub, add students,
release feedback through the exchange."""

from __future__ import annotations

import csv
import os
import signal
import sys
import time
from pathlib import Path

import click
from rich.console import Console

from grader.cliopts import course_option, reports_errors

HUB_DIR = click.argument("hub_dir", type=click.Path(file_okay=False, path_type=Path))


def register(cli: click.Group) -> None:
    """Add the ``hub`` group to the ``dlgrade`` command."""

    @cli.group("hub")
    def hub() -> None:
        """Run the course on JupyterHub: configuration, the hub process, students."""

    @hub.command("config")
    @HUB_DIR
    @course_option
    @click.option("--owner", required=True, help="OS account that owns the course (runs its formgrader).")
    @click.option(
        "--instructor", "instructors", multiple=True, help="Instructor account (repeatable; default: owner)."
    )
    @click.option("--ip", default="127.0.0.1", show_default=True, help="Address the hub listens on.")
    @click.option(
        "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="0: free ports."
    )
    @click.option(
        "--auth", "authenticator", type=click.Choice(["pam", "dummy"]), default="pam", show_default=True
    )
    @click.option(
        "--dummy-password", default=None, help="Shared password of the dummy authenticator (tests)."
    )
    @click.option("--no-quiz", is_flag=True, help="Leave the quiz page out.")
    @click.option(
        "--quiz-arg", "quiz_args", multiple=True, help="Extra argument of `dlgrade quiz serve` (repeatable)."
    )
    @click.option(
        "--idle-timeout",
        type=click.IntRange(0),
        default=3600,
        show_default=True,
        help="Seconds; 0: no culler.",
    )
    @reports_errors
    def config_cmd(
        hub_dir: Path,
        course_dir: Path,
        owner: str,
        instructors: tuple[str, ...],
        ip: str,
        port: int,
        authenticator: str,
        dummy_password: str | None,
        no_quiz: bool,
        quiz_args: tuple[str, ...],
        idle_timeout: int,
    ) -> None:
        """Write the hub configuration for the course into HUB_DIR (adds the course when HUB_DIR has others).

        \b
        Example:
          dlgrade hub config /srv/dlhub --course /home/teacher/dl2026 --owner teacher
        """
        from grader.commands import open_course
        from grader.hub import write_hub_config

        settings = write_hub_config(
            hub_dir,
            open_course(course_dir),
            owner=owner,
            instructors=list(instructors),
            ip=ip,
            port=port,
            authenticator="dummy" if authenticator == "dummy" else "pam",
            dummy_password=dummy_password,
            quiz=not no_quiz,
            quiz_args=list(quiz_args),
            idle_timeout_s=idle_timeout,
        )
        courses = ", ".join(c.id for c in settings.courses)
        click.echo(f"Wrote {hub_dir / 'jupyterhub_config.py'} (courses: {courses}; hub at {settings.url})")

    @hub.command("start")
    @HUB_DIR
    @click.option("--proxy", default=None, help="configurable-http-proxy executable (default: found).")
    @click.option("--debug", is_flag=True, help="JupyterHub's debug log.")
    @reports_errors
    def start_cmd(hub_dir: Path, proxy: str | None, debug: bool) -> None:
        """Start the hub of HUB_DIR in the foreground; Ctrl-C stops it.

        Run it as root: single-user servers run as their users' OS accounts.
        """
        from grader.hub import start_hub

        console = Console(stderr=True)
        with console.status(f"starting the hub of {hub_dir} ..."):
            hub = start_hub(hub_dir, proxy=proxy, debug=debug)
        click.echo(f"JupyterHub is running at {hub.url} (log: {hub.log}); Ctrl-C stops it")
        stopping = False

        def _stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, _stop)
        try:
            while not stopping and hub.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            hub.stop()
        if not stopping and hub.process.returncode not in (0, None, -signal.SIGTERM):
            click.echo(f"the hub exited with status {hub.process.returncode}:\n{hub.log_tail()}", err=True)
            sys.exit(1)

    @hub.command("add-students")
    @HUB_DIR
    @click.argument("names", nargs=-1)
    @click.option("--course-id", required=True, help="The course on the hub.")
    @click.option(
        "--from",
        "from_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="A file of user names, one a line (a CSV's first column).",
    )
    @click.option(
        "--create-accounts", is_flag=True, help="Create missing OS accounts with random passwords (root)."
    )
    @click.option(
        "--passwords",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Write name,password of created accounts here (mode 600) instead of printing them.",
    )
    @reports_errors
    def add_students_cmd(
        hub_dir: Path,
        names: tuple[str, ...],
        course_id: str,
        from_file: Path | None,
        create_accounts: bool,
        passwords: Path | None,
    ) -> None:
        """Add students to a course on the hub: accounts, hub users, group nbgrader-COURSE, gradebook.

        \b
        Example:
          dlgrade hub add-students /srv/dlhub --course-id dl2026 --from roster.csv --create-accounts \\
              --passwords initial-passwords.csv
        """
        from grader.hub import HubAPI
        from grader.hub_roster import add_students

        wanted = list(names)
        if from_file is not None:
            with from_file.open(encoding="utf-8", newline="") as handle:
                wanted += [row[0].strip() for row in csv.reader(handle) if row and row[0].strip()]
            if wanted and wanted[len(names)] in ("name", "username", "student", "student_id"):
                del wanted[len(names)]  # a header row
        if not wanted:
            raise click.UsageError("give student names or --from FILE")
        api = HubAPI.for_hub(hub_dir)
        online = api.reachable()
        accounts = add_students(hub_dir, course_id, wanted, create_accounts=create_accounts, api=api)
        created = [a for a in accounts if a.password]
        where = "the running hub" if online else "the settings (the hub picks them up when it starts)"
        click.echo(
            f"Added {len(accounts)} student(s) to {course_id} in {where}; created {len(created)} account(s)"
        )
        if created and passwords is not None:
            fd = os.open(passwords, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["name", "password"])
                writer.writerows([a.name, a.password] for a in created)
            click.echo(f"Initial passwords: {passwords}")
        else:
            for account in created:
                click.echo(f"  {account.name}  {account.password}")

    @hub.command("release-feedback")
    @click.argument("assignment")
    @course_option
    @reports_errors
    def release_feedback_cmd(assignment: str, course_dir: Path) -> None:
        """Publish the feedback pages of ASSIGNMENT to the exchange (students: nbgrader fetch_feedback)."""
        from grader.commands import open_course
        from grader.hub import release_feedback

        students = release_feedback(open_course(course_dir), assignment)
        click.echo(f"Released feedback of {assignment} to {len(students)} student(s) through the exchange")
