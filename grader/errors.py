"""The exception hierarchy: every error dlgrade reports derives from DlgradeError."""

from __future__ import annotations

from pathlib import Path


class DlgradeError(Exception):
    """Base of every error dlgrade reports; the CLI prints ``Error: <message>`` and exits 1.

    Subclasses carry what the error concerns (assignment, notebook, cell, file) so that the
    message names it.
    """

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class FileError(DlgradeError):
    """A problem with one file (missing, unreadable, malformed)."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = Path(path)
        super().__init__(f"{self.path}: {message}")


class ReferenceCheckError(DlgradeError):
    """One or more reference checks failed."""

    def __init__(self, failed: list[str]) -> None:
        self.failed = failed
        super().__init__(f"{len(failed)} reference check(s) failed: " + ", ".join(failed))
