"""PyTorch float64 oracle for reference.rnn (RNNCell, RNN, LSTMCell, LSTM).

torch differs from the course in layout and naming only; the mapping is described in
reference.checks.rnn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reference import rnn
from reference.arraytypes import Array, Params
from reference.checks.numeric import relative_error
from reference.checks.rnn_common import (
    TORCH_SIZES,
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

# ---------------------------------------------------------------------------------------------
# PyTorch oracle
# ---------------------------------------------------------------------------------------------


def _np(t: Any) -> Array:
    out: Array = t.detach().numpy()
    return out


def _softmax_torch(logits: Any) -> Any:
    import torch

    return torch.softmax(logits, dim=0)


def check_rnn_cell_torch(
    forward: RNNCellForward = rnn.rnn_cell_forward,
    backward: RNNCellBackward = rnn.rnn_cell_backward,
    seed: int = 4,
) -> float:
    """rnn_cell_forward/backward against torch.nn.RNNCell (tanh) and autograd, float64.

    Mapping: weight_ih = Wax, weight_hh = Waa, bias_ih = ba, bias_hh = 0; torch's (m, n) arrays
    are the transposes of the course's (n, m).
    """
    import torch

    rng = np.random.default_rng(seed)
    worst = 0.0
    for n_x, n_a, n_y, m, _ in TORCH_SIZES:
        p = rnn_parameters(rng, n_x, n_a, n_y)
        xt, a_prev = rng.standard_normal((n_x, m)), rng.standard_normal((n_a, m))
        da_next = rng.standard_normal((n_a, m))
        a_next, yt_pred, cache = forward(xt, a_prev, p)
        grads = backward(da_next, cache)

        cell = torch.nn.RNNCell(n_x, n_a, nonlinearity="tanh").double()
        with torch.no_grad():
            cell.weight_ih.copy_(torch.tensor(p["Wax"]))
            cell.weight_hh.copy_(torch.tensor(p["Waa"]))
            cell.bias_ih.copy_(torch.tensor(p["ba"].ravel()))
            cell.bias_hh.zero_()
        x_t = torch.tensor(xt.T, requires_grad=True)
        h_t = torch.tensor(a_prev.T, requires_grad=True)
        h = cell(x_t, h_t)
        y = _softmax_torch(torch.tensor(p["Wya"]) @ h.T + torch.tensor(p["by"]))
        h.backward(torch.tensor(da_next.T))
        assert x_t.grad is not None and h_t.grad is not None
        assert cell.weight_ih.grad is not None and cell.weight_hh.grad is not None
        assert cell.bias_ih.grad is not None
        pairs = [
            (a_next, _np(h).T),
            (yt_pred, _np(y)),
            (grads["dxt"], _np(x_t.grad).T),
            (grads["da_prev"], _np(h_t.grad).T),
            (grads["dWax"], _np(cell.weight_ih.grad)),
            (grads["dWaa"], _np(cell.weight_hh.grad)),
            (grads["dba"], _np(cell.bias_ih.grad)[:, None]),
        ]
        worst = max(worst, *(relative_error(ours, theirs) for ours, theirs in pairs))
    return worst


def check_rnn_torch(
    forward: RNNForward = rnn.rnn_forward, backward: SeqBackward = rnn.rnn_backward, seed: int = 5
) -> float:
    """rnn_forward/backward against torch.nn.RNN (one tanh layer) and autograd, float64.

    torch's sequences are (T_x, m, n): x.transpose(2, 1, 0) in the course's terms.
    """
    import torch

    rng = np.random.default_rng(seed)
    worst = 0.0
    for n_x, n_a, n_y, m, T_x in TORCH_SIZES:
        p = rnn_parameters(rng, n_x, n_a, n_y)
        x, a0 = rng.standard_normal((n_x, m, T_x)), rng.standard_normal((n_a, m))
        da = rng.standard_normal((n_a, m, T_x))
        a, y_pred, caches = forward(x, a0, p)
        grads = backward(da, caches)

        net = torch.nn.RNN(n_x, n_a, nonlinearity="tanh").double()
        weights = dict(net.named_parameters())
        with torch.no_grad():
            weights["weight_ih_l0"].copy_(torch.tensor(p["Wax"]))
            weights["weight_hh_l0"].copy_(torch.tensor(p["Waa"]))
            weights["bias_ih_l0"].copy_(torch.tensor(p["ba"].ravel()))
            weights["bias_hh_l0"].zero_()
        x_t = torch.tensor(x.transpose(2, 1, 0).copy(), requires_grad=True)
        h0 = torch.tensor(a0.T[None].copy(), requires_grad=True)
        out, _ = net(x_t, h0)  # (T_x, m, n_a)
        logits = torch.einsum("ya,tma->ymt", torch.tensor(p["Wya"]), out) + torch.tensor(p["by"])[:, :, None]
        y = _softmax_torch(logits)
        out.backward(torch.tensor(da.transpose(2, 1, 0).copy()))
        assert x_t.grad is not None and h0.grad is not None
        assert net.weight_ih_l0.grad is not None and net.weight_hh_l0.grad is not None
        assert net.bias_ih_l0.grad is not None
        pairs = [
            (a, _np(out).transpose(2, 1, 0)),
            (y_pred, _np(y)),
            (grads["dx"], _np(x_t.grad).transpose(2, 1, 0)),
            (grads["da0"], _np(h0.grad)[0].T),
            (grads["dWax"], _np(net.weight_ih_l0.grad)),
            (grads["dWaa"], _np(net.weight_hh_l0.grad)),
            (grads["dba"], _np(net.bias_ih_l0.grad)[:, None]),
        ]
        worst = max(worst, *(relative_error(ours, theirs) for ours, theirs in pairs))
    return worst


TORCH_GATE_ORDER = ("i", "f", "c", "o")
"""torch's gate order i, f, g, o in the course's names (g is the candidate c)."""


def lstm_to_torch(parameters: Params, n_a: int) -> tuple[Array, Array, Array]:
    """The course's LSTM gates as torch's (weight_ih (4 n_a, n_x), weight_hh (4 n_a, n_a), bias)."""
    W = np.concatenate([parameters[f"W{g}"] for g in TORCH_GATE_ORDER])
    b = np.concatenate([parameters[f"b{g}"] for g in TORCH_GATE_ORDER]).ravel()
    return W[:, n_a:].copy(), W[:, :n_a].copy(), b


def lstm_grads_from_torch(dW_ih: Array, dW_hh: Array, db: Array, n_a: int) -> dict[str, Array]:
    """torch's weight and bias gradients, in the course's names and shapes."""
    out: dict[str, Array] = {}
    for k, g in enumerate(TORCH_GATE_ORDER):
        rows = slice(k * n_a, (k + 1) * n_a)
        out[f"dW{g}"] = np.concatenate((dW_hh[rows], dW_ih[rows]), axis=1)
        out[f"db{g}"] = db[rows][:, None]
    return out


def check_lstm_cell_torch(
    forward: LSTMCellForward = rnn.lstm_cell_forward,
    backward: LSTMCellBackward = rnn.lstm_cell_backward,
    seed: int = 6,
) -> float:
    """lstm_cell_forward/backward against torch.nn.LSTMCell and autograd, float64.

    The upstream gradients are da_next on h and dc_next on c (torch adds the path through h
    itself, as lstm_cell_backward does). Gate order and weight split: see lstm_to_torch.
    """
    import torch

    rng = np.random.default_rng(seed)
    worst = 0.0
    for n_x, n_a, n_y, m, _ in TORCH_SIZES:
        p = lstm_parameters(rng, n_x, n_a, n_y)
        xt = rng.standard_normal((n_x, m))
        a_prev, c_prev = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
        da_next, dc_next = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
        a_next, c_next, yt_pred, cache = forward(xt, a_prev, c_prev, p)
        grads = backward(da_next, dc_next, cache)

        cell = torch.nn.LSTMCell(n_x, n_a).double()
        W_ih, W_hh, b = lstm_to_torch(p, n_a)
        with torch.no_grad():
            cell.weight_ih.copy_(torch.tensor(W_ih))
            cell.weight_hh.copy_(torch.tensor(W_hh))
            cell.bias_ih.copy_(torch.tensor(b))
            cell.bias_hh.zero_()
        x_t = torch.tensor(xt.T, requires_grad=True)
        h_t = torch.tensor(a_prev.T, requires_grad=True)
        c_t = torch.tensor(c_prev.T, requires_grad=True)
        h, c = cell(x_t, (h_t, c_t))
        y = _softmax_torch(torch.tensor(p["Wy"]) @ h.T + torch.tensor(p["by"]))
        torch.autograd.backward([h, c], [torch.tensor(da_next.T), torch.tensor(dc_next.T)])
        assert x_t.grad is not None and h_t.grad is not None and c_t.grad is not None
        assert cell.weight_ih.grad is not None and cell.weight_hh.grad is not None
        assert cell.bias_ih.grad is not None
        expected = lstm_grads_from_torch(
            _np(cell.weight_ih.grad), _np(cell.weight_hh.grad), _np(cell.bias_ih.grad), n_a
        )
        pairs = [
            (a_next, _np(h).T),
            (c_next, _np(c).T),
            (yt_pred, _np(y)),
            (grads["dxt"], _np(x_t.grad).T),
            (grads["da_prev"], _np(h_t.grad).T),
            (grads["dc_prev"], _np(c_t.grad).T),
            *((grads[k], v) for k, v in expected.items()),
        ]
        worst = max(worst, *(relative_error(ours, theirs) for ours, theirs in pairs))
    return worst


def check_lstm_torch(
    forward: LSTMForward = rnn.lstm_forward, backward: SeqBackward = rnn.lstm_backward, seed: int = 7
) -> float:
    """lstm_forward/backward against torch.nn.LSTM (c0 = 0) and autograd, float64.

    nn.LSTM returns every hidden state but only the last memory, so the memories of every step
    are compared with an nn.LSTMCell loop sharing the same weights.
    """
    import torch

    rng = np.random.default_rng(seed)
    worst = 0.0
    for n_x, n_a, n_y, m, T_x in TORCH_SIZES:
        p = lstm_parameters(rng, n_x, n_a, n_y)
        x, a0 = rng.standard_normal((n_x, m, T_x)), rng.standard_normal((n_a, m))
        da = rng.standard_normal((n_a, m, T_x))
        a, y, c, caches = forward(x, a0, p)
        grads = backward(da, caches)

        net = torch.nn.LSTM(n_x, n_a).double()
        cell = torch.nn.LSTMCell(n_x, n_a).double()
        W_ih, W_hh, b = lstm_to_torch(p, n_a)
        with torch.no_grad():
            for module, suffix in ((net, "_l0"), (cell, "")):
                weights = dict(module.named_parameters())
                weights["weight_ih" + suffix].copy_(torch.tensor(W_ih))
                weights["weight_hh" + suffix].copy_(torch.tensor(W_hh))
                weights["bias_ih" + suffix].copy_(torch.tensor(b))
                weights["bias_hh" + suffix].zero_()
        x_t = torch.tensor(x.transpose(2, 1, 0).copy(), requires_grad=True)
        h0 = torch.tensor(a0.T[None].copy(), requires_grad=True)
        c0 = torch.zeros((1, m, n_a), dtype=torch.float64)
        out, _ = net(x_t, (h0, c0))  # (T_x, m, n_a)
        logits = torch.einsum("ya,tma->ymt", torch.tensor(p["Wy"]), out) + torch.tensor(p["by"])[:, :, None]
        y_t = _softmax_torch(logits)
        out.backward(torch.tensor(da.transpose(2, 1, 0).copy()))
        with torch.no_grad():
            h_s, c_s, memories = h0[0], c0[0], []
            for t in range(T_x):
                h_s, c_s = cell(x_t[t], (h_s, c_s))
                memories.append(_np(c_s).T)
        assert x_t.grad is not None and h0.grad is not None
        assert net.weight_ih_l0.grad is not None and net.weight_hh_l0.grad is not None
        assert net.bias_ih_l0.grad is not None
        expected = lstm_grads_from_torch(
            _np(net.weight_ih_l0.grad), _np(net.weight_hh_l0.grad), _np(net.bias_ih_l0.grad), n_a
        )
        pairs = [
            (a, _np(out).transpose(2, 1, 0)),
            (c, np.stack(memories, axis=2)),
            (y, _np(y_t)),
            (grads["dx"], _np(x_t.grad).transpose(2, 1, 0)),
            (grads["da0"], _np(h0.grad)[0].T),
            *((grads[k], v) for k, v in expected.items()),
        ]
        worst = max(worst, *(relative_error(ours, theirs) for ours, theirs in pairs))
    return worst
