"""Recurrent networks step by step: the basic RNN and the LSTM, forward and backward.

Conventions of the course assignment "Building your Recurrent Neural Network - Step by Step":

- ``xt: (n_x, m)`` is the input at one time step, ``x: (n_x, m, T_x)`` the whole sequence;
  ``a_prev: (n_a, m)`` the previous hidden state, ``a0`` the initial one; ``c`` the LSTM memory.
- The basic RNN's parameters are ``Wax (n_a, n_x)``, ``Waa (n_a, n_a)``, ``Wya (n_y, n_a)``,
  ``ba (n_a, 1)``, ``by (n_y, 1)``.
- The LSTM's gates ``f`` (forget), ``i`` (update), ``c`` (candidate) and ``o`` (output) each have
  ``W (n_a, n_a + n_x)`` and ``b (n_a, 1)`` acting on ``concat = [a_prev; xt]`` (hidden rows
  first); the prediction uses ``Wy (n_y, n_a)``, ``by (n_y, 1)``.
- Predictions are softmax probabilities over axis 0.

Backward passes follow the course: the upstream gradient ``da`` reaches the hidden states only
(the loss through the predictions is left to the caller), and every returned gradient is the
derivative of one scalar loss L with respect to the quantity it is named after.

The cell functions are written exactly as the course defines them. The sequence functions give
the same results and caches (up to rounding) through a faster path, because the LSTM is
benchmarked against PyTorch; see "Fast sequence path" below.
"""

from __future__ import annotations

import numpy as np

from reference.activations import sigmoid, softmax
from reference.arraytypes import Array, Params

RNNCache = tuple[Array, Array, Array, Params]
"""``(a_next, a_prev, xt, parameters)`` of one basic RNN step."""

LSTMCache = tuple[Array, Array, Array, Array, Array, Array, Array, Array, Array, Params]
"""``(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)`` of one LSTM step."""

# ---------------------------------------------------------------------------------------------
# Basic RNN
# ---------------------------------------------------------------------------------------------


def rnn_cell_forward(xt: Array, a_prev: Array, parameters: Params) -> tuple[Array, Array, RNNCache]:
    """One step of the basic RNN.

    xt: (n_x, m); a_prev: (n_a, m); parameters: Wax, Waa, Wya, ba, by.
    Returns a_next = tanh(Wax xt + Waa a_prev + ba): (n_a, m), the prediction
    yt_pred = softmax(Wya a_next + by): (n_y, m), and the cache (a_next, a_prev, xt, parameters).
    """
    Wax, Waa, Wya = parameters["Wax"], parameters["Waa"], parameters["Wya"]
    ba, by = parameters["ba"], parameters["by"]
    a_next: Array = np.tanh(Wax @ xt + Waa @ a_prev + ba)
    yt_pred, _ = softmax(Wya @ a_next + by)
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_forward(x: Array, a0: Array, parameters: Params) -> tuple[Array, Array, tuple[list[RNNCache], Array]]:
    """The basic RNN over a whole sequence.

    x: (n_x, m, T_x); a0: (n_a, m). Returns the hidden states a: (n_a, m, T_x), the predictions
    y_pred: (n_y, m, T_x) and caches = (list of the T_x step caches of rnn_cell_forward, x).
    ``a`` and the step caches are views of one buffer (see "Fast sequence path").
    """
    n_x, m, T_x = x.shape
    n_a = parameters["Waa"].shape[0]
    WaaT = parameters["Waa"].T
    # One product gives the input projection of every step, in the rows layout (T_x, m, n_a).
    A = (_rows(x).reshape(T_x * m, n_x) @ parameters["Wax"].T).reshape(T_x, m, n_a)
    A += parameters["ba"].reshape(n_a)
    recurrent = np.empty((m, n_a))
    caches: list[RNNCache] = []
    a_prev = a0
    for t in range(T_x):
        a_next = A[t]
        np.matmul(a_prev.T, WaaT, out=recurrent)
        a_next += recurrent
        np.tanh(a_next, out=a_next)
        caches.append((a_next.T, a_prev, x[:, :, t], parameters))
        a_prev = a_next.T
    y_pred = _predictions(A, parameters["Wya"], parameters["by"])
    return _course_layout(A), y_pred, (caches, x)


