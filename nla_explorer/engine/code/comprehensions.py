"""Comprehensions in parsed code, unrolled as Python runs them: ``[x[i] ** 2 for i in range(4)]``.

Functions of the parser (:mod:`parser`), as :mod:`comparisons` is. A list comprehension with one
``for`` over ``range(…)`` of numbers or over a tuple or list of names (``(a, b)``), and at
most one ``if`` on plain numbers, is read as the list of its items: the iterable first (in the
code's scope), then for each value the condition and the item, with the loop name bound to the
value (and unbound after, as Python keeps it to the comprehension). A generator expression is
read inside the built-in ``sum`` (``sum(w.norm() for w in (a, b))``), which adds each item as
it comes: ``0 + a.norm()``, then ``+ b.norm()``, the order in which Python makes the nodes.
How many items are unrolled is bounded (:data:`budget.MAX_UNROLLED`).
"""

from __future__ import annotations

import ast
import builtins
from contextlib import closing
from typing import Iterator

from nla_explorer.engine.code import refusals
from nla_explorer.engine.code.budget import MAX_PROGRAM_UNROLLED, MAX_UNROLLED, count_text
from nla_explorer.engine.code.calc import calc_value
from nla_explorer.engine.code.names import describe
from nla_explorer.engine.code.numbers import checked
from nla_explorer.engine.code.plain_parts import PlainError
from nla_explorer.engine.code.plain_values import UNKNOWN, plain_value
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Calc, Ref, Var
from nla_explorer.engine.ops import FORMS

_SIDES = (Ref, Var, Calc, int, float)  # what Python's sum adds here: tensors and numbers
_LIST = "a list comprehension"


def handles(node: ast.expr) -> bool:
    """Whether ``node`` is read here (a list comprehension; a generator only inside sum)."""
    return isinstance(node, ast.ListComp)


def read(parser, node: ast.ListComp) -> tuple:
    """The items of ``node``, each read in turn (its blocks made in Python's order)."""
    return tuple(_items(parser, node, _LIST))


def is_sum(parser, node: ast.Call) -> bool:
    """Whether ``node`` calls the built-in ``sum`` (not a name of the code) over a generator."""
    return isinstance(node.func, ast.Name) and node.func.id == "sum" and \
        "sum" not in parser.env and len(node.args) in (1, 2) and \
        isinstance(node.args[0], ast.GeneratorExp) and \
        all(k.arg == "start" for k in node.keywords) and len(node.args) + len(node.keywords) <= 2


def read_sum(parser, node: ast.Call) -> object:
    """``sum(item for … in …, start)``: ``start + item₁ + item₂ …``, each item read just before
    it is added (the generator's iterable first, then ``start``, as Python evaluates them)."""
    items = _items(parser, node.args[0], "a generator expression")
    next(items)  # the iterable, read now: Python evaluates it when the generator is made
    given = node.args[1] if len(node.args) == 2 else node.keywords[0].value if node.keywords \
        else None
    with closing(items):  # a refusal midway gives the loop name back to the code too
        total = 0 if given is None else parser._expr(given)
        numbers: list = []  # numbers before the first tensor: added as Python's sum adds them
        for item in items:
            for side in (total, item):
                if isinstance(side, bool) or not isinstance(side, _SIDES):
                    parser._fail(f"sum(…) adds {describe(side)} here; it is read for tensors "
                                 "and numbers", "sum")
            if not isinstance(total, Ref) and not isinstance(item, Ref):
                numbers.append(item)
                continue
            total = _plain_sum(parser, total, numbers) if numbers else total
            numbers = []
            total = parser._add(FORMS["+"], (total, item), (), form="+")
    return _plain_sum(parser, total, numbers) if numbers else total


def _plain_sum(parser, start: object, numbers: list) -> int | float:
    """Python's own sum of numbers (its float sum is its own: compensated from 3.12 on)."""
    try:
        return checked(builtins.sum((calc_value(v, parser.numbers) for v in numbers),
                                    calc_value(start, parser.numbers)), finite=False)
    except (ValueError, OverflowError) as exc:
        parser._fail(str(exc), "sum")


