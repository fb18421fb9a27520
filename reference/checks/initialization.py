"""Checks of reference.initialization: the course's seeded values, shapes and weight statistics."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from reference import deep_network as dn
from reference import initialization as init
from reference.arraytypes import Params
from reference.checks.registry import Check

Init = Callable[[Sequence[int]], Params]
InitTwoLayer = Callable[[int, int, int], Params]

LAYER_INITS: dict[str, Init] = {
    "deep_small": lambda dims: init.initialize_parameters_deep(dims),
    "deep_sqrt_fan_in": lambda dims: init.initialize_parameters_deep(dims, "sqrt_fan_in", seed=1),
    "zeros": init.initialize_parameters_zeros,
    "random": init.initialize_parameters_random,
    "he": init.initialize_parameters_he,
    "xavier": init.initialize_parameters_xavier,
    "glorot": init.initialize_parameters_glorot,
}
"""Every initialization that takes a list of layer sizes."""

STD_OF: dict[str, Callable[[int, int], float]] = {
    "deep_small": lambda _i, _o: 0.01,
    "deep_sqrt_fan_in": lambda fan_in, _o: 1.0 / math.sqrt(fan_in),
    "random": lambda _i, _o: 10.0,
    "he": lambda fan_in, _o: math.sqrt(2.0 / fan_in),
    "xavier": lambda fan_in, _o: math.sqrt(1.0 / fan_in),
    "glorot": lambda fan_in, fan_out: math.sqrt(2.0 / (fan_in + fan_out)),
}
"""The standard deviation each random initialization aims at, from (n_{l-1}, n_l)."""


def _max_abs(params: Params, expected: dict[str, list[list[float]]]) -> float:
    """Largest absolute difference over the named arrays; inf when a key or a shape is wrong."""
    worst = 0.0
    for key, value in expected.items():
        want = np.array(value)
        got = params.get(key)
        if got is None or np.shape(got) != want.shape:
            return math.inf
        worst = max(worst, float(np.max(np.abs(got - want))))
    return worst


def check_initialize_parameters_known(initialize: InitTwoLayer = init.initialize_parameters) -> float:
    """Absolute error against the course's (3, 2, 1) output (seed 1, randn * 0.01)."""
    params = initialize(3, 2, 1)
    return _max_abs(
        params,
        {
            "W1": [[0.01624345, -0.00611756, -0.00528172], [-0.01072969, 0.00865408, -0.02301539]],
            "b1": [[0.0], [0.0]],
            "W2": [[0.01744812, -0.00761207]],
            "b2": [[0.0]],
        },
    )


def check_initialize_parameters_deep_known(
    initialize: Init = LAYER_INITS["deep_small"],
) -> float:
    """Absolute error against the course's [5, 4, 3] output (seed 3, randn * 0.01): W1's first row."""
    params = initialize([5, 4, 3])
    shapes_ok = {k: np.shape(v) for k, v in params.items()} == {
        "W1": (4, 5),
        "b1": (4, 1),
        "W2": (3, 4),
        "b2": (3, 1),
    }
    if not shapes_ok:
        return math.inf
    expected = np.array([0.01788628, 0.0043651, 0.00096497, -0.01863493, -0.00277388])
    return float(np.max(np.abs(params["W1"][0] - expected)))


def check_initialize_parameters_random_known(initialize: Init = init.initialize_parameters_random) -> float:
    """Absolute error against the course's [3, 2, 1] output (seed 3, randn * 10)."""
    return _max_abs(
        initialize([3, 2, 1]),
        {
            "W1": [[17.88628473, 4.36509851, 0.96497468], [-18.63492703, -2.77388203, -3.54758979]],
            "b1": [[0.0], [0.0]],
            "W2": [[-0.82741481, -6.27000677]],
            "b2": [[0.0]],
        },
    )