def rnn_cell_backward(da_next: Array, cache: RNNCache) -> dict[str, Array]:
    """Backward pass of one basic RNN step.

    da_next: (n_a, m) = dL/da_next; cache from rnn_cell_forward. Returns the gradients of L with
    respect to the step's input ``dxt`` (n_x, m), the previous hidden state ``da_prev`` (n_a, m),
    and the parameters ``dWax`` (n_a, n_x), ``dWaa`` (n_a, n_a), ``dba`` (n_a, 1). The prediction
    path (Wya, by) is not part of this gradient.
    """
    a_next, a_prev, xt, parameters = cache
    # tanh'(z) = 1 - tanh(z)^2, and tanh(z) is a_next: the pre-activation is not needed.
    dz: Array = (1.0 - a_next**2) * da_next
    return {
        "dxt": parameters["Wax"].T @ dz,
        "da_prev": parameters["Waa"].T @ dz,
        "dWax": dz @ xt.T,
        "dWaa": dz @ a_prev.T,
        "dba": np.sum(dz, axis=1, keepdims=True),
    }


def rnn_backward(da: Array, caches: tuple[list[RNNCache], Array]) -> dict[str, Array]:
    """Backward pass of the basic RNN over a whole sequence.

    da: (n_a, m, T_x) is dL/da<t> coming from outside the recurrence (e.g. from the predictions)
    for every step; the gradient that flows from step t+1 back into a<t> is added to it here.
    caches: from rnn_forward. Returns the gradients of L with respect to the inputs ``dx``
    (n_x, m, T_x), the initial state ``da0`` (n_a, m), and ``dWax``, ``dWaa``, ``dba`` summed over
    all time steps.
    """
    step_caches, x = caches
    parameters = step_caches[0][3]
    n_a, m, T_x = da.shape
    n_x = x.shape[0]
    Waa = parameters["Waa"]
    # dZ: gradients with respect to the pre-activations (rows layout), first filled with da;
    # A_prev: the a_prev of every step.
    dZ = _rows(da)
    A_prev = np.empty((T_x, m, n_a))
    da_prev = np.zeros((m, n_a))
    for t in reversed(range(T_x)):
        a_next, a_prev, _, _ = step_caches[t]
        A_prev[t] = a_prev.T
        dz = dZ[t]
        dz += da_prev
        a_t = a_next.T
        dz *= 1.0 - a_t * a_t
        np.matmul(dz, Waa, out=da_prev)
    # The weights are shared by every step, so their gradients are sums over steps: one product.
    dZ_flat = dZ.reshape(T_x * m, n_a)
    return {
        "dx": _course_layout((dZ_flat @ parameters["Wax"]).reshape(T_x, m, n_x)),
        "da0": np.ascontiguousarray(da_prev.T),
        "dWax": dZ_flat.T @ _rows(x).reshape(T_x * m, n_x),
        "dWaa": dZ_flat.T @ A_prev.reshape(T_x * m, n_a),
        "dba": np.sum(dZ_flat, axis=0).reshape(n_a, 1),
    }


# ---------------------------------------------------------------------------------------------
# LSTM
# ---------------------------------------------------------------------------------------------


def lstm_cell_forward(
    xt: Array, a_prev: Array, c_prev: Array, parameters: Params
) -> tuple[Array, Array, Array, LSTMCache]:
    """One LSTM step.

    xt: (n_x, m); a_prev, c_prev: (n_a, m); parameters: Wf, bf, Wi, bi, Wc, bc, Wo, bo, Wy, by.
    With concat = [a_prev; xt]: ft = σ(Wf concat + bf), it = σ(Wi concat + bi),
    cct = tanh(Wc concat + bc), c_next = ft * c_prev + it * cct, ot = σ(Wo concat + bo),
    a_next = ot * tanh(c_next), yt_pred = softmax(Wy a_next + by).
    Returns a_next, c_next: (n_a, m), yt_pred: (n_y, m) and the cache
    (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters).
    """
    concat = np.concatenate((a_prev, xt), axis=0)
    ft, _ = sigmoid(parameters["Wf"] @ concat + parameters["bf"])
    it, _ = sigmoid(parameters["Wi"] @ concat + parameters["bi"])
    cct: Array = np.tanh(parameters["Wc"] @ concat + parameters["bc"])
    c_next: Array = ft * c_prev + it * cct
    ot, _ = sigmoid(parameters["Wo"] @ concat + parameters["bo"])
    a_next: Array = ot * np.tanh(c_next)
    yt_pred, _ = softmax(parameters["Wy"] @ a_next + parameters["by"])
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return a_next, c_next, yt_pred, cache


