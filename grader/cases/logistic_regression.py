"""Hidden checks of the "logistic regression with a neural-network mindset" assignment.

The course's part stores examples as columns (``X`` is ``(n_x, m)``, ``w`` is ``(n_x, 1)``, ``b``
a float, ``Y`` is ``(1, m)``); the lecture's part (seed 004) stores them as rows (``inputs`` is
``(m, n)``, ``weights`` is ``(n,)``, no bias, a summed negative log-likelihood and the squashing
function 0.5 (tanh + 1)). Every function gets 4 to 7 randomized cases in named families: a single
example, a single feature, batches of several sizes, cases that switch a term off (zero weights,
where every probability is exactly 0.5), one-class labels, integer or boolean labels.

``optimize`` and ``model`` train on small linearly separable data sets for at most a few hundred
iterations (milliseconds), so their exact results are comparable with the reference: gradient
descent from the same start is deterministic, and equivalent formulas agree to ~1e-12.
``initialize_with_zeros`` must return ``b`` as a float, as the course's own test demands.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grader.cases.checkdef import Case, CheckDef
from grader.cases.deep_network import binary_labels
from grader.compare import Verdict, compare
from reference import logistic_regression as lr
from reference.arraytypes import Array

_PUBLIC_DIM = 2
"""The dimension of the notebook's public example of initialize_with_zeros: never drawn."""


# ---------------------------------------------------------------------------------------------
# Drawing inputs


def _size(rng: np.random.Generator, low: int, high: int, avoid: Sequence[int] = ()) -> int:
    """A size in [low, high], different from every size in ``avoid`` when the range allows it."""
    choices = [n for n in range(low, high + 1) if n not in avoid] or list(range(low, high + 1))
    return int(rng.choice(choices))


def _column_weights(rng: np.random.Generator, n: int) -> Array:
    """w (n, 1) scaled by 1/sqrt(n), so that w.T X stays in the sigmoid's useful range."""
    w: Array = rng.standard_normal((n, 1)) / np.sqrt(n)
    return w


def _separable(rng: np.random.Generator, n: int, m_train: int, m_test: int = 0) -> tuple[Array, ...]:
    """Linearly separable data: X_train (n, m_train), Y_train (1, m_train) and, when m_test > 0,
    X_test (n, m_test), Y_test (1, m_test), labelled by one hidden hyperplane.

    The hyperplane passes through the median of the training scores, so both labels occur."""
    w_true = rng.standard_normal((n, 1))
    X = rng.standard_normal((n, m_train + m_test))
    scores = (w_true.T @ X)[0]
    threshold = float(np.median(scores[:m_train]))
    Y = (scores > threshold).astype(np.float64).reshape(1, -1)
    if m_train >= 2 and not 0 < Y[0, :m_train].sum() < m_train:  # ties at the median
        Y[0, 0], Y[0, 1] = 0.0, 1.0
    parts: tuple[Array, ...] = (X[:, :m_train], Y[:, :m_train])
    if m_test:
        parts += (X[:, m_train:], Y[:, m_train:])
    return parts


# ---------------------------------------------------------------------------------------------
# The course's part


def sigmoid_cases(rng: np.random.Generator) -> list[Case]:
    """Scalars, vectors and matrices of several shapes, and large magnitudes of both signs."""
    n = _size(rng, 2, 6)
    m = _size(rng, 3, 9, avoid=(n,))
    large = rng.uniform(10.0, 30.0, _size(rng, 3, 8)) * rng.choice([-1.0, 1.0], 1)
    large[0] = -large[0]  # both signs
    return [
        Case("a single number", (float(rng.uniform(-4.0, 4.0)),)),
        Case("1-D array", (rng.uniform(-5.0, 5.0, _size(rng, 2, 9)),)),
        Case("row vector (1, m)", (rng.uniform(-5.0, 5.0, (1, _size(rng, 3, 12))),)),
        Case("column vector (n, 1)", (rng.uniform(-5.0, 5.0, (_size(rng, 3, 12), 1)),)),
        Case("matrix (n, m)", (rng.uniform(-5.0, 5.0, (n, m)),)),
        Case("large magnitudes", (large,)),
    ]


