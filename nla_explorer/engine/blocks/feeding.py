"""A new block: fed by blocks already there (the canvas' selection, the block it was dropped
on), and sized by the named numbers.

``feed`` wires each source into one unconnected input of the new block, in order, so that adding
``matmul`` with ``0.5 * x`` selected and dropping it onto ``A`` makes ``0.5 * x @ A`` in one
gesture.
``sized_preset`` gives a new ``randn`` the shape ``(n, n)`` instead of ``(3, 3)`` once ``n = 5`` is
defined: the sizes follow the numbers the lecture uses.
"""

from __future__ import annotations

from nla_explorer.engine.blocks import editing as B
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Block, Expression, Hole, Var


def _block(expr: Expression, block_id: str) -> Block:
    if block_id not in expr.ids:
        raise ExpressionError(f"there is no block '{block_id}' to wire in", culprit=block_id)
    return expr.block(block_id)


def makes_tensor(expr: Expression, block_id: str) -> bool:
    """Does block ``block_id`` make a tensor another block could read (not ``manual_seed``)?"""
    block = _block(expr, block_id)
    return block.op == "input" or (block.op in B.TEMPLATES and B.TEMPLATES[block.op].output)


def feed_ports(expr: Expression, block_id: str, count: int) -> list[str]:
    """The inputs of ``block_id`` that ``count`` sources fill, in order: its unconnected inputs;
    when there are fewer sources than inputs, those that also take a number are left for one
    (``0.5 * x``: a selected ``x`` goes to the second input of ``mul``). A list input (``cat``)
    takes every source left over."""
    block = _block(expr, block_id)
    t = B.template(block.op)
    holes = [p for p in t.ports if not p.many and isinstance(B.port_value(block, p.name), Hole)]
    spare = max(0, len(holes) - count)
    left = [p for p in holes if p.number][:spare]
    chosen = [p.name for p in holes if p not in left][:count]
    lists = [p.name for p in t.ports if p.many]
    if lists and len(chosen) < count:
        chosen += [lists[0]] * (count - len(chosen))  # each one appends an item
    return chosen


def feed(expr: Expression, block_id: str, sources: tuple[str, ...] | list[str]) -> Expression:
    """Wire ``sources`` into ``block_id``'s free inputs (see :func:`feed_ports`). Sources that make
    no tensor, repeats and the block itself are skipped; sources beyond the free inputs are left
    unwired. An unknown source raises ExpressionError naming it."""
    usable = [s for s in dict.fromkeys(sources)
              if s != block_id and makes_tensor(expr, s)]
    for source, port in zip(usable, feed_ports(expr, block_id, len(usable))):
        expr = B.connect(expr, source, block_id, port)
    return expr


def sized_preset(expr: Expression, op: str, preset: tuple) -> tuple:
    """``preset`` with the shape of a new ``op`` block written in the expression's first named
    size (a positive whole number): ``(3, 3)`` becomes ``(n, n)``. Unchanged without one, or
    when ``preset`` gives a shape."""
    size = next((name for name, value in expr.numbers
                 if isinstance(value, int) and not isinstance(value, bool) and value > 0), None)
    shape = next((p for p in B.template(op).params if p.kind == "shape"), None)
    if size is None or shape is None or not isinstance(shape.initial, tuple) or \
            any(name == shape.name for name, _ in preset):
        return tuple(preset)
    return tuple(preset) + ((shape.name, tuple(Var(size) for _ in shape.initial)),)
