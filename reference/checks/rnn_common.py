"""Shared sizes, parameter builders and callable types of the RNN checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from reference.arraytypes import Array, Params

RNNCellForward = Callable[[Array, Array, Params], tuple[Array, Array, Any]]
RNNCellBackward = Callable[[Array, Any], dict[str, Array]]
RNNForward = Callable[[Array, Array, Params], tuple[Array, Array, Any]]
SeqBackward = Callable[[Array, Any], dict[str, Array]]
LSTMCellForward = Callable[[Array, Array, Array, Params], tuple[Array, Array, Array, Any]]
LSTMCellBackward = Callable[[Array, Array, Any], dict[str, Array]]
LSTMForward = Callable[[Array, Array, Params], tuple[Array, Array, Array, Any]]

# (n_x, n_a, n_y, m, T_x): a single example and step, odd sizes, and n_x > n_a.
SIZES = ((3, 5, 2, 4, 6), (1, 2, 3, 1, 1), (4, 3, 2, 2, 3), (6, 2, 4, 3, 4))
TORCH_SIZES = (*SIZES, (8, 16, 5, 7, 12))
GATES = ("f", "i", "c", "o")


def rnn_parameters(rng: np.random.Generator, n_x: int, n_a: int, n_y: int) -> Params:
    """Random basic-RNN parameters of the course's shapes."""
    return {
        "Wax": rng.standard_normal((n_a, n_x)) * 0.7,
        "Waa": rng.standard_normal((n_a, n_a)) * 0.7,
        "Wya": rng.standard_normal((n_y, n_a)),
        "ba": rng.standard_normal((n_a, 1)),
        "by": rng.standard_normal((n_y, 1)),
    }


def lstm_parameters(rng: np.random.Generator, n_x: int, n_a: int, n_y: int) -> Params:
    """Random LSTM parameters of the course's shapes."""
    params: Params = {}
    for g in GATES:
        params[f"W{g}"] = rng.standard_normal((n_a, n_a + n_x)) * 0.6
        params[f"b{g}"] = rng.standard_normal((n_a, 1)) * 0.5
    params["Wy"] = rng.standard_normal((n_y, n_a))
    params["by"] = rng.standard_normal((n_y, 1))
    return params
