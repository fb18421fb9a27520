"""Centered-difference gradients and error measures used by the checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import numpy as np

from reference.arraytypes import Array

DEFAULT_STEP = 1e-5


def relative_error(a: Array | float, b: Array | float) -> float:
    """Norm-based relative error ||a - b|| / (||a|| + ||b||); 0.0 when both are zero.

    A norm over the whole array (rather than the elementwise maximum) keeps tiny entries,
    whose relative error is dominated by rounding, from deciding the verdict.
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"shape mismatch: {x.shape} vs {y.shape}")
    denom = float(np.linalg.norm(x) + np.linalg.norm(y))
    if denom == 0.0:
        return 0.0
    return float(np.linalg.norm(x - y) / denom)


def worst_relative_error(pairs: Mapping[str, tuple[Array | float, Array | float]]) -> float:
    """The largest relative error over named (computed, expected) pairs."""
    return max((relative_error(a, b) for a, b in pairs.values()), default=0.0)


def numerical_gradient(f: Callable[[], float], x: Array, h: float = DEFAULT_STEP) -> Array:
    """Centered-difference gradient of the scalar f() with respect to the array x.

    ``f`` must read ``x`` (the same object) when called: each entry of x is perturbed in place
    by +h and -h and restored afterwards. x: any shape; the result has the shape of x.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(-1)  # a view: writing to it perturbs x
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient needs a contiguous array it can perturb in place")
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f()
        flat[i] = old - h
        minus = f()
        flat[i] = old
        gflat[i] = (plus - minus) / (2.0 * h)
    return grad


def weighted_sum(out: Array, weights: Array) -> float:
    """sum(out * weights): the scalar loss whose gradient with respect to out is weights."""
    return float(np.sum(out * weights))


@contextmanager
def seeded_global_rng(seed: int) -> Iterator[None]:
    """Seed numpy's global generator for the block, then put its previous state back.

    Course functions draw from the global generator, so a check that runs one must seed it to
    be deterministic; restoring the state keeps the check from disturbing its caller.
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)
