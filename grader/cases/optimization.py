"""Hidden checks of the "optimization" assignment: mini-batches, momentum, RMSProp, Adam, decay.

Every update rule gets networks of one to five layers with gradients and optimizer state drawn per
grading seed, in families that make the typical mistakes visible: a first step (zero state, t = 1)
and a running state, ``beta = 0`` and ``beta`` close to 1, a later and a much later Adam step (a
wrong step counter ``t`` shows at every t), a large ``epsilon`` and tiny gradients (where adding
``epsilon`` under the square root instead of after it changes the step), and gradient
dictionaries with extra entries (``dA``, ``dZ``) that the update must ignore. The learning-rate
schedules get epochs before, on and between the interval boundaries.

``random_mini_batches`` seeds numpy's global generator inside the function, as the course does,
so the reference draws the same permutation; its comparer first checks the partition itself
(the right number and sizes of batches, full ones then one short one, every example exactly once,
the columns of X and Y moved together) and only then the order, so that feedback names the
actual mistake.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grader.cases.checkdef import Case, CheckDef
from grader.compare import Verdict, describe
from reference import optimization as opt
from reference.arraytypes import AnyArray, Array, Params

# ---------------------------------------------------------------------------------------------
# Drawing inputs


def _size(rng: np.random.Generator, low: int, high: int, avoid: Sequence[int] = ()) -> int:
    """A size in [low, high], different from every size in ``avoid`` when the range allows it."""
    choices = [n for n in range(low, high + 1) if n not in avoid] or list(range(low, high + 1))
    return int(rng.choice(choices))


def _dims(rng: np.random.Generator, layers: int, *, wide: bool = False) -> list[int]:
    """Layer sizes [n_x, n_1, ..., n_L] where neighbours differ (a transposed W then shows)."""
    low, high = (8, 14) if wide else (2, 6)
    dims = [_size(rng, low, high)]
    for _ in range(layers):
        dims.append(_size(rng, low, high, avoid=(dims[-1],)))
    return dims


def _network(rng: np.random.Generator, dims: Sequence[int]) -> Params:
    """Parameters W1, b1, ..., WL, bL for layer sizes ``dims``."""
    parameters: Params = {}
    for layer in range(1, len(dims)):
        parameters[f"W{layer}"] = rng.standard_normal((dims[layer], dims[layer - 1])) / np.sqrt(
            dims[layer - 1]
        )
        parameters[f"b{layer}"] = 0.1 * rng.standard_normal((dims[layer], 1))
    return parameters


def _like(
    rng: np.random.Generator, parameters: Params, scale: float = 1.0, *, positive: bool = False
) -> Params:
    """A dict dW1, db1, ... shaped like the parameters: gradients, or (positive) a second moment."""
    out: Params = {}
    for key, value in parameters.items():
        drawn = scale * rng.standard_normal(value.shape)
        out[f"d{key}"] = drawn**2 if positive else drawn
    return out


def _with_extra_entries(rng: np.random.Generator, grads: Params, dims: Sequence[int]) -> Params:
    """The gradients plus the dA/dZ entries a real backward pass also returns (to be ignored)."""
    m = _size(rng, 2, 6)
    extended = dict(grads)
    for layer in range(1, len(dims)):
        extended[f"dA{layer - 1}"] = rng.standard_normal((dims[layer - 1], m))
        extended[f"dZ{layer}"] = rng.standard_normal((dims[layer], m))
    return extended


def _zeros(parameters: Params) -> Params:
    return {f"d{key}": np.zeros(value.shape) for key, value in parameters.items()}


# ---------------------------------------------------------------------------------------------
# Gradient descent and the optimizer states


def update_parameters_with_gd_cases(rng: np.random.Generator) -> list[Case]:
    """One plain gradient step on networks of one to four layers, learning rates 0.001 to 2."""
    cases = []
    for family, layers, learning_rate in [
        ("one layer", 1, float(rng.uniform(0.01, 0.5))),
        ("two layers", 2, float(rng.uniform(0.01, 0.5))),
        ("deep network, 4 layers", 4, float(rng.uniform(0.01, 0.5))),
        ("small learning rate", 3, float(rng.uniform(0.001, 0.005))),
        ("learning rate above 1", 2, float(rng.uniform(1.2, 2.0))),
    ]:
        dims = _dims(rng, layers)
        parameters = _network(rng, dims)
        cases.append(Case(family, (parameters, _like(rng, parameters), learning_rate)))
    dims = _dims(rng, 3)
    parameters = _network(rng, dims)
    grads = _with_extra_entries(rng, _like(rng, parameters), dims)
    cases.append(Case("gradients with dA and dZ entries", (parameters, grads, float(rng.uniform(0.05, 0.5)))))
    return cases


def initializer_cases(rng: np.random.Generator) -> list[Case]:
    """Networks from one to five layers, single input features and wide layers."""
    families = [
        ("one layer", _dims(rng, 1)),
        ("two layers", _dims(rng, 2)),
        ("three layers", _dims(rng, 3)),
        ("deep network, 5 layers", _dims(rng, 5)),
        ("single input feature", [1, _size(rng, 2, 5), 1]),
        ("wide layers", _dims(rng, 2, wide=True)),
    ]
    return [Case(family, (_network(rng, dims),)) for family, dims in families]


def update_parameters_with_momentum_cases(rng: np.random.Generator) -> list[Case]:
    """A first step (zero velocity) and running velocities, beta from 0 to 0.999."""
    cases = []
    for family, layers, beta, first in [
        ("first step (zero velocity)", 2, 0.9, True),
        ("running velocity", 2, float(rng.uniform(0.8, 0.95)), False),
        ("deep network, 4 layers", 4, float(rng.uniform(0.85, 0.95)), False),
        ("beta = 0 (plain gradient descent)", 1, 0.0, False),
        ("beta close to 1", 3, float(rng.uniform(0.99, 0.999)), False),
        ("small beta", 2, float(rng.uniform(0.1, 0.5)), False),
    ]:
        dims = _dims(rng, layers)
        parameters = _network(rng, dims)
        grads = _like(rng, parameters)
        if family == "running velocity":
            grads = _with_extra_entries(rng, grads, dims)
        v = _zeros(parameters) if first else _like(rng, parameters, 0.5)
        cases.append(Case(family, (parameters, grads, v, beta, float(rng.uniform(0.005, 0.2)))))
    return cases


def update_parameters_with_rmsprop_cases(rng: np.random.Generator) -> list[Case]:
    """RMSProp steps with the default and given hyperparameters, tiny gradients, large epsilon."""
    cases = []
    for family, layers, scale, kwargs in [
        ("first step (s = 0), default hyperparameters", 2, 1.0, {}),
        ("running average", 2, 1.0, {"beta": float(rng.uniform(0.9, 0.999))}),
        ("deep network, 4 layers", 4, 1.0, {"learning_rate": float(rng.uniform(0.001, 0.05))}),
        ("large epsilon", 2, 1.0, {"epsilon": float(rng.uniform(0.05, 0.5))}),
        ("tiny gradients", 3, 1e-5, {"beta": 0.99, "learning_rate": 0.01, "epsilon": 1e-8}),
    ]:
        dims = _dims(rng, layers)
        parameters = _network(rng, dims)
        grads = _like(rng, parameters, scale)
        first = family.startswith("first step")
        s = _zeros(parameters) if first else _like(rng, parameters, scale, positive=True)
        options: dict[str, object] = dict(kwargs)
        cases.append(Case(family, (parameters, grads, s), options))
    # Every hyperparameter passed by position, in the signature's order (beta, learning_rate, epsilon).
    parameters = _network(rng, _dims(rng, 1))
    positional = (
        parameters,
        _like(rng, parameters),
        _like(rng, parameters, positive=True),
        float(rng.uniform(0.8, 0.95)),
        float(rng.uniform(0.005, 0.05)),
        float(rng.uniform(1e-6, 1e-3)),
    )
    cases.append(Case("every hyperparameter given", positional))
    return cases


def update_parameters_with_adam_cases(rng: np.random.Generator) -> list[Case]:
    """Adam steps at t = 1, 2, a later and a much later t, with large epsilon and tiny gradients."""
    cases = []
    for family, layers, scale, t, kwargs in [
        ("first step (t = 1), default hyperparameters", 2, 1.0, 1, {}),
        ("second step (t = 2)", 3, 1.0, 2, {"learning_rate": float(rng.uniform(0.005, 0.05))}),
        ("later step", 2, 1.0, _size(rng, 5, 40), {}),
        ("much later step", 4, 1.0, _size(rng, 500, 3000), {}),
        ("large epsilon", 1, 1.0, _size(rng, 3, 10), {"epsilon": float(rng.uniform(0.05, 0.5))}),
        ("tiny gradients", 2, 1e-5, _size(rng, 2, 6), {}),
        (
            "other betas and learning rate",
            3,
            1.0,
            _size(rng, 3, 20),
            {
                "learning_rate": float(rng.uniform(0.001, 0.1)),
                "beta1": float(rng.uniform(0.5, 0.8)),
                "beta2": float(rng.uniform(0.9, 0.99)),
                "epsilon": 1e-8,
            },
        ),
    ]:
        dims = _dims(rng, layers)
        parameters = _network(rng, dims)
        grads = _like(rng, parameters, scale)
        if t == 1:
            v, s = _zeros(parameters), _zeros(parameters)
        else:
            v, s = _like(rng, parameters, scale * 0.5), _like(rng, parameters, scale, positive=True)
        if family == "later step":
            grads = _with_extra_entries(rng, grads, dims)
        cases.append(Case(family, (parameters, grads, v, s, t), dict(kwargs)))
    return cases


# ---------------------------------------------------------------------------------------------
# Mini-batches


_PUBLIC_MINI_BATCHES = (12, 148, 64)
"""(n_x, m, mini_batch_size) of the notebook's public example: never drawn as a hidden case."""


