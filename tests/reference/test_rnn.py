"""reference.rnn: known values, gradient checks, torch oracle, mutants, shapes, no mutation."""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference import rnn
from reference.activations import sigmoid
from reference.checks import run_check
from reference.checks.numeric import relative_error
from reference.checks.rnn import (
    check_lstm_backward,
    check_lstm_cell_backward,
    check_lstm_cell_forward_known,
    check_lstm_forward_known,
    check_lstm_matches_cells,
    check_rnn_backward,
    check_rnn_cell_backward,
    check_rnn_cell_forward_known,
    check_rnn_forward_known,
    checks,
)
from reference.checks.rnn_common import lstm_parameters, rnn_parameters
from reference.checks.rnn_oracle import (
    check_lstm_cell_torch,
    check_lstm_torch,
    check_rnn_cell_torch,
    lstm_grads_from_torch,
    lstm_to_torch,
)


@pytest.mark.parametrize("check", checks(), ids=lambda c: c.name)
def test_check_passes(check):
    result = run_check(check)
    assert result.status == "pass", result


# ---------------------------------------------------------------------------------------------
# Mutants: the mistakes students make must fail the checks.
# ---------------------------------------------------------------------------------------------


def test_tanh_derivative_from_preactivation_fails_gradient_check():
    def wrong_cell_backward(da_next, cache):
        _, a_prev, xt, p = cache
        z = p["Wax"] @ xt + p["Waa"] @ a_prev + p["ba"]
        dz = (1 - z**2) * da_next  # should be 1 - a_next**2
        return {
            "dxt": p["Wax"].T @ dz,
            "da_prev": p["Waa"].T @ dz,
            "dWax": dz @ xt.T,
            "dWaa": dz @ a_prev.T,
            "dba": dz.sum(axis=1, keepdims=True),
        }

    assert check_rnn_cell_backward(backward=wrong_cell_backward) > 1e-2


def test_rnn_backward_without_recurrent_gradient_fails():
    def forgetful_rnn_backward(da, caches):
        step_caches, x = caches
        n_a, m, T_x = da.shape
        out = {"dx": np.zeros((x.shape[0], m, T_x)), "da0": np.zeros((n_a, m))}
        sums = {}
        for t in reversed(range(T_x)):
            g = rnn.rnn_cell_backward(da[:, :, t], step_caches[t])  # da_prev of step t+1 dropped
            out["dx"][:, :, t] = g["dxt"]
            out["da0"] = g["da_prev"]
            for k in ("dWax", "dWaa", "dba"):
                sums[k] = sums.get(k, 0) + g[k]
        return out | sums

    assert check_rnn_backward(backward=forgetful_rnn_backward) > 1e-2


def _loop_lstm_backward(da, caches, add_recurrent):
    step_caches, x = caches
    n_a, m, T_x = da.shape
    dx = np.zeros((x.shape[0], m, T_x))
    da_prev, dc_prev, sums = np.zeros((n_a, m)), np.zeros((n_a, m)), {}
    for t in reversed(range(T_x)):
        upstream = da[:, :, t] + da_prev if add_recurrent else da[:, :, t]
        g = rnn.lstm_cell_backward(upstream, dc_prev, step_caches[t])
        da_prev, dc_prev, dx[:, :, t] = g["da_prev"], g["dc_prev"], g["dxt"]
        for k, v in g.items():
            if k.startswith(("dW", "db")):
                sums[k] = sums.get(k, 0) + v
    return {"dx": dx, "da0": da_prev, **sums}


def test_lstm_backward_that_forgets_recurrent_da_prev_fails():
    # The course notebook's own lstm_backward passes da[:, :, t] alone to the cell.
    assert check_lstm_backward(backward=lambda da, c: _loop_lstm_backward(da, c, False)) > 1e-2
    assert check_lstm_backward(backward=lambda da, c: _loop_lstm_backward(da, c, True)) < 1e-7