def check_initialize_parameters_he_known(initialize: Init = init.initialize_parameters_he) -> float:
    """Absolute error against the course's [3, 1, 2] output (seed 3, randn * sqrt(2 / n_{l-1}))."""
    return _max_abs(
        initialize([3, 1, 2]),
        {
            "W1": [[1.46040903, 0.3564088, 0.07878985]],
            "b1": [[0.0]],
            "W2": [[-2.63537665], [-0.39228616]],
            "b2": [[0.0], [0.0]],
        },
    )


def check_scale_relations(
    he: Init = init.initialize_parameters_he,
    xavier: Init = init.initialize_parameters_xavier,
    glorot: Init = init.initialize_parameters_glorot,
    deep: Init = LAYER_INITS["deep_small"],
) -> float:
    """1.0 unless, with the same seed 3 draws, xavier = he / sqrt(2), glorot = he * sqrt(n_{l-1} /
    (n_{l-1} + n_l)) and the "small" deep init = he * 0.01 / sqrt(2 / n_{l-1}), layer by layer."""
    dims = [7, 5, 3, 2]
    h, x, g, d = he(dims), xavier(dims), glorot(dims), deep(dims)
    for layer in range(1, len(dims)):
        fan_in, fan_out = dims[layer - 1], dims[layer]
        W = "W" + str(layer)
        ok = (
            np.allclose(x[W], h[W] / math.sqrt(2.0), rtol=1e-13, atol=0.0)
            and np.allclose(g[W], h[W] * math.sqrt(fan_in / (fan_in + fan_out)), rtol=1e-13, atol=0.0)
            and np.allclose(d[W], h[W] * 0.01 / math.sqrt(2.0 / fan_in), rtol=1e-13, atol=0.0)
        )
        if not ok:
            return 1.0
    return 0.0


def _random_layer_dims(rng: np.random.Generator, count: int) -> list[list[int]]:
    return [[int(n) for n in rng.integers(1, 9, size=int(rng.integers(2, 6)))] for _ in range(count)]


def check_shapes(inits: dict[str, Init] | None = None, seed: int = 0) -> float:
    """1.0 unless every initialization gives W[l] (n_l, n_{l-1}), zero b[l] (n_l, 1), float64,
    and exactly those keys, for 20 random layer_dims."""
    inits = LAYER_INITS if inits is None else inits
    rng = np.random.default_rng(seed)
    for dims in _random_layer_dims(rng, 20):
        for initialize in inits.values():
            params = initialize(dims)
            if len(params) != 2 * (len(dims) - 1):
                return 1.0
            for layer in range(1, len(dims)):
                W, b = params.get("W" + str(layer)), params.get("b" + str(layer))
                if W is None or b is None:
                    return 1.0
                if W.shape != (dims[layer], dims[layer - 1]) or b.shape != (dims[layer], 1):
                    return 1.0
                if W.dtype != np.float64 or b.dtype != np.float64 or np.any(b != 0.0):
                    return 1.0
    return 0.0


def check_two_layer_shapes(initialize: InitTwoLayer = init.initialize_parameters, seed: int = 0) -> float:
    """1.0 unless initialize_parameters(n_x, n_h, n_y) has the course's four arrays and shapes."""
    rng = np.random.default_rng(seed)
    for _ in range(20):
        n_x, n_h, n_y = (int(n) for n in rng.integers(1, 9, size=3))
        p = initialize(n_x, n_h, n_y)
        shapes = {k: np.shape(v) for k, v in p.items()}
        if shapes != {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}:
            return 1.0
        if np.any(p["b1"] != 0.0) or np.any(p["b2"] != 0.0):
            return 1.0
    return 0.0


STD_DIMS = (800, 500, 300)
STD_BOUND = 0.02
"""Allowed relative deviation of an empirical std from its target. With at least 150,000 draws
per matrix the sampling error of the std is about 0.2%, so 2% leaves a wide margin while still
rejecting every wrong fan (sqrt(2/n_l) instead of sqrt(2/n_{l-1}) is 29% off here)."""


