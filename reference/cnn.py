"""A convolutional network step by step (channels last): convolution and pooling, forward and backward.

Shapes follow the course: activations are ``(m, n_H, n_W, n_C)``, filters ``W`` are
``(f, f, n_C_prev, n_C)`` and biases ``b`` are ``(1, 1, 1, n_C)``. An output has
``floor((n + 2 * pad - f) / stride) + 1`` rows (and columns). Caches keep the course's layout:
``(A_prev, W, b, hparameters)`` for a convolution and ``(A_prev, hparameters)`` for pooling.

The functions compute the same values as the course's loops over examples, rows, columns and
channels, without those loops: a convolution becomes matrix products over a strided window view
of the padded input (a chunk of examples at a time), and the backward passes add one shifted
slice per kernel offset.

Max pooling and ties: when several entries of a window share the maximum, every one of them
receives the window's gradient, as ``create_mask_from_window`` (``x == max(x)``) does in the
course. PyTorch's ``max_pool2d`` gives it to a single entry instead, so the two agree exactly
whenever each window has a unique maximum (almost surely for real-valued data).
"""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from reference.arraytypes import Array

BoolArray = npt.NDArray[np.bool_]

HParameters = dict[str, int]
"""``{"pad", "stride"}`` for a convolution, ``{"f", "stride"}`` for pooling."""

ConvCache = tuple[Array, Array, Array, HParameters]
"""(A_prev (m, n_H_prev, n_W_prev, n_C_prev), W (f, f, n_C_prev, n_C), b (1, 1, 1, n_C), hparameters)."""

PoolCache = tuple[Array, HParameters]
"""(A_prev (m, n_H_prev, n_W_prev, n_C), hparameters)."""

PoolMode = Literal["max", "average"]

_POOL_MODES = ("max", "average")


# --------------------------------------------------------------------------- validation


def _int_hparameter(hparameters: HParameters, key: str, minimum: int) -> int:
    """hparameters[key] as an int >= minimum, or a ValueError that names the key."""
    if key not in hparameters:
        raise ValueError(f"hparameters needs {key!r}; got keys {sorted(hparameters)}")
    value = hparameters[key]
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"hparameters[{key!r}] must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"hparameters[{key!r}] must be >= {minimum}, got {value}")
    return int(value)


def _require_4d(name: str, x: Array) -> None:
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-D (m, n_H, n_W, n_C), got shape {x.shape}")


def _output_size(n: int, f: int, pad: int, stride: int, axis: str) -> int:
    """floor((n + 2 pad - f) / stride) + 1, or a ValueError when the window does not fit."""
    if f > n + 2 * pad:
        raise ValueError(
            f"window of size {f} is larger than the padded input {axis} ({n} + 2*{pad} = {n + 2 * pad})"
        )
    return (n + 2 * pad - f) // stride + 1


def _conv_geometry(
    A_prev: Array, W: Array, b: Array, hparameters: HParameters
) -> tuple[int, int, int, int, int]:
    """Validated (f, pad, stride, n_H, n_W) of a convolution."""
    _require_4d("A_prev", A_prev)
    if W.ndim != 4 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be (f, f, n_C_prev, n_C), got shape {W.shape}")
    f, _, n_C_prev, n_C = W.shape
    if f < 1 or n_C < 1:
        raise ValueError(f"W must have f >= 1 and n_C >= 1, got shape {W.shape}")
    if n_C_prev != A_prev.shape[3]:
        raise ValueError(
            f"channel mismatch: A_prev has {A_prev.shape[3]} channels but W expects {n_C_prev} "
            f"(A_prev {A_prev.shape}, W {W.shape})"
        )
    if b.shape != (1, 1, 1, n_C):
        raise ValueError(f"b must have shape (1, 1, 1, {n_C}) to match W {W.shape}, got {b.shape}")
    pad = _int_hparameter(hparameters, "pad", 0)
    stride = _int_hparameter(hparameters, "stride", 1)
    n_H = _output_size(A_prev.shape[1], f, pad, stride, "height")
    n_W = _output_size(A_prev.shape[2], f, pad, stride, "width")
    return f, pad, stride, n_H, n_W


