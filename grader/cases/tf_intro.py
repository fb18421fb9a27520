"""Hidden checks of the TensorFlow introduction.

Students write their functions with TensorFlow; what they return (tensors, variables, dicts of
variables) reaches the grader as numpy arrays (``grader.plaindata.from_framework``), which are
compared with the float64 numpy reference in ``reference/tf_intro.py`` under float32 tolerances.
Inputs are float32 arrays, as the course's tensors are.

- ``linear_function`` seeds numpy's global generator itself: one case, reproduced exactly.
- ``sigmoid`` gets numbers, vectors, matrices and large magnitudes.
- ``one_hot_matrix`` gets single labels (a vector of depth C) and vectors of labels (a (C, m)
  matrix, classes down the first axis), with depths drawn per seed.
- ``initialize_parameters`` cannot be reproduced outside TensorFlow (its seeded generator is
  TensorFlow's own), so its comparer checks the names and shapes, then that each variable looks
  like a Glorot normal draw: within the truncation bound and with the right spread.
- ``forward_propagation`` and ``compute_total_loss`` get networks and batches of drawn sizes,
  including the course's 12288-25-12-6 network and a single example.
"""

from __future__ import annotations

import math

import numpy as np

from grader.cases.checkdef import Case, CheckDef
from grader.compare import Verdict, describe
from reference import tf_intro as ref
from reference.arraytypes import AnyArray, Array, Params

RTOL = 1e-4
"""float32 arithmetic against a float64 reference: about 1e-7 per operation, summed over a layer."""

ATOL = 1e-5

_F32 = np.float32

_KURTOSIS_MIN_SIZE = 5000
"""Variables at least this large (W1) also have their distribution's shape checked (its kurtosis,
known to within about 0.02 from that many draws)."""


def _f32(array: AnyArray) -> AnyArray:
    return np.asarray(array, dtype=_F32)


# ---------------------------------------------------------------------------------------------
# Cases


def linear_function_cases(rng: np.random.Generator) -> list[Case]:
    """One call: the function seeds numpy's generator itself, so every call returns the same."""
    return [Case("seeded with 1", ())]


def sigmoid_cases(rng: np.random.Generator) -> list[Case]:
    """Numbers, a vector, a matrix, large magnitudes and exact zeros."""
    return [
        Case("a Python number", (float(np.round(rng.uniform(-4, 4), 3)),)),
        Case("a vector", (_f32(rng.uniform(-6, 6, int(rng.integers(3, 9)))),)),
        Case(
            "a matrix", (_f32(rng.standard_normal((int(rng.integers(2, 5)), int(rng.integers(5, 9)))) * 3),)
        ),
        Case("large magnitudes", (_f32(rng.choice([-1.0, 1.0], 6) * rng.uniform(20, 60, 6)),)),
        Case("zeros", (np.zeros((int(rng.integers(2, 5)), 1), dtype=_F32),)),
    ]


def one_hot_matrix_cases(rng: np.random.Generator) -> list[Case]:
    """Single labels (a vector of depth C) and vectors of labels (a (C, m) matrix)."""
    depth = int(rng.integers(3, 11))
    other = int(rng.choice([c for c in range(3, 11) if c != depth]))
    m = int(rng.choice([n for n in range(3, 9) if n not in (depth, other, 6)]))
    return [
        Case("a single label", (int(rng.integers(1, depth - 1)),), {"C": depth}),
        Case("the last class", (other - 1,), {"C": other}),
        Case("several labels", (rng.integers(0, depth, m).astype(np.int64),), {"C": depth}),
        Case("several labels, default depth 6", (rng.integers(0, 6, m + 1).astype(np.int64),)),
        Case("one label repeated", (np.full(m, int(rng.integers(0, other)), dtype=np.int64),), {"C": other}),
    ]


def initialize_parameters_cases(rng: np.random.Generator) -> list[Case]:
    """One call: the shapes are the course's, the values come from TensorFlow's seeded generator."""
    return [Case("the course's 12288-25-12-6 network", ())]


