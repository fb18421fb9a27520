"""Fake protocol lines: JSON events on stdout/stderr, and call-progress lines written to every open
file descriptor of the call process (one of them is the supervisor's pipe)."""

from __future__ import annotations

from tests.redteam.attacks import FUNCTIONS, WRONG, Attack, Cell

EVENTS = r"""
import json
import os
import sys

cells = json.load(open("/job/cells.json"))
lines = [json.dumps({"event": "end", "index": c["index"], "status": "ok", "stdout": "passed"}) for c in cells]
lines.append(json.dumps({"event": "done", "time": 0}))
fake = ("\n".join(lines) + "\n").encode()
for fd in (1, 2):
    os.write(fd, fake)
sys.__stdout__.write(fake.decode())
print('{"status": "ok", "seconds": 0.0}')
print('{"score": 100, "max_score": 100, "status": "graded"}')
"""

SPAM = """
    import os as _o
    _claim = "".join(f"D {n}\\nS {n}\\n" for n in range(0, 200)).encode()
    for _fd in range(3, 64):
        try:
            _o.write(_fd, _claim)
        except OSError:
            pass
"""

ATTACK = Attack(
    name="fake_protocol_lines",
    summary="prints fake 'end ok'/'done' events and fake status JSON on stdout/stderr, and every graded "
    "function writes fake 'call started/done' lines to every open file descriptor",
    answers={function: WRONG[function].replace("):\n", "):\n" + SPAM, 1) for function in FUNCTIONS},
    cells=(Cell(EVENTS, after="start"), Cell(EVENTS)),
)