def test_lstm_cell_backward_without_the_path_through_a_next_fails():
    def wrong(da_next, dc_next, cache):
        a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p = cache
        n_a = a_next.shape[0]
        tanh_c = np.tanh(c_next)
        dc = dc_next  # forgets + da_next * ot * (1 - tanh_c**2)
        grads = {
            "o": da_next * tanh_c * ot * (1 - ot),
            "c": dc * it * (1 - cct**2),
            "i": dc * cct * it * (1 - it),
            "f": dc * c_prev * ft * (1 - ft),
        }
        concat = np.concatenate((a_prev, xt))
        dconcat = sum(p[f"W{g}"].T @ d for g, d in grads.items())
        out = {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft}
        for g, d in grads.items():
            out[f"dW{g}"], out[f"db{g}"] = d @ concat.T, d.sum(axis=1, keepdims=True)
        return out

    assert check_lstm_cell_backward(backward=wrong) > 1e-2


def _lstm_cell_forward_xt_first(xt, a_prev, c_prev, p):
    concat = np.concatenate((xt, a_prev), axis=0)  # wrong order: the course puts a_prev first
    ft, it, ot = (sigmoid(p[f"W{g}"] @ concat + p[f"b{g}"])[0] for g in "fio")
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    c_next = ft * c_prev + it * cct
    a_next = ot * np.tanh(c_next)
    y, _ = rnn.softmax(p["Wy"] @ a_next + p["by"])
    return a_next, c_next, y, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p)


def test_wrong_concat_order_fails_known_values_and_oracle():
    assert check_lstm_cell_forward_known(forward=_lstm_cell_forward_xt_first) > 1e-2
    assert check_lstm_cell_torch(forward=_lstm_cell_forward_xt_first) > 1e-2


def test_softmax_over_the_wrong_axis_fails():
    def wrong_cell(xt, a_prev, p):
        a_next = np.tanh(p["Wax"] @ xt + p["Waa"] @ a_prev + p["ba"])
        z = p["Wya"] @ a_next + p["by"]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return a_next, e / e.sum(axis=1, keepdims=True), (a_next, a_prev, xt, p)

    assert check_rnn_cell_forward_known(forward=wrong_cell) > 1e-2
    assert check_rnn_cell_torch(forward=wrong_cell) > 1e-2


def test_lstm_forward_that_starts_c_from_a0_fails():
    def wrong_forward(x, a0, p):
        a_next, c_next, caches, outs = a0, a0, [], []
        for t in range(x.shape[2]):
            a_next, c_next, yt, cache = rnn.lstm_cell_forward(x[:, :, t], a_next, c_next, p)
            caches.append(cache)
            outs.append((a_next, yt, c_next))
        a, y, c = (np.stack([o[k] for o in outs], axis=2) for k in range(3))
        return a, y, c, (caches, x)

    assert check_lstm_forward_known(forward=wrong_forward) > 1e-2
    assert check_lstm_torch(forward=wrong_forward, backward=rnn.lstm_backward) > 1e-2


def test_rnn_forward_without_bias_fails_known_values():
    def no_bias(x, a0, p):
        return rnn.rnn_forward(x, a0, p | {"ba": np.zeros_like(p["ba"])})

    assert check_rnn_forward_known(forward=no_bias) > 1e-2


# ---------------------------------------------------------------------------------------------
# Documented differences from torch: gate order, weight split, two biases.
# ---------------------------------------------------------------------------------------------


def _torch_lstm_cell(W_ih, W_hh, b_ih, b_hh, xt, a_prev, c_prev):
    cell = torch.nn.LSTMCell(xt.shape[0], a_prev.shape[0]).double()
    weights = dict(cell.named_parameters())
    with torch.no_grad():
        for name, value in (("weight_ih", W_ih), ("weight_hh", W_hh), ("bias_ih", b_ih), ("bias_hh", b_hh)):
            weights[name].copy_(torch.tensor(value))
        h, c = cell(torch.tensor(xt.T), (torch.tensor(a_prev.T), torch.tensor(c_prev.T)))
    return h.numpy().T, c.numpy().T


