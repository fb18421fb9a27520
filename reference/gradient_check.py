"""Gradient checking, the course's way: two-sided differences compared through a norm ratio.

Two models are checked, as in the assignment:

* a 1-D toy, J(theta) = theta * x, whose derivative with respect to theta is x;
* the 3-layer classifier LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID with the
  cross-entropy averaged over the m examples. Its parameters are flattened into one column
  vector (``dictionary_to_vector``), each entry is nudged by +-epsilon, and the resulting
  two-sided slope is compared with the backward pass.

The verdict is ``difference = ||g - g_approx|| / (||g|| + ||g_approx||)``, which the course
accepts below ``PASS_THRESHOLD`` (2e-7) with its epsilon of 1e-7. ``backward_propagation_n`` here
is CORRECT: the course's notebook plants two bugs in it (``dW2`` doubled, ``db1`` with ``4/m``) for
students to find; the checks rebuild that buggy version to show that ``gradient_check_n`` flags it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from reference import regularization
from reference.arraytypes import Array, Params

PASS_THRESHOLD = 2e-7
"""The course's verdict: a difference above this means the backward pass is wrong."""

COURSE_SHAPES: dict[str, tuple[int, int]] = {
    "W1": (5, 4),
    "b1": (5, 1),
    "W2": (3, 5),
    "b2": (3, 1),
    "W3": (1, 3),
    "b3": (1, 1),
}
"""The parameter shapes of the course's gradient-checking network (47 numbers in all)."""

NetCache = regularization.ForwardCache
"""(Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)"""


def forward_propagation(x: float, theta: float) -> float:
    """The 1-D toy cost J = theta * x."""
    return float(np.dot(theta, x))


def backward_propagation(x: float, theta: float) -> float:
    """dJ/dtheta of J = theta * x, which is x (theta does not enter)."""
    return float(x)


def _report(difference: float) -> None:
    if difference > PASS_THRESHOLD:
        print(f"There is a mistake in the backward propagation! difference = {difference}")
    else:
        print(f"Your backward propagation works perfectly fine! difference = {difference}")


def _difference(grad: Array | float, gradapprox: Array | float) -> float:
    """||grad - gradapprox|| / (||grad|| + ||gradapprox||), the course's verdict."""
    g = np.asarray(grad, dtype=np.float64)
    a = np.asarray(gradapprox, dtype=np.float64)
    numerator = np.linalg.norm(g - a)
    denominator = np.linalg.norm(g) + np.linalg.norm(a)
    return float(numerator / denominator)


def gradient_check(x: float, theta: float, epsilon: float = 1e-7, print_msg: bool = False) -> float:
    """Relative difference between ``backward_propagation`` and a two-sided slope of J at theta.

    Returns a Python float; ``print_msg`` prints the course's verdict against ``PASS_THRESHOLD``.
    """
    J_plus = forward_propagation(x, theta + epsilon)
    J_minus = forward_propagation(x, theta - epsilon)
    gradapprox = (J_plus - J_minus) / (2 * epsilon)
    grad = backward_propagation(x, theta)
    difference = _difference(grad, gradapprox)
    if print_msg:
        _report(difference)
    return difference


def forward_propagation_n(X: Array, Y: Array, parameters: Params) -> tuple[float, NetCache]:
    """Cost of the 3-layer net and its cache. X: (n_x, m), Y: (1, m) or (m,).

    The cost is the course's mean cross-entropy ``-(Y log A3 + (1 - Y) log(1 - A3))`` taken on
    the probabilities, not a logits-based rewrite: with epsilon = 1e-7, ``gradient_check_n``'s
    verdict on a CORRECT backward pass is mostly the rounding noise of this formula (log(1 - A3)
    loses digits when A3 is near 1). Keeping the formula keeps that noise at the course's level
    (1.191e-7 here against the course's 1.189e-7 on its test case), so a student's correct answer
    matches the reference within np.isclose; the exact logits form would give ~1e-9.
    Only where the sigmoid saturates to exactly 0.0 or 1.0, which would give inf or nan, the
    logarithm is replaced by its exact equivalent from the logits: -log(A3) = softplus(-Z3) and
    -log(1 - A3) = softplus(Z3).
    Returns (cost, (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)).
    """
    m = X.shape[1]
    A3, cache = regularization.forward_propagation(X, parameters)
    Z3 = cache[8]
    inside_0 = A3 > 0.0
    inside_1 = A3 < 1.0
    neg_log_a: Array = np.where(inside_0, -np.log(np.where(inside_0, A3, 1.0)), np.logaddexp(0.0, -Z3))
    neg_log_1ma: Array = np.where(inside_1, -np.log(np.where(inside_1, 1.0 - A3, 1.0)), np.logaddexp(0.0, Z3))
    log_probs: Array = neg_log_a * Y + neg_log_1ma * (1 - Y)
    cost = float(np.sum(log_probs) / m)
    return cost, cache