def _examples(
    rng: np.random.Generator, n_x: int, m: int, *, real_targets: bool = False
) -> tuple[Array, Array]:
    """X (n_x, m) with distinct columns and Y (1, m): 0/1 labels, or real-valued targets."""
    X = rng.standard_normal((n_x, m))
    if real_targets:
        return X, rng.standard_normal((1, m))
    Y = rng.integers(0, 2, size=(1, m)).astype(np.float64)
    return X, Y


def random_mini_batches_cases(rng: np.random.Generator) -> list[Case]:
    """Short last batches, exact multiples, one short batch only, batches of one, the defaults."""
    cases = []
    size = _size(rng, 4, 12)
    m = size * _size(rng, 2, 5) + _size(rng, 1, size - 1)
    X, Y = _examples(rng, _size(rng, 2, 8), m)
    cases.append(Case("short last batch", (X, Y, size, int(rng.integers(1, 10_000)))))
    size = _size(rng, 3, 10)
    X, Y = _examples(rng, _size(rng, 2, 8), size * _size(rng, 2, 6))
    cases.append(Case("m a multiple of the batch size", (X, Y, size, int(rng.integers(1, 10_000)))))
    size = _size(rng, 16, 32)
    X, Y = _examples(rng, _size(rng, 2, 6), _size(rng, 3, size - 1))
    cases.append(Case("fewer examples than one batch", (X, Y, size, int(rng.integers(1, 10_000)))))
    X, Y = _examples(rng, _size(rng, 2, 5), _size(rng, 5, 12))
    cases.append(Case("batches of one example", (X, Y, 1, int(rng.integers(1, 10_000)))))
    m = 64 * _size(rng, 1, 3) + _size(rng, 1, 63)
    n_x = _size(rng, 2, 11)
    if (n_x, m) == _PUBLIC_MINI_BATCHES[:2]:
        m += 1
    X, Y = _examples(rng, n_x, m)
    cases.append(Case("default batch size 64", (X, Y), {"seed": int(rng.integers(1, 10_000))}))
    size = _size(rng, 5, 15)
    X, Y = _examples(rng, _size(rng, 2, 6), size * _size(rng, 2, 4) + _size(rng, 1, size - 1))
    cases.append(Case("default seed 0", (X, Y, size)))
    size = _size(rng, 4, 10)
    X, Y = _examples(
        rng, _size(rng, 2, 6), size * _size(rng, 2, 4) + _size(rng, 1, size - 1), real_targets=True
    )
    cases.append(Case("real-valued targets", (X, Y, size, int(rng.integers(1, 10_000)))))
    return cases


