"""Checks of reference.rnn: the basic RNN and the LSTM, forward and backward.

Gradient checks use the loss L = sum(a * da) (plus sum(c_next * dc_next) for the LSTM cell) with
random upstream gradients, so the analytic gradients are exactly what the backward functions
return. The oracle is PyTorch's RNNCell, RNN, LSTMCell and LSTM in float64. They differ from the
course in layout and naming only, and the mapping is:

- torch puts examples first: ``(m, n)`` per step and ``(T_x, m, n)`` per sequence, where the
  course has ``(n, m)`` and ``(n, m, T_x)``;
- torch stacks the LSTM gates in the order i, f, g, o (g is the course's candidate c) and splits
  the course's ``W (n_a, n_a + n_x)`` into ``weight_hh`` (the a_prev columns) and ``weight_ih``
  (the xt columns);
- torch has two biases, ``bias_ih + bias_hh``, where the course has one: the course's bias goes
  into ``bias_ih`` and ``bias_hh`` is zero (only their sum matters);
- torch does not compute the predictions y; they are softmax(Wy a + by) over axis 0, computed in
  torch from torch's hidden states.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from reference import rnn
from reference.arraytypes import Array, Params
from reference.checks.numeric import numerical_gradient, relative_error, weighted_sum
from reference.checks.registry import Check
from reference.checks.rnn_common import (
    GATES,
    SIZES,
    LSTMCellBackward,
    LSTMCellForward,
    LSTMForward,
    RNNCellBackward,
    RNNCellForward,
    RNNForward,
    SeqBackward,
    lstm_parameters,
    rnn_parameters,
)
from reference.checks.rnn_oracle import (
    check_lstm_cell_torch,
    check_lstm_torch,
    check_rnn_cell_torch,
    check_rnn_torch,
)


def _worst_gradient_error(
    loss: Callable[[], float], grads: dict[str, Array], wrt: dict[str, tuple[str, Array]]
) -> float:
    """Worst relative error of grads[name] against the numerical gradient of loss wrt array."""
    return max(relative_error(grads[name], numerical_gradient(loss, array)) for name, array in wrt.values())


# ---------------------------------------------------------------------------------------------
# Gradient checks
# ---------------------------------------------------------------------------------------------


def check_rnn_cell_backward(
    forward: RNNCellForward = rnn.rnn_cell_forward,
    backward: RNNCellBackward = rnn.rnn_cell_backward,
    seed: int = 0,
) -> float:
    """rnn_cell_backward against centered differences of sum(a_next * da_next)."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for n_x, n_a, n_y, m, _ in SIZES:
        p = rnn_parameters(rng, n_x, n_a, n_y)
        xt, a_prev = rng.standard_normal((n_x, m)), rng.standard_normal((n_a, m))
        da_next = rng.standard_normal((n_a, m))
        grads = backward(da_next, forward(xt, a_prev, p)[2])

        def loss() -> float:
            return weighted_sum(forward(xt, a_prev, p)[0], da_next)

        wrt = {
            "x": ("dxt", xt),
            "a": ("da_prev", a_prev),
            "Wax": ("dWax", p["Wax"]),
            "Waa": ("dWaa", p["Waa"]),
            "ba": ("dba", p["ba"]),
        }
        worst = max(worst, _worst_gradient_error(loss, grads, wrt))
    return worst


