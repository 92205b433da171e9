"""Every named constant an op reads is drawn, also one its Node does not save.

``MulBackward0`` saves ``other`` (``b2`` of ``(x + b1) * b2``), ``AddBackward0`` saves nothing of
``b1``: the forward recorder notes the constant inputs, the capture keeps their values as the
node's ``operand_values``, and the box table draws them as it draws the saved constants (dashed,
``const_<name>``, with shape and value). The autograd graph proper (nodes, edges, backward steps)
is the same as without them.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nla_explorer.engine import Expression, capture, explore_code, explore_expression
from nla_explorer.engine.autograd.recorder import ForwardRecorder
from nla_explorer.engine.autograd.saved_later import capture_first
from nla_explorer.engine.blocks.editing import add_block, connect, set_output
from nla_explorer.engine.report import graph_json
from nla_explorer.graph_view.box_table import build_display_graph
from nla_explorer.graph_view.model import CONSTANT

HEAD = "import torch\ntorch.manual_seed(0)\nx = torch.randn(3, requires_grad=True)\n" \
       "b1 = torch.randn(3)\nb2 = torch.ones(3)\n"
REPRO = HEAD + "y = ((x + b1) * b2).sum()\ny.backward()\n"


def _op(graph, op):
    return next(n for n in graph.nodes if n.op == op)


def _constants(display):
    return {n.id: n for n in display.nodes if n.kind == CONSTANT}


def _feeds(display, box):
    return [e.target for e in display.edges if e.source == box]


def test_the_constant_an_add_does_not_save_is_in_the_graph_with_its_value():
    r = explore_code(REPRO)
    add = _op(r.graph, "AddBackward0")
    assert add.operands == ((1, "b1"),)
    (b1,) = add.operand_values
    assert (b1.role, b1.label, b1.name) == ("constant", "b1", "input 1")
    torch.manual_seed(0)
    torch.randn(3)
    want = torch.randn(3).numpy()
    assert b1.tensor.shape == (3,) and np.allclose(b1.tensor.values, want)


def test_it_is_drawn_as_the_saved_constants_are():
    r = explore_code(REPRO)
    display = build_display_graph(r.graph, r.trace)
    constants = _constants(display)
    assert set(constants) == {"const_b1", "const_b2"}
    b1, b2 = constants["const_b1"], constants["const_b2"]
    add, mul = _op(r.graph, "AddBackward0").id, _op(r.graph, "MulBackward0").id
    assert b1.graph_id == add and _feeds(display, "const_b1") == [add]
    assert b2.graph_id == mul and _feeds(display, "const_b2") == [mul]  # once, not twice
    assert (b1.title, b1.subtitle, b1.name) == ("b1", "3", "b1")
    assert b1.value is _op(r.graph, "AddBackward0").operand_values[0].tensor
    assert b1.grad is None and "input 1 of AddBackward0" in b1.tooltip
    assert all(e.constant for e in display.edges if e.source in constants)


def test_the_constants_switch_hides_them_and_the_graph_proper_stays_the_same():
    r = explore_code(REPRO)
    shown = build_display_graph(r.graph, r.trace)
    hidden = build_display_graph(r.graph, r.trace, show_constants=False)
    assert not _constants(hidden)
    assert len(hidden) == len(r.graph) == len(shown) - 2
    assert len(hidden.edges) == len(r.graph.edges) == len(shown.edges) - 2
    assert [r.graph.node(s.node_id).op for s in r.trace.steps] == [
        "SumBackward0", "MulBackward0", "AddBackward0", "AccumulateGrad"]
    x_grad = r.trace.node_grad(r.graph.find("x").id)
    assert np.allclose(x_grad.values, np.ones(3))


def test_a_layer_shows_its_bias_entering_the_add():
    code = ("import torch\ntorch.manual_seed(0)\nW = torch.randn(2, 3, requires_grad=True)\n"
            "x = torch.randn(3)\nb1 = torch.randn(2)\nh = W @ x + b1\nloss = h.pow(2).sum()\n"
            "loss.backward()\n")
    r = explore_code(code)
    display = build_display_graph(r.graph, r.trace)
    constants = _constants(display)
    add = _op(r.graph, "AddBackward0").id
    assert _feeds(display, "const_b1") == [add] and constants["const_b1"].subtitle == "2"
    assert "const_x" in constants  # x: saved by the matmul, drawn as before


def test_one_constant_read_by_two_ops_is_one_box():
    r = explore_code(HEAD + "y = ((x + b1) * b1 - b1).sum()\ny.backward()\n")
    display = build_display_graph(r.graph, r.trace)
    assert set(_constants(display)) == {"const_b1"}
    fed = _feeds(display, "const_b1")
    assert sorted(r.graph.node(n).op for n in fed) == ["AddBackward0", "MulBackward0",
                                                      "SubBackward0"]


def test_an_unnamed_constant_gets_no_box_of_its_own():
    r = explore_code(HEAD + "y = (x + torch.ones(3)).sum()\ny.backward()\n")
    assert not _constants(build_display_graph(r.graph, r.trace))


def test_the_blocks_path_draws_it_too():
    e = Expression()
    e, _ = add_block(e, "manual_seed", params={"seed": 0})
    e, x = add_block(e, "randn", name="x", params={"shape": (3,), "requires_grad": True})
    e, b1 = add_block(e, "randn", name="b1", params={"shape": (3,)})
    e, z = add_block(e, "add", name="z")
    e = connect(connect(e, x, z, "a"), b1, z, "b")
    e, s = add_block(e, "sum", name="s")
    e = set_output(connect(e, z, s, "x"), s)
    r = explore_expression(e)
    display = build_display_graph(r.graph, r.trace)
    add = _op(r.graph, "AddBackward0").id
    assert _feeds(display, "const_b1") == [add]
    assert _constants(display)["const_b1"].value.shape == (3,)


def _recorded(code):
    """``y`` of ``code`` run under a recorder, and the names it bound."""
    names: dict = {}
    with ForwardRecorder() as rec:
        exec(code, {"torch": torch}, names)
    return names, rec


def test_a_constant_changed_in_place_after_the_op_keeps_its_name_but_no_value():
    names, rec = _recorded("x = torch.randn(3, requires_grad=True)\nb = torch.randn(3)\n"
                           "y = (x + b).sum()\nb.add_(1)\n")
    add = _op(capture(names["y"], names, recorder=rec), "AddBackward0")
    assert add.operands == ((1, "b"),) and add.operand_values == ()


def test_an_inference_tensor_operand_is_no_trouble():
    with torch.inference_mode():
        b = torch.ones(3)
    x = torch.randn(3, requires_grad=True)
    with ForwardRecorder() as rec:
        y = (x + b).sum()
    add = _op(capture(y, {"x": x, "b": b, "y": y}, recorder=rec), "AddBackward0")
    assert add.operands == ((1, "b"),) and add.operand_values == ()


@pytest.mark.parametrize("two_passes", [False, True])
def test_a_graph_read_in_two_passes_keeps_them(two_passes):
    names, rec = _recorded("x = torch.randn(3, requires_grad=True)\nb = torch.randn(3)\n"
                           "y = (x * x + b).sum()\n")
    if two_passes:
        first, complete = capture_first(names["y"], names, recorder=rec)
        graph = complete() if complete is not None else first
    else:
        graph = capture(names["y"], names, recorder=rec)
    (b,) = _op(graph, "AddBackward0").operand_values
    assert b.label == "b" and np.allclose(b.tensor.values, names["b"].numpy())


def test_run_as_python_brings_them_across():
    from nla_explorer.engine.runner.supervisor import Runner
    with Runner() as runner:
        result = runner.run_cells([("cell", 1, REPRO)], timeout=120)
    assert result.error is None
    (b1,) = _op(result.graph, "AddBackward0").operand_values
    assert b1.label == "b1" and b1.tensor.shape == (3,)
    assert "const_b1" in _constants(build_display_graph(result.graph, result.trace))


def test_trace_json_exports_them_with_their_values():
    """``trace --json`` lists them under ``operands``: the one changed in place after without a
    value, as the picture leaves it out."""
    data = graph_json(explore_code(REPRO).graph)
    add = next(n for n in data["nodes"] if n["op"] == "AddBackward0")
    torch.manual_seed(0)
    torch.randn(3)
    want = torch.randn(3)
    (b1,) = add["operands"]
    assert (b1["slot"], b1["name"]) == (1, "b1")
    assert torch.equal(torch.tensor(b1["tensor"]["value"]), want)
    changed = graph_json(explore_code(HEAD + "y = (x + b1).sum()\nb1.mul_(2)\n").graph)
    add = next(n for n in changed["nodes"] if n["op"] == "AddBackward0")
    assert add["operands"] == [{"slot": 1, "name": "b1"}]