def _mini_batches_spec(X: Array, Y: Array, mini_batch_size: int = 64, seed: int = 0) -> dict[str, object]:
    """What the comparer needs: the inputs and the reference's batches (same seed, same draws)."""
    batches = opt.random_mini_batches(X, Y, mini_batch_size, seed)
    return {"X": X, "Y": Y, "mini_batch_size": int(mini_batch_size), "batches": batches}


def _column_key(column: AnyArray) -> bytes:
    return np.ascontiguousarray(column, dtype=np.float64).tobytes()


def compare_mini_batches(expected: object, actual: object) -> Verdict:
    """Judge a list of (mini_batch_X, mini_batch_Y): partition invariants first, then the order.

    The batches must be floor(m / size) full ones followed by one short batch of m % size
    examples (none when m is a multiple); every column of X must appear exactly once, with its
    own column of Y beside it; and the order must be the one np.random.seed(seed) followed by
    np.random.permutation(m) gives, as in the course.
    """
    assert isinstance(expected, dict)
    X: Array = expected["X"]
    Y: Array = expected["Y"]
    size = int(expected["mini_batch_size"])
    want: list[tuple[Array, Array]] = expected["batches"]
    n_x, m = X.shape
    n_y = Y.shape[0]
    if not isinstance(actual, list | tuple):
        return Verdict(
            False, f"mini_batches: is {describe(actual)}; expected a list of (mini_batch_X, mini_batch_Y)"
        )
    full, rest = divmod(m, size)
    if len(actual) != len(want):
        hint = ""
        if rest and len(actual) == full:
            hint = (
                ": the last, short mini-batch is missing; when m is not a multiple of mini_batch_size "
                "the remaining m % mini_batch_size examples form one more batch"
            )
        elif not rest and len(actual) == full + 1:
            hint = ": m is a multiple of mini_batch_size here, so there is no short batch (not even empty)"
        return Verdict(False, f"mini_batches: has {len(actual)} batches; expected {len(want)}{hint}")
    lookup: dict[bytes, int] = {_column_key(X[:, j]): j for j in range(m)}
    seen: list[int] = []
    for k, batch in enumerate(actual):
        where = f"mini_batches[{k}]"
        if not isinstance(batch, list | tuple) or len(batch) != 2:
            return Verdict(
                False, f"{where}: is {describe(batch)}; expected a pair (mini_batch_X, mini_batch_Y)"
            )
        batch_X, batch_Y = batch
        count = size if k < full else rest
        for name, value, rows in (("mini_batch_X", batch_X, n_x), ("mini_batch_Y", batch_Y, n_y)):
            if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
                return Verdict(False, f"{where} ({name}): is {describe(value)}; expected an array")
            if value.shape != (rows, count):
                order = "full batches first, then the short one" if rest else "every batch full"
                return Verdict(
                    False,
                    f"{where} ({name}): has shape {value.shape}; expected {(rows, count)} ({order}; "
                    "examples are columns)",
                )
        for j in range(count):
            index = lookup.get(_column_key(batch_X[:, j]))
            if index is None:
                return Verdict(
                    False,
                    f"{where} (mini_batch_X): holds a column that is not a column of X; shuffle whole "
                    "columns (X[:, permutation]), not rows or entries",
                )
            if not np.array_equal(np.asarray(batch_Y[:, j], dtype=np.float64), Y[:, index]):
                return Verdict(
                    False,
                    f"{where}: the columns of X and Y do not move together; shuffle both with the same "
                    "permutation so that each example keeps its label",
                )
            seen.append(index)
    if len(set(seen)) != m:
        return Verdict(
            False,
            f"mini_batches: {m - len(set(seen))} examples are missing and others appear twice; every "
            "example must be in exactly one batch",
        )
    want_order = [lookup[_column_key(batch_X[:, j])] for batch_X, _ in want for j in range(batch_X.shape[1])]
    if seen != want_order:
        return Verdict(
            False,
            "mini_batches: the batches partition the examples correctly but in another order than the "
            "course's: call np.random.seed(seed) first, then draw ONE permutation with "
            "np.random.permutation(m) and use it for both X and Y",
        )
    return Verdict(True, "")


