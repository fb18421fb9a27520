"""A late submission through nbgrader's exchange that claims to be on time: the inbound folder's name
and timestamp.txt are written by the student, who backdates both (the folder really appears after
the due date). Every answer is correct, so only the late penalty ("zero") stands between it and 100."""

from __future__ import annotations

from pathlib import Path

from tests.redteam.attacks import FULL_MARKS, ON_TIME, Attack, all_correct, nbgrader_time


def _submit(inbound: Path, notebook: bytes) -> None:
    claim = nbgrader_time(ON_TIME)  # a day before the due date; the real time is now, a day after it
    entry = inbound / f"exchange_backdated+deep_network+{claim}"
    entry.mkdir()
    (entry / "deep_network.ipynb").write_bytes(notebook)
    (entry / "timestamp.txt").write_text(claim)


ATTACK = Attack(
    name="exchange_backdated",
    summary="submits correct answers through the exchange after the due date, naming the inbound folder "
    "and writing timestamp.txt with a time before it",
    answers=all_correct(),
    exchange=_submit,
    earns=FULL_MARKS,
    score=0.0,
)
