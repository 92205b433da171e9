"""Module groups of the picture: the tree from real nn.Module calls, folds, what is shown of it, and
the nested layout. The reference for values is plain torch running the same modules."""

from __future__ import annotations

import math

import pytest
import torch

from nla_explorer.engine.recording import capture_tensor, recording
from nla_explorer.graph_view.groups.plan import (
    ALL_DEPTHS, group_tree, opened_at, path_to,
)
from nla_explorer.graph_view.groups.search import find_box
from nla_explorer.graph_view.groups.shown import shown_graph
from nla_explorer.graph_view.layout.nested import LayoutCache, nested_layout
from nla_explorer.graph_view.box_table import build_display_graph
from nla_explorer.graph_view.model import GROUP


def _grouped(model, x, fold=True):
    with recording():
        out = model(x)
        y = out.sum()
    cap = capture_tensor(y, models={"model": model})
    display = build_display_graph(cap.graph, cap.trace)
    return cap, display, group_tree(display, cap.graph, fold), out


def _transformer(layers=3):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
    return torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False).train()


def test_every_op_box_sits_in_the_innermost_module_call_that_made_it():
    cap, display, tree, _ = _grouped(_transformer(), torch.randn(2, 5, 16), fold=False)
    assert tree.top_groups == ["model@1"]
    layers = tree.groups["model@1"].groups
    assert layers == ["model.layers.0@1", "model.layers.1@1", "model.layers.2@1"]
    kinds = [tree.groups[g].kind for g in tree.groups["model.layers.1@1"].groups]
    assert kinds == ["MultiheadAttention", "LayerNorm", "Linear", "Linear", "LayerNorm"]
    for node in cap.graph.nodes:
        if node.kind == "op" and node.scope:
            path, call = node.scope[-1]
            assert tree.group_of[node.id] == f"{path}@{call}"
    params = dict(_transformer().named_parameters())
    for g in tree.groups.values():  # parameter counts are torch's
        if g.path == "model.layers.0.linear1":
            module = _transformer().layers[0].linear1
            assert g.parameters == sum(p.numel() for p in module.parameters())
    assert len(params) > 0


def test_a_weight_sits_inside_the_module_that_reads_it():
    cap, display, tree, _ = _grouped(_transformer(2), torch.randn(2, 5, 16), fold=False)
    weight = next(n for n in display.nodes if n.title == "model.layers.1.linear1.weight")
    assert tree.group_of[weight.id] == "model.layers.1.linear1@1"


def test_consecutive_look_alike_layers_fold_and_different_ones_do_not():
    _, _, tree, _ = _grouped(_transformer(4), torch.randn(2, 5, 16))
    kids = tree.groups["model@1"].groups
    # layer 0 reads the input, which needs no grad: torch records fewer ops there
    assert kids == ["model.layers.0@1", "fold:model.layers.1@1"]
    fold = tree.groups["fold:model.layers.1@1"]
    assert fold.fold == 3 and fold.path == "model.layers.1–3"
    assert fold.groups == ["model.layers.1@1", "model.layers.2@1", "model.layers.3@1"]
    net = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.Linear(4, 6),
                              torch.nn.Linear(6, 6), torch.nn.Linear(6, 6))
    _, _, tree, _ = _grouped(net, torch.randn(3, 6, requires_grad=True))
    assert tree.groups["model@1"].groups == ["model.0@1", "model.1@1", "fold:model.2@1"]


