"""The box table: a grouped picture makes only the boxes it shows, and what it shows is what the
same picture shows when every box of the graph is made first."""

from __future__ import annotations

import pytest
import torch

from nla_explorer.engine import capture, trace_backward
from nla_explorer.engine.recording import capture_tensor
from nla_explorer.graph_view.box_table import BoxTable, box_table, build_display_graph
from nla_explorer.graph_view.groups.fold_window import fully_open
from nla_explorer.graph_view.groups.plan import group_tree, opened_at
from nla_explorer.graph_view.groups.shown import shown_graph
from tests.helpers import recorded_lstm


def _shown_facts(shown):
    nodes = [(n.id, n.kind, n.title, n.subtitle, n.tooltip, n.graph_id, n.members, n.proxy_of,
              n.value.shape if n.value is not None else None,
              n.grad.shape if n.grad is not None else None) for n in shown.display.nodes]
    return nodes, list(shown.display.edges)


def _lstm_tables(steps: int = 60):
    cell, loss = recorded_lstm(steps)
    cap = capture_tensor(loss, models={"cell": cell})
    lazy = box_table(cap.graph, cap.trace, grads=False).split_shared()
    made_first = BoxTable.of_display(lazy.as_display())  # every box made before grouping
    fresh = box_table(cap.graph, cap.trace, grads=False).split_shared()
    return cap, fresh, made_first


def test_a_closed_picture_makes_only_the_boxes_it_shows():
    cap, table, _ = _lstm_tables()
    tree = group_tree(table, cap.graph)
    shown = shown_graph(table, tree, opened_at(tree, 0, len(table)), cap.trace.node_grad)
    assert len(table) > 1000
    assert len(shown.display) < 10
    # the boxes shown outside groups, and one output box per closed group: nothing else
    assert table.made_count <= len(shown.display) + len(tree.top_groups)


@pytest.mark.parametrize("depth", ["closed", "calls", "all"])
def test_what_is_shown_is_the_same_as_with_every_box_made(depth):
    cap, lazy, eager = _lstm_tables()
    trees = group_tree(lazy, cap.graph), group_tree(eager, cap.graph)
    assert trees[0].signature == trees[1].signature
    fold = next(gid for gid, g in trees[0].groups.items() if g.fold)
    opened = {"closed": frozenset(), "calls": frozenset({fold}),
              "all": fully_open(trees[0], trees[0].groups)}[depth]
    lazy_shown, eager_shown = (shown_graph(t, tree, opened, cap.trace.node_grad)
                               for t, tree in zip((lazy, eager), trees))
    assert _shown_facts(lazy_shown) == _shown_facts(eager_shown)


def test_a_box_is_made_once_and_the_edges_keep_their_kinds():
    w = torch.randn(3, requires_grad=True)
    b = torch.randn(3)
    y = (w * b).sum() * 0.5
    graph = capture(y, names={"w": w, "b": b})
    table = box_table(graph, trace_backward(y))
    box = table.node(graph.find("w").id)
    assert table.node(box.id) is box and table.nodes[table.index[box.id]] is box
    display = build_display_graph(graph, trace_backward(y))
    assert [(e.source, e.target, e.constant, e.made_by) for e in table.edges] == \
        [(e.source, e.target, e.constant, e.made_by) for e in display.edges]
    assert {(e.source, e.target) for e in table.edges if not e.constant} == \
        {(e.source, e.target) for e in graph.edges}
    constant = next(n for n in table.nodes if n.kind == "constant" and n.title == "b")
    assert any(e.source == constant.id and e.constant for e in table.edges)


def test_a_display_with_bundled_edges_is_not_taken_for_a_whole_graph():
    from nla_explorer.graph_view.model import DisplayEdge, DisplayGraph, DisplayNode
    a = DisplayNode("a", "op", "a", "1", "")
    b = DisplayNode("b", "op", "b", "1", "")
    with pytest.raises(ValueError, match="bundled"):
        BoxTable.of_display(DisplayGraph((a, b), (DisplayEdge("a", "b", count=3),)))


