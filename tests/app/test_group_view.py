"""The grouped graph on screen: double-click opens and closes groups, Enter opens the selected one,
search opens the groups on the way, and stepping into a closed group lights it with its progress."""

from __future__ import annotations

import pytest
import torch
from PySide6.QtCore import Qt

from nla_explorer.engine.recording import capture_tensor, recording
from nla_explorer.graph_view.model import GROUP
from tests.app.approved import assert_looks_approved, settled
from tests.app.panes import pane_showing


@pytest.fixture
def transformer_pane(qtbot):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
    model = torch.nn.TransformerEncoder(layer, 4, enable_nested_tensor=False).train()
    with recording():
        y = model(torch.randn(2, 5, 16, generator=torch.Generator().manual_seed(1))).sum()
    cap = capture_tensor(y, models={"model": model})
    pane = pane_showing(qtbot, cap)
    return pane


def _double_click(qtbot, pane, scene_point):
    pane.view.centerOn(scene_point)
    pos = pane.view.mapFromScene(scene_point)
    qtbot.mouseDClick(pane.view.viewport(), Qt.LeftButton, pos=pos)


def _group_boxes(pane):
    return {k for k, v in pane.scene.node_items.items() if v.node.kind == GROUP}


def test_a_big_model_opens_with_its_layers_folded_and_a_double_click_opens_the_fold(
        transformer_pane, qtbot):
    pane = transformer_pane
    assert set(pane.scene.frame_items) == {"model@1"}  # the outer call open, its layers closed
    assert _group_boxes(pane) == {"model.layers.0@1", "fold:model.layers.1@1"}
    fold = pane.scene.node_items["fold:model.layers.1@1"]
    assert fold.node.title == "layers.1–3 ×3"
    assert "TransformerEncoderLayer" in fold.node.subtitle
    _double_click(qtbot, pane, fold.sceneBoundingRect().center())
    qtbot.waitUntil(lambda: "fold:model.layers.1@1" in pane.scene.frame_items, timeout=5000)
    assert _group_boxes(pane) >= {"model.layers.1@1", "model.layers.2@1", "model.layers.3@1"}
    header = pane.scene.frame_items["fold:model.layers.1@1"].header_rect()
    _double_click(qtbot, pane, header.center())  # the header closes it again
    qtbot.waitUntil(lambda: "fold:model.layers.1@1" not in pane.scene.frame_items,
                    timeout=5000)
    assert "fold:model.layers.1@1" in _group_boxes(pane)


def test_enter_opens_the_selected_group(transformer_pane, qtbot):
    pane = transformer_pane
    pane.scene.select("model.layers.0@1")
    pane.view.setFocus()
    qtbot.keyClick(pane.view, Qt.Key_Return)
    qtbot.waitUntil(lambda: "model.layers.0@1" in pane.scene.frame_items, timeout=5000)
    assert {"model.layers.0.self_attn@1", "model.layers.0.linear1@1"} <= _group_boxes(pane)


def test_search_by_module_path_opens_the_groups_and_selects_the_box(transformer_pane, qtbot):
    pane = transformer_pane
    hit = pane.find_next("layers.2.linear2")
    assert hit is not None
    qtbot.waitUntil(lambda: hit in pane.scene.node_items, timeout=5000)
    assert {"fold:model.layers.1@1", "model.layers.2@1", "model.layers.2.linear2@1"} <= \
        set(pane.scene.frame_items)
    assert pane.scene.selected_id() == hit
    assert pane.document.selected == pane.node_of(hit)
    visible = pane.view.mapToScene(pane.view.viewport().rect()).boundingRect()
    assert visible.contains(pane.scene.node_items[hit].sceneBoundingRect().center())


def test_stepping_into_a_closed_group_lights_it_with_how_far_the_pass_is(transformer_pane,
                                                                         qtbot):
    pane = transformer_pane
    document = pane.document
    pane.open_groups(frozenset())  # every group closed: one box for the model
    qtbot.waitUntil(lambda: _group_boxes(pane) == {"model@1"}, timeout=5000)
    trace = document.trace
    inside = set(pane.picture.display.node("model@1").members)
    index = next(i for i, s in enumerate(trace.steps) if s.node_id in inside)
    document.set_step(index + 4)
    box = pane.scene.node_items["model@1"]
    assert box.step_state == "current"
    done = sum(1 for s in trace.steps[:index + 4] if s.node_id in inside)
    view = document.step_view(index + 4)
    text = pane.overlay.running_text("model@1", view)
    tree = pane.picture.tree
    inner = tree.group_of[view.current]
    while tree.groups[inner].parent != "model@1":
        inner = tree.groups[inner].parent
    assert text == f"running {tree.groups[inner].path} · step {done + 1:,} of {len(inside):,}"
    labels = [i.text() for i in pane.scene.items() if hasattr(i, "text") and callable(i.text)]
    assert text in labels


