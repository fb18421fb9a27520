"""reference.deep_network and reference.deep_application: gradients, torch, course values, training."""

from __future__ import annotations

import inspect
import math
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference import deep_application as app
from reference import deep_network as dn
from reference import initialization as init
from reference.checks import run_check
from reference.checks.deep_network import (
    check_compute_cost_known,
    check_compute_cost_torch,
    check_L_model_backward,
    check_L_model_backward_known,
    check_L_model_torch,
    check_linear_activation_backward,
    check_linear_backward,
    check_update_parameters,
    checks,
)


@pytest.mark.parametrize("check", checks(), ids=lambda c: c.name)
def test_check_passes(check):
    result = run_check(check)
    assert result.status == "pass", result


# --- mutants ---------------------------------------------------------------------------------


def test_linear_backward_check_rejects_dw_without_1_over_m():
    def no_mean(dZ, cache):
        A_prev, W, _ = cache
        return W.T @ dZ, dZ @ A_prev.T, dZ.sum(axis=1, keepdims=True) / A_prev.shape[1]

    assert check_linear_backward(no_mean) > 1e-2


def test_cost_checks_reject_the_wrong_axis():
    # m taken from the wrong axis of Y: (1, m) has shape[0] == 1, so the cost is a sum.
    def wrong_axis(AL, Y):
        m = Y.shape[0]
        return float(np.squeeze(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m))

    assert check_compute_cost_known(wrong_axis) > 0.1
    assert check_compute_cost_torch(wrong_axis) > 0.1


def test_cost_checks_reject_an_unsqueezed_cost():
    def unsqueezed(AL, Y):
        m = Y.shape[1]
        return -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL), axis=1, keepdims=True) / m

    assert check_compute_cost_known(unsqueezed) == math.inf
    assert check_compute_cost_torch(unsqueezed) == math.inf
    assert check_L_model_torch(cost=unsqueezed) == math.inf


def _backward_relu_last(AL, Y, caches):
    grads = {}
    L = len(caches)
    dA = -(Y / AL - (1 - Y) / (1 - AL))
    for layer in reversed(range(L)):
        dA, dW, db = dn.linear_activation_backward(dA, caches[layer], "relu")
        grads["dA" + str(layer)] = dA
        grads["dW" + str(layer + 1)] = dW
        grads["db" + str(layer + 1)] = db
    return grads


def test_model_checks_reject_relu_on_the_output_layer():
    assert check_L_model_backward(backward=_backward_relu_last) > 1e-2
    assert check_L_model_torch(backward=_backward_relu_last) > 1e-2
    assert check_L_model_backward_known(_backward_relu_last) > 1e-2


def test_model_gradient_check_rejects_missing_keys():
    def no_dA(AL, Y, caches):
        return {k: v for k, v in dn.L_model_backward(AL, Y, caches).items() if not k.startswith("dA")}

    assert check_L_model_backward(backward=no_dA) == math.inf


