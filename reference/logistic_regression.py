"""Logistic regression: the course's column-major model and the lecture's autograd example.

Two versions of the same model live here.

* The course assignment ("Logistic Regression with a Neural Network mindset") stores examples
  as COLUMNS: ``X`` is ``(n_x, m)``, ``w`` is ``(n_x, 1)``, ``b`` a Python float, ``Y`` is
  ``(1, m)``, and the cost is the cross-entropy averaged over the m examples.
* The lecture (seed 004) trains it with autograd on a toy data set whose examples are ROWS:
  ``inputs`` is ``(m, n)``, ``weights`` is ``(n,)``, predictions are ``np.dot(inputs, weights)``,
  there is no bias, the loss is the negative log-likelihood SUMMED over examples, and its
  "sigmoid" is ``0.5 * (tanh(x) + 1)``, which equals the logistic function of ``2x``. Here the
  gradient autograd would give is written out by hand (``training_gradient``).
"""

from __future__ import annotations

import copy
from typing import TypedDict

import numpy as np
import numpy.typing as npt

from reference import activations
from reference.arraytypes import Array


class LogisticGrads(TypedDict):
    """Gradients of the course's cost: ``dw`` (n_x, 1) and ``db`` a float."""

    dw: Array
    db: float


class LogisticParams(TypedDict):
    """Parameters of the course's model: ``w`` (n_x, 1) and ``b`` a float."""

    w: Array
    b: float


class LogisticModel(TypedDict):
    """What the course's ``model`` returns."""

    costs: list[float]
    Y_prediction_test: Array
    Y_prediction_train: Array
    w: Array
    b: float
    learning_rate: float
    num_iterations: int


def sigmoid(z: npt.ArrayLike) -> Array:
    """Logistic function 1 / (1 + exp(-z)), elementwise. z: any shape (a scalar gives a 0-d array).

    Unlike ``reference.activations.sigmoid`` this course function returns only the array.
    """
    A, _ = activations.sigmoid(np.asarray(z, dtype=np.float64))
    return A


def initialize_with_zeros(dim: int) -> tuple[Array, float]:
    """w: (dim, 1) zeros and b = 0.0 (a Python float)."""
    if dim < 1:
        raise ValueError(f"dim must be positive, got {dim}")
    return np.zeros((dim, 1)), 0.0


def propagate(w: Array, b: float, X: Array, Y: Array) -> tuple[LogisticGrads, float]:
    """Cost and its gradients for one forward and backward pass.

    w: (n_x, 1), b: float, X: (n_x, m), Y: (1, m) of 0/1.
    Returns ({"dw": (n_x, 1), "db": float}, cost) with cost the mean cross-entropy as a float.
    """
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -np.sum(Y * np.log(A) + (1.0 - Y) * np.log(1.0 - A)) / m
    dZ = A - Y
    dw: Array = np.dot(X, dZ.T) / m
    db = float(np.sum(dZ)) / m
    return {"dw": dw, "db": db}, float(cost)


def optimize(
    w: Array,
    b: float,
    X: Array,
    Y: Array,
    num_iterations: int = 100,
    learning_rate: float = 0.009,
    print_cost: bool = False,
) -> tuple[LogisticParams, LogisticGrads, list[float]]:
    """Gradient descent on the course's cost.

    w: (n_x, 1), b: float, X: (n_x, m), Y: (1, m). Returns (params {"w", "b"}, the gradients of
    the last iteration, costs) where costs holds the cost of iterations 0, 100, 200, ...
    The inputs are not modified.
    """
    w = copy.deepcopy(w)
    b = float(b)
    costs: list[float] = []
    grads: LogisticGrads = {"dw": np.zeros_like(w), "db": 0.0}
    for i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        w = w - learning_rate * grads["dw"]
        b = b - learning_rate * grads["db"]
        if i % 100 == 0:
            costs.append(cost)
            if print_cost:
                print(f"Cost after iteration {i}: {cost:f}")
    return {"w": w, "b": b}, grads, costs


def predict(w: Array, b: float, X: Array) -> Array:
    """Labels 1.0 where the predicted probability is above 0.5, else 0.0.

    w: (n_x, 1) (any array of n_x entries is accepted, as in the course), b: float,
    X: (n_x, m). Returns (1, m) float64.
    """
    w = np.asarray(w, dtype=np.float64).reshape(X.shape[0], 1)
    A = sigmoid(np.dot(w.T, X) + b)
    # A probability of exactly 0.5 is predicted as 0, as in the course's "> 0.5".
    return (A > 0.5).astype(np.float64)