# ---------------------------------------------------------------------------------------------
# Learning-rate decay


def update_lr_cases(rng: np.random.Generator) -> list[Case]:
    """Epoch 0, the first epochs, many epochs, fractional and large decay rates."""
    return [
        Case("epoch 0", (float(rng.uniform(0.01, 1.0)), 0, float(rng.uniform(0.5, 3.0)))),
        Case("first epochs", (float(rng.uniform(0.01, 1.0)), _size(rng, 1, 9), float(rng.uniform(0.5, 2.0)))),
        Case(
            "many epochs",
            (float(rng.uniform(0.01, 1.0)), _size(rng, 100, 5000), float(rng.uniform(0.5, 2.0))),
        ),
        Case(
            "fractional decay rate",
            (float(rng.uniform(0.01, 1.0)), _size(rng, 2, 50), float(rng.uniform(0.01, 0.3))),
        ),
        Case(
            "large decay rate",
            (float(rng.uniform(0.01, 1.0)), _size(rng, 2, 20), float(rng.uniform(5.0, 20.0))),
        ),
    ]


def _between_multiples(rng: np.random.Generator, interval: int, low: int, high: int) -> int:
    """An epoch in [low * interval, high * interval) that is not a multiple of ``interval``."""
    return _size(rng, low, high - 1) * interval + _size(rng, 1, interval - 1)


