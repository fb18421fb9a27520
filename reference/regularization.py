"""Regularization of the course's 3-layer classifier: L2 weight decay and dropout.

The network is LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID with parameters
``W1 (n_1, n_x), b1 (n_1, 1), W2 (n_2, n_1), b2 (n_2, 1), W3 (1, n_2), b3 (1, 1)``; examples are
columns, ``X: (n_x, m)`` and ``Y: (1, m)`` with labels in {0, 1}.

Caches keep the course's layouts, because students unpack them by position:

* ``forward_propagation`` -> the 12-tuple ``(Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)``;
* ``forward_propagation_with_dropout`` -> the 14-tuple
  ``(Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)`` where ``A1`` and ``A2`` are the
  activations AFTER dropout and scaling.

Every backward pass returns the course's dictionary ``{dZ3, dW3, db3, dA2, dZ2, dW2, db2, dA1,
dZ1, dW1, db1}``. As in the course, ``dZ``/``dA`` entries are gradients of the SUMMED loss
(``dZ3 = A3 - Y``) while ``dW``/``db`` carry the ``1/m`` of the averaged cost.
"""

from __future__ import annotations

import numpy as np

from reference.activations import relu, relu_backward, sigmoid
from reference.arraytypes import Array, IntArray, Params

ForwardCache = tuple[Array, Array, Array, Array, Array, Array, Array, Array, Array, Array, Array, Array]
"""(Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)"""

DropoutCache = tuple[
    Array, Array, Array, Array, Array, Array, Array, Array, Array, Array, Array, Array, Array, Array
]
"""(Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)"""

PROBABILITY_FLOOR = 1e-15
"""``compute_cost`` evaluates the logarithms at A3 clipped to [1e-15, 1 - 1e-15].

A sigmoid output rounds to exactly 1.0 once Z3 exceeds about 37 (and underflows towards 0 for
very negative Z3); the raw formula then gives inf or nan (0 * log 0). Clipping only moves
probabilities that are already within 1e-15 of 0 or 1, so for every other input the cost is the
course's formula to the last bit, and one example's loss is capped at -log(1e-15) ~ 34.5.
"""


def forward_propagation(X: Array, parameters: Params) -> tuple[Array, ForwardCache]:
    """Forward pass of the 3-layer net. X: (n_x, m); returns A3: (1, m) and the 12-tuple cache."""
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]
    Z1: Array = W1 @ X + b1
    A1, _ = relu(Z1)
    Z2: Array = W2 @ A1 + b2
    A2, _ = relu(Z2)
    Z3: Array = W3 @ A2 + b3
    A3, _ = sigmoid(Z3)
    return A3, (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)