def check_weight_std(inits: dict[str, Init] | None = None) -> float:
    """1.0 unless every random initialization's W[l] on layers [800, 500, 300] has a std within 2%
    of its target and a mean within 4 standard errors of 0."""
    inits = LAYER_INITS if inits is None else inits
    for name, initialize in inits.items():
        if name not in STD_OF:
            continue
        params = initialize(list(STD_DIMS))
        for layer in range(1, len(STD_DIMS)):
            W = params["W" + str(layer)]
            target = STD_OF[name](STD_DIMS[layer - 1], STD_DIMS[layer])
            if abs(float(W.std()) / target - 1.0) > STD_BOUND:
                return 1.0
            if abs(float(W.mean())) > 4.0 * target / math.sqrt(W.size):
                return 1.0
    return 0.0


def check_zeros_symmetry(initialize: Init = init.initialize_parameters_zeros, seed: int = 0) -> float:
    """1.0 unless, after zero initialization and 20 gradient steps, the hidden units of each layer
    are still identical (equal rows of W[l] and b[l]): zeros do not break symmetry."""
    rng = np.random.default_rng(seed)
    dims = [4, 5, 3, 1]
    X = rng.standard_normal((4, 30))
    Y = (rng.random((1, 30)) < 0.5).astype(np.float64)
    params = initialize(dims)
    for _ in range(20):
        AL, caches = dn.L_model_forward(X, params)
        params = dn.update_parameters(params, dn.L_model_backward(AL, Y, caches), 0.5)
    for layer in range(1, len(dims) - 1):
        W, b = params["W" + str(layer)], params["b" + str(layer)]
        if np.any(np.ptp(W, axis=0) != 0.0) or np.any(np.ptp(b, axis=0) != 0.0):
            return 1.0
    return 0.0


def check_invalid_layer_dims(inits: dict[str, Init] | None = None) -> float:
    """1.0 unless every initialization rejects too few layers and non-positive sizes with ValueError."""
    inits = LAYER_INITS if inits is None else inits
    bad_dims: list[list[int]] = [[], [3], [3, 0, 1], [3, -2, 1], [0, 2]]
    for initialize in inits.values():
        for dims in bad_dims:
            try:
                initialize(dims)
            except ValueError:
                continue
            return 1.0
    return 0.0


def checks() -> list[Check]:
    """The checks of the initialization topic."""
    known = "course value, seeded"
    return [
        Check(
            "initialization.initialize_parameters",
            "known-value",
            f"{known}: (3, 2, 1)",
            check_initialize_parameters_known,
            1e-8,
        ),
        Check(
            "initialization.initialize_parameters_deep",
            "known-value",
            f"{known}: [5, 4, 3] small",
            check_initialize_parameters_deep_known,
            1e-8,
        ),
        Check(
            "initialization.initialize_parameters_random",
            "known-value",
            f"{known}: [3, 2, 1]",
            check_initialize_parameters_random_known,
            1e-8,
        ),
        Check(
            "initialization.initialize_parameters_he",
            "known-value",
            f"{known}: [3, 1, 2]",
            check_initialize_parameters_he_known,
            1e-8,
        ),
        Check(
            "initialization.initialize_parameters_xavier",
            "invariant",
            "xavier, glorot, small = rescaled he draws",
            check_scale_relations,
            0.0,
        ),
        Check(
            "initialization.initialize_parameters_deep",
            "invariant",
            "shapes, zero biases for 20 random layer_dims, all inits",
            check_shapes,
            0.0,
        ),
        Check(
            "initialization.initialize_parameters",
            "invariant",
            "shapes and zero biases for 20 random sizes",
            check_two_layer_shapes,
            0.0,
        ),
        Check(
            "initialization.initialize_parameters_he",
            "invariant",
            "empirical std within 2% on [800, 500, 300], all random inits",
            check_weight_std,
            0.0,
        ),
        Check(
            "initialization.initialize_parameters_zeros",
            "invariant",
            "hidden units stay symmetric under training",
            check_zeros_symmetry,
            0.0,
        ),
        Check(
            "initialization.initialize_parameters_deep",
            "invariant",
            "invalid layer_dims raise ValueError, all inits",
            check_invalid_layer_dims,
            0.0,
        ),
    ]
