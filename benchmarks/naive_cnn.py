"""The loop implementation of the CNN step-by-step functions, as students write it.

Same API as reference/cnn.py (channels last, the course's caches). Every output entry comes
from Python loops over examples, rows, columns and channels calling a single-window function,
which is what the benchmark times against the vectorized reference. It follows the course's
rules exactly (ties in a max-pool window all receive the gradient) and is correct for every
pad, stride and window size, including pad 0.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
HParameters = dict[str, int]
ConvCache = tuple[Array, Array, Array, HParameters]
PoolCache = tuple[Array, HParameters]


def zero_pad(X: Array, pad: int) -> Array:
    """X (m, n_H, n_W, n_C) with pad zeros around height and width."""
    padded: Array = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)
    return padded


def conv_single_step(a_slice_prev: Array, W: Array, b: Array) -> float:
    """sum(a_slice_prev * W) + b for one (f, f, n_C_prev) window and one filter."""
    s = a_slice_prev * W
    # The course writes float(b); NumPy >= 2.4 refuses that on a (1, 1, 1) array, so squeeze first.
    return float(np.sum(s)) + float(np.squeeze(b))


def conv_forward(A_prev: Array, W: Array, b: Array, hparameters: HParameters) -> tuple[Array, ConvCache]:
    """Z (m, n_H, n_W, n_C) of A_prev (m, n_H_prev, n_W_prev, n_C_prev) and W (f, f, n_C_prev, n_C)."""
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    stride, pad = hparameters["stride"], hparameters["pad"]
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])
    return Z, (A_prev, W, b, hparameters)


def conv_backward(dZ: Array, cache: ConvCache) -> tuple[Array, Array, Array]:
    """(dA_prev, dW, db) of a convolution, one window and one filter at a time."""
    A_prev, W, b, hparameters = cache
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f = W.shape[0]
    stride, pad = hparameters["stride"], hparameters["pad"]
    _, n_H, n_W, n_C = dZ.shape
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    g = dZ[i, h, w, c]
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * g
                    dW[:, :, :, c] += a_slice * g
                    db[:, :, :, c] += g
        # Explicit end indices so that pad == 0 keeps every row.
        dA_prev[i] = da_prev_pad[pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return dA_prev, dW, db


def pool_forward(A_prev: Array, hparameters: HParameters, mode: str = "max") -> tuple[Array, PoolCache]:
    """Max or average pooling of A_prev (m, n_H_prev, n_W_prev, n_C), window by window."""
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    f, stride = hparameters["f"], hparameters["stride"]
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            for w in range(n_W):
                horiz_start = w * stride
                for c in range(n_C):
                    window = A_prev[i, vert_start : vert_start + f, horiz_start : horiz_start + f, c]
                    A[i, h, w, c] = np.max(window) if mode == "max" else np.mean(window)
    return A, (A_prev, hparameters)


def create_mask_from_window(x: Array) -> npt.NDArray[np.bool_]:
    """True where x equals its maximum."""
    mask: npt.NDArray[np.bool_] = x == np.max(x)
    return mask


def distribute_value(dz: float, shape: tuple[int, int]) -> Array:
    """An array of shape filled with dz / (n_H * n_W)."""
    n_H, n_W = shape
    return np.ones(shape) * (dz / (n_H * n_W))


def pool_backward(dA: Array, cache: PoolCache, mode: str = "max") -> Array:
    """dA_prev of a pooling layer, window by window."""
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    if mode == "max":
                        window = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(window)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    else:
                        share = distribute_value(dA[i, h, w, c], (f, f))
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += share
    return dA_prev