def test_the_grouped_picture_looks_approved(transformer_pane):
    pane = transformer_pane
    pane.fit()
    assert_looks_approved(settled(pane), "groups_transformer")


def test_exports_keep_the_groups_dot_as_nested_clusters(transformer_pane, tmp_path):
    pane = transformer_pane
    pane.open_groups(frozenset({"model@1", "model.layers.0@1"}))
    dot_text = pane.export(str(tmp_path / "g.dot")).read_text()
    assert dot_text.count("subgraph") == 2
    outer = dot_text.index('"cluster_model@1"')
    inner = dot_text.index('"cluster_model.layers.0@1"')
    assert outer < inner and "TransformerEncoderLayer" in dot_text
    assert 'label="×2"' in dot_text  # edges between closed groups keep their count
    svg = pane.export(str(tmp_path / "g.svg")).read_text()
    assert "layers.0 · TransformerEncoderLayer" in svg  # the frame's header, as text


def test_frame_headers_stay_readable_zoomed_out_and_presentation_hides_the_minimap(
        transformer_pane, qtbot):
    from PySide6.QtGui import QFontMetricsF

    pane = transformer_pane
    frame = pane.scene.frame_items["model@1"]
    room = frame.header_rect()
    for zoom in (1.0, 0.6, 0.45):
        font = frame._header_font(zoom, room)  # noqa: SLF001 - what paint() draws with
        on_screen = QFontMetricsF(font).height() * zoom
        assert on_screen >= min(pane.scene.min_label_px, room.height() / 1.1 * zoom) - 0.5
    pane.view.zoom_by(4.0)  # the graph no longer fits: the minimap shows where the view is
    qtbot.waitUntil(lambda: pane.view.minimap.isVisible(), timeout=3000)
    pane.set_presentation(True)  # the room sees the graph and the card, no minimap
    assert not pane.view.minimap.isVisible()
    pane.set_presentation(False)
    qtbot.waitUntil(lambda: pane.view.minimap.isVisible(), timeout=3000)


def test_running_the_same_model_again_keeps_the_groups_the_user_opened(transformer_pane, qtbot):
    pane = transformer_pane
    pane.toggle_group("model.layers.0@1")
    qtbot.waitUntil(lambda: "model.layers.0@1" in pane.scene.frame_items, timeout=5000)
    torch.manual_seed(3)  # the lecture re-runs the cell: new values, the same modules
    layer = torch.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
    model = torch.nn.TransformerEncoder(layer, 4, enable_nested_tensor=False).train()
    with recording():
        y = model(torch.randn(2, 5, 16)).sum()
    cap = capture_tensor(y, models={"model": model})
    pane.document.set_graph(cap.graph, cap.trace, "loss")
    qtbot.waitUntil(lambda: pane.picture is not None and not pane.busy(), timeout=10_000)
    assert "model.layers.0@1" in pane.scene.frame_items
    pane.document.load_example("quadratic")  # another program: its own default
    qtbot.waitUntil(lambda: not pane.busy(), timeout=10_000)
    assert not pane.scene.frame_items


def test_opening_a_group_moves_the_boxes_still_shown_and_clears_their_marks(transformer_pane,
                                                                           qtbot):
    pane = transformer_pane
    before = dict(pane.scene.node_items)
    pane.document.set_step(3)  # marks on the boxes: some fade, one runs
    pane.toggle_group("model.layers.0@1")
    qtbot.waitUntil(lambda: "model.layers.0@1" in pane.scene.frame_items, timeout=5000)
    kept = [k for k in before if k in pane.scene.node_items]
    assert kept and all(pane.scene.node_items[k] is before[k] for k in kept)  # moved, not made
    assert all(item.scene() is pane.scene for item in pane.scene.node_items.values())
    assert "model.layers.0@1" not in pane.scene.node_items  # its box went, its frame came
    view = pane.document.step_view(3)  # every box shows this step's state, none a stale one
    for box, item in pane.scene.node_items.items():
        states = {view.states.get(g) for g in (item.node.members or (item.node.graph_id,))}
        if item.step_state == "waiting":
            assert states <= {"waiting", None}, box


def test_the_right_click_menu_opens_everything_inside_a_group_and_closes_all(transformer_pane,
                                                                            qtbot):
    pane = transformer_pane
    fold = pane.scene.node_items["fold:model.layers.1@1"]
    actions = dict(pane.group_menu.actions_at(fold.sceneBoundingRect().center()))
    assert list(actions) == ["Open model.layers.1–3", "Open everything inside model.layers.1–3",
                             "Open all groups", "Close all groups"]
    actions["Open everything inside model.layers.1–3"]()
    tree = pane.picture.tree
    inside = {g for g in tree.walk() if "fold:model.layers.1@1" in tree.ancestors(g)}
    qtbot.waitUntil(lambda: inside <= set(pane.scene.frame_items), timeout=5000)
    assert "model.layers.0@1" not in pane.scene.frame_items  # only that group's inside
    header = pane.scene.frame_items["model.layers.2@1"].header_rect().center()
    assert pane.group_menu.actions_at(header)[0][0] == "Close model.layers.2"
    dict(pane.group_menu.actions_at(header))["Close all groups"]()
    qtbot.waitUntil(lambda: not pane.scene.frame_items, timeout=5000)
    assert pane.group_menu.actions_at(header)[-1][0] == "Close all groups"


