"""Plain Python values in code (numbers, strings, lists, ``math``): computed as Python does.

``print(1 / 0)``, ``print(math.sqrt(-1))`` or ``print([1, 2][5])`` raise on their line in Python;
the safe reader used to pass over them. :func:`plain_value` computes such an expression with
Python's own operators and functions on Python's own values, never ``eval``: the value, or
:class:`PlainError` with the exception Python raises (its type and message), or :data:`UNKNOWN`
where the expression reads anything else (a tensor, numpy, a name the reader does not know) or
would be too large to compute safely (``10 ** 10 ** 10``, ``'a' * 10 ** 12``).

Only what Python would evaluate is evaluated: ``and``/``or``, ``x if c else y`` and chained
comparisons short-circuit as in Python; lambdas and comprehensions are :data:`UNKNOWN`, but a call
of the code's own ``lambda`` or ``def`` runs its body (``f(x)`` of ``f = lambda t: t * (1 / 0)``
raises: :mod:`plain_calls`). ``torch.pi``, ``math.inf``, ``float('inf')`` are numbers here as in
Python (:func:`constant`)."""

from __future__ import annotations

import ast
import builtins
import math
import operator
import re

from nla_explorer.engine.code.names import Ignored, PyModule
from nla_explorer.engine.code.plain_calls import FunctionCalls
from nla_explorer.engine.code.plain_parts import (
    MAX_ITEMS, SEQUENCES as _SEQUENCES, SIZE_ATTRIBUTES, Bound, NotPlain as _Unknown, PlainError,
    bounded as _bounded, in_order, reads_a_size, reasonable_call as _reasonable_call,
    size_read as _size_read, small_enough as _small_enough,
)
from nla_explorer.engine.expression import Var

#: What an expression is when the reader cannot compute it as plain Python.
UNKNOWN = object()
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
#: The sizes tried for such reads: an error Python raises for every one of them is said.
_SIZES = (0, 1, 2, 3, 4, 7, 64, 1000)


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
    once however many of its enclosing parts are asked about).

    A size read from a tensor (``len(x)``, ``x.shape[0]``, ``x.numel()``) is a number the reader
    does not know; where Python raises whatever the sizes are (``len(x) / 0``), that is the
    error, else the value is :data:`UNKNOWN`."""
    memo = {} if memo is None else memo
    key = ("plain", id(node))
    if key not in memo:
        walk = _Walk(env, numbers, memo)
        try:
            memo[key] = walk.value(node)
        except PlainError as error:
            memo[key] = error
        except (_Unknown, RecursionError):
            memo[key] = _sampled(node, env, numbers) if reads_a_size(node, env) else UNKNOWN
    found = memo[key]
    if isinstance(found, PlainError):
        raise found
    return found


def first_error(node: ast.AST, env: dict[str, object], numbers: dict[str, object],
                lazy: set[int], memo: dict | None = None) -> PlainError | None:
    """What the first plain part of ``node`` Python evaluates (not in ``lazy``) and that raises,
    raises; None where none does."""
    memo = {} if memo is None else memo
    try:
        for sub in in_order(node, lazy):
            try:
                plain_value(sub, env, numbers, memo)
            except PlainError as error:
                return error
    except RecursionError:
        pass  # nested too deeply: the reader says so itself
    return None


def size_dependent(node: ast.AST, env: dict[str, object], numbers: dict[str, object],
                   lazy: set[int]) -> tuple[ast.expr, PlainError] | None:
    """A part of ``node`` that raises in Python for some sizes of its tensors but not for others
    (``1 / (len(x) - 4)``), and the error, where some sizes but none of them 0 make it raise (an
    empty tensor's ``1 / len(x)`` is not said); else None."""
    if not any(_size_read(sub, env) for sub in ast.walk(node)):
        return None
    for sub in in_order(node, lazy):
        if isinstance(sub, (ast.BinOp, ast.Call, ast.Subscript, ast.UnaryOp)) and \
                reads_a_size(sub, env):
            trials = _trials(sub, env, numbers)
            raised = [e for e, zero in trials if isinstance(e, PlainError) and not zero]
            if raised and len(raised) < len(trials):
                return sub, raised[0]
    return None


def _sampled(node: ast.expr, env: dict[str, object], numbers: dict[str, object]) -> object:
    """The error Python raises on ``node`` for every size its tensors may have (each size read,
    by its code, takes each of :data:`_SIZES` in turn), else :data:`UNKNOWN`."""
    trials = _trials(node, env, numbers)
    errors = {(e.python_type, e.message) if isinstance(e, PlainError) else None for e, _ in trials}
    return trials[0][0] if len(errors) == 1 and None not in errors else UNKNOWN


def _trials(node: ast.expr, env: dict[str, object],
            numbers: dict[str, object]) -> list[tuple[object, bool]]:
    """What ``node`` gives (value, :class:`PlainError` or :data:`UNKNOWN`) for each choice of
    sizes, and whether one of the sizes read was 0."""
    order: dict[str, int] = {}
    out = []
    for k in range(len(_SIZES)):
        zero = [False]

        def size(text: str, k=k) -> int:
            value = _SIZES[(k + order.setdefault(text, len(order))) % len(_SIZES)]
            zero[0] = zero[0] or value == 0
            return value
        try:
            found = _Walk(env, numbers, {}, size).value(node)
        except PlainError as error:
            found = error
        except (_Unknown, RecursionError):
            found = UNKNOWN
        out.append((found, zero[0]))
    return out


class _Walk(FunctionCalls):
    """One computation of plain parts (their values memoized by node)."""

    def __init__(self, env: dict[str, object], numbers: dict[str, object], memo: dict,
                 size=None, depth: int = 0) -> None:
        self.env, self.numbers, self.memo = env, numbers, memo
        self.size = size  # a tensor's size read → the number tried for it (None: unknown)
        self.depth = depth  # calls of the code's functions this walk is inside
        self.calls = [0]

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
        if isinstance(bound, Bound):
            return bound.value
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

    def _read_size(self, node: ast.expr) -> int:
        if self.size is None or not _size_read(node, self.env):
            raise _Unknown
        return self.size(ast.unparse(node))

    def _Attribute(self, node: ast.Attribute) -> object:
        if node.attr in SIZE_ATTRIBUTES:
            return self._read_size(node)
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
        if isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
            return self._read_size(node)  # x.shape[0]
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
        function = self.called_function(node)
        if function is not None:  # f(x) of the code's f, or jacobian(f, x): f's body runs
            return self.call_function(node, function)
        if _size_read(node, self.env):
            return self._read_size(node)  # len(x), x.numel(), x.size(0)
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
