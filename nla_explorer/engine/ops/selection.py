"""Ops that pick entries and may give several tensors: max and min along a dim, sort, topk,
argmax, and the named fields of what they give (``.values``, ``.indices``).

They are code only, as ``grad()`` is: their result may be a tuple of tensors (torch's named tuple),
read as Python reads it, by unpacking (``values, indices = x.sort()``), by index (``[0]``) or by
field (``.values``). ``x.max()`` without a dim is one tensor, as in torch.
"""

from __future__ import annotations

from nla_explorer.engine.ops import factorizations
from nla_explorer.engine.ops.parts import X, unary
from nla_explorer.engine.ops.record import Op

_PAIR = ("values", "indices")
_PICKED = "(the indices say which)"

_PICKS = (
    # torch.max(x) is MaxBackward1, torch.max(x, dim) MaxBackward0; torch.max(a, b) is
    # torch.maximum's MaximumBackward0
    Op("max_of", "selection", "max x, or (values, indices) along a dim", ("torch.max", ".max"),
       ports=X, statement=True, any_result=True, fields=_PAIR, glyph="max",
       nodes=(unary("Max", "∂{L}/∂{x} = {g} at the position of the maximum, 0 elsewhere"),)),
    Op("min_of", "selection", "min x, or (values, indices) along a dim", ("torch.min", ".min"),
       ports=X, statement=True, any_result=True, fields=_PAIR, glyph="min",
       nodes=(unary("Min", "∂{L}/∂{x} = {g} at the position of the minimum, 0 elsewhere"),)),
    Op("sort", "selection", "(values, indices): x sorted along a dim", ("torch.sort", ".sort"),
       ports=X, statement=True, any_result=True, fields=_PAIR, glyph="↑",
       nodes=(unary("Sort", "∂{L}/∂{x} = {g} put back where each sorted value came from",
                    extra=_PICKED, forward="x sorted"),)),
    Op("topk", "selection", "(values, indices): the k largest along a dim",
       ("torch.topk", ".topk"), ports=X, statement=True, any_result=True, fields=_PAIR,
       glyph="k↑",
       nodes=(unary("Topk", "∂{L}/∂{x} = {g} put back at the positions chosen, 0 elsewhere",
                    extra=_PICKED, forward="the largest entries of x"),)),
    Op("argmax", "selection", "the index of the largest entry", ("torch.argmax", ".argmax"),
       ports=X, statement=True, any_result=True, glyph="i↑"),
    Op("argmin", "selection", "the index of the smallest entry", ("torch.argmin", ".argmin"),
       ports=X, statement=True, any_result=True, glyph="i↓"),
)

#: Ops whose result is a named tuple of this many tensors (max and min: only along a dim), these
#: and the factorizations, from their records.
TUPLES = {op.key: len(op.fields) for op in (*_PICKS, *factorizations.OPS) if op.fields}
#: The fields of those named tuples, as code reads them.
FIELDS = tuple(dict.fromkeys(f for op in (*_PICKS, *factorizations.OPS) for f in op.fields))

OPS = (*_PICKS,
       Op("field", "selection", "a named part of a result: .values, .indices, .Q, .eigenvalues…",
          tuple(f"attr:{name}" for name in FIELDS), ports=X, statement=True, any_result=True,
          glyph="."))
