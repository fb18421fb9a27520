"""Checks of reference.gradient_check (the 1-D toy and the 3-layer net's gradient checker)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from reference import gradient_check as gc
from reference.arraytypes import Array, Params
from reference.checks.numeric import relative_error
from reference.checks.registry import Check
from reference.checks.regularization import make_problem as regularization_problem
from reference.checks.regularization import worst_parameter_error

ForwardN = Callable[[Array, Array, Params], tuple[float, gc.NetCache]]
BackwardN = Callable[[Array, Array, gc.NetCache], Params]
GradientCheckN = Callable[[Params, Params, Array, Array], float]

SIZES = ((4, 5, 3, 3), (3, 6, 4, 8), (2, 3, 2, 1))
"""(n_x, n_1, n_2, m): the course's layout and two others, one with a single example."""

PARAM_KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")


def make_problem(
    rng: np.random.Generator, n_x: int, n_1: int, n_2: int, m: int
) -> tuple[Array, Array, Params]:
    """Random X: (n_x, m), 0/1 labels Y: (1, m) and parameters of the 3-layer net (weights * 0.6)."""
    return regularization_problem(rng, n_x, n_1, n_2, m, scale=0.6)


def course_problem() -> tuple[Array, Array, Params]:
    """The course's gradient_check_n test case: np.random.seed(1); x = randn(4, 3);
    y = [1, 1, 0] (1-D, as in the course); then W1 (5, 4), b1, W2 (3, 5), b2, W3 (1, 3), b3."""
    state = np.random.get_state()
    try:
        np.random.seed(1)
        X: Array = np.random.randn(4, 3)
        Y = np.array([1.0, 1.0, 0.0])
        params: Params = {k: np.random.randn(*shape) for k, shape in gc.COURSE_SHAPES.items()}
    finally:
        np.random.set_state(state)
    return X, Y, params


def course_buggy_backward_n(X: Array, Y: Array, cache: gc.NetCache) -> Params:
    """The course notebook's backward_propagation_n with its two planted bugs:
    dW2 multiplied by 2 and db1 computed with 4/m instead of 1/m."""
    grads = dict(gc.backward_propagation_n(X, Y, cache))
    grads["dW2"] = grads["dW2"] * 2
    grads["db1"] = grads["db1"] * 4
    return grads


def check_backward_propagation_n(
    forward: ForwardN = gc.forward_propagation_n, backward: BackwardN = gc.backward_propagation_n
) -> float:
    """Worst relative error of dW/db against centered differences (h = 1e-5) of the cost."""
    rng = np.random.default_rng(0)
    worst = 0.0
    for sizes in SIZES:
        X, Y, params = make_problem(rng, *sizes)
        _, cache = forward(X, Y, params)
        grads = backward(X, Y, cache)
        cost = lambda: gc.forward_propagation_n(X, Y, params)[0]  # noqa: E731
        worst = max(worst, worst_parameter_error(grads, params, cost))
    return worst


def check_backward_n_torch(
    forward: ForwardN = gc.forward_propagation_n, backward: BackwardN = gc.backward_propagation_n
) -> float:
    """Worst relative error of the cost and dW/db against torch autograd in float64.

    The cost is compared with torch's logits-based cross-entropy; the course's formula works
    on probabilities, whose log(1 - A3) magnifies rounding for confident predictions, so the
    cost may differ in the last few digits on saturated nets (2e-15 relative on these).
    """
    import torch

    rng = np.random.default_rng(1)
    worst = 0.0
    for sizes in (*SIZES, (5, 12, 6, 40)):
        X, Y, params = make_problem(rng, *sizes)
        cost, cache = forward(X, Y, params)
        grads = backward(X, Y, cache)
        t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
        A1 = torch.relu(t["W1"] @ torch.tensor(X) + t["b1"])
        A2 = torch.relu(t["W2"] @ A1 + t["b2"])
        Z3 = t["W3"] @ A2 + t["b3"]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(Z3, torch.tensor(Y))
        loss.backward()
        worst = max(worst, relative_error(cost, float(loss.item())))
        for key in PARAM_KEYS:
            grad = t[key].grad
            assert grad is not None
            worst = max(worst, relative_error(grads["d" + key], grad.numpy()))
    return worst


def check_planted_bug_flagged(
    gradient_check_n: GradientCheckN = gc.gradient_check_n,
    backward: BackwardN = gc.backward_propagation_n,
) -> float:
    """1.0 unless gradient_check_n puts the course's buggy backward above PASS_THRESHOLD and the
    correct one below it, on the course's test case and two random nets."""
    rng = np.random.default_rng(2)
    problems = [course_problem(), make_problem(rng, *SIZES[1]), make_problem(rng, 3, 5, 3, 4)]
    for X, Y, params in problems:
        _, cache = gc.forward_propagation_n(X, Y, params)
        good = gradient_check_n(params, backward(X, Y, cache), X, Y)
        bad = gradient_check_n(params, course_buggy_backward_n(X, Y, cache), X, Y)
        if not (good < gc.PASS_THRESHOLD < bad):
            return 1.0
    return 0.0


