"""Hidden checks of the "deep neural network, step by step" assignment.

Every function of the notebook gets 5 or 6 randomized cases in named families: a single example
(m = 1), one unit, wide and deep networks, each activation, and cases that isolate one term (zero
weights so that only the bias shows, zero bias, mostly inactive ReLU units). Sizes are drawn per
grading seed and kept non-square where a transposition would otherwise go unnoticed, so an answer
hard-coded from the notebook's public examples fails. Caches handed to backward functions come
from a real reference forward pass, so any correct formula passes.

The two initializers seed numpy's global generator themselves (seed 1 and seed 3, weights
randn * 0.01, as in the step-by-step notebook); their cases vary the layer sizes and the reference
reproduces the same draws exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grader.cases.checkdef import Case, CheckDef
from reference import deep_network as dn
from reference import initialization as init
from reference.arraytypes import AnyArray, Array, Params

_PUBLIC_SHALLOW = (3, 2, 1)
"""Sizes of the notebook's public example of initialize_parameters: never used as a hidden case."""

_PUBLIC_DEEP = [5, 4, 3]
"""Layer sizes of the notebook's public example of initialize_parameters_deep."""


# ---------------------------------------------------------------------------------------------
# Drawing inputs


def _size(rng: np.random.Generator, low: int, high: int, avoid: Sequence[int] = ()) -> int:
    """A size in [low, high], different from every size in ``avoid`` when the range allows it."""
    choices = [n for n in range(low, high + 1) if n not in avoid] or list(range(low, high + 1))
    return int(rng.choice(choices))


def _weights(rng: np.random.Generator, n: int, n_prev: int) -> Array:
    """W (n, n_prev) scaled by 1/sqrt(n_prev), so activations stay in a useful range."""
    W: Array = rng.standard_normal((n, n_prev)) / np.sqrt(n_prev)
    return W


def _bias(rng: np.random.Generator, n: int, scale: float = 0.5) -> Array:
    b: Array = scale * rng.standard_normal((n, 1))
    return b


def _layer_inputs(
    rng: np.random.Generator, n_prev: int, n: int, m: int, *, zero_w: bool = False, zero_b: bool = False
) -> tuple[Array, Array, Array]:
    """A_prev (n_prev, m), W (n, n_prev), b (n, 1); zero_w / zero_b isolate the other term."""
    A = rng.standard_normal((n_prev, m))
    W = np.zeros((n, n_prev)) if zero_w else _weights(rng, n, n_prev)
    b = np.zeros((n, 1)) if zero_b else _bias(rng, n)
    return A, W, b


def _network(rng: np.random.Generator, dims: Sequence[int]) -> Params:
    """Parameters W1, b1, ..., WL, bL of a network with layer sizes ``dims``."""
    parameters: Params = {}
    for layer in range(1, len(dims)):
        parameters[f"W{layer}"] = _weights(rng, dims[layer], dims[layer - 1])
        parameters[f"b{layer}"] = _bias(rng, dims[layer], scale=0.1)
    return parameters


def binary_labels(rng: np.random.Generator, m: int, *, as_int: bool = False) -> AnyArray:
    """Y (1, m) of 0/1 with both labels present when m >= 2."""
    Y = rng.integers(0, 2, size=(1, m))
    if m >= 2:
        Y[0, 0], Y[0, 1] = 0, 1
        Y = Y[:, rng.permutation(m)]
    return Y if as_int else Y.astype(np.float64)


def _hidden_dims(rng: np.random.Generator, n_x: int, hidden_layers: int) -> list[int]:
    """[n_x, n_1, ..., n_{L-1}, 1]: hidden sizes differ from their neighbours."""
    dims = [n_x]
    for _ in range(hidden_layers):
        dims.append(_size(rng, 2, 7, avoid=(dims[-1],)))
    dims.append(1)
    return dims


# ---------------------------------------------------------------------------------------------
# Initialization