def _items(parser, node: ast.ListComp | ast.GeneratorExp, what: str) -> Iterator[object]:
    """Each item in turn; a generator's first yields None once its iterable is read (Python
    reads it when the generator is made, before ``sum``'s ``start``)."""
    if len(node.generators) != 1:
        parser._fail(refusals.with_hint(f"{what} with more than one 'for' is not supported "
                                        "here", refusals.RUN), "for")
    loop = node.generators[0]
    if loop.is_async or not isinstance(loop.target, ast.Name) or len(loop.ifs) > 1:
        parser._fail(refusals.with_hint(
            f"{what} is read here with one name after 'for' and at most one 'if' "
            f"(not: for {ast.unparse(loop.target).strip('()')} in …"
            f"{' if …' * len(loop.ifs)})",
            refusals.RUN), "for")
    values = _iterable(parser, loop.iter, what)
    if isinstance(node, ast.GeneratorExp):
        yield None
    name, env = loop.target.id, parser.env
    before = env.get(name, _UNBOUND)
    try:
        for value in values:
            env[name] = value
            if loop.ifs and not _holds(parser, loop.ifs[0]):
                continue
            yield parser._expr(node.elt)
    finally:  # the loop name belongs to the comprehension: the code's own comes back
        if before is _UNBOUND:
            env.pop(name, None)
        else:
            env[name] = before


def _iterable(parser, node: ast.expr, what: str) -> tuple:
    """The values ``for`` takes: a ``range`` of numbers or a tuple or list of names or numbers
    written out. (Items computed there, ``(a.sum(), a.norm())``, would run before the items of
    the comprehension that read them, which the blocks' order cannot say.)"""
    if isinstance(node, (ast.Tuple, ast.List)):
        made = len(parser.blocks)
        values = parser._expr(node)
        if len(parser.blocks) > made:
            parser._fail(refusals.with_hint(
                f"{what} is read here over names or numbers ((a, b), (1, 2)), not over "
                f"{ast.unparse(node)[:40]}: name its items first", refusals.RUN),
                ast.unparse(node)[:40])
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == "range" and "range" not in parser.env and not node.keywords:
        values = _range(parser, node)
    else:
        parser._fail(refusals.with_hint(
            f"{what} is read here over range(…) or a tuple written out ((a, b)), not over "
            f"{ast.unparse(node)[:40]}", refusals.RUN), ast.unparse(node)[:40])
    try:
        count = len(values)
    except OverflowError:  # range(-2**62, 2**62): more items than an index holds
        count = 2**63
    if count > MAX_UNROLLED or parser.unrolled + count > MAX_PROGRAM_UNROLLED:
        parser._fail(refusals.with_hint(
            f"{what} over {ast.unparse(node)[:40]} runs {count_text(count)} times; the safe "
            f"reader unrolls at most {MAX_UNROLLED:,} (and {MAX_PROGRAM_UNROLLED:,} in a "
            "program)", refusals.RUN), "for")
    parser.unrolled += count
    return values


def _range(parser, node: ast.Call) -> range:
    bounds = []
    for arg in node.args:
        value = parser._expr(arg)
        if isinstance(value, (Var, Calc)):
            value = calc_value(value, parser.numbers)
        if isinstance(value, Ref):
            parser._fail(refusals.with_hint(
                f"range({ast.unparse(arg)}) of a tensor is not read here: the safe reader "
                "unrolls a range of numbers it knows", refusals.RUN), ast.unparse(arg)[:40])
        bounds.append(value)
    try:
        return range(*bounds)
    except (TypeError, ValueError) as exc:  # range(2.5): what Python says
        raise ExpressionError(f"{ast.unparse(node)[:60]} — {type(exc).__name__}: {exc}",
                              parser.line or None, "range", type(exc).__name__) from None


def _holds(parser, test: ast.expr) -> bool:
    """The ``if`` of one item: a test on plain numbers (``i % 2 == 0``), computed as Python
    does; anything else (a tensor's truth) is refused."""
    try:
        value = plain_value(test, parser.env, parser.numbers)
    except PlainError as error:
        raise ExpressionError(f"{ast.unparse(test)[:60]} — {error.python_type}: "
                              f"{error.message}", parser.line or None, None,
                              error.python_type) from None
    if value is UNKNOWN:
        parser._fail(refusals.with_hint(
            f"the condition 'if {ast.unparse(test)[:40]}' is read here only on plain numbers "
            "(if i % 2 == 0)", refusals.RUN), "if")
    return bool(value)


_UNBOUND = object()  # a name the code had not bound before the comprehension
