"""reference.logistic_regression: the course's model and the lecture's autograd version."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference import logistic_regression as lr
from reference.checks import run_check
from reference.checks.logistic_regression import (
    check_course_known_values,
    check_lecture_gradient,
    check_lecture_torch,
    check_propagate_gradient,
    check_propagate_torch,
    checks,
)


@pytest.mark.parametrize("check", checks(), ids=lambda c: c.name)
def test_check_passes(check):
    result = run_check(check)
    assert result.status == "pass", result


# --- mutants: the checks must reject what students get wrong ---------------------------------


def _propagate_without_1_over_m(w, b, X, Y):
    grads, cost = lr.propagate(w, b, X, Y)
    return {"dw": grads["dw"] * X.shape[1], "db": grads["db"]}, cost


def test_gradient_and_oracle_reject_dw_without_1_over_m():
    assert check_propagate_gradient(_propagate_without_1_over_m) > 1e-2
    assert check_propagate_torch(_propagate_without_1_over_m) > 1e-2


def test_checks_reject_an_unsqueezed_cost():
    def unsqueezed(w, b, X, Y):
        grads, cost = lr.propagate(w, b, X, Y)
        return grads, np.array([[cost]])

    assert check_propagate_gradient(unsqueezed) == math.inf
    assert check_course_known_values(propagate=unsqueezed) == math.inf


def test_known_values_reject_probabilities_or_flat_predictions():
    def probabilities(w, b, X):
        return lr.sigmoid(np.dot(w.T, X) + b)

    def flat(w, b, X):
        return lr.predict(w, b, X).ravel()

    assert check_course_known_values(predict=probabilities) > 0.1
    assert check_course_known_values(predict=flat) == math.inf


def test_lecture_checks_reject_the_textbook_sigmoid_derivative():
    # The lecture's 0.5 * (tanh(x) + 1) is sigma(2x): forgetting the chain factor 2 is wrong.
    def half_gradient(weights, inputs, targets):
        return lr.training_gradient(weights, inputs, targets) / 2.0

    assert check_lecture_gradient(gradient=half_gradient) > 0.1
    assert check_lecture_torch(gradient=half_gradient) > 0.1


# --- the course's functions ------------------------------------------------------------------


def test_initialize_with_zeros_types_and_shapes():
    w, b = lr.initialize_with_zeros(4)
    assert w.shape == (4, 1) and w.dtype == np.float64 and not w.any()
    assert type(b) is float and b == 0.0
    with pytest.raises(ValueError):
        lr.initialize_with_zeros(0)


def test_sigmoid_accepts_scalars_and_integers_and_does_not_overflow():
    assert float(lr.sigmoid(0)) == 0.5
    np.testing.assert_allclose(lr.sigmoid(np.array([0, 2])), [0.5, 0.88079708], atol=1e-8)
    extreme = lr.sigmoid(np.array([[-1000.0, 1000.0]]))
    np.testing.assert_array_equal(extreme, [[0.0, 1.0]])


def test_predict_threshold_is_strictly_above_half():
    # w = 0, b = 0 gives probabilities of exactly 0.5: the course predicts 0 there.
    pred = lr.predict(np.zeros((2, 1)), 0.0, np.ones((2, 5)))
    np.testing.assert_array_equal(pred, np.zeros((1, 5)))
    # A flat w of n_x entries is reshaped as in the course.
    pred = lr.predict(np.array([1.0, -1.0]), 0.0, np.array([[2.0, 0.0], [0.0, 2.0]]))
    np.testing.assert_array_equal(pred, [[1.0, 0.0]])


def test_optimize_records_every_100_iterations_and_leaves_inputs_alone(capsys):
    rng = np.random.default_rng(0)
    w, X = rng.standard_normal((3, 1)), rng.standard_normal((3, 20))
    Y = (rng.random((1, 20)) < 0.5).astype(np.float64)
    w0, X0, Y0 = w.copy(), X.copy(), Y.copy()
    params, grads, costs = lr.optimize(w, 0.3, X, Y, num_iterations=250, learning_rate=0.1, print_cost=True)
    np.testing.assert_array_equal(w, w0)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)
    assert len(costs) == 3 and all(isinstance(c, float) for c in costs)
    assert costs[0] > costs[1] > costs[2]
    assert capsys.readouterr().out.count("Cost after iteration") == 3
    # The returned gradients are those of the last iteration (taken before its update).
    w_prev = params["w"] + 0.1 * grads["dw"]
    b_prev = params["b"] + 0.1 * grads["db"]
    g, _ = lr.propagate(w_prev, b_prev, X, Y)
    np.testing.assert_allclose(g["dw"], grads["dw"], rtol=1e-12)


def test_model_learns_a_separable_problem(capsys):
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(-2, 0.5, (2, 40)), rng.normal(2, 0.5, (2, 40))], axis=1)
    Y = np.concatenate([np.zeros(40), np.ones(40)])[None, :]
    d = lr.model(X, Y, X[:, ::3], Y[:, ::3], num_iterations=300, learning_rate=0.5, print_cost=True)
    assert set(d) == {
        "costs",
        "Y_prediction_test",
        "Y_prediction_train",
        "w",
        "b",
        "learning_rate",
        "num_iterations",
    }
    assert d["Y_prediction_train"].shape == (1, 80) and d["Y_prediction_test"].shape == (1, 27)
    np.testing.assert_array_equal(d["Y_prediction_train"], Y)
    assert len(d["costs"]) == 3
    assert "train accuracy: 100.0 %" in capsys.readouterr().out


@given(st.integers(1, 8), st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_propagate_shapes_and_types(n_x, m, seed):
    rng = np.random.default_rng(seed)
    w, X = rng.standard_normal((n_x, 1)), rng.standard_normal((n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    grads, cost = lr.propagate(w, 0.5, X, Y)
    assert grads["dw"].shape == (n_x, 1)
    assert isinstance(grads["db"], float) and isinstance(cost, float)
    assert cost >= 0.0
    assert lr.predict(w, 0.5, X).shape == (1, m)


# --- the lecture's version --------------------------------------------------------------------


def test_lecture_sigmoid_is_the_logistic_function_of_twice_the_input():
    x = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(lr.lecture_sigmoid(x), lr.sigmoid(2 * x), rtol=0, atol=1e-15)


def test_lecture_rows_convention_matches_the_course_columns():
    # Lecture: rows, no bias, summed loss, sigma(2z). Course: columns, averaged cost, sigma(z).
    # So the lecture's loss is m times the course's cost on X = 2 * inputs.T, and likewise the gradient.
    rng = np.random.default_rng(3)
    weights = rng.standard_normal(3)
    inputs, targets = lr.LECTURE_INPUTS, lr.LECTURE_TARGETS
    m = inputs.shape[0]
    grads, cost = lr.propagate(weights[:, None], 0.0, 2.0 * inputs.T, targets[None, :])
    assert lr.training_loss(weights, inputs, targets) == pytest.approx(m * cost, rel=1e-13)
    np.testing.assert_allclose(
        lr.training_gradient(weights, inputs, targets), m * grads["dw"].ravel(), rtol=1e-12
    )


def test_lecture_accepts_boolean_targets_like_the_slide():
    targets = np.array([True, True, False, True])
    w = np.array([0.1, -0.2, 0.3])
    assert lr.training_loss(w, lr.LECTURE_INPUTS, targets) == lr.training_loss(w)
    np.testing.assert_array_equal(
        lr.training_gradient(w, lr.LECTURE_INPUTS, targets), lr.training_gradient(w)
    )


def test_train_lecture_model_reduces_the_loss():
    weights, initial, trained = lr.train_lecture_model()
    assert initial == pytest.approx(4 * math.log(2), abs=1e-12)
    assert weights.shape == (3,)
    assert trained < 0.5 * initial
    # Predictions now agree with every target of the toy set.
    preds = lr.logistic_predictions(weights, lr.LECTURE_INPUTS) > 0.5
    np.testing.assert_array_equal(preds, lr.LECTURE_TARGETS.astype(bool))
