"""Results that run code when unpickled: objects with __reduce__, object arrays, pickled bytes."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell

PAYLOAD = r"""
import os
import pickle

import numpy as np

CANARY = "dlgrade_pwned_@TOKEN@_pickle"
COMMAND = f"touch /tmp/{CANARY} @COURSE@/{CANARY} @HOST_HOME@/{CANARY}"


class Payload:
    def __reduce__(self):
        return (os.system, (COMMAND,))


class PayloadArray(np.ndarray):
    def __reduce__(self):
        return (os.system, (COMMAND,))


def initialize_parameters(n_x, n_h, n_y):
    return {"W1": Payload(), "b1": Payload(), "W2": Payload(), "b2": Payload()}


def initialize_parameters_deep(layer_dims):
    return {"W1": np.array([Payload(), Payload()], dtype=object)}


def linear_forward(A, W, b):
    return np.ndarray.view(np.zeros((W.shape[0], A.shape[1])) + 0.5, PayloadArray), (A, W, b)


def linear_activation_forward(A_prev, W, b, activation):
    return pickle.dumps(Payload()), None


def L_model_forward(X, parameters):
    return pickle.dumps(Payload()).decode("latin-1"), []


def compute_cost(AL, Y):
    return Payload()


def linear_backward(dZ, cache):
    return np.array([Payload()] * 3, dtype=object), Payload(), memoryview(pickle.dumps(Payload()))


def linear_activation_backward(dA, cache, activation):
    return (Payload(),) * 3


def L_model_backward(AL, Y, caches):
    return {"dA0": Payload(), "dW1": np.array([[Payload()]], dtype=object)}


def update_parameters(parameters, grads, learning_rate):
    return Payload()
"""

ATTACK = Attack(
    name="pickle_return",
    summary="returns objects whose __reduce__ runs a shell command that touches canary files on the "
    "host, object arrays of them, an ndarray subclass with such a __reduce__, and pickled bytes",
    cells=(Cell(PAYLOAD),),
)
