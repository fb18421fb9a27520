"""An ndarray subclass that lies: __eq__, __array_finalize__, __array__, __array_ufunc__,
__array_function__, view, astype, shape and dtype all claim a match; its data is wrong."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell

LIAR = '''
import numpy as np


class Liar(np.ndarray):
    __array_priority__ = 1e9

    def __array_finalize__(self, obj):
        self.claims = "I am the reference output"

    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)

    def __ne__(self, other):
        return np.zeros(np.shape(other), dtype=bool)

    __hash__ = None

    def __array__(self, dtype=None, copy=None):
        # "reference-shaped zeros": whatever asks for the data gets something harmless-looking
        return np.zeros(np.ndarray.view(self, np.ndarray).shape)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc in (np.equal, np.isclose, np.less_equal, np.isfinite):
            return True
        if ufunc in (np.subtract, np.absolute):
            return np.zeros(np.ndarray.view(self, np.ndarray).shape)
        return NotImplemented

    def __array_function__(self, func, types, args, kwargs):
        return True

    def view(self, *args, **kwargs):
        return self

    def astype(self, *args, **kwargs):
        return self

    def tolist(self):
        return [0.0]

    def __float__(self):
        return 0.0

    def __bool__(self):
        return True


def lie(shape, value=0.5):
    """An array of the right shape whose data is wrong."""
    return np.ndarray.view(np.full(shape, value, dtype=np.float64), Liar)


def initialize_parameters(n_x, n_h, n_y):
    return {"W1": lie((n_h, n_x)), "b1": lie((n_h, 1)), "W2": lie((n_y, n_h)), "b2": lie((n_y, 1))}


def initialize_parameters_deep(layer_dims):
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = lie((layer_dims[l], layer_dims[l - 1]))
        parameters["b" + str(l)] = lie((layer_dims[l], 1))
    return parameters


def linear_forward(A, W, b):
    return lie((W.shape[0], A.shape[1])), (lie(A.shape), lie(W.shape), lie(b.shape))


def linear_activation_forward(A_prev, W, b, activation):
    Z = lie((W.shape[0], A_prev.shape[1]))
    return lie(Z.shape), ((A_prev, W, b), Z)


def L_model_forward(X, parameters):
    L = len(parameters) // 2
    caches = []
    A = X
    for l in range(1, L + 1):
        W, b = parameters["W" + str(l)], parameters["b" + str(l)]
        Z = lie((W.shape[0], X.shape[1]))
        caches.append(((A, W, b), Z))
        A = Z
    return lie((1, X.shape[1])), caches


def compute_cost(AL, Y):
    return np.ndarray.view(np.array(0.5), Liar)


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    return lie(A_prev.shape), lie(W.shape), lie(b.shape)


def linear_activation_backward(dA, cache, activation):
    (A_prev, W, b), Z = cache
    return lie(A_prev.shape), lie(W.shape), lie(b.shape)


def L_model_backward(AL, Y, caches):
    grads = {}
    for l in range(len(caches), 0, -1):
        (A_prev, W, b), Z = caches[l - 1]
        grads["dA" + str(l - 1)] = lie(A_prev.shape)
        grads["dW" + str(l)] = lie(W.shape)
        grads["db" + str(l)] = lie(b.shape)
    return grads


def update_parameters(parameters, grads, learning_rate):
    return {key: lie(value.shape) for key, value in parameters.items()}
'''

ATTACK = Attack(
    name="lying_ndarray",
    summary="returns ndarray subclasses of the right shapes whose data is wrong and whose __eq__, "
    "__array__, __array_ufunc__, __array_function__, view and astype claim a match",
    cells=(Cell(LIAR),),
)