def lstm_forward(
    x: Array, a0: Array, parameters: Params
) -> tuple[Array, Array, Array, tuple[list[LSTMCache], Array]]:
    """The LSTM over a whole sequence, starting from a0 and a zero memory c0.

    x: (n_x, m, T_x); a0: (n_a, m). Returns the hidden states a: (n_a, m, T_x), the predictions
    y: (n_y, m, T_x), the memories c: (n_a, m, T_x) and caches = (list of the T_x step caches of
    lstm_cell_forward, x). ``a``, ``c`` and the step caches are views of shared buffers (see
    "Fast sequence path").
    """
    n_x, m, T_x = x.shape
    n_a = parameters["Wy"].shape[1]
    WaT, WxT, b = _stacked_gates(parameters, n_a, _FORWARD_SCALES)
    # G holds the four gates o, f, i, c of every step side by side (rows layout): first minus the
    # pre-activations, -z (minus 2z for the candidate), then, step by step, the activations:
    # sigmoid(z) = 1 / (1 + exp(-z)) for o, f, i and tanh(z) = 2 sigmoid(2z) - 1 for c.
    G = (_rows(x).reshape(T_x * m, n_x) @ WxT).reshape(T_x, m, 4 * n_a)
    G += b
    A = np.empty((T_x, m, n_a))
    C = np.empty((T_x, m, n_a))
    recurrent = np.empty((m, 4 * n_a))
    it_cct = np.empty((m, n_a))
    caches: list[LSTMCache] = []
    a_prev, c_prev = a0, np.zeros((n_a, m))
    # exp(-z) overflows to inf for z below about -709, where the sigmoid is 0 anyway.
    with np.errstate(over="ignore"):
        for t in range(T_x):
            g = G[t]
            np.matmul(a_prev.T, WaT, out=recurrent)
            g += recurrent
            np.exp(g, out=g)
            g += 1.0
            np.reciprocal(g, out=g)
            ot, ft, it, cct = (g[:, k * n_a : (k + 1) * n_a] for k in range(4))
            cct *= 2.0
            cct -= 1.0
            c_next = C[t]
            np.multiply(ft, c_prev.T, out=c_next)
            np.multiply(it, cct, out=it_cct)
            c_next += it_cct
            a_next = A[t]
            _tanh_into(c_next, a_next)
            a_next *= ot
            cache = (a_next.T, c_next.T, a_prev, c_prev, ft.T, it.T, cct.T, ot.T, x[:, :, t], parameters)
            caches.append(cache)
            a_prev, c_prev = a_next.T, c_next.T
    y = _predictions(A, parameters["Wy"], parameters["by"])
    return _course_layout(A), y, _course_layout(C), (caches, x)


def lstm_cell_backward(da_next: Array, dc_next: Array, cache: LSTMCache) -> dict[str, Array]:
    """Backward pass of one LSTM step.

    da_next: (n_a, m) = dL/da_next; dc_next: (n_a, m) = dL/dc_next through the paths that do not
    go through a_next (the path through a_next = ot * tanh(c_next) is added here). cache: from
    lstm_cell_forward. Returns the gradients of L with respect to ``dxt`` (n_x, m), ``da_prev`` and
    ``dc_prev`` (n_a, m), each gate's weights ``dWf, dWi, dWc, dWo`` (n_a, n_a + n_x) and biases
    ``dbf, dbi, dbc, dbo`` (n_a, 1). The prediction path (Wy, by) is not part of this gradient.
    """
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    tanh_c = np.tanh(c_next)
    # dL/dc_next in total: the direct path plus the path through a_next.
    dc: Array = dc_next + da_next * ot * (1.0 - tanh_c**2)
    # Gradients with respect to each gate's pre-activation.
    dot = da_next * tanh_c * ot * (1.0 - ot)
    dcct = dc * it * (1.0 - cct**2)
    dit = dc * cct * it * (1.0 - it)
    dft = dc * c_prev * ft * (1.0 - ft)
    concat = np.concatenate((a_prev, xt), axis=0)
    Wf, Wi, Wc, Wo = parameters["Wf"], parameters["Wi"], parameters["Wc"], parameters["Wo"]
    dconcat = Wf.T @ dft + Wi.T @ dit + Wc.T @ dcct + Wo.T @ dot
    return {
        "dxt": dconcat[n_a:],
        "da_prev": dconcat[:n_a],
        "dc_prev": dc * ft,
        "dWf": dft @ concat.T,
        "dbf": np.sum(dft, axis=1, keepdims=True),
        "dWi": dit @ concat.T,
        "dbi": np.sum(dit, axis=1, keepdims=True),
        "dWc": dcct @ concat.T,
        "dbc": np.sum(dcct, axis=1, keepdims=True),
        "dWo": dot @ concat.T,
        "dbo": np.sum(dot, axis=1, keepdims=True),
    }


