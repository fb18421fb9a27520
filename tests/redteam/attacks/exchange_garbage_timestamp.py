"""A late submission through nbgrader's exchange whose timestamp.txt is not a time: a submission of
unknown time must not count as on time. Every answer is correct; the late policy is "zero"."""

from __future__ import annotations

from pathlib import Path

from tests.redteam.attacks import FULL_MARKS, NOW, Attack, all_correct, nbgrader_time


def _submit(inbound: Path, notebook: bytes) -> None:
    entry = inbound / f"exchange_garbage_timestamp+deep_network+{nbgrader_time(NOW)}"
    entry.mkdir()
    (entry / "deep_network.ipynb").write_bytes(notebook)
    (entry / "timestamp.txt").write_text("submitted on time, I promise")


ATTACK = Attack(
    name="exchange_garbage_timestamp",
    summary="submits correct answers through the exchange after the due date with a timestamp.txt that "
    "is not a time",
    answers=all_correct(),
    exchange=_submit,
    earns=FULL_MARKS,
    score=0.0,
)
