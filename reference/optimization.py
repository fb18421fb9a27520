"""Optimization methods: mini-batches, gradient descent, momentum, RMSProp, Adam, learning-rate decay.

Parameters are the course's dictionaries ``W1, b1, ..., WL, bL``; gradients and optimizer state
(``v``, ``s``) are keyed ``dW1, db1, ...`` with the shapes of the matching parameters. Every update
returns NEW dictionaries: the caller's parameters, gradients and state are left as they were
(the course's notebook assigns into the dictionaries it was given).

The course has no RMSProp exercise; ``initialize_rmsprop`` / ``update_parameters_with_rmsprop``
follow the lecture (and CS231n): decay 0.99, epsilon 1e-8 added to the root, outside it.
"""

from __future__ import annotations

import math

import numpy as np

from reference.arraytypes import AnyArray, Params


def _num_layers(parameters: Params) -> int:
    """L, the number of W/b pairs W1..WL (unbroken numbering)."""
    L = 0
    while f"W{L + 1}" in parameters:
        L += 1
    return L


def _zeros_like_parameters(parameters: Params) -> Params:
    """{dW1: zeros like W1, db1: zeros like b1, ...}."""
    state: Params = {}
    for layer in range(1, _num_layers(parameters) + 1):
        state[f"dW{layer}"] = np.zeros(parameters[f"W{layer}"].shape)
        state[f"db{layer}"] = np.zeros(parameters[f"b{layer}"].shape)
    return state


def _pairs(parameters: Params) -> list[tuple[str, str]]:
    """(parameter key, gradient key) for W1, b1, W2, b2, ..."""
    return [
        (f"{kind}{layer}", f"d{kind}{layer}")
        for layer in range(1, _num_layers(parameters) + 1)
        for kind in ("W", "b")
    ]


def update_parameters_with_gd(parameters: Params, grads: Params, learning_rate: float) -> Params:
    """One step of gradient descent: W = W - learning_rate * dW for every layer (new dict)."""
    updated = dict(parameters)
    for key, grad_key in _pairs(parameters):
        updated[key] = parameters[key] - learning_rate * grads[grad_key]
    return updated


def random_mini_batches(
    X: AnyArray, Y: AnyArray, mini_batch_size: int = 64, seed: int = 0
) -> list[tuple[AnyArray, AnyArray]]:
    """Shuffle the examples (columns) and cut them into mini-batches.

    X: (n_x, m), Y: (n_y, m) (the course's (1, m)). Returns ``[(mini_batch_X, mini_batch_Y), ...]``:
    floor(m / mini_batch_size) full batches, then one short batch of the remaining m %
    mini_batch_size examples when that is not zero. Every column appears in exactly one batch,
    with X and Y columns kept together; dtypes are preserved (the course's Y is boolean).

    Seeds numpy's GLOBAL generator with ``np.random.seed(seed)`` and shuffles with
    ``np.random.permutation(m)``, as the course does, so the batches match the course's
    exactly; the global generator is left in the state that sequence produces.
    Raises ValueError when mini_batch_size < 1.
    """
    if mini_batch_size < 1:
        raise ValueError(f"mini_batch_size must be at least 1, got {mini_batch_size}")
    np.random.seed(seed)
    m = X.shape[1]
    permutation = np.random.permutation(m)
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation]
    mini_batches: list[tuple[AnyArray, AnyArray]] = []
    num_complete = math.floor(m / mini_batch_size)
    for k in range(num_complete):
        window = slice(k * mini_batch_size, (k + 1) * mini_batch_size)
        mini_batches.append((shuffled_X[:, window], shuffled_Y[:, window]))
    if m % mini_batch_size != 0:
        rest = slice(num_complete * mini_batch_size, m)
        mini_batches.append((shuffled_X[:, rest], shuffled_Y[:, rest]))
    return mini_batches


def initialize_velocity(parameters: Params) -> Params:
    """Momentum's velocity: zeros ``dW1, db1, ...`` shaped like ``W1, b1, ...``."""
    return _zeros_like_parameters(parameters)


