"""The deep network applied: training loops of a 2-layer and an L-layer classifier, and predict.

These follow the course's application notebook ("Deep Neural Network for Image
Classification"). Data: X (n_x, m) with examples as columns, Y (1, m) of 0/1.

The course's slides (seed 001) show ``L_layer_model(..., learning_rate=0.009, ...)`` while the
notebook uses 0.0075; the notebook's 0.0075 is kept here for both models.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reference.arraytypes import Array, Params
from reference.deep_network import (
    L_model_backward,
    L_model_forward,
    compute_cost,
    linear_activation_backward,
    linear_activation_forward,
    update_parameters,
)
from reference.initialization import initialize_parameters, initialize_parameters_deep


def _report(i: int, num_iterations: int, cost: float, print_cost: bool, costs: list[float]) -> None:
    """Record the cost every 100 iterations; print it then and at the last iteration."""
    if print_cost and (i % 100 == 0 or i == num_iterations - 1):
        print(f"Cost after iteration {i}: {cost}")
    if i % 100 == 0:
        costs.append(cost)


def two_layer_model(
    X: Array,
    Y: Array,
    layers_dims: Sequence[int],
    learning_rate: float = 0.0075,
    num_iterations: int = 3000,
    print_cost: bool = False,
) -> tuple[Params, list[float]]:
    """Train LINEAR -> RELU -> LINEAR -> SIGMOID by gradient descent.

    X: (n_x, m), Y: (1, m), layers_dims = (n_x, n_h, n_y). Parameters start from
    ``initialize_parameters`` (numpy's global RNG seeded with 1, as in the course).
    Returns (parameters {"W1", "b1", "W2", "b2"}, costs of iterations 0, 100, 200, ...).
    """
    n_x, n_h, n_y = layers_dims
    parameters = initialize_parameters(n_x, n_h, n_y)
    costs: list[float] = []
    for i in range(num_iterations):
        A1, cache1 = linear_activation_forward(X, parameters["W1"], parameters["b1"], "relu")
        A2, cache2 = linear_activation_forward(A1, parameters["W2"], parameters["b2"], "sigmoid")
        cost = compute_cost(A2, Y)
        dA2 = -(np.divide(Y, A2) - np.divide(1.0 - Y, 1.0 - A2))
        dA1, dW2, db2 = linear_activation_backward(dA2, cache2, "sigmoid")
        _, dW1, db1 = linear_activation_backward(dA1, cache1, "relu")
        grads: Params = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
        parameters = update_parameters(parameters, grads, learning_rate)
        _report(i, num_iterations, cost, print_cost, costs)
    return parameters, costs


def L_layer_model(
    X: Array,
    Y: Array,
    layers_dims: Sequence[int],
    learning_rate: float = 0.0075,
    num_iterations: int = 3000,
    print_cost: bool = False,
) -> tuple[Params, list[float]]:
    """Train [LINEAR -> RELU] * (L-1) -> LINEAR -> SIGMOID by gradient descent.

    X: (n_x, m), Y: (1, m), layers_dims = [n_x, n_1, ..., n_L]. Parameters start from
    ``initialize_parameters_deep(layers_dims, "sqrt_fan_in", seed=1)`` as in the application
    notebook. Returns (parameters, costs of iterations 0, 100, 200, ...).
    """
    parameters = initialize_parameters_deep(layers_dims, "sqrt_fan_in", seed=1)
    costs: list[float] = []
    for i in range(num_iterations):
        AL, caches = L_model_forward(X, parameters)
        cost = compute_cost(AL, Y)
        grads = L_model_backward(AL, Y, caches)
        parameters = update_parameters(parameters, grads, learning_rate)
        _report(i, num_iterations, cost, print_cost, costs)
    return parameters, costs


def predict(X: Array, y: Array, parameters: Params, print_accuracy: bool = False) -> Array:
    """Labels of an L-layer network: 1.0 where the output probability is above 0.5, else 0.0.

    X: (n_x, m), y: (1, m) true labels (used only for the printed accuracy), parameters of
    ``L_model_forward``. Returns p: (1, m). The course always prints the accuracy; here only
    with print_accuracy=True.
    """
    probas, _ = L_model_forward(X, parameters)
    p: Array = (probas > 0.5).astype(np.float64)
    if print_accuracy:
        m = X.shape[1]
        print("Accuracy: " + str(float(np.sum(p == y)) / m))
    return p