def test_update_check_rejects_in_place_updates():
    def in_place(parameters, grads, learning_rate):
        for layer in range(1, len(parameters) // 2 + 1):
            parameters["W" + str(layer)] -= learning_rate * grads["dW" + str(layer)]
            parameters["b" + str(layer)] -= learning_rate * grads["db" + str(layer)]
        return parameters

    def same_dict_new_arrays(parameters, grads, learning_rate):
        for layer in range(1, len(parameters) // 2 + 1):
            parameters["W" + str(layer)] = (
                parameters["W" + str(layer)] - learning_rate * grads["dW" + str(layer)]
            )
            parameters["b" + str(layer)] = (
                parameters["b" + str(layer)] - learning_rate * grads["db" + str(layer)]
            )
        return parameters

    assert check_update_parameters(in_place) == 1.0
    assert check_update_parameters(same_dict_new_arrays) == 1.0


def test_layer_check_rejects_tanh_derivative_taken_from_z():
    def wrong(dA, cache, activation):
        linear_cache, Z = cache
        return dn.linear_backward(dA * (1.0 - Z**2), linear_cache)

    assert check_linear_activation_backward("tanh", backward=wrong) > 1e-2


# --- the documented difference from torch: dA0 is m times dCost/dX -----------------------------


def test_dA0_is_m_times_torch_gradient_with_respect_to_X():
    import torch

    rng = np.random.default_rng(5)
    params = init.initialize_parameters_deep([3, 4, 1], "sqrt_fan_in", seed=None)
    X = rng.standard_normal((3, 6))
    Y = np.array([[1.0, 0.0, 1.0, 1.0, 0.0, 0.0]])
    AL, caches = dn.L_model_forward(X, params)
    grads = dn.L_model_backward(AL, Y, caches)
    tX = torch.tensor(X, requires_grad=True)
    A = tX
    for layer in (1, 2):
        Z = torch.tensor(params["W" + str(layer)]) @ A + torch.tensor(params["b" + str(layer)])
        A = torch.relu(Z) if layer == 1 else torch.sigmoid(Z)
    torch.nn.functional.binary_cross_entropy(A, torch.tensor(Y)).backward()
    assert tX.grad is not None
    torch_dX = tX.grad.numpy()
    assert not np.allclose(grads["dA0"], torch_dX)  # the difference exists...
    np.testing.assert_allclose(grads["dA0"], 6 * torch_dX, rtol=1e-12)  # ...and is exactly m


# --- behaviour -------------------------------------------------------------------------------


def test_unknown_activation_is_named_in_the_error():
    A, W, b = np.ones((2, 3)), np.ones((1, 2)), np.zeros((1, 1))
    with pytest.raises(ValueError, match="softplus"):
        dn.linear_activation_forward(A, W, b, "softplus")
    _, cache = dn.linear_activation_forward(A, W, b, "relu")
    with pytest.raises(ValueError, match="leaky"):
        dn.linear_activation_backward(np.ones((1, 3)), cache, "leaky")


def test_caches_keep_the_course_layout():
    params = init.initialize_parameters_deep([3, 2, 1])
    X = np.arange(6.0).reshape(3, 2)
    AL, caches = dn.L_model_forward(X, params)
    (A0, W1, b1), Z1 = caches[0]
    assert A0 is X and W1 is params["W1"] and b1 is params["b1"]
    np.testing.assert_array_equal(Z1, params["W1"] @ X + params["b1"])
    assert caches[1][0][0] is not None and caches[1][1].shape == AL.shape


def test_functions_do_not_mutate_their_inputs():
    rng = np.random.default_rng(0)
    params = init.initialize_parameters_deep([4, 3, 2, 1], "sqrt_fan_in", seed=None)
    X = rng.standard_normal((4, 5))
    Y = (rng.random((1, 5)) < 0.5).astype(np.float64)
    snapshot = {k: v.copy() for k, v in params.items()}
    X0, Y0 = X.copy(), Y.copy()
    AL, caches = dn.L_model_forward(X, params)
    AL0 = AL.copy()
    grads = dn.L_model_backward(AL, Y, caches)
    grads0 = {k: v.copy() for k, v in grads.items()}
    dn.compute_cost(AL, Y)
    new = dn.update_parameters(params, grads, 0.1)
    assert new is not params
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)
    np.testing.assert_array_equal(AL, AL0)
    for k in params:
        np.testing.assert_array_equal(params[k], snapshot[k])
    for k in grads:
        np.testing.assert_array_equal(grads[k], grads0[k])
    app.predict(X, Y, params)
    np.testing.assert_array_equal(X, X0)


def test_compute_cost_returns_a_python_float():
    cost = dn.compute_cost(np.array([[0.8, 0.9, 0.4]]), np.array([[1, 1, 0]]))
    assert isinstance(cost, float)
    assert cost == pytest.approx(0.27977656, abs=1e-8)


layer_dims = st.lists(st.integers(1, 6), min_size=2, max_size=5)


@given(layer_dims, st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_forward_and_backward_shapes(dims, m, seed):
    rng = np.random.default_rng(seed)
    params = {}
    for layer in range(1, len(dims)):
        params["W" + str(layer)] = rng.standard_normal((dims[layer], dims[layer - 1]))
        params["b" + str(layer)] = rng.standard_normal((dims[layer], 1))
    X = rng.standard_normal((dims[0], m))
    AL, caches = dn.L_model_forward(X, params)
    assert AL.shape == (dims[-1], m) and len(caches) == len(dims) - 1
    for layer, ((A_prev, W, b), Z) in enumerate(caches, start=1):
        assert A_prev.shape == (dims[layer - 1], m) and Z.shape == (dims[layer], m)
        assert W is params["W" + str(layer)] and b is params["b" + str(layer)]
    Y = (rng.random((dims[-1], m)) < 0.5).astype(np.float64)
    AL = np.clip(AL, 1e-6, 1 - 1e-6)  # saturated outputs would make dAL infinite
    grads = dn.L_model_backward(AL, Y, caches)
    L = len(dims) - 1
    assert set(grads) == {f"dA{i}" for i in range(L)} | {f"d{p}{i}" for i in range(1, L + 1) for p in "Wb"}
    for layer in range(1, L + 1):
        assert grads["dW" + str(layer)].shape == params["W" + str(layer)].shape
        assert grads["db" + str(layer)].shape == params["b" + str(layer)].shape
        assert grads["dA" + str(layer - 1)].shape == (dims[layer - 1], m)


@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(1, 6),
    st.sampled_from(["relu", "sigmoid", "tanh"]),
    st.integers(0, 2**32 - 1),
)
def test_layer_forward_and_backward_shapes(n_prev, n, m, activation, seed):
    rng = np.random.default_rng(seed)
    A_prev, W, b = (
        rng.standard_normal((n_prev, m)),
        rng.standard_normal((n, n_prev)),
        rng.standard_normal((n, 1)),
    )
    A, cache = dn.linear_activation_forward(A_prev, W, b, activation)
    assert A.shape == (n, m)
    dA_prev, dW, db = dn.linear_activation_backward(rng.standard_normal((n, m)), cache, activation)
    assert (dA_prev.shape, dW.shape, db.shape) == (A_prev.shape, W.shape, b.shape)


# --- the application --------------------------------------------------------------------------


def _blobs(seed=0, m=200):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(-1.5, 0.6, (2, m // 2)), rng.normal(1.5, 0.6, (2, m // 2))], axis=1)
    Y = np.concatenate([np.zeros(m // 2), np.ones(m // 2)])[None, :]
    return X, Y


def test_L_layer_model_learns_two_blobs_quickly():
    X, Y = _blobs()
    start = time.perf_counter()
    params, costs = app.L_layer_model(X, Y, [2, 5, 3, 1])
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0
    assert len(costs) == 30
    assert np.all(np.diff(costs) < 0)
    p = app.predict(X, Y, params)
    assert p.shape == (1, 200) and set(np.unique(p)) <= {0.0, 1.0}
    assert np.mean(p == Y) >= 0.95


def test_two_layer_model_is_the_plain_loop_from_initialize_parameters():
    X, Y = _blobs(1, 40)
    params, costs = app.two_layer_model(X, Y, (2, 4, 1), learning_rate=0.05, num_iterations=150)
    expected = init.initialize_parameters(2, 4, 1)
    expected_costs = []
    for i in range(150):
        AL, caches = dn.L_model_forward(X, expected)
        if i % 100 == 0:
            expected_costs.append(dn.compute_cost(AL, Y))
        expected = dn.update_parameters(expected, dn.L_model_backward(AL, Y, caches), 0.05)
    for k in expected:
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(costs, expected_costs, rtol=1e-12)


def test_models_start_from_the_course_initializations():
    X, Y = _blobs(2, 10)
    params, costs = app.L_layer_model(X, Y, [2, 3, 1], num_iterations=0)
    start = init.initialize_parameters_deep([2, 3, 1], "sqrt_fan_in", seed=1)
    assert costs == []
    for k in start:
        np.testing.assert_array_equal(params[k], start[k])
    params, _ = app.two_layer_model(X, Y, (2, 3, 1), num_iterations=0)
    for k, v in init.initialize_parameters(2, 3, 1).items():
        np.testing.assert_array_equal(params[k], v)


def test_defaults_follow_the_notebook():
    for fn in (app.L_layer_model, app.two_layer_model):
        sig = inspect.signature(fn)
        assert sig.parameters["learning_rate"].default == 0.0075
        assert sig.parameters["num_iterations"].default == 3000
        assert sig.parameters["print_cost"].default is False


def test_printing_is_opt_in(capsys):
    X, Y = _blobs(3, 20)
    params, _ = app.L_layer_model(X, Y, [2, 3, 1], num_iterations=201)
    app.predict(X, Y, params)
    assert capsys.readouterr().out == ""
    app.L_layer_model(X, Y, [2, 3, 1], num_iterations=201, print_cost=True)
    out = capsys.readouterr().out
    # Iterations 0, 100, 200 (the last one is printed anyway).
    assert out.count("Cost after iteration") == 3
    app.predict(X, Y, params, print_accuracy=True)
    assert capsys.readouterr().out.startswith("Accuracy: ")
