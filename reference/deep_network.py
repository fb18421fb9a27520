"""A deep fully connected network, step by step: forward, cost, backward, update.

Examples are columns: ``X`` is ``(n_x, m)``, ``W[l]`` is ``(n_l, n_{l-1})``, ``b[l]`` is
``(n_l, 1)``, ``Y`` and ``AL`` are ``(1, m)``. Hidden layers use ReLU and the output layer a
sigmoid. Caches keep the course's layout: a linear cache is ``(A_prev, W, b)`` and the cache of
one layer is ``(linear_cache, Z)``.

Scaling convention (the course's): the cost is averaged over the m examples and ``dW``, ``db``
are gradients of that average, but ``dAL`` and every ``dA[l]`` are gradients of the SUM of the
per-example losses (the 1/m is applied only in ``linear_backward``). So ``grads["dA0"]`` is m
times the gradient of the cost with respect to X.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from reference import activations
from reference.arraytypes import Array, Params

LinearCache = tuple[Array, Array, Array]
"""(A_prev (n_{l-1}, m), W (n_l, n_{l-1}), b (n_l, 1))."""

LayerCache = tuple[LinearCache, Array]
"""(linear_cache, Z (n_l, m))."""

_FORWARD: dict[str, Callable[[Array], tuple[Array, Array]]] = {
    "sigmoid": activations.sigmoid,
    "relu": activations.relu,
    "tanh": activations.tanh,
}

_BACKWARD: dict[str, Callable[[Array, Array], Array]] = {
    "sigmoid": activations.sigmoid_backward,
    "relu": activations.relu_backward,
    "tanh": activations.tanh_backward,
}


def _require_activation(name: str) -> None:
    """ValueError naming the activation when it is not one of the supported ones."""
    if name not in _FORWARD:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(_FORWARD)}")


def linear_forward(A: Array, W: Array, b: Array) -> tuple[Array, LinearCache]:
    """Z = W A + b. A: (n_{l-1}, m), W: (n_l, n_{l-1}), b: (n_l, 1) -> Z: (n_l, m), cache (A, W, b)."""
    Z: Array = np.dot(W, A) + b
    return Z, (A, W, b)


def linear_activation_forward(A_prev: Array, W: Array, b: Array, activation: str) -> tuple[Array, LayerCache]:
    """One layer: A = g(W A_prev + b) with g "sigmoid", "relu" or "tanh".

    A_prev: (n_{l-1}, m), W: (n_l, n_{l-1}), b: (n_l, 1) -> A: (n_l, m), cache (linear_cache, Z).
    An unknown activation raises ValueError.
    """
    _require_activation(activation)
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, activation_cache = _FORWARD[activation](Z)
    return A, (linear_cache, activation_cache)


def L_model_forward(X: Array, parameters: Params) -> tuple[Array, list[LayerCache]]:
    """Forward pass: L-1 ReLU layers then a sigmoid layer.

    X: (n_x, m), parameters {"W1", "b1", ..., "WL", "bL"} -> AL: (1, m) (n_L, m in general),
    caches: a list of the L layer caches in order.
    """
    caches: list[LayerCache] = []
    A = X
    L = len(parameters) // 2
    for layer in range(1, L):
        A, cache = linear_activation_forward(
            A, parameters["W" + str(layer)], parameters["b" + str(layer)], "relu"
        )
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches


def compute_cost(AL: Array, Y: Array) -> float:
    """Cross-entropy averaged over the m examples. AL: (1, m) probabilities, Y: (1, m) of 0/1.

    Returns a float (the course squeezes to a 0-d value). As in the course nothing is clipped:
    a probability of exactly 0 or 1 on the wrong label gives inf or nan.
    """
    m = Y.shape[1]
    cost = -np.sum(Y * np.log(AL) + (1.0 - Y) * np.log(1.0 - AL)) / m
    return float(np.squeeze(cost))


def linear_backward(dZ: Array, cache: LinearCache) -> tuple[Array, Array, Array]:
    """Gradients of the linear part of one layer.

    dZ: (n_l, m), cache (A_prev (n_{l-1}, m), W (n_l, n_{l-1}), b (n_l, 1)) ->
    (dA_prev (n_{l-1}, m), dW (n_l, n_{l-1}), db (n_l, 1)); dW and db are averaged over m.
    """
    A_prev, W, _ = cache
    m = A_prev.shape[1]
    dW: Array = np.dot(dZ, A_prev.T) / m
    db: Array = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev: Array = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_activation_backward(dA: Array, cache: LayerCache, activation: str) -> tuple[Array, Array, Array]:
    """Backward pass of one layer (activation "sigmoid", "relu" or "tanh").

    dA: (n_l, m), cache (linear_cache, Z) -> (dA_prev (n_{l-1}, m), dW (n_l, n_{l-1}), db (n_l, 1)).
    """
    _require_activation(activation)
    linear_cache, activation_cache = cache
    dZ = _BACKWARD[activation](dA, activation_cache)
    return linear_backward(dZ, linear_cache)


def L_model_backward(AL: Array, Y: Array, caches: list[LayerCache]) -> Params:
    """Gradients of the whole network from the output of ``L_model_forward``.

    AL: (1, m), Y: (1, m) (reshaped to AL's shape), caches: the L layer caches. Returns
    {"dA0", ..., "dA{L-1}", "dW1", ..., "dWL", "db1", ..., "dbL"}, indexed as the course does:
    layer l (1-based) gives dW{l}, db{l} and dA{l-1}.
    """
    grads: Params = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1.0 - Y, 1.0 - AL))
    dA_prev, dW, db = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    grads["dA" + str(L - 1)] = dA_prev
    grads["dW" + str(L)] = dW
    grads["db" + str(L)] = db
    for layer in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(layer + 1)], caches[layer], "relu")
        grads["dA" + str(layer)] = dA_prev
        grads["dW" + str(layer + 1)] = dW
        grads["db" + str(layer + 1)] = db
    return grads


def update_parameters(parameters: Params, grads: Params, learning_rate: float) -> Params:
    """One gradient-descent step: W[l] - learning_rate * dW[l], b[l] - learning_rate * db[l].

    Returns a new dictionary; neither ``parameters`` nor its arrays are modified.
    """
    params = copy.copy(parameters)
    L = len(params) // 2
    for layer in range(1, L + 1):
        params["W" + str(layer)] = params["W" + str(layer)] - learning_rate * grads["dW" + str(layer)]
        params["b" + str(layer)] = params["b" + str(layer)] - learning_rate * grads["db" + str(layer)]
    return params
