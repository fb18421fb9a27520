"""reference.activations: gradient checks, torch oracle, numerical safety."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from reference import activations as act
from reference.checks import run_check
from reference.checks.activations import check_activation_backward, checks


@pytest.mark.parametrize("check", checks(), ids=lambda c: c.name)
def test_check_passes(check):
    result = run_check(check)
    assert result.status == "pass", result


def test_gradient_check_rejects_tanh_derivative_taken_from_z():
    # The classic mistake: 1 - Z**2 instead of 1 - tanh(Z)**2.
    def wrong_backward(dA, cache):
        return dA * (1.0 - cache**2)

    assert check_activation_backward(act.tanh, wrong_backward) > 1e-2


def test_softmax_does_not_overflow_on_large_logits():
    Z = np.array([[1000.0, -1000.0], [999.0, -998.0]])
    A, _ = act.softmax(Z)
    assert np.all(np.isfinite(A))
    np.testing.assert_allclose(A.sum(axis=0), 1.0)
    np.testing.assert_allclose(A[:, 0], [1 / (1 + np.exp(-1)), 1 / (1 + np.exp(1))])


def test_sigmoid_is_finite_and_symmetric_at_extremes():
    Z = np.array([[-800.0, -30.0, 0.0, 30.0, 800.0]])
    A, cache = act.sigmoid(Z)
    assert cache is Z
    assert np.all(np.isfinite(A))
    np.testing.assert_allclose(A + act.sigmoid(-Z)[0], 1.0)
    assert A[0, 2] == 0.5


finite = st.floats(-50, 50, allow_nan=False)


@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=finite))
def test_softmax_columns_are_distributions_and_inputs_unchanged(Z):
    before = Z.copy()
    A, _ = act.softmax(Z)
    np.testing.assert_array_equal(Z, before)
    assert A.shape == Z.shape
    assert np.all(A >= 0)
    np.testing.assert_allclose(A.sum(axis=0), 1.0, rtol=1e-12)


@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=finite))
def test_relu_backward_passes_gradient_only_where_z_is_positive(Z):
    dA = np.ones_like(Z)
    dZ = act.relu_backward(dA, act.relu(Z)[1])
    np.testing.assert_array_equal(dZ, (Z > 0).astype(np.float64))
