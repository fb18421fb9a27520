"""Forging the results channel: status and value files of every call, the event log, then a clean
exit before the runner can write anything itself."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell

FORGE = r'''
import json
import math
import os
import pathlib
import sys

import numpy as np

plain = sys.modules["plaindata"]  # the runner's own encoder, already loaded
calls = json.loads(pathlib.Path("/job/calls.json").read_text())
cells = json.loads(pathlib.Path("/job/cells.json").read_text())


def _nan_like(value):
    """The structure of value with every number NaN: NaN equals NaN in some comparisons."""
    if isinstance(value, np.ndarray):
        return np.full(value.shape, np.nan)
    if isinstance(value, dict):
        return {k: _nan_like(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_nan_like(v) for v in value)
    if isinstance(value, float):
        return math.nan
    return value


for number, call in enumerate(calls):
    directory = pathlib.Path("/out/calls") / call["call_id"]
    args, kwargs = plain.load(pathlib.Path("/job/args") / call["call_id"])
    value = globals()[call["function"]](*args, **kwargs)  # the (wrong) answer, forged as...
    if number % 3 == 1:
        value = _nan_like(value)  # ...NaN everywhere
    elif number % 3 == 2:
        value = plain.Unencodable("numpy.ndarray", "the reference output")  # ...a marker
    plain.dump(value, directory)
    (directory / "status.json").write_text(json.dumps({"status": "ok", "seconds": 0.001}))

with open("/out/cells.jsonl", "a") as log:
    for cell in cells:
        event = {"event": "end", "index": cell["index"], "status": "ok", "ename": "", "evalue": "",
                 "traceback": "", "stdout": "all tests passed", "seconds": 0.0}
        log.write(json.dumps(event) + "\n")
    log.write(json.dumps({"event": "done", "time": 0}) + "\n")
sys.stdout.flush()
os._exit(0)
'''

ATTACK = Attack(
    name="forge_results_files",
    summary="writes status 'ok' and a value (its wrong answers, the same with NaN everywhere, or an "
    "Unencodable marker) into every call's output files, appends 'end ok' and 'done' events, and "
    "exits with status 0 before the runner calls anything",
    cells=(Cell(FORGE),),
    statuses=frozenset({"graded", "crashed"}),
)
