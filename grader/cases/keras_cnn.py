"""Hidden checks of the Keras CNN assignment: a Sequential "happy model" and a Functional CNN.

Student functions return Keras models. Inside the sandbox a model becomes plain data
(``grader.plaindata.from_framework``): ``{"keras_model": {"json": ..., "weights": [arrays]}}``.
Here, in the grader's process, the architecture is rebuilt with ``keras.models.model_from_json``
(Keras' safe mode, after checking that every object in it is a built-in Keras layer, initializer,
regularizer or constraint: no Lambda layer, no custom class, no function) and the student's weights
are set on it, which checks their shapes. The rebuilt model is then described layer by layer and
compared with ``reference/keras_cnn.py``: layer classes in order, output shapes, parameter counts,
activations, padding, strides and sizes.

The training cases train a FRESH copy of the student's architecture (never the student's weights)
for a few epochs on offline data, seeded and with deterministic ops, and require a loose accuracy:
digit images stand in for the course's photos (a binary subset of scikit-learn's digits for the
happy model, digits 0-5 for the six-class model), enlarged to the model's input shape. Trained
weights are never compared. Results are cached by architecture, so a model seen before is not
trained again.

``happyModel`` takes no argument, so its cases are aspects of the one model: the layer types,
their settings and output shapes, the parameter counts, and training. ``convolutional_model`` is
called with input shapes drawn per seed (the course's 64x64x3, small grayscale, non-square).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from grader.cases.checkdef import Case, CheckDef
from grader.compare import Verdict, describe
from grader.plaindata import MODEL_KEY
from reference import keras_cnn as ref
from reference.arraytypes import AnyArray

TRAIN_SEED = 0
"""The training runs' seed: fixed, so that a result can be cached and reproduced."""

_MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})
_MODEL_MODULES = frozenset(
    {"keras", "keras.models", "keras.src.models.functional", "keras.src.models.sequential"}
)
_OBJECT_MODULES = frozenset({"keras", "keras.initializers", "keras.regularizers", "keras.constraints"})
_PLAIN_TAGS = frozenset({"__keras_tensor__", "__tuple__"})
"""Tagged values without a module that model configs contain (tensors of the graph, tuples)."""
_FORBIDDEN_LAYERS = frozenset({"Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"})
"""keras.layers classes that run arbitrary code or load files: never rebuilt here."""
_SETTINGS = ("filters", "kernel_size", "strides", "padding", "pool_size", "units", "activation", "axis")
_ASPECT = "aspect"


class ModelError(ValueError):
    """A returned value that is not a Keras model the grader can rebuild safely."""


def _keras() -> Any:
    """Keras, imported on first use (TensorFlow takes seconds to load)."""
    return importlib.import_module("keras")


# ---------------------------------------------------------------------------------------------
# Rebuilding a model safely


def _allowed_object(module: object, name: str) -> bool:
    """A Keras model class, or a built-in initializer, regularizer, constraint or dtype policy."""
    if module in _MODEL_MODULES and name in _MODEL_CLASSES:
        return True
    return module in _OBJECT_MODULES and name != "function" and not name.startswith("__")


def _check_config(node: object, keras: Any, depth: int = 0) -> None:
    """Raise ModelError unless every object in a model config is a built-in Keras one."""
    if depth > 64:
        raise ModelError("the model's configuration is nested too deeply")
    if isinstance(node, list):
        for item in node:
            _check_config(item, keras, depth + 1)
        return
    if not isinstance(node, dict):
        return
    if "class_name" in node:
        name, module = node.get("class_name"), node.get("module")
        registered = node.get("registered_name")
        if not isinstance(name, str):
            raise ModelError("the model's configuration has an object without a class name")
        if module is None and name not in _PLAIN_TAGS:
            raise ModelError(f"the model uses {name!r}, which is not a built-in Keras object")
        if registered not in (None, name):
            raise ModelError(f"the model uses the custom object {str(registered)[:60]!r}")
        if module == "keras.layers":
            layer = getattr(keras.layers, name, None)
            if (
                name in _FORBIDDEN_LAYERS
                or not isinstance(layer, type)
                or not issubclass(layer, keras.layers.Layer)
            ):
                raise ModelError(
                    f"the model uses the layer {name!r}, which is not one of Keras' built-in layers"
                )
        elif module is not None and not _allowed_object(module, name):
            raise ModelError(
                f"the model uses {name!r} from {str(module)[:60]!r}: only Keras' built-in layers are "
                "allowed (give activations by name, e.g. activation='relu')"
            )
    for value in node.values():
        _check_config(value, keras, depth + 1)