def compute_cost(A3: Array, Y: Array) -> float:
    """Cross-entropy averaged over the m examples. A3, Y: (1, m).

    The course's ``-(Y log A3 + (1 - Y) log(1 - A3))`` summed and divided by m, kept finite
    when A3 is exactly 0 or 1 (see ``PROBABILITY_FLOOR``); the course's ``nansum`` instead
    drops 0 * log 0 terms and returns inf for a confidently wrong prediction.
    """
    m = A3.shape[1]
    A: Array = np.clip(A3, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    logprobs: Array = -np.log(A) * Y - np.log(1.0 - A) * (1 - Y)
    return float(np.sum(logprobs) / m)


def _weight_keys(parameters: Params) -> list[str]:
    """W1, W2, ... in layer order, as long as the numbering is unbroken."""
    keys: list[str] = []
    while f"W{len(keys) + 1}" in parameters:
        keys.append(f"W{len(keys) + 1}")
    return keys


def compute_cost_with_regularization(A3: Array, Y: Array, parameters: Params, lambd: float) -> float:
    """Cross-entropy plus the L2 penalty lambd / (2m) * sum of every squared weight.

    A3, Y: (1, m); parameters: the network's ``W1, b1, ...`` (biases are not penalised).
    """
    m = Y.shape[1]
    squares = sum(float(np.sum(np.square(parameters[k]))) for k in _weight_keys(parameters))
    return float(compute_cost(A3, Y) + lambd / (2.0 * m) * squares)


def _backward(
    X: Array,
    Y: Array,
    cache: ForwardCache,
    lambd: float = 0.0,
    masks: tuple[Array, Array] | None = None,
    keep_prob: float = 1.0,
) -> Params:
    """Shared backward pass: plain, with the L2 term (lambd), or through fixed dropout masks."""
    Z1, A1, W1, _, Z2, A2, W2, _, _, A3, W3, _ = cache
    m = X.shape[1]
    dZ3: Array = A3 - Y
    dW3: Array = dZ3 @ A2.T / m + lambd / m * W3
    db3: Array = np.sum(dZ3, axis=1, keepdims=True) / m
    dA2: Array = W3.T @ dZ3
    if masks is not None:
        # Dropped units passed nothing forward, so they receive nothing back; kept ones were
        # scaled by 1/keep_prob on the way forward and are scaled the same way here.
        dA2 = dA2 * masks[1] / keep_prob
    dZ2 = relu_backward(dA2, Z2)
    dW2: Array = dZ2 @ A1.T / m + lambd / m * W2
    db2: Array = np.sum(dZ2, axis=1, keepdims=True) / m
    dA1: Array = W2.T @ dZ2
    if masks is not None:
        dA1 = dA1 * masks[0] / keep_prob
    dZ1 = relu_backward(dA1, Z1)
    dW1: Array = dZ1 @ X.T / m + lambd / m * W1
    db1: Array = np.sum(dZ1, axis=1, keepdims=True) / m
    return {
        "dZ3": dZ3,
        "dW3": dW3,
        "db3": db3,
        "dA2": dA2,
        "dZ2": dZ2,
        "dW2": dW2,
        "db2": db2,
        "dA1": dA1,
        "dZ1": dZ1,
        "dW1": dW1,
        "db1": db1,
    }


def backward_propagation(X: Array, Y: Array, cache: ForwardCache) -> Params:
    """Gradients of ``compute_cost`` for the 3-layer net. X: (n_x, m), Y: (1, m), cache: 12-tuple."""
    return _backward(X, Y, cache)


def backward_propagation_with_regularization(X: Array, Y: Array, cache: ForwardCache, lambd: float) -> Params:
    """Gradients of ``compute_cost_with_regularization``: each dW gains lambd / m * W.

    X: (n_x, m), Y: (1, m), cache: the 12-tuple of ``forward_propagation``.
    """
    return _backward(X, Y, cache, lambd=lambd)


def _check_keep_prob(keep_prob: float) -> None:
    if not 0.0 < keep_prob <= 1.0:
        raise ValueError(f"keep_prob must lie in (0, 1], got {keep_prob!r}")


def forward_propagation_with_dropout(
    X: Array,
    parameters: Params,
    keep_prob: float = 0.5,
    *,
    rng: np.random.Generator | None = None,
) -> tuple[Array, DropoutCache]:
    """Forward pass with inverted dropout on both hidden layers. X: (n_x, m).

    Each hidden unit of each example is kept when a uniform draw is below ``keep_prob``; kept
    activations are divided by ``keep_prob`` so that their expectation is unchanged. The masks
    D1: (n_1, m) and D2: (n_2, m) are float64 arrays of 0.0/1.0 (the course stores ints; the
    values compare equal). Returns A3: (1, m) and the 14-tuple cache.

    Randomness: with ``rng=None`` the masks come from numpy's GLOBAL generator
    (``np.random.rand``, D1 drawn first, then D2), exactly as in the course, whose tests call
    ``np.random.seed(1)`` before this function; the function itself does not seed. Passing a
    ``np.random.Generator`` draws the masks from it instead (``rng.random``) and leaves the
    global generator untouched.

    Raises ValueError unless 0 < keep_prob <= 1.
    """
    _check_keep_prob(keep_prob)
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]

    def uniform(shape: tuple[int, ...]) -> Array:
        if rng is None:
            draws: Array = np.random.rand(*shape)
            return draws
        return rng.random(shape)

    Z1: Array = W1 @ X + b1
    A1, _ = relu(Z1)
    D1: Array = (uniform(A1.shape) < keep_prob).astype(np.float64)
    A1 = A1 * D1 / keep_prob
    Z2: Array = W2 @ A1 + b2
    A2, _ = relu(Z2)
    D2: Array = (uniform(A2.shape) < keep_prob).astype(np.float64)
    A2 = A2 * D2 / keep_prob
    Z3: Array = W3 @ A2 + b3
    A3, _ = sigmoid(Z3)
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)


def backward_propagation_with_dropout(X: Array, Y: Array, cache: DropoutCache, keep_prob: float) -> Params:
    """Gradients of ``compute_cost`` through the dropout forward pass, reusing its masks.

    X: (n_x, m), Y: (1, m), cache: the 14-tuple of ``forward_propagation_with_dropout``.
    ``keep_prob`` must be the value used forward. Raises ValueError unless 0 < keep_prob <= 1.
    """
    _check_keep_prob(keep_prob)
    Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3 = cache
    plain: ForwardCache = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
    return _backward(X, Y, plain, masks=(D1, D2), keep_prob=keep_prob)


def predict(X: Array, y: Array, parameters: Params, *, print_accuracy: bool = False) -> IntArray:
    """0/1 predictions (1, m) of the 3-layer net: 1 where A3 > 0.5. X: (n_x, m), y: (1, m).

    The course's version always prints ``Accuracy: ...``; here that line is printed only on
    request, so that grading runs stay quiet.
    """
    A3, _ = forward_propagation(X, parameters)
    p: IntArray = (A3 > 0.5).astype(np.int64)
    if print_accuracy:
        print("Accuracy: " + str(np.mean(p[0, :] == y[0, :])))
    return p
