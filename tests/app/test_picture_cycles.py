"""Building a picture leaves no dead reference cycle: the collector is paused while it is built.

A picture of 10,000 boxes or more is frozen out of the collector when built
(graph_view/picture._building -> keep_out_of_collections); a dead cycle pending at that moment is
frozen with it and never freed. shown_graph's recursive ``visit`` closure was such a cycle, and it
held the GroupTree: 7,000 objects (~6 MB) leaked per grouped LSTM x 1,000 picture, 35,000
(~35 MB) per LSTM x 5,000 picture."""

import gc

import torch

from nla_explorer.engine.recording import capture_tensor, recording
from nla_explorer.graph_view.box_table import build_display_graph
from nla_explorer.graph_view.groups.plan import group_tree, opened_at
from nla_explorer.graph_view.groups.shown import shown_graph


def test_showing_a_grouped_graph_leaves_no_dead_cycle():
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(3, 4)
    seq = torch.randn(20, 1, 3)
    with recording():
        h, c = torch.zeros(1, 4), torch.zeros(1, 4)
        for t in range(20):
            h, c = cell(seq[t], (h, c))
        loss = h.sum()
    cap = capture_tensor(loss, models={"cell": cell})
    display = build_display_graph(cap.graph, cap.trace)
    tree = group_tree(display, cap.graph)
    gc.collect()
    debug = gc.get_debug()
    gc.garbage.clear()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        shown_graph(display, tree, opened_at(tree, 1, len(display)))
        gc.collect()
        cycles = [type(o).__qualname__ for o in gc.garbage]
    finally:
        gc.set_debug(debug)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert not cycles, cycles[:10]


def test_a_big_picture_drawn_a_chunk_at_a_time_leaves_no_dead_cycle(qtbot):
    """The builder adds a big picture's items a chunk per event-loop turn; once drawn, nothing
    but the scene and whoever took the picture holds it (a closure calling itself did)."""
    from nla_explorer.graph_view.picture import PictureOptions
    from nla_explorer.graph_view.picture_builder import SYNC_LAYOUT_LIMIT, PictureBuilder
    from nla_explorer.graph_view.scene import GraphScene

    x = torch.randn(3, requires_grad=True)
    y = x
    for _ in range(SYNC_LAYOUT_LIMIT // 2 + 10):  # two nodes a turn: drawn in chunks
        y = (y * 1.001).sin()
    cap = capture_tensor(y.sum())
    scene = GraphScene()
    builder = PictureBuilder(scene)
    shown = []
    builder.finished.connect(shown.append)
    gc.collect()
    debug, was_enabled = gc.get_debug(), gc.isenabled()
    gc.disable()  # as while a picture is built: a dead cycle waits for the next collection
    gc.garbage.clear()
    try:
        builder.build(cap.graph, cap.trace, PictureOptions(engine="builtin"))
        qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
        gc.set_debug(gc.DEBUG_SAVEALL)
        shown.clear()  # the picture let go: only a cycle could keep it now
        gc.collect()
        held = [type(o).__qualname__ for o in gc.garbage if type(o).__name__ == "Picture"]
    finally:
        gc.set_debug(debug)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert held == []
