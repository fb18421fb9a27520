"""The safe arithmetic expressions of parametrized questions.

An answer such as ``floor((n + 2*p - f) / s) + 1`` is parsed with :mod:`ast` and evaluated by walking
the tree: only numbers, names of parameters, ``+ - * / // % **``, unary signs, parentheses,
comparisons (which give 1 or 0) and a few named functions are allowed. Nothing is ever passed to
``eval``; attribute access, subscripts, lambdas, comprehensions, strings and calls of unknown names
are refused when the expression is compiled, and huge powers or results are refused when it is
evaluated.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from grader.errors import DlgradeError

Number = int | float

MAX_SOURCE_CHARS = 500
MAX_DEPTH = 40
MAX_EXPONENT = 64
MAX_MAGNITUDE = 1e30


class ExprError(DlgradeError):
    """An expression that is not allowed, or that cannot be evaluated (with the reason)."""


def _sqrt(x: Number) -> Number:
    if x < 0:
        raise ExprError(f"sqrt of a negative number ({x})")
    return math.sqrt(x)


def _log(x: Number) -> Number:
    if x <= 0:
        raise ExprError(f"log of a non-positive number ({x})")
    return math.log(x)


def _exp(x: Number) -> Number:
    if x > 69:  # e**69 is about 1e30, the largest magnitude allowed
        raise ExprError(f"exp({x}) is too large")
    return math.exp(x)


def _round(x: Number, ndigits: Number = 0) -> Number:
    if not float(ndigits).is_integer() or not 0 <= ndigits <= 15:
        raise ExprError("round's second argument must be an integer in [0, 15]")
    return round(x) if ndigits == 0 else round(x, int(ndigits))


def _floor(x: Number) -> Number:
    return math.floor(x)


def _ceil(x: Number) -> Number:
    return math.ceil(x)


def _min(*xs: Number) -> Number:
    if not xs:
        raise ExprError("min() needs at least one argument")
    return min(xs)


def _max(*xs: Number) -> Number:
    if not xs:
        raise ExprError("max() needs at least one argument")
    return max(xs)


def _abs(x: Number) -> Number:
    return abs(x)


FUNCTIONS: dict[str, Callable[..., Number]] = {
    "floor": _floor,
    "ceil": _ceil,
    "min": _min,
    "max": _max,
    "abs": _abs,
    "sqrt": _sqrt,
    "log": _log,
    "exp": _exp,
    "round": _round,
}
"""The only functions an expression may call."""

CONSTANTS: dict[str, Number] = {"pi": math.pi, "e": math.e}

_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
_CMPOPS: dict[type[ast.cmpop], Callable[[Number, Number], bool]] = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}


@dataclass(frozen=True)
class Expr:
    """A compiled expression: its source, its tree and the free names it uses."""

    source: str
    tree: ast.expr = field(repr=False, compare=False)
    names: frozenset[str]

    def evaluate(self, env: Mapping[str, Number]) -> Number:
        """The value of the expression with the names bound by ``env`` (ExprError when it fails)."""
        missing = sorted(self.names - env.keys() - CONSTANTS.keys())
        if missing:
            raise ExprError(f"{self.source!r}: unknown name(s) {', '.join(missing)}")
        value = _eval(self.tree, env)
        return _checked(value, self.source)


def _checked(value: Number, source: str) -> Number:
    if isinstance(value, float) and not math.isfinite(value):
        raise ExprError(f"{source!r}: the result is not finite")
    if abs(value) > MAX_MAGNITUDE:
        raise ExprError(f"{source!r}: the result is too large")
    return value


def compile_expr(source: str) -> Expr:
    """Parse ``source`` and check that every node is allowed; ExprError names what is not."""
    if not isinstance(source, str):
        raise ExprError(f"an expression must be a string, not {type(source).__name__}")
    if len(source) > MAX_SOURCE_CHARS:
        raise ExprError(f"expression longer than {MAX_SOURCE_CHARS} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"{source!r}: not a valid expression ({exc.msg})") from None
    names: set[str] = set()
    _validate(tree.body, source, names, depth=0)
    return Expr(source=source, tree=tree.body, names=frozenset(names))


def evaluate(source: str, env: Mapping[str, Number] | None = None) -> Number:
    """Compile and evaluate ``source`` in one step."""
    return compile_expr(source).evaluate(env or {})


def _validate(node: ast.AST, source: str, names: set[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExprError(f"{source!r}: nested too deeply")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ExprError(f"{source!r}: only numbers are allowed as constants, not {node.value!r}")
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExprError(f"{source!r}: {node.id} is a function; call it")
        if node.id.startswith("_"):
            raise ExprError(f"{source!r}: names may not start with '_' ({node.id})")
        names.add(node.id)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise ExprError(f"{source!r}: operator {type(node.op).__name__} is not allowed")
        _validate(node.left, source, names, depth + 1)
        _validate(node.right, source, names, depth + 1)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise ExprError(f"{source!r}: operator {type(node.op).__name__} is not allowed")
        _validate(node.operand, source, names, depth + 1)
    elif isinstance(node, ast.Compare):
        if any(type(op) not in _CMPOPS for op in node.ops):
            raise ExprError(f"{source!r}: only <, <=, >, >=, ==, != comparisons are allowed")
        for child in [node.left, *node.comparators]:
            _validate(child, source, names, depth + 1)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            what = node.func.id if isinstance(node.func, ast.Name) else type(node.func).__name__
            allowed = ", ".join(sorted(FUNCTIONS))
            raise ExprError(f"{source!r}: calling {what} is not allowed (only {allowed})")
        if node.keywords:
            raise ExprError(f"{source!r}: keyword arguments are not allowed")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise ExprError(f"{source!r}: *arguments are not allowed")
            _validate(arg, source, names, depth + 1)
    else:
        raise ExprError(f"{source!r}: {type(node).__name__} is not allowed in an expression")


def _power(base: Number, exponent: Number, source: str) -> Number:
    if abs(exponent) > MAX_EXPONENT:
        raise ExprError(f"{source!r}: exponent {exponent} is larger than {MAX_EXPONENT}")
    if base == 0 and exponent < 0:
        raise ExprError(f"{source!r}: division by zero")
    if abs(base) > 1 and abs(exponent) * math.log10(abs(base)) > 30:
        raise ExprError(f"{source!r}: the power is too large")
    if base < 0 and not float(exponent).is_integer():
        raise ExprError(f"{source!r}: fractional power of a negative number")
    result: Number = base**exponent
    return result


def _binop(op: ast.operator, a: Number, b: Number, source: str) -> Number:
    try:
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Sub):
            return a - b
        if isinstance(op, ast.Mult):
            return a * b
        if isinstance(op, ast.Div):
            return a / b
        if isinstance(op, ast.FloorDiv):
            return a // b
        if isinstance(op, ast.Mod):
            return a % b
        return _power(a, b, source)
    except ZeroDivisionError:
        raise ExprError(f"{source!r}: division by zero") from None
    except OverflowError:
        raise ExprError(f"{source!r}: overflow") from None


def _eval(node: ast.expr, env: Mapping[str, Number]) -> Number:
    source = ast.unparse(node)
    if isinstance(node, ast.Constant):
        value = node.value
        assert isinstance(value, int | float)
        return value
    if isinstance(node, ast.Name):
        return env[node.id] if node.id in env else CONSTANTS[node.id]
    if isinstance(node, ast.BinOp):
        left = _eval(node.left, env)
        right = _eval(node.right, env)
        return _checked(_binop(node.op, left, right, source), source)
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, env)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, env)
            if not _CMPOPS[type(op)](left, right):
                return 0
            left = right
        return 1
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        args = [_eval(arg, env) for arg in node.args]
        try:
            return _checked(FUNCTIONS[node.func.id](*args), source)
        except TypeError as exc:
            raise ExprError(f"{source!r}: {exc}") from None
        except (OverflowError, ValueError) as exc:
            raise ExprError(f"{source!r}: {exc}") from None
    raise ExprError(f"{source!r}: {type(node).__name__} is not allowed")  # pragma: no cover
