"""Checks of reference.activations."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from reference import activations as act
from reference.arraytypes import Array
from reference.checks.numeric import numerical_gradient, relative_error, weighted_sum
from reference.checks.registry import Check

Forward = Callable[[Array], tuple[Array, Array]]
Backward = Callable[[Array, Array], Array]

PAIRS: dict[str, tuple[Forward, Backward]] = {
    "sigmoid": (act.sigmoid, act.sigmoid_backward),
    "relu": (act.relu, act.relu_backward),
    "tanh": (act.tanh, act.tanh_backward),
    "softmax": (act.softmax, act.softmax_backward),
}

SHAPES = ((1, 1), (3, 5), (10, 7), (4, 1))


def check_activation_backward(forward: Forward, backward: Backward, seed: int = 0) -> float:
    """Worst relative error of backward against centered differences over several shapes."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for shape in SHAPES:
        Z = rng.standard_normal(shape) * 2.0
        dA = rng.standard_normal(shape)
        _, cache = forward(Z)
        analytic = backward(dA, cache)
        numeric = numerical_gradient(lambda: weighted_sum(forward(Z)[0], dA), Z)
        worst = max(worst, relative_error(analytic, numeric))
    return worst


def check_activation_torch(name: str, seed: int = 0) -> float:
    """Worst relative error of forward and backward against torch in float64."""
    import torch

    forward, backward = PAIRS[name]
    torch_fn: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "tanh": torch.tanh,
        "softmax": lambda t: torch.softmax(t, dim=0),
    }
    rng = np.random.default_rng(seed)
    worst = 0.0
    for shape in (*SHAPES, (6, 50)):
        # Large logits as well: the reference must not overflow where torch does not.
        Z = rng.standard_normal(shape) * (40.0 if shape == (6, 50) else 2.0)
        dA = rng.standard_normal(shape)
        A, cache = forward(Z)
        dZ = backward(dA, cache)
        tz = torch.tensor(Z, dtype=torch.float64, requires_grad=True)
        ta = torch_fn[name](tz)
        ta.backward(torch.tensor(dA, dtype=torch.float64))
        assert tz.grad is not None
        worst = max(worst, relative_error(A, ta.detach().numpy()), relative_error(dZ, tz.grad.numpy()))
    return worst


def _gradient_check(name: str) -> Callable[[], float]:
    forward, backward = PAIRS[name]
    return lambda: check_activation_backward(forward, backward)


def _torch_check(name: str) -> Callable[[], float]:
    return lambda: check_activation_torch(name)


def checks() -> list[Check]:
    """The checks of every activation."""
    out: list[Check] = []
    for name in PAIRS:
        out.append(
            Check(
                f"activations.{name}_backward",
                "gradient",
                "centered differences, 4 shapes",
                _gradient_check(name),
                1e-7,
            )
        )
        out.append(
            Check(
                f"activations.{name}",
                "oracle",
                "forward and backward vs torch float64",
                _torch_check(name),
                1e-12,
                requires_torch=True,
            )
        )
    return out
