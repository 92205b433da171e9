"""Plain Python values in code (numbers, strings, lists, ``math``): computed as Python does.

``print(1 / 0)``, ``print(math.sqrt(-1))`` or ``print([1, 2][5])`` raise on their line in Python;
the safe reader used to pass over them. :func:`plain_value` computes such an expression with
Python's own operators and functions on Python's own values, never ``eval``: the value, or
:class:`PlainError` with the exception Python raises (its type and message), or :data:`UNKNOWN`
where the expression reads anything else (a tensor, numpy, a name the reader does not know) or
would be too large to compute safely (``10 ** 10 ** 10``, ``'a' * 10 ** 12``).

Only what Python would evaluate is evaluated: ``and``/``or``, ``x if c else y`` and chained
comparisons short-circuit as in Python; lambdas and comprehensions are :data:`UNKNOWN`.
``torch.pi``, ``math.inf``, ``float('inf')`` are numbers here as in Python (:func:`constant`).
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
import re

from nla_explorer.engine.code.names import Ignored, PyModule
from nla_explorer.engine.expression import Var

#: What an expression is when the reader cannot compute it as plain Python.
UNKNOWN = object()
#: The longest string, list or tuple a plain expression may make, and the largest int (bits).
MAX_ITEMS = 100_000
MAX_BITS = 100_000
#: Numbers ``torch`` and ``math`` name (``torch.pi`` is ``math.pi``).
TORCH_CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan}
MATH_CONSTANTS = {**TORCH_CONSTANTS, "tau": math.tau}
MATH_FUNCTIONS = frozenset({
    "sqrt", "exp", "log", "log2", "log10", "log1p", "expm1", "sin", "cos", "tan", "asin", "acos",
    "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "floor", "ceil", "trunc",
    "fabs", "pow", "hypot", "isfinite", "isinf", "isnan", "degrees", "radians", "copysign",
    "fmod", "factorial", "gcd", "isqrt", "erf", "erfc", "gamma", "lgamma", "isclose"})
BUILTIN_FUNCTIONS = frozenset({
    "abs", "float", "int", "round", "min", "max", "len", "str", "repr", "sum", "bool", "divmod",
    "pow", "complex", "tuple", "list"})
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
           ast.Pow: operator.pow, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
           ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.BitXor: operator.xor,
           ast.MatMult: operator.matmul}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert,
          ast.Not: operator.not_}
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
            ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
            ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}
_CONVERSIONS = {ord("s"): str, ord("r"): repr, ord("a"): ascii}
_BIG_SPEC = re.compile(r"\d{6,}")  # a width or precision of a million characters or more
_SEQUENCES = (str, bytes, list, tuple)


class PlainError(Exception):
    """What Python raises on a plain expression: ``python_type`` and ``message`` (its str)."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(str(exc))
        self.python_type, self.message = type(exc).__name__, str(exc)


class _Unknown(Exception):
    """Raised inside the walk where the expression stops being plain."""


class _Module:
    """``math`` or ``torch``: only their numbers and (``math``) functions are read."""

    def __init__(self, path: str) -> None:
        self.path = path


class _Function:
    """A function a plain expression may call: ``math.sqrt``, the builtin ``abs``."""

    def __init__(self, fn) -> None:
        self.fn = fn


def constant(module: str, name: str) -> float | None:
    """``torch.pi``, ``math.inf``…: the number ``module.name`` is, or None."""
    table = TORCH_CONSTANTS if module == "torch" else MATH_CONSTANTS if module == "math" else {}
    return table.get(name)


def plain_value(node: ast.expr, env: dict[str, object], numbers: dict[str, object],
                memo: dict | None = None) -> object:
    """The value of ``node`` as Python computes it, :data:`UNKNOWN`, or :class:`PlainError`.

    ``env``: the program's names (the parser's); ``numbers``: the named numbers' values;
    ``memo``: what earlier calls found for the parts of the same tree (each part is computed
    once however many of its enclosing parts are asked about)."""
    try:
        return _Walk(env, numbers, {} if memo is None else memo).value(node)
    except (_Unknown, RecursionError):
        return UNKNOWN


