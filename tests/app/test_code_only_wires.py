"""Code-only blocks (``x.sort()``, ``y[0] = v``, ``x.max()``) show what they read: a wire from
each tensor they read into a named port, so the block editor draws the code's data flow."""

from __future__ import annotations

from nla_explorer.engine.blocks.diagnosis import diagnose
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.panels.block_canvas import BlockCanvas

CODE = ("import torch\nx = torch.randn(5, requires_grad=True)\nv, i = torch.sort(x)\n"
        "y = v * 2\ny[0] = x[1]\nz = y.sum() + x.max()\nz.backward()\n")


def test_code_only_blocks_are_wired_to_what_they_read(qtbot):
    canvas = BlockCanvas()
    qtbot.addWidget(canvas)
    expression = parse_code(CODE)
    shapes, errors = diagnose(expression)
    canvas.set_expression(expression, {}, shapes, errors)
    titles = {b.id: b.name or b.id for b in expression.blocks}
    ops = {b.id: b.op for b in expression.blocks}
    wires = {(titles[w.source.look.block_id], ops[w.target.look.block_id], w.address)
             for w in canvas.wire_items()}
    assert ("x", "sort", "x") in wires and ("x", "max_of", "x") in wires
    set_item = next(b for b in expression.blocks if b.op == "set_item")
    value = titles[set_item.args[2].block]  # x[1]
    assert {(source, port) for source, op, port in wires if op == "set_item"} == {
        ("y", "y"), (value, "v")}
    assert not errors
