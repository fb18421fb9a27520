"""The Keras CNN checks: safe rebuilding of returned models, the layer descriptions against the
reference, and training a fresh copy."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from grader.cases import get_check
from grader.cases.keras_cnn import ModelError, describe_layers, rebuild
from grader.plaindata import MODEL_KEY, from_framework
from reference import keras_cnn as ref

layers = keras.layers


def _happy(relu=lambda: layers.ReLU()):
    return keras.Sequential(
        [
            keras.Input((64, 64, 3)),
            layers.ZeroPadding2D(3),
            layers.Conv2D(32, 7),
            layers.BatchNormalization(axis=-1),
            relu(),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(1, activation="sigmoid"),
        ]
    )


def test_a_rebuilt_model_is_described_as_the_reference_does():
    model = rebuild(from_framework(_happy()))
    assert describe_layers(model) == ref.happy_model_layers()


def test_activation_relu_counts_as_a_relu_layer_and_axis_minus_one_as_three():
    model = rebuild(from_framework(_happy(relu=lambda: layers.Activation("relu"))))
    assert describe_layers(model) == ref.happy_model_layers()


def test_the_student_weights_are_set_on_the_rebuilt_model():
    model = _happy()
    value = from_framework(model)
    rebuilt = rebuild(value)
    for a, b in zip(rebuilt.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    value[MODEL_KEY]["weights"] = value[MODEL_KEY]["weights"][:-1]
    with pytest.raises(ModelError, match="weights"):
        rebuild(value)


def _json_with(layer_config):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    config = json.loads(model.to_json())
    config["config"]["layers"].append(layer_config)
    return {MODEL_KEY: {"json": json.dumps(config), "weights": [w for w in model.get_weights()]}}


@pytest.mark.parametrize(
    ("layer", "why"),
    [
        ({"module": "keras.layers", "class_name": "Lambda", "config": {}, "registered_name": None}, "Lambda"),
        ({"module": "keras.layers", "class_name": "Bogus", "config": {}, "registered_name": None}, "Bogus"),
        (
            {"module": "mypackage", "class_name": "MyLayer", "config": {}, "registered_name": "x>MyLayer"},
            "custom",
        ),
        ({"module": "builtins", "class_name": "function", "config": "print"}, "function"),
        ({"class_name": "__lambda__", "config": {"code": "..."}}, "__lambda__"),
    ],
)
def test_anything_but_built_in_keras_objects_is_refused_before_rebuilding(layer, why):
    with pytest.raises(ModelError, match=why):
        rebuild(_json_with(layer))


@pytest.mark.parametrize("value", [None, 3, {"keras_model": "x"}, {MODEL_KEY: {"json": "{", "weights": []}}])
def test_values_that_are_not_models_are_refused(value):
    with pytest.raises(ModelError):
        rebuild(value)


def test_a_lambda_layer_model_fails_its_check_without_running():
    check_def = get_check("keras_cnn.happyModel")
    model = keras.Sequential([keras.Input((64, 64, 3)), layers.Lambda(lambda x: x * 2)])
    cases = check_def.make_cases(np.random.default_rng(0))
    for case in cases:
        verdict = check_def.compare(check_def.expected(case), from_framework(model))
        assert not verdict.passed and "Lambda" in verdict.message


def test_cases_judge_distinct_aspects_and_shapes_vary_with_the_seed():
    happy = get_check("keras_cnn.happyModel").make_cases(np.random.default_rng(0))
    assert len({c.family for c in happy}) == len(happy) == 4
    shapes = {
        c.args[0]
        for seed in range(5)
        for c in get_check("keras_cnn.convolutional_model").make_cases(np.random.default_rng(seed))
    }
    assert len(shapes) >= 6 and (64, 64, 3) in shapes


def test_reference_parameter_counts_are_the_courses():
    assert [layer["params"] for layer in ref.happy_model_layers() if layer["params"]] == [4736, 128, 32769]
    counts = [layer["params"] for layer in ref.convolutional_model_layers((64, 64, 3)) if layer["params"]]
    assert counts == [392, 528, 390]
