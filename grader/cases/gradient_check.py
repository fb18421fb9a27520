"""Hidden checks of the "gradient checking" assignment: the 1-D toy and the 3-layer net.

The 1-D functions (J = theta * x, its derivative, and the two-sided check) run on values drawn
per grading seed, negative, tiny, large and integer ones included, with several epsilons.

The 3-layer functions run on nets whose sizes (n_x, n_1, n_2, m) are drawn per seed, with a
single example and 1-D labels as in the course's own test. ``backward_propagation_n`` is the
student's FIXED version of the notebook's planted-bug backward pass; its cache comes from a real
reference forward pass. ``gradient_check_n`` gets correct gradients (the difference is rounding
noise, compared with an absolute floor) and wrong ones (the course's planted bugs, one entry
slightly off, every sign flipped, random gradients), whose differences are decided by the maths
and must match the reference's relatively: a function that returns a constant cannot pass both.
"""

from __future__ import annotations

import math

import numpy as np

from grader.cases.checkdef import Case, CheckDef
from grader.cases.regularization import _size, problem
from grader.compare import Verdict, compare
from reference import gradient_check as gc
from reference.arraytypes import Array, Params
from reference.checks.gradient_check import course_buggy_backward_n

DIFFERENCE_RTOL = 1e-4
"""gradient_check_n: relative tolerance on a difference decided by the maths (wrong gradients).
The two-sided slopes carry rounding noise of ~1e-9 relative at the epsilons used here."""

DIFFERENCE_FLOOR = 2e-8
"""gradient_check_n: differences this close to the reference's count as equal. Correct gradients
give pure rounding noise (~1e-10 at epsilon 1e-6), which depends on how the cost is written."""


MAX_DRAWS = 20
"""gradient_check_n: how many nets a family may draw before it keeps an unclear one."""


# ---------------------------------------------------------------------------------------------
# The 1-D toy


def _value(rng: np.random.Generator, low: float, high: float) -> float:
    """A float in [low, high) with a random sign."""
    return float(rng.uniform(low, high) * rng.choice([-1.0, 1.0]))


def toy_cases(rng: np.random.Generator) -> list[Case]:
    """(x, theta) pairs: positive, negative, zero theta, large, small and integer values."""
    return [
        Case("positive values", (float(rng.uniform(0.5, 5.0)), float(rng.uniform(0.5, 5.0)))),
        Case("negative x", (-float(rng.uniform(0.5, 5.0)), float(rng.uniform(0.5, 5.0)))),
        Case("theta = 0", (_value(rng, 0.5, 5.0), 0.0)),
        Case("large values", (_value(rng, 100.0, 1000.0), _value(rng, 100.0, 1000.0))),
        Case("small values", (_value(rng, 1e-3, 1e-2), _value(rng, 1e-3, 1e-2))),
        Case("integers", (int(rng.integers(2, 20)), int(rng.integers(-20, -2)))),
    ]


def gradient_check_cases(rng: np.random.Generator) -> list[Case]:
    """(x, theta[, epsilon]) with the default epsilon and larger ones."""
    return [
        Case("default epsilon", (float(rng.uniform(0.5, 5.0)), float(rng.uniform(0.5, 5.0)))),
        Case("negative x, default epsilon", (-float(rng.uniform(0.5, 5.0)), _value(rng, 0.5, 5.0))),
        Case("epsilon = 1e-4", (_value(rng, 0.5, 5.0), _value(rng, 0.5, 5.0)), {"epsilon": 1e-4}),
        Case(
            "epsilon = 1e-2, large theta",
            (_value(rng, 1.0, 10.0), _value(rng, 50.0, 500.0)),
            {"epsilon": 1e-2},
        ),
        Case("small x", (_value(rng, 1e-3, 1e-2), _value(rng, 0.5, 5.0)), {"epsilon": 1e-5}),
    ]


def _gradient_check(x: float, theta: float, epsilon: float = 1e-7, print_msg: bool = False) -> float:
    return gc.gradient_check(x, theta, epsilon, print_msg)


