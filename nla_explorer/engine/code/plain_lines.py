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
from dataclasses import replace

from nla_explorer.engine.code import functions
from nla_explorer.engine.code.names import IGNORED_CALLS, Defined, Ignored, PyModule
from nla_explorer.engine.code.numbers import checked
from nla_explorer.engine.code.plain_parts import lazy_parts
from nla_explorer.engine.code.plain_values import (
    UNKNOWN, PlainError, constant, first_error, plain_value, size_dependent,
)
from nla_explorer.engine.code.refusals import RUN, with_hint
from nla_explorer.engine.code.shown import AUTOGRAD_FUNCTIONS, shown_reads, shown_refusal
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
    shown line that raises there (on the line of a function's body where the part is in one:
    ``y = f(x)`` of ``f = lambda t: t * (1 / 0)``)."""
    value = stmt.value if isinstance(stmt, _LINES) else None
    error = None if value is None else \
        first_error(value, parser.env, parser.numbers, lazy_parts(value))
    if error is None:
        if value is not None:
            _refuse_size_dependent(parser, value)
        return False
    func = value.func if isinstance(value, ast.Call) else None
    where = f"{func.id}(…)" if isinstance(func, ast.Name) and func.id in IGNORED_CALLS else \
        "this line"
    refused = shown_refusal(value, parser.env, where, parser.graded)
    if refused is not None and not (error.line is not None and refused[1] in AUTOGRAD_FUNCTIONS):
        parser._fail(*refused)  # (jacobian(f, x) of an f that raises: it raises before any pass)
    reads = shown_reads(value, parser.env, lambda sub: functions.read_printed(parser, sub),
                        plain_reader(parser))
    parser.stopped = parser.stopped or any(form == "shows:raise" for form, _, _ in reads)
    text = "\n".join([*_definitions(parser, value), ast.unparse(stmt)])
    for k, (form, args, kw) in enumerate(reads):  # run on the line: torch checks them
        parser._add("shows", args, kw, form=form, text=None if k else text)
        if form == "shows:raise" and error.line is not None and \
                dict(kw).get("message") == error.message:  # raised in a function's body
            parser.blocks[-1] = replace(parser.blocks[-1], line=error.line)
    return True


def _refuse_size_dependent(parser, value: ast.expr) -> None:
    """``print(1 / (len(x) - 4))``: Python raises for some sizes of ``x``; the reader, which
    does not know them here, says so rather than pass over the line."""
    found = size_dependent(value, parser.env, parser.numbers, lazy_parts(value))
    if found is not None:
        part, error = found
        code = ast.unparse(part)[:60]
        parser._fail(with_hint(f"{code} raises {error.python_type} in Python for some sizes of "
                               "its tensors, which the safe reader does not know here", RUN),
                     code)


def _definitions(parser, node: ast.AST) -> list[str]:
    """The code of the functions ``node`` calls (and they call), written before a line that
    raises in one of them: the line's code then raises as in the program (``y = f(x)`` needs
    ``f``, whose calls elsewhere are written as their blocks)."""
    found: dict[str, str] = {}
    todo = [node]
    while todo:
        for sub in ast.walk(todo.pop()):
            bound = parser.env.get(sub.id) if isinstance(sub, ast.Name) else None
            if isinstance(bound, Defined) and sub.id not in found:
                fn = bound.node
                found[sub.id] = ast.unparse(fn) if isinstance(fn, ast.FunctionDef) else \
                    f"{sub.id} = {ast.unparse(fn)}"
                todo.append(fn)
    return list(reversed(found.values()))


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