def test_torch_gate_order_and_split_matter_and_the_mapping_accounts_for_them():
    rng = np.random.default_rng(11)
    n_x, n_a, m = 3, 4, 5
    p = lstm_parameters(rng, n_x, n_a, 2)
    xt, a_prev, c_prev = (
        rng.standard_normal((n_x, m)),
        rng.standard_normal((n_a, m)),
        rng.standard_normal((n_a, m)),
    )
    a_next, c_next, _, _ = rnn.lstm_cell_forward(xt, a_prev, c_prev, p)

    # Course order f, i, c, o stacked as if it were torch's i, f, g, o: wrong.
    W_naive = np.concatenate([p[f"W{g}"] for g in "fico"])
    b_naive = np.concatenate([p[f"b{g}"] for g in "fico"]).ravel()
    h, _ = _torch_lstm_cell(
        W_naive[:, n_a:], W_naive[:, :n_a], b_naive, np.zeros(4 * n_a), xt, a_prev, c_prev
    )
    assert relative_error(h, a_next) > 1e-2
    # Columns not split as torch expects (x columns first): wrong as well.
    W_ih, W_hh, b = lstm_to_torch(p, n_a)
    W = np.concatenate((W_hh, W_ih), axis=1)
    h, _ = _torch_lstm_cell(W[:, :n_x], W[:, n_x:], b, np.zeros(4 * n_a), xt, a_prev, c_prev)
    assert relative_error(h, a_next) > 1e-2
    # With the mapping: equal.
    h, c = _torch_lstm_cell(W_ih, W_hh, b, np.zeros(4 * n_a), xt, a_prev, c_prev)
    assert relative_error(h, a_next) < 1e-14
    assert relative_error(c, c_next) < 1e-14


def test_torch_two_biases_are_the_course_bias_split_in_two():
    rng = np.random.default_rng(12)
    n_x, n_a, m = 2, 3, 4
    p = lstm_parameters(rng, n_x, n_a, 2)
    xt, a_prev, c_prev = (
        rng.standard_normal((n_x, m)),
        rng.standard_normal((n_a, m)),
        rng.standard_normal((n_a, m)),
    )
    W_ih, W_hh, b = lstm_to_torch(p, n_a)
    b_hh = rng.standard_normal(4 * n_a)
    h, c = _torch_lstm_cell(W_ih, W_hh, b - b_hh, b_hh, xt, a_prev, c_prev)
    a_next, c_next, _, _ = rnn.lstm_cell_forward(xt, a_prev, c_prev, p)
    assert relative_error(h, a_next) < 1e-14
    assert relative_error(c, c_next) < 1e-14
    # Ignoring torch's second bias would not match.
    h_wrong, _ = _torch_lstm_cell(W_ih, W_hh, b, b_hh, xt, a_prev, c_prev)
    assert relative_error(h_wrong, a_next) > 1e-3


def test_torch_gradient_mapping_round_trips():
    rng = np.random.default_rng(13)
    p = lstm_parameters(rng, 3, 4, 2)
    W_ih, W_hh, b = lstm_to_torch(p, 4)
    back = lstm_grads_from_torch(W_ih, W_hh, b, 4)
    for g in "fico":
        np.testing.assert_array_equal(back[f"dW{g}"], p[f"W{g}"])
        np.testing.assert_array_equal(back[f"db{g}"], p[f"b{g}"])


# ---------------------------------------------------------------------------------------------
# Shapes, caches, numerical safety, no mutation.
# ---------------------------------------------------------------------------------------------

dims = st.tuples(
    st.integers(1, 5),
    st.integers(1, 6),
    st.integers(1, 4),
    st.integers(1, 5),
    st.integers(1, 6),
    st.integers(0, 99),
)


@given(dims)
def test_rnn_shapes_and_cache_layout(d):
    n_x, n_a, n_y, m, T_x, seed = d
    rng = np.random.default_rng(seed)
    p = rnn_parameters(rng, n_x, n_a, n_y)
    x, a0, da = (
        rng.standard_normal((n_x, m, T_x)),
        rng.standard_normal((n_a, m)),
        rng.standard_normal((n_a, m, T_x)),
    )
    before = [v.copy() for v in (x, a0, da, *p.values())]
    a, y, caches = rnn.rnn_forward(x, a0, p)
    assert a.shape == (n_a, m, T_x) and y.shape == (n_y, m, T_x)
    np.testing.assert_allclose(y.sum(axis=0), 1.0, rtol=1e-12)
    step_caches, x_cached = caches
    assert x_cached is x and len(step_caches) == T_x
    assert step_caches[0][1] is a0 and step_caches[0][3] is p
    assert [c[0].shape for c in step_caches] == [(n_a, m)] * T_x
    g = rnn.rnn_backward(da, caches)
    assert list(g) == ["dx", "da0", "dWax", "dWaa", "dba"]
    assert g["dx"].shape == x.shape and g["da0"].shape == a0.shape
    for k in ("Wax", "Waa", "ba"):
        assert g["d" + k].shape == p[k].shape
    for b, v in zip(before, (x, a0, da, *p.values()), strict=True):
        np.testing.assert_array_equal(b, v)