COURSE_BUGGY_DIFFERENCE = 0.2850931567761623
COURSE_CORRECT_DIFFERENCE = 1.1890913024229996e-07


def check_gradient_check_n_known(
    gradient_check_n: GradientCheckN = gc.gradient_check_n,
    backward: BackwardN = gc.backward_propagation_n,
) -> float:
    """Worst absolute error on the course's two expected differences: 0.2850931567761623 with the
    planted bugs and 1.1890913024229996e-07 without them (the course accepts either within
    np.isclose, i.e. 1e-8 absolute; the second is mostly rounding noise of its cost formula)."""
    X, Y, params = course_problem()
    _, cache = gc.forward_propagation_n(X, Y, params)
    bad = gradient_check_n(params, course_buggy_backward_n(X, Y, cache), X, Y)
    good = gradient_check_n(params, backward(X, Y, cache), X, Y)
    return max(abs(bad - COURSE_BUGGY_DIFFERENCE), abs(good - COURSE_CORRECT_DIFFERENCE))


def check_gradient_check_known(
    gradient_check: Callable[[float, float], float] = gc.gradient_check,
    forward: Callable[[float, float], float] = gc.forward_propagation,
    backward: Callable[[float, float], float] = gc.backward_propagation,
) -> float:
    """The 1-D toy on the course's values: J(x=2, theta=4) = 8, dtheta(3, 4) = 3, and the
    differences 7.814075313343006e-11 for (3, 4) and 2.919335883291695e-10 for (2, 4).

    The differences are pure rounding noise, so they are compared RELATIVELY (an absolute
    tolerance of 1e-8 would accept anything below it); J and dtheta absolutely.
    """
    errors = [
        abs(forward(2, 4) - 8.0),
        abs(backward(3, 4) - 3.0),
        abs(gradient_check(3, 4) / 7.814075313343006e-11 - 1.0),
        abs(gradient_check(2, 4) / 2.919335883291695e-10 - 1.0),
    ]
    return max(errors)


def check_vector_round_trip(
    to_vector: Callable[[Params], tuple[Array, list[str]]] = gc.dictionary_to_vector,
    to_dictionary: Callable[[Array, dict[str, tuple[int, ...]] | None], Params] = gc.vector_to_dictionary,
    gradients_to_vector: Callable[[Params], Array] = gc.gradients_to_vector,
) -> float:
    """1.0 unless flattening is the course's: theta (n, 1) stacks W1, b1, W2, ... row-major, the
    keys name each entry, vector_to_dictionary inverts it (default and custom shapes), and
    gradients_to_vector stacks dW1, db1, ... in the same order."""
    rng = np.random.default_rng(3)
    _, _, course = course_problem()
    _, _, other = make_problem(rng, 3, 6, 4, 2)
    for params, shapes in ((course, None), (other, {k: other[k].shape for k in PARAM_KEYS})):
        theta, keys = to_vector(params)
        expected = np.concatenate([params[k].reshape(-1, 1) for k in PARAM_KEYS])
        expected_keys = [k for k in PARAM_KEYS for _ in range(params[k].size)]
        back = to_dictionary(theta, shapes)
        grads = {"d" + k: v for k, v in params.items()}
        grads["dZ1"] = np.ones((9, 9))  # intermediate entries must be ignored
        ok = (
            theta.shape == expected.shape
            and np.array_equal(theta, expected)
            and list(keys) == expected_keys
            and set(back) == set(PARAM_KEYS)
            and all(np.array_equal(back[k], params[k]) for k in PARAM_KEYS)
            and np.array_equal(gradients_to_vector(grads), expected)
        )
        if not ok:
            return 1.0
    return 0.0


def checks() -> list[Check]:
    """The checks of the gradient-checking assignment."""
    topic = "gradient_check"
    return [
        Check(
            f"{topic}.backward_propagation_n",
            "gradient",
            "centered differences of forward_propagation_n, 3 sizes",
            check_backward_propagation_n,
            1e-7,
        ),
        Check(
            f"{topic}.backward_propagation_n",
            "oracle",
            "cost and dW/db vs torch autograd float64",
            check_backward_n_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            f"{topic}.gradient_check_n",
            "invariant",
            "flags the course's planted bugs, passes the correct backward",
            check_planted_bug_flagged,
            0.0,
        ),
        Check(
            f"{topic}.gradient_check_n",
            "known-value",
            "course differences 0.28509316 and 1.189e-7",
            check_gradient_check_n_known,
            1e-8,
        ),
        Check(
            f"{topic}.gradient_check",
            "known-value",
            "J(2,4)=8, dtheta=3, course differences (relative)",
            check_gradient_check_known,
            1e-9,
        ),
        Check(
            f"{topic}.dictionary_to_vector",
            "invariant",
            "course order, keys, round trip, gradients_to_vector",
            check_vector_round_trip,
            0.0,
        ),
    ]