def lstm_backward(da: Array, caches: tuple[list[LSTMCache], Array]) -> dict[str, Array]:
    """Backward pass of the LSTM over a whole sequence.

    da: (n_a, m, T_x) is dL/da<t> coming from outside the recurrence (e.g. from the predictions)
    for every step; the gradients that flow from step t+1 back into a<t> and c<t> are added here
    (the course's notebook forgets the a part). caches: from lstm_forward.
    Returns the gradients of L with respect to the inputs ``dx`` (n_x, m, T_x), the initial state
    ``da0`` (n_a, m), and ``dWf, dWi, dWc, dWo`` (n_a, n_a + n_x), ``dbf, dbi, dbc, dbo`` (n_a, 1),
    each summed over all time steps. The initial memory c0 = 0 is a constant: it has no gradient.
    """
    step_caches, x = caches
    parameters = step_caches[0][9]
    n_a, m, T_x = da.shape
    n_x = x.shape[0]
    WaT, WxT, _ = _stacked_gates(parameters, n_a, (1.0, 1.0, 1.0, 1.0))
    Wa = WaT.T
    Da = _rows(da)
    # dG: gradients with respect to the pre-activations of the gates o, f, i, c of every step;
    # Z: concat = [a_prev; xt] of every step (rows layout), for the weight gradients.
    dG = np.empty((T_x, m, 4 * n_a))
    Z = np.empty((T_x, m, n_a + n_x))
    Z[:, :, n_a:] = x.transpose(2, 1, 0)
    da_prev = np.zeros((m, n_a))
    dc_prev = np.zeros((m, n_a))
    dc = np.empty((m, n_a))
    tanh_c = np.empty((m, n_a))
    tmp = np.empty((m, n_a))
    with np.errstate(over="ignore"):
        for t in reversed(range(T_x)):
            _, c_next_, a_prev_, c_prev_, ft_, it_, cct_, ot_, _, _ = step_caches[t]
            # The course's (n_a, m) arrays, seen in the rows layout (m, n_a).
            c_next, c_prev, ft, it, cct, ot = c_next_.T, c_prev_.T, ft_.T, it_.T, cct_.T, ot_.T
            Z[t, :, :n_a] = a_prev_.T
            g = dG[t]
            d_o, d_f, d_i, d_c = (g[:, k * n_a : (k + 1) * n_a] for k in range(4))
            d_a = Da[t]
            d_a += da_prev
            _tanh_into(c_next, tanh_c)
            # dc = dc_prev(t+1) + d_a * ot * (1 - tanh_c^2): the direct path plus the one via a.
            np.multiply(tanh_c, tanh_c, out=tmp)
            np.subtract(1.0, tmp, out=tmp)
            tmp *= ot
            tmp *= d_a
            np.add(dc_prev, tmp, out=dc)
            # d_o = d_a * tanh_c * ot * (1 - ot)
            np.subtract(1.0, ot, out=tmp)
            tmp *= ot
            tmp *= tanh_c
            np.multiply(tmp, d_a, out=d_o)
            # d_f = dc * c_prev * ft * (1 - ft)
            np.subtract(1.0, ft, out=tmp)
            tmp *= ft
            tmp *= c_prev
            np.multiply(tmp, dc, out=d_f)
            # d_i = dc * cct * it * (1 - it)
            np.subtract(1.0, it, out=tmp)
            tmp *= it
            tmp *= cct
            np.multiply(tmp, dc, out=d_i)
            # d_c = dc * it * (1 - cct^2)
            np.multiply(cct, cct, out=tmp)
            np.subtract(1.0, tmp, out=tmp)
            tmp *= it
            np.multiply(tmp, dc, out=d_c)
            np.multiply(dc, ft, out=dc_prev)
            np.matmul(g, Wa, out=da_prev)
    # The weights are shared by every step, so their gradients are sums over steps: one product.
    dG_flat = dG.reshape(T_x * m, 4 * n_a)
    dW = dG_flat.T @ Z.reshape(T_x * m, n_a + n_x)
    db = np.sum(dG_flat, axis=0).reshape(4 * n_a, 1)
    grads: dict[str, Array] = {
        "dx": _course_layout((dG_flat @ WxT.T).reshape(T_x, m, n_x)),
        "da0": np.ascontiguousarray(da_prev.T),
    }
    for k, gate in enumerate(_GATE_ORDER):
        rows = slice(k * n_a, (k + 1) * n_a)
        grads[f"dW{gate}"] = dW[rows]
        grads[f"db{gate}"] = db[rows]
    return {key: grads[key] for key in _LSTM_BACKWARD_KEYS}


