"""The main window driven like a user: examples, pasted code, selection → inspector, search, settings."""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nla_explorer.main_window import MainWindow
from tests.app.approved import assert_looks_approved, settled

SHOTS = Path(__file__).resolve().parent / "screenshots"






def boxes(w):
    return {k: v.node for k, v in w.graph_pane.scene.node_items.items()}


def test_quadratic_graph_is_drawn_with_every_node(window):
    assert window.load_example("quadratic")
    graph = window.document.graph
    drawn = boxes(window)
    assert {n.id for n in graph.nodes} <= set(drawn)
    assert {b.kind for b in drawn.values()} == {"leaf", "op", "output", "constant"}
    assert drawn[graph.output_id].title == "f = sub"
    assert any(b.kind == "constant" and b.title == "b" for b in drawn.values())
    assert len(window.graph_pane.scene.edge_items) == len(window.graph_pane.picture.display.edges)
    assert "9 autograd nodes" in window.statusBar().currentMessage()
    assert window.windowTitle().startswith("quadratic")


def test_clicking_a_node_shows_its_values_in_the_inspector(window, qtbot):
    window.load_example("quadratic")
    x_id = window.document.graph.find("x").id
    item = window.graph_pane.scene.node_items[x_id]
    window.graph_pane.view.centerOn(item)
    pos = window.graph_pane.view.mapFromScene(item.scenePos())
    qtbot.mouseClick(window.graph_pane.view.viewport(), Qt.LeftButton, pos=pos)
    assert window.document.selected == x_id
    qtbot.waitUntil(lambda: window.inspector.current_node_id() == x_id, timeout=2000)
    grad = window.document.trace.leaf_grads[x_id].values
    assert f"norm {np.linalg.norm(grad):.4f}" in window.inspector.grad_text()


def test_pasted_code_and_ctrl_enter(window, qtbot):
    window.code_panel.set_text("x = torch.randn(3, requires_grad=True)\ny = (x * x).sum()\n")
    window.code_panel.editor.setFocus()
    qtbot.keyClick(window.code_panel.editor, Qt.Key_Return, Qt.ControlModifier)
    ops = sorted(n.op for n in window.document.graph.nodes)
    assert ops == ["AccumulateGrad", "MulBackward0", "SumBackward0"]
    assert len(window.graph_pane.scene.node_items) == 3


def test_bad_code_keeps_the_last_good_graph(window):
    window.load_example("norm")
    before = set(boxes(window))
    window.code_panel.set_text("A = torch.randn(3, 4)\nB = torch.randn(5, 5)\nC = A @ B\n")
    window.code_panel.request_capture()
    assert window.code_panel.error_label.isVisible()
    assert "inner sizes 4 and 5 differ" in window.code_panel.error_label.text()
    assert set(boxes(window)) == before
    window.code_panel.set_text("import os\n")
    window.code_panel.request_capture()
    assert "import os" in window.code_panel.error_label.text()
    assert set(boxes(window)) == before


def test_hover_lights_inputs_and_consumers(window):
    window.load_example("quadratic")
    graph = window.document.graph
    mm = next(n for n in graph.nodes if n.op == "MmBackward0")
    window.graph_pane.scene.hover(mm.id)
    lit = window.graph_pane.scene.highlighted()
    inputs = {e.source for e in graph.inputs_of(mm.id)}
    consumers = {e.target for e in graph.consumers_of(mm.id)}
    assert {k for k, v in lit.items() if v == "input"} == inputs
    assert {k for k, v in lit.items() if v == "consumer"} == consumers
    window.graph_pane.scene.hover(None)
    assert window.graph_pane.scene.highlighted() == {}


def test_search_selects_and_cycles(window):
    window.load_example("quadratic")
    window.toolbar.search.setText("dot")
    first = window.find_next()
    second = window.find_next()
    assert first != second
    assert {boxes(window)[first].title, boxes(window)[second].title} == {"dot"}
    assert window.document.selected in (first, second)
    window.toolbar.search.setText("no such node")
    assert window.find_next() is None


def test_zoom_and_fit(window):
    window.load_example("polyfit_net")
    window.graph_pane.view.fit()
    rect = window.graph_pane.view.mapFromScene(window.graph_pane.scene.sceneRect()).boundingRect()
    assert rect.width() <= window.graph_pane.view.viewport().width() + 2
    assert rect.height() <= window.graph_pane.view.viewport().height() + 2
    zoom = window.graph_pane.view.zoom()
    window.toolbar.zoom_in_action.trigger()
    assert window.graph_pane.view.zoom() == pytest.approx(zoom * 1.25)


