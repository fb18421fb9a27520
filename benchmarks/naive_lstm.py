"""The LSTM as students usually write it: one cell call per step, four separate gate products,
a fresh concatenation per step, and weight gradients accumulated step by step.

Same API, shapes, caches and results as reference.rnn's LSTM functions (including the corrected
lstm_backward that adds the recurrent gradient); only the speed differs. Used by
benchmarks/reference_vs_torch.py for scale.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x):
    e_x = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e_x / e_x.sum(axis=0, keepdims=True)


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    Wf, bf = parameters["Wf"], parameters["bf"]
    Wi, bi = parameters["Wi"], parameters["bi"]
    Wc, bc = parameters["Wc"], parameters["bc"]
    Wo, bo = parameters["Wo"], parameters["bo"]
    Wy, by = parameters["Wy"], parameters["by"]
    concat = np.concatenate((a_prev, xt), axis=0)
    ft = sigmoid(np.dot(Wf, concat) + bf)
    it = sigmoid(np.dot(Wi, concat) + bi)
    cct = np.tanh(np.dot(Wc, concat) + bc)
    c_next = ft * c_prev + it * cct
    ot = sigmoid(np.dot(Wo, concat) + bo)
    a_next = ot * np.tanh(c_next)
    yt_pred = softmax(np.dot(Wy, a_next) + by)
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return a_next, c_next, yt_pred, cache


def lstm_forward(x, a0, parameters):
    caches = []
    _, m, T_x = x.shape
    n_y, n_a = parameters["Wy"].shape
    a = np.zeros((n_a, m, T_x))
    c = np.zeros((n_a, m, T_x))
    y = np.zeros((n_y, m, T_x))
    a_next = a0
    c_next = np.zeros((n_a, m))
    for t in range(T_x):
        a_next, c_next, yt, cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t] = a_next
        c[:, :, t] = c_next
        y[:, :, t] = yt
        caches.append(cache)
    return a, y, c, (caches, x)


def lstm_cell_backward(da_next, dc_next, cache):
    (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters) = cache
    n_a = a_next.shape[0]
    tanh_c = np.tanh(c_next)
    dot = da_next * tanh_c * ot * (1 - ot)
    dcct = (dc_next * it + ot * (1 - tanh_c**2) * it * da_next) * (1 - cct**2)
    dit = (dc_next * cct + ot * (1 - tanh_c**2) * cct * da_next) * it * (1 - it)
    dft = (dc_next * c_prev + ot * (1 - tanh_c**2) * c_prev * da_next) * ft * (1 - ft)
    concat = np.concatenate((a_prev, xt), axis=0)
    dWf = np.dot(dft, concat.T)
    dWi = np.dot(dit, concat.T)
    dWc = np.dot(dcct, concat.T)
    dWo = np.dot(dot, concat.T)
    dbf = np.sum(dft, axis=1, keepdims=True)
    dbi = np.sum(dit, axis=1, keepdims=True)
    dbc = np.sum(dcct, axis=1, keepdims=True)
    dbo = np.sum(dot, axis=1, keepdims=True)
    Wf, Wi, Wc, Wo = parameters["Wf"], parameters["Wi"], parameters["Wc"], parameters["Wo"]
    da_prev = (
        np.dot(Wf[:, :n_a].T, dft)
        + np.dot(Wi[:, :n_a].T, dit)
        + np.dot(Wc[:, :n_a].T, dcct)
        + np.dot(Wo[:, :n_a].T, dot)
    )
    dc_prev = dc_next * ft + ot * (1 - tanh_c**2) * ft * da_next
    dxt = (
        np.dot(Wf[:, n_a:].T, dft)
        + np.dot(Wi[:, n_a:].T, dit)
        + np.dot(Wc[:, n_a:].T, dcct)
        + np.dot(Wo[:, n_a:].T, dot)
    )
    return {
        "dxt": dxt,
        "da_prev": da_prev,
        "dc_prev": dc_prev,
        "dWf": dWf,
        "dbf": dbf,
        "dWi": dWi,
        "dbi": dbi,
        "dWc": dWc,
        "dbc": dbc,
        "dWo": dWo,
        "dbo": dbo,
    }


def lstm_backward(da, caches):
    (caches, x) = caches
    parameters = caches[0][9]
    n_a, m, T_x = da.shape
    n_x = x.shape[0]
    dx = np.zeros((n_x, m, T_x))
    da_prevt = np.zeros((n_a, m))
    dc_prevt = np.zeros((n_a, m))
    grads = {f"d{p}{g}": np.zeros_like(parameters[f"{p}{g}"]) for p in "Wb" for g in "fico"}
    for t in reversed(range(T_x)):
        gradients = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, caches[t])
        da_prevt = gradients["da_prev"]
        dc_prevt = gradients["dc_prev"]
        dx[:, :, t] = gradients["dxt"]
        for key in grads:
            grads[key] += gradients[key]
    da0 = da_prevt
    out = {"dx": dx, "da0": da0}
    for g in "fico":
        out[f"dW{g}"] = grads[f"dW{g}"]
        out[f"db{g}"] = grads[f"db{g}"]
    return out