def model(
    X_train: Array,
    Y_train: Array,
    X_test: Array,
    Y_test: Array,
    num_iterations: int = 2000,
    learning_rate: float = 0.5,
    print_cost: bool = False,
) -> LogisticModel:
    """Train from zero weights and predict on both sets.

    X_train: (n_x, m_train), Y_train: (1, m_train), X_test: (n_x, m_test), Y_test: (1, m_test).
    Returns the course's dictionary: costs, Y_prediction_test (1, m_test), Y_prediction_train
    (1, m_train), w (n_x, 1), b, learning_rate, num_iterations. With print_cost the costs and
    both accuracies are printed.
    """
    w, b = initialize_with_zeros(X_train.shape[0])
    params, _, costs = optimize(w, b, X_train, Y_train, num_iterations, learning_rate, print_cost)
    w, b = params["w"], params["b"]
    Y_prediction_test = predict(w, b, X_test)
    Y_prediction_train = predict(w, b, X_train)
    if print_cost:
        train_acc = 100.0 - float(np.mean(np.abs(Y_prediction_train - Y_train))) * 100.0
        test_acc = 100.0 - float(np.mean(np.abs(Y_prediction_test - Y_test))) * 100.0
        print(f"train accuracy: {train_acc} %")
        print(f"test accuracy: {test_acc} %")
    return {
        "costs": costs,
        "Y_prediction_test": Y_prediction_test,
        "Y_prediction_train": Y_prediction_train,
        "w": w,
        "b": b,
        "learning_rate": learning_rate,
        "num_iterations": num_iterations,
    }


# --- The lecture's autograd example (examples are rows, no bias, summed loss) ---------------

LECTURE_INPUTS: Array = np.array(
    [
        [0.52, 1.12, 0.77],
        [0.88, -1.08, 0.15],
        [0.52, 0.06, -1.30],
        [0.74, -2.49, 1.39],
    ]
)
"""The lecture's toy inputs: 4 examples (rows) of 3 features."""

LECTURE_TARGETS: Array = np.array([1.0, 1.0, 0.0, 1.0])
"""The lecture's targets [True, True, False, True] as floats: (4,)."""


def lecture_sigmoid(x: npt.ArrayLike) -> Array:
    """The lecture's squashing function 0.5 * (tanh(x) + 1), elementwise.

    It equals the logistic function of 2x, so its derivative is 2 s (1 - s), not s (1 - s).
    """
    return np.asarray(0.5 * (np.tanh(np.asarray(x, dtype=np.float64)) + 1.0), dtype=np.float64)


def logistic_predictions(weights: Array, inputs: Array) -> Array:
    """Probability that each example's label is true. weights: (n,), inputs: (m, n) -> (m,)."""
    return lecture_sigmoid(np.dot(inputs, weights))


def training_loss(weights: Array, inputs: Array = LECTURE_INPUTS, targets: Array = LECTURE_TARGETS) -> float:
    """Negative log-likelihood of the targets, summed over examples.

    weights: (n,), inputs: (m, n), targets: (m,) of 0/1 (booleans are accepted).
    """
    t = np.asarray(targets, dtype=np.float64)
    preds = logistic_predictions(weights, inputs)
    label_probabilities = preds * t + (1.0 - preds) * (1.0 - t)
    return float(-np.sum(np.log(label_probabilities)))


def training_gradient(
    weights: Array, inputs: Array = LECTURE_INPUTS, targets: Array = LECTURE_TARGETS
) -> Array:
    """Gradient of ``training_loss`` with respect to weights: (n,).

    What ``autograd.grad(training_loss)`` returns in the lecture, written out for 0/1 targets.
    """
    t = np.asarray(targets, dtype=np.float64)
    preds = logistic_predictions(weights, inputs)
    # d(-log p_label)/dz = 2 (p - t): the factor 2 comes from tanh(z) = 2 sigma(2z) - 1.
    grad: Array = np.dot(inputs.T, 2.0 * (preds - t))
    return grad


def train_lecture_model(steps: int = 100, step_size: float = 0.01) -> tuple[Array, float, float]:
    """The lecture's training run: gradient descent from zero weights on the toy data set.

    Returns (weights (3,), initial loss, trained loss); the initial loss is 4 log 2.
    """
    weights = np.zeros(LECTURE_INPUTS.shape[1])
    initial_loss = training_loss(weights)
    for _ in range(steps):
        weights = weights - training_gradient(weights) * step_size
    return weights, initial_loss, training_loss(weights)
