"""A number that plain data carries but float() cannot convert: a 3000-digit integer as the cost.

The answer is simply wrong: compute_cost must score 0 and, like any wrong answer, must not cost
the submission the points of its correct linear_forward.
"""

from __future__ import annotations

from tests.redteam.attacks import GRADED, Attack, correct

ATTACK = Attack(
    name="huge_int_result",
    summary="compute_cost returns 10**3000 (an int within plain data's limits, too large for a float); "
    "linear_forward is correct",
    answers={
        "linear_forward": correct("linear_forward"),
        "compute_cost": "def compute_cost(AL, Y):\n    return 10**3000\n",
    },
    earns={GRADED["linear_forward"]: 10.0},
)
