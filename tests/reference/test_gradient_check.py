"""reference.gradient_check: checks, mutants, flattening invariants, no mutation while perturbing."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from reference import gradient_check as gc
from reference.checks import run_check
from reference.checks.gradient_check import (
    check_backward_n_torch,
    check_backward_propagation_n,
    check_gradient_check_n_known,
    check_planted_bug_flagged,
    check_vector_round_trip,
    checks,
    course_buggy_backward_n,
    course_problem,
    make_problem,
)


@pytest.mark.parametrize("check", checks(), ids=lambda c: c.name)
def test_check_passes(check):
    result = run_check(check)
    assert result.status == "pass", result


def test_course_planted_bugs_fail_the_gradient_checks():
    assert check_backward_propagation_n(backward=course_buggy_backward_n) > 1e-2
    assert check_backward_n_torch(backward=course_buggy_backward_n) > 1e-2


def test_gradient_check_n_reproduces_the_course_verdicts(capsys):
    X, Y, params = course_problem()
    _, cache = gc.forward_propagation_n(X, Y, params)
    bad = gc.gradient_check_n(params, course_buggy_backward_n(X, Y, cache), X, Y, 1e-7, True)
    assert "There is a mistake in the backward propagation! difference = " in capsys.readouterr().out
    good = gc.gradient_check_n(params, gc.backward_propagation_n(X, Y, cache), X, Y, 1e-7, True)
    assert "Your backward propagation works perfectly fine! difference = " in capsys.readouterr().out
    assert type(bad) is float and type(good) is float
    # The course's own assertion: np.isclose to one of its expected values.
    assert np.isclose(bad, 0.2850931567761623) and np.isclose(good, 1.1890913024229996e-07)


def test_one_sided_or_unnormalised_checkers_are_caught():
    def one_sided(parameters, gradients, X, Y, epsilon=1e-7):
        theta, _ = gc.dictionary_to_vector(parameters)
        shapes = {k: parameters[k].shape for k in ("W1", "b1", "W2", "b2", "W3", "b3")}
        J0, _ = gc.forward_propagation_n(X, Y, parameters)
        approx = np.zeros_like(theta)
        for i in range(theta.shape[0]):
            plus = theta.copy()
            plus[i] += epsilon
            approx[i] = (
                gc.forward_propagation_n(X, Y, gc.vector_to_dictionary(plus, shapes))[0] - J0
            ) / epsilon
        grad = gc.gradients_to_vector(gradients)
        return float(np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx)))

    def numerator_only(parameters, gradients, X, Y, epsilon=1e-7):
        d = gc.gradient_check_n(parameters, gradients, X, Y, epsilon)
        g = np.linalg.norm(gc.gradients_to_vector(gradients))
        return d * 2 * g  # ~ ||g - g_approx|| without the denominator

    assert check_gradient_check_n_known(one_sided) > 1e-8
    assert check_gradient_check_n_known(numerator_only) > 1e-3


def test_gradient_check_n_that_never_flags_is_caught():
    assert check_planted_bug_flagged(lambda parameters, gradients, X, Y: 0.0) == 1.0


def test_gradient_check_n_does_not_touch_the_callers_parameters():
    X, Y, params = course_problem()
    _, cache = gc.forward_propagation_n(X, Y, params)
    grads = gc.backward_propagation_n(X, Y, cache)
    before = copy.deepcopy((X, Y, params, grads))
    gc.gradient_check_n(params, grads, X, Y)
    for got, want in zip((X, Y), before[:2], strict=True):
        np.testing.assert_array_equal(got, want)
    for got_dict, want_dict in zip((params, grads), before[2:], strict=True):
        assert got_dict.keys() == want_dict.keys()
        for key in want_dict:
            np.testing.assert_array_equal(got_dict[key], want_dict[key])


def test_labels_may_be_one_or_two_dimensional():
    X, Y, params = course_problem()
    cost_1d, cache = gc.forward_propagation_n(X, Y, params)
    cost_2d, _ = gc.forward_propagation_n(X, Y.reshape(1, -1), params)
    assert cost_1d == cost_2d
    grads = gc.backward_propagation_n(X, Y, cache)
    assert gc.gradient_check_n(params, grads, X, Y) == gc.gradient_check_n(params, grads, X, Y.reshape(1, -1))


def test_saturated_network_gives_a_finite_cost_without_warnings():
    X, Y, params = make_problem(np.random.default_rng(0), 4, 5, 3, 6)
    huge = {k: v * 400 for k, v in params.items()}
    cost, cache = gc.forward_propagation_n(X, Y, huge)
    A3 = cache[9]
    assert np.any((A3 == 0.0) | (A3 == 1.0))
    assert np.isfinite(cost) and isinstance(cost, float)
    Z3 = cache[8]
    exact = float(np.mean(Y * np.logaddexp(0, -Z3) + (1 - Y) * np.logaddexp(0, Z3)))
    assert cost == pytest.approx(exact, rel=1e-9)


def test_one_dimensional_toy_and_its_messages(capsys):
    assert gc.forward_propagation(2, 4) == 8
    assert gc.backward_propagation(3, 4) == 3
    difference = gc.gradient_check(2, 4, print_msg=True)
    assert type(difference) is float and difference < gc.PASS_THRESHOLD
    assert "works perfectly fine" in capsys.readouterr().out


def test_vector_to_dictionary_rejects_a_wrong_size():
    with pytest.raises(ValueError, match="47"):
        gc.vector_to_dictionary(np.zeros((46, 1)))
    with pytest.raises(ValueError, match="W1"):
        gc.dictionary_to_vector({"b1": np.zeros((2, 1))})


def test_vector_to_dictionary_returns_copies():
    theta = np.arange(47.0).reshape(47, 1)
    params = gc.vector_to_dictionary(theta)
    params["W1"][0, 0] = -1.0
    assert theta[0, 0] == 0.0
    assert params["b3"].shape == (1, 1) and params["b3"][0, 0] == 46.0


def test_wrong_flattening_order_is_caught():
    def sorted_keys(parameters):
        keys = sorted(parameters)  # W1, W2, W3, b1, ... : not the course's order
        return np.concatenate([parameters[k].reshape(-1, 1) for k in keys]), keys

    assert check_vector_round_trip(to_vector=sorted_keys) == 1.0


layer_sizes = st.lists(st.integers(1, 6), min_size=2, max_size=5)


@given(layer_sizes, st.integers(0, 2**32 - 1))
def test_flattening_round_trips_for_any_depth(dims, seed):
    rng = np.random.default_rng(seed)
    params = {}
    for layer in range(1, len(dims)):
        params[f"W{layer}"] = rng.standard_normal((dims[layer], dims[layer - 1]))
        params[f"b{layer}"] = rng.standard_normal((dims[layer], 1))
    theta, keys = gc.dictionary_to_vector(params)
    n = sum(v.size for v in params.values())
    assert theta.shape == (n, 1) and len(keys) == n
    shapes = {k: params[k].shape for k in keys if k in params}  # insertion order of first sighting
    back = gc.vector_to_dictionary(theta, shapes)
    assert list(back) == list(params)
    for key in params:
        np.testing.assert_array_equal(back[key], params[key])
    grads = {"d" + k: v for k, v in params.items()}
    np.testing.assert_array_equal(gc.gradients_to_vector(grads), theta)


@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_correct_backward_passes_the_course_check_on_random_nets(n_x, n_1, n_2, m, seed):
    X, Y, params = make_problem(np.random.default_rng(seed), n_x, n_1, n_2, m)
    _, cache = gc.forward_propagation_n(X, Y, params)
    assume(min(np.min(np.abs(cache[0])), np.min(np.abs(cache[4]))) > 1e-3)  # no ReLU kink in reach
    grads = gc.backward_propagation_n(X, Y, cache)
    # epsilon 1e-5 rather than the course's 1e-7: far from ReLU kinks either works, but the
    # course's epsilon leaves rounding noise within a factor 2 of its own 2e-7 threshold.
    assert gc.gradient_check_n(params, grads, X, Y, epsilon=1e-5) < gc.PASS_THRESHOLD
