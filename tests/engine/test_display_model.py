"""The display model: the boxes match the capture, constants are shown once, chains collapse."""

import dataclasses

import torch

from nla_explorer.engine import capture, explore_code, get_example, trace_backward
from nla_explorer.graph_view.collapse import collapse_chains
from nla_explorer.graph_view.box_table import build_display_graph


def test_every_autograd_node_is_a_box_and_edges_match():
    exp = explore_code(get_example("quadratic").code)
    display = build_display_graph(exp.graph, exp.trace)
    ids = {n.id for n in exp.graph.nodes}
    assert ids <= {n.id for n in display.nodes}
    data_edges = {(e.source, e.target) for e in display.edges if not e.constant}
    assert data_edges == {(e.source, e.target) for e in exp.graph.edges}
    out = display.node(exp.graph.output_id)
    assert out.kind == "output" and out.value_badge == f"{exp.output.item():.4g}"
    assert out.grad_badge == "1"
    x = display.node(exp.graph.find("x").id)
    assert x.kind == "leaf" and x.title == "x" and x.subtitle == "5"
    consts = [n for n in display.nodes if n.kind == "constant"]
    assert sorted(n.title for n in consts) == ["0.5", "b"]
    assert all(any(e.source == c.id and e.constant for e in display.edges) for c in consts)


def test_constants_can_be_hidden():
    exp = explore_code(get_example("quadratic").code)
    display = build_display_graph(exp.graph, exp.trace, show_constants=False)
    assert len(display) == len(exp.graph)


def test_named_constant_used_twice_is_one_box():
    exp = explore_code("b = torch.randn(3)\nx = torch.randn(3, requires_grad=True)\n"
                       "y = (b * x).sum() + (b * x.exp()).sum()\n")
    display = build_display_graph(exp.graph, exp.trace)
    b_boxes = [n for n in display.nodes if n.kind == "constant" and n.title == "b"]
    assert len(b_boxes) == 1
    assert sum(1 for e in display.edges if e.source == b_boxes[0].id) == 2


def test_collapse_chains_keeps_the_shape():
    x = torch.randn(2, requires_grad=True)
    y = x
    for _ in range(50):
        y = torch.sin(y)
    out = y.sum()
    graph = capture(out)
    display = build_display_graph(graph, trace_backward(out))
    collapsed = collapse_chains(display)
    assert len(collapsed) < 10
    groups = [n for n in collapsed.nodes if n.kind == "group"]
    assert len(groups) == 1 and len(groups[0].members) == 50
    # still connected leaf → group → sum
    ids = {n.id for n in collapsed.nodes}
    assert all(e.source in ids and e.target in ids for e in collapsed.edges)
    assert collapsed.node_for_graph_id(groups[0].members[10]).id == groups[0].id


def test_widely_shared_weights_are_drawn_beside_each_use():
    w = torch.randn(3, requires_grad=True)
    h = torch.zeros(3)
    for _ in range(10):
        h = torch.tanh(h * w + 1)
    out = h.sum()
    graph = capture(out, names={"w": w})
    display = build_display_graph(graph, trace_backward(out))
    from nla_explorer.graph_view.box_table import split_shared
    split = split_shared(display, min_uses=8)
    copies = [n for n in split.nodes if n.proxy_of == graph.find("w").id]
    assert len(copies) == 10 and all(n.title == "w" for n in copies)
    assert graph.find("w").id not in {n.id for n in split.nodes}
    assert len(split.edges) == len(display.edges)
    assert all(sum(e.source == c.id for e in split.edges) == 1 for c in copies)
    assert split.node_for_graph_id(graph.find("w").id).proxy_of == graph.find("w").id


def test_tooltips_are_written_when_read_and_say_what_the_box_is():
    x = torch.randn(3, requires_grad=True)
    w = torch.randn(3, requires_grad=True)
    h = torch.zeros(3)
    for _ in range(9):
        h = torch.tanh(h * w + x)
    out = h.sum()
    graph = capture(out, names={"w": w, "x": x})
    display = build_display_graph(graph, trace_backward(out))
    tanh = next(n for n in display.nodes if graph.node(n.id).op == "TanhBackward0")
    assert not isinstance(tanh.hint, str)  # not written yet
    assert tanh.tooltip == "tanh\ntorch: TanhBackward0\nshape 3 · float32"
    assert tanh.hint == tanh.tooltip  # written once, kept
    leaf = display.node(graph.find("w").id)
    assert leaf.tooltip.endswith("leaf variable, requires grad")
    assert display.node(graph.output_id).tooltip.endswith("the output")
    from nla_explorer.graph_view.box_table import split_shared
    copy = next(n for n in split_shared(display).nodes if n.proxy_of == graph.find("w").id)
    assert copy.tooltip == f"{leaf.tooltip}\nread by 9 ops: drawn beside each of them"


def test_a_box_with_its_gradient_is_the_same_box_otherwise():
    exp = explore_code(get_example("quadratic").code)
    plain = build_display_graph(exp.graph, exp.trace, grads=False)
    full = build_display_graph(exp.graph, exp.trace)
    for n in plain.nodes:
        grad = full.node(n.id).grad
        moved = n.with_grad(grad)
        assert moved.grad is grad and n.grad is None
        fields = [f.name for f in dataclasses.fields(n) if f.name != "grad"]
        assert type(moved) is type(n)
        assert [getattr(moved, f) for f in fields] == [getattr(n, f) for f in fields]