def check_rnn_backward(
    forward: RNNForward = rnn.rnn_forward, backward: SeqBackward = rnn.rnn_backward, seed: int = 1
) -> float:
    """rnn_backward against centered differences of sum(a * da) over the whole sequence."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for n_x, n_a, n_y, m, T_x in SIZES:
        p = rnn_parameters(rng, n_x, n_a, n_y)
        x, a0 = rng.standard_normal((n_x, m, T_x)), rng.standard_normal((n_a, m))
        da = rng.standard_normal((n_a, m, T_x))
        grads = backward(da, forward(x, a0, p)[2])

        def loss() -> float:
            return weighted_sum(forward(x, a0, p)[0], da)

        wrt = {
            "x": ("dx", x),
            "a0": ("da0", a0),
            "Wax": ("dWax", p["Wax"]),
            "Waa": ("dWaa", p["Waa"]),
            "ba": ("dba", p["ba"]),
        }
        worst = max(worst, _worst_gradient_error(loss, grads, wrt))
    return worst


def _lstm_wrt(p: Params) -> dict[str, tuple[str, Array]]:
    wrt: dict[str, tuple[str, Array]] = {}
    for g in GATES:
        wrt[f"W{g}"] = (f"dW{g}", p[f"W{g}"])
        wrt[f"b{g}"] = (f"db{g}", p[f"b{g}"])
    return wrt


def check_lstm_cell_backward(
    forward: LSTMCellForward = rnn.lstm_cell_forward,
    backward: LSTMCellBackward = rnn.lstm_cell_backward,
    seed: int = 2,
) -> float:
    """lstm_cell_backward against centered differences of sum(a_next da_next + c_next dc_next).

    With this loss, dc_next is the gradient on c_next through the paths other than a_next, as
    lstm_cell_backward expects; dc_prev is checked as the gradient with respect to c_prev.
    """
    rng = np.random.default_rng(seed)
    worst = 0.0
    for n_x, n_a, n_y, m, _ in SIZES:
        p = lstm_parameters(rng, n_x, n_a, n_y)
        xt = rng.standard_normal((n_x, m))
        a_prev, c_prev = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
        da_next, dc_next = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
        grads = backward(da_next, dc_next, forward(xt, a_prev, c_prev, p)[3])

        def loss() -> float:
            a_next, c_next, _, _ = forward(xt, a_prev, c_prev, p)
            return weighted_sum(a_next, da_next) + weighted_sum(c_next, dc_next)

        wrt = {"x": ("dxt", xt), "a": ("da_prev", a_prev), "c": ("dc_prev", c_prev), **_lstm_wrt(p)}
        worst = max(worst, _worst_gradient_error(loss, grads, wrt))
    return worst


def check_lstm_backward(
    forward: LSTMForward = rnn.lstm_forward, backward: SeqBackward = rnn.lstm_backward, seed: int = 3
) -> float:
    """lstm_backward against centered differences of sum(a * da) over the whole sequence."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for n_x, n_a, n_y, m, T_x in SIZES:
        p = lstm_parameters(rng, n_x, n_a, n_y)
        x, a0 = rng.standard_normal((n_x, m, T_x)), rng.standard_normal((n_a, m))
        da = rng.standard_normal((n_a, m, T_x))
        grads = backward(da, forward(x, a0, p)[3])

        def loss() -> float:
            return weighted_sum(forward(x, a0, p)[0], da)

        wrt = {"x": ("dx", x), "a0": ("da0", a0), **_lstm_wrt(p)}
        worst = max(worst, _worst_gradient_error(loss, grads, wrt))
    return worst


# ---------------------------------------------------------------------------------------------
# Known values of the course notebook (numpy's global generator seeded with 1)
# ---------------------------------------------------------------------------------------------


def _course_rnn_parameters(order: tuple[str, ...]) -> Params:
    shapes = {"Waa": (5, 5), "Wax": (5, 3), "Wya": (2, 5), "ba": (5, 1), "by": (2, 1)}
    return {name: np.random.randn(*shapes[name]) for name in order}


def _course_lstm_parameters() -> Params:
    params: Params = {}
    for g in ("f", "i", "o", "c"):
        params[f"W{g}"] = np.random.randn(5, 5 + 3)
        params[f"b{g}"] = np.random.randn(5, 1)
    params["Wy"] = np.random.randn(2, 5)
    params["by"] = np.random.randn(2, 1)
    return params


def _worst_abs(pairs: list[tuple[Any, Any]]) -> float:
    return max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in pairs)


def check_rnn_cell_forward_known(forward: RNNCellForward = rnn.rnn_cell_forward) -> float:
    """The notebook's rnn_cell_forward test: a_next[4] and yt_pred[1] (seed 1)."""
    np.random.seed(1)
    xt, a_prev = np.random.randn(3, 10), np.random.randn(5, 10)
    p = _course_rnn_parameters(("Waa", "Wax", "Wya", "ba", "by"))
    a_next, yt_pred, _ = forward(xt, a_prev, p)
    return _worst_abs(
        [
            (a_next[4], [0.59584544, 0.18141802, 0.61311866, 0.99808218, 0.85016201,
                         0.99980978, -0.18887155, 0.99815551, 0.6531151, 0.82872037]),
            (yt_pred[1], [0.9888161, 0.01682021, 0.21140899, 0.36817467, 0.98988387,
                          0.88945212, 0.36920224, 0.9966312, 0.9982559, 0.17746526]),
        ]
    )  # fmt: skip


