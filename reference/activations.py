"""Activation functions and their backward passes.

Forward functions return ``(A, cache)`` where the cache is ``Z``; backward functions take
``(dA, cache)`` and return ``dZ``. All arrays keep the shape of ``Z``.
"""

from __future__ import annotations

import numpy as np

from reference.arraytypes import Array


def sigmoid(Z: Array) -> tuple[Array, Array]:
    """Logistic sigmoid 1 / (1 + exp(-Z)), elementwise. Z: any shape."""
    # Split by sign so that exp never overflows for large |Z|.
    out = np.empty_like(Z, dtype=np.float64)
    pos = Z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-Z[pos]))
    ez = np.exp(Z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out, Z


def sigmoid_backward(dA: Array, cache: Array) -> Array:
    """Gradient of the loss with respect to Z given dA = dL/dA. dA, cache: same shape."""
    s, _ = sigmoid(cache)
    return dA * s * (1.0 - s)


def relu(Z: Array) -> tuple[Array, Array]:
    """max(0, Z), elementwise. Z: any shape."""
    return np.maximum(Z, 0.0), Z


def relu_backward(dA: Array, cache: Array) -> Array:
    """Gradient with respect to Z: dA where Z > 0, else 0 (the subgradient at 0 is 0)."""
    return np.where(cache > 0, dA, 0.0)


def tanh(Z: Array) -> tuple[Array, Array]:
    """Hyperbolic tangent, elementwise. Z: any shape."""
    return np.tanh(Z), Z


def tanh_backward(dA: Array, cache: Array) -> Array:
    """Gradient with respect to Z: dA * (1 - tanh(Z)^2)."""
    t = np.tanh(cache)
    return dA * (1.0 - t * t)


def softmax(Z: Array) -> tuple[Array, Array]:
    """Softmax over axis 0 (classes are rows, examples are columns). Z: (n_classes, m).

    The column maximum is subtracted first so that large logits do not overflow.
    The cache is the output A, which is all the backward pass needs.
    """
    shifted = Z - np.max(Z, axis=0, keepdims=True)
    e = np.exp(shifted)
    A = e / np.sum(e, axis=0, keepdims=True)
    return A, A


def softmax_backward(dA: Array, cache: Array) -> Array:
    """Gradient with respect to Z given dA: (n_classes, m) and the cached softmax output A."""
    A = cache
    dot: Array = np.sum(dA * A, axis=0, keepdims=True)
    return A * (dA - dot)