def rebuild(value: object) -> Any:
    """The Keras model described by a converted model value, with the student's weights set;
    ModelError when the value is not a model or cannot be rebuilt safely."""
    if not isinstance(value, dict) or set(value) != {MODEL_KEY}:
        raise ModelError(f"expected a Keras model, got {describe(value)}")
    inner = value[MODEL_KEY]
    if not isinstance(inner, dict) or not isinstance(inner.get("json"), str):
        raise ModelError("the returned model could not be read")
    weights = inner.get("weights")
    if not isinstance(weights, list) or not all(isinstance(w, np.ndarray) for w in weights):
        raise ModelError("the returned model's weights could not be read")
    keras = _keras()
    try:
        config = json.loads(inner["json"])
    except ValueError:
        raise ModelError("the returned model's architecture is not valid JSON") from None
    if not isinstance(config, dict) or config.get("class_name") not in _MODEL_CLASSES:
        raise ModelError("expected a Keras Sequential or Functional model")
    _check_config(config, keras)
    try:
        model = keras.models.model_from_json(inner["json"])
    except Exception as exc:
        raise ModelError(f"the model could not be rebuilt from its architecture ({str(exc)[:200]})") from None
    try:
        model.set_weights(weights)
    except Exception:
        raise ModelError(
            "the model's weights do not fit its layers (was it built with an input shape?)"
        ) from None
    return model


# ---------------------------------------------------------------------------------------------
# Describing a model


def _normal(value: object) -> object:
    """Config values as comparable plain data: lists become tuples."""
    if isinstance(value, list | tuple):
        return tuple(_normal(v) for v in value)
    return value


def describe_layers(model: Any) -> list[dict[str, Any]]:
    """Each layer but the input as the reference describes it (see reference/keras_cnn.py)."""
    keras = _keras()
    described = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        config = layer.get_config()
        name = type(layer).__name__
        entry: dict[str, Any] = {"class": name}
        if name == "Activation" and config.get("activation") == "relu":
            entry["class"] = "ReLU"  # Activation("relu") and ReLU() are the same layer
        elif name == "Activation":
            entry["activation"] = config.get("activation")
        for key in _SETTINGS:
            if key in config and key not in entry and entry["class"] != "ReLU":
                entry[key] = _normal(config[key])
        if name == "ZeroPadding2D":
            entry["padding"] = _normal(config.get("padding"))
        if name == "BatchNormalization":
            axis = config.get("axis")
            rank = len(layer.input.shape)
            axes = axis if isinstance(axis, list | tuple) else [axis]
            normal = tuple(int(a) % rank for a in axes if isinstance(a, int))
            entry["axis"] = normal[0] if len(normal) == 1 else normal
        entry["output_shape"] = tuple(layer.output.shape[1:])
        entry["params"] = int(layer.count_params())
        described.append(entry)
    return described


def _layer_list(layers: list[dict[str, Any]]) -> str:
    return " -> ".join(str(layer["class"]) for layer in layers)


