"""Hidden checks of the "regularization" assignment: the L2 penalty and inverted dropout.

The network is the course's LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID classifier.
Every case draws its sizes (n_x, n_1, n_2, m) per grading seed, with a single example, isolating
values of ``lambd`` (0, large) and of ``keep_prob`` (1, small, the default 0.5). Caches handed to
backward functions come from a real reference forward pass, so any correct formula passes.

Dropout is random, and the course seeds numpy's global generator inside the function, which ties
the answer to the order of the random calls. The forward check therefore judges invariants
instead of exact masks: the masks D1, D2 read from the student's own cache must hold only 0 and
1 and have the right shapes, everything else in the cache and A3 must be the reference forward
pass run THROUGH THOSE MASKS, and the share of kept units must be close to ``keep_prob`` (a
binomial bound; one family is large enough to tell ``rand < keep_prob`` from ``randn`` or
``>``). The backward check is exact: the masks are in the cache it receives.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from grader.cases.checkdef import Case, CheckDef
from grader.compare import Verdict, compare, describe
from reference import regularization as reg
from reference.arraytypes import AnyArray, Array, Params
from reference.checks.regularization import forward_with_masks

GRADIENT_NAMES = ("dZ3", "dW3", "db3", "dA2", "dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1")
CACHE_NAMES = ("Z1", "D1", "A1", "W1", "b1", "Z2", "D2", "A2", "W2", "b2", "Z3", "A3", "W3", "b3")
"""The positions of the dropout cache, for feedback."""

KEEP_SIGMAS = 5.0
"""The kept share of mask entries may be this many binomial standard deviations from keep_prob
(a correct implementation fails one case about once in 1.7 million)."""

KEEP_SLACK = 0.005
"""Plus this much, for generators whose draws are not exactly uniform on [0, 1)."""


# ---------------------------------------------------------------------------------------------
# Drawing inputs


def _size(rng: np.random.Generator, low: int, high: int, avoid: Sequence[int] = ()) -> int:
    """A size in [low, high], different from every size in ``avoid`` when the range allows it."""
    choices = [n for n in range(low, high + 1) if n not in avoid] or list(range(low, high + 1))
    return int(rng.choice(choices))


def labels(rng: np.random.Generator, m: int) -> Array:
    """Y (1, m) of 0.0/1.0 with both labels present when m >= 2."""
    Y = rng.integers(0, 2, size=(1, m))
    if m >= 2:
        Y[0, 0], Y[0, 1] = 0, 1
        Y = Y[:, rng.permutation(m)]
    out: Array = Y.astype(np.float64)
    return out


def problem(rng: np.random.Generator, n_x: int, n_1: int, n_2: int, m: int) -> tuple[Array, Array, Params]:
    """X (n_x, m), Y (1, m) and parameters of the 3-layer net, weights scaled by 1/sqrt(fan-in)
    so that the sigmoid output stays well inside (0, 1) at every size."""
    X = rng.standard_normal((n_x, m))
    dims = (n_x, n_1, n_2, 1)
    parameters: Params = {}
    for layer in (1, 2, 3):
        W: Array = rng.standard_normal((dims[layer], dims[layer - 1])) * (1.5 / np.sqrt(dims[layer - 1]))
        b: Array = 0.3 * rng.standard_normal((dims[layer], 1))
        parameters[f"W{layer}"] = W
        parameters[f"b{layer}"] = b
    return X, labels(rng, m), parameters


def _sizes(rng: np.random.Generator, family: str) -> tuple[int, int, int, int]:
    """(n_x, n_1, n_2, m) for a named kind of net; the layer sizes differ from one another."""
    if family == "single example":
        n_x = _size(rng, 2, 5)
        n_1 = _size(rng, 3, 7, avoid=(n_x,))
        return n_x, n_1, _size(rng, 2, 5, avoid=(n_x, n_1)), 1
    if family == "wide":
        n_x = _size(rng, 2, 6)
        return n_x, _size(rng, 15, 30), _size(rng, 8, 14), _size(rng, 40, 80)
    if family == "large":
        return _size(rng, 2, 4), _size(rng, 40, 60), _size(rng, 20, 30), _size(rng, 120, 200)
    n_x = _size(rng, 2, 5)
    n_1 = _size(rng, 4, 9, avoid=(n_x,))
    n_2 = _size(rng, 2, 6, avoid=(n_x, n_1))
    return n_x, n_1, n_2, _size(rng, 6, 20, avoid=(n_x, n_1, n_2))


# ---------------------------------------------------------------------------------------------
# L2 regularization


def cost_cases(rng: np.random.Generator) -> list[Case]:
    """(A3, Y, parameters, lambd) with A3 from a reference forward pass."""
    cases = []
    for family, kind, lambd in [
        ("typical net", "typical", float(rng.uniform(0.1, 1.0))),
        ("single example", "single example", float(rng.uniform(0.1, 1.0))),
        ("lambd = 0 (no penalty)", "typical", 0.0),
        ("large lambd", "typical", float(rng.uniform(5.0, 20.0))),
        ("wide layers", "wide", float(rng.uniform(0.05, 0.5))),
    ]:
        X, Y, parameters = problem(rng, *_sizes(rng, kind))
        A3, _ = reg.forward_propagation(X, parameters)
        cases.append(Case(family, (A3, Y, parameters, lambd)))
    return cases


def backward_cases(rng: np.random.Generator) -> list[Case]:
    """(X, Y, cache, lambd) with the 12-tuple cache of a reference forward pass."""
    cases = []
    for family, kind, lambd in [
        ("typical net", "typical", float(rng.uniform(0.1, 1.0))),
        ("single example", "single example", float(rng.uniform(0.1, 1.0))),
        ("lambd = 0 (plain gradients)", "typical", 0.0),
        ("large lambd", "typical", float(rng.uniform(5.0, 20.0))),
        ("wide layers", "wide", float(rng.uniform(0.05, 0.5))),
    ]:
        X, Y, parameters = problem(rng, *_sizes(rng, kind))
        _, cache = reg.forward_propagation(X, parameters)
        cases.append(Case(family, (X, Y, cache, lambd)))
    return cases


# ---------------------------------------------------------------------------------------------
# Dropout


def _dropout_families(rng: np.random.Generator) -> list[tuple[str, str, float | None]]:
    """(family, kind of net, keep_prob or None for the default 0.5).

    keep_prob avoids the region near 0.8 where P(randn < p) is close to p, so that the large
    family tells ``randn`` masks from ``rand`` ones, and avoids 0.5 except in the default family
    (there ``rand > p`` keeps the same share as ``rand < p``).
    """
    return [
        ("typical net", "typical", float(rng.uniform(0.55, 0.7))),
        ("single example", "single example", float(rng.uniform(0.6, 0.9))),
        ("default keep_prob", "typical", None),
        ("keep_prob = 1 (nothing dropped)", "typical", 1.0),
        ("small keep_prob", "wide", float(rng.uniform(0.2, 0.35))),
        ("large layers", "large", float(rng.uniform(0.6, 0.7))),
    ]


def dropout_forward_cases(rng: np.random.Generator) -> list[Case]:
    """(X, parameters[, keep_prob]) in six families; the default keep_prob is left out once."""
    cases = []
    for family, kind, keep_prob in _dropout_families(rng):
        X, _, parameters = problem(rng, *_sizes(rng, kind))
        args: tuple[object, ...] = (X, parameters) if keep_prob is None else (X, parameters, keep_prob)
        cases.append(Case(family, args))
    return cases


def dropout_backward_cases(rng: np.random.Generator) -> list[Case]:
    """(X, Y, cache, keep_prob) with the 14-tuple cache of a reference dropout pass whose masks
    are drawn from the case's generator."""
    cases = []
    for family, kind, keep_prob in [
        ("typical net", "typical", float(rng.uniform(0.55, 0.9))),
        ("single example", "single example", float(rng.uniform(0.6, 0.9))),
        ("keep_prob = 0.5", "typical", 0.5),
        ("keep_prob = 1 (nothing dropped)", "typical", 1.0),
        ("small keep_prob", "typical", float(rng.uniform(0.2, 0.35))),
        ("wide layers", "wide", float(rng.uniform(0.6, 0.9))),
    ]:
        X, Y, parameters = problem(rng, *_sizes(rng, kind))
        _, cache = reg.forward_propagation_with_dropout(X, parameters, keep_prob, rng=rng)
        cases.append(Case(family, (X, Y, cache, keep_prob)))
    return cases