def _reference_find(display, tree, text, after=None):
    """What find_box answered before it stopped at the first match: every match, in order."""
    needle = text.strip().lower()

    def path_of(gid):
        out = []
        while gid is not None:
            g = tree.groups[gid]
            out.append(f"\n{g.path}\n{g.kind}")
            gid = g.parent
        return "".join(reversed(out)).lower()
    hits = [n.id for n in display.nodes
            if needle in f"{n.title}\n{n.tooltip}\n{n.id}".lower()
            or needle in path_of(tree.group_of.get(n.id))]
    if not hits:
        return None
    if after in hits:
        return hits[(hits.index(after) + 1) % len(hits)]
    return hits[0]


def test_search_stops_at_the_first_match_and_answers_as_a_full_scan():
    from nla_explorer.graph_view.groups.search import find_box
    cap, table, made_first = _lstm_tables(60)
    tree = group_tree(table, cap.graph)
    assert find_box(table, tree, "unsafe") is not None
    assert table.made_count < 100  # a match near the start: only the boxes looked at are made
    reference_tree = group_tree(made_first, cap.graph)
    for text, after in [("unsafe", None), ("sigmoid", "n40"), ("LSTMCell", None),
                        ("cell 7", None), ("weight_ih", "n3"), ("no such thing", None),
                        ("n1_mat1", None), ("tanh", "not a box"), ("1×16", "n7")]:
        after_hit = find_box(table, tree, text, after)
        assert after_hit == _reference_find(made_first, reference_tree, text, after), text
    hit = find_box(table, tree, "sigmoid")
    again = find_box(table, tree, "sigmoid", hit)
    assert again != hit and again == _reference_find(made_first, reference_tree, "sigmoid", hit)


def test_a_search_reads_boxes_without_making_them_and_answers_as_a_full_scan():
    """Titles and tooltips of boxes not made yet are read from what decides them (an op's
    label, shape, dtype; a shared leaf's uses): the same answers, and no box made."""
    from nla_explorer.graph_view.groups.search import find_box
    cap, table, made_first = _lstm_tables(40)
    tree = group_tree(table, cap.graph)
    reference_tree = group_tree(made_first, cap.graph)
    before = table.made_count
    assert find_box(table, tree, "no such thing") is None
    assert table.made_count == before  # nothing matched, and nothing was made for it
    for text in ["torch: addmm", "float32", "read by 40 ops", "weight_hh", "shape 1×4",
                 "the output", "none", "sigmoid\ntorch", "= sum", "mat1", "n12"]:
        for after in (None, "n5"):
            assert find_box(table, tree, text, after) == _reference_find(
                made_first, reference_tree, text, after), (text, after)
    # every box's text, read without making it, is what the made box says
    for box in table.box_columns()[0]:
        n = made_first.node(box)
        assert table.search_text(box) == f"{n.title}\n{n.tooltip}".lower(), box


@pytest.mark.parametrize("text", ["cell@7", "CELL (call 7)", "call 7", " Call 7 "])
def test_a_module_call_named_exactly_is_found_box_by_box(text):
    """Find takes a time step of a loop by its call: its id, its title or ``call N``; Enter
    again goes on to its next box, and round."""
    from nla_explorer.graph_view.groups.search import find_box
    cap, table, _ = _lstm_tables(20)
    tree = group_tree(table, cap.graph)
    members = tree.members("cell@7")
    assert len(members) > 3
    found, after = [], None
    for _ in range(len(members) + 1):
        after = find_box(table, tree, text, after)
        found.append(after)
    assert sorted(found[:-1]) == sorted(members) and found[-1] == found[0]  # each, then round
    made_at = [cap.graph.node(table.node(box).graph_id).sequence_nr for box in found[:-1]]
    made_at = [1 << 60 if n is None else n for n in made_at]  # (a leaf's use: last)
    assert made_at == sorted(made_at)  # in the order the forward pass made them
    assert all("cell@7" in tree.groups_around(box) for box in found)
    assert find_box(table, tree, "cell (call 7") is None  # not exact: the text search
    assert find_box(table, tree, "call 21") is None  # 20 calls
