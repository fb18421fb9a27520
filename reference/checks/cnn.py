"""Checks of reference.cnn: centered differences, the torch oracle, the course's values, invariants.

Every check function takes the implementation under test as parameters (the reference by
default), so the tests can show that a student's typical mistake makes it fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from reference import cnn
from reference.arraytypes import Array
from reference.checks.numeric import numerical_gradient, relative_error, weighted_sum
from reference.checks.registry import Check
from reference.cnn import ConvCache, HParameters, PoolCache, PoolMode

ConvForward = Callable[[Array, Array, Array, HParameters], tuple[Array, ConvCache]]
ConvBackward = Callable[[Array, ConvCache], tuple[Array, Array, Array]]
PoolForward = Callable[[Array, HParameters, PoolMode], tuple[Array, PoolCache]]
PoolBackward = Callable[[Array, PoolCache, PoolMode], Array]

CONV_CASES: tuple[tuple[int, int, int, int, int, int, int, int], ...] = (
    # (m, n_H_prev, n_W_prev, n_C_prev, n_C, f, pad, stride): pads 0/1/2, strides 1/2/3, f 1/2/3,
    # odd and non-square inputs, windows that leave rows or columns unread.
    (1, 4, 4, 2, 3, 1, 0, 1),
    (2, 5, 7, 3, 2, 3, 1, 2),
    (3, 6, 5, 2, 2, 2, 2, 3),
    (2, 7, 7, 1, 2, 3, 0, 3),
    (1, 5, 5, 3, 2, 3, 2, 1),
    (2, 6, 4, 2, 3, 2, 1, 1),
    (2, 3, 5, 2, 2, 3, 0, 2),
)

POOL_CASES: tuple[tuple[int, int, int, int, int, int], ...] = (
    # (m, n_H_prev, n_W_prev, n_C, f, stride): tiling windows, leftover rows and columns,
    # overlapping windows (stride < f), gaps between windows (stride > f), f = 1.
    (2, 4, 4, 2, 2, 2),
    (2, 5, 7, 3, 2, 2),
    (2, 6, 6, 1, 3, 3),
    (1, 6, 6, 2, 3, 1),
    (2, 7, 8, 2, 3, 2),
    (2, 7, 9, 2, 2, 3),
    (1, 5, 5, 2, 1, 1),
)

POOL_MODES: tuple[PoolMode, ...] = ("max", "average")


def _conv_inputs(
    rng: np.random.Generator, case: tuple[int, int, int, int, int, int, int, int]
) -> tuple[Array, Array, Array, HParameters]:
    m, n_H, n_W, n_C_prev, n_C, f, pad, stride = case
    A_prev = rng.standard_normal((m, n_H, n_W, n_C_prev))
    W = rng.standard_normal((f, f, n_C_prev, n_C))
    b = rng.standard_normal((1, 1, 1, n_C))
    return A_prev, W, b, {"pad": pad, "stride": stride}


# --------------------------------------------------------------------------- gradient


def check_conv_backward(
    forward: ConvForward = cnn.conv_forward, backward: ConvBackward = cnn.conv_backward, seed: int = 0
) -> float:
    """Worst relative error of (dA_prev, dW, db) against centered differences over CONV_CASES."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for case in CONV_CASES:
        A_prev, W, b, hp = _conv_inputs(rng, case)
        Z, cache = forward(A_prev, W, b, hp)
        dZ = rng.standard_normal(Z.shape)
        dA_prev, dW, db = backward(dZ, cache)

        def loss() -> float:
            return weighted_sum(forward(A_prev, W, b, hp)[0], dZ)

        for analytic, x in ((dA_prev, A_prev), (dW, W), (db, b)):
            worst = max(worst, relative_error(analytic, numerical_gradient(loss, x)))
    return worst


def check_pool_backward(
    mode: PoolMode,
    forward: PoolForward = cnn.pool_forward,
    backward: PoolBackward = cnn.pool_backward,
    seed: int = 0,
) -> float:
    """Worst relative error of dA_prev against centered differences over POOL_CASES.

    The inputs are continuous random numbers, so no window has two maxima closer than the step.
    """
    rng = np.random.default_rng(seed)
    worst = 0.0
    for m, n_H, n_W, n_C, f, stride in POOL_CASES:
        A_prev = rng.standard_normal((m, n_H, n_W, n_C))
        hp = {"f": f, "stride": stride}
        A, cache = forward(A_prev, hp, mode)
        dA = rng.standard_normal(A.shape)
        analytic = backward(dA, cache, mode)
        numeric = numerical_gradient(lambda: weighted_sum(forward(A_prev, hp, mode)[0], dA), A_prev)
        worst = max(worst, relative_error(analytic, numeric))
    return worst


