"""A big graph drawn before its saved values are read: the graph completed after the first
picture is the graph a one-pass capture gives, and its grouped picture is the one drawn from it
afresh (the groups and folds of the first picture kept, the constants in their groups)."""

from __future__ import annotations

import pytest
import torch

from nla_explorer.engine.autograd.capture import capture
from nla_explorer.engine.autograd.saved_later import capture_first
from nla_explorer.engine.errors import CaptureError
from nla_explorer.engine.recording import capture_tensor, recording
from nla_explorer.graph_view.box_table import box_table
from nla_explorer.graph_view.groups.fold_window import fully_open
from nla_explorer.graph_view.groups.plan import group_tree
from nla_explorer.graph_view.groups.shown import shown_graph
from nla_explorer.graph_view.groups.tree import placed_again
from tests.engine.test_capture_fast_paths import fingerprint
from tests.helpers import recorded_lstm


def _net_with_constants(steps: int = 30):
    """A recorded loop whose module calls save constants (the mask, a named scale) and whose
    top level saves one too: constant boxes inside groups and outside."""
    torch.manual_seed(0)
    cell = torch.nn.Linear(4, 4)
    mask = (torch.arange(4) % 2).float()
    scale = torch.tensor(0.5)
    with recording() as rec:
        h = torch.randn(1, 4)
        for _ in range(steps):
            h = torch.tanh(cell(h) * mask)
        loss = (h * scale).sum()
    return cell, loss, rec, {"mask": mask, "scale": scale}


def test_the_completed_graph_is_the_one_pass_capture():
    cell, loss, rec, names = _net_with_constants()
    first = capture_tensor(loss, names=names, models={"cell": cell}, trace=False, saved=False)
    assert first.complete is not None
    assert all(not n.saved for n in first.graph.nodes)
    whole = capture_tensor(loss, names=names, models={"cell": cell}, trace=False)
    assert any(n.saved for n in whole.graph.nodes)
    assert fingerprint(first.complete()) == fingerprint(whole.graph)
    # the first graph has everything but the saved values
    facts = lambda g: [(n.id, n.kind, n.op, n.label, n.name, n.n_inputs, n.sequence_nr,  # noqa: E731
                        n.module, n.scope, n.order, n.value.shape, n.value.values.tobytes())
                       for n in g.nodes]
    assert facts(first.graph) == facts(whole.graph)
    assert first.graph.edges == whole.graph.edges


def test_without_recorded_values_the_graph_is_read_whole_at_once():
    x = torch.randn(3, requires_grad=True)
    y = (x.sin() * x).sum()  # sin's value is only what its Node saved
    graph, complete = capture_first(y)
    assert complete is None
    assert fingerprint(graph) == fingerprint(capture(y))


def test_the_completed_picture_is_the_picture_of_the_complete_graph():
    cell, loss, rec, names = _net_with_constants()
    first = capture_tensor(loss, names=names, models={"cell": cell}, trace=False, saved=False)
    whole = first.complete()
    early = box_table(first.graph, grads=False).split_shared()
    tree = group_tree(early, first.graph)
    assert any(g.fold for g in tree.groups.values())
    table = box_table(whole, grads=False).split_shared()
    assert len(table) > len(early)  # the constants came
    again, fresh = placed_again(tree, table), group_tree(table, whole)
    facts = lambda t: ({gid: (g.parent, g.depth, g.fold, g.groups, g.boxes, g.first)  # noqa: E731
                        for gid, g in t.groups.items()}, t.top_groups, t.top_boxes, t.group_of)
    assert facts(again) == facts(fresh)
    assert not tree.groups[next(iter(tree.groups))].boxes or facts(tree) != facts(fresh)
    for opened in (frozenset(), fully_open(fresh, fresh.groups)):
        a, b = shown_graph(table, again, opened), shown_graph(table, fresh, opened)
        assert [n.id for n in a.display.nodes] == [n.id for n in b.display.nodes]
        assert a.display.edges == b.display.edges


def test_a_long_recorded_loop_is_completed_the_same():
    cell, loss = recorded_lstm(40)
    first = capture_tensor(loss, models={"cell": cell}, trace=False, saved=False)
    whole = capture_tensor(loss, models={"cell": cell}, trace=False)
    assert fingerprint(first.complete()) == fingerprint(whole.graph)


def test_saved_values_freed_by_a_backward_are_an_error_at_once_as_in_one_pass():
    cell, loss = recorded_lstm(5)
    loss.backward()  # frees what the Nodes saved
    errors = []
    for saved in (True, False):
        with pytest.raises(CaptureError) as err:
            capture_tensor(loss, models={"cell": cell}, trace=False, saved=saved)
        errors.append(str(err.value))
    assert errors[0] == errors[1] and "freed" in errors[0]
