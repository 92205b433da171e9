"""Arrange (no Qt): compact rows, inputs next to their readers, statements out of the way."""

from __future__ import annotations

import pytest

from nla_explorer.engine import EXAMPLES
from nla_explorer.engine.blocks.arrange import BLOCK_GAP, DEFAULT_SIZE, LAYER_GAP, arrange

W, H = DEFAULT_SIZE


def boxes(placed: dict, sizes: dict | None = None) -> dict:
    sizes = sizes or {}
    out = {}
    for block_id, (x, y) in placed.items():
        w, h = sizes.get(block_id, DEFAULT_SIZE)
        out[block_id] = (x - w / 2, y, x + w / 2, y + h)
    return out


def overlapping(found: dict) -> list:
    items = list(found.items())
    return [(a, b) for k, (a, ra) in enumerate(items) for b, rb in items[k + 1:]
            if ra[0] < rb[2] and rb[0] < ra[2] and ra[1] < rb[3] and rb[1] < ra[3]]


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_every_block_placed_none_overlapping_and_below_what_feeds_it(example):
    expr = EXAMPLES[example].expression()
    placed = arrange(expr)
    assert set(placed) == set(expr.ids)
    assert overlapping(boxes(placed)) == []
    for block in expr.blocks:
        for source in block.inputs:
            assert placed[source][1] + H + LAYER_GAP <= placed[block.id][1] + 1e-6


def test_inputs_sit_just_above_their_first_reader_and_the_seed_does_not_widen_the_top():
    expr = EXAMPLES["quadratic"].expression()
    name = {b.name or b.id: b.id for b in expr.blocks}
    placed = arrange(expr)
    rows = sorted({y for _, y in placed.values()})
    row = {i: rows.index(y) for i, (_, y) in placed.items()}
    assert row[name["x"]] == 0  # read by 0.5 * x in the second row
    assert row[name["A"]] == row[name["b5"]]  # read by (0.5 * x) @ A, one row lower
    assert row[name["b"]] == row[name["b8"]] - 1  # b @ x is read by the last subtraction
    assert len(rows) == 5  # x; 0.5 * x; @ A; @ x and b @ x; f
    widest = max(sum(1 for r in row.values() if r == k) for k in range(len(rows)))
    assert widest <= 3  # the old first row held the seed and all three inputs
    found = boxes(placed)
    left = min(b[0] for b in found.values())
    right = max(b[2] for b in found.values())
    assert right - left <= 3 * W + 2 * BLOCK_GAP + 2 * W  # far narrower than the old picture
    assert row[name["b1"]] == 0  # manual_seed: in the top row, where there is room


def test_given_sizes_wide_blocks_are_moved_apart_and_hidden_blocks_take_no_room():
    expr = EXAMPLES["hessian_quadratic"].expression()
    sizes = {b.id: (320.0 if b.op == "matmul" else 140.0, 60.0) for b in expr.blocks
             if b.op != "backward"}  # backward() is drawn in the code only
    placed = arrange(expr, sizes)
    assert set(placed) == set(expr.ids)
    assert overlapping({i: b for i, b in boxes(placed, sizes).items() if i in sizes}) == []


def test_a_result_on_the_side_goes_below_its_inputs_not_above_the_output():
    expr = EXAMPLES["tanh_net_jacobian"].expression()
    name = {b.name or b.id: b.id for b in expr.blocks}
    placed = arrange(expr)
    jacobian = placed[name["J"]][1]
    assert all(placed[i][1] < jacobian for i in expr.block(name["J"]).inputs)
    assert placed[name["W2"]][1] > placed[name["W1"]][1]  # W2 waits next to W2 @ tanh(...)
    assert placed[name["b2"]][1] > placed[name["W2"]][1]


def test_nothing_to_arrange_and_a_lone_block():
    from nla_explorer.engine.expression import Expression
    assert arrange(Expression()) == {}
    expr = EXAMPLES["sum_squares"].expression()
    placed = arrange(expr)
    assert len({x for x, _ in placed.values()}) == 1  # a chain stands in one column
