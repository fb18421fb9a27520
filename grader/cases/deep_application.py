"""Hidden checks of the "deep neural network application" assignment: training loops and predict.

The two training functions are judged by what their parameters can do, not by exact values. Each
case trains on a small binary task drawn per grading seed from scikit-learn's digits (two digit
classes, 60 to 150 images of 64 pixels, a few hundred iterations, learning rates that converge in
that time). The reference trains on the same inputs in the grader process; the expected value
then holds, besides what the reference reached, a HELD-OUT set: every other image of the same two
digits, which never enters the sandbox. The comparer checks the returned structure (parameter
keys and shapes, finite values, a list of recorded costs that goes down), that training made
real progress (the training cost of the returned parameters, computed here, is close to the
reference's), and that the trained network classifies the held-out images nearly as well as the
reference's (ACCURACY_MARGIN below it at most).

``predict`` is compared exactly, on random networks of one to four layers whose output bias is
centred so that both labels occur; examples whose probability is within 1e-9 of 0.5 are not
judged, since rounding may put them on either side.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from grader.cases.checkdef import Case, CheckDef
from grader.compare import Verdict, describe
from reference import deep_application as app
from reference import deep_network as dn
from reference.arraytypes import Array, IntArray, Params

ACCURACY_MARGIN = 0.10
"""The held-out accuracy of the student's trained network may be this much below the reference's."""

PROGRESS_SHARE = 0.25
"""The training cost of the student's parameters may exceed the reference's final training cost by
this share of the reference's whole decrease (from its first recorded cost)."""

AMBIGUOUS = 1e-9
"""predict: examples whose probability is this close to 0.5 are not judged."""

N_PIXELS = 64

TrainFunction = Callable[..., tuple[Params, list[float]]]


# ---------------------------------------------------------------------------------------------
# The digits and held-out sets


