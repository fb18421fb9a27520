"""The TensorFlow introduction's checks: cases, the float64 reference against TensorFlow itself,
and the Glorot normal comparer of initialize_parameters."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from grader import plaindata
from grader.cases import get_check
from grader.cases.tf_intro import checks
from reference import tf_intro as ref

SEEDS = (0, 1, 7)


@pytest.mark.parametrize("check_def", checks(), ids=lambda c: c.name)
def test_cases_are_plain_data_with_distinct_families_and_reproducible(check_def):
    for seed in SEEDS:
        cases = check_def.make_cases(np.random.default_rng(seed))
        assert 1 <= len(cases) <= 8
        assert len({c.family for c in cases}) == len(cases)
        for case in cases:
            plaindata.encode([list(case.args), case.kwargs], strict=True)
        again = check_def.make_cases(np.random.default_rng(seed))
        assert [c.family for c in again] == [c.family for c in cases]
        _, arrays = plaindata.encode([list(c.args) for c in cases])
        _, arrays_again = plaindata.encode([list(c.args) for c in again])
        for x, y in zip(arrays.values(), arrays_again.values(), strict=True):
            np.testing.assert_array_equal(x, y)


def test_the_reference_agrees_with_tensorflow():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((3, 4)) * 10
    np.testing.assert_allclose(ref.sigmoid(z), tf.keras.activations.sigmoid(z).numpy(), rtol=1e-12)
    labels = np.array([2, 0, 1, 2])
    np.testing.assert_array_equal(ref.one_hot_matrix(labels, 3), tf.one_hot(labels, 3, axis=0).numpy())
    np.testing.assert_array_equal(ref.one_hot_matrix(4, 6), tf.one_hot(4, 6, axis=0).numpy())
    logits, y = rng.standard_normal((5, 7)), ref.one_hot_matrix(rng.integers(0, 5, 7), 5)
    keras_loss = tf.keras.losses.categorical_crossentropy(y.T, logits.T, from_logits=True)
    assert ref.compute_total_loss(logits, y) == pytest.approx(float(tf.reduce_sum(keras_loss)), rel=1e-10)


def _draw(initializer):
    return {name: initializer(shape=shape).numpy() for name, shape in ref.PARAMETER_SHAPES.items()}


def test_initialization_accepts_glorot_normal_and_rejects_lookalikes():
    check_def = get_check("tf_intro.initialize_parameters")
    (case,) = check_def.make_cases(np.random.default_rng(0))
    expected = check_def.expected(case)
    for seed in (1, 2, 3):
        assert check_def.compare(expected, _draw(tf.keras.initializers.GlorotNormal(seed=seed))).passed
    uniform = check_def.compare(expected, _draw(tf.keras.initializers.GlorotUniform(seed=1)))
    assert not uniform.passed and "Glorot normal" in uniform.message
    assert not check_def.compare(expected, _draw(tf.keras.initializers.HeNormal(seed=1))).passed
    params = _draw(tf.keras.initializers.GlorotNormal(seed=1))
    params["b2"] = np.zeros((12, 1), dtype=np.float32)
    verdict = check_def.compare(expected, params)
    assert not verdict.passed and 'parameters["b2"]' in verdict.message
    del params["b2"]
    assert "missing keys ['b2']" in check_def.compare(expected, params).message
    assert not check_def.compare(expected, [1, 2]).passed
