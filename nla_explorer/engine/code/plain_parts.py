"""What of a plain expression Python evaluates, in which order, and how big its values may get.

Helpers of :mod:`plain_values`: :func:`lazy_parts` (what ``and``/``or``, ``x if c else y``, chained
comparisons, lambdas and comprehensions may never evaluate), :func:`in_order` (the parts in the
order Python evaluates them, inner first) and the bounds that keep a plain value small and quick
(``10 ** 10 ** 10`` and ``'a' * 10 ** 12`` are not computed).
"""

from __future__ import annotations

import ast
import builtins
import math
from collections.abc import Iterator
from itertools import islice

from nla_explorer.engine.expression import Ref

#: The longest string, list or tuple a plain expression may make, and the largest int (bits).
MAX_ITEMS = 100_000
MAX_BITS = 100_000
SEQUENCES = (str, bytes, list, tuple)
#: Tensor methods and attributes whose value is a Python int: a size (``x.shape[0]`` too).
SIZE_METHODS = frozenset({"numel", "nelement", "dim", "ndimension", "size"})
SIZE_ATTRIBUTES = frozenset({"ndim"})
_MAX_SIZED = 300  # the most parts of an expression whose sizes are tried (more: not computed)


class NotPlain(Exception):
    """Raised inside a walk where the expression stops being plain (or gets too big)."""


class PlainError(Exception):
    """What Python raises on a plain expression: ``python_type`` and ``message`` (its str);
    ``line``: where it raises inside a function of the code (``lambda t: t * (1 / 0)``), the line
    Python's traceback ends on, else None (the line of the expression itself)."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(str(exc))
        self.python_type, self.message = type(exc).__name__, str(exc)
        self.line: int | None = None


class Bound:
    """A value a parameter or local name of a function of the code holds while it is read."""

    def __init__(self, value: object) -> None:
        self.value = value


def lazy_parts(node: ast.AST) -> set[int]:
    """The ids of the parts of ``node`` Python may never evaluate: the branches of ``a if c
    else b``, what follows the first operand of ``and``/``or`` or of a chained comparison, the
    bodies of lambdas and comprehensions (beyond the first iterable)."""
    roots: list[ast.AST] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.IfExp):
            roots += [sub.body, sub.orelse]
        elif isinstance(sub, ast.BoolOp):
            roots += sub.values[1:]
        elif isinstance(sub, ast.Compare):
            roots += sub.comparators[1:]
        elif isinstance(sub, ast.Lambda):
            roots.append(sub.body)
        elif isinstance(sub, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            roots += [getattr(sub, name) for name in ("elt", "key", "value") if
                      hasattr(sub, name)]
            roots += [part for k, gen in enumerate(sub.generators) for part in
                      ([gen.target, *gen.ifs] if k == 0 else [gen.target, gen.iter, *gen.ifs])]
    return {id(part) for root in roots for part in ast.walk(root)}


def in_order(node: ast.AST, lazy: set[int]) -> Iterator[ast.expr]:
    """The expressions of ``node`` Python surely evaluates (not in ``lazy``), each after its
    parts, left to right: where two parts raise, the first one yielded raises first."""
    stack: list[tuple[ast.AST, bool]] = [(node, False)]
    while stack:
        sub, done = stack.pop()
        if id(sub) in lazy:
            continue
        if done:
            if isinstance(sub, ast.expr):
                yield sub
            continue
        stack.append((sub, True))
        stack.extend((child, False) for child in reversed(list(ast.iter_child_nodes(sub))))


def reads_a_size(node: ast.expr, env: dict[str, object]) -> bool:
    """Whether ``node`` (of at most a few hundred parts) reads a tensor's size."""
    parts = list(islice(ast.walk(node), _MAX_SIZED + 1))
    return len(parts) <= _MAX_SIZED and any(size_read(sub, env) for sub in parts)


def size_read(node: ast.AST, env: dict[str, object]) -> bool:
    """``len(x)``, ``x.shape[i]``, ``x.size(i)``, ``x.numel()``, ``x.dim()``, ``x.ndim``."""
    def tensor(sub: ast.AST) -> bool:
        return isinstance(sub, ast.Name) and isinstance(env.get(sub.id), Ref)

    if isinstance(node, ast.Call) and not node.keywords:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "len" and func.id not in env:
            return len(node.args) == 1 and tensor(node.args[0])
        return isinstance(func, ast.Attribute) and tensor(func.value) and \
            func.attr in SIZE_METHODS and len(node.args) == (func.attr == "size")
    if isinstance(node, ast.Subscript):
        return isinstance(node.value, ast.Attribute) and node.value.attr == "shape" and \
            tensor(node.value.value) and not isinstance(node.slice, (ast.Slice, ast.Tuple))
    return isinstance(node, ast.Attribute) and node.attr in SIZE_ATTRIBUTES and tensor(node.value)


def bounded(value: object) -> object:
    """``value``, if it holds at most :data:`MAX_ITEMS` items in all (``[[0] * 9999] * 9999``
    is a list of 9,999 lists but no small value: printing it would not end)."""
    budget = [MAX_ITEMS]

    def walk(v: object) -> None:
        budget[0] -= size(v) if isinstance(v, (str, bytes)) else 1
        if budget[0] < 0:
            raise NotPlain
        if isinstance(v, (list, tuple)):
            for item in v:
                walk(item)
    walk(value)
    return value


def size(value: object) -> int:
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return value.bit_length()
    return len(value) if isinstance(value, SEQUENCES) else 1


def small_enough(op: type, left: object, right: object) -> bool:
    """Whether Python computes ``left op right`` quickly and in little memory."""
    if op is ast.Mod and isinstance(left, (str, bytes)):
        return False  # '%0999999999d' % 1: printf-style formatting is not followed
    if op is ast.Pow and isinstance(left, int) and isinstance(right, int):
        return right <= 0 or abs(left) <= 1 or right * size(left) <= MAX_BITS
    if op is ast.LShift and isinstance(right, int):
        return right <= MAX_BITS
    if op is ast.Mult:
        if isinstance(left, SEQUENCES) or isinstance(right, SEQUENCES):
            count = right if isinstance(left, SEQUENCES) else left
            items = size(left) if isinstance(left, SEQUENCES) else size(right)
            return not isinstance(count, int) or count * items <= MAX_ITEMS
        return size(left) + size(right) <= MAX_BITS
    return True


def reasonable_call(fn, args: list) -> bool:
    """Whether a call of ``fn`` on ``args`` is quick (``math.factorial(10 ** 9)`` is not)."""
    if fn is builtins.sum:  # sum(lists, []) copies quadratically: numbers only
        return bool(args) and isinstance(args[0], (list, tuple)) and all(
            isinstance(a, (int, float, complex)) for a in (*args[0], *args[1:]))
    if fn in (math.factorial, math.isqrt) or fn is builtins.pow:
        ints = [a for a in args if isinstance(a, int)]
        if fn is builtins.pow:
            return len(args) != 2 or small_enough(ast.Pow, *args)
        return all(a <= 10_000 if fn is math.factorial else size(a) <= MAX_BITS for a in ints)
    return True