# ---------------------------------------------------------------------------------------------
# The 3-layer net


def _net_sizes(rng: np.random.Generator, family: str) -> tuple[int, int, int, int]:
    """(n_x, n_1, n_2, m): the course's layout (4, 5, 3) with another m, or drawn sizes."""
    if family == "course layout":
        return 4, 5, 3, _size(rng, 2, 9, avoid=(3,))
    m = 1 if family == "single example" else _size(rng, 3, 12)
    n_x = _size(rng, 2, 5)
    n_1 = _size(rng, 3, 7, avoid=(n_x,))
    return n_x, n_1, _size(rng, 2, 5, avoid=(n_x, n_1)), m


def _labels_1d(Y: Array) -> Array:
    flat: Array = Y.reshape(-1).copy()
    return flat


def _net_problems(rng: np.random.Generator) -> list[tuple[str, Array, Array, Params]]:
    """(family, X, Y, parameters) for five kinds of net, one with the course's 1-D labels."""
    problems = []
    for family in ("course layout", "typical net", "single example", "1-D labels", "larger batch"):
        n_x, n_1, n_2, m = _net_sizes(rng, family)
        if family == "larger batch":
            m = _size(rng, 30, 60)
        X, Y, parameters = problem(rng, n_x, n_1, n_2, m)
        problems.append((family, X, _labels_1d(Y) if family == "1-D labels" else Y, parameters))
    return problems


def forward_n_cases(rng: np.random.Generator) -> list[Case]:
    """(X, Y, parameters) on five kinds of net, one with the course's 1-D labels."""
    return [Case(family, (X, Y, parameters)) for family, X, Y, parameters in _net_problems(rng)]


def backward_n_cases(rng: np.random.Generator) -> list[Case]:
    """(X, Y, cache) with the cache of a reference ``forward_propagation_n``."""
    return [
        Case(family, (X, Y, gc.forward_propagation_n(X, Y, parameters)[1]))
        for family, X, Y, parameters in _net_problems(rng)
    ]


def _gradient_check_n_case(rng: np.random.Generator, family: str) -> Case:
    """One case of ``family``: a net, its gradients (correct or made wrong) and the epsilon."""
    n_x, n_1, n_2, m = _net_sizes(rng, "single example" if "single" in family else "typical net")
    if family == "the course's planted bugs":
        n_x, n_1, n_2, m = _net_sizes(rng, "course layout")
    X, Y, parameters = problem(rng, n_x, n_1, n_2, m)
    if "1-D" in family:
        Y = _labels_1d(Y)
    _, cache = gc.forward_propagation_n(X, Y, parameters)
    gradients = gc.backward_propagation_n(X, Y, cache)
    kwargs: dict[str, object] = {"epsilon": 1e-6}
    if family == "the course's planted bugs":
        gradients = course_buggy_backward_n(X, Y, cache)
        kwargs = {}  # the default epsilon, 1e-7
    elif family == "one entry slightly off":
        key = str(rng.choice(["dW1", "dW2", "dW3"]))
        wrong = gradients[key].copy()
        index = tuple(int(rng.integers(0, n)) for n in wrong.shape)
        wrong[index] += 0.02 * float(np.linalg.norm(gradients[key])) + 1e-3
        gradients[key] = wrong
    elif family == "every sign flipped":
        gradients = {key: -value for key, value in gradients.items()}
    elif family.startswith("random"):
        gradients = {key: rng.standard_normal(value.shape) for key, value in gradients.items()}
    return Case(family, (parameters, gradients, X, Y), kwargs)


def _clear_verdict(case: Case) -> bool:
    """Whether the reference difference says clearly what the family means: tiny for correct
    gradients (no ReLU kink within epsilon), large for wrong ones (the bugs touch live units)."""
    parameters, gradients, X, Y = case.args
    assert isinstance(parameters, dict) and isinstance(gradients, dict)
    assert isinstance(X, np.ndarray) and isinstance(Y, np.ndarray)
    difference = _gradient_check_n(parameters, gradients, X, Y, **case.kwargs)  # type: ignore[arg-type]
    return difference < 1e-8 if case.family.startswith("correct") else difference > 1e-3