def backward_propagation_n(X: Array, Y: Array, cache: NetCache) -> Params:
    """Gradients of ``forward_propagation_n``'s cost (the correct version, no planted bugs).

    X: (n_x, m), Y: (1, m) or (m,). Returns ``{dZ3, dW3, db3, dA2, dZ2, dW2, db2, dA1, dZ1, dW1,
    db1}``; dZ/dA are for the summed loss, dW/db for the averaged cost, as in the course.
    """
    # The same network as the regularization assignment's, with the same cache layout.
    return regularization.backward_propagation(X, Y, cache)


def _parameter_keys(parameters: Mapping[str, object], prefix: str = "") -> list[str]:
    """``W1, b1, W2, b2, ...`` (with an optional ``d`` prefix) while the numbering is unbroken."""
    keys: list[str] = []
    layer = 1
    while f"{prefix}W{layer}" in parameters:
        keys += [f"{prefix}W{layer}", f"{prefix}b{layer}"]
        layer += 1
    return keys


def dictionary_to_vector(parameters: Params) -> tuple[Array, list[str]]:
    """Stack ``W1, b1, W2, b2, ...`` (row-major) into one column vector theta: (n, 1).

    Also returns, as the course does, a list of n keys naming the parameter each entry of theta
    came from. Any number of layers is accepted; for the course's net n = 47.
    """
    keys = _parameter_keys(parameters)
    if not keys:
        raise ValueError("parameters has no W1")
    pieces = [np.reshape(parameters[k], (-1, 1)) for k in keys]
    names = [k for k, piece in zip(keys, pieces, strict=True) for _ in range(piece.shape[0])]
    theta: Array = np.concatenate(pieces, axis=0).astype(np.float64)
    return theta, names


def vector_to_dictionary(theta: Array, shapes: Mapping[str, tuple[int, ...]] | None = None) -> Params:
    """Cut theta: (n, 1) back into named arrays, in the order and shapes of ``shapes``.

    ``shapes`` defaults to ``COURSE_SHAPES`` (W1 (5, 4), b1 (5, 1), W2 (3, 5), b2 (3, 1),
    W3 (1, 3), b3 (1, 1)). The arrays are copies, not views of theta. Raises ValueError when
    theta's size differs from the total size of the shapes (the course's slicing would
    silently ignore extra entries).
    """
    layout = COURSE_SHAPES if shapes is None else shapes
    sizes = [int(np.prod(shape)) for shape in layout.values()]
    flat = np.asarray(theta, dtype=np.float64).reshape(-1)
    if flat.size != sum(sizes):
        raise ValueError(f"theta has {flat.size} entries, the shapes need {sum(sizes)}")
    parameters: Params = {}
    start = 0
    for (key, shape), size in zip(layout.items(), sizes, strict=True):
        parameters[key] = flat[start : start + size].reshape(shape).copy()
        start += size
    return parameters


def gradients_to_vector(gradients: Params) -> Array:
    """Stack ``dW1, db1, dW2, db2, ...`` into one column vector (n, 1), matching
    ``dictionary_to_vector``'s order. Other entries (dZ, dA) are ignored."""
    keys = _parameter_keys(gradients, prefix="d")
    if not keys:
        raise ValueError("gradients has no dW1")
    vector: Array = np.concatenate([np.reshape(gradients[k], (-1, 1)) for k in keys], axis=0)
    return vector.astype(np.float64)


def gradient_check_n(
    parameters: Params,
    gradients: Params,
    X: Array,
    Y: Array,
    epsilon: float = 1e-7,
    print_msg: bool = False,
) -> float:
    """The course's verdict on ``gradients`` for the 3-layer net at ``parameters``.

    Each of the n parameters is moved by +-epsilon in a COPY of the flattened vector (the
    caller's arrays are never touched), the cost of ``forward_propagation_n`` gives the two-sided
    slope, and the result is ||g - g_approx|| / (||g|| + ||g_approx||) as a Python float.
    X: (n_x, m), Y: (1, m) or (m,). ``print_msg`` prints the verdict against ``PASS_THRESHOLD``.
    """
    theta, _ = dictionary_to_vector(parameters)
    shapes = {key: parameters[key].shape for key in _parameter_keys(parameters)}
    grad = gradients_to_vector(gradients)
    n = theta.shape[0]
    gradapprox = np.zeros((n, 1))
    for i in range(n):
        theta_plus = theta.copy()
        theta_plus[i, 0] += epsilon
        J_plus, _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_plus, shapes))
        theta_minus = theta.copy()
        theta_minus[i, 0] -= epsilon
        J_minus, _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_minus, shapes))
        gradapprox[i, 0] = (J_plus - J_minus) / (2 * epsilon)
    difference = _difference(grad, gradapprox)
    if print_msg:
        _report(difference)
    return difference
