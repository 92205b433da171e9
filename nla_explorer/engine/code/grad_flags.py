"""Statements that set a tensor's autograd flags: ``x.requires_grad_()``, ``x.requires_grad =
True`` and ``x.grad = None``, each run on its own line, as Python runs it.

Functions of the parser (:mod:`parser`), as :mod:`functions` is: they read the statement and add
its block.
"""

from __future__ import annotations

import ast

from nla_explorer.engine.code.names import FLOAT_MAKERS, describe
from nla_explorer.engine.expression import Ref

#: The attributes code may set: ``x.grad = …`` and ``x.requires_grad = …``.
SETTABLE = ("grad", "requires_grad")


def requires_grad_statement(parser, target: ast.expr, call: ast.Call) -> None:
    """``x.requires_grad_(…)`` on its own line runs there, as in Python (what x made before
    stays constant); a float constructor nothing has read yet takes it as its keyword."""
    ref = parser._tensor(target, "requires_grad_()")
    if not (call.args or call.keywords) and _fold(parser, ref):
        return
    new = parser._call(call, parser._callee(call.func))
    if isinstance(target, ast.Name):
        parser._assign(target, new)


def set_attribute(parser, target: ast.Attribute, value: object) -> None:
    """``x.grad = None`` (or a tensor), ``x.requires_grad = True`` (or False): the attributes
    code may set; torch checks the value where Python does (an int tensor's requires_grad)."""
    if target.attr not in SETTABLE:
        parser._fail(f"setting '.{target.attr}' is not supported (only x.grad = … and "
                     "x.requires_grad = …)", target.attr)
    base = parser._tensor(target.value, f"'.{target.attr} ='")
    if target.attr == "requires_grad":
        if value is True and _fold(parser, base):
            return
        new = parser._add("requires_grad_", (base, value), (), form="attr=:requires_grad")
        if isinstance(target.value, ast.Name):
            parser._assign(target.value, new)
        return
    if value is not None and not isinstance(value, Ref):
        parser._fail(f"x.grad can be set to None or a tensor, not {describe(value)}", "grad")
    parser._add("set_grad", (base, value), (), form="attr=:grad")


def _fold(parser, ref: Ref) -> bool:
    """Give the float constructor of ``ref`` the keyword ``requires_grad=True`` if nothing has
    read it yet (``x = torch.randn(3)`` then ``x.requires_grad_()``): the same program."""
    index = parser._index_of(ref.block)
    block = parser.blocks[index]
    if block.op not in FLOAT_MAKERS or "dtype" in dict(block.kwargs) or \
            any(ref.block in b.inputs for b in parser.blocks):
        return False
    parser.blocks[index] = block.with_kwarg("requires_grad", True)
    return True