def initialize_with_zeros_cases(rng: np.random.Generator) -> list[Case]:
    """Dimensions from one feature to image-sized inputs; the public example's is never drawn."""
    return [
        Case("one or three features", (int(rng.choice([1, 3])),)),
        Case("a few features", (_size(rng, 4, 9, avoid=(_PUBLIC_DIM,)),)),
        Case("many features", (_size(rng, 10, 120),)),
        Case("image-sized input", (_size(rng, 600, 3000),)),
    ]


def _initialize_with_zeros_compare(expected: object, actual: object) -> Verdict:
    """The default comparison of (w, b), and ``b`` must be a float (0.0), as the course asks."""
    verdict = compare(expected, actual, what="output", names=("w", "b"))
    if not verdict.passed:
        return verdict
    b = actual[1] if isinstance(actual, tuple | list) and len(actual) == 2 else 0.0
    if not isinstance(b, float):  # np.float64 is a float too
        kind = type(b).__name__
        return Verdict(False, f"b: is of type {kind}; expected a Python float (write b = 0.0)")
    return Verdict(True, "")


def propagate_cases(rng: np.random.Generator) -> list[Case]:
    """One forward and backward pass: single example or feature, batches, zero weights, one class."""
    cases = []
    for family, n, m in [
        ("single example", _size(rng, 2, 6), 1),
        ("single feature", 1, _size(rng, 3, 9)),
        ("batch of examples", _size(rng, 2, 7), _size(rng, 5, 15)),
        ("larger batch", _size(rng, 10, 30), _size(rng, 40, 80)),
    ]:
        if n == m:
            m += 1
        X = rng.standard_normal((n, m))
        w, b = _column_weights(rng, n), float(rng.normal(0.0, 0.5))
        cases.append(Case(family, (w, b, X, binary_labels(rng, m))))
    n = _size(rng, 2, 6)
    m = _size(rng, 3, 10, avoid=(n,))
    X = rng.standard_normal((n, m))
    cases.append(Case("zero weights and bias", (np.zeros((n, 1)), 0.0, X, binary_labels(rng, m))))
    n = _size(rng, 2, 6)
    m = _size(rng, 3, 10, avoid=(n,))
    X = rng.standard_normal((n, m))
    cases.append(
        Case("all labels 0", (_column_weights(rng, n), float(rng.normal(0.0, 0.5)), X, np.zeros((1, m))))
    )
    n = _size(rng, 2, 6)
    m = _size(rng, 4, 12, avoid=(n,))
    X = rng.standard_normal((n, m))
    cases.append(
        Case(
            "integer labels",
            (_column_weights(rng, n), float(rng.normal(0.0, 0.5)), X, binary_labels(rng, m, as_int=True)),
        )
    )
    return cases


def optimize_cases(rng: np.random.Generator) -> list[Case]:
    """Gradient descent on small separable data: 1 to a few hundred iterations, several rates."""
    cases = []
    for family, n, m, iterations, rate, zero_start in [
        ("one iteration", _size(rng, 2, 5), _size(rng, 6, 15), 1, rng.uniform(0.05, 1.0), False),
        ("fewer than 100 iterations", _size(rng, 2, 5), _size(rng, 6, 20), _size(rng, 5, 99), 0.5, False),
        ("a few hundred iterations", _size(rng, 2, 6), _size(rng, 8, 25), _size(rng, 201, 320), 0.2, False),
        ("zero initial parameters", _size(rng, 2, 5), _size(rng, 6, 20), _size(rng, 101, 199), 0.1, True),
        ("single example", _size(rng, 2, 5), 1, _size(rng, 20, 150), 0.1, False),
        ("small learning rate", _size(rng, 3, 8), _size(rng, 10, 30), _size(rng, 101, 250), 0.005, False),
    ]:
        X, Y = _separable(rng, n, m)
        if zero_start:
            w, b = np.zeros((n, 1)), 0.0
        else:
            w, b = _column_weights(rng, n), float(rng.normal(0.0, 0.5))
        learning_rate = float(rate) * float(rng.uniform(0.8, 1.2))
        kwargs: dict[str, object] = {"num_iterations": iterations, "learning_rate": learning_rate}
        cases.append(Case(family, (w, b, X, Y), kwargs))
    return cases