def _compare_layers(
    expected: list[dict[str, Any]], actual: list[dict[str, Any]], keys: tuple[str, ...]
) -> Verdict:
    """Layer classes in order, then the given keys of each layer."""
    if [e["class"] for e in expected] != [a["class"] for a in actual]:
        return Verdict(
            False,
            f"the model's layers are {_layer_list(actual) or 'none'}; expected {len(expected)} layers "
            f"{_layer_list(expected)}",
        )
    problems = []
    for position, (want, got) in enumerate(zip(expected, actual, strict=True), start=1):
        for key in keys:
            if key in want and want[key] != got.get(key):
                what = {"output_shape": "output shape", "params": "number of parameters"}.get(key, key)
                problems.append(
                    f"layer {position} ({want['class']}) has {what} {got.get(key)!r}; expected {want[key]!r}"
                )
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        return Verdict(False, "; ".join(problems[:3]) + more)
    return Verdict(True, "")


# ---------------------------------------------------------------------------------------------
# Training a fresh copy on offline data


def digit_images(classes: tuple[int, ...], shape: tuple[int, ...], n: int) -> tuple[AnyArray, AnyArray]:
    """``n`` digit images of the given classes as float32 (n, H, W, C) in [0, 1], enlarged to
    ``shape`` by nearest neighbour and repeated over the channels, with labels 0..len(classes)-1."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    keep = np.isin(digits.target, classes)
    images, targets = digits.images[keep] / 16.0, digits.target[keep]
    order = np.random.default_rng(TRAIN_SEED).permutation(len(targets))[:n]
    h, w, c = shape
    rows = (np.arange(h) * 8) // h
    cols = (np.arange(w) * 8) // w
    big = images[order][:, rows][:, :, cols]
    X = np.repeat(big[..., np.newaxis], c, axis=-1).astype(np.float32)
    labels = np.searchsorted(np.array(classes), targets[order])
    return X, labels


@dataclasses.dataclass(frozen=True)
class TrainingTask:
    """How a model is trained and what it must reach: data, loss, epochs and the accuracy floor."""

    classes: tuple[int, ...]
    n: int
    epochs: int
    batch_size: int
    learning_rate: float
    min_accuracy: float


HAPPY_TRAINING = TrainingTask(
    classes=(0, 1), n=160, epochs=3, batch_size=16, learning_rate=0.001, min_accuracy=0.8
)
"""Binary: does the image show a 0 or a 1 (chance: one half)."""

SIGNS_TRAINING = TrainingTask(
    classes=(0, 1, 2, 3, 4, 5), n=360, epochs=8, batch_size=32, learning_rate=0.01, min_accuracy=0.45
)
"""Six classes, the digits 0 to 5 (chance: one sixth)."""


def _architecture_key(model: Any) -> str:
    """The model's architecture without layer names (which differ between identical builds)."""

    def strip(node: object) -> object:
        if isinstance(node, dict):
            return {
                k: strip(v) for k, v in node.items() if k not in ("name", "keras_history", "inbound_nodes")
            }
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    layers = [[type(layer).__name__, strip(layer.get_config())] for layer in model.layers]
    return json.dumps([layers, list(model.layers[-1].output.shape)], sort_keys=True, default=str)


_TRAINED: dict[tuple[str, TrainingTask], tuple[float, float, float]] = {}
"""Training results by architecture (without layer names) and task: training is deterministic."""