# --------------------------------------------------------------------------- oracle (torch)


def _nchw(x: Array) -> Any:
    """A torch float64 tensor (m, C, H, W) of a channels-last array, tracking gradients."""
    import torch

    return torch.tensor(x.transpose(0, 3, 1, 2), dtype=torch.float64, requires_grad=True)


def _nhwc(t: Any) -> Array:
    """A channels-last numpy array of a torch (m, C, H, W) tensor."""
    out: Array = t.detach().numpy().transpose(0, 2, 3, 1)
    return out


def _torch_conv(A_prev: Array, W: Array, b: Array, hp: HParameters) -> tuple[Any, Any, Any, Any]:
    """torch's (z, x, w, bias) for conv2d in float64, inputs tracking gradients (NCHW layouts)."""
    import torch
    from torch.nn import functional

    x = _nchw(A_prev)
    # W (f, f, n_C_prev, n_C) -> torch's (out_channels, in_channels, kH, kW).
    w = torch.tensor(W.transpose(3, 2, 0, 1), dtype=torch.float64, requires_grad=True)
    bias = torch.tensor(b.reshape(-1), dtype=torch.float64, requires_grad=True)
    z = functional.conv2d(x, w, bias, stride=hp["stride"], padding=hp["pad"])
    return z, x, w, bias


def check_conv_forward_torch(forward: ConvForward = cnn.conv_forward, seed: int = 1) -> float:
    """Worst relative error of Z against torch.nn.functional.conv2d over CONV_CASES."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for case in CONV_CASES:
        A_prev, W, b, hp = _conv_inputs(rng, case)
        Z, _ = forward(A_prev, W, b, hp)
        worst = max(worst, relative_error(Z, _nhwc(_torch_conv(A_prev, W, b, hp)[0])))
    return worst


def check_conv_backward_torch(
    forward: ConvForward = cnn.conv_forward, backward: ConvBackward = cnn.conv_backward, seed: int = 2
) -> float:
    """Worst relative error of (dA_prev, dW, db) against torch autograd over CONV_CASES."""
    import torch

    rng = np.random.default_rng(seed)
    worst = 0.0
    for case in CONV_CASES:
        A_prev, W, b, hp = _conv_inputs(rng, case)
        z, x, w, bias = _torch_conv(A_prev, W, b, hp)
        # dZ takes the true output shape, so a forward with a wrong shape cannot hide here.
        dZ = rng.standard_normal(_nhwc(z).shape)
        z.backward(torch.tensor(dZ.transpose(0, 3, 1, 2), dtype=torch.float64))
        assert x.grad is not None and w.grad is not None and bias.grad is not None
        expected = (
            _nhwc(x.grad),
            w.grad.detach().numpy().transpose(2, 3, 1, 0),
            bias.grad.detach().numpy().reshape(b.shape),
        )
        _, cache = forward(A_prev, W, b, hp)
        grads = backward(dZ, cache)
        worst = max(worst, *(relative_error(g, e) for g, e in zip(grads, expected, strict=True)))
    return worst


def _torch_pool(A_prev: Array, hp: HParameters, mode: PoolMode, dA: Array) -> tuple[Array, Array]:
    """(A, dA_prev) from torch's max_pool2d or avg_pool2d and autograd, channels last."""
    import torch
    from torch.nn import functional

    x = _nchw(A_prev)
    pool = functional.max_pool2d if mode == "max" else functional.avg_pool2d
    out = pool(x, hp["f"], hp["stride"])
    out.backward(torch.tensor(dA.transpose(0, 3, 1, 2), dtype=torch.float64))
    return _nhwc(out), _nhwc(x.grad)