def _dropout_forward_spec(X: Array, parameters: Params, keep_prob: float = 0.5) -> dict[str, object]:
    """What the comparer needs to judge a dropout forward pass: the inputs themselves.

    The answer depends on the masks the student drew, so there is no single expected output;
    ``compare_dropout_forward`` replays the reference through the student's masks.
    """
    return {"X": X, "parameters": parameters, "keep_prob": float(keep_prob)}


def _as_mask(value: object, shape: tuple[int, int], name: str) -> tuple[AnyArray | None, str]:
    """The mask as an array when it has ``shape`` and holds only 0 and 1, else a message."""
    if not isinstance(value, np.ndarray):
        return None, f"cache[{CACHE_NAMES.index(name)}] ({name}) is {describe(value)}; expected a mask array"
    if value.shape != shape:
        return None, (
            f"cache[{CACHE_NAMES.index(name)}] ({name}) has shape {value.shape}; "
            f"expected {shape}, the shape of the activations it masks"
        )
    if value.dtype.kind not in "biuf":
        return None, f"{name} has dtype {value.dtype}; expected numbers 0 and 1"
    numbers = value.astype(np.float64)
    if not np.all((numbers == 0.0) | (numbers == 1.0)):
        return None, (
            f"{name} holds values other than 0 and 1: a mask keeps (1) or drops (0) each unit, "
            "e.g. (np.random.rand(...) < keep_prob).astype(int)"
        )
    return value, ""