def initialize_parameters_cases(rng: np.random.Generator) -> list[Case]:
    """Sizes (n_x, n_h, n_y) in five families; the public example's sizes are never drawn."""
    shapes = [
        ("single output unit", (_size(rng, 2, 6), _size(rng, 3, 6), 1)),
        ("several output units", (_size(rng, 2, 5), _size(rng, 2, 5), _size(rng, 2, 4))),
        ("single input feature", (1, _size(rng, 2, 5), _size(rng, 1, 3))),
        ("wide hidden layer", (_size(rng, 3, 8), _size(rng, 9, 16), _size(rng, 1, 3))),
        ("many input features", (_size(rng, 10, 20), _size(rng, 2, 4), 1)),
    ]
    cases = []
    for family, (n_x, n_h, n_y) in shapes:
        if (n_x, n_h, n_y) == _PUBLIC_SHALLOW:
            n_h += 1
        cases.append(Case(family, (n_x, n_h, n_y)))
    return cases


def initialize_parameters_deep_cases(rng: np.random.Generator) -> list[Case]:
    """Layer size lists from one layer to a 5-layer network."""
    families = [
        ("one layer", [_size(rng, 2, 8), _size(rng, 1, 4)]),
        ("two layers", [_size(rng, 3, 8), _size(rng, 2, 6), 1]),
        ("deep network, 4 layers", [_size(rng, 4, 10), *(_size(rng, 2, 6) for _ in range(3)), 1]),
        ("deep network, 5 layers", [_size(rng, 2, 6), *(_size(rng, 2, 8) for _ in range(4)), 1]),
        ("single input feature", [1, _size(rng, 2, 5), _size(rng, 2, 4)]),
        ("wide layers", [_size(rng, 12, 20), _size(rng, 10, 16), _size(rng, 2, 5)]),
    ]
    cases = []
    for family, dims in families:
        if dims == _PUBLIC_DEEP:
            dims[1] += 1
        cases.append(Case(family, (dims,)))
    return cases


# ---------------------------------------------------------------------------------------------
# Forward propagation


def linear_forward_cases(rng: np.random.Generator) -> list[Case]:
    """Z = W A + b on single examples, one unit, batches, and with either term switched off."""
    cases = []
    n_prev = _size(rng, 2, 6)
    n = _size(rng, 2, 5, avoid=(n_prev,))
    cases.append(Case("single example", _layer_inputs(rng, n_prev, n, 1)))
    n_prev = _size(rng, 2, 6)
    cases.append(Case("one unit", _layer_inputs(rng, n_prev, 1, _size(rng, 3, 8, avoid=(n_prev,)))))
    n_prev = _size(rng, 2, 7)
    n = _size(rng, 2, 7, avoid=(n_prev,))
    m = _size(rng, 5, 12, avoid=(n_prev, n))
    cases.append(Case("batch of examples", _layer_inputs(rng, n_prev, n, m)))
    n_prev = _size(rng, 2, 5)
    n = _size(rng, 2, 5, avoid=(n_prev,))
    m = _size(rng, 3, 9, avoid=(n_prev, n))
    cases.append(Case("zero weights (only the bias)", _layer_inputs(rng, n_prev, n, m, zero_w=True)))
    cases.append(Case("zero bias", _layer_inputs(rng, n, n_prev, m + 1, zero_b=True)))
    n_prev = _size(rng, 10, 20)
    n = _size(rng, 8, 15, avoid=(n_prev,))
    cases.append(Case("larger layer", _layer_inputs(rng, n_prev, n, _size(rng, 20, 40))))
    return cases