def check_rnn_forward_known(forward: RNNForward = rnn.rnn_forward) -> float:
    """The notebook's rnn_forward test: a[4][1], y_pred[1][3], caches[1][1][3] (seed 1)."""
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 4), np.random.randn(5, 10)
    p = _course_rnn_parameters(("Waa", "Wax", "Wya", "ba", "by"))
    a, y_pred, caches = forward(x, a0, p)
    return _worst_abs(
        [
            (a[4][1], [-0.99999375, 0.77911235, -0.99861469, -0.99833267]),
            (y_pred[1][3], [0.79560373, 0.86224861, 0.11118257, 0.81515947]),
            (caches[1][1][3], [-1.1425182, -0.34934272, -0.20889423, 0.58662319]),
        ]
    )


def check_rnn_cell_backward_known(
    forward: RNNCellForward = rnn.rnn_cell_forward, backward: RNNCellBackward = rnn.rnn_cell_backward
) -> float:
    """The notebook's rnn_cell_backward test (seed 1; parameters drawn Wax, Waa, Wya, ba, by)."""
    np.random.seed(1)
    xt, a_prev = np.random.randn(3, 10), np.random.randn(5, 10)
    p = _course_rnn_parameters(("Wax", "Waa", "Wya", "ba", "by"))
    _, _, cache = forward(xt, a_prev, p)
    g = backward(np.random.randn(5, 10), cache)
    return _worst_abs(
        [
            (g["dxt"][1][2], -1.3872130506),
            (g["da_prev"][2][3], -0.152399493774),
            (g["dWax"][3][1], 0.410772824935),
            (g["dWaa"][1][2], 1.15034506685),
            (g["dba"][4], [0.20023491]),
        ]
    )


def check_rnn_backward_known(
    forward: RNNForward = rnn.rnn_forward, backward: SeqBackward = rnn.rnn_backward
) -> float:
    """The notebook's rnn_backward test (seed 1; parameters drawn Wax, Waa, Wya, ba, by)."""
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 4), np.random.randn(5, 10)
    p = _course_rnn_parameters(("Wax", "Waa", "Wya", "ba", "by"))
    _, _, caches = forward(x, a0, p)
    g = backward(np.random.randn(5, 10, 4), caches)
    return _worst_abs(
        [
            (g["dx"][1][2], [-2.07101689, -0.59255627, 0.02466855, 0.01483317]),
            (g["da0"][2][3], -0.314942375127),
            (g["dWax"][3][1], 11.2641044965),
            (g["dWaa"][1][2], 2.30333312658),
            (g["dba"][4], [-0.74747722]),
        ]
    )


def check_lstm_cell_forward_known(forward: LSTMCellForward = rnn.lstm_cell_forward) -> float:
    """The notebook's lstm_cell_forward test: a_next[4], c_next[2], yt[1], cache[1][3] (seed 1)."""
    np.random.seed(1)
    xt, a_prev, c_prev = np.random.randn(3, 10), np.random.randn(5, 10), np.random.randn(5, 10)
    p = _course_lstm_parameters()
    a_next, c_next, yt, cache = forward(xt, a_prev, c_prev, p)
    return _worst_abs(
        [
            (a_next[4], [-0.66408471, 0.0036921, 0.02088357, 0.22834167, -0.85575339,
                         0.00138482, 0.76566531, 0.34631421, -0.00215674, 0.43827275]),
            (c_next[2], [0.63267805, 1.00570849, 0.35504474, 0.20690913, -1.64566718,
                         0.11832942, 0.76449811, -0.0981561, -0.74348425, -0.26810932]),
            (yt[1], [0.79913913, 0.15986619, 0.22412122, 0.15606108, 0.97057211,
                     0.31146381, 0.00943007, 0.12666353, 0.39380172, 0.07828381]),
            (cache[1][3], [-0.16263996, 1.03729328, 0.72938082, -0.54101719, 0.02752074,
                           -0.30821874, 0.07651101, -1.03752894, 1.41219977, -0.37647422]),
        ]
    )  # fmt: skip