def _train(config_json: str, task: TrainingTask) -> tuple[float, float, float]:
    """(first epoch loss, last epoch loss, last epoch accuracy) of a fresh copy of the model
    whose architecture is ``config_json``."""
    keras = _keras()
    tf = importlib.import_module("tensorflow")
    keras.utils.set_random_seed(TRAIN_SEED)
    tf.config.experimental.enable_op_determinism()
    model = keras.models.model_from_json(config_json)
    shape = tuple(int(n) for n in model.input_shape[1:])
    X, y = digit_images(task.classes, shape, task.n)
    binary = len(task.classes) == 2
    targets = (
        y.astype(np.float32).reshape(-1, 1) if binary else np.eye(len(task.classes), dtype=np.float32)[y]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(task.learning_rate),
        loss="binary_crossentropy" if binary else "categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(X, targets, epochs=task.epochs, batch_size=task.batch_size, shuffle=True, verbose=0)
    losses = [float(v) for v in history.history["loss"]]
    accuracy = float(history.history["accuracy"][-1])
    return losses[0], losses[-1], accuracy


def _judge_training(model: Any, task: TrainingTask) -> Verdict:
    try:
        key = (_architecture_key(model), task)
        if key not in _TRAINED:
            _TRAINED[key] = _train(model.to_json(), task)
        first, last, accuracy = _TRAINED[key]
    except Exception as exc:
        return Verdict(
            False, f"the model could not be trained on image data ({type(exc).__name__}: {str(exc)[:200]})"
        )
    if not (np.isfinite(last) and accuracy >= task.min_accuracy and last < first):
        return Verdict(
            False,
            f"a fresh copy of the model trained for {task.epochs} epochs reached an accuracy of "
            f"{accuracy:.2f} (loss {first:.3f} -> {last:.3f}); a correct model reaches "
            f"{task.min_accuracy:.2f} or more: check the last layer's units and activation",
        )
    return Verdict(True, "")


# ---------------------------------------------------------------------------------------------
# The checks

_STRUCTURE = ("output_shape", *_SETTINGS)
_ALL = ("params", *_STRUCTURE)


def _happy_spec() -> list[dict[str, Any]]:
    return ref.happy_model_layers()


def happy_model_cases(rng: np.random.Generator) -> list[Case]:
    """happyModel() takes no argument: one case per aspect of the model."""
    return [
        Case("layer types and order", ()),
        Case("layer settings and output shapes", ()),
        Case("parameter counts", ()),
        Case("training on digit images", ()),
    ]


def convolutional_model_cases(rng: np.random.Generator) -> list[Case]:
    """The course's 64x64x3, a small grayscale and a non-square shape, and a training run."""
    small = int(rng.integers(16, 41))
    h, w = (int(n) for n in rng.choice(np.arange(20, 61), size=2, replace=False))
    return [
        Case("the course's 64x64x3 images", (ref.SIGNS_INPUT_SHAPE,)),
        Case("small grayscale images", ((small, small, 1),)),
        Case("non-square images", ((h, w, int(rng.integers(2, 5))),)),
        Case("training on digit images", (ref.SIGNS_INPUT_SHAPE,)),
    ]


@dataclasses.dataclass(frozen=True)
class _AspectCheck(CheckDef):
    """A check whose expected value also names the case's family, so that the comparer knows
    which aspect of the model a case judges."""

    def expected(self, case: Case) -> object:
        return {_ASPECT: case.family, "layers": super().expected(case)}


def _comparer(
    task: TrainingTask, keys_by_aspect: dict[str, tuple[str, ...]]
) -> Callable[[object, object], Verdict]:
    def compare(expected: object, actual: object) -> Verdict:
        assert isinstance(expected, dict)
        aspect, layers = expected[_ASPECT], expected["layers"]
        try:
            model = rebuild(actual)
        except ModelError as exc:
            return Verdict(False, str(exc))
        if aspect.startswith("training"):
            return _judge_training(model, task)
        return _compare_layers(layers, describe_layers(model), keys_by_aspect.get(aspect, _ALL))

    return compare


def checks() -> list[CheckDef]:
    """The hidden checks of the Keras CNN assignment, in the notebook's order."""
    happy_keys = {
        "layer types and order": (),
        "layer settings and output shapes": _STRUCTURE,
        "parameter counts": ("params",),
    }
    return [
        _AspectCheck(
            name="keras_cnn.happyModel",
            function="happyModel",
            reference=_happy_spec,
            make_cases=happy_model_cases,
            description="a Sequential binary classifier: its layers, shapes, parameters, and training",
            args=(),
            output="model",
            comparer=_comparer(HAPPY_TRAINING, happy_keys),
        ),
        _AspectCheck(
            name="keras_cnn.convolutional_model",
            function="convolutional_model",
            reference=ref.convolutional_model_layers,
            make_cases=convolutional_model_cases,
            description="a Functional six-class CNN for several input shapes, and training",
            args=("input_shape",),
            output="model",
            comparer=_comparer(SIGNS_TRAINING, {}),
        ),
    ]