def linear_activation_forward_cases(rng: np.random.Generator) -> list[Case]:
    """One layer with each activation, single examples, and mostly inactive ReLU units."""
    cases = []
    for family, activation, m in [
        ("sigmoid layer", "sigmoid", _size(rng, 3, 10)),
        ("relu layer", "relu", _size(rng, 3, 10)),
        ("sigmoid layer, single example", "sigmoid", 1),
        ("relu layer, single example", "relu", 1),
    ]:
        n_prev = _size(rng, 2, 7)
        n = _size(rng, 2, 6, avoid=(n_prev, m))
        A, W, b = _layer_inputs(rng, n_prev, n, m)
        cases.append(Case(family, (A, W, b, activation)))
    n_prev = _size(rng, 2, 6)
    m = _size(rng, 4, 9, avoid=(n_prev,))
    A, W, _ = _layer_inputs(rng, n_prev, 1, m)
    cases.append(Case("sigmoid output unit", (A, W, _bias(rng, 1), "sigmoid")))
    n_prev = _size(rng, 3, 7)
    n = _size(rng, 3, 7, avoid=(n_prev,))
    m = _size(rng, 5, 12, avoid=(n_prev, n))
    A, W, _ = _layer_inputs(rng, n_prev, n, m)
    shifted: Array = -1.0 - np.abs(rng.standard_normal((n, 1)))
    cases.append(Case("relu layer, mostly inactive units", (A, W, shifted, "relu")))
    return cases


def L_model_forward_cases(rng: np.random.Generator) -> list[Case]:
    """Networks from one sigmoid layer to five layers, with batches and a single example."""
    cases = []
    for family, hidden_layers, m in [
        ("one layer (sigmoid only)", 0, _size(rng, 3, 8)),
        ("two layers", 1, _size(rng, 3, 10)),
        ("three layers", 2, _size(rng, 4, 10)),
        ("deep network, 4 layers", 3, _size(rng, 5, 12)),
        ("deep network, 5 layers, single example", 4, 1),
        ("three layers, larger batch", 2, _size(rng, 30, 50)),
    ]:
        dims = _hidden_dims(rng, _size(rng, 2, 8), hidden_layers)
        X = rng.standard_normal((dims[0], m))
        cases.append(Case(family, (X, _network(rng, dims))))
    return cases


# ---------------------------------------------------------------------------------------------
# Cost


def compute_cost_cases(rng: np.random.Generator) -> list[Case]:
    """Cross-entropy of (AL, Y) with one or many examples, one-class batches and integer labels."""
    cases = []
    m = _size(rng, 4, 12)
    cases.append(Case("balanced labels", (rng.uniform(0.05, 0.95, (1, m)), binary_labels(rng, m))))
    cases.append(Case("single example", (rng.uniform(0.05, 0.95, (1, 1)), binary_labels(rng, 1))))
    m = _size(rng, 3, 9)
    cases.append(Case("all labels 1", (rng.uniform(0.05, 0.95, (1, m)), np.ones((1, m)))))
    m = _size(rng, 3, 9)
    cases.append(Case("all labels 0", (rng.uniform(0.05, 0.95, (1, m)), np.zeros((1, m)))))
    m = _size(rng, 5, 10)
    Y = binary_labels(rng, m)
    confident: Array = np.where(Y == 1, rng.uniform(0.9, 0.99, (1, m)), rng.uniform(0.01, 0.1, (1, m)))
    cases.append(Case("confident predictions", (confident, Y)))
    m = _size(rng, 30, 60)
    AL = rng.uniform(0.05, 0.95, (1, m))
    cases.append(Case("integer labels, larger batch", (AL, binary_labels(rng, m, as_int=True))))
    return cases


# ---------------------------------------------------------------------------------------------
# Backward propagation


def linear_backward_cases(rng: np.random.Generator) -> list[Case]:
    """Gradients of Z = W A_prev + b for random dZ; the cache comes from a reference forward pass."""
    cases = []
    for family, n_prev, n, m in [
        ("single example", _size(rng, 2, 6), _size(rng, 2, 5), 1),
        ("one unit", _size(rng, 2, 6), 1, _size(rng, 3, 8)),
        ("batch of examples", _size(rng, 2, 7), _size(rng, 2, 7), _size(rng, 5, 12)),
        ("two units, many examples", _size(rng, 3, 6), 2, _size(rng, 20, 40)),
        ("larger layer", _size(rng, 10, 20), _size(rng, 8, 15), _size(rng, 20, 40)),
    ]:
        if n == n_prev:
            n_prev += 1
        if m in (n, n_prev):
            m += 3 if m > 1 else 0
        A, W, b = _layer_inputs(rng, n_prev, n, m)
        _, cache = dn.linear_forward(A, W, b)
        cases.append(Case(family, (rng.standard_normal((n, m)), cache)))
    return cases


