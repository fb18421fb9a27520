"""Answers looked up instead of computed: other hidden calls' inputs (readable in /job/args) hold
caches made by the reference's forward pass; if a case's inputs reappear there, its output does too."""

from __future__ import annotations

from tests.redteam.attacks import WRONG, Attack, Cell

ORACLE = r'''
import glob
import pathlib
import sys

import numpy as np

plain = sys.modules["plaindata"]
_inputs = []
for directory in sorted(glob.glob("/job/args/*")):
    try:
        _inputs.append(plain.load(pathlib.Path(directory)))
    except Exception:
        pass


def _walk(value):
    yield value
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)


def _same(a, b):
    arrays = isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
    return arrays and a.shape == b.shape and np.array_equal(a, b)


def _layer_cache(A, W, b):
    """A cache ((A, W, b), Z) of a reference forward pass on exactly these inputs, if one was sent."""
    for value in _walk(_inputs):
        if (isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], (list, tuple))
                and len(value[0]) == 3 and all(_same(x, y) for x, y in zip(value[0], (A, W, b)))):
            return value
    return None


def linear_forward(A, W, b):
    found = _layer_cache(A, W, b)
    if found is not None:
        return found[1], (A, W, b)
    return _wrong_linear_forward(A, W, b)


def L_model_forward(X, parameters):
    # L_model_backward's cases carry AL and the caches of a reference forward pass.
    for args, kwargs in _inputs:
        if len(args) == 3 and isinstance(args[2], list) and args[2]:
            caches = args[2]
            try:
                if _same(caches[0][0][0], X) and all(
                    _same(caches[l - 1][0][1], parameters["W" + str(l)]) for l in range(1, len(caches) + 1)
                ):
                    return args[0], caches
            except (KeyError, IndexError, TypeError):
                continue
    return _wrong_L_model_forward(X, parameters)
'''

ATTACK = Attack(
    name="cross_call_oracle",
    summary="loads every hidden call's inputs from /job/args and answers linear_forward and "
    "L_model_forward from the reference caches found there (never its own computation)",
    answers={
        "linear_forward": WRONG["linear_forward"].replace("def linear_forward", "def _wrong_linear_forward"),
        "L_model_forward": WRONG["L_model_forward"].replace(
            "def L_model_forward", "def _wrong_L_model_forward"
        ),
    },
    cells=(Cell(ORACLE),),
)