# ---------------------------------------------------------------------------------------------
# Fast sequence path
# ---------------------------------------------------------------------------------------------
#
# The sequence functions keep every per-step quantity in a "rows" layout (T_x, m, n): one step is
# a contiguous (m, n) block, so the per-step ufuncs and products run on contiguous memory, and
# all steps together are a (T_x * m, n) matrix, so the input projection, the weight gradients
# and dx are each one matrix product over all steps. The course's (n, m) step arrays and
# (n, m, T_x) sequences are transposed views of these buffers: the values are those the cell
# functions compute, but the arrays are not C-contiguous, and the returned a (and c) share memory
# with the step caches, so they must be treated as read-only like every input here.

# Stacking order of the gates: the three sigmoid gates first, and the three gates whose gradient
# is proportional to dc last. The forward pass stores minus the pre-activations (minus twice for
# the candidate, see lstm_forward), which saves a negation per step; -1 and -2 scale exactly.
_GATE_ORDER = ("o", "f", "i", "c")
_FORWARD_SCALES = (-1.0, -1.0, -1.0, -2.0)
_LSTM_BACKWARD_KEYS = ("dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")


def _rows(x: Array) -> Array:
    """(n, m, T_x) -> (T_x, m, n) as a new C-ordered array (a copy even when a view would be
    contiguous, as with m = T_x = 1: callers write into it)."""
    out: Array = x.transpose(2, 1, 0).copy(order="C")
    return out


def _course_layout(R: Array) -> Array:
    """(T_x, m, n) rows buffer -> (n, m, T_x) view in the course's layout."""
    out: Array = R.transpose(2, 1, 0)
    return out


def _predictions(A: Array, Wy: Array, by: Array) -> Array:
    """softmax(Wy a<t> + by) of every step. A: (T_x, m, n_a) rows; returns (n_y, m, T_x)."""
    T_x, m, n_a = A.shape
    y, _ = softmax(Wy @ A.reshape(T_x * m, n_a).T + by)
    out: Array = y.reshape(-1, T_x, m).transpose(0, 2, 1)
    return out


def _stacked_gates(
    parameters: Params, n_a: int, scales: tuple[float, float, float, float]
) -> tuple[Array, Array, Array]:
    """The gate weights stacked as o, f, i, c and transposed for the rows layout.

    Returns the block that multiplies a_prev, (n_a, 4 n_a), the block that multiplies xt,
    (n_x, 4 n_a), and the biases, (4 n_a,); each gate's weights and bias are multiplied by its
    entry of scales.
    """
    WT = np.concatenate([parameters[f"W{g}"].T for g in _GATE_ORDER], axis=1)
    b = np.concatenate([parameters[f"b{g}"].reshape(n_a) for g in _GATE_ORDER])
    if scales != (1.0, 1.0, 1.0, 1.0):
        factors = np.repeat(np.asarray(scales), n_a)
        WT *= factors
        b *= factors
    return WT[:n_a], WT[n_a:], b


def _tanh_into(z: Array, out: Array) -> None:
    """out <- tanh(z) computed as 2 / (1 + exp(-2z)) - 1.

    numpy's float64 tanh has no vectorized kernel on many CPUs and costs about three times exp;
    this form agrees with it to a few units of 1e-16 (absolute). The caller silences overflow.
    """
    np.multiply(z, -2.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(2.0, out, out=out)
    out -= 1.0