def linear_activation_backward_cases(rng: np.random.Generator) -> list[Case]:
    """One layer's backward pass per activation; caches from a reference forward pass."""
    cases = []
    for family, activation, m, inactive in [
        ("relu layer", "relu", _size(rng, 4, 10), False),
        ("sigmoid layer", "sigmoid", _size(rng, 4, 10), False),
        ("relu layer, single example", "relu", 1, False),
        ("sigmoid layer, single example", "sigmoid", 1, False),
        ("relu layer, mostly inactive units", "relu", _size(rng, 5, 12), True),
        ("sigmoid output unit", "sigmoid", _size(rng, 5, 12), False),
    ]:
        n_prev = _size(rng, 2, 7, avoid=(m,))
        n = 1 if family == "sigmoid output unit" else _size(rng, 2, 6, avoid=(n_prev, m))
        A, W, b = _layer_inputs(rng, n_prev, n, m)
        if inactive:
            b = -1.0 - np.abs(rng.standard_normal((n, 1)))
        _, cache = dn.linear_activation_forward(A, W, b, activation)
        cases.append(Case(family, (rng.standard_normal((n, m)), cache, activation)))
    return cases


def L_model_backward_cases(rng: np.random.Generator) -> list[Case]:
    """Whole-network gradients from a reference forward pass, one to five layers."""
    cases = []
    for family, hidden_layers, m, int_labels in [
        ("one layer (sigmoid only)", 0, _size(rng, 3, 8), False),
        ("two layers", 1, _size(rng, 3, 10), False),
        ("three layers", 2, _size(rng, 4, 10), True),
        ("deep network, 4 layers", 3, _size(rng, 5, 12), False),
        ("deep network, 5 layers, single example", 4, 1, False),
        ("two layers, larger batch", 1, _size(rng, 30, 50), False),
    ]:
        dims = _hidden_dims(rng, _size(rng, 2, 8), hidden_layers)
        X = rng.standard_normal((dims[0], m))
        AL, caches = dn.L_model_forward(X, _network(rng, dims))
        cases.append(Case(family, (AL, binary_labels(rng, m, as_int=int_labels), caches)))
    return cases


# ---------------------------------------------------------------------------------------------
# Update


def update_parameters_cases(rng: np.random.Generator) -> list[Case]:
    """One gradient step on networks of one to four layers and learning rates from 0.001 to 2."""
    cases = []
    for family, hidden_layers, learning_rate in [
        ("one layer", 0, float(rng.uniform(0.01, 0.5))),
        ("two layers", 1, float(rng.uniform(0.01, 0.5))),
        ("deep network, 4 layers", 3, float(rng.uniform(0.01, 0.5))),
        ("small learning rate", 2, float(rng.uniform(0.001, 0.005))),
        ("learning rate above 1", 1, float(rng.uniform(1.2, 2.0))),
    ]:
        dims = _hidden_dims(rng, _size(rng, 2, 8), hidden_layers)
        parameters = _network(rng, dims)
        grads: Params = {}
        m = _size(rng, 2, 9)
        # A real backward pass also returns the dA entries, which the update must ignore.
        for layer in range(len(dims) - 1, 0, -1):
            grads[f"dA{layer - 1}"] = rng.standard_normal((dims[layer - 1], m))
            grads[f"dW{layer}"] = rng.standard_normal(parameters[f"W{layer}"].shape)
            grads[f"db{layer}"] = rng.standard_normal(parameters[f"b{layer}"].shape)
        cases.append(Case(family, (parameters, grads, learning_rate)))
    return cases