def predict_cases(rng: np.random.Generator) -> list[Case]:
    """Labels for single examples, batches, zero weights (probability exactly 0.5) and large biases."""
    cases = []
    for family, n, m in [
        ("single example", _size(rng, 2, 6), 1),
        ("single feature", 1, _size(rng, 3, 9)),
        ("batch of examples", _size(rng, 2, 7), _size(rng, 5, 15)),
        ("larger batch", _size(rng, 10, 30), _size(rng, 40, 80)),
    ]:
        if n == m:
            m += 1
        X = rng.standard_normal((n, m))
        cases.append(Case(family, (_column_weights(rng, n), float(rng.normal(0.0, 0.5)), X)))
    n = _size(rng, 2, 6)
    m = _size(rng, 3, 10, avoid=(n,))
    cases.append(
        Case("zero weights (probability exactly 0.5)", (np.zeros((n, 1)), 0.0, rng.standard_normal((n, m))))
    )
    n = _size(rng, 2, 6)
    m = _size(rng, 3, 10, avoid=(n,))
    bias = float(rng.uniform(4.0, 8.0))
    w: Array = 0.1 * _column_weights(rng, n)
    cases.append(Case("large positive bias", (w, bias, rng.standard_normal((n, m)))))
    return cases


def model_cases(rng: np.random.Generator) -> list[Case]:
    """Training from zeros then predicting, on small separable data sets of several shapes."""
    cases = []
    for family, n, m_train, m_test, iterations, rate in [
        ("one iteration", _size(rng, 2, 5), _size(rng, 6, 15), _size(rng, 3, 8), 1, 0.5),
        ("separable data", _size(rng, 2, 5), _size(rng, 10, 30), _size(rng, 5, 15), _size(rng, 50, 150), 0.5),
        ("single test example", _size(rng, 2, 6), _size(rng, 8, 20), 1, _size(rng, 30, 120), 0.3),
        ("more features than examples", _size(rng, 15, 30), _size(rng, 5, 12), _size(rng, 3, 8), 60, 0.1),
        ("a few hundred iterations", _size(rng, 2, 6), _size(rng, 10, 30), _size(rng, 5, 15), 250, 0.05),
    ]:
        X_train, Y_train, X_test, Y_test = _separable(rng, n, m_train, m_test)
        learning_rate = rate * float(rng.uniform(0.8, 1.2))
        kwargs: dict[str, object] = {"num_iterations": iterations, "learning_rate": learning_rate}
        cases.append(Case(family, (X_train, Y_train, X_test, Y_test), kwargs))
    return cases


def _model(
    X_train: Array,
    Y_train: Array,
    X_test: Array,
    Y_test: Array,
    num_iterations: int = 2000,
    learning_rate: float = 0.5,
    print_cost: bool = False,
) -> dict[str, object]:
    """The course's model, reduced to the graded keys (students may return more)."""
    d = lr.model(X_train, Y_train, X_test, Y_test, num_iterations, learning_rate, print_cost)
    return {
        "costs": d["costs"],
        "Y_prediction_test": d["Y_prediction_test"],
        "Y_prediction_train": d["Y_prediction_train"],
        "w": d["w"],
        "b": d["b"],
    }


# ---------------------------------------------------------------------------------------------
# The lecture's part (examples are rows)


