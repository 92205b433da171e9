"""New blocks fed by the selection, sized by named numbers, placed in free space; New and the
named numbers as edits (no Qt)."""

import pytest
import torch

from nla_explorer.engine import Expression, ExpressionError, Hole, Ref, Var, to_code
from nla_explorer.engine.blocks.edits import (
    AddBlock, Clear, SetNumbers, apply_edit, parse_numbers,
)
from nla_explorer.engine.blocks.feeding import feed_ports, sized_preset
from nla_explorer.engine.blocks.positions import free_spot
from nla_explorer.engine.code.evaluation import evaluate


def build(*edits):
    expr, positions = Expression(), {}
    for edit in edits:
        expr, positions = apply_edit(expr, positions, edit)
    return expr, positions


def test_selected_blocks_feed_the_free_inputs_in_order():
    expr, _ = build(AddBlock("randn", (("shape", (2, 3)),)), AddBlock("randn", (("shape", (3,)),)),
                    AddBlock("matmul", inputs=("b1", "b2")))
    assert expr.block("b3").args == (Ref("b1"), Ref("b2"))
    run = evaluate(expr)
    assert torch.equal(run.output, run.tensors["b1"] @ run.tensors["b2"])  # as torch does
    expr, _ = build(AddBlock("randn"), AddBlock("randn"), AddBlock("matmul", inputs=("b2", "b1")))
    assert expr.block("b3").args == (Ref("b2"), Ref("b1"))  # the order of selection


def test_one_source_leaves_the_number_input_first_free():
    expr, _ = build(AddBlock("randn"), AddBlock("mul", inputs=("b1",)))
    assert expr.block("b2").args == (Hole("a"), Ref("b1"))  # 0.5 * x: type the 0.5 into a
    assert feed_ports(expr, "b2", 1) == ["a"]
    expr, _ = build(AddBlock("randn"), AddBlock("matmul", inputs=("b1",)))
    assert expr.block("b2").args == (Ref("b1"), Hole("b"))  # only tensors: the first input


def test_what_cannot_feed_is_skipped_and_extra_sources_are_left():
    expr, _ = build(AddBlock("manual_seed"), AddBlock("randn"), AddBlock("randn"),
                    AddBlock("randn"), AddBlock("relu", inputs=("b1", "b2", "b3", "b4")))
    assert expr.block("b5").args == (Ref("b2"),)  # the seed makes no tensor; one input only
    expr, _ = build(AddBlock("randn"), AddBlock("randn"), AddBlock("cat", inputs=("b1", "b2")))
    assert expr.block("b3").args == ((Ref("b1"), Ref("b2")),)  # a list input takes them all
    expr, _ = build(AddBlock("randn"), AddBlock("randn", inputs=("b1",)))
    assert expr.block("b2").inputs == ()  # a constructor has no inputs
    with pytest.raises(ExpressionError, match="there is no block 'b9'"):
        build(AddBlock("relu", inputs=("b9",)))


def test_new_shapes_follow_the_first_named_size():
    expr, _ = build(SetNumbers((("lr", "0.1"), ("n", "5"))))
    preset = sized_preset(expr, "randn", (("requires_grad", True),))
    assert preset == (("requires_grad", True), ("shape", (Var("n"), Var("n"))))
    expr, _ = apply_edit(expr, {}, AddBlock("randn", preset))
    assert "torch.randn((n, n), requires_grad=True)" in to_code(expr)
    assert evaluate(expr).output.shape == (5, 5)
    assert sized_preset(expr, "randn", (("shape", (2,)),)) == (("shape", (2,)),)
    assert sized_preset(expr, "matmul", ()) == ()
    assert sized_preset(Expression(), "randn", ()) == ()  # no named size: (3, 3) as before


def test_new_clears_everything_and_numbers_are_set_as_typed():
    expr, positions = build(SetNumbers(parse_numbers("n = 5; d = 3")), AddBlock("randn"))
    assert expr.numbers == (("n", 5), ("d", 3)) and positions
    assert apply_edit(expr, positions, Clear()) == (Expression(), {})
    expr, _ = apply_edit(expr, positions, SetNumbers((("n", "6"),)))
    assert expr.numbers == (("n", 6),)
    with pytest.raises(ExpressionError, match="'x' is not"):
        parse_numbers("n = 5, x")
    with pytest.raises(ExpressionError, match="not a valid Python name"):
        apply_edit(expr, {}, SetNumbers((("2n", "3"),)))


def test_free_spot_is_nearest_the_centre_and_clear_of_every_block():
    assert free_spot((100, 50), (0, 0), []) == (0, -25)
    taken = [(-50, -25, 50, 25)]
    x, top = free_spot((100, 50), (0, 0), taken)
    assert top >= 25 + 24 and x == 0  # just below, a gap away
    x, top = free_spot((100, 50), (0, 0), taken, row=True)
    assert abs(x) >= 100 + 24 and top == -25  # beside: blocks nothing feeds line up in a row
    crowd = [(i * 130 - 50, j * 80 - 25, i * 130 + 50, j * 80 + 25)
             for i in range(-3, 4) for j in range(-3, 4)]
    x, top = free_spot((100, 50), (0, 0), crowd, bounds=(-1000, -1000, 1000, 1000))
    box = (x - 50, top, x + 50, top + 50)
    assert not any(box[0] < r[2] and r[0] < box[2] and box[1] < r[3] and r[1] < box[3]
                   for r in crowd)
    x, top = free_spot((100, 50), (0, 0), taken, bounds=(-60, -30, 60, 30))  # no room in view
    assert top >= 49