def _network(rng: np.random.Generator, dims: list[int], *, shift: float = 0.0) -> Params:
    """Float32 parameters with Glorot-sized weights and biases offset by ``shift``."""
    params: Params = {}
    for layer in range(1, len(dims)):
        shape = (dims[layer], dims[layer - 1])
        params[f"W{layer}"] = _f32(rng.standard_normal(shape) * ref.glorot_normal_stddev(shape))
        params[f"b{layer}"] = _f32(rng.standard_normal((dims[layer], 1)) * 0.5 + shift)
    return params


def forward_propagation_cases(rng: np.random.Generator) -> list[Case]:
    """Networks of drawn sizes, a single example, the course's sizes and mostly inactive ReLUs."""
    cases = []
    for family, n_x, m in (
        ("single example", int(rng.integers(4, 12)), 1),
        ("batch of examples", int(rng.integers(5, 15)), int(rng.integers(6, 20))),
        ("wide input", int(rng.integers(100, 300)), int(rng.integers(3, 8))),
    ):
        dims = [n_x, int(rng.integers(4, 10)), int(rng.integers(3, 8)), int(rng.integers(2, 7))]
        X = _f32(rng.uniform(0, 1, (n_x, m)))
        cases.append(Case(family, (X, _network(rng, dims))))
    m = int(rng.integers(2, 5))
    course = [12288, 25, 12, 6]
    cases.append(
        Case(
            "the course's 12288-25-12-6 network", (_f32(rng.uniform(0, 1, (12288, m))), _network(rng, course))
        )
    )
    n_x = int(rng.integers(5, 10))
    dims = [n_x, int(rng.integers(6, 10)), int(rng.integers(4, 8)), 3]
    X = _f32(rng.standard_normal((n_x, int(rng.integers(5, 12)))))
    cases.append(Case("mostly inactive ReLU units", (X, _network(rng, dims, shift=-1.0))))
    return cases


def _labels(rng: np.random.Generator, C: int, m: int) -> AnyArray:
    return _f32(ref.one_hot_matrix(rng.integers(0, C, m).astype(np.int64), C))


def compute_total_loss_cases(rng: np.random.Generator) -> list[Case]:
    """Logits and one-hot labels (C, m), with C != m so that a transposition shows."""
    cases = []
    for family, C, m, scale in (
        ("single example", int(rng.integers(3, 8)), 1, 2.0),
        ("six classes", 6, int(rng.integers(7, 15)), 2.0),
        ("two classes", 2, int(rng.integers(4, 9)), 1.5),
        ("many examples", int(rng.integers(3, 6)), int(rng.integers(30, 60)), 2.0),
        ("confident logits", int(rng.integers(4, 8)), int(rng.integers(9, 14)), 12.0),
    ):
        logits = _f32(rng.standard_normal((C, m)) * scale)
        cases.append(Case(family, (logits, _labels(rng, C, m))))
    return cases


# ---------------------------------------------------------------------------------------------
# initialize_parameters: a Glorot normal draw, judged by its shape and spread


def _initialize_spec() -> dict[str, tuple[tuple[int, int], float, float]]:
    """name -> (shape, Glorot normal standard deviation, largest possible magnitude)."""
    return {
        name: (shape, ref.glorot_normal_stddev(shape), ref.glorot_normal_bound(shape))
        for name, shape in ref.PARAMETER_SHAPES.items()
    }


