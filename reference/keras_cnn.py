"""The structure the Keras CNN assignment's two models must have, as plain data.

Each model is described layer by layer (its input layer left out) by a dict with the layer's class
name, its output shape without the batch axis, its number of parameters and the settings that
matter for that class (filters, kernel size, strides, padding, pool size, units, activation, axis).
The grader rebuilds a student's model from its JSON architecture, describes it the same way and
compares the two; no framework is needed here.
"""

from __future__ import annotations

import math
from typing import Any

Shape = tuple[int, ...]
LayerSpec = dict[str, Any]

HAPPY_INPUT_SHAPE: Shape = (64, 64, 3)
"""The happy model reads 64x64 RGB images."""

SIGNS_INPUT_SHAPE: Shape = (64, 64, 3)
"""The course's input shape for ``convolutional_model`` (images of hand signs)."""


def conv_output(n: int, f: int, stride: int, padding: str) -> int:
    """Output length of a convolution or pooling window f with this stride along an axis of length n:
    ceil(n / stride) with "same" padding, floor((n - f) / stride) + 1 with "valid"."""
    if padding == "same":
        return math.ceil(n / stride)
    return (n - f) // stride + 1


def conv2d(shape: Shape, filters: int, f: int, stride: int, padding: str) -> LayerSpec:
    """A Conv2D layer (no activation of its own) applied to an input of ``shape`` (n_H, n_W, n_C)."""
    h, w, c = shape
    out = (conv_output(h, f, stride, padding), conv_output(w, f, stride, padding), filters)
    return {
        "class": "Conv2D",
        "filters": filters,
        "kernel_size": (f, f),
        "strides": (stride, stride),
        "padding": padding,
        "activation": "linear",
        "output_shape": out,
        "params": f * f * c * filters + filters,
    }


def max_pool(shape: Shape, f: int, stride: int, padding: str) -> LayerSpec:
    """A MaxPooling2D layer with a square window f and stride."""
    h, w, c = shape
    out = (conv_output(h, f, stride, padding), conv_output(w, f, stride, padding), c)
    return {
        "class": "MaxPooling2D",
        "pool_size": (f, f),
        "strides": (stride, stride),
        "padding": padding,
        "output_shape": out,
        "params": 0,
    }


def _simple(name: str, shape: Shape, **settings: Any) -> LayerSpec:
    return {"class": name, **settings, "output_shape": shape, "params": 0}


def dense(n_in: int, units: int, activation: str) -> LayerSpec:
    """A Dense layer on a flat input of n_in features."""
    return {
        "class": "Dense",
        "units": units,
        "activation": activation,
        "output_shape": (units,),
        "params": n_in * units + units,
    }


def happy_model_layers() -> list[LayerSpec]:
    """ZeroPadding2D(3) -> Conv2D(32, 7) -> BatchNormalization(axis=3) -> ReLU -> MaxPool2D(2)
    -> Flatten -> Dense(1, sigmoid) on 64x64x3 inputs (4736, 128 and 32769 parameters)."""
    h, w, c = HAPPY_INPUT_SHAPE
    padded = (h + 6, w + 6, c)
    layers = [_simple("ZeroPadding2D", padded, padding=((3, 3), (3, 3)))]
    conv = conv2d(padded, 32, 7, 1, "valid")
    out = conv["output_shape"]
    layers.append(conv)
    layers.append({"class": "BatchNormalization", "axis": 3, "output_shape": out, "params": 4 * out[-1]})
    layers.append(_simple("ReLU", out))
    pool = max_pool(out, 2, 2, "valid")
    layers.append(pool)
    flat = math.prod(pool["output_shape"])
    layers.append(_simple("Flatten", (flat,)))
    layers.append(dense(flat, 1, "sigmoid"))
    return layers


def convolutional_model_layers(input_shape: Shape) -> list[LayerSpec]:
    """Conv2D(8, 4, same) -> ReLU -> MaxPool(8, 8, same) -> Conv2D(16, 2, same) -> ReLU
    -> MaxPool(4, 4, same) -> Flatten -> Dense(6, softmax) for inputs of ``input_shape``
    (392, 528 and 390 parameters for the course's 64x64x3)."""
    layers: list[LayerSpec] = []
    shape = tuple(input_shape)
    for filters, f, pool in ((8, 4, 8), (16, 2, 4)):
        conv = conv2d(shape, filters, f, 1, "same")
        layers += [conv, _simple("ReLU", conv["output_shape"])]
        pooled = max_pool(conv["output_shape"], pool, pool, "same")
        layers.append(pooled)
        shape = pooled["output_shape"]
    flat = math.prod(shape)
    layers.append(_simple("Flatten", (flat,)))
    layers.append(dense(flat, 6, "softmax"))
    return layers
