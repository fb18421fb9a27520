"""Checks of reference.logistic_regression: the course's model and the lecture's autograd version."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from reference import logistic_regression as lr
from reference.arraytypes import Array
from reference.checks.numeric import numerical_gradient, relative_error
from reference.checks.registry import Check

if TYPE_CHECKING:
    import torch

Propagate = Callable[[Array, float, Array, Array], tuple[lr.LogisticGrads, float]]
Optimize = Callable[..., tuple[lr.LogisticParams, lr.LogisticGrads, list[float]]]
Predict = Callable[[Array, float, Array], Array]
Sigmoid = Callable[[Array], Array]
Loss = Callable[[Array, Array, Array], float]
Gradient = Callable[[Array, Array, Array], Array]
Trainer = Callable[..., tuple[Array, float, float]]

# (n_x, m) of the random cases.
CASES = ((1, 1), (2, 3), (4, 7), (10, 25))


def _random_problem(rng: np.random.Generator, n_x: int, m: int) -> tuple[Array, float, Array, Array]:
    w = rng.standard_normal((n_x, 1)) * 0.5
    b = float(rng.standard_normal())
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    return w, b, X, Y


def _is_scalar(value: npt.ArrayLike) -> bool:
    """A Python/numpy number or a 0-d array: what the course's squeeze produces."""
    return bool(np.ndim(value) == 0)


def check_propagate_gradient(propagate: Propagate = lr.propagate, seed: int = 0) -> float:
    """Worst relative error of dw and db against centered differences of the returned cost."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for n_x, m in CASES:
        w, b, X, Y = _random_problem(rng, n_x, m)
        grads, cost = propagate(w, b, X, Y)
        if not _is_scalar(cost) or not _is_scalar(grads["db"]):
            return math.inf
        b_box = np.array([b])  # numerical_gradient perturbs an array in place
        num_dw = numerical_gradient(lambda: float(propagate(w, float(b_box[0]), X, Y)[1]), w)
        num_db = numerical_gradient(lambda: float(propagate(w, float(b_box[0]), X, Y)[1]), b_box)
        worst = max(
            worst,
            relative_error(grads["dw"], num_dw),
            relative_error(float(grads["db"]), float(num_db[0])),
        )
    return worst


def check_propagate_torch(propagate: Propagate = lr.propagate, seed: int = 1) -> float:
    """Worst relative error of cost, dw and db against torch autograd of the mean BCE, float64."""
    import torch

    rng = np.random.default_rng(seed)
    worst = 0.0
    for n_x, m in CASES:
        w, b, X, Y = _random_problem(rng, n_x, m)
        grads, cost = propagate(w, b, X, Y)
        if not _is_scalar(cost):
            return math.inf
        tw = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
        A = torch.sigmoid(tw.T @ torch.tensor(X) + tb)
        loss = torch.nn.functional.binary_cross_entropy(A, torch.tensor(Y))
        loss.backward()
        assert tw.grad is not None and tb.grad is not None
        worst = max(
            worst,
            relative_error(float(cost), loss.item()),
            relative_error(grads["dw"], tw.grad.numpy()),
            relative_error(float(grads["db"]), tb.grad.item()),
        )
    return worst


def check_course_known_values(
    sigmoid: Sigmoid = lr.sigmoid,
    propagate: Propagate = lr.propagate,
    optimize: Optimize = lr.optimize,
    predict: Predict = lr.predict,
) -> float:
    """Largest absolute error against the outputs printed in the course's notebook."""
    w = np.array([[1.0], [2.0]])
    b = 1.5
    X = np.array([[1.0, -2.0, -1.0], [3.0, 0.5, -3.2]])
    Y = np.array([[1.0, 1.0, 0.0]])
    errors: list[float] = [float(np.max(np.abs(sigmoid(np.array([0.0, 2.0])) - [0.5, 0.88079708])))]
    grads, cost = propagate(w, b, X, Y)
    if not _is_scalar(cost):
        return math.inf
    errors += [
        float(np.max(np.abs(grads["dw"] - [[0.25071532], [-0.06604096]]))),
        abs(float(grads["db"]) - (-0.1250040450043965)),
        abs(float(cost) - 0.15900537707692405),
    ]
    params, grads, costs = optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009)
    if len(costs) != 1:
        return math.inf
    errors += [
        float(np.max(np.abs(params["w"] - [[0.80956046], [2.0508202]]))),
        abs(float(params["b"]) - 1.5948713189708588),
        float(np.max(np.abs(grads["dw"] - [[0.17860505], [-0.04840656]]))),
        abs(float(grads["db"]) - (-0.08888460336847771)),
        abs(float(costs[0]) - 0.15900538),
    ]
    w_p = np.array([[0.1124579], [0.23106775]])
    X_p = np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]])
    pred = predict(w_p, -0.3, X_p)
    errors.append(math.inf if pred.shape != (1, 3) else float(np.max(np.abs(pred - [[1.0, 1.0, 0.0]]))))
    return max(errors)


