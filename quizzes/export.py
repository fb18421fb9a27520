"""Export the bank, or the questions one quiz can use, as GIFT, Moodle XML or a QTI zip.

``export_bank`` returns the file's bytes; the CLI writes them to ``--output`` or stdout (text
formats only). For a quiz, the exported questions are every question the quiz can draw: its fixed
questions, every alternative of its groups and every question of its pools.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from grader.errors import DlgradeError
from quizzes.bank import Bank
from quizzes.gift import write_gift
from quizzes.moodlexml import write_moodle_xml
from quizzes.qti import write_qti_zip
from quizzes.quiz import Quiz, check_quiz
from quizzes.schema import Question

Format = Literal["gift", "moodle-xml", "qti"]
FORMATS: tuple[Format, ...] = ("gift", "moodle-xml", "qti")
EXTENSIONS: dict[str, str] = {"gift": ".gift.txt", "moodle-xml": ".xml", "qti": ".zip"}


@dataclass(frozen=True)
class Export:
    """An exported file: its content, a default file name, and how many questions it holds."""

    content: bytes
    filename: str
    questions: int
    binary: bool


def quiz_questions(quiz: Quiz, bank: Bank) -> list[Question]:
    """Every question ``quiz`` can put on a paper, in slot order, each once."""
    check_quiz(quiz, bank)
    named = quiz.named_ids()
    seen: dict[str, Question] = {}
    for slot in quiz.slots:
        if slot.kind == "pool":
            ids = [
                q.id
                for q in bank.with_tag(slot.tag)
                if q.id not in named and (not slot.types or q.type in slot.types)
            ]
        else:
            ids = list(slot.ids)
        for qid in ids:
            seen.setdefault(qid, bank.get(qid))
    return list(seen.values())


def export_bank(bank: Bank, fmt: str, quiz: Quiz | None = None) -> Export:
    """The export of the whole bank (or of ``quiz``'s questions) in ``fmt``."""
    if fmt not in FORMATS:
        raise DlgradeError(f"unknown export format {fmt!r} (use {', '.join(FORMATS)})")
    questions = quiz_questions(quiz, bank) if quiz is not None else list(bank.questions.values())
    if not questions:
        raise DlgradeError("nothing to export: no questions")
    ident = quiz.id if quiz is not None else "dlgrade-bank"
    title = quiz.title if quiz is not None else "dlgrade question bank"
    filename = ident + EXTENSIONS[fmt]
    if fmt == "gift":
        return Export(write_gift(questions, title).encode("utf-8"), filename, len(questions), False)
    if fmt == "moodle-xml":
        return Export(write_moodle_xml(questions).encode("utf-8"), filename, len(questions), False)
    return Export(write_qti_zip(questions, ident, title), filename, len(questions), True)


def write_export(export: Export, output: Path) -> Path:
    """Write ``export`` to ``output`` (a file, or a directory to put the default file name in)."""
    target = output / export.filename if output.is_dir() else output
    try:
        target.write_bytes(export.content)
    except OSError as exc:
        raise DlgradeError(f"{target}: cannot write ({exc.strerror or exc})") from None
    return target