def _pool_geometry(A_prev: Array, hparameters: HParameters, mode: str) -> tuple[int, int, int, int]:
    """Validated (f, stride, n_H, n_W) of a pooling layer."""
    if mode not in _POOL_MODES:
        raise ValueError(f"mode must be one of {_POOL_MODES}, got {mode!r}")
    _require_4d("A_prev", A_prev)
    f = _int_hparameter(hparameters, "f", 1)
    stride = _int_hparameter(hparameters, "stride", 1)
    n_H = _output_size(A_prev.shape[1], f, 0, stride, "height")
    n_W = _output_size(A_prev.shape[2], f, 0, stride, "width")
    return f, stride, n_H, n_W


def _offset_slice(start: int, count: int, stride: int) -> slice:
    """The rows (or columns) that kernel offset ``start`` touches across ``count`` windows."""
    return slice(start, start + stride * (count - 1) + 1, stride)


# --------------------------------------------------------------------------- convolution


def zero_pad(X: Array, pad: int) -> Array:
    """X with ``pad`` zeros added on both sides of the height and width axes.

    X: (m, n_H, n_W, n_C) -> (m, n_H + 2 pad, n_W + 2 pad, n_C). The batch and channel axes are
    not padded. A negative pad raises ValueError.
    """
    _require_4d("X", X)
    if isinstance(pad, bool) or not isinstance(pad, int | np.integer) or pad < 0:
        raise ValueError(f"pad must be a non-negative integer, got {pad!r}")
    padded: Array = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)
    return padded


def conv_single_step(a_slice_prev: Array, W: Array, b: Array) -> float:
    """One filter applied to one window: sum(a_slice_prev * W) + b, as a Python float.

    a_slice_prev: (f, f, n_C_prev), W: (f, f, n_C_prev), b: (1, 1, 1) (any single-element array).
    """
    if a_slice_prev.shape != W.shape:
        raise ValueError(f"a_slice_prev {a_slice_prev.shape} and W {W.shape} must have the same shape")
    if np.size(b) != 1:
        raise ValueError(f"b must hold a single value, got shape {np.shape(b)}")
    # float(b) on a (1, 1, 1) array raises TypeError in NumPy 2.4 (the course writes it): go 0-d first.
    bias = float(np.asarray(b, dtype=np.float64).reshape(()))
    return float(np.sum(a_slice_prev * W)) + bias


# The window matrix of a convolution is f*f times the size of its input, too large to build for a
# big batch at once. The layers run over the batch in a few blocks of many examples whose
# temporaries stay under about 16 MiB (pooling: 8 MiB): blocks that size stay in the allocator
# between calls and mostly in cache (measured at m=32, 32x32x16, 3x3 -> 32: 33 ms with 16 MiB
# blocks, 39-45 ms with one 64 MiB block, whose fresh mapping costs page faults on every call).
# A block never holds fewer than _MIN_BLOCK examples, so this is never a loop over single examples.
_CHUNK_NUMBERS = 1 << 21
_POOL_CHUNK_NUMBERS = 1 << 20
_MIN_BLOCK = 8