# ---------------------------------------------------------------------------------------------
# The checks


def _initialize_parameters_deep(layer_dims: list[int]) -> Params:
    """The step-by-step notebook's version: seed 3, randn * 0.01."""
    return init.initialize_parameters_deep(layer_dims, weight_scale="small", seed=3)


def checks() -> list[CheckDef]:
    """The hidden checks of the deep network assignment, in the notebook's order."""
    forward = ("A_prev", "W", "b", "activation")
    return [
        CheckDef(
            name="deep_network.initialize_parameters",
            function="initialize_parameters",
            reference=init.initialize_parameters,
            make_cases=initialize_parameters_cases,
            description="two-layer initialization (seed 1, randn * 0.01, zero biases) for several sizes",
            args=("n_x", "n_h", "n_y"),
            output="parameters",
        ),
        CheckDef(
            name="deep_network.initialize_parameters_deep",
            function="initialize_parameters_deep",
            reference=_initialize_parameters_deep,
            make_cases=initialize_parameters_deep_cases,
            description="L-layer initialization (seed 3, randn * 0.01, zero biases) for several depths",
            args=("layer_dims",),
            output="parameters",
        ),
        CheckDef(
            name="deep_network.linear_forward",
            function="linear_forward",
            reference=dn.linear_forward,
            make_cases=linear_forward_cases,
            description="Z = W A + b and the cache (A, W, b)",
            args=("A", "W", "b"),
            output=("Z", "cache"),
        ),
        CheckDef(
            name="deep_network.linear_activation_forward",
            function="linear_activation_forward",
            reference=dn.linear_activation_forward,
            make_cases=linear_activation_forward_cases,
            description="one layer with sigmoid or ReLU and the cache (linear_cache, Z)",
            args=forward,
            output=("A", "cache"),
        ),
        CheckDef(
            name="deep_network.L_model_forward",
            function="L_model_forward",
            reference=dn.L_model_forward,
            make_cases=L_model_forward_cases,
            description="ReLU layers then a sigmoid layer, with one cache per layer",
            args=("X", "parameters"),
            output=("AL", "caches"),
        ),
        CheckDef(
            name="deep_network.compute_cost",
            function="compute_cost",
            reference=dn.compute_cost,
            make_cases=compute_cost_cases,
            description="cross-entropy cost averaged over the examples, as a single number",
            args=("AL", "Y"),
            output="cost",
        ),
        CheckDef(
            name="deep_network.linear_backward",
            function="linear_backward",
            reference=dn.linear_backward,
            make_cases=linear_backward_cases,
            description="dA_prev, dW and db of the linear part of one layer",
            args=("dZ", "cache"),
            output=("dA_prev", "dW", "db"),
        ),
        CheckDef(
            name="deep_network.linear_activation_backward",
            function="linear_activation_backward",
            reference=dn.linear_activation_backward,
            make_cases=linear_activation_backward_cases,
            description="one layer's backward pass through sigmoid or ReLU",
            args=("dA", "cache", "activation"),
            output=("dA_prev", "dW", "db"),
        ),
        CheckDef(
            name="deep_network.L_model_backward",
            function="L_model_backward",
            reference=dn.L_model_backward,
            make_cases=L_model_backward_cases,
            description="gradients dA0..dA{L-1}, dW1..dWL, db1..dbL of the whole network",
            args=("AL", "Y", "caches"),
            output="grads",
            # Some students also keep dAL in grads; the graded keys are the course's.
            allow_extra_keys=True,
        ),
        CheckDef(
            name="deep_network.update_parameters",
            function="update_parameters",
            reference=dn.update_parameters,
            make_cases=update_parameters_cases,
            description="one gradient-descent step on every W and b, without modifying the inputs",
            args=("parameters", "grads", "learning_rate"),
            output="parameters",
            unchanged_args=(0, 1),
        ),
    ]
