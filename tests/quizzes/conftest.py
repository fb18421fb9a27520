"""Fixtures of the quiz tests: the shipped bank (loaded once) and a writer of question files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from quizzes.bank import Bank, load_bank
from quizzes.schema import Question, parse_question


@pytest.fixture(scope="session")
def bank() -> Bank:
    return load_bank()


def make_question(data: dict[str, Any], qid: str = "q") -> Question:
    """A Question from a dict, as if read from quizzes/bank/<qid>.yaml."""
    return parse_question(Path(f"quizzes/bank/{qid}.yaml"), data)


BASE = {
    "title": "T",
    "text": "Text",
    "tags": ["cnn"],
    "points": 2,
    "feedback": "Because it is so, and here is why.",
}


def choice_question(
    qtype: str = "multiple", rule: str = "net-correct", correct=(0, 2), n: int = 5
) -> Question:
    choices = [{"text": f"c{i}", "correct": i in correct, "feedback": f"fb{i}"} for i in range(n)]
    data = {**BASE, "type": qtype, "choices": choices}
    if qtype == "multiple":
        data["partial_credit"] = rule
    return make_question(data)


@pytest.fixture
def write_question(tmp_path: Path) -> Callable[[str, Any], Path]:
    """Write a question file into tmp_path/bank and return its path."""
    folder = tmp_path / "bank"
    folder.mkdir()

    def write(qid: str, data: Any) -> Path:
        path = folder / f"{qid}.yaml"
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
        return path

    return write