@given(dims)
def test_lstm_shapes_and_cache_layout(d):
    n_x, n_a, n_y, m, T_x, seed = d
    rng = np.random.default_rng(seed)
    p = lstm_parameters(rng, n_x, n_a, n_y)
    x, a0, da = (
        rng.standard_normal((n_x, m, T_x)),
        rng.standard_normal((n_a, m)),
        rng.standard_normal((n_a, m, T_x)),
    )
    before = [v.copy() for v in (x, a0, da, *p.values())]
    a, y, c, caches = rnn.lstm_forward(x, a0, p)
    assert a.shape == c.shape == (n_a, m, T_x) and y.shape == (n_y, m, T_x)
    step_caches, x_cached = caches
    assert x_cached is x and len(step_caches) == T_x
    first = step_caches[0]
    assert len(first) == 10 and first[2] is a0 and first[9] is p
    np.testing.assert_array_equal(first[3], np.zeros((n_a, m)))  # c0 = 0
    assert all(arr.shape == (n_a, m) for arr in first[:8]) and first[8].shape == (n_x, m)
    for t in range(1, T_x):  # each step starts where the previous one ended
        np.testing.assert_array_equal(step_caches[t][2], step_caches[t - 1][0])
        np.testing.assert_array_equal(step_caches[t][3], step_caches[t - 1][1])
    g = rnn.lstm_backward(da, caches)
    assert list(g) == ["dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"]
    assert g["dx"].shape == x.shape and g["da0"].shape == a0.shape
    for gate in "fico":
        assert g[f"dW{gate}"].shape == p[f"W{gate}"].shape and g[f"db{gate}"].shape == p[f"b{gate}"].shape
    for b, v in zip(before, (x, a0, da, *p.values()), strict=True):
        np.testing.assert_array_equal(b, v)


def test_lstm_cell_backward_keys_follow_the_course():
    rng = np.random.default_rng(14)
    p = lstm_parameters(rng, 2, 3, 2)
    _, _, _, cache = rnn.lstm_cell_forward(rng.standard_normal((2, 4)), np.ones((3, 4)), np.ones((3, 4)), p)
    g = rnn.lstm_cell_backward(np.ones((3, 4)), np.ones((3, 4)), cache)
    assert list(g) == ["dxt", "da_prev", "dc_prev", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"]


def test_saturated_gates_stay_finite_and_match_the_cells():
    # Pre-activations far beyond exp's range: the fast path must neither warn nor produce nan.
    rng = np.random.default_rng(15)
    n_x, n_a, m, T_x = 3, 4, 2, 5
    p = lstm_parameters(rng, n_x, n_a, 2)
    p = {k: v * 400.0 for k, v in p.items()}
    x, a0 = rng.standard_normal((n_x, m, T_x)), rng.standard_normal((n_a, m))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, y, c, caches = rnn.lstm_forward(x, a0, p)
        g = rnn.lstm_backward(rng.standard_normal((n_a, m, T_x)), caches)
    assert all(np.all(np.isfinite(v)) for v in (a, y, c, *g.values()))
    a_prev, c_prev = a0, np.zeros((n_a, m))
    for t in range(T_x):
        a_prev, c_prev, _, _ = rnn.lstm_cell_forward(x[:, :, t], a_prev, c_prev, p)
        np.testing.assert_allclose(a[:, :, t], a_prev, atol=1e-14)
        np.testing.assert_allclose(c[:, :, t], c_prev, rtol=1e-13, atol=1e-13)


def _snapshot(obj):
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, dict):
        return {k: _snapshot(v) for k, v in obj.items()}
    return obj


def _assert_same(before, after):
    if isinstance(before, np.ndarray):
        np.testing.assert_array_equal(before, after)
    else:
        for k in before:
            _assert_same(before[k], after[k])