def schedule_lr_decay_cases(rng: np.random.Generator) -> list[Case]:
    """Epochs before the first interval, on a boundary, between boundaries; the default interval."""

    def lr0() -> float:
        return float(rng.uniform(0.01, 1.0))

    cases = []
    interval = _size(rng, 20, 200)
    cases.append(
        Case(
            "before the first interval",
            (lr0(), _size(rng, 1, interval - 1), float(rng.uniform(0.5, 2)), interval),
        )
    )
    interval = _size(rng, 10, 100)
    cases.append(
        Case(
            "on an interval boundary",
            (lr0(), interval * _size(rng, 1, 9), float(rng.uniform(0.5, 2)), interval),
        )
    )
    interval = _size(rng, 10, 100)
    epoch = _between_multiples(rng, interval, 1, 20)
    cases.append(Case("between interval boundaries", (lr0(), epoch, float(rng.uniform(0.5, 2)), interval)))
    epoch = _between_multiples(rng, 1000, 1, 9)
    cases.append(Case("default interval 1000", (lr0(), epoch, float(rng.uniform(0.5, 2)))))
    interval = _size(rng, 2, 9)
    epoch = _between_multiples(rng, interval, 3, 40)
    cases.append(Case("short interval", (lr0(), epoch, float(rng.uniform(0.1, 2)), interval)))
    interval = _size(rng, 10, 100)
    epoch = _between_multiples(rng, interval, 2, 30)
    cases.append(Case("fractional decay rate", (lr0(), epoch, float(rng.uniform(0.01, 0.3)), interval)))
    return cases


