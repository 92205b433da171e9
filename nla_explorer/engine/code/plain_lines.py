"""Where the parser meets plain Python values (:mod:`plain_values`): ``torch.pi``, ``math.inf``,
``float('inf')`` or ``math.sqrt(2)`` are numbers in tensor expressions, and a line on which a plain
part raises in Python (``print(1 / 0)``, ``n = [1, 2][5]``) raises there.

Such a line is read as a shown line (:func:`~nla_explorer.engine.code.shown.shown_reads`): what it
computes with tensors before the failing part runs first, then a ``shows:raise`` block raises
Python's exception (type and message) on the line. Python runs nothing after it, so a refusal of the
reader on a later line is not said (:attr:`stopped`).
"""

from __future__ import annotations

import ast

from nla_explorer.engine.code.names import IGNORED_CALLS, Ignored, PyModule
from nla_explorer.engine.code.numbers import checked
from nla_explorer.engine.code.plain_values import (
    UNKNOWN, PlainError, constant, plain_value, raises_somewhere,
)
from nla_explorer.engine.code.shown import lazy_parts
from nla_explorer.engine.errors import ExpressionError

_LINES = (ast.Expr, ast.Assign, ast.AugAssign)


def bound_import(path: str) -> object:
    """What an import binds: ``from math import pi`` a number, a torch path a module, else an
    ignored value (numpy, matplotlib, ``math`` itself)."""
    module, _, name = path.rpartition(".")
    number = constant(module, name)
    if number is not None:
        return number
    return PyModule(path) if path.startswith("torch") else Ignored(path)


def constant_of(base: object, attr: str) -> float | None:
    """``torch.inf``, ``math.pi``: the number, or None."""
    if isinstance(base, PyModule):
        return constant(base.path, attr)
    return constant(base.what, attr) if isinstance(base, Ignored) else None


def plain_reader(parser):
    """:func:`plain_value` of the parts of one line, each part computed once."""
    memo: dict = {}
    return lambda node: plain_value(node, parser.env, parser.numbers, memo)


def raising_line(parser, stmt: ast.stmt) -> bool:
    """Whether ``stmt`` is a line on which a plain part raises in Python; if so it is read as a
    shown line that raises there."""
    value = stmt.value if isinstance(stmt, _LINES) else None
    if value is None or not raises_somewhere(value, parser.env, parser.numbers, lazy_parts(value)):
        return False
    func = value.func if isinstance(value, ast.Call) else None
    where = f"{func.id}(…)" if isinstance(func, ast.Name) and func.id in IGNORED_CALLS else \
        "this line"
    parser._shown(value, where, None if isinstance(stmt, ast.Expr) else ast.unparse(stmt))
    return True


def number_call(parser, node: ast.Call) -> int | float | None:
    """``float('inf')``, ``math.sqrt(2)``, ``abs(n)``: the number Python computes, or None where
    the call is not plain Python on numbers (or makes no number)."""
    try:
        value = plain_value(node, parser.env, parser.numbers)
    except PlainError as error:  # inside a function's body: no line of its own to stop
        raise ExpressionError(f"{ast.unparse(node)[:60]} — {error.python_type}: {error.message}",
                              parser.line or None, None, error.python_type) from None
    if value is UNKNOWN or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return checked(value, finite=False)
    except ValueError as exc:
        parser._fail(str(exc))