def check_lstm_forward_known(forward: LSTMForward = rnn.lstm_forward) -> float:
    """The notebook's lstm_forward test: a[4][3][6], y[1][4][3], c[1][2][1], caches[1][1][1]."""
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 7), np.random.randn(5, 10)
    p = _course_lstm_parameters()
    a, y, c, caches = forward(x, a0, p)
    return _worst_abs(
        [
            (a[4][3][6], 0.172117767533),
            (y[1][4][3], 0.95087346185),
            (c[1][2][1], -0.855544916718),
            (caches[1][1][1], [0.82797464, 0.23009474, 0.76201118, -0.22232814,
                               -0.20075807, 0.18656139, 0.41005165]),
        ]
    )  # fmt: skip


def check_lstm_cell_backward_known(
    forward: LSTMCellForward = rnn.lstm_cell_forward, backward: LSTMCellBackward = rnn.lstm_cell_backward
) -> float:
    """The notebook's lstm_cell_backward test (seed 1): one entry of each gradient."""
    np.random.seed(1)
    xt, a_prev, c_prev = np.random.randn(3, 10), np.random.randn(5, 10), np.random.randn(5, 10)
    p = _course_lstm_parameters()
    _, _, _, cache = forward(xt, a_prev, c_prev, p)
    da_next, dc_next = np.random.randn(5, 10), np.random.randn(5, 10)
    g = backward(da_next, dc_next, cache)
    return _worst_abs(
        [
            (g["dxt"][1][2], 3.23055911511),
            (g["da_prev"][2][3], -0.0639621419711),
            (g["dc_prev"][2][3], 0.797522038797),
            (g["dWf"][3][1], -0.147954838164),
            (g["dWi"][1][2], 1.05749805523),
            (g["dWc"][3][1], 2.30456216369),
            (g["dWo"][1][2], 0.331311595289),
            (g["dbf"][4], [0.18864637]),
            (g["dbi"][4], [-0.40142491]),
            (g["dbc"][4], [0.25587763]),
            (g["dbo"][4], [0.13893342]),
        ]
    )


# ---------------------------------------------------------------------------------------------
# Invariants: the sequence functions are the cell functions, step by step
# ---------------------------------------------------------------------------------------------

STEP_TOLERANCE = 1e-12


def check_lstm_matches_cells(
    forward: LSTMForward = rnn.lstm_forward, backward: SeqBackward = rnn.lstm_backward, seed: int = 8
) -> float:
    """1.0 unless lstm_forward's outputs and caches, and lstm_backward's gradients, equal a loop of
    lstm_cell_forward / lstm_cell_backward (with the recurrent gradient added) to 1e-12."""
    rng = np.random.default_rng(seed)
    for n_x, n_a, n_y, m, T_x in SIZES:
        p = lstm_parameters(rng, n_x, n_a, n_y)
        x, a0 = rng.standard_normal((n_x, m, T_x)), rng.standard_normal((n_a, m))
        da = rng.standard_normal((n_a, m, T_x))
        a, y, c, (caches, x_cached) = forward(x, a0, p)
        if len(caches) != T_x or x_cached is not x:
            return 1.0
        errors: list[float] = []
        a_prev, c_prev = a0, np.zeros((n_a, m))
        cell_caches = []
        for t in range(T_x):
            a_prev, c_prev, yt, cache = rnn.lstm_cell_forward(x[:, :, t], a_prev, c_prev, p)
            cell_caches.append(cache)
            ours = caches[t]
            if len(ours) != 10 or ours[9] is not p:
                return 1.0
            errors += [relative_error(a[:, :, t], a_prev), relative_error(c[:, :, t], c_prev)]
            errors += [relative_error(y[:, :, t], yt)]
            errors += [relative_error(u, v) for u, v in zip(ours[:9], cache[:9], strict=True)]
        grads = backward(da, (caches, x))
        da_prev, dc_prev = np.zeros((n_a, m)), np.zeros((n_a, m))
        sums: dict[str, Array] = {}
        for t in reversed(range(T_x)):
            g = rnn.lstm_cell_backward(da[:, :, t] + da_prev, dc_prev, cell_caches[t])
            da_prev, dc_prev = g["da_prev"], g["dc_prev"]
            errors.append(relative_error(grads["dx"][:, :, t], g["dxt"]))
            for key in g:
                if key.startswith(("dW", "db")):
                    sums[key] = sums.get(key, 0.0) + g[key]
        errors.append(relative_error(grads["da0"], da_prev))
        errors += [relative_error(grads[k], v) for k, v in sums.items()]
        if max(errors) > STEP_TOLERANCE:
            return 1.0
    return 0.0


