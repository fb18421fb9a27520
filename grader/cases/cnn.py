"""Hidden checks of the "convolutional network, step by step" assignment (channels last).

Every graded function gets 5 to 8 randomized cases in named families. The convolution cases cover
pad 0, 1 and 2, stride 1, 2 and 3, filters of size 1, 2 and 3, odd and non-square images, single
examples and single channels; the pooling cases cover both modes with windows that tile the input,
overlap (stride < f), leave gaps (stride > f) or leave the last rows and columns uncovered. Sizes
are drawn per grading seed, so an answer hard-coded from the notebook's public examples fails.

Inputs stay small (at most 3 examples, 4 channels and about 8 x 8 outputs) because students write
these functions with four nested Python loops, as the course explains them: a loop solution
grades in a fraction of a second per function.

Caches handed to the backward functions come from a real reference forward pass. Max-pooling
inputs are continuous random numbers, so no window has a tied maximum in ``pool_backward`` (where
giving the gradient to one maximum or to all of them would both be defensible); only
``create_mask_from_window`` has a tie family, because its specification marks every maximum.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grader.cases.checkdef import Case, CheckDef
from reference import cnn
from reference.arraytypes import Array

# ---------------------------------------------------------------------------------------------
# Drawing inputs


def _size(rng: np.random.Generator, low: int, high: int, avoid: Sequence[int] = ()) -> int:
    """A size in [low, high], different from every size in ``avoid`` when the range allows it."""
    choices = [n for n in range(low, high + 1) if n not in avoid] or list(range(low, high + 1))
    return int(rng.choice(choices))


def _image(rng: np.random.Generator, m: int, n_H: int, n_W: int, n_C: int) -> Array:
    """A batch (m, n_H, n_W, n_C) of standard normal numbers."""
    images: Array = rng.standard_normal((m, n_H, n_W, n_C))
    return images


def _filters(rng: np.random.Generator, f: int, n_C_prev: int, n_C: int) -> tuple[Array, Array]:
    """W (f, f, n_C_prev, n_C) and b (1, 1, 1, n_C)."""
    W: Array = rng.standard_normal((f, f, n_C_prev, n_C))
    b: Array = rng.standard_normal((1, 1, 1, n_C))
    return W, b


# Convolution settings: (family, m, f, pad, stride, n_C_prev, n_C). Sizes come from the generator.
_CONV_FAMILIES: tuple[tuple[str, int | None, int, int, int, int | None, int | None], ...] = (
    ("3x3 filters, no padding, stride 1", None, 3, 0, 1, None, None),
    ("3x3 filters, pad 1, stride 1 (same size)", None, 3, 1, 1, None, None),
    ("3x3 filters, pad 2, stride 2", None, 3, 2, 2, None, None),
    ("2x2 filters, pad 1, stride 3", None, 2, 1, 3, None, None),
    ("1x1 filters, no padding, stride 2", None, 1, 0, 2, None, None),
    ("single example, one input channel, pad 2, stride 1", 1, 2, 2, 1, 1, None),
    ("3x3 filters, no padding, stride 3, one output channel", None, 3, 0, 3, None, 1),
)


def _conv_inputs(
    rng: np.random.Generator,
    m: int | None,
    f: int,
    pad: int,
    stride: int,
    n_C_prev: int | None,
    n_C: int | None,
) -> tuple[Array, Array, Array, dict[str, int]]:
    """A_prev, W, b and hparameters of one convolution; unset sizes are drawn, images non-square."""
    n_H_prev = _size(rng, max(3, f - 2 * pad), 8)
    n_W_prev = _size(rng, max(3, f - 2 * pad), 8, avoid=(n_H_prev,))
    m_ = m if m is not None else _size(rng, 2, 3)
    c_prev = n_C_prev if n_C_prev is not None else _size(rng, 2, 4)
    c = n_C if n_C is not None else _size(rng, 2, 4, avoid=(c_prev,))
    A_prev = _image(rng, m_, n_H_prev, n_W_prev, c_prev)
    W, b = _filters(rng, f, c_prev, c)
    return A_prev, W, b, {"pad": pad, "stride": stride}


# Pooling settings: (family, mode or None for the default, f, stride, m).
_POOL_FAMILIES: tuple[tuple[str, cnn.PoolMode | None, int, int, int | None], ...] = (
    ("max, 2x2 windows, stride 2 (odd sizes leave a row or column out)", "max", 2, 2, None),
    ("average, 2x2 windows, stride 2", "average", 2, 2, None),
    ("max, overlapping 3x3 windows, stride 1", "max", 3, 1, None),
    ("average, overlapping 3x3 windows, stride 2", "average", 3, 2, None),
    ("max, stride 3 larger than the 2x2 window", "max", 2, 3, None),
    ("average, single example, 3x3 windows, stride 3", "average", 3, 3, 1),
    ("default mode (max), 2x2 windows, stride 1", None, 2, 1, None),
)


def _pool_inputs(
    rng: np.random.Generator, f: int, stride: int, m: int | None, *, odd: bool = False
) -> tuple[Array, dict[str, int]]:
    """A_prev (m, n_H_prev, n_W_prev, n_C) with non-square sides that hold a window, and hparameters."""
    sides = [n for n in range(max(f, 3), 9) if not odd or n % 2 == 1]
    n_H_prev = int(rng.choice(sides))
    n_W_prev = int(rng.choice([n for n in sides if n != n_H_prev]))
    A_prev = _image(rng, m if m is not None else _size(rng, 2, 3), n_H_prev, n_W_prev, _size(rng, 1, 4))
    return A_prev, {"f": f, "stride": stride}


def _pool_case(family: str, mode: str | None, args: tuple[object, ...]) -> Case:
    """A pooling case; without a mode the call relies on the default mode="max"."""
    return Case(family, args if mode is None else (*args, mode))


# ---------------------------------------------------------------------------------------------
# Convolution


def zero_pad_cases(rng: np.random.Generator) -> list[Case]:
    """Padding of batches of several sizes with pad 0 to 3."""
    cases = []
    for family, pad, m, n_C in [
        ("pad 0 (unchanged)", 0, None, None),
        ("pad 1", 1, None, None),
        ("pad 2", 2, None, None),
        ("pad 3, single example", 3, 1, None),
        ("pad 1, one channel", 1, None, 1),
    ]:
        n_H = _size(rng, 2, 6)
        n_W = _size(rng, 2, 6, avoid=(n_H,))
        m_ = m if m is not None else _size(rng, 2, 4, avoid=(n_H, n_W))
        c = n_C if n_C is not None else _size(rng, 2, 4, avoid=(n_H, n_W, m_))
        cases.append(Case(family, (_image(rng, m_, n_H, n_W, c), pad)))
    return cases


def conv_single_step_cases(rng: np.random.Generator) -> list[Case]:
    """One window times one filter plus its bias, for several window sizes and channel counts."""
    cases = []
    for family, f, n_C_prev, zero_w, zero_b in [
        ("3x3 window, several channels", 3, _size(rng, 2, 4), False, False),
        ("1x1 window", 1, _size(rng, 2, 4), False, False),
        ("single channel", _size(rng, 2, 4), 1, False, False),
        ("zero filter (only the bias)", _size(rng, 2, 3), _size(rng, 2, 3), True, False),
        ("zero bias", _size(rng, 2, 3), _size(rng, 2, 4), False, True),
        ("5x5 window", 5, _size(rng, 2, 3), False, False),
    ]:
        a_slice_prev: Array = rng.standard_normal((f, f, n_C_prev))
        W: Array = np.zeros((f, f, n_C_prev)) if zero_w else rng.standard_normal((f, f, n_C_prev))
        b: Array = np.zeros((1, 1, 1)) if zero_b else rng.standard_normal((1, 1, 1))
        cases.append(Case(family, (a_slice_prev, W, b)))
    return cases


def conv_forward_cases(rng: np.random.Generator) -> list[Case]:
    """Convolutions with every pad in {0, 1, 2}, stride in {1, 2, 3} and filter size in {1, 2, 3}."""
    return [
        Case(family, _conv_inputs(rng, m, f, pad, stride, c_prev, c))
        for family, m, f, pad, stride, c_prev, c in _CONV_FAMILIES
    ]


def conv_backward_cases(rng: np.random.Generator) -> list[Case]:
    """The convolution families again, with dZ random and the cache from a reference forward pass."""
    cases = []
    for family, m, f, pad, stride, c_prev, c in _CONV_FAMILIES:
        A_prev, W, b, hparameters = _conv_inputs(rng, m, f, pad, stride, c_prev, c)
        Z, cache = cnn.conv_forward(A_prev, W, b, hparameters)
        dZ: Array = rng.standard_normal(Z.shape)
        cases.append(Case(family, (dZ, cache)))
    return cases


# ---------------------------------------------------------------------------------------------
# Pooling


def pool_forward_cases(rng: np.random.Generator) -> list[Case]:
    """Max and average pooling with tiling, overlapping, spaced and partly uncovering windows."""
    cases = []
    for index, (family, mode, f, stride, m) in enumerate(_POOL_FAMILIES):
        A_prev, hparameters = _pool_inputs(rng, f, stride, m, odd=index == 0)
        cases.append(_pool_case(family, mode, (A_prev, hparameters)))
    return cases


def create_mask_from_window_cases(rng: np.random.Generator) -> list[Case]:
    """Windows of several sizes; one has its maximum twice (both entries must be marked)."""
    cases = []
    for family, shape in [
        ("2x2 window", (2, 2)),
        ("3x3 window", (3, 3)),
        ("1x1 window", (1, 1)),
        ("4x4 window, all values negative", (4, 4)),
        ("2x3 window", (2, 3)),
    ]:
        x: Array = rng.standard_normal(shape)
        if "negative" in family:
            x = -np.abs(x) - 0.1
        cases.append(Case(family, (x,)))
    x = rng.standard_normal((3, 3))
    first, second = rng.choice(9, size=2, replace=False)
    x.flat[second] = x.flat[first] = np.max(x) + 0.5
    cases.append(Case("3x3 window with a tied maximum", (x,)))
    return cases


def distribute_value_cases(rng: np.random.Generator) -> list[Case]:
    """One gradient spread over square and non-square windows."""
    cases = []
    for family, shape in [
        ("2x2 window", (2, 2)),
        ("3x3 window", (3, 3)),
        ("1x1 window", (1, 1)),
        ("non-square 2x4 window", (2, 4)),
        ("non-square 5x3 window", (5, 3)),
    ]:
        dz = float(rng.uniform(0.5, 3.0) * rng.choice([-1.0, 1.0]))
        cases.append(Case(family, (dz, shape)))
    return cases


def pool_backward_cases(rng: np.random.Generator) -> list[Case]:
    """The pooling families again, with dA random and the cache from a reference forward pass."""
    cases = []
    for index, (family, mode, f, stride, m) in enumerate(_POOL_FAMILIES):
        A_prev, hparameters = _pool_inputs(rng, f, stride, m, odd=index == 0)
        A, cache = cnn.pool_forward(A_prev, hparameters, "max" if mode is None else mode)
        dA: Array = rng.standard_normal(A.shape)
        cases.append(_pool_case(family, mode, (dA, cache)))
    return cases


# ---------------------------------------------------------------------------------------------
# The checks


def checks() -> list[CheckDef]:
    """The hidden checks of the CNN assignment, in the notebook's order."""
    return [
        CheckDef(
            name="cnn.zero_pad",
            function="zero_pad",
            reference=cnn.zero_pad,
            make_cases=zero_pad_cases,
            description="zeros added around the height and width of every image and channel",
            args=("X", "pad"),
            output="X_pad",
        ),
        CheckDef(
            name="cnn.conv_single_step",
            function="conv_single_step",
            reference=cnn.conv_single_step,
            make_cases=conv_single_step_cases,
            description="sum(a_slice_prev * W) + b for one window, as a single number",
            args=("a_slice_prev", "W", "b"),
            output="Z",
        ),
        CheckDef(
            name="cnn.conv_forward",
            function="conv_forward",
            reference=cnn.conv_forward,
            make_cases=conv_forward_cases,
            description="the convolution Z with several pads, strides and filter sizes, and the cache",
            args=("A_prev", "W", "b", "hparameters"),
            output=("Z", "cache"),
        ),
        CheckDef(
            name="cnn.pool_forward",
            function="pool_forward",
            reference=cnn.pool_forward,
            make_cases=pool_forward_cases,
            description="max and average pooling with several window sizes and strides, and the cache",
            args=("A_prev", "hparameters", "mode"),
            output=("A", "cache"),
        ),
        CheckDef(
            name="cnn.conv_backward",
            function="conv_backward",
            reference=cnn.conv_backward,
            make_cases=conv_backward_cases,
            description="dA_prev, dW and db of a convolution with several pads and strides",
            args=("dZ", "cache"),
            output=("dA_prev", "dW", "db"),
        ),
        CheckDef(
            name="cnn.create_mask_from_window",
            function="create_mask_from_window",
            reference=cnn.create_mask_from_window,
            make_cases=create_mask_from_window_cases,
            description="True at every entry equal to the window's maximum, False elsewhere",
            args=("x",),
            output="mask",
        ),
        CheckDef(
            name="cnn.distribute_value",
            function="distribute_value",
            reference=cnn.distribute_value,
            make_cases=distribute_value_cases,
            description="an array of the window's shape filled with dz divided by its number of entries",
            args=("dz", "shape"),
            output="a",
        ),
        CheckDef(
            name="cnn.pool_backward",
            function="pool_backward",
            reference=cnn.pool_backward,
            make_cases=pool_backward_cases,
            description="dA_prev of max and average pooling, overlapping windows included",
            args=("dA", "cache", "mode"),
            output="dA_prev",
        ),
    ]
