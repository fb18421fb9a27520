"""Results whose __eq__ is always true, containers that lie about their items, and objects that
claim another class through __class__."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell

LIARS = '''
import numpy as np


class AlwaysEqual:
    """Equal to everything, true, iterable, indexable, convertible to anything."""

    shape = (1, 1)
    dtype = np.dtype("float64")
    ndim = 2
    size = 1

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__

    def __bool__(self):
        return True

    def __len__(self):
        return 3

    def __getitem__(self, key):
        return self

    def __iter__(self):
        return iter((self, self, self))

    def __array__(self, dtype=None, copy=None):
        return np.zeros((1, 1))

    def __float__(self):
        return 0.0

    def __abs__(self):
        return 0.0

    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__

    def __lt__(self, other):
        return True

    __le__ = __gt__ = __ge__ = __lt__

    def __repr__(self):
        return "array([...])"


class EqualFloat(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


class EqualDict(dict):
    def __eq__(self, other):
        return True

    __hash__ = None

    def keys(self):
        return ["W1", "b1", "W2", "b2"]

    def items(self):
        return [(k, AlwaysEqual()) for k in self.keys()]

    def __getitem__(self, key):
        return AlwaysEqual()

    def __contains__(self, key):
        return True


class EqualTuple(tuple):
    def __eq__(self, other):
        return True

    __hash__ = tuple.__hash__

    def __iter__(self):
        return iter((AlwaysEqual(), AlwaysEqual(), AlwaysEqual()))

    def __len__(self):
        return 3

    def __getitem__(self, key):
        return AlwaysEqual()


class PretendArray:
    """isinstance(x, np.ndarray) is True through __class__."""

    __class__ = property(lambda self: np.ndarray)
    shape = (3, 3)

    def __eq__(self, other):
        return True


class PretendFloat:
    __class__ = property(lambda self: float)

    def __eq__(self, other):
        return True

    def __float__(self):
        return 0.0


class PretendDict:
    __class__ = property(lambda self: dict)

    def items(self):
        return []

    def __eq__(self, other):
        return True


def initialize_parameters(n_x, n_h, n_y):
    return EqualDict(W1=0.5, b1=0.5, W2=0.5, b2=0.5)


def initialize_parameters_deep(layer_dims):
    return PretendDict()


def linear_forward(A, W, b):
    return EqualTuple((AlwaysEqual(), (A, W, b)))


def linear_activation_forward(A_prev, W, b, activation):
    return AlwaysEqual(), AlwaysEqual()


def L_model_forward(X, parameters):
    return PretendArray(), [AlwaysEqual()]


def compute_cost(AL, Y):
    return EqualFloat(123.0)


def linear_backward(dZ, cache):
    return PretendFloat(), PretendArray(), AlwaysEqual()


def linear_activation_backward(dA, cache, activation):
    return EqualTuple((0.5, 0.5, 0.5))


def L_model_backward(AL, Y, caches):
    return AlwaysEqual()


def update_parameters(parameters, grads, learning_rate):
    return EqualDict(parameters)
'''

ATTACK = Attack(
    name="always_equal_objects",
    summary="returns objects equal to everything, float/dict/tuple subclasses whose __eq__, items, "
    "__iter__ and __getitem__ lie, and objects claiming to be an ndarray, float or dict via __class__",
    cells=(Cell(LIARS),),
)