def _pool_oracle_errors(forward: PoolForward, backward: PoolBackward | None, seed: int) -> float:
    """Worst relative error against torch over POOL_CASES and both modes (backward when given).

    The inputs are continuous random numbers: no window has tied maxima, the only case where
    the course's rule (every maximum gets the gradient) and torch's (one of them does) differ.
    """
    rng = np.random.default_rng(seed)
    worst = 0.0
    for m, n_H, n_W, n_C, f, stride in POOL_CASES:
        A_prev = rng.standard_normal((m, n_H, n_W, n_C))
        hp = {"f": f, "stride": stride}
        for mode in POOL_MODES:
            A, cache = forward(A_prev, hp, mode)
            # dA takes the true output shape, so a forward with a wrong shape cannot hide here.
            dA = rng.standard_normal((m, (n_H - f) // stride + 1, (n_W - f) // stride + 1, n_C))
            expected_A, expected_dA_prev = _torch_pool(A_prev, hp, mode, dA)
            if backward is None:
                worst = max(worst, relative_error(A, expected_A))
            else:
                worst = max(worst, relative_error(backward(dA, cache, mode), expected_dA_prev))
    return worst


def check_pool_forward_torch(forward: PoolForward = cnn.pool_forward, seed: int = 3) -> float:
    """Worst relative error of max and average pooling against F.max_pool2d / F.avg_pool2d."""
    return _pool_oracle_errors(forward, None, seed)


def check_pool_backward_torch(
    forward: PoolForward = cnn.pool_forward, backward: PoolBackward = cnn.pool_backward, seed: int = 3
) -> float:
    """Worst relative error of max and average pooling gradients against torch autograd."""
    return _pool_oracle_errors(forward, backward, seed)


# --------------------------------------------------------------------------- known values

COURSE_MEAN_Z = 0.5511276474566768
"""mean(Z) of the course's conv_forward test.

Seed 1; A_prev (2,5,7,4), W (3,3,4,8), b (1,1,1,8) drawn in that order; pad 1, stride 2.
"""


def check_conv_forward_course(forward: ConvForward = cnn.conv_forward) -> float:
    """|mean(Z) - course value|, drawing A_prev, W, b from np.random.seed(1) in the course's order.

    Saves and restores numpy's global RNG state, so running the check changes nothing else.
    """
    state = np.random.get_state()
    try:
        np.random.seed(1)
        A_prev = np.random.randn(2, 5, 7, 4)
        W = np.random.randn(3, 3, 4, 8)
        b = np.random.randn(1, 1, 1, 8)
    finally:
        np.random.set_state(state)
    Z, _ = forward(A_prev, W, b, {"pad": 1, "stride": 2})
    if Z.shape != (2, 3, 4, 8):
        return float("inf")
    return abs(float(np.mean(Z)) - COURSE_MEAN_Z)


def _abs_error(actual: Any, expected: Array) -> float:
    """max |actual - expected|, or inf when the shapes differ."""
    got = np.asarray(actual, dtype=np.float64)
    if got.shape != expected.shape:
        return float("inf")
    return float(np.max(np.abs(got - expected)))


def check_zero_pad(zero_pad: Callable[[Array, int], Array] = cnn.zero_pad) -> float:
    """Worst absolute error on hand-written cases: padding on height and width only."""
    X = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 2, 2, 1)
    expected = np.array(
        [[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 2.0, 0.0], [0.0, 3.0, 4.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    ).reshape(1, 4, 4, 1)
    worst = _abs_error(zero_pad(X, 1), expected)
    # Two examples and two channels, pad 2: the batch and channel axes keep their sizes.
    X2 = np.arange(1.0, 9.0).reshape(2, 1, 2, 2)
    expected2 = np.zeros((2, 5, 6, 2))
    expected2[:, 2:3, 2:4, :] = X2
    worst = max(worst, _abs_error(zero_pad(X2, 2), expected2))
    # pad 0 leaves the array as it is.
    return max(worst, _abs_error(zero_pad(X2, 0), X2))


def check_conv_single_step(
    conv_single_step: Callable[[Array, Array, Array], float] = cnn.conv_single_step,
) -> float:
    """Worst absolute error on hand-computed windows; inf when the result is not a float scalar."""
    cases = (
        # 1*1 + 2*0 + 3*0 + 4*(-1) + 0.5 = -2.5
        (
            np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(2, 2, 1),
            np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(2, 2, 1),
            0.5,
            -2.5,
        ),
        # 0 + 1 + ... + 7 = 28, minus 1
        (np.arange(8.0).reshape(2, 2, 2), np.ones((2, 2, 2)), -1.0, 27.0),
        # 1x1 window, 3 channels: 2*1 + 3*(-2) + 4*0.5 = -2, plus 0
        (np.array([2.0, 3.0, 4.0]).reshape(1, 1, 3), np.array([1.0, -2.0, 0.5]).reshape(1, 1, 3), 0.0, -2.0),
    )
    worst = 0.0
    for a, W, b, expected in cases:
        result = conv_single_step(a, W, np.full((1, 1, 1), b))
        # The course's value is a scalar (a Python float or np.float64), never a (1, 1, 1) array.
        if not isinstance(result, float):
            return float("inf")
        worst = max(worst, abs(result - expected))
    return worst


def check_create_mask_from_window(
    create_mask: Callable[[Array], Any] = cnn.create_mask_from_window,
) -> float:
    """Number of wrong entries on hand-written windows, ties included (every maximum is True)."""
    cases = (
        (np.array([[1.0, 3.0], [3.0, 2.0]]), np.array([[False, True], [True, False]])),
        (np.array([[-1.0, -4.0, -2.0]]), np.array([[True, False, False]])),
        (np.full((2, 2), 7.0), np.ones((2, 2), dtype=bool)),
        (np.array([[0.5]]), np.array([[True]])),
    )
    wrong = 0
    for x, expected in cases:
        mask = np.asarray(create_mask(x))
        if mask.shape != expected.shape:
            return float("inf")
        wrong += int(np.count_nonzero(mask.astype(bool) != expected))
    return float(wrong)


def check_distribute_value(
    distribute_value: Callable[[float, tuple[int, int]], Array] = cnn.distribute_value,
) -> float:
    """Worst absolute error on hand-computed cases: dz / (n_H n_W) everywhere."""
    cases = ((2.0, (2, 2), 0.5), (6.0, (2, 3), 1.0), (-3.0, (1, 1), -3.0), (1.0, (3, 3), 1.0 / 9.0))
    worst = 0.0
    for dz, shape, value in cases:
        worst = max(worst, _abs_error(distribute_value(dz, shape), np.full(shape, value)))
    return worst


# Windows with tied maxima (f = 2, stride 2): top-left ties 2 entries, top-right 3, bottom-left 2,
# bottom-right all 4. Each tied maximum receives its window's whole gradient.
_TIES_INPUT = np.array(
    [[1.0, 1.0, 0.0, 2.0], [0.0, 0.0, 2.0, 2.0], [3.0, 0.0, 1.0, 1.0], [0.0, 3.0, 1.0, 1.0]]
).reshape(1, 4, 4, 1)
_TIES_DA = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
_TIES_DA_PREV = np.array(
    [[1.0, 1.0, 0.0, 2.0], [0.0, 0.0, 2.0, 2.0], [3.0, 0.0, 4.0, 4.0], [0.0, 3.0, 4.0, 4.0]]
).reshape(1, 4, 4, 1)


def check_pool_known_values(
    forward: PoolForward = cnn.pool_forward, backward: PoolBackward = cnn.pool_backward
) -> float:
    """Worst absolute error on hand-computed pooling cases, tied maxima included."""
    tiles = {"f": 2, "stride": 2}
    A_max, cache = forward(_TIES_INPUT, tiles, "max")
    worst = _abs_error(A_max, np.array([[1.0, 2.0], [3.0, 1.0]]).reshape(1, 2, 2, 1))
    worst = max(worst, _abs_error(backward(_TIES_DA, cache, "max"), _TIES_DA_PREV))
    A_avg, cache = forward(_TIES_INPUT, tiles, "average")
    worst = max(worst, _abs_error(A_avg, np.array([[0.5, 1.5], [1.5, 1.0]]).reshape(1, 2, 2, 1)))
    # Average: each window spreads its gradient in quarters.
    expected_avg = np.repeat(np.repeat(_TIES_DA / 4.0, 2, axis=1), 2, axis=2)
    worst = max(worst, _abs_error(backward(_TIES_DA, cache, "average"), expected_avg))
    # Overlapping windows (f = 2, stride 1) on a constant input: every entry ties in every window
    # that covers it, so it receives one unit per covering window.
    overlapping = {"f": 2, "stride": 1}
    _, cache = forward(np.ones((1, 3, 3, 1)), overlapping, "max")
    counts = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]).reshape(1, 3, 3, 1)
    return max(worst, _abs_error(backward(np.ones((1, 2, 2, 1)), cache, "max"), counts))


# --------------------------------------------------------------------------- invariants


def check_average_pool_conserves_gradient(
    forward: PoolForward = cnn.pool_forward, backward: PoolBackward = cnn.pool_backward, seed: int = 4
) -> float:
    """Worst |sum dA_prev - sum dA| / sum |dA| of average pooling over POOL_CASES.

    Every window hands out exactly its own gradient, so the total is conserved whether windows
    tile, overlap or leave gaps.
    """
    rng = np.random.default_rng(seed)
    worst = 0.0
    for m, n_H, n_W, n_C, f, stride in POOL_CASES:
        hp = {"f": f, "stride": stride}
        _, cache = forward(rng.standard_normal((m, n_H, n_W, n_C)), hp, "average")
        n_out_H, n_out_W = (n_H - f) // stride + 1, (n_W - f) // stride + 1
        dA = rng.standard_normal((m, n_out_H, n_out_W, n_C))
        dA_prev = backward(dA, cache, "average")
        worst = max(worst, abs(float(np.sum(dA_prev) - np.sum(dA))) / float(np.sum(np.abs(dA))))
    return worst


def check_output_shapes(
    conv_forward: ConvForward = cnn.conv_forward, pool_forward: PoolForward = cnn.pool_forward
) -> float:
    """0.0 when every output has floor((n + 2 pad - f) / stride) + 1 rows and columns, else 1.0."""
    rng = np.random.default_rng(5)
    for case in CONV_CASES:
        A_prev, W, b, hp = _conv_inputs(rng, case)
        m, n_H, n_W, _, n_C, f, pad, stride = case
        expected = (m, (n_H + 2 * pad - f) // stride + 1, (n_W + 2 * pad - f) // stride + 1, n_C)
        if conv_forward(A_prev, W, b, hp)[0].shape != expected:
            return 1.0
    for m, n_H, n_W, n_C, f, stride in POOL_CASES:
        expected = (m, (n_H - f) // stride + 1, (n_W - f) // stride + 1, n_C)
        for mode in POOL_MODES:
            if (
                pool_forward(rng.standard_normal((m, n_H, n_W, n_C)), {"f": f, "stride": stride}, mode)[
                    0
                ].shape
                != expected
            ):
                return 1.0
    return 0.0


def checks() -> list[Check]:
    """The checks of the CNN step-by-step functions."""
    return [
        Check(
            "cnn.conv_backward",
            "gradient",
            "dA_prev, dW, db; pads 0-2, strides 1-3, f 1-3",
            check_conv_backward,
            1e-7,
        ),
        Check(
            "cnn.pool_backward",
            "gradient",
            "max mode; tiling, overlapping and spaced windows",
            lambda: check_pool_backward("max"),
            1e-7,
        ),
        Check(
            "cnn.pool_backward",
            "gradient",
            "average mode; tiling, overlapping and spaced windows",
            lambda: check_pool_backward("average"),
            1e-7,
        ),
        Check(
            "cnn.conv_forward",
            "oracle",
            "Z vs torch conv2d float64, pads and strides",
            check_conv_forward_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            "cnn.conv_backward",
            "oracle",
            "dA_prev, dW, db vs torch autograd float64",
            check_conv_backward_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            "cnn.pool_forward",
            "oracle",
            "max and average vs torch max_pool2d/avg_pool2d",
            check_pool_forward_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            "cnn.pool_backward",
            "oracle",
            "max and average vs torch autograd (no ties)",
            check_pool_backward_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            "cnn.conv_forward",
            "known-value",
            "course's seed-1 mean(Z) = 0.5511276474566768",
            check_conv_forward_course,
            1e-10,
        ),
        Check("cnn.zero_pad", "known-value", "hand-computed pads 0, 1, 2", check_zero_pad, 0.0),
        Check(
            "cnn.conv_single_step",
            "known-value",
            "hand-computed windows, float result",
            check_conv_single_step,
            1e-12,
        ),
        Check(
            "cnn.create_mask_from_window",
            "known-value",
            "every tied maximum marked",
            check_create_mask_from_window,
            0.0,
        ),
        Check(
            "cnn.distribute_value",
            "known-value",
            "dz / (n_H * n_W) everywhere",
            check_distribute_value,
            1e-15,
        ),
        Check(
            "cnn.pool_backward",
            "known-value",
            "hand-computed windows with tied maxima",
            check_pool_known_values,
            1e-15,
        ),
        Check(
            "cnn.pool_backward",
            "invariant",
            "average pooling conserves the gradient sum",
            check_average_pool_conserves_gradient,
            1e-12,
        ),
        Check(
            "cnn.conv_forward",
            "invariant",
            "conv and pool outputs are floor((n+2p-f)/s)+1",
            check_output_shapes,
            0.0,
        ),
    ]
