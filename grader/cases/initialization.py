"""Hidden checks of the "initialization" assignment.

Five initializers of a fully connected network with layer sizes ``layers_dims = [n_0, ..., n_L]``:
zeros, large random (randn * 10), He (randn * sqrt(2 / n_{l-1})), Xavier as the lecture names it
(randn * sqrt(1 / n_{l-1})) and Glorot (randn * sqrt(2 / (n_{l-1} + n_l))). As in the course, the
random ones seed numpy's global generator with 3 inside the function and draw the layers in order,
so the reference reproduces a correct answer bit for bit (see deep_network's initializers).

Each check draws six layer-size lists in named families (one layer, two layers, the demonstration's
three-layer shape, a deep network, a wide input, several output units). Neighbouring sizes always
differ, so a transposed weight matrix has the wrong shape and a scale computed from the wrong layer
(fan-out for fan-in) gives wrong values; the notebook's public examples are never drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grader.cases.checkdef import Case, CheckDef
from reference import initialization as init

PUBLIC_EXAMPLES = ([3, 2, 1], [3, 1, 2])
"""Layer sizes of the notebook's public examples: never used as hidden cases."""


def _size(rng: np.random.Generator, low: int, high: int, avoid: Sequence[int] = ()) -> int:
    """A size in [low, high], different from every size in ``avoid`` when the range allows it."""
    choices = [n for n in range(low, high + 1) if n not in avoid] or list(range(low, high + 1))
    return int(rng.choice(choices))


def _dims(rng: np.random.Generator, first: tuple[int, int], *rest: tuple[int, int]) -> list[int]:
    """Layer sizes drawn from the given ranges, each different from its predecessor."""
    dims = [_size(rng, *first)]
    for low, high in rest:
        dims.append(_size(rng, low, high, avoid=(dims[-1],)))
    return dims


def layers_dims_cases(rng: np.random.Generator) -> list[Case]:
    """Six layer-size lists from one layer to five; never a public example."""
    families = [
        ("one layer", _dims(rng, (2, 8), (1, 5))),
        ("two layers", _dims(rng, (2, 6), (2, 8), (1, 3))),
        ("three layers, like the demonstration", _dims(rng, (2, 4), (6, 12), (3, 7), (1, 2))),
        ("deep network, 5 layers", _dims(rng, (2, 6), (2, 8), (2, 8), (2, 8), (2, 8), (1, 3))),
        ("wide input", _dims(rng, (20, 40), (4, 10), (1, 3))),
        ("several output units", _dims(rng, (2, 6), (3, 8), (2, 4))),
    ]
    cases = []
    for family, dims in families:
        if dims in PUBLIC_EXAMPLES:
            dims[1] = 4  # [3, 4, 1] or [3, 4, 2]: neighbours still differ
        cases.append(Case(family, (dims,)))
    return cases


def _initializer(function: str, description: str) -> CheckDef:
    """The check of one initializer: it takes ``layers_dims`` and returns the parameters."""
    return CheckDef(
        name=f"initialization.{function}",
        function=function,
        reference=getattr(init, function),
        description=description,
        make_cases=layers_dims_cases,
        args=("layers_dims",),
        output="parameters",
    )


def checks() -> list[CheckDef]:
    """The hidden checks of the initialization assignment, in the notebook's order."""
    return [
        _initializer(
            "initialize_parameters_zeros", "every W (n_l, n_{l-1}) and b (n_l, 1) zero, for several depths"
        ),
        _initializer(
            "initialize_parameters_random",
            "seed 3, W = randn * 10 layer by layer, zero biases, for several depths",
        ),
        _initializer(
            "initialize_parameters_he",
            "seed 3, W = randn * sqrt(2 / n_{l-1}), zero biases, for several depths",
        ),
        _initializer(
            "initialize_parameters_xavier",
            "seed 3, W = randn * sqrt(1 / n_{l-1}), zero biases, for several depths",
        ),
        _initializer(
            "initialize_parameters_glorot",
            "seed 3, W = randn * sqrt(2 / (n_{l-1} + n_l)), zero biases, for several depths",
        ),
    ]
