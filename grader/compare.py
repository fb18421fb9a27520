"""Comparing what a student's function returned with the reference output.

The comparison is structural first (type, tuple length, dict keys, exact shape, dtype kind) and
numerical last (entries within ``atol + rtol * |expected|``, NaN equal to NaN). The message is
written for the student: it names WHERE the problem is (``grads["dW2"]``, ``cache[0]``), what kind
of problem it is, how many entries are wrong and by how much, and may state the expected shape,
but it never prints hidden inputs or expected values.

``actual`` is usually plain data decoded from the sandbox (``grader.plaindata``), where anything
that could not be encoded arrives as an ``Unencodable`` marker. In-process (the instructor's own
Jupyter) it can be any object: the comparison never calls the object's own ``__eq__`` or ufunc
overrides, and it walks the EXPECTED structure, so its work is bounded by the reference output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reference.arraytypes import AnyArray

DEFAULT_RTOL = 1e-6
"""Relative tolerance: equivalent float64 formulas agree to ~1e-12; real mistakes differ by far more."""

DEFAULT_ATOL = 1e-9
"""Absolute tolerance, for entries whose expected value is (close to) zero."""

MAX_PROBLEMS = 3
"""How many separate problems a message lists before summarising the rest."""

MAX_DEPTH = 32
"""Nesting deeper than this in the expected output is not walked (no real output is this deep)."""


@dataclass(frozen=True)
class Verdict:
    """The result of one comparison: passed, and a message saying what is wrong (empty on success)."""

    passed: bool
    message: str = ""


def compare(
    expected: object,
    actual: object,
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    what: str = "output",
    names: Sequence[str] | None = None,
    allow_extra_keys: bool = False,
) -> Verdict:
    """Compare ``actual`` with ``expected`` and say what differs.

    ``what`` names the value in messages (``"output"``, ``"grads"``, ``"cost"``). ``names`` names
    the positions of an expected top-level tuple (``("dA_prev", "dW", "db")``) so that messages say
    ``dW`` instead of ``output[1]``. ``allow_extra_keys`` accepts dictionaries with keys beyond the
    expected ones. Lists and tuples are interchangeable (callers only unpack them).
    """
    walker = _Walker(rtol=rtol, atol=atol, allow_extra_keys=allow_extra_keys)
    walker.walk(expected, actual, what, names=tuple(names) if names else None, depth=0)
    problems = walker.problems
    if not problems:
        return Verdict(True, "")
    shown = problems[:MAX_PROBLEMS]
    message = "; ".join(shown)
    if len(problems) > MAX_PROBLEMS:
        rest = len(problems) - MAX_PROBLEMS
        message += f"; and {rest} more problem{'s' if rest > 1 else ''}"
    return Verdict(False, message)


# ---------------------------------------------------------------------------------------------
# Describing values without revealing them


def _unencodable_type(obj: object) -> str | None:
    """The type name carried by a ``plaindata.Unencodable`` marker, or None for anything else."""
    # Imported here, not at the top: plaindata is copied into the sandbox and must stay free of
    # grader imports, and in-process checks never need it.
    try:
        from grader import plaindata
    except ImportError:  # without plaindata no marker can exist
        return None
    if isinstance(obj, plaindata.Unencodable):
        return str(obj.type_name)
    return None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def describe(obj: object) -> str:
    """A short phrase for the type (and shape or size) of ``obj``: "an array of shape (3, 4)"."""
    marker = _unencodable_type(obj)
    if marker is not None:
        return f"an object of type {marker}"
    if obj is None:
        return "None"
    if isinstance(obj, bool | np.bool_):
        return "a bool"
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return f"a 0-d array of dtype {obj.dtype}"
        return f"an array of shape {_shape(obj.shape)}"
    if isinstance(obj, np.generic):
        return f"a numpy {type(obj).__name__}"
    if isinstance(obj, int):
        return "an int"
    if isinstance(obj, float):
        return "a float"
    if isinstance(obj, str):
        return "a str"
    if isinstance(obj, tuple):
        return f"a tuple of {_plural(len(obj), 'item')}"
    if isinstance(obj, list):
        return f"a list of {_plural(len(obj), 'item')}"
    if isinstance(obj, dict):
        return f"a dict with {_plural(len(obj), 'key')}"
    return f"an object of type {type(obj).__name__}"


def _describe_expected(expected: object, names: tuple[str, ...] | None) -> str:
    """What was expected, in the same words, with the names of tuple positions when known."""
    if isinstance(expected, tuple | list):
        kind = "a tuple" if isinstance(expected, tuple) else "a list"
        if names and len(names) == len(expected):
            return f"{kind} of {len(expected)} values ({', '.join(names)})"
        return f"{kind} of {_plural(len(expected), 'item')}"
    if isinstance(expected, dict):
        keys = ", ".join(str(k) for k in list(expected)[:8])
        more = ", ..." if len(expected) > 8 else ""
        return f"a dict with keys {keys}{more}"
    if _is_scalar(expected):
        if isinstance(expected, bool | np.bool_):
            return "a bool"
        return "a single number (a Python or numpy float, or a 0-d array)"
    return describe(expected)


def _shape(shape: tuple[Any, ...]) -> str:
    return str(tuple(int(n) for n in shape))


def _is_scalar(obj: object) -> bool:
    """A number that is not an array of one or more dimensions (bools included)."""
    if isinstance(obj, np.ndarray):
        return obj.ndim == 0
    return isinstance(obj, int | float | np.number | np.bool_)


def _plain_array(obj: object) -> AnyArray | None:
    """``obj`` as a base ndarray (subclasses lose their overrides), or None if it is not one."""
    if isinstance(obj, np.ndarray):
        # view() skips the subclass's __array__/__array_ufunc__/__eq__: only the data is used.
        plain: AnyArray = obj.view(np.ndarray)
        return plain
    return None


def _key(key: object) -> str:
    return f'"{key}"' if isinstance(key, str) else repr(key)[:40]


# ---------------------------------------------------------------------------------------------
# The walk


class _Walker:
    """Walks the expected output and the actual value side by side, collecting problems."""

    def __init__(self, *, rtol: float, atol: float, allow_extra_keys: bool) -> None:
        self.rtol = rtol
        self.atol = atol
        self.allow_extra_keys = allow_extra_keys
        self.problems: list[str] = []

    def fail(self, path: str, text: str) -> None:
        self.problems.append(f"{path}: {text}")

    def wrong_type(self, path: str, expected: object, actual: object, names: tuple[str, ...] | None) -> None:
        self.fail(path, f"is {describe(actual)}; expected {_describe_expected(expected, names)}")

    def walk(
        self, expected: object, actual: object, path: str, *, names: tuple[str, ...] | None, depth: int
    ) -> None:
        if depth > MAX_DEPTH:
            return
        marker = _unencodable_type(actual)
        if marker is not None:
            self.fail(
                path,
                f"is an object of type {marker}, which cannot be graded; "
                f"expected {_describe_expected(expected, names)}",
            )
            return
        if isinstance(expected, dict):
            self.walk_dict(expected, actual, path, depth)
        elif isinstance(expected, tuple | list):
            self.walk_sequence(expected, actual, path, names, depth)
        elif isinstance(expected, str):
            if not isinstance(actual, str):
                self.wrong_type(path, expected, actual, None)
            elif actual != expected:
                self.fail(path, "differs from the expected text")
        elif expected is None:
            if actual is not None:
                self.wrong_type(path, expected, actual, None)
        elif _is_scalar(expected):
            self.walk_scalar(expected, actual, path)
        elif isinstance(expected, np.ndarray):
            self.walk_array(expected, actual, path)
        else:  # the reference returned something this module does not know how to compare
            raise TypeError(f"cannot compare an expected value of type {type(expected).__name__}")

    def walk_dict(self, expected: dict[object, object], actual: object, path: str, depth: int) -> None:
        if not isinstance(actual, dict):
            self.wrong_type(path, expected, actual, None)
            return
        missing = [k for k in expected if k not in actual]
        extra = [] if self.allow_extra_keys else [k for k in actual if k not in expected]
        if missing:
            listed = ", ".join(_key(k) for k in missing[:6]) + (", ..." if len(missing) > 6 else "")
            self.fail(path, f"missing {'key' if len(missing) == 1 else 'keys'} {listed}")
        if extra:
            listed = ", ".join(_key(k) for k in extra[:6]) + (", ..." if len(extra) > 6 else "")
            self.fail(path, f"unexpected {'key' if len(extra) == 1 else 'keys'} {listed}")
        for key, value in expected.items():
            if key in actual:
                self.walk(value, actual[key], f"{path}[{_key(key)}]", names=None, depth=depth + 1)

    def walk_sequence(
        self,
        expected: tuple[object, ...] | list[object],
        actual: object,
        path: str,
        names: tuple[str, ...] | None,
        depth: int,
    ) -> None:
        if not isinstance(actual, tuple | list):
            self.wrong_type(path, expected, actual, names)
            return
        if len(actual) != len(expected):
            self.fail(
                path,
                f"has {_plural(len(actual), 'item')}; expected {_describe_expected(expected, names)}",
            )
            return
        named = names is not None and len(names) == len(expected)
        for i, (exp_item, act_item) in enumerate(zip(expected, actual, strict=True)):
            item_path = names[i] if named and names is not None else f"{path}[{i}]"
            self.walk(exp_item, act_item, item_path, names=None, depth=depth + 1)

    def walk_scalar(self, expected: object, actual: object, path: str) -> None:
        if isinstance(expected, bool | np.bool_):
            if not isinstance(actual, bool | np.bool_):
                self.wrong_type(path, expected, actual, None)
            elif bool(actual) != bool(expected):
                self.fail(path, f"is {bool(actual)}; expected {bool(expected)}")
            return
        array = _plain_array(actual)
        if array is not None and array.ndim > 0:
            hint = " (use np.squeeze or float())" if array.size == 1 else ""
            self.fail(path, f"is {describe(actual)}; expected a single number{hint}")
            return
        if isinstance(actual, bool | np.bool_) or (array is not None and array.dtype.kind == "b"):
            self.fail(path, f"is {describe(actual)}; expected a single number")
            return
        if array is not None:
            if array.dtype.kind not in "iuf":
                self.fail(path, f"is a 0-d array of dtype {array.dtype}; expected a real number")
                return
            value = float(array)
        elif isinstance(actual, int | float | np.integer | np.floating):
            try:
                value = float(actual)
            except OverflowError:
                self.fail(path, "is a number too large for a float")
                return
        else:
            self.wrong_type(path, expected, actual, None)
            return
        want = float(np.asarray(expected, dtype=np.float64))
        if _close(want, value, self.rtol, self.atol):
            return
        if math.isnan(value):
            self.fail(path, "is NaN; expected a number")
        elif math.isinf(value) and not math.isinf(want):
            self.fail(path, "is infinite; expected a finite number")
        else:
            diff = abs(value - want)
            relative = f" ({_percent(diff / abs(want))} of the expected value)" if want != 0 else ""
            self.fail(path, f"differs from the expected value by {diff:.3g}{relative}")

    def walk_array(self, expected: AnyArray, actual: object, path: str) -> None:
        array = _plain_array(actual)
        if array is None:
            hint = ""
            if isinstance(actual, list) and actual and isinstance(actual[0], int | float | list):
                hint = " (convert it with np.array)"
            self.fail(
                path, f"is {describe(actual)}; expected an array of shape {_shape(expected.shape)}{hint}"
            )
            return
        if array.shape != expected.shape:
            self.fail(
                path,
                f"has shape {_shape(array.shape)}; expected shape {_shape(expected.shape)}"
                + _shape_hint(expected.shape, array.shape),
            )
            return
        want_kind, got_kind = expected.dtype.kind, array.dtype.kind
        if got_kind not in "biuf" or (want_kind == "f" and got_kind != "f") or (got_kind == "b" != want_kind):
            wanted = "floating-point" if want_kind == "f" else "numeric"
            self.fail(path, f"has dtype {array.dtype}; expected {wanted} values")
            return
        self.compare_values(expected, array, path)

    def compare_values(self, expected: AnyArray, actual: AnyArray, path: str) -> None:
        want = expected.astype(np.float64)
        got = actual.astype(np.float64)
        with np.errstate(all="ignore"):
            diff = np.abs(got - want)
            ok = (diff <= self.atol + self.rtol * np.abs(want)) | (got == want)
            ok |= np.isnan(got) & np.isnan(want)
        bad = ~ok
        n_bad = int(np.count_nonzero(bad))
        if n_bad == 0:
            return
        size = want.size
        parts = [f"{n_bad} of {size} entries differ ({_percent(n_bad / size)})"]
        finite_bad = bad & np.isfinite(diff)
        if np.any(finite_bad):
            masked = np.where(finite_bad, diff, -1.0)
            index = np.unravel_index(int(np.argmax(masked)), want.shape)
            parts.append(f"largest difference {float(masked[index]):.3g} at index {_shape(index)}")
        n_nan = int(np.count_nonzero(np.isnan(got) & ~np.isnan(want)))
        n_inf = int(np.count_nonzero(np.isinf(got) & ~np.isinf(want)))
        if n_nan:
            parts.append(f"{n_nan} {'is' if n_nan == 1 else 'are'} NaN")
        if n_inf:
            parts.append(f"{n_inf} {'is' if n_inf == 1 else 'are'} infinite")
        self.fail(path, ", ".join(parts) + _value_hint(want, got, n_bad))


def _close(want: float, got: float, rtol: float, atol: float) -> bool:
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    return got == want or abs(got - want) <= atol + rtol * abs(want)


def _percent(share: float) -> str:
    if 0 < share < 0.01:
        return "<1%"
    return f"{100 * share:.0f}%"


def _shape_hint(want: tuple[int, ...], got: tuple[int, ...]) -> str:
    """A hint for the usual shape mistakes, from the shapes alone."""
    if len(want) == 2 and got == want[::-1]:
        return " (transposed?)"
    squeezed = tuple(n for n in want if n != 1)
    if got == squeezed and len(got) < len(want):
        return " (a dimension of size 1 was dropped: keep it, e.g. with keepdims=True or reshape)"
    if math.prod(got) == math.prod(want):
        return " (same number of entries, arranged differently)"
    return ""


def _value_hint(want: AnyArray, got: AnyArray, n_bad: int) -> str:
    """A hint when every entry is off by one common factor (a sign or a missing scaling)."""
    if n_bad != want.size or want.size < 2 or not np.all(np.isfinite(got)):
        return ""
    nonzero = np.abs(want) > 1e-12
    if np.count_nonzero(nonzero) < 2 or np.any(np.abs(got[~nonzero]) > 1e-12):
        return ""
    ratios = got[nonzero] / want[nonzero]
    factor = float(ratios[0])
    if factor == 0 or not np.allclose(ratios, factor, rtol=1e-6, atol=0.0):
        return ""
    if abs(factor + 1.0) < 1e-6:
        return " (every sign is flipped)"
    return " (every entry is the expected value times one same factor: a missing or extra scaling?)"