def test_bad_requests_about_groups_change_nothing(transformer_pane, qtbot):
    pane = transformer_pane
    picture = pane.picture
    pane.toggle_group("no.such.module@1")  # an id from another graph
    pane.open_groups(frozenset({"no.such.module@1", "model@1"}))  # unknown ids are ignored
    qtbot.waitUntil(lambda: not pane.busy(), timeout=5000)
    assert set(pane.scene.frame_items) == {"model@1"}
    for text in ("", "   ", "no such thing at all"):
        assert pane.find_next(text) is None
    assert pane.picture.tree is picture.tree  # the same graph, still drawn


def test_opening_and_closing_groups_gives_the_sizes_a_fresh_measure_gives(transformer_pane):
    """Boxes still shown keep their sizes when a group opens: each must be what measuring the
    new picture from scratch gives (a font change makes a new picture, never a stale size)."""
    from nla_explorer.graph_view.picture import reshow
    from nla_explorer.graph_view.scene import node_sizes
    picture = transformer_pane.picture
    prepared = picture.prepared
    for opened in (picture.opened | {"fold:model.layers.1@1"},
                   picture.opened | {"fold:model.layers.1@1", "model.layers.2@1"},
                   frozenset(picture.tree.groups), frozenset()):
        prepared = reshow(prepared, opened)
        fresh = node_sizes(prepared.display, prepared.style.fonts)
        assert prepared.sizes == fresh and list(prepared.sizes) == list(fresh)


def test_edge_counts_are_moved_when_a_group_opens_and_match_a_fresh_drawing(qtbot):
    """An LSTM cell called 12 times: h and c pass between calls, so each arrow says ×2. Opening
    one call keeps the other counts (moved, not made again) where a fresh drawing puts them,
    and takes away the counts of the edges that are no longer drawn."""
    from nla_explorer.graph_view.group_items import CountItem
    from nla_explorer.graph_view.picture import PictureOptions, lay_out, prepare, reshow
    from nla_explorer.graph_view.scene import GraphScene
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(3, 4)
    with recording():
        h = c = torch.zeros(1, 4)
        for t in range(12):
            h, c = cell(torch.randn(1, 3, generator=torch.Generator().manual_seed(t)), (h, c))
        y = h.sum()
    cap = capture_tensor(y, models={"model": cell})
    options = PictureOptions(engine="builtin")
    picture = lay_out(prepare(cap.graph, cap.trace, options), options)
    fold = next(g for g in picture.tree.groups if g.startswith("fold:"))
    calls = picture.tree.groups[fold].groups

    def counts(scene):
        return {(*i.ends, i.count): i for i in scene.items() if isinstance(i, CountItem)}

    def draw(scene, opened, keep):
        shown = lay_out(reshow(picture.prepared, opened), options)
        scene.show_graph(shown.display, shown.layout, shown.style, shown.frames_with_titles(),
                         shown.sizes, keep_boxes=keep)
    scene = GraphScene()
    draw(scene, picture.opened | {fold}, False)
    before = counts(scene)
    assert len(before) >= 10 and all(k[2] == 2 for k in before)
    draw(scene, picture.opened | {fold, calls[5]}, True)
    after, fresh = counts(scene), GraphScene()
    draw(fresh, picture.opened | {fold, calls[5]}, False)
    assert {k: (i.pos().x(), i.pos().y()) for k, i in after.items()} == \
        {k: (i.pos().x(), i.pos().y()) for k, i in counts(fresh).items()}
    assert not any(calls[5] in k for k in after)  # the opened call's arrows start at its boxes
    kept = [k for k in after if k in before]
    assert kept and all(after[k] is before[k] for k in kept)


def test_boxes_measured_once_by_size_key_have_the_same_lines(transformer_pane):
    """node_sizes measures one box per size_key: two boxes share a key exactly when they show
    the same lines (title, shape, numbers or strip sizes), so no box gets another's size."""
    from nla_explorer.graph_view.box_content import node_lines, size_key
    from nla_explorer.graph_view.picture import reshow
    picture = transformer_pane.picture
    shown = reshow(picture.prepared, frozenset(picture.tree.groups)).display
    lines_of: dict = {}
    for node in shown.nodes:
        lines_of.setdefault(size_key(node), set()).add(tuple(node_lines(node)))
    assert all(len(lines) == 1 for lines in lines_of.values())
    assert len({next(iter(v)) for v in lines_of.values()}) == len(lines_of)
    assert len(lines_of) > 10  # badges, strips and titles of many kinds