def gradient_check_n_cases(rng: np.random.Generator) -> list[Case]:
    """(parameters, gradients, X, Y[, epsilon]): two cases with correct gradients, four wrong.

    A net whose verdict is unclear (a ReLU kink within epsilon, or planted bugs on dead units
    only) is drawn again, up to MAX_DRAWS times.
    """
    cases = []
    for family in (
        "correct gradients",
        "correct gradients, single example",
        "the course's planted bugs",
        "one entry slightly off",
        "every sign flipped",
        "random gradients, 1-D labels",
    ):
        for _ in range(MAX_DRAWS):
            case = _gradient_check_n_case(rng, family)
            if _clear_verdict(case):
                break
        cases.append(case)
    return cases


def compare_difference(expected: object, actual: object) -> Verdict:
    """A difference within DIFFERENCE_RTOL of the reference's, or within DIFFERENCE_FLOOR of it
    when both are rounding noise."""
    structure = compare(expected, actual, rtol=DIFFERENCE_RTOL, atol=DIFFERENCE_FLOOR, what="difference")
    if not structure.passed:
        return structure
    got = float(np.asarray(actual))
    if math.isfinite(got) and got >= 0.0:
        return Verdict(True, "")
    return Verdict(False, f"difference: is {got}; expected a number >= 0")


def _gradient_check_n(
    parameters: Params,
    gradients: Params,
    X: Array,
    Y: Array,
    epsilon: float = 1e-7,
    print_msg: bool = False,
) -> float:
    return gc.gradient_check_n(parameters, gradients, X, Y, epsilon, print_msg)


# ---------------------------------------------------------------------------------------------
# The checks


def checks() -> list[CheckDef]:
    """The hidden checks of the gradient-checking assignment, in the notebook's order."""
    return [
        CheckDef(
            name="gradient_check.forward_propagation",
            function="forward_propagation",
            reference=gc.forward_propagation,
            make_cases=toy_cases,
            description="the 1-D cost J = theta * x",
            args=("x", "theta"),
            output="J",
        ),
        CheckDef(
            name="gradient_check.backward_propagation",
            function="backward_propagation",
            reference=gc.backward_propagation,
            make_cases=toy_cases,
            description="dJ/dtheta of J = theta * x",
            args=("x", "theta"),
            output="dtheta",
        ),
        CheckDef(
            name="gradient_check.gradient_check",
            function="gradient_check",
            reference=_gradient_check,
            make_cases=gradient_check_cases,
            description="relative difference between dtheta and the two-sided slope of J",
            args=("x", "theta", "epsilon", "print_msg"),
            output="difference",
            # The difference is rounding noise (1e-13 .. 1e-9): the default absolute tolerance
            # would accept any small number, so only a relative one applies.
            atol=0.0,
        ),
        CheckDef(
            name="gradient_check.forward_propagation_n",
            function="forward_propagation_n",
            reference=gc.forward_propagation_n,
            make_cases=forward_n_cases,
            description="the 3-layer net's mean cross-entropy and its 12-entry cache",
            args=("X", "Y", "parameters"),
            output=("cost", "cache"),
        ),
        CheckDef(
            name="gradient_check.backward_propagation_n",
            function="backward_propagation_n",
            reference=gc.backward_propagation_n,
            make_cases=backward_n_cases,
            description="the fixed backward pass of the 3-layer net (no planted bugs left)",
            args=("X", "Y", "cache"),
            output="gradients",
            allow_extra_keys=True,
        ),
        CheckDef(
            name="gradient_check.gradient_check_n",
            function="gradient_check_n",
            reference=_gradient_check_n,
            make_cases=gradient_check_n_cases,
            description="the relative difference between given gradients and two-sided slopes of the cost",
            args=("parameters", "gradients", "X", "Y", "epsilon", "print_msg"),
            output="difference",
            comparer=compare_difference,
        ),
    ]