def _lecture_cases(rng: np.random.Generator) -> list[Case]:
    """(weights (n,), inputs (m, n), targets (m,)) in seven families."""

    def draw(m: int, n: int) -> tuple[Array, Array]:
        inputs: Array = rng.standard_normal((m, n))
        weights: Array = rng.standard_normal(n) / np.sqrt(n)
        return weights, inputs

    def targets(m: int) -> Array:
        t: Array = binary_labels(rng, m)[0]
        return t

    cases = []
    weights = rng.normal(0.0, 0.6, lr.LECTURE_INPUTS.shape[1])
    cases.append(
        Case("the lecture's toy data", (weights, lr.LECTURE_INPUTS.copy(), lr.LECTURE_TARGETS.copy()))
    )
    m, n = _size(rng, 3, 9), _size(rng, 2, 5)
    _, inputs = draw(m, n)
    cases.append(Case("zero weights", (np.zeros(n), inputs, targets(m))))
    n = _size(rng, 2, 6)
    cases.append(Case("single example", (*draw(1, n), targets(1))))
    m = _size(rng, 3, 10)
    cases.append(Case("one feature", (*draw(m, 1), targets(m))))
    m, n = _size(rng, 4, 10), _size(rng, 2, 5)
    cases.append(Case("boolean targets", (*draw(m, n), targets(m).astype(bool))))
    m, n = _size(rng, 3, 9), _size(rng, 2, 5)
    cases.append(Case("all targets true", (*draw(m, n), np.ones(m))))
    m, n = _size(rng, 20, 60), _size(rng, 3, 8)
    cases.append(Case("more examples", (*draw(m, n), targets(m))))
    return cases


def training_loss_cases(rng: np.random.Generator) -> list[Case]:
    """The lecture's loss on its toy data, and on others of several sizes."""
    return _lecture_cases(rng)


def training_gradient_cases(rng: np.random.Generator) -> list[Case]:
    """The lecture's gradient on its toy data, and on others of several sizes."""
    return _lecture_cases(rng)


# ---------------------------------------------------------------------------------------------
# The checks


def checks() -> list[CheckDef]:
    """The hidden checks of the logistic regression assignment, in the notebook's order."""
    lecture_args = ("weights", "inputs", "targets")
    return [
        CheckDef(
            name="logistic_regression.sigmoid",
            function="sigmoid",
            reference=lr.sigmoid,
            make_cases=sigmoid_cases,
            description="the logistic function, elementwise, for numbers and arrays of any shape",
            args=("z",),
            output="s",
        ),
        CheckDef(
            name="logistic_regression.initialize_with_zeros",
            function="initialize_with_zeros",
            reference=lr.initialize_with_zeros,
            make_cases=initialize_with_zeros_cases,
            description="w: zeros of shape (dim, 1); b: the float 0.0",
            args=("dim",),
            output=("w", "b"),
            comparer=_initialize_with_zeros_compare,
        ),
        CheckDef(
            name="logistic_regression.propagate",
            function="propagate",
            reference=lr.propagate,
            make_cases=propagate_cases,
            description="the mean cross-entropy cost and its gradients dw (n_x, 1) and db",
            args=("w", "b", "X", "Y"),
            output=("grads", "cost"),
        ),
        CheckDef(
            name="logistic_regression.optimize",
            function="optimize",
            reference=lr.optimize,
            make_cases=optimize_cases,
            description="gradient descent: final w and b, last gradients, and the cost every 100 iterations",
            args=("w", "b", "X", "Y", "num_iterations", "learning_rate"),
            output=("params", "grads", "costs"),
            unchanged_args=(0,),
        ),
        CheckDef(
            name="logistic_regression.predict",
            function="predict",
            reference=lr.predict,
            make_cases=predict_cases,
            description="labels 1.0 where the probability is above 0.5, else 0.0, of shape (1, m)",
            args=("w", "b", "X"),
            output="Y_prediction",
        ),
        CheckDef(
            name="logistic_regression.model",
            function="model",
            reference=_model,
            make_cases=model_cases,
            description="training from zeros, then the costs, predictions on both sets, w and b",
            args=("X_train", "Y_train", "X_test", "Y_test", "num_iterations", "learning_rate"),
            output="d",
            # The course's dictionary also holds learning_rate and num_iterations: not graded.
            allow_extra_keys=True,
        ),
        CheckDef(
            name="logistic_regression.training_loss",
            function="training_loss",
            reference=lr.training_loss,
            make_cases=training_loss_cases,
            description="the lecture's negative log-likelihood, summed over the examples",
            args=lecture_args,
            output="loss",
        ),
        CheckDef(
            name="logistic_regression.training_gradient",
            function="training_gradient",
            reference=lr.training_gradient,
            make_cases=training_gradient_cases,
            description="the gradient of the lecture's loss with respect to the weights, shape (n,)",
            args=lecture_args,
            output="gradient",
        ),
    ]