def raises_somewhere(node: ast.expr, env: dict[str, object], numbers: dict[str, object],
                     lazy: set[int]) -> bool:
    """Whether a plain part of ``node`` that Python evaluates (not in ``lazy``) raises."""
    walk = _Walk(env, numbers, {})
    for sub in ast.walk(node):
        if isinstance(sub, ast.expr) and id(sub) not in lazy:
            try:
                walk.value(sub)
            except PlainError:
                return True
            except _Unknown:
                pass
            except RecursionError:
                return False  # nested too deeply: the reader says so itself
    return False


class _Walk:
    def __init__(self, env: dict[str, object], numbers: dict[str, object], memo: dict) -> None:
        self.env, self.numbers, self.memo = env, numbers, memo

    def value(self, node: ast.AST) -> object:
        key = id(node)
        if key in self.memo:
            found = self.memo[key]
            if found is _Unknown or isinstance(found, PlainError):
                raise found
            return found
        method = getattr(self, "_" + type(node).__name__, None)
        try:
            if method is None:
                raise _Unknown
            found = method(node)
        except (_Unknown, PlainError) as exc:
            self.memo[key] = _Unknown if isinstance(exc, _Unknown) else exc
            raise
        self.memo[key] = found
        return found

    @staticmethod
    def run(fn, *args) -> object:
        try:
            result = fn(*args)
        except Exception as exc:  # noqa: BLE001 - what Python raises on these plain values
            raise PlainError(exc) from None
        return _bounded(result)

    # -- atoms --------------------------------------------------------------------------------------
    def _Constant(self, node: ast.Constant) -> object:
        return node.value

    def _Name(self, node: ast.Name) -> object:
        bound = self.env.get(node.id)
        if isinstance(bound, Var) and node.id in self.numbers:
            return self.numbers[node.id]
        if isinstance(bound, (int, float)) and not isinstance(bound, bool):
            return bound  # from math import pi
        if isinstance(bound, PyModule):
            return self._path(bound.path)
        if isinstance(bound, Ignored):
            return self._path(bound.what)
        if bound is None and node.id in BUILTIN_FUNCTIONS:
            return _Function(getattr(builtins, node.id))
        raise _Unknown

    @staticmethod
    def _path(path: str) -> object:
        """A module path bound to a name: ``math``, ``torch``, ``math.pi`` (from math import pi)."""
        if path in ("math", "torch"):
            return _Module(path)
        module, _, name = path.rpartition(".")
        number = constant(module, name)
        if number is not None:
            return number
        if module == "math" and name in MATH_FUNCTIONS:
            return _Function(getattr(math, name))
        raise _Unknown

    def _Attribute(self, node: ast.Attribute) -> object:
        if not isinstance(node.value, ast.Name):  # x.sin().cos(): not followed down the chain
            raise _Unknown
        base = self.value(node.value)
        if isinstance(base, _Module):
            return self._path(f"{base.path}.{node.attr}")
        raise _Unknown

    # -- containers ---------------------------------------------------------------------------------
    def _Tuple(self, node: ast.Tuple) -> tuple:
        return _bounded(tuple(self._items(node.elts)))

    def _List(self, node: ast.List) -> list:
        return _bounded(self._items(node.elts))

    def _items(self, elts: list[ast.expr]) -> list:
        if any(isinstance(e, ast.Starred) for e in elts):
            raise _Unknown
        return [self.value(e) for e in elts]

    def _Subscript(self, node: ast.Subscript) -> object:
        base = self.value(node.value)
        index = self.value(node.slice)
        if not isinstance(base, _SEQUENCES):
            raise _Unknown
        return self.run(operator.getitem, base, index)

    def _Slice(self, node: ast.Slice) -> slice:
        return slice(*(None if p is None else self.value(p)
                       for p in (node.lower, node.upper, node.step)))

    # -- operators ----------------------------------------------------------------------------------
    def _BinOp(self, node: ast.BinOp) -> object:
        left, right = self.value(node.left), self.value(node.right)
        fn = _BINARY.get(type(node.op))
        if fn is None or not _small_enough(type(node.op), left, right):
            raise _Unknown
        return self.run(fn, left, right)

    def _UnaryOp(self, node: ast.UnaryOp) -> object:
        return self.run(_UNARY[type(node.op)], self.value(node.operand))

    def _BoolOp(self, node: ast.BoolOp) -> object:
        result = None
        for part in node.values:  # stops at the first false (and) or true (or) value
            result = self.value(part)
            truth = self.run(bool, result)
            if truth is isinstance(node.op, ast.Or):
                return result
        return result

    def _IfExp(self, node: ast.IfExp) -> object:
        test = self.run(bool, self.value(node.test))
        return self.value(node.body if test else node.orelse)

    def _Compare(self, node: ast.Compare) -> object:
        left = self.value(node.left)
        for op, right_node in zip(node.ops, node.comparators):
            fn = _COMPARE.get(type(op))
            if fn is None:
                raise _Unknown
            right = self.value(right_node)
            result = self.run(fn, left, right)
            if not self.run(bool, result):
                return result
            left = right
        return result

    # -- calls and f-strings -----------------------------------------------------------------------
    def _Call(self, node: ast.Call) -> object:
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            raise _Unknown
        fn = self.value(node.func)
        if not isinstance(fn, _Function) or node.keywords:
            raise _Unknown
        args = self._items(node.args)
        if not _reasonable_call(fn.fn, args):
            raise _Unknown
        return self.run(fn.fn, *args)

    def _JoinedStr(self, node: ast.JoinedStr) -> str:
        parts = [self.value(v) for v in node.values]
        text = "".join(parts)
        if len(text) > MAX_ITEMS:
            raise _Unknown
        return text

    def _FormattedValue(self, node: ast.FormattedValue) -> str:
        value = self.value(node.value)
        if node.conversion in _CONVERSIONS:
            value = self.run(_CONVERSIONS[node.conversion], value)
        spec = "" if node.format_spec is None else self.value(node.format_spec)
        if _BIG_SPEC.search(spec):
            raise _Unknown
        return self.run(format, value, spec)


