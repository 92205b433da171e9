"""In-place updates of a named tensor, as Python runs them: ``y += v`` and ``y[i] = v``.

``y += v`` is ``y.__iadd__(v)``, which torch runs in place (a number name folds instead); so is
``m &= x < 1`` (``__iand__``: a mask changed in place, its version bumped for backward's check).
``y[i] = v`` is ``y.__setitem__(i, v)``: torch copies ``v`` into the selected entries (a
``CopySlices`` node where ``y`` is in a graph, and the in-place errors torch raises, on a leaf
that requires grad or on a tensor backward still needs). Either way ``y`` stays bound to the
same tensor; its block is the newest one named ``y``.
"""

from __future__ import annotations

import ast

from nla_explorer.engine.code import refusals
from nla_explorer.engine.code.names import IN_PLACE, describe
from nla_explorer.engine.expression import Calc, Ref, Var
from nla_explorer.engine.ops import FORMS

FORM = "[]="  # the item assignment's form (its callable: ``ops._set_item``)
_LOGICAL = ("&=", "|=", "^=")  # a mask may be updated with True or False (m |= True)


def augmented(parser, stmt: ast.AugAssign) -> None:
    """``y += v``: in place on a tensor, as Python runs it (``y.__iadd__(v)``); a number folds."""
    target = stmt.target
    if not isinstance(target, ast.Name):
        parser._fail("only a plain name can be updated with an augmented assignment")
    current = parser._expr(target)
    symbol = IN_PLACE.get(type(stmt.op))
    if not isinstance(current, Ref) or symbol is None:
        op = ast.BinOp(ast.Name(target.id, ast.Load()), stmt.op, stmt.value)
        parser._assign(target, parser._binop(op))
        return
    value = parser._expr(stmt.value)
    _check_value(parser, value, f"'{symbol}'", target.id, symbol in _LOGICAL)
    parser._assign(target, parser._add(FORMS[symbol], (current, value), (), form=symbol))


def assign_item(parser, target: ast.Subscript, value: object) -> None:
    """``name[index] = value`` (``value`` already read: Python evaluates it first)."""
    base = target.value
    current = parser.env.get(base.id) if isinstance(base, ast.Name) else None
    if not isinstance(current, Ref):
        parser._fail(refusals.with_hint("only an item of a named tensor can be assigned here "
                                        "(y[0] = 5.0)", refusals.RUN), ast.unparse(base)[:30])
    _check_value(parser, value, f"'{base.id}[…] ='", base.id)
    index = parser._index_item(target.slice)
    block = parser._add("set_item", (current, index, value), (), form=FORM)
    parser._assign(ast.Name(base.id, ast.Store()), block)


def _check_value(parser, value: object, what: str, name: str, truth: bool = False) -> None:
    if (isinstance(value, bool) and not truth) or \
            not isinstance(value, (Ref, Var, Calc, int, float)):
        parser._fail(f"{what} between a tensor and {describe(value)}", name)
