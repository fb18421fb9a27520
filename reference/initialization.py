"""Weight initializations of fully connected networks, as the course and the lecture name them.

Every function returns the course's parameter dictionary ``{"W1", "b1", ..., "WL", "bL"}`` with
``W[l]`` of shape ``(n_l, n_{l-1})`` and ``b[l]`` of shape ``(n_l, 1)`` (biases are zero).
As in the course, the random ones seed numpy's GLOBAL generator inside the function
(``np.random.seed``) and draw the layers in order with ``np.random.randn``, so that their values
match the notebooks' expected outputs exactly.

The scales, for a layer with fan-in n_{l-1} and fan-out n_l:

* ``small`` (step-by-step notebook): randn * 0.01.
* ``sqrt_fan_in`` (application notebook): randn / sqrt(n_{l-1}).
* ``random`` (initialization notebook, a deliberately bad choice): randn * 10.
* ``he``: randn * sqrt(2 / n_{l-1}), which keeps the variance of ReLU activations steady.
* ``xavier`` (the lecture's name): randn * sqrt(1 / n_{l-1}); the same scale as
  ``sqrt_fan_in`` (equal up to rounding, and seeded 3 rather than by the caller).
* ``glorot``: randn * sqrt(2 / (n_{l-1} + n_l)), the compromise between forward and backward
  variance of Glorot and Bengio (2010).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from reference.arraytypes import Array, Params

WeightScale = Literal["small", "sqrt_fan_in"]

Scale = Callable[[Array, int, int], Array]
"""Turns a standard normal draw (n_l, n_{l-1}) into weights, given (n_{l-1}, n_l). Multiplying
or dividing is chosen as each notebook writes it, so that the values match bit for bit."""


def _check_layer_dims(layer_dims: Sequence[int]) -> list[int]:
    """The layer sizes as a list of ints, or ValueError when they cannot describe a network."""
    dims = list(layer_dims)
    if len(dims) < 2:
        raise ValueError(f"layer_dims needs at least 2 entries (input and output), got {dims}")
    if any(int(d) != d or d < 1 for d in dims):
        raise ValueError(f"layer sizes must be positive integers, got {dims}")
    return [int(d) for d in dims]


def _randn_layers(layer_dims: Sequence[int], scale: Scale, seed: int | None) -> Params:
    """Draw W[l] = scale(randn(n_l, n_{l-1}), n_{l-1}, n_l) layer by layer; zero biases."""
    dims = _check_layer_dims(layer_dims)
    if seed is not None:
        np.random.seed(seed)
    parameters: Params = {}
    for layer in range(1, len(dims)):
        fan_in, fan_out = dims[layer - 1], dims[layer]
        parameters["W" + str(layer)] = scale(np.random.randn(fan_out, fan_in), fan_in, fan_out)
        parameters["b" + str(layer)] = np.zeros((fan_out, 1))
    return parameters


def initialize_parameters(n_x: int, n_h: int, n_y: int) -> Params:
    """Two-layer network: W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1).

    Seeds numpy's global RNG with 1, then W = randn * 0.01 and zero biases, as in the course.
    """
    return _randn_layers([n_x, n_h, n_y], lambda z, _i, _o: z * 0.01, seed=1)


def initialize_parameters_deep(
    layer_dims: Sequence[int], weight_scale: WeightScale = "small", seed: int | None = 3
) -> Params:
    """L-layer network with layer sizes layer_dims = [n_x, n_1, ..., n_L].

    weight_scale "small" gives randn * 0.01 (the step-by-step notebook, which seeds 3: the
    default); "sqrt_fan_in" gives randn / sqrt(n_{l-1}) (the application notebook, which seeds 1:
    pass seed=1). The global RNG is seeded with ``seed`` first; seed=None leaves it as it is.
    """
    if weight_scale == "small":
        return _randn_layers(layer_dims, lambda z, _i, _o: z * 0.01, seed)
    if weight_scale == "sqrt_fan_in":
        return _randn_layers(layer_dims, lambda z, fan_in, _o: z / np.sqrt(fan_in), seed)
    raise ValueError(f"unknown weight_scale {weight_scale!r}; expected 'small' or 'sqrt_fan_in'")


def initialize_parameters_zeros(layers_dims: Sequence[int]) -> Params:
    """Every W[l] (n_l, n_{l-1}) and b[l] (n_l, 1) zero: the hidden units stay identical."""
    dims = _check_layer_dims(layers_dims)
    parameters: Params = {}
    for layer in range(1, len(dims)):
        parameters["W" + str(layer)] = np.zeros((dims[layer], dims[layer - 1]))
        parameters["b" + str(layer)] = np.zeros((dims[layer], 1))
    return parameters


def initialize_parameters_random(layers_dims: Sequence[int]) -> Params:
    """W[l] = randn * 10 after seeding numpy's global RNG with 3; zero biases."""
    return _randn_layers(layers_dims, lambda z, _i, _o: z * 10.0, seed=3)


def initialize_parameters_he(layers_dims: Sequence[int]) -> Params:
    """He initialization: W[l] = randn * sqrt(2 / n_{l-1}) after seeding with 3; zero biases."""
    return _randn_layers(layers_dims, lambda z, fan_in, _o: z * np.sqrt(2.0 / fan_in), seed=3)


def initialize_parameters_xavier(layers_dims: Sequence[int]) -> Params:
    """The lecture's Xavier: W[l] = randn * sqrt(1 / n_{l-1}) after seeding with 3; zero biases."""
    return _randn_layers(layers_dims, lambda z, fan_in, _o: z * np.sqrt(1.0 / fan_in), seed=3)


def initialize_parameters_glorot(layers_dims: Sequence[int]) -> Params:
    """Glorot normal: W[l] = randn * sqrt(2 / (n_{l-1} + n_l)) after seeding with 3; zero biases."""
    return _randn_layers(
        layers_dims, lambda z, fan_in, fan_out: z * np.sqrt(2.0 / (fan_in + fan_out)), seed=3
    )