def _bounded(value: object) -> object:
    """``value``, if it holds at most :data:`MAX_ITEMS` items in all (``[[0] * 9999] * 9999``
    is a list of 9,999 lists but no small value: printing it would not end)."""
    budget = [MAX_ITEMS]

    def walk(v: object) -> None:
        budget[0] -= _size(v) if isinstance(v, (str, bytes)) else 1
        if budget[0] < 0:
            raise _Unknown
        if isinstance(v, (list, tuple)):
            for item in v:
                walk(item)
    walk(value)
    return value


def _size(value: object) -> int:
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return value.bit_length()
    return len(value) if isinstance(value, _SEQUENCES) else 1


def _small_enough(op: type, left: object, right: object) -> bool:
    """Whether Python computes ``left op right`` quickly and in little memory."""
    if op is ast.Mod and isinstance(left, (str, bytes)):
        return False  # '%0999999999d' % 1: printf-style formatting is not followed
    if op is ast.Pow and isinstance(left, int) and isinstance(right, int):
        return right <= 0 or abs(left) <= 1 or right * _size(left) <= MAX_BITS
    if op is ast.LShift and isinstance(right, int):
        return right <= MAX_BITS
    if op is ast.Mult:
        if isinstance(left, _SEQUENCES) or isinstance(right, _SEQUENCES):
            count = right if isinstance(left, _SEQUENCES) else left
            items = _size(left) if isinstance(left, _SEQUENCES) else _size(right)
            return not isinstance(count, int) or count * items <= MAX_ITEMS
        return _size(left) + _size(right) <= MAX_BITS
    return True


def _reasonable_call(fn, args: list) -> bool:
    """Whether a call of ``fn`` on ``args`` is quick (``math.factorial(10 ** 9)`` is not)."""
    if fn is builtins.sum:  # sum(lists, []) copies quadratically: numbers only
        return bool(args) and isinstance(args[0], (list, tuple)) and all(
            isinstance(a, (int, float, complex)) for a in (*args[0], *args[1:]))
    if fn in (math.factorial, math.isqrt) or fn is builtins.pow:
        ints = [a for a in args if isinstance(a, int)]
        if fn is builtins.pow:
            return len(args) != 2 or _small_enough(ast.Pow, *args)
        return all(a <= 10_000 if fn is math.factorial else _size(a) <= MAX_BITS for a in ints)
    return True
