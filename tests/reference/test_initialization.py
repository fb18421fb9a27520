"""reference.initialization: course values, shapes, scales and argument validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference import initialization as init
from reference.checks import run_check
from reference.checks.initialization import (
    LAYER_INITS,
    check_initialize_parameters_deep_known,
    check_initialize_parameters_he_known,
    check_initialize_parameters_known,
    check_invalid_layer_dims,
    check_scale_relations,
    check_shapes,
    check_weight_std,
    checks,
)


@pytest.mark.parametrize("check", checks(), ids=lambda c: c.name)
def test_check_passes(check):
    result = run_check(check)
    assert result.status == "pass", result


# --- mutants ---------------------------------------------------------------------------------


def _he_with_fan_out(layers_dims):
    # The mistake: sqrt(2 / n_l) instead of sqrt(2 / n_{l-1}).
    np.random.seed(3)
    params = {}
    for layer in range(1, len(layers_dims)):
        n, n_prev = layers_dims[layer], layers_dims[layer - 1]
        params["W" + str(layer)] = np.random.randn(n, n_prev) * np.sqrt(2.0 / n)
        params["b" + str(layer)] = np.zeros((n, 1))
    return params


def test_he_checks_reject_the_fan_out_mistake():
    assert check_initialize_parameters_he_known(_he_with_fan_out) > 0.1
    assert check_weight_std({"he": _he_with_fan_out}) == 1.0


def test_checks_reject_other_wrong_initializations():
    # Transposed weight shapes (n_{l-1}, n_l).
    def transposed(layer_dims):
        params = init.initialize_parameters_deep(layer_dims)
        return {k: (v.T.copy() if k.startswith("W") else v) for k, v in params.items()}

    assert check_initialize_parameters_deep_known(transposed) == math.inf
    assert check_shapes({"transposed": transposed}) == 1.0

    # Glorot with the fan-in only.
    def glorot_fan_in(layer_dims):
        return init.initialize_parameters_xavier(layer_dims)

    assert check_scale_relations(glorot=glorot_fan_in) == 1.0

    # Forgetting np.random.seed(1) in the 2-layer init.
    def unseeded(n_x, n_h, n_y):
        return {
            "W1": np.random.randn(n_h, n_x) * 0.01,
            "b1": np.zeros((n_h, 1)),
            "W2": np.random.randn(n_y, n_h) * 0.01,
            "b2": np.zeros((n_y, 1)),
        }

    np.random.seed(0)
    assert check_initialize_parameters_known(unseeded) > 1e-4

    # No validation of the layer sizes.
    assert check_invalid_layer_dims({"no_validation": lambda dims: {}}) == 1.0


# --- behaviour -------------------------------------------------------------------------------


def test_deep_sqrt_fan_in_is_the_application_notebook_init():
    dims = [6, 4, 3, 1]
    params = init.initialize_parameters_deep(dims, "sqrt_fan_in", seed=1)
    np.random.seed(1)
    for layer in range(1, len(dims)):
        expected = np.random.randn(dims[layer], dims[layer - 1]) / np.sqrt(dims[layer - 1])
        np.testing.assert_array_equal(params["W" + str(layer)], expected)


def test_seed_none_leaves_the_global_generator_alone():
    np.random.seed(11)
    first = init.initialize_parameters_deep([3, 2], seed=None)
    np.random.seed(11)
    again = init.initialize_parameters_deep([3, 2], seed=None)
    np.testing.assert_array_equal(first["W1"], again["W1"])
    assert not np.array_equal(first["W1"], init.initialize_parameters_deep([3, 2])["W1"])


def test_unknown_weight_scale_is_rejected():
    with pytest.raises(ValueError, match="weight_scale"):
        init.initialize_parameters_deep([3, 2], "huge")  # type: ignore[arg-type]


@pytest.mark.parametrize("sizes", [(0, 2, 1), (3, -1, 1), (3, 2, 0)])
def test_two_layer_init_rejects_non_positive_sizes(sizes):
    with pytest.raises(ValueError):
        init.initialize_parameters(*sizes)


@pytest.mark.parametrize("name", sorted(LAYER_INITS))
def test_every_init_rejects_a_single_layer(name):
    with pytest.raises(ValueError, match="at least 2"):
        LAYER_INITS[name]([5])


def test_initializations_are_reproducible_and_take_tuples():
    for initialize in LAYER_INITS.values():
        a, b = initialize((4, 3, 2)), initialize([4, 3, 2])
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


def test_layer_dims_are_not_mutated():
    dims = [5, 4, 3]
    for initialize in LAYER_INITS.values():
        initialize(dims)
    assert dims == [5, 4, 3]


@given(st.lists(st.integers(1, 12), min_size=2, max_size=6))
def test_every_init_has_the_course_shapes(dims):
    for initialize in LAYER_INITS.values():
        params = initialize(dims)
        assert list(params) == [f"{p}{layer}" for layer in range(1, len(dims)) for p in ("W", "b")]
        for layer in range(1, len(dims)):
            assert params["W" + str(layer)].shape == (dims[layer], dims[layer - 1])
            assert params["b" + str(layer)].shape == (dims[layer], 1)
            assert not params["b" + str(layer)].any()


@given(st.integers(1, 10), st.integers(1, 10), st.integers(1, 10))
def test_two_layer_init_shapes(n_x, n_h, n_y):
    p = init.initialize_parameters(n_x, n_h, n_y)
    assert p["W1"].shape == (n_h, n_x) and p["W2"].shape == (n_y, n_h)
    assert p["b1"].shape == (n_h, 1) and p["b2"].shape == (n_y, 1)
    assert np.abs(p["W1"]).max() < 0.1  # randn * 0.01 stays small
