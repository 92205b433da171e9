"""Comparisons and masks in parsed code: ``x > 0``, ``~m``, ``m1 & m2``, ``m1 | m2``.

Functions of the parser (:mod:`parser`), as :mod:`grad_flags` is. A comparison with a tensor on
either side is a block whose form is the operator, run as Python runs it (``0 < x`` is
``operator.lt(0, x)``, which asks ``x.__gt__``). What Python would turn into one ``True`` or
``False`` (``a < b < c``, ``and``/``or``, ``not``, numbers compared) is refused, saying why.
"""

from __future__ import annotations

import ast
from ast import unparse

from nla_explorer.engine.code import refusals
from nla_explorer.engine.code.names import Ignored, describe
from nla_explorer.engine.expression import Calc, Ref, Var
from nla_explorer.engine.ops import FORMS

#: Python's comparison operators, as the code writes them.
COMPARISONS = {ast.Gt: ">", ast.Lt: "<", ast.GtE: ">=", ast.LtE: "<=", ast.Eq: "==",
               ast.NotEq: "!="}
#: The bitwise operators a mask is combined with.
LOGICAL = {ast.BitAnd: "&", ast.BitOr: "|"}
_SIDES = (Ref, Var, Calc, int, float)  # bool is an int: ``m == True`` is fine
_TRUTH = "it needs one True or False, which a tensor of several elements does not give"


def handles(node: ast.expr) -> bool:
    """Whether ``node`` is read here: a comparison, ``&``, ``|``, ``~``, ``not``, and/or."""
    return isinstance(node, (ast.Compare, ast.BoolOp)) or (
        isinstance(node, ast.BinOp) and type(node.op) in LOGICAL) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Invert, ast.Not)))


def read(parser, node: ast.expr) -> object:
    """The block of ``node`` (see :func:`handles`), or the parser's refusal."""
    if isinstance(node, ast.Compare):
        return _compare(parser, node)
    if isinstance(node, ast.BoolOp):
        word = "and" if isinstance(node.op, ast.And) else "or"
        parser._fail(refusals.with_hint(
            f"'{word}' is not supported here: {_TRUTH}; for masks write "
            f"{'m1 & m2' if word == 'and' else 'm1 | m2'}", refusals.RUN), word)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        parser._fail(refusals.with_hint(f"'not' is not supported here: {_TRUTH}; for a mask "
                                        "write ~m", refusals.RUN), "not")
    if isinstance(node, ast.UnaryOp):
        operand = parser._expr(node.operand)
        if not isinstance(operand, Ref):
            parser._fail(refusals.with_hint(f"'~' of {describe(operand)} is not supported here; "
                                            "'~' is read for tensors (masks)", refusals.RUN), "~")
        return parser._add(FORMS["u~"], (operand,), (), form="u~")
    symbol = LOGICAL[type(node.op)]
    left, right = parser._expr(node.left), parser._expr(node.right)
    return _operator(parser, symbol, left, right, f"'{symbol}' between numbers is not supported "
                     "here: it is read for tensors (masks)")


def _compare(parser, node: ast.Compare) -> object:
    if len(node.ops) > 1:
        parser._fail(refusals.with_hint(
            f"a chained comparison ({unparse(node)}) is not supported here: Python reads it as "
            f"one comparison 'and' the next, and {_TRUTH}; for tensors write "
            "(a < b) & (b < c)", refusals.RUN), unparse(node))
    op = node.ops[0]
    symbol = COMPARISONS.get(type(op))
    if symbol is None:
        word = {ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}[type(op)]
        parser._fail(refusals.with_hint(f"the comparison '{word}' is not supported here; "
                                        "> < >= <= == != are", refusals.RUN), word)
    left, right = parser._expr(node.left), parser._expr(node.comparators[0])
    return _operator(parser, symbol, left, right,
                     f"a comparison of numbers ({unparse(node)}) is not supported here: it gives "
                     "one True or False; compare tensors to get a bool tensor")


def _operator(parser, symbol: str, left: object, right: object, numbers: str) -> Ref:
    for side in (left, right):
        if isinstance(side, Ignored):
            parser._fail(refusals.with_hint(f"{side.what} cannot be used in a tensor "
                                            "expression here", side.hint))
    if not (isinstance(left, Ref) or isinstance(right, Ref)):
        if isinstance(left, _SIDES) and isinstance(right, _SIDES):
            parser._fail(refusals.with_hint(numbers, refusals.RUN), symbol)
        parser._fail(f"'{symbol}' between {describe(left)} and {describe(right)} is not "
                     "supported here", symbol)
    for side in (left, right):
        if not isinstance(side, _SIDES):
            parser._fail(f"'{symbol}' between a tensor and {describe(side)}", symbol)
    return parser._add(FORMS[symbol], (left, right), (), form=symbol)
