"""Statements that set autograd flags: ``x.requires_grad_()``, ``x.requires_grad = True``,
``x.grad = None`` and ``with torch.no_grad():``, each run where Python runs it.

Functions of the parser (:mod:`parser`), as :mod:`functions` is: they read the statement and add
its block.
"""

from __future__ import annotations

import ast

from nla_explorer.engine.code import refusals
from nla_explorer.engine.code.names import FLOAT_MAKERS, PyModule, describe
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


#: ``with torch.no_grad():`` and its kin: the grad mode each sets (None: its argument's).
GRAD_MODES = {"torch.no_grad": False, "torch.enable_grad": True, "torch.set_grad_enabled": None}
END = "with:end"  # the block that ends a with statement's body: the grad mode before it again


def with_statement(parser, stmt: ast.With) -> None:
    """``with torch.no_grad():`` (or ``enable_grad()``, ``set_grad_enabled(b)``): its body runs
    with that grad mode, between two blocks that set it and put the one before it back."""
    call = stmt.items[0].context_expr if len(stmt.items) == 1 else None
    path = _dotted(parser, call.func) if isinstance(call, ast.Call) else None
    if path not in GRAD_MODES or stmt.items[0].optional_vars is not None:
        parser._fail(refusals.with_hint("a with block is supported for torch.no_grad(), "
                                        "torch.enable_grad() and torch.set_grad_enabled(…) only",
                                        refusals.RUN), "with")
    wanted = 0 if GRAD_MODES[path] is None else None
    if call.keywords or len(call.args) != (1 if wanted == 0 else 0):
        parser._fail(f"{path}() takes {'one argument' if wanted == 0 else 'no arguments'} here",
                     path.rsplit(".", 1)[-1])
    mode = parser._expr(call.args[0]) if call.args else GRAD_MODES[path]
    if not isinstance(mode, bool):
        parser._fail(f"{path}() needs True or False here", path.rsplit(".", 1)[-1])
    parser._add("grad_mode", (mode,), (), form=f"with:{path}")
    for inner in stmt.body:
        parser.line = inner.lineno
        parser._statement(inner)
    parser.line = stmt.lineno
    parser._add("grad_mode", (None,), (), form=END)


def _dotted(parser, node: ast.expr) -> str | None:
    """``torch.no_grad`` for ``torch.no_grad`` (``torch`` as the code imported it), or None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    root = parser.env.get(node.id) if isinstance(node, ast.Name) else None
    if not isinstance(root, PyModule):
        return None
    return ".".join([root.path, *reversed(parts)])