# ---------------------------------------------------------------------------------------------
# The checks


def checks() -> list[CheckDef]:
    """The hidden checks of the optimization assignment, in the notebook's order."""
    state = ("parameters",)
    return [
        CheckDef(
            name="optimization.update_parameters_with_gd",
            function="update_parameters_with_gd",
            reference=opt.update_parameters_with_gd,
            make_cases=update_parameters_with_gd_cases,
            description="one gradient-descent step on every W and b",
            args=("parameters", "grads", "learning_rate"),
            output="parameters",
        ),
        CheckDef(
            name="optimization.random_mini_batches",
            function="random_mini_batches",
            reference=_mini_batches_spec,
            make_cases=random_mini_batches_cases,
            description="shuffled mini-batches (seeded permutation), full batches then a short one",
            args=("X", "Y", "mini_batch_size", "seed"),
            output="mini_batches",
            comparer=compare_mini_batches,
        ),
        CheckDef(
            name="optimization.initialize_velocity",
            function="initialize_velocity",
            reference=opt.initialize_velocity,
            make_cases=initializer_cases,
            description="zero velocities dW1, db1, ... shaped like the parameters",
            args=state,
            output="v",
        ),
        CheckDef(
            name="optimization.update_parameters_with_momentum",
            function="update_parameters_with_momentum",
            reference=opt.update_parameters_with_momentum,
            make_cases=update_parameters_with_momentum_cases,
            description="one momentum step: the new velocity and the parameters moved along it",
            args=("parameters", "grads", "v", "beta", "learning_rate"),
            output=("parameters", "v"),
        ),
        CheckDef(
            name="optimization.initialize_rmsprop",
            function="initialize_rmsprop",
            reference=opt.initialize_rmsprop,
            make_cases=initializer_cases,
            description="zero squared-gradient averages dW1, db1, ... shaped like the parameters",
            args=state,
            output="s",
        ),
        CheckDef(
            name="optimization.update_parameters_with_rmsprop",
            function="update_parameters_with_rmsprop",
            reference=opt.update_parameters_with_rmsprop,
            make_cases=update_parameters_with_rmsprop_cases,
            description="one RMSProp step: the new average of squared gradients and the scaled update",
            args=("parameters", "grads", "s", "beta", "learning_rate", "epsilon"),
            output=("parameters", "s"),
        ),
        CheckDef(
            name="optimization.initialize_adam",
            function="initialize_adam",
            reference=opt.initialize_adam,
            make_cases=initializer_cases,
            description="Adam's zero moment estimates v and s shaped like the parameters",
            args=state,
            output=("v", "s"),
        ),
        CheckDef(
            name="optimization.update_parameters_with_adam",
            function="update_parameters_with_adam",
            reference=opt.update_parameters_with_adam,
            make_cases=update_parameters_with_adam_cases,
            description="one Adam step with bias-corrected moments",
            args=("parameters", "grads", "v", "s", "t", "learning_rate", "beta1", "beta2", "epsilon"),
            output=("parameters", "v", "s", "v_corrected", "s_corrected"),
        ),
        CheckDef(
            name="optimization.update_lr",
            function="update_lr",
            reference=opt.update_lr,
            make_cases=update_lr_cases,
            description="inverse-time decay learning_rate0 / (1 + decay_rate * epoch_num)",
            args=("learning_rate0", "epoch_num", "decay_rate"),
            output="learning_rate",
        ),
        CheckDef(
            name="optimization.schedule_lr_decay",
            function="schedule_lr_decay",
            reference=opt.schedule_lr_decay,
            make_cases=schedule_lr_decay_cases,
            description="inverse-time decay applied once every time_interval epochs (floor)",
            args=("learning_rate0", "epoch_num", "decay_rate", "time_interval"),
            output="learning_rate",
        ),
    ]