def _lecture_problems(seed: int) -> list[tuple[Array, Array, Array]]:
    """(weights, inputs, targets): the toy set at three weights, then random sets (rows = examples)."""
    rng = np.random.default_rng(seed)
    problems = [
        (np.zeros(3), lr.LECTURE_INPUTS, lr.LECTURE_TARGETS),
        (rng.standard_normal(3) * 0.5, lr.LECTURE_INPUTS, lr.LECTURE_TARGETS),
        (lr.train_lecture_model()[0], lr.LECTURE_INPUTS, lr.LECTURE_TARGETS),
    ]
    for m, n in ((1, 1), (6, 2), (20, 5)):
        targets = (rng.random(m) < 0.5).astype(np.float64)
        problems.append((rng.standard_normal(n) * 0.5, rng.standard_normal((m, n)), targets))
    return problems


def check_lecture_gradient(
    loss: Loss = lr.training_loss, gradient: Gradient = lr.training_gradient, seed: int = 2
) -> float:
    """Worst relative error of training_gradient against centered differences of training_loss."""
    worst = 0.0
    for weights, inputs, targets in _lecture_problems(seed):
        w = weights.copy()
        numeric = numerical_gradient(lambda: loss(w, inputs, targets), w)
        worst = max(worst, relative_error(gradient(w, inputs, targets), numeric))
    return worst


def _torch_lecture_loss(weights: torch.Tensor, inputs: Array, targets: Array) -> torch.Tensor:
    """The lecture's summed negative log-likelihood written with torch operations."""
    import torch

    preds = 0.5 * (torch.tanh(torch.tensor(inputs) @ weights) + 1.0)
    t = torch.tensor(targets, dtype=torch.float64)
    return -torch.sum(torch.log(preds * t + (1.0 - preds) * (1.0 - t)))


def check_lecture_torch(
    loss: Loss = lr.training_loss, gradient: Gradient = lr.training_gradient, seed: int = 3
) -> float:
    """Worst relative error of the lecture's loss and gradient against torch autograd, float64."""
    import torch

    worst = 0.0
    for weights, inputs, targets in _lecture_problems(seed):
        tw = torch.tensor(weights, dtype=torch.float64, requires_grad=True)
        tloss = _torch_lecture_loss(tw, inputs, targets)
        tloss.backward()
        assert tw.grad is not None
        worst = max(
            worst,
            relative_error(loss(weights, inputs, targets), tloss.item()),
            relative_error(gradient(weights, inputs, targets), tw.grad.numpy()),
        )
    return worst


def check_lecture_trajectory_torch(train: Trainer = lr.train_lecture_model) -> float:
    """Relative error of the lecture's 100-step run (weights, both losses) against torch autograd."""
    import torch

    steps, step_size = 100, 0.01
    weights, initial, trained = train(steps=steps, step_size=step_size)
    tw = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    t_initial = float(_torch_lecture_loss(tw, lr.LECTURE_INPUTS, lr.LECTURE_TARGETS).item())
    for _ in range(steps):
        tloss = _torch_lecture_loss(tw, lr.LECTURE_INPUTS, lr.LECTURE_TARGETS)
        tloss.backward()
        assert tw.grad is not None
        with torch.no_grad():
            tw -= tw.grad * step_size
        tw.grad.zero_()
    t_trained = float(_torch_lecture_loss(tw, lr.LECTURE_INPUTS, lr.LECTURE_TARGETS).item())
    return max(
        relative_error(weights, tw.detach().numpy()),
        relative_error(initial, t_initial),
        relative_error(trained, t_trained),
    )


def check_lecture_initial_loss(train: Trainer = lr.train_lecture_model) -> float:
    """Absolute error of the initial loss against 4 log 2 (four predictions of exactly 0.5)."""
    _, initial, _ = train(steps=0)
    return abs(initial - 4.0 * math.log(2.0))


def checks() -> list[Check]:
    """The checks of the logistic regression topic."""
    return [
        Check(
            "logistic_regression.propagate",
            "gradient",
            "dw, db vs centered differences of the cost, 4 sizes",
            check_propagate_gradient,
            1e-7,
        ),
        Check(
            "logistic_regression.propagate",
            "oracle",
            "cost, dw, db vs torch BCE autograd float64",
            check_propagate_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            "logistic_regression.propagate",
            "known-value",
            "course notebook values of sigmoid, propagate, optimize, predict",
            check_course_known_values,
            1e-8,
        ),
        Check(
            "logistic_regression.training_gradient",
            "gradient",
            "lecture gradient vs centered differences, toy and random sets",
            check_lecture_gradient,
            1e-7,
        ),
        Check(
            "logistic_regression.training_gradient",
            "oracle",
            "lecture loss and gradient vs torch autograd float64",
            check_lecture_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            "logistic_regression.train_lecture_model",
            "oracle",
            "100 steps of size 0.01 vs torch autograd float64",
            check_lecture_trajectory_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            "logistic_regression.train_lecture_model",
            "known-value",
            "initial loss 4 log 2",
            check_lecture_initial_loss,
            1e-12,
        ),
    ]