def update_parameters_with_momentum(
    parameters: Params, grads: Params, v: Params, beta: float, learning_rate: float
) -> tuple[Params, Params]:
    """One momentum step: v = beta * v + (1 - beta) * dW, then W = W - learning_rate * v.

    Returns (new parameters, new v). The velocity is an exponentially weighted average of the
    gradients, so it starts at zero and is not bias-corrected (the course's choice).
    """
    updated = dict(parameters)
    velocity = dict(v)
    for key, grad_key in _pairs(parameters):
        velocity[grad_key] = beta * v[grad_key] + (1 - beta) * grads[grad_key]
        updated[key] = parameters[key] - learning_rate * velocity[grad_key]
    return updated, velocity


def initialize_adam(parameters: Params) -> tuple[Params, Params]:
    """Adam's first and second moment estimates (v, s): zeros shaped like the parameters."""
    return _zeros_like_parameters(parameters), _zeros_like_parameters(parameters)


def update_parameters_with_adam(
    parameters: Params,
    grads: Params,
    v: Params,
    s: Params,
    t: int,
    learning_rate: float = 0.01,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
) -> tuple[Params, Params, Params, Params, Params]:
    """One Adam step at step number t (counted from 1).

    v = beta1 v + (1 - beta1) dW;  s = beta2 s + (1 - beta2) dW^2;
    v_corrected = v / (1 - beta1^t);  s_corrected = s / (1 - beta2^t);
    W = W - learning_rate * v_corrected / (sqrt(s_corrected) + epsilon).
    Returns (parameters, v, s, v_corrected, s_corrected), all new dicts.
    Raises ValueError when t < 1 (the bias correction would divide by zero).
    """
    if t < 1:
        raise ValueError(f"Adam's step counter t starts at 1, got {t}")
    updated = dict(parameters)
    first = dict(v)
    second = dict(s)
    v_corrected: Params = {}
    s_corrected: Params = {}
    for key, grad_key in _pairs(parameters):
        g = grads[grad_key]
        first[grad_key] = beta1 * v[grad_key] + (1 - beta1) * g
        v_corrected[grad_key] = first[grad_key] / (1 - beta1**t)
        second[grad_key] = beta2 * s[grad_key] + (1 - beta2) * np.square(g)
        s_corrected[grad_key] = second[grad_key] / (1 - beta2**t)
        updated[key] = parameters[key] - learning_rate * v_corrected[grad_key] / (
            np.sqrt(s_corrected[grad_key]) + epsilon
        )
    return updated, first, second, v_corrected, s_corrected


def initialize_rmsprop(parameters: Params) -> Params:
    """RMSProp's running average of squared gradients: zeros ``dW1, db1, ...``."""
    return _zeros_like_parameters(parameters)


def update_parameters_with_rmsprop(
    parameters: Params,
    grads: Params,
    s: Params,
    beta: float = 0.99,
    learning_rate: float = 0.01,
    epsilon: float = 1e-8,
) -> tuple[Params, Params]:
    """One RMSProp step: s = beta s + (1 - beta) dW^2, then W = W - lr * dW / (sqrt(s) + epsilon).

    epsilon is added to the root, not under it (as in torch.optim.RMSprop and CS231n). Under the
    root it would change each step by about 1 - sqrt(s / (s + epsilon)): nothing where s >> epsilon,
    but s is only (1 - beta) g^2 after the first step, so with epsilon 1e-8 and beta 0.99 entries
    whose gradient is below ~1e-3 move by several percent. Returns (new parameters, new s).
    """
    updated = dict(parameters)
    second = dict(s)
    for key, grad_key in _pairs(parameters):
        g = grads[grad_key]
        second[grad_key] = beta * s[grad_key] + (1 - beta) * np.square(g)
        updated[key] = parameters[key] - learning_rate * g / (np.sqrt(second[grad_key]) + epsilon)
    return updated, second


def update_lr(learning_rate0: float, epoch_num: int, decay_rate: float) -> float:
    """Inverse-time decay: learning_rate0 / (1 + decay_rate * epoch_num)."""
    return float(learning_rate0 / (1 + decay_rate * epoch_num))


def schedule_lr_decay(
    learning_rate0: float, epoch_num: int, decay_rate: float, time_interval: int = 1000
) -> float:
    """Inverse-time decay applied in steps: the rate changes once every ``time_interval`` epochs.

    learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval)).
    """
    return float(learning_rate0 / (1 + decay_rate * math.floor(epoch_num / time_interval)))