@functools.cache
def _digits() -> tuple[Array, IntArray]:
    """All 1797 digit images as rows of 64 pixels in [0, 1], and their labels; read-only."""
    from sklearn.datasets import load_digits  # bundled with scikit-learn, read from disk

    bunch = load_digits()
    images: Array = np.asarray(bunch.data, dtype=np.float64) / 16.0
    labels: IntArray = np.asarray(bunch.target, dtype=np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


@functools.cache
def _row_index() -> dict[bytes, tuple[int, ...]]:
    """Every image's bytes -> the indices of the images equal to it (a few digits repeat)."""
    images, _ = _digits()
    index: dict[bytes, list[int]] = {}
    for i, row in enumerate(images):
        index.setdefault(row.tobytes(), []).append(i)
    return {key: tuple(value) for key, value in index.items()}


def training_set(rng: np.random.Generator, m: int) -> tuple[Array, Array]:
    """A binary task "is it digit a or digit b?" drawn from rng: X (64, m), Y (1, m) of 0.0/1.0.

    Both labels occur; the held-out set of the task is ``held_out(X, Y)``.
    """
    images, labels = _digits()
    positive, negative = (int(d) for d in rng.choice(10, size=2, replace=False))
    positives = np.flatnonzero(labels == positive)
    negatives = np.flatnonzero(labels == negative)
    n_pos = int(rng.integers(m * 2 // 5, m * 3 // 5 + 1))
    chosen = np.concatenate(
        [rng.choice(positives, n_pos, replace=False), rng.choice(negatives, m - n_pos, replace=False)]
    )
    chosen = rng.permutation(chosen)
    X: Array = np.ascontiguousarray(images[chosen].T)
    Y: Array = (labels[chosen] == positive).astype(np.float64).reshape(1, m)
    return X, Y


def held_out(X: Array, Y: Array) -> tuple[Array, Array]:
    """The images of the same digits as the training set that are not in it: (X_held, Y_held).

    The training columns are looked up among the digit images; the digits found with label 1 form
    the positive class, those with label 0 the negative one. Raises ValueError when a column is
    not a digit image (cases always draw real images).
    """
    images, labels = _digits()
    index = _row_index()
    used: set[int] = set()
    positive: set[int] = set()
    negative: set[int] = set()
    for j in range(X.shape[1]):
        matches = index.get(np.ascontiguousarray(X[:, j], dtype=np.float64).tobytes())
        if matches is None:
            raise ValueError(f"training column {j} is not one of the digit images")
        used.update(matches)
        (positive if Y[0, j] == 1 else negative).update(int(labels[i]) for i in matches)
    classes = sorted(positive | negative)
    rest = [i for i in np.flatnonzero(np.isin(labels, classes)) if int(i) not in used]
    X_held: Array = np.ascontiguousarray(images[rest].T)
    Y_held: Array = np.isin(labels[rest], sorted(positive)).astype(np.float64).reshape(1, -1)
    return X_held, Y_held


def _accuracy(parameters: Params, X: Array, Y: Array) -> float:
    with np.errstate(all="ignore"):
        p = app.predict(X, Y, parameters)
    return float(np.mean(p == Y))


def _training_cost(parameters: Params, X: Array, Y: Array) -> float:
    """Cross-entropy of the network on (X, Y), with probabilities kept away from 0 and 1."""
    with np.errstate(all="ignore"):
        AL, _ = dn.L_model_forward(X, parameters)
        A = np.clip(AL, 1e-12, 1.0 - 1e-12)
        return float(-np.mean(Y * np.log(A) + (1.0 - Y) * np.log(1.0 - A)))


# ---------------------------------------------------------------------------------------------
# Training cases and their comparison


def _rate(rng: np.random.Generator, low: float, high: float) -> float:
    return round(float(rng.uniform(low, high)), 4)


def two_layer_model_cases(rng: np.random.Generator) -> list[Case]:
    """Hidden layers of 2 to 20 units, 60 to 150 examples, 250 to 600 iterations."""
    cases = []
    for family, n_h, m, learning_rate, iterations in [
        ("the course's 7 hidden units", 7, int(rng.integers(100, 151)), _rate(rng, 0.1, 0.2), 300),
        (
            "small hidden layer",
            int(rng.integers(2, 5)),
            int(rng.integers(90, 131)),
            _rate(rng, 0.15, 0.25),
            300,
        ),
        (
            "wide hidden layer",
            int(rng.integers(12, 21)),
            int(rng.integers(90, 131)),
            _rate(rng, 0.1, 0.2),
            250,
        ),
        (
            "small training set",
            int(rng.integers(5, 10)),
            int(rng.integers(60, 81)),
            _rate(rng, 0.1, 0.2),
            300,
        ),
        (
            "smaller learning rate, more iterations",
            7,
            int(rng.integers(90, 131)),
            _rate(rng, 0.04, 0.06),
            600,
        ),
    ]:
        X, Y = training_set(rng, m)
        cases.append(
            Case(
                family,
                (X, Y, (N_PIXELS, n_h, 1)),
                {"learning_rate": learning_rate, "num_iterations": iterations},
            )
        )
    return cases


def L_layer_model_cases(rng: np.random.Generator) -> list[Case]:
    """One to four layers, 60 to 150 examples, 250 to 600 iterations."""
    cases = []
    for family, hidden, m, learning_rate, iterations in [
        ("one layer (logistic regression)", [], int(rng.integers(90, 131)), _rate(rng, 0.1, 0.2), 300),
        ("two layers", [int(rng.integers(4, 11))], int(rng.integers(90, 131)), _rate(rng, 0.1, 0.2), 300),
        (
            "three layers",
            [int(rng.integers(8, 16)), int(rng.integers(3, 7))],
            int(rng.integers(90, 131)),
            _rate(rng, 0.08, 0.15),
            300,
        ),
        ("the course's four layers", [20, 7, 5], int(rng.integers(100, 151)), _rate(rng, 0.08, 0.15), 300),
        (
            "small training set",
            [int(rng.integers(5, 11)), 3],
            int(rng.integers(60, 81)),
            _rate(rng, 0.1, 0.15),
            300,
        ),
        (
            "smaller learning rate, more iterations",
            [10, 5],
            int(rng.integers(90, 131)),
            _rate(rng, 0.03, 0.05),
            600,
        ),
    ]:
        X, Y = training_set(rng, m)
        dims = [N_PIXELS, *hidden, 1]
        cases.append(
            Case(family, (X, Y, dims), {"learning_rate": learning_rate, "num_iterations": iterations})
        )
    return cases


def _training_spec(train: TrainFunction) -> Callable[..., dict[str, object]]:
    """A reference for the check: trains with ``train`` and returns what the comparer needs."""

    def reference(
        X: Array,
        Y: Array,
        layers_dims: Sequence[int],
        learning_rate: float = 0.0075,
        num_iterations: int = 3000,
        print_cost: bool = False,
    ) -> dict[str, object]:
        parameters, costs = train(X, Y, layers_dims, learning_rate, num_iterations, False)
        X_held, Y_held = held_out(X, Y)
        accuracy = _accuracy(parameters, X_held, Y_held)
        return {
            "layers_dims": [int(n) for n in layers_dims],
            "num_iterations": int(num_iterations),
            "X": X,
            "Y": Y,
            "X_held": X_held,
            "Y_held": Y_held,
            "reference_accuracy": accuracy,
            "min_accuracy": accuracy - ACCURACY_MARGIN,
            "start_cost": float(costs[0]),
            "reference_cost": _training_cost(parameters, X, Y),
        }

    reference.__name__ = train.__name__
    reference.__doc__ = f"{train.__name__} on the case, plus a held-out set and thresholds for the comparer."
    return reference


def _as_number(value: object) -> float | None:
    """A finite real number from a float, int, numpy scalar or 0-d/1-element array; else None."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, np.ndarray):
        if value.size != 1 or value.dtype.kind not in "iuf":
            return None
        number = float(value.reshape(()))
    elif isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
    else:
        return None
    return number if np.isfinite(number) else None


def _check_parameters(actual: object, dims: Sequence[int]) -> tuple[Params | None, str]:
    """The student's parameters as float arrays when keys, shapes and values are right, else a message."""
    if not isinstance(actual, dict):
        return (
            None,
            f"parameters: is {describe(actual)}; expected a dict with W1, b1, ..., W{len(dims) - 1}, "
            f"b{len(dims) - 1}",
        )
    L = len(dims) - 1
    want = [f"{kind}{layer}" for layer in range(1, L + 1) for kind in ("W", "b")]
    missing = [key for key in want if key not in actual]
    if missing:
        return None, (
            f"parameters: missing {', '.join(missing[:6])}: a network with layers_dims of length {len(dims)} "
            f"has {L} layer{'s' if L > 1 else ''} (use len(layers_dims) and every layer size)"
        )
    checked: Params = {}
    for layer in range(1, L + 1):
        for kind, shape in (("W", (dims[layer], dims[layer - 1])), ("b", (dims[layer], 1))):
            key = f"{kind}{layer}"
            value = actual[key]
            if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf":
                return None, f'parameters["{key}"]: is {describe(value)}; expected an array of shape {shape}'
            if value.shape != shape:
                return None, f'parameters["{key}"]: has shape {value.shape}; expected {shape}'
            if not np.all(np.isfinite(value)):
                return None, (
                    f'parameters["{key}"]: holds NaN or infinite values: training diverged (check the sign '
                    "of the update and the gradients)"
                )
            checked[key] = value.astype(np.float64)
    return checked, ""


def _check_costs(costs: object) -> str:
    """A message when the recorded costs are not a non-empty sequence of numbers going down."""
    if isinstance(costs, np.ndarray) and costs.ndim == 1:
        items: list[object] = list(costs)
    elif isinstance(costs, list | tuple):
        items = list(costs)
    else:
        return f"costs: is {describe(costs)}; expected a list of the costs recorded every 100 iterations"
    if not items:
        return "costs: is empty; append the cost to costs every 100 iterations (i % 100 == 0)"
    numbers = [_as_number(item) for item in items]
    if any(n is None for n in numbers):
        return "costs: holds something other than finite numbers; append the cost returned by compute_cost"
    values = [n for n in numbers if n is not None]
    if len(values) < 2:
        return f"costs: holds {len(values)} value; record the cost every 100 iterations, from iteration 0"
    if not values[-1] < values[0]:
        return "costs: the recorded cost did not go down; check that every iteration updates the parameters"
    return ""


def compare_training(expected: object, actual: object) -> Verdict:
    """Judge ``(parameters, costs)`` from a training function against the spec in ``expected``."""
    assert isinstance(expected, dict)
    dims: list[int] = expected["layers_dims"]
    if not isinstance(actual, tuple | list) or len(actual) != 2:
        return Verdict(
            False, f"output: is {describe(actual)}; expected a tuple of 2 values (parameters, costs)"
        )
    parameters, problem = _check_parameters(actual[0], dims)
    if parameters is None:
        return Verdict(False, problem)
    cost = _training_cost(parameters, expected["X"], expected["Y"])
    start, reached = float(expected["start_cost"]), float(expected["reference_cost"])
    if not cost <= reached + PROGRESS_SHARE * max(start - reached, 0.0) + 1e-6:
        return Verdict(
            False,
            f"training made too little progress: the returned parameters have a training cost of {cost:.3f}, "
            f"where training from the given initialization reaches {reached:.3f} (from {start:.3f}); "
            "check that every iteration updates the parameters with the given learning_rate and keeps them",
        )
    accuracy = _accuracy(parameters, expected["X_held"], expected["Y_held"])
    if accuracy < float(expected["min_accuracy"]):
        return Verdict(
            False,
            f"the trained network classifies {accuracy:.0%} of held-out images correctly; expected at least "
            f"{float(expected['min_accuracy']):.0%}",
        )
    problem = _check_costs(actual[1])
    if problem:
        return Verdict(False, problem)
    return Verdict(True, "")


# ---------------------------------------------------------------------------------------------
# predict


_PUBLIC_PREDICT = (4, 3)
"""(n_x, m) of the notebook's public example of predict: never drawn as a hidden case."""


def _centred_network(rng: np.random.Generator, dims: Sequence[int], X: Array) -> Params:
    """Random parameters whose output bias puts a random share (30% to 70%) of X above 0.5."""
    parameters: Params = {}
    for layer in range(1, len(dims)):
        parameters[f"W{layer}"] = rng.standard_normal((dims[layer], dims[layer - 1])) * (
            2.0 / np.sqrt(dims[layer - 1])
        )
        parameters[f"b{layer}"] = 0.1 * rng.standard_normal((dims[layer], 1))
    L = len(dims) - 1
    parameters[f"b{L}"] = np.zeros((1, 1))
    AL, _ = dn.L_model_forward(X, parameters)
    A = np.clip(AL, 1e-12, 1.0 - 1e-12)
    Z = np.log(A) - np.log1p(-A)
    parameters[f"b{L}"] = np.array([[-float(np.quantile(Z, rng.uniform(0.3, 0.7))) + 1e-3]])
    return parameters


def predict_cases(rng: np.random.Generator) -> list[Case]:
    """Networks of one to four layers, a single example and real digit images."""
    cases = []
    for family, hidden, m in [
        ("one layer", [], int(rng.integers(5, 12))),
        ("two layers", [int(rng.integers(3, 8))], int(rng.integers(6, 15))),
        ("three layers", [int(rng.integers(4, 9)), int(rng.integers(2, 5))], int(rng.integers(8, 20))),
        ("deep network, 4 layers", [7, 5, 3], int(rng.integers(20, 40))),
        ("single example", [int(rng.integers(2, 6))], 1),
    ]:
        n_x = int(rng.integers(2, 9))
        if (n_x, m) == _PUBLIC_PREDICT:
            m += 1
        X = rng.standard_normal((n_x, m))
        y = rng.integers(0, 2, size=(1, m)).astype(np.float64)
        cases.append(Case(family, (X, y, _centred_network(rng, [n_x, *hidden, 1], X))))
    X, y = training_set(rng, int(rng.integers(30, 60)))
    cases.append(
        Case("digit images", (X, y, _centred_network(rng, [N_PIXELS, int(rng.integers(5, 12)), 1], X)))
    )
    return cases


def _predict_spec(X: Array, y: Array, parameters: Params) -> dict[str, object]:
    """The reference labels and the probabilities behind them (for examples near 0.5)."""
    probas, _ = dn.L_model_forward(X, parameters)
    return {"p": app.predict(X, y, parameters), "probas": probas}


def compare_predictions(expected: object, actual: object) -> Verdict:
    """Judge p: shape (1, m), 0/1 values (any numeric or bool dtype), equal to the reference's."""
    assert isinstance(expected, dict)
    want: Array = expected["p"]
    probas: Array = expected["probas"]
    if not isinstance(actual, np.ndarray):
        return Verdict(False, f"p: is {describe(actual)}; expected an array of shape {want.shape}")
    if actual.shape != want.shape:
        hint = " (keep the (1, m) shape of the probabilities)" if actual.size == want.size else ""
        return Verdict(False, f"p: has shape {actual.shape}; expected {want.shape}{hint}")
    if actual.dtype.kind not in "biuf":
        return Verdict(False, f"p: has dtype {actual.dtype}; expected 0/1 labels")
    got = actual.astype(np.float64)
    if not np.all((got == 0.0) | (got == 1.0)):
        return Verdict(
            False,
            "p: holds values other than 0 and 1; turn each probability into a label (1 above 0.5, else 0)",
        )
    judged = np.abs(probas - 0.5) > AMBIGUOUS
    wrong = int(np.count_nonzero((got != want) & judged))
    if wrong == 0:
        return Verdict(True, "")
    if wrong == int(np.count_nonzero(judged)) and wrong > 1:
        return Verdict(
            False, "p: every label is the opposite of the expected one: predict 1 where the probability > 0.5"
        )
    return Verdict(
        False,
        f"p: {wrong} of {want.shape[1]} labels differ from the expected ones; predict 1 exactly where the "
        "output of L_model_forward is above 0.5",
    )


# ---------------------------------------------------------------------------------------------
# The checks


def checks() -> list[CheckDef]:
    """The hidden checks of the deep network application, in the notebook's order."""
    training_args = ("X", "Y", "layers_dims", "learning_rate", "num_iterations", "print_cost")
    return [
        CheckDef(
            name="deep_application.predict",
            function="predict",
            reference=_predict_spec,
            make_cases=predict_cases,
            description="0/1 labels of an L-layer network: 1 where the output probability is above 0.5",
            args=("X", "y", "parameters"),
            output="p",
            comparer=compare_predictions,
        ),
        CheckDef(
            name="deep_application.two_layer_model",
            function="two_layer_model",
            reference=_training_spec(app.two_layer_model),
            make_cases=two_layer_model_cases,
            description="a trained 2-layer classifier: structure, progress, held-out accuracy",
            args=training_args,
            output=("parameters", "costs"),
            comparer=compare_training,
        ),
        CheckDef(
            name="deep_application.L_layer_model",
            function="L_layer_model",
            reference=_training_spec(app.L_layer_model),
            make_cases=L_layer_model_cases,
            description="a trained L-layer classifier: structure, progress, held-out accuracy",
            args=training_args,
            output=("parameters", "costs"),
            comparer=compare_training,
        ),
    ]
