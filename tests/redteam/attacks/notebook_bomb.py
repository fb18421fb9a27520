"""A notebook file built to hurt the parser: JSON nested 100,000 levels deep in a cell's metadata."""

from __future__ import annotations

import json

from tests.redteam.attacks import Attack, Context


def _raw(ctx: Context) -> bytes:
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"nbgrader": {"grade_id": "linear_forward", "solution": True}},
                "source": "def linear_forward(A, W, b):\n    return A, (A, W, b)\n",
                "outputs": [],
                "execution_count": None,
            }
        ],
    }
    text = json.dumps(nb)
    depth = 100_000
    return text.replace(
        '"metadata": {}', '"metadata": {"deep": ' + "[" * depth + "]" * depth + "}", 1
    ).encode()


ATTACK = Attack(
    name="notebook_bomb",
    summary="a notebook whose metadata nests 100,000 JSON lists (a recursion bomb for json.loads)",
    raw=_raw,
    statuses=frozenset({"invalid"}),
)