def check_rnn_matches_cells(
    forward: RNNForward = rnn.rnn_forward, backward: SeqBackward = rnn.rnn_backward, seed: int = 9
) -> float:
    """1.0 unless rnn_forward/rnn_backward equal a loop of the cell functions to 1e-12."""
    rng = np.random.default_rng(seed)
    for n_x, n_a, n_y, m, T_x in SIZES:
        p = rnn_parameters(rng, n_x, n_a, n_y)
        x, a0 = rng.standard_normal((n_x, m, T_x)), rng.standard_normal((n_a, m))
        da = rng.standard_normal((n_a, m, T_x))
        a, y, (caches, _) = forward(x, a0, p)
        errors: list[float] = []
        a_prev = a0
        cell_caches = []
        for t in range(T_x):
            a_prev, yt, cache = rnn.rnn_cell_forward(x[:, :, t], a_prev, p)
            cell_caches.append(cache)
            errors += [relative_error(a[:, :, t], a_prev), relative_error(y[:, :, t], yt)]
            errors += [relative_error(u, v) for u, v in zip(caches[t][:3], cache[:3], strict=True)]
        grads = backward(da, (caches, x))
        da_prev = np.zeros((n_a, m))
        sums: dict[str, Array] = {}
        for t in reversed(range(T_x)):
            g = rnn.rnn_cell_backward(da[:, :, t] + da_prev, cell_caches[t])
            da_prev = g["da_prev"]
            errors.append(relative_error(grads["dx"][:, :, t], g["dxt"]))
            for key in ("dWax", "dWaa", "dba"):
                sums[key] = sums.get(key, 0.0) + g[key]
        errors.append(relative_error(grads["da0"], da_prev))
        errors += [relative_error(grads[k], v) for k, v in sums.items()]
        if max(errors) > STEP_TOLERANCE:
            return 1.0
    return 0.0


def checks() -> list[Check]:
    """The checks of the RNN and LSTM functions."""
    grad = "centered differences, 4 sizes"
    return [
        Check(
            "rnn.rnn_cell_forward", "known-value", "notebook test, seed 1", check_rnn_cell_forward_known, 1e-8
        ),
        Check("rnn.rnn_forward", "known-value", "notebook test, seed 1", check_rnn_forward_known, 1e-8),
        Check(
            "rnn.rnn_cell_backward",
            "known-value",
            "notebook test, seed 1",
            check_rnn_cell_backward_known,
            1e-8,
        ),
        Check("rnn.rnn_backward", "known-value", "notebook test, seed 1", check_rnn_backward_known, 1e-8),
        Check(
            "rnn.lstm_cell_forward",
            "known-value",
            "notebook test, seed 1",
            check_lstm_cell_forward_known,
            1e-8,
        ),
        Check("rnn.lstm_forward", "known-value", "notebook test, seed 1", check_lstm_forward_known, 1e-8),
        Check(
            "rnn.lstm_cell_backward",
            "known-value",
            "notebook test, seed 1",
            check_lstm_cell_backward_known,
            1e-8,
        ),
        Check("rnn.rnn_cell_backward", "gradient", grad, check_rnn_cell_backward, 1e-7),
        Check("rnn.rnn_backward", "gradient", grad, check_rnn_backward, 1e-7),
        Check(
            "rnn.lstm_cell_backward",
            "gradient",
            grad + ", da_next and dc_next",
            check_lstm_cell_backward,
            1e-7,
        ),
        Check("rnn.lstm_backward", "gradient", grad, check_lstm_backward, 1e-7),
        Check(
            "rnn.rnn_cell_forward",
            "oracle",
            "forward and gradients vs torch.nn.RNNCell float64",
            check_rnn_cell_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            "rnn.rnn_forward",
            "oracle",
            "forward and gradients vs torch.nn.RNN float64",
            check_rnn_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            "rnn.lstm_cell_forward",
            "oracle",
            "forward and gradients vs torch.nn.LSTMCell float64",
            check_lstm_cell_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            "rnn.lstm_forward",
            "oracle",
            "forward and gradients vs torch.nn.LSTM float64",
            check_lstm_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            "rnn.rnn_forward",
            "invariant",
            "sequence = loop of cells, caches too",
            check_rnn_matches_cells,
            0.5,
        ),
        Check(
            "rnn.lstm_forward",
            "invariant",
            "sequence = loop of cells, caches too",
            check_lstm_matches_cells,
            0.5,
        ),
    ]
