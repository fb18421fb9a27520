"""Patching the runner from inside: its Runner object (found with gc), its module's helpers, the
plaindata encoder in sys.modules, so that every call reports a forged success."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell

PATCH = r"""
import gc
import json
import math
import os
import sys

import numpy as np

plain = sys.modules["plaindata"]
runner = next(obj for obj in gc.get_objects() if type(obj).__name__ == "Runner")
runner_globals = type(runner).call.__globals__

_real_dump = plain.dump
_real_write_json = runner_globals["_write_json"]


def forged_dump(value, directory, *args, **kwargs):
    # Whatever the function returned, report "a float that is NaN" (NaN == NaN in some comparisons).
    return _real_dump(math.nan, directory)


def forged_write_json(path, record):
    record = dict(record)
    if record.get("status") in ("error", "timeout", "missing", "running"):
        record = {"status": "ok", "seconds": 0.0}
    return _real_write_json(path, record)


plain.dump = forged_dump
runner_globals["_write_json"] = forged_write_json
runner_globals["_describe"] = lambda exc: ("", "", "")
runner.settings["call_seconds"] = 10**6
runner.settings["cell_seconds"] = 10**6
runner.output_left = 10**12
runner_globals["_now"] = lambda: 0.0


def forged_call(call, *, in_process):
    directory = runner.out / "calls" / call["call_id"]
    _real_dump({"W1": np.zeros((1, 1))}, directory)
    _real_write_json(directory / "status.json", {"status": "ok", "seconds": 0.0})


runner.call = forged_call
runner.leave_if_forked = lambda: None
"""

ATTACK = Attack(
    name="patch_runner",
    summary="finds the runner's Runner object with gc and replaces its call method, its module's "
    "_write_json/_describe/_now, its limits, and plaindata.dump in sys.modules, so that every call "
    "reports success with a forged value",
    cells=(Cell(PATCH),),
)
