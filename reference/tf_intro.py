"""What the TensorFlow introduction computes, in float64 numpy.

The students' functions use TensorFlow (float32 tensors and variables); these are the numbers they
should produce, written without any framework so the grader can judge them with float32 tolerances.
Conventions follow the course: examples are columns, ``X`` is ``(n_x, m)``, labels are one-hot
columns ``(C, m)`` and the network is LINEAR -> RELU -> LINEAR -> RELU -> LINEAR (logits).
"""

from __future__ import annotations

import math

import numpy as np

from reference.arraytypes import Array, IntArray, Params

PARAMETER_SHAPES: dict[str, tuple[int, int]] = {
    "W1": (25, 12288),
    "b1": (25, 1),
    "W2": (12, 25),
    "b2": (12, 1),
    "W3": (6, 12),
    "b3": (6, 1),
}
"""The shapes ``initialize_parameters`` gives its six variables (64x64x3 images, 6 classes)."""

GLOROT_TRUNCATION = 0.87962566103423978
"""Standard deviation of a unit normal truncated to [-2, 2]: Glorot normal divides by it."""

GLOROT_KURTOSIS = 2.3655367171296495
"""E[x^4] / E[x^2]^2 of a normal truncated at two standard deviations (3 untruncated, 1.8 for a
uniform distribution): tells a Glorot normal draw from a Glorot uniform one of the same spread."""


def linear_function() -> Array:
    """Y = W X + b with numpy's global generator seeded to 1 and X (3, 1), W (4, 3), b (4, 1)
    drawn in that order with ``randn``; returns Y (4, 1)."""
    np.random.seed(1)
    X = np.random.randn(3, 1)
    W = np.random.randn(4, 3)
    b = np.random.randn(4, 1)
    out: Array = W @ X + b
    return out


def sigmoid(z: float | Array) -> Array:
    """The logistic sigmoid of z (a number or an array of any shape), as a float64 array of z's shape."""
    values = np.asarray(z, dtype=np.float64)
    # exp of a non-positive number only: no overflow for large |z|.
    e = np.exp(-np.abs(values))
    out: Array = np.where(values >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out


def one_hot_matrix(label: int | IntArray, C: int = 6) -> Array:
    """The one-hot encoding of ``label`` with depth C, classes along the FIRST axis: a vector
    (C,) for a single label, a matrix (C, m) whose column j encodes label[j] for m labels.
    Labels outside [0, C) give an all-zero column (as ``tf.one_hot`` does)."""
    labels = np.asarray(label, dtype=np.int64)
    classes = np.arange(C).reshape((C,) + (1,) * labels.ndim)
    out: Array = (classes == labels[np.newaxis, ...]).astype(np.float64)
    return out


def glorot_normal_stddev(shape: tuple[int, int]) -> float:
    """The standard deviation of Glorot (Xavier) normal initial values for a 2-D shape:
    sqrt(2 / (fan_in + fan_out)) with Keras' fans ``shape[0]`` and ``shape[1]``."""
    return math.sqrt(2.0 / (shape[0] + shape[1]))


def glorot_normal_bound(shape: tuple[int, int]) -> float:
    """The largest magnitude a Glorot normal value can take: the normal before truncation has a
    standard deviation of ``glorot_normal_stddev / 0.8796...`` and is cut at two of them."""
    return 2.0 * glorot_normal_stddev(shape) / GLOROT_TRUNCATION


def forward_propagation(X: Array, parameters: Params) -> Array:
    """Logits Z3 (n_y, m) of LINEAR -> RELU -> LINEAR -> RELU -> LINEAR for X (n_x, m) and
    parameters W1 (n1, n_x), b1 (n1, 1), W2 (n2, n1), b2 (n2, 1), W3 (n_y, n2), b3 (n_y, 1)."""
    p = {key: np.asarray(value, dtype=np.float64) for key, value in parameters.items()}
    A = np.asarray(X, dtype=np.float64)
    A = np.maximum(p["W1"] @ A + p["b1"], 0.0)
    A = np.maximum(p["W2"] @ A + p["b2"], 0.0)
    Z3: Array = p["W3"] @ A + p["b3"]
    return Z3


def compute_total_loss(logits: Array, labels: Array) -> float:
    """The categorical cross-entropy of softmax(logits) against one-hot labels, SUMMED over the m
    examples (not averaged). logits, labels: (C, m), one example per column."""
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    shifted = z - z.max(axis=0, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    return float(-(y * log_softmax).sum())
