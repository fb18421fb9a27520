"""reference.regularization: checks, students' mistakes as mutants, dropout invariants."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference import regularization as reg
from reference.activations import relu, sigmoid
from reference.checks import run_check
from reference.checks.regularization import (
    check_backward_propagation,
    check_backward_torch,
    check_backward_with_dropout,
    check_backward_with_regularization,
    check_cost_known_values,
    check_dropout_backward_known,
    check_dropout_forward_known,
    check_dropout_masks,
    check_dropout_statistics,
    check_dropout_torch,
    check_regularization_torch,
    checks,
    make_problem,
)


@pytest.mark.parametrize("check", checks(), ids=lambda c: c.name)
def test_check_passes(check):
    result = run_check(check)
    assert result.status == "pass", result


# --- dropout forward mutants -------------------------------------------------------------------


def _dropout_forward(draw, compare, scale):
    """A forward pass with dropout whose mask drawing, comparison and scaling can be wrong."""

    def forward(X, parameters, keep_prob=0.5):
        W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
        Z1 = W1 @ X + b1
        D1 = compare(draw(*Z1.shape), keep_prob).astype(np.float64)
        A1 = relu(Z1)[0] * D1 / (keep_prob if scale else 1.0)
        Z2 = W2 @ A1 + b2
        D2 = compare(draw(*Z2.shape), keep_prob).astype(np.float64)
        A2 = relu(Z2)[0] * D2 / (keep_prob if scale else 1.0)
        Z3 = W3 @ A2 + b3
        A3 = sigmoid(Z3)[0]
        return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)

    return forward


def _less(a, b):
    return a < b


def _greater(a, b):
    return a > b


def test_mutant_scaffold_is_faithful():
    # The scaffold with the right choices must pass every check the mutants fail.
    right = _dropout_forward(np.random.rand, _less, scale=True)
    assert check_dropout_masks(right) == 0.0
    assert check_dropout_statistics(right) == 0.0
    assert check_dropout_forward_known(right) < 1e-8


def test_dropout_with_randn_masks_is_caught():
    wrong = _dropout_forward(np.random.randn, _less, scale=True)
    assert check_dropout_statistics(wrong) == 1.0
    assert check_dropout_masks(wrong) == 1.0
    assert check_dropout_forward_known(wrong) > 1e-2


def test_dropout_keeping_units_above_keep_prob_is_caught():
    wrong = _dropout_forward(np.random.rand, _greater, scale=True)
    assert check_dropout_statistics(wrong) == 1.0
    assert check_dropout_masks(wrong) == 1.0


def test_dropout_without_inverted_scaling_is_caught():
    wrong = _dropout_forward(np.random.rand, _less, scale=False)
    assert check_dropout_statistics(wrong) == 1.0
    assert check_dropout_masks(wrong) == 1.0
    assert check_dropout_forward_known(wrong) > 1e-2


# --- dropout backward mutants ------------------------------------------------------------------


def _backward_with_masks(get_masks, relu_mask_from_z=False):
    def backward(X, Y, cache, keep_prob):
        Z1, D1, A1, _, _, Z2, D2, A2, W2, _, _, A3, W3, _ = cache
        D1, D2 = get_masks(D1, D2)
        m = X.shape[1]
        dZ3 = A3 - Y
        dA2 = W3.T @ dZ3 * D2 / keep_prob
        dZ2 = dA2 * ((Z2 if relu_mask_from_z else A2) > 0)
        dA1 = W2.T @ dZ2 * D1 / keep_prob
        dZ1 = dA1 * ((Z1 if relu_mask_from_z else A1) > 0)
        return {
            "dZ3": dZ3,
            "dW3": dZ3 @ A2.T / m,
            "db3": dZ3.sum(axis=1, keepdims=True) / m,
            "dA2": dA2,
            "dZ2": dZ2,
            "dW2": dZ2 @ A1.T / m,
            "db2": dZ2.sum(axis=1, keepdims=True) / m,
            "dA1": dA1,
            "dZ1": dZ1,
            "dW1": dZ1 @ X.T / m,
            "db1": dZ1.sum(axis=1, keepdims=True) / m,
        }

    return backward


def test_backward_scaffold_is_faithful():
    right = _backward_with_masks(lambda D1, D2: (D1, D2))
    assert check_backward_with_dropout(backward=right) < 1e-7
    assert check_dropout_backward_known(right) < 1e-8


def test_dropout_backward_drawing_fresh_masks_is_caught():
    def fresh(D1, D2):
        return (np.random.rand(*D1.shape) < 0.5).astype(float), (np.random.rand(*D2.shape) < 0.5).astype(
            float
        )

    wrong = _backward_with_masks(fresh)
    assert check_backward_with_dropout(backward=wrong) > 1e-3
    assert check_dropout_torch(backward=wrong) > 1e-3


def test_dropout_backward_ignoring_masks_is_caught():
    # Taking the ReLU derivative from Z lets gradient flow into dropped units.
    wrong = _backward_with_masks(lambda D1, D2: (np.ones_like(D1), np.ones_like(D2)), relu_mask_from_z=True)
    assert check_backward_with_dropout(backward=wrong) > 1e-3
    assert check_dropout_backward_known(wrong) > 1e-3


def test_masks_are_implied_by_the_course_relu_derivative():
    # The course takes the ReLU derivative from the cached A (A2 > 0), which is already zero where
    # a unit was dropped: a backward pass that forgets D but keeps that form is still right, and
    # the checks accept it. Only the 1/keep_prob scaling is then indispensable.
    no_masks = _backward_with_masks(lambda D1, D2: (np.ones_like(D1), np.ones_like(D2)))
    assert check_backward_with_dropout(backward=no_masks) < 1e-7
    right = _backward_with_masks(lambda D1, D2: (D1, D2))

    def no_scaling(X, Y, cache, keep_prob):
        return right(X, Y, cache, 1.0)

    assert check_backward_with_dropout(backward=no_scaling) > 1e-3


# --- L2 mutants --------------------------------------------------------------------------------


def _l2_backward(extra):
    """backward_propagation plus extra(lambd, m, W) on each dW."""

    def backward(X, Y, cache, lambd):
        grads = reg.backward_propagation(X, Y, cache)
        m = X.shape[1]
        for layer, W in ((1, cache[2]), (2, cache[6]), (3, cache[10])):
            grads[f"dW{layer}"] = grads[f"dW{layer}"] + extra(lambd, m, W)
        return grads

    return backward


@pytest.mark.parametrize(
    "extra",
    [
        lambda lambd, m, W: lambd * W,  # forgot 1/m
        lambda lambd, m, W: lambd / (2 * m) * W,  # differentiated lambd/(2m) W^2 as lambd/(2m) W
        lambda lambd, m, W: W / m,  # forgot lambd
        lambda lambd, m, W: 0 * W,  # forgot the term
    ],
    ids=["no-1/m", "half-factor", "no-lambda", "no-term"],
)
def test_l2_backward_mistakes_are_caught(extra):
    wrong = _l2_backward(extra)
    assert check_backward_with_regularization(wrong) > 1e-3
    assert check_regularization_torch(backward=wrong) > 1e-3


def test_l2_scaffold_is_faithful():
    assert check_backward_with_regularization(_l2_backward(lambda lambd, m, W: lambd / m * W)) < 1e-7


@pytest.mark.parametrize("factor", [2.0, 1 / 5, 5 / 2], ids=["no-half", "1/(2*m*m)", "no-1/m"])
def test_l2_cost_mistakes_are_caught(factor):
    def wrong(A3, Y, parameters, lambd):
        base = reg.compute_cost(A3, Y)
        return base + factor * (reg.compute_cost_with_regularization(A3, Y, parameters, lambd) - base)

    assert check_cost_known_values(cost_with_regularization=wrong) > 1e-3
    assert check_regularization_torch(cost=wrong) > 1e-3


def test_backward_without_relu_derivative_is_caught():
    def wrong(X, Y, cache):
        grads = reg.backward_propagation(X, Y, cache)
        A1, A3, W3 = cache[1], cache[9], cache[10]
        m = X.shape[1]
        dZ2 = W3.T @ (A3 - Y)  # relu derivative forgotten
        grads["dW2"] = dZ2 @ A1.T / m
        return grads

    assert check_backward_propagation(backward=wrong) > 1e-3
    assert check_backward_torch(backward=wrong) > 1e-3


# --- behaviour ---------------------------------------------------------------------------------


def test_regularized_backward_with_zero_lambda_is_the_plain_one():
    X, Y, params = make_problem(np.random.default_rng(0), 3, 4, 2, 6)
    _, cache = reg.forward_propagation(X, params)
    plain = reg.backward_propagation(X, Y, cache)
    zero = reg.backward_propagation_with_regularization(X, Y, cache, 0.0)
    assert plain.keys() == zero.keys()
    for key in plain:
        np.testing.assert_array_equal(plain[key], zero[key])


def test_keep_prob_one_is_the_plain_network():
    X, Y, params = make_problem(np.random.default_rng(1), 3, 4, 2, 6)
    A3, cache = reg.forward_propagation(X, params)
    A3d, cached = reg.forward_propagation_with_dropout(X, params, 1.0)
    np.testing.assert_array_equal(A3, A3d)
    np.testing.assert_array_equal(cached[1], 1.0)
    grads = reg.backward_propagation(X, Y, cache)
    gradsd = reg.backward_propagation_with_dropout(X, Y, cached, 1.0)
    for key in grads:
        np.testing.assert_array_equal(grads[key], gradsd[key])


@pytest.mark.parametrize("keep_prob", [0.0, -0.1, 1.01, float("nan")])
def test_keep_prob_outside_unit_interval_is_rejected(keep_prob):
    X, Y, params = make_problem(np.random.default_rng(2), 3, 4, 2, 6)
    with pytest.raises(ValueError, match="keep_prob"):
        reg.forward_propagation_with_dropout(X, params, keep_prob)
    _, cache = reg.forward_propagation_with_dropout(X, params, 0.5)
    with pytest.raises(ValueError, match="keep_prob"):
        reg.backward_propagation_with_dropout(X, Y, cache, keep_prob)


def test_dropout_uses_the_global_generator_unless_given_one():
    X, _, params = make_problem(np.random.default_rng(3), 3, 8, 5, 10)
    np.random.seed(4)
    _, first = reg.forward_propagation_with_dropout(X, params, 0.6)
    np.random.seed(4)
    _, again = reg.forward_propagation_with_dropout(X, params, 0.6)
    np.testing.assert_array_equal(first[1], again[1])
    # With a Generator, the masks come from it and the global state is left alone.
    np.random.seed(5)
    expected_next = np.random.rand()
    np.random.seed(5)
    _, a = reg.forward_propagation_with_dropout(X, params, 0.6, rng=np.random.default_rng(9))
    _, b = reg.forward_propagation_with_dropout(X, params, 0.6, rng=np.random.default_rng(9))
    assert np.random.rand() == expected_next
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[6], b[6])
    np.testing.assert_array_equal(a[1], (np.random.default_rng(9).random((8, 10)) < 0.6).astype(float))


def test_compute_cost_is_finite_and_silent_at_saturation():
    Y = np.array([[1, 0, 1, 0]])
    cost = reg.compute_cost(np.array([[1.0, 0.0, 0.0, 1.0]]), Y)
    assert isinstance(cost, float)
    assert cost == pytest.approx(-np.log(reg.PROBABILITY_FLOOR) / 2, rel=1e-3)
    assert reg.compute_cost(np.array([[1.0, 0.0, 1.0, 0.0]]), Y) == pytest.approx(0.0, abs=1e-14)


def test_predict_thresholds_at_one_half(capsys):
    X, Y, params = make_problem(np.random.default_rng(6), 3, 4, 2, 50)
    p = reg.predict(X, Y, params)
    A3, _ = reg.forward_propagation(X, params)
    assert p.shape == (1, 50)
    assert p.dtype == np.int64
    np.testing.assert_array_equal(p, (A3 > 0.5).astype(int))
    assert capsys.readouterr().out == ""
    reg.predict(X, Y, params, print_accuracy=True)
    assert capsys.readouterr().out == f"Accuracy: {np.mean(p[0] == Y[0])}\n"


def test_no_function_mutates_its_inputs():
    X, Y, params = make_problem(np.random.default_rng(7), 3, 4, 2, 6)
    A3, cache = reg.forward_propagation(X, params)
    _, dcache = reg.forward_propagation_with_dropout(X, params, 0.7, rng=np.random.default_rng(0))
    inputs = (X, Y, params, A3, cache, dcache)
    before = copy.deepcopy(inputs)
    reg.forward_propagation(X, params)
    reg.forward_propagation_with_dropout(X, params, 0.7)
    reg.compute_cost(A3, Y)
    reg.compute_cost_with_regularization(A3, Y, params, 0.3)
    reg.backward_propagation(X, Y, cache)
    reg.backward_propagation_with_regularization(X, Y, cache, 0.3)
    reg.backward_propagation_with_dropout(X, Y, dcache, 0.7)
    reg.predict(X, Y, params)
    for got, want in zip(inputs, before, strict=True):
        if isinstance(got, dict):
            for key in want:
                np.testing.assert_array_equal(got[key], want[key])
        else:
            for a, b in zip(np.atleast_1d(got) if isinstance(got, np.ndarray) else got, want, strict=True):
                np.testing.assert_array_equal(a, b)


# --- Hypothesis: dropout's mask and scaling ---------------------------------------------------


@given(
    keep_prob=st.floats(0.05, 1.0),
    n_1=st.integers(1, 12),
    n_2=st.integers(1, 12),
    m=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
)
def test_kept_activations_are_relu_over_keep_prob(keep_prob, n_1, n_2, m, seed):
    rng = np.random.default_rng(seed)
    X, _, params = make_problem(rng, 3, n_1, n_2, m)
    A3, cache = reg.forward_propagation_with_dropout(X, params, keep_prob, rng=rng)
    Z1, D1, A1, _, _, Z2, D2, A2 = cache[:8]
    assert A3.shape == (1, m) and D1.shape == (n_1, m) and D2.shape == (n_2, m)
    for Z, D, A in ((Z1, D1, A1), (Z2, D2, A2)):
        assert set(np.unique(D)) <= {0.0, 1.0}
        kept = D == 1.0
        np.testing.assert_array_equal(A[kept], np.maximum(Z[kept], 0.0) / keep_prob)
        np.testing.assert_array_equal(A[~kept], 0.0)


@given(keep_prob=st.floats(0.1, 0.95), seed=st.integers(0, 2**32 - 1))
def test_kept_fraction_is_close_to_keep_prob(keep_prob, seed):
    rng = np.random.default_rng(seed)
    X, _, params = make_problem(rng, 2, 300, 200, 200)
    _, cache = reg.forward_propagation_with_dropout(X, params, keep_prob, rng=rng)
    for D in (cache[1], cache[6]):
        # 6 standard deviations of a binomial proportion.
        assert abs(D.mean() - keep_prob) < 6 * np.sqrt(keep_prob * (1 - keep_prob) / D.size)