def test_settings_persist(qtbot, settings):
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.toolbar.font_spin.setValue(17)
    w.toolbar.engine_combo.setCurrentText("builtin")
    w.close()
    w2 = MainWindow(settings)
    qtbot.addWidget(w2)
    assert w2.toolbar.font_spin.value() == 17 and w2.toolbar.engine_combo.currentText() == "builtin"


def test_font_size_makes_boxes_bigger(window):
    window.load_example("quadratic")
    x_id = window.document.graph.find("x").id
    small = window.graph_pane.scene.node_items[x_id].boundingRect().width()
    window.toolbar.font_spin.setValue(22)
    big = window.graph_pane.scene.node_items[x_id].boundingRect().width()
    assert big > small * 1.5


def test_export_from_the_window(window, tmp_path):
    window.load_example("quadratic")
    assert window.export.export_to(str(tmp_path / "g.svg"))
    assert "<svg" in (tmp_path / "g.svg").read_text()


@pytest.mark.parametrize("example", ["quadratic", "polyfit_net"])
def test_screenshots(window, example):
    window.load_example(example)
    x = window.document.graph.leaves[0].id
    window.document.select(x)
    SHOTS.mkdir(exist_ok=True)
    image = settled(window)
    assert_looks_approved(image, f"window_{example}")
    img = image
    colours = {img.pixelColor(x, y).name() for x in range(0, img.width(), 7)
               for y in range(0, img.height(), 7)}
    assert len(colours) > 20  # a real picture, not a blank window


def test_big_graph_lays_out_in_a_worker_with_progress(window, qtbot, monkeypatch):
    import nla_explorer.graph_view.picture_builder as pb
    monkeypatch.setattr(pb, "SYNC_LAYOUT_LIMIT", 5)
    window.load_example("polyfit_net")
    assert window.progress.isVisible() and window.cancel_button.isVisible()
    assert "Laying out" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not window.busy(), timeout=20000)
    assert not window.progress.isVisible()
    assert set(window.graph_pane.scene.node_items) >= {n.id for n in window.document.graph.nodes}


def test_cancelled_layout_says_what_to_do(window, qtbot, monkeypatch):
    import nla_explorer.graph_view.picture_builder as pb
    from nla_explorer.graph_view.layout.model import LayoutCancelled

    def never_finishes(prepared, options, progress=None, cancel=None):
        while not cancel():
            pass
        raise LayoutCancelled("cancelled")
    monkeypatch.setattr(pb, "SYNC_LAYOUT_LIMIT", 5)
    monkeypatch.setattr(pb, "lay_out", never_finishes)
    window.load_example("quadratic")
    window.cancel_button.click()
    qtbot.waitUntil(lambda: not window.busy(), timeout=10000)
    assert "Collapse chains" in window.notifications.text.text()  # not an error: no red


def test_big_picture_bundles_edges_and_still_lights_hovered_ones(window, monkeypatch):
    import nla_explorer.graph_view.scene as scene_module
    from nla_explorer.graph_view.items import EdgeBundleItem
    monkeypatch.setattr(scene_module, "BUNDLE_EDGES_OVER", 2)
    monkeypatch.setattr(scene_module, "CACHE_NODES_UP_TO", 2)
    window.load_example("quadratic")
    scene = window.graph_pane.scene
    assert scene.edge_items == []
    assert any(isinstance(i, EdgeBundleItem) for i in scene.items())
    mm = next(n for n in window.document.graph.nodes if n.op == "MmBackward0")
    before = len(scene.items())
    scene.hover(mm.id)
    assert len(scene.items()) == before + 3  # two inputs and one consumer drawn lit
    assert set(scene.highlighted().values()) == {"input", "consumer"}
    scene.hover(None)
    assert len(scene.items()) == before and scene.highlighted() == {}


def test_tall_graph_opens_on_the_output_at_a_readable_zoom(window, monkeypatch):
    code = "x = torch.randn(2, requires_grad=True)\ny = x\n" + "y = torch.sin(y)\n" * 60 + \
        "out = y.sum()\n"
    window.code_panel.set_text(code)
    window.code_panel.request_capture()
    view = window.graph_pane.view
    assert view.zoom() == pytest.approx(view.legible_zoom()) and view.label_px() >= 12
    out = window.graph_pane.scene.node_items[window.document.graph.output_id]
    assert view.viewport().rect().contains(view.mapFromScene(out.scenePos()))


def test_errors_are_non_modal_notifications_with_details(window, tmp_path, qtbot):
    window.load_example("quadratic")
    blocked = tmp_path / "file"
    blocked.write_text("x")
    # a file where a folder should be
    assert not window.export.export_to(str(blocked / "graph.png"))
    note = window.notifications
    assert note.text.text().startswith("Export failed") and note.details_button.isVisible()
    box = note.show_details()
    assert not box.isModal() and "graph.png" in box.detailedText()
    box.close()
    note.close_button.click()
    assert note.text.text() == ""
