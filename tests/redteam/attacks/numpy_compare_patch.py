"""Monkeypatching numpy's comparison functions so that every comparison in the student's process passes."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell

PATCH = """
import math
import operator

import numpy
import numpy as np
import numpy.testing

_true = lambda *args, **kwargs: True  # noqa: E731
_none = lambda *args, **kwargs: None  # noqa: E731
for _module in (np, numpy):
    _module.allclose = _true
    _module.array_equal = _true
    _module.array_equiv = _true
    _module.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
for _name in ("assert_allclose", "assert_array_equal", "assert_array_almost_equal", "assert_almost_equal",
              "assert_equal", "assert_array_less", "assert_approx_equal"):
    setattr(np.testing, _name, _none)
operator.eq = _true
math.isclose = _true
try:
    np.ndarray.__eq__ = lambda self, other: True  # a builtin type: refused
except TypeError:
    pass
import numpy._core.numeric as _numeric
_numeric.allclose = _true
_numeric.isclose = np.isclose
"""

ATTACK = Attack(
    name="numpy_compare_patch",
    summary="np.allclose/isclose/array_equal/testing.assert_* and operator.eq always succeed, "
    "patched before and after the answers",
    cells=(Cell(PATCH, after="start"), Cell(PATCH, after="end")),
)