def test_the_calls_of_one_cell_in_a_loop_fold_into_one_box():
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(3, 5)
    xs = torch.randn(12, 1, 3)

    class Loop(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = cell

        def forward(self, xs):
            h = c = torch.zeros(1, 5)
            for x in xs:
                h, c = self.cell(x, (h, c))
            return h
    _, display, tree, _ = _grouped(Loop(), xs)
    calls = [g for g in tree.groups.values() if g.path == "model.cell" and not g.fold]
    assert sorted(g.call for g in calls) == list(range(1, 13))
    folds = [g for g in tree.groups.values() if g.fold]
    assert sum(g.fold for g in folds) >= 11  # the first call reads zeros: it may stand apart
    shown = shown_graph(display, tree, opened_at(tree, 1, len(display)))
    titles = [n.title for n in shown.display.nodes if n.kind == GROUP]
    assert any(t.endswith("×12") or t.endswith("×11") for t in titles)


def test_a_closed_group_shows_its_modules_output_value_and_gradient():
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    x = torch.randn(5, 4, requires_grad=True)
    cap, display, tree, out = _grouped(net, x)
    shown = shown_graph(display, tree, frozenset())  # every group closed
    box = shown.display.node("model@1")
    assert box.kind == GROUP and "Sequential" in box.subtitle and "2×" not in box.title
    expected = net(x)  # plain torch, the same modules
    assert torch.allclose(torch.tensor(box.value.values), expected.detach())
    assert torch.allclose(torch.tensor(box.grad.values), torch.ones_like(expected))  # d sum
    assert f"{sum(p.numel() for p in net.parameters())} params" in box.subtitle


def test_what_is_shown_partitions_the_boxes_and_keeps_every_crossing_edge():
    _, display, tree, _ = _grouped(_transformer(3), torch.randn(2, 5, 16))
    everything = {n.id for n in display.nodes}
    for opened in (frozenset(), opened_at(tree, 1, len(display)), opened_at(tree, 2, 10**6),
                   opened_at(tree, ALL_DEPTHS, 0)):
        shown = shown_graph(display, tree, opened)
        covered = []
        for n in shown.display.nodes:
            covered += tree.members(n.id) if n.kind == GROUP else [n.id]
        assert sorted(covered) == sorted(everything)  # each box shown once, or inside one group
        owner = {b: n.id for n in shown.display.nodes
                 for b in (tree.members(n.id) if n.kind == GROUP else [n.id])}
        crossing = sum(1 for e in display.edges if owner[e.source] != owner[e.target])
        assert sum(e.count for e in shown.display.edges) == crossing
    shown = shown_graph(display, tree, opened_at(tree, ALL_DEPTHS, 0))
    assert {n.id for n in shown.display.nodes} == everything  # all open: the flat graph


def test_nested_layout_puts_every_box_inside_its_frames_and_reuses_drawings():
    _, display, tree, _ = _grouped(_transformer(3), torch.randn(2, 5, 16))
    cache = LayoutCache()
    opened = opened_at(tree, ALL_DEPTHS, 0)
    shown = shown_graph(display, tree, opened)
    sizes = {n.id: (80.0 + 3 * len(n.subtitle), 40.0) for n in shown.display.nodes}
    headers = {g: (120.0, 20.0) for g in shown.opened}
    edges = [(e.source, e.target) for e in shown.display.edges]
    layout, frames = nested_layout(shown.levels, edges, sizes, headers, cache=cache)
    assert set(frames) == set(opened)
    for box, (x, y) in layout.positions.items():
        w, h = sizes[box]
        for gid in tree.groups_around(box):
            f = frames[gid]
            assert f.x <= x - w / 2 and x + w / 2 <= f.x + f.w + 1e-6
            assert f.y + f.header <= y - h / 2 and y + h / 2 <= f.y + f.h + 1e-6
    for gid, items in shown.levels.items():  # siblings do not overlap
        rects = []
        for item in items:
            if item in frames:
                f = frames[item]
                rects.append((f.x, f.y, f.x + f.w, f.y + f.h))
            else:
                (x, y), (w, h) = layout.positions[item], sizes[item]
                rects.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
        for i, a in enumerate(rects):
            for b in rects[i + 1:]:
                assert a[2] <= b[0] + 1e-6 or b[2] <= a[0] + 1e-6 or \
                    a[3] <= b[1] + 1e-6 or b[3] <= a[1] + 1e-6
    for points in layout.edge_points:
        assert len(points) >= 2 and all(math.isfinite(c) for p in points for c in p)
    misses = cache.misses
    assert cache.hits >= 5  # the look-alike layers and their look-alike parts: drawn once
    nested_layout(shown.levels, edges, sizes, headers, cache=cache)
    assert cache.misses == misses  # the same picture again: nothing laid out


def test_search_finds_a_box_by_module_path_and_names_the_groups_to_open():
    _, display, tree, _ = _grouped(_transformer(3), torch.randn(2, 5, 16))
    hit = find_box(display, tree, "layers.2.linear2")
    assert hit is not None
    assert tree.group_of[hit] == "model.layers.2.linear2@1"
    assert path_to(tree, hit) >= {"model@1", "fold:model.layers.1@1", "model.layers.2@1",
                                  "model.layers.2.linear2@1"}
    assert find_box(display, tree, "no such module") is None


@pytest.mark.parametrize("depth,expected", [(0, set()), (1, {"model@1"})])
def test_depth_opens_the_outer_calls_and_never_a_fold_below_all(depth, expected):
    _, display, tree, _ = _grouped(_transformer(3), torch.randn(2, 5, 16))
    assert set(opened_at(tree, depth, len(display))) == expected
    everything = opened_at(tree, ALL_DEPTHS, 0)
    assert "fold:model.layers.1@1" in everything and everything == set(tree.groups)


def test_plain_code_repeats_fold_without_modules():
    """An RNN unrolled in a Python loop, no modules: its iterations are found and folded."""
    torch.manual_seed(0)
    W = torch.randn(6, 6, requires_grad=True)
    b = torch.randn(6, requires_grad=True)
    h = torch.zeros(6)
    for _ in range(40):
        h = torch.tanh(W @ h + b) * 0.9
    y = h.sum()
    from nla_explorer.engine import capture, trace_backward

    graph = capture(y, names={"W": W, "b": b})
    display = build_display_graph(graph, trace_backward(y))
    tree = group_tree(display, graph)
    folds = [g for g in tree.groups.values() if g.fold]
    assert len(folds) == 1 and folds[0].fold >= 38 and folds[0].kind == "iteration"
    shown = shown_graph(display, tree, opened_at(tree, 1, len(display)))
    assert len(shown.display) < 12  # 200 boxes drawn as a handful


def test_an_open_fold_is_a_column_in_forward_order_and_reopening_a_call_reuses_it():
    _, display, tree, _ = _grouped(_transformer(5), torch.randn(2, 5, 16))
    fold = "fold:model.layers.1@1"
    cache = LayoutCache()

    def lay(opened):
        shown = shown_graph(display, tree, opened)
        sizes = {n.id: (90.0, 40.0) for n in shown.display.nodes}
        headers = {g: (100.0, 20.0) for g in shown.opened}
        return nested_layout(shown.levels, [(e.source, e.target) for e in shown.display.edges],
                             sizes, headers, cache=cache, columns={fold})
    layout, frames = lay({"model@1", fold})
    calls = tree.groups[fold].groups
    ys = [layout.positions[c][1] for c in calls]
    xs = {round(layout.positions[c][0], 6) for c in calls}
    assert ys == sorted(ys) and len(xs) == 1  # one column, layer 1 on top
    _, frames = lay({"model@1", fold, calls[2]})
    column = frames[fold]
    inner = frames[calls[2]]
    assert column.x <= inner.x and inner.x + inner.w <= column.x + column.w
