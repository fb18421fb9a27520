"""TensorFlow tensors and Keras models returned by student functions become plain data, in the
sandbox (grader/sandbox_runner.py) and in-process (grader/hidden.py) alike."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace

import keras
import numpy as np
import tensorflow as tf

from grader import plaindata
from grader.hidden import run_check
from grader.plaindata import MODEL_KEY, from_framework
from grader.sandbox import CallRequest, CodeCell, SandboxLimits, execute, sandbox_available
from tests.services import unavailable


def test_tensors_and_variables_become_arrays():
    tensor = from_framework(tf.constant([[1.0, 2.0], [3.0, 4.0]]))
    assert type(tensor) is np.ndarray and tensor.dtype == np.float32
    np.testing.assert_array_equal(tensor, [[1, 2], [3, 4]])
    variable = from_framework(tf.Variable(tf.ones((2, 3), dtype=tf.float64)))
    assert type(variable) is np.ndarray and variable.dtype == np.float64 and variable.shape == (2, 3)
    scalar = from_framework(tf.reduce_sum(tf.constant([1.5, 2.0])))
    assert type(scalar) is np.ndarray and scalar.shape == () and float(scalar) == 3.5


def test_containers_are_walked_and_keep_their_types():
    value = {"W": tf.Variable([[1.0]]), "pair": (tf.constant(2), [tf.constant(3.0), "text"]), "n": 4}
    out = from_framework(value)
    assert set(out) == {"W", "pair", "n"}
    assert isinstance(out["W"], np.ndarray)
    assert isinstance(out["pair"], tuple) and isinstance(out["pair"][1], list)
    assert int(out["pair"][0]) == 2 and out["pair"][1][1] == "text" and out["n"] == 4
    _tree, arrays = plaindata.encode(out, strict=True)  # plain data throughout
    assert len(arrays) == 3


def test_a_keras_model_becomes_its_architecture_and_weights(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu")])
    out = from_framework(model)
    assert set(out) == {MODEL_KEY}
    inner = out[MODEL_KEY]
    assert json.loads(inner["json"])["class_name"] == "Sequential"
    assert [w.shape for w in inner["weights"]] == [(4, 3), (3,)]
    plaindata.dump(out, tmp_path, strict=True)
    back = plaindata.load(tmp_path)
    np.testing.assert_array_equal(back[MODEL_KEY]["weights"][0], model.get_weights()[0])


def test_other_objects_are_left_alone():
    class Lookalike:  # has numpy() but is not a framework type
        def numpy(self):
            return np.zeros(3)

    obj = Lookalike()
    assert from_framework(obj) is obj
    array = np.arange(3.0)
    assert from_framework(array) is array
    assert from_framework("text") == "text"


def test_a_framework_object_that_fails_to_convert_stays_as_it_is():
    broken_type = type("Broken", (), {"numpy": lambda self: 1 / 0, "__module__": "tensorflow.fake"})
    obj = broken_type()
    assert from_framework(obj) is obj
    assert isinstance(plaindata.decode(*plaindata.encode(obj)), plaindata.Unencodable)


def test_conversion_depth_is_bounded():
    deep: list = [tf.constant(1.0)]
    for _ in range(100):
        deep = [deep]
    from_framework(deep)  # no RecursionError


def test_in_process_checks_see_the_same_plain_data():
    def sigmoid(z):
        return tf.keras.activations.sigmoid(tf.cast(z, tf.float32))

    report = run_check("tf_intro.sigmoid", sigmoid, seed=3)
    assert report.passed, report.feedback()


def test_the_sandbox_runner_converts_tensors_and_models():
    if not sandbox_available():
        unavailable("bubblewrap is not available")
    source = textwrap.dedent(
        """
        import tensorflow as tf
        def tensor():
            return {"a": tf.constant([1.0, 2.0]), "v": tf.Variable(3.0)}
        def model():
            return tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
        """
    )
    limits = replace(
        SandboxLimits(), wall_seconds=60.0, cell_seconds=50.0, call_seconds=20.0, limit_address_space=False
    )
    result = execute(
        [CodeCell(0, "c0", source)],
        [CallRequest("t", "tensor", (), {}), CallRequest("m", "model", (), {})],
        limits=limits,
        slot=11,
    )
    assert result.cells[0].status == "ok", result.cells[0].traceback
    tensors = result.calls["t"].value
    np.testing.assert_array_equal(tensors["a"], [1.0, 2.0])
    assert float(tensors["v"]) == 3.0
    model = result.calls["m"].value
    assert json.loads(model[MODEL_KEY]["json"])["class_name"] == "Sequential"
    assert [w.shape for w in model[MODEL_KEY]["weights"]] == [(2, 1), (1,)]
