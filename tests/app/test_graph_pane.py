"""The graph pane: fed by the document, reports the user's gestures; the scene never writes back."""

from dataclasses import replace

from PySide6.QtCore import Qt

from nla_explorer.document import Document
from nla_explorer.graph_view.pane import GraphPane


def _click_box(qtbot, pane, box_id):
    item = pane.scene.node_items[box_id]
    pane.view.centerOn(item)
    qtbot.mouseClick(pane.view.viewport(), Qt.LeftButton,
                     pos=pane.view.mapFromScene(item.scenePos()))


def test_relayout_keeps_the_selection_in_the_document_and_the_inspector(window, qtbot):
    """Regression: every rebuild wrote select(None) back into the document, so a new font size
    or the Constants switch lost the selected node."""
    window.load_example("quadratic")
    a = window.document.graph.find("A").id
    _click_box(qtbot, window.graph_pane, a)
    assert window.document.selected == a
    qtbot.waitUntil(lambda: window.inspector.current_node_id() == a, timeout=2000)
    picture = window.graph_pane.picture
    font_spin = window.toolbar.font_spin  # the toolbar's Font box
    font_spin.setValue(font_spin.value() + 3)
    qtbot.waitUntil(lambda: not window.busy(), timeout=10_000)
    assert window.graph_pane.picture is not picture  # drawn again, bigger
    assert window.document.selected == a and window.graph_pane.scene.selected_id() == a
    qtbot.wait(200)  # the inspector follows a moment later: it must still show A
    assert window.inspector.current_node_id() == a
    window.toolbar.constants_action.trigger()  # Constants off: boxes go, the selection stays
    window.toolbar.engine_combo.setCurrentText("builtin")
    assert window.document.selected == a and window.graph_pane.scene.selected_id() == a
    qtbot.wait(200)
    assert window.inspector.current_node_id() == a


def test_a_pane_alone_follows_its_document_and_turns_clicks_into_selections(qtbot):
    document = Document()
    pane = GraphPane(document)
    qtbot.addWidget(pane)
    pane.resize(800, 600)
    pane.show()
    assert document.load_example("quadratic")
    graph = document.graph
    assert set(pane.scene.node_items) >= {n.id for n in graph.nodes}
    x = graph.find("x").id
    _click_box(qtbot, pane, x)
    assert document.selected == x  # the user's click: the pane asks the document
    a = graph.find("A").id
    document.select(a)  # the document's choice: the scene shows it
    assert pane.scene.selected_id() == a
    document.select(None)
    assert pane.scene.selected_id() is None
    document.set_step(0)  # stepping selects the running node, and the scene shows it
    assert document.selected == document.step_view().current
    assert pane.scene.selected_id() == pane.box_of(document.selected)


def test_the_scene_reports_only_the_users_selection(window, tmp_path):
    window.load_example("quadratic")
    scene = window.graph_pane.scene
    reported = []
    scene.node_selected.connect(reported.append)
    a = window.document.graph.find("A").id
    scene.select(a)  # what the pane does to show the document's selection
    scene.select(None)
    assert reported == [] and window.document.selected is None
    window.document.select(a)
    assert window.export.export_to(str(tmp_path / "g.png"))  # hides the selection for a moment
    assert reported == [] and window.document.selected == a


def test_constants_boxes_and_shared_leaves_map_to_their_autograd_nodes(window):
    window.load_example("quadratic")
    pane, graph = window.graph_pane, window.document.graph
    constant = next(n for n in pane.scene.display.nodes if n.kind == "constant")
    assert pane.node_of(constant.id) == constant.graph_id  # the node that saved it
    assert pane.box_of(graph.find("x").id) == graph.find("x").id
    assert pane.node_of("no such box") is None and pane.box_of(None) is None


def test_new_options_draw_again_only_when_they_change(window, qtbot):
    window.load_example("quadratic")
    pane = window.graph_pane
    picture = pane.picture
    pane.set_options(replace(pane.options))  # the same options: nothing to do
    assert pane.picture is picture
    pane.set_options(replace(pane.options, show_constants=not pane.options.show_constants))
    assert pane.picture is not picture
