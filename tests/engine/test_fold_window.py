"""An open fold of many calls shows its ends and gap boxes: the gaps stand for exactly the calls
they hide (their autograd nodes, their edges), and showing every call gives the full fold back."""

from __future__ import annotations

from nla_explorer.engine.recording import capture_tensor
from nla_explorer.graph_view.groups.fold_window import (
    ENDS, WINDOW_FOLDS_OVER, every_call, gap_fold, windowed,
)
from nla_explorer.graph_view.groups.plan import ALL_DEPTHS, group_tree, opened_at, path_to
from nla_explorer.graph_view.groups.search import find_box
from nla_explorer.graph_view.groups.shown import shown_graph
from nla_explorer.graph_view.box_table import build_display_graph
from nla_explorer.graph_view.model import GROUP
from tests.helpers import recorded_lstm

STEPS = 40


def _unrolled(steps: int = STEPS):
    cell, loss = recorded_lstm(steps)
    cap = capture_tensor(loss, models={"cell": cell})
    display = build_display_graph(cap.graph, cap.trace)
    tree = group_tree(display, cap.graph)
    fold = next(gid for gid, g in tree.groups.items() if g.fold)
    return cap, display, tree, fold


def _items(shown, fold):
    return [(i, shown.display.node(i).title) for i in shown.levels[fold]]


def test_the_window_keeps_the_ends_and_what_is_shown_in_order():
    calls = [f"c{i}" for i in range(30)]
    items = windowed("f", calls, {"c12"})
    assert items[:ENDS] == calls[:ENDS] and items[-ENDS:] == calls[-ENDS:]
    assert items[ENDS] == ("gap:f#c3", calls[3:12]) and items[ENDS + 1] == "c12"
    assert items[ENDS + 2] == ("gap:f#c13", calls[13:27])
    assert gap_fold("gap:f#c13") == "f" and gap_fold("c13") is None
    assert windowed("f", calls, {every_call("f")}) == calls
    assert windowed("f", calls[:WINDOW_FOLDS_OVER], set()) == calls[:WINDOW_FOLDS_OVER]


def test_gaps_stand_for_exactly_the_calls_they_hide():
    cap, display, tree, fold = _unrolled()
    calls = tree.groups[fold].groups
    assert len(calls) > WINDOW_FOLDS_OVER
    shown = shown_graph(display, tree, {fold})
    level = shown.levels[fold]
    assert level[:ENDS] == calls[:ENDS] and level[-ENDS:] == calls[-ENDS:]
    (gap,) = [i for i in level if gap_fold(i) == fold]
    hidden = calls[ENDS:len(calls) - ENDS]
    assert shown.hidden_by(gap) == hidden[0]
    box = shown.display.node(gap)
    assert box.kind == GROUP and box.title == f"⋯ {len(hidden):,} more calls"
    # its autograd nodes are those of the hidden calls, each once
    inside = {display.node(b).graph_id for call in hidden for b in tree.members(call)}
    assert set(box.members) == inside and len(box.members) == len(inside)
    # stepping or selecting a node of a hidden call finds the gap
    some = next(iter(inside))
    assert shown.display.node_for_graph_id(some).id == gap
    # the edges: into the gap from the last call before it, out of it to the first after
    edges = {(e.source, e.target): e.count for e in shown.display.edges}
    assert edges[(calls[ENDS - 1], gap)] == 2 and edges[(gap, calls[-ENDS])] == 2  # h and c
    every = shown_graph(display, tree, {fold, every_call(fold)})
    assert every.levels[fold] == calls and not every.gaps


def test_an_open_call_in_the_middle_splits_the_gap_and_a_search_reaches_it():
    cap, display, tree, fold = _unrolled()
    calls = tree.groups[fold].groups
    middle = calls[len(calls) // 2]
    shown = shown_graph(display, tree, {fold, middle})
    gaps = [i for i in shown.levels[fold] if gap_fold(i) == fold]
    assert len(gaps) == 2 and middle in shown.levels[fold] and middle in shown.levels
    assert sum(len(shown.gaps[g]) for g in gaps) == len(calls) - 2 * ENDS - 1
    # a box inside a hidden call, found by search, opens the call: it is shown
    target = next(b for b in tree.members(calls[ENDS + 2])
                  if display.node(b).kind != "leaf")
    assert find_box(display, tree, display.node(target).id) == target
    found = shown_graph(display, tree, {fold} | path_to(tree, target))
    assert target in {n.id for n in found.display.nodes}


def test_all_open_shows_every_call_of_a_long_fold():
    cap, display, tree, fold = _unrolled()
    every = shown_graph(display, tree, opened_at(tree, ALL_DEPTHS, 0))
    assert every.levels[fold] == tree.groups[fold].groups and not every.gaps
    assert {n.id for n in every.display.nodes} == {n.id for n in display.nodes}  # flat