def test_no_function_mutates_its_inputs():
    rng = np.random.default_rng(16)
    n_x, n_a, m, T_x = 3, 4, 2, 5
    rp, lp = rnn_parameters(rng, n_x, n_a, 2), lstm_parameters(rng, n_x, n_a, 2)
    x, a0, da = (
        rng.standard_normal((n_x, m, T_x)),
        rng.standard_normal((n_a, m)),
        rng.standard_normal((n_a, m, T_x)),
    )
    c0 = rng.standard_normal((n_a, m))
    inputs = (rp, lp, x, a0, da, c0)
    before = [_snapshot(v) for v in inputs]
    _, _, cache = rnn.rnn_cell_forward(x[:, :, 0], a0, rp)
    rnn.rnn_cell_backward(da[:, :, 0], cache)
    _, _, caches = rnn.rnn_forward(x, a0, rp)
    rnn.rnn_backward(da, caches)
    _, _, _, cache = rnn.lstm_cell_forward(x[:, :, 0], a0, c0, lp)
    rnn.lstm_cell_backward(da[:, :, 0], c0, cache)
    _, _, _, caches = rnn.lstm_forward(x, a0, lp)
    cache_before = [[_snapshot(v) for v in step[:9]] for step in caches[0]]
    rnn.lstm_backward(da, caches)
    for b, v in zip(before, inputs, strict=True):
        _assert_same(b, v)
    for b, step in zip(cache_before, caches[0], strict=True):  # backward leaves the caches alone
        for u, v in zip(b, step[:9], strict=True):
            np.testing.assert_array_equal(u, v)


def test_backward_accepts_caches_built_by_a_loop_of_cells():
    # Graders build caches with students' forward functions: any valid cache list must work.
    rng = np.random.default_rng(17)
    n_x, n_a, m, T_x = 3, 4, 2, 5
    p = lstm_parameters(rng, n_x, n_a, 2)
    x, a0, da = (
        rng.standard_normal((n_x, m, T_x)),
        rng.standard_normal((n_a, m)),
        rng.standard_normal((n_a, m, T_x)),
    )
    a_prev, c_prev, step_caches = a0, np.zeros((n_a, m)), []
    for t in range(T_x):
        a_prev, c_prev, _, cache = rnn.lstm_cell_forward(x[:, :, t], a_prev, c_prev, p)
        step_caches.append(cache)
    ours = rnn.lstm_backward(da, (step_caches, x))
    expected = _loop_lstm_backward(da, (step_caches, x), True)
    for k, v in expected.items():
        assert relative_error(ours[k], v) < 1e-13, k


def test_lstm_sequence_matches_cells_for_a_wider_model():
    assert check_lstm_matches_cells(seed=21) == 0.0


def test_oracle_checks_cover_gradients_of_the_sequence():
    # A backward that returns zeros must be caught by the torch oracle too, not only by the
    # centered differences.
    def zeros(da, caches):
        g = rnn.lstm_backward(da, caches)
        return {k: np.zeros_like(v) for k, v in g.items()}

    assert check_lstm_torch(backward=zeros) > 0.5


# ---------------------------------------------------------------------------------------------
# The naive benchmark implementation agrees with the reference.
# ---------------------------------------------------------------------------------------------


def _naive_lstm():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "naive_lstm.py"
    spec = importlib.util.spec_from_file_location("naive_lstm", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("naive_lstm", module)
    spec.loader.exec_module(module)
    return module


def test_naive_lstm_agrees_with_the_reference():
    naive = _naive_lstm()
    rng = np.random.default_rng(18)
    n_x, n_a, m, T_x = 3, 5, 4, 6
    p = lstm_parameters(rng, n_x, n_a, 2)
    x, a0, da = (
        rng.standard_normal((n_x, m, T_x)),
        rng.standard_normal((n_a, m)),
        rng.standard_normal((n_a, m, T_x)),
    )
    ref_out = rnn.lstm_forward(x, a0, p)
    naive_out = naive.lstm_forward(x, a0, p)
    for ours, theirs in zip(ref_out[:3], naive_out[:3], strict=True):
        assert relative_error(ours, theirs) < 1e-13
    ref_g = rnn.lstm_backward(da, ref_out[3])
    naive_g = naive.lstm_backward(da, naive_out[3])
    assert list(ref_g) == list(naive_g)
    for k in ref_g:
        assert relative_error(ref_g[k], naive_g[k]) < 1e-13, k
    # And the naive backward gives the same answer on the reference's caches.
    cross = naive.lstm_backward(da, ref_out[3])
    for k in ref_g:
        assert relative_error(ref_g[k], cross[k]) < 1e-13, k