def _compare_initialization(expected: object, actual: object) -> Verdict:
    """Names and shapes exactly; values within the truncation bound and with a spread close to
    sqrt(2 / (fan_in + fan_out)) (allowing for the sample size); for large variables, the kurtosis
    of a truncated normal (a Glorot uniform or plain normal draw of the same spread fails)."""
    assert isinstance(expected, dict)
    if not isinstance(actual, dict):
        return Verdict(False, f"parameters is {describe(actual)}; expected a dict of six variables")
    missing = [k for k in expected if k not in actual]
    extra = [str(k) for k in actual if k not in expected]
    if missing or extra:
        parts = [f"missing keys {missing}"] if missing else []
        parts += [f"unexpected keys {extra}"] if extra else []
        return Verdict(False, f"parameters has {' and '.join(parts)}; expected {list(expected)}")
    for name, (shape, std, bound) in expected.items():
        value = actual[name]
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            return Verdict(False, f'parameters["{name}"] is {describe(value)}; expected a float tensor')
        if value.shape != shape:
            return Verdict(False, f'parameters["{name}"] has shape {value.shape}; expected {shape}')
        values = value.astype(np.float64)
        if not np.all(np.isfinite(values)):
            return Verdict(False, f'parameters["{name}"] has NaN or infinite entries')
        if np.max(np.abs(values)) > bound * (1 + 1e-5):
            return Verdict(
                False,
                f'parameters["{name}"] has entries too large for a Glorot normal initializer '
                "(use tf.keras.initializers.GlorotNormal(seed=1))",
            )
        spread = float(np.sqrt(np.mean(values**2)))
        # Relative error of a sample standard deviation: about 1 / sqrt(2 n); allow four of them.
        tolerance = 4.0 / math.sqrt(2.0 * values.size) + 0.02
        if abs(spread / std - 1.0) > tolerance:
            return Verdict(
                False,
                f'parameters["{name}"] does not look like a Glorot normal draw (its spread is '
                f"{spread / std:.2f} times the expected one; use GlorotNormal(seed=1) for every variable)",
            )
        if values.size >= _KURTOSIS_MIN_SIZE:
            kurtosis = float(np.mean(values**4) / np.mean(values**2) ** 2)
            if abs(kurtosis - ref.GLOROT_KURTOSIS) > 0.1:
                return Verdict(
                    False,
                    f'parameters["{name}"] does not have the shape of a Glorot normal draw (a normal '
                    "truncated at two standard deviations): use tf.keras.initializers.GlorotNormal(seed=1)",
                )
    return Verdict(True, "")


# ---------------------------------------------------------------------------------------------
# The checks


def _sigmoid(z: float | Array) -> Array:
    return ref.sigmoid(z)


def checks() -> list[CheckDef]:
    """The hidden checks of the TensorFlow introduction, in the notebook's order."""
    return [
        CheckDef(
            name="tf_intro.linear_function",
            function="linear_function",
            reference=ref.linear_function,
            make_cases=linear_function_cases,
            description="Y = W X + b with X (3, 1), W (4, 3), b (4, 1) drawn after np.random.seed(1)",
            args=(),
            output="Y",
            rtol=RTOL,
            atol=ATOL,
        ),
        CheckDef(
            name="tf_intro.sigmoid",
            function="sigmoid",
            reference=_sigmoid,
            make_cases=sigmoid_cases,
            description="the sigmoid of a number or a tensor, in float32",
            args=("z",),
            output="a",
            rtol=RTOL,
            atol=1e-6,
        ),
        CheckDef(
            name="tf_intro.one_hot_matrix",
            function="one_hot_matrix",
            reference=ref.one_hot_matrix,
            make_cases=one_hot_matrix_cases,
            description="one-hot encoding with the classes along the first axis",
            args=("label", "C"),
            output="one_hot",
            rtol=0.0,
            atol=1e-6,
        ),
        CheckDef(
            name="tf_intro.initialize_parameters",
            function="initialize_parameters",
            reference=_initialize_spec,
            make_cases=initialize_parameters_cases,
            description="six Glorot normal variables with the course's shapes",
            args=(),
            output="parameters",
            comparer=_compare_initialization,
        ),
        CheckDef(
            name="tf_intro.forward_propagation",
            function="forward_propagation",
            reference=ref.forward_propagation,
            make_cases=forward_propagation_cases,
            description="LINEAR -> RELU -> LINEAR -> RELU -> LINEAR logits",
            args=("X", "parameters"),
            output="Z3",
            rtol=RTOL,
            atol=1e-4,
        ),
        CheckDef(
            name="tf_intro.compute_total_loss",
            function="compute_total_loss",
            reference=ref.compute_total_loss,
            make_cases=compute_total_loss_cases,
            description="categorical cross-entropy from logits, summed over the examples",
            args=("logits", "labels"),
            output="total_loss",
            rtol=RTOL,
            atol=1e-4,
        ),
    ]