def compare_dropout_forward(expected: object, actual: object) -> Verdict:
    """Judge ``(A3, cache)`` from a dropout forward pass against the inputs in ``expected``.

    The masks come from the student's cache; given them, A3 and every cache entry must be the
    reference's, and the kept share must be within KEEP_SIGMAS binomial deviations of keep_prob.
    """
    assert isinstance(expected, dict)
    X: Array = expected["X"]
    parameters: Params = expected["parameters"]
    keep_prob = float(expected["keep_prob"])
    if not isinstance(actual, tuple | list) or len(actual) != 2:
        return Verdict(False, f"output: is {describe(actual)}; expected a tuple of 2 values (A3, cache)")
    A3, cache = actual
    if not isinstance(cache, tuple | list) or len(cache) != len(CACHE_NAMES):
        return Verdict(
            False,
            f"cache: is {describe(cache)}; expected a tuple of 14 values ({', '.join(CACHE_NAMES)})",
        )
    m = X.shape[1]
    n_1, n_2 = parameters["W1"].shape[0], parameters["W2"].shape[0]
    D1, problem1 = _as_mask(cache[1], (n_1, m), "D1")
    D2, problem2 = _as_mask(cache[6], (n_2, m), "D2")
    if D1 is None or D2 is None:
        return Verdict(False, "; ".join(p for p in (problem1, problem2) if p))
    want_A3, want_cache = forward_with_masks(X, parameters, D1, D2, keep_prob)
    verdict = compare((want_A3, want_cache), (A3, tuple(cache)), names=("A3", "cache"))
    if not verdict.passed:
        return Verdict(False, verdict.message + _scaling_hint(X, parameters, D1, keep_prob, cache[2]))
    kept = float(np.count_nonzero(D1) + np.count_nonzero(D2))
    total = D1.size + D2.size
    share = kept / total
    allowed = KEEP_SIGMAS * math.sqrt(keep_prob * (1.0 - keep_prob) / total) + KEEP_SLACK
    if abs(share - keep_prob) > allowed:
        return Verdict(
            False,
            f"the masks keep {100 * share:.0f}% of the units, far from keep_prob: keep each unit "
            "independently with probability keep_prob, where np.random.rand(...) < keep_prob",
        )
    return Verdict(True, "")


def _scaling_hint(X: Array, parameters: Params, D1: AnyArray, keep_prob: float, A1: object) -> str:
    """A hint when A1 is the masked activation without the 1/keep_prob scaling."""
    if keep_prob == 1.0 or not isinstance(A1, np.ndarray):
        return ""
    unscaled: Array = np.maximum(parameters["W1"] @ X + parameters["b1"], 0.0) * D1
    if A1.shape == unscaled.shape and np.allclose(A1, unscaled, rtol=1e-6, atol=1e-9):
        return " (A1 is relu(Z1) * D1 without the division by keep_prob)"
    return ""


def _backward_with_dropout(X: Array, Y: Array, cache: reg.DropoutCache, keep_prob: float) -> Params:
    return reg.backward_propagation_with_dropout(X, Y, cache, keep_prob)


# ---------------------------------------------------------------------------------------------
# The checks


def checks() -> list[CheckDef]:
    """The hidden checks of the regularization assignment, in the notebook's order."""
    return [
        CheckDef(
            name="regularization.compute_cost_with_regularization",
            function="compute_cost_with_regularization",
            reference=reg.compute_cost_with_regularization,
            make_cases=cost_cases,
            description="cross-entropy plus lambd / (2m) times the sum of the squared weights",
            args=("A3", "Y", "parameters", "lambd"),
            output="cost",
        ),
        CheckDef(
            name="regularization.backward_propagation_with_regularization",
            function="backward_propagation_with_regularization",
            reference=reg.backward_propagation_with_regularization,
            make_cases=backward_cases,
            description="gradients of the L2-regularized cost: each dW gains lambd / m * W",
            args=("X", "Y", "cache", "lambd"),
            output="gradients",
            allow_extra_keys=True,
        ),
        CheckDef(
            name="regularization.forward_propagation_with_dropout",
            function="forward_propagation_with_dropout",
            reference=_dropout_forward_spec,
            make_cases=dropout_forward_cases,
            description=(
                "inverted dropout on both hidden layers: 0/1 masks kept with probability keep_prob, "
                "activations divided by keep_prob, the 14-entry cache consistent with the masks"
            ),
            args=("X", "parameters", "keep_prob"),
            output=("A3", "cache"),
            comparer=compare_dropout_forward,
        ),
        CheckDef(
            name="regularization.backward_propagation_with_dropout",
            function="backward_propagation_with_dropout",
            reference=_backward_with_dropout,
            make_cases=dropout_backward_cases,
            description="gradients through the cached dropout masks, scaled by 1/keep_prob",
            args=("X", "Y", "cache", "keep_prob"),
            output="gradients",
            allow_extra_keys=True,
        ),
    ]