def _batch_chunks(m: int, numbers_per_example: int, budget: int | None = None) -> list[tuple[int, int]]:
    """[start, stop) ranges that split the m examples into equal blocks of about ``budget`` numbers
    (at least _MIN_BLOCK examples each)."""
    size = max(_MIN_BLOCK, (_CHUNK_NUMBERS if budget is None else budget) // max(1, numbers_per_example))
    n_blocks = -(-m // size)
    bounds = [round(k * m / n_blocks) for k in range(n_blocks + 1)]
    return list(itertools.pairwise(bounds))


def _window_rows(A_prev: Array, f: int, pad: int, stride: int) -> Array:
    """Every f x f window of the padded input as one row: (m * n_H * n_W, f * f * n_C_prev).

    The columns follow W's (f, f, n_C_prev) order, so the rows line up with W.reshape(-1, n_C).
    """
    A_pad = zero_pad(A_prev, pad) if pad > 0 else A_prev
    # A read-only view (m, n_H, n_W, n_C_prev, f, f); moving the channel axis last keeps it
    # contiguous, so the single copy made by the reshape is cheap.
    view = sliding_window_view(A_pad, (f, f), axis=(1, 2))[:, ::stride, ::stride]
    rows: Array = view.transpose(0, 1, 2, 4, 5, 3).reshape(-1, f * f * A_prev.shape[3])
    return rows


def conv_forward(A_prev: Array, W: Array, b: Array, hparameters: HParameters) -> tuple[Array, ConvCache]:
    """Convolution of A_prev with the filters W plus the bias b (no activation).

    A_prev: (m, n_H_prev, n_W_prev, n_C_prev), W: (f, f, n_C_prev, n_C), b: (1, 1, 1, n_C),
    hparameters: {"pad": int >= 0, "stride": int >= 1}
    -> Z: (m, n_H, n_W, n_C) with n_H = floor((n_H_prev + 2 pad - f) / stride) + 1 (same for n_W),
    and cache (A_prev, W, b, hparameters). Bad shapes or hyperparameters raise ValueError.
    """
    f, pad, stride, n_H, n_W = _conv_geometry(A_prev, W, b, hparameters)
    m, n_C_prev, n_C = A_prev.shape[0], W.shape[2], W.shape[3]
    A = np.asarray(A_prev, dtype=np.float64)
    W_rows = np.asarray(W, dtype=np.float64).reshape(f * f * n_C_prev, n_C)
    Z = np.empty((m, n_H, n_W, n_C))
    for start, stop in _batch_chunks(m, n_H * n_W * f * f * n_C_prev):
        window_rows = _window_rows(A[start:stop], f, pad, stride)
        np.matmul(window_rows, W_rows, out=Z[start:stop].reshape(-1, n_C))
    Z += b.reshape(n_C)
    return Z, (A_prev, W, b, hparameters)


def conv_backward(dZ: Array, cache: ConvCache) -> tuple[Array, Array, Array]:
    """Gradients of a convolution given dZ = dL/dZ and the forward cache.

    dZ: (m, n_H, n_W, n_C), cache: (A_prev, W, b, hparameters) from ``conv_forward``
    -> (dA_prev (m, n_H_prev, n_W_prev, n_C_prev), dW (f, f, n_C_prev, n_C), db (1, 1, 1, n_C)).
    """
    A_prev, W, b, hparameters = cache
    f, pad, stride, n_H, n_W = _conv_geometry(A_prev, W, b, hparameters)
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    n_C = W.shape[3]
    if dZ.shape != (m, n_H, n_W, n_C):
        raise ValueError(f"dZ must have the output's shape {(m, n_H, n_W, n_C)}, got {dZ.shape}")
    A = np.asarray(A_prev, dtype=np.float64)
    W64 = np.asarray(W, dtype=np.float64)
    grad = np.ascontiguousarray(dZ, dtype=np.float64)

    dA_prev = np.empty(A.shape)
    dW_rows = np.zeros((f * f * n_C_prev, n_C))
    for start, stop in _batch_chunks(m, n_H * n_W * f * f * n_C_prev):
        # The cache holds A_prev (the course's layout), not the window matrix: rebuild it.
        window_rows = _window_rows(A[start:stop], f, pad, stride)
        dZ_rows = grad[start:stop].reshape(-1, n_C)
        dW_rows += window_rows.T @ dZ_rows
        # Kernel offset (i, j) of every window read the input entries under this shifted slice;
        # each gets dZ @ W[i, j].T back (one product per offset measured faster than one
        # product for all offsets followed by a scatter of channel-sized pieces).
        dA_pad = np.zeros((stop - start, n_H_prev + 2 * pad, n_W_prev + 2 * pad, n_C_prev))
        for i in range(f):
            rows = _offset_slice(i, n_H, stride)
            for j in range(f):
                back = np.matmul(dZ_rows, W64[i, j].T).reshape(stop - start, n_H, n_W, n_C_prev)
                dA_pad[:, rows, _offset_slice(j, n_W, stride), :] += back
        # Explicit end indices: a slice like [pad:-pad] would be empty when pad == 0.
        dA_prev[start:stop] = dA_pad[:, pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    # A matrix-vector product sums the rows faster than a reduction along axis 0.
    db: Array = np.matmul(np.ones(m * n_H * n_W), grad.reshape(-1, n_C)).reshape(1, 1, 1, n_C)
    return dA_prev, dW_rows.reshape(W.shape), db


# --------------------------------------------------------------------------- pooling


def _tiles(A_prev: Array, f: int, n_H: int, n_W: int) -> Array:
    """Non-overlapping f x f windows (m, n_H, f, n_W, f * n_C); a copy only if rows or columns are cut."""
    m, n_C = A_prev.shape[0], A_prev.shape[3]
    tiled: Array = A_prev[:, : n_H * f, : n_W * f, :].reshape(m, n_H, f, n_W, f * n_C)
    return tiled


def _reduce_tiles(A_prev: Array, f: int, n_H: int, n_W: int, mode: str, out: Array) -> None:
    """out (m, n_H, n_W, n_C) = max or mean over non-overlapping f x f windows.

    The window rows are combined first, on slices whose (column, channel) run is contiguous,
    which keeps NumPy's inner loops long; only the last step works on channel-sized pieces.
    """
    m, n_C = A_prev.shape[0], A_prev.shape[3]
    tiles = _tiles(A_prev, f, n_H, n_W)
    combine = np.maximum if mode == "max" else np.add
    if f == 1:
        out[...] = tiles[:, :, 0].reshape(out.shape)
        return
    rows: Array = combine(tiles[:, :, 0], tiles[:, :, 1])
    for i in range(2, f):
        combine(rows, tiles[:, :, i], out=rows)
    by_column = rows.reshape(m, n_H, n_W, f, n_C)
    combine(by_column[:, :, :, 0], by_column[:, :, :, 1], out=out)
    for j in range(2, f):
        combine(out, by_column[:, :, :, j], out=out)
    if mode == "average":
        out /= f * f


def _reduce_windows(A_prev: Array, f: int, stride: int, n_H: int, n_W: int, mode: str, out: Array) -> None:
    """out (m, n_H, n_W, n_C) = max or mean over (possibly overlapping or spaced) f x f windows."""
    combine = np.maximum if mode == "max" else np.add
    out[...] = A_prev[:, _offset_slice(0, n_H, stride), _offset_slice(0, n_W, stride), :]
    for i in range(f):
        rows = _offset_slice(i, n_H, stride)
        for j in range(f):
            if i or j:
                combine(out, A_prev[:, rows, _offset_slice(j, n_W, stride), :], out=out)
    if mode == "average":
        out /= f * f


def pool_forward(A_prev: Array, hparameters: HParameters, mode: PoolMode = "max") -> tuple[Array, PoolCache]:
    """Max or average pooling over f x f windows, channel by channel (no padding).

    A_prev: (m, n_H_prev, n_W_prev, n_C), hparameters: {"f": int >= 1, "stride": int >= 1},
    mode: "max" or "average" -> A: (m, n_H, n_W, n_C) with n_H = floor((n_H_prev - f) / stride) + 1
    (same for n_W), and cache (A_prev, hparameters). Bad hyperparameters raise ValueError.
    """
    f, stride, n_H, n_W = _pool_geometry(A_prev, hparameters, mode)
    A = np.asarray(A_prev, dtype=np.float64)
    m, n_C = A.shape[0], A.shape[3]
    out = np.empty((m, n_H, n_W, n_C))
    for start, stop in _batch_chunks(m, A[0].size, _POOL_CHUNK_NUMBERS):
        if stride == f:
            _reduce_tiles(A[start:stop], f, n_H, n_W, mode, out[start:stop])
        else:
            _reduce_windows(A[start:stop], f, stride, n_H, n_W, mode, out[start:stop])
    return out, (A_prev, hparameters)


def create_mask_from_window(x: Array) -> BoolArray:
    """True where x equals its maximum: every tied maximum is marked. x: (f, f) -> (f, f) bool."""
    mask: BoolArray = x == np.max(x)
    return mask


def distribute_value(dz: float, shape: tuple[int, int]) -> Array:
    """dz spread evenly over a window: an array of ``shape`` (n_H, n_W) filled with dz / (n_H n_W)."""
    n_H, n_W = shape
    if n_H < 1 or n_W < 1:
        raise ValueError(f"shape must be positive, got {shape}")
    return np.full((n_H, n_W), float(dz) / (n_H * n_W), dtype=np.float64)


def _tiled_backward(A: Array, dA: Array, f: int, n_H: int, n_W: int, mode: str, out: Array) -> None:
    """Write pool_backward for non-overlapping windows (stride == f) into out (A's shape).

    Entries that no window covers (rows or columns past the last window) are left as they are,
    so out must arrive zeroed when the windows do not cover the whole input.
    """
    m, n_H_prev, n_W_prev, n_C = A.shape
    # Each window's value (its max, its gradient) repeated once per window column, so that the
    # comparisons below run on long contiguous rows: (m, n_H, n_W, f * n_C).
    if mode == "max":
        window_max = np.empty((m, n_H, n_W, n_C))
        _reduce_tiles(A, f, n_H, n_W, "max", window_max)
        repeated_max = np.repeat(window_max, f, axis=2).reshape(m, n_H, n_W, f * n_C)
        grad = np.repeat(dA, f, axis=2).reshape(m, n_H, n_W, f * n_C)
    else:
        grad = np.repeat(dA / (f * f), f, axis=2).reshape(m, n_H, n_W, f * n_C)
    tiles = _tiles(A, f, n_H, n_W)
    whole = (n_H * f, n_W * f) == (n_H_prev, n_W_prev)
    # Write straight into out when the windows cover it; otherwise into a buffer copied below.
    covered = out.reshape(m, n_H, f, n_W, f * n_C) if whole else np.empty((m, n_H, f, n_W, f * n_C))
    for i in range(f):
        if mode == "max":
            np.multiply(tiles[:, :, i] == repeated_max, grad, out=covered[:, :, i])
        else:
            covered[:, :, i] = grad
    if not whole:
        # Rows or columns past the last window keep their zero gradient.
        out[:, : n_H * f, : n_W * f, :] = covered.reshape(m, n_H * f, n_W * f, n_C)


def _windows_backward(
    A: Array, dA: Array, f: int, stride: int, n_H: int, n_W: int, mode: str, out: Array
) -> None:
    """Add pool_backward for any stride to out (zeros, A's shape): overlapping windows add up."""
    window_max = np.empty(dA.shape)
    if mode == "max":
        _reduce_windows(A, f, stride, n_H, n_W, "max", window_max)
    share = dA / (f * f)
    for i in range(f):
        rows = _offset_slice(i, n_H, stride)
        for j in range(f):
            cols = _offset_slice(j, n_W, stride)
            if mode == "max":
                out[:, rows, cols, :] += (A[:, rows, cols, :] == window_max) * dA
            else:
                out[:, rows, cols, :] += share


def pool_backward(dA: Array, cache: PoolCache, mode: PoolMode = "max") -> Array:
    """Gradient of a pooling layer with respect to its input.

    dA: (m, n_H, n_W, n_C), cache: (A_prev, hparameters) from ``pool_forward``, mode "max" or
    "average" -> dA_prev: (m, n_H_prev, n_W_prev, n_C). Max pooling sends each window's gradient
    to every entry equal to the window's maximum (ties all receive it, see the module docstring);
    average pooling spreads it evenly over the window. Overlapping windows add their shares.
    """
    A_prev, hparameters = cache
    f, stride, n_H, n_W = _pool_geometry(A_prev, hparameters, mode)
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    if dA.shape != (m, n_H, n_W, n_C):
        raise ValueError(f"dA must have the output's shape {(m, n_H, n_W, n_C)}, got {dA.shape}")
    A = np.asarray(A_prev, dtype=np.float64)
    grad = np.asarray(dA, dtype=np.float64)
    tiled = stride == f
    # Tiles that cover the input write every entry; otherwise untouched entries must be zero.
    covers = tiled and (n_H * f, n_W * f) == (n_H_prev, n_W_prev)
    dA_prev = np.empty(A.shape) if covers else np.zeros(A.shape)
    for start, stop in _batch_chunks(m, A[0].size, _POOL_CHUNK_NUMBERS):
        part = (A[start:stop], grad[start:stop])
        if tiled:
            _tiled_backward(*part, f, n_H, n_W, mode, dA_prev[start:stop])
        else:
            _windows_backward(*part, f, stride, n_H, n_W, mode, dA_prev[start:stop])
    return dA_prev
