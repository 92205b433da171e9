"""Double backward in the window: the nodes a create_graph backward made are boxes of their own
colour labelled "order 2", dotted edges come from the first-order node whose backward made them,
and the stepper walks the second backward call through them."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from nla_explorer.document import Document
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.graph_view.box_content import node_lines
from nla_explorer.graph_view.kind_styles import KIND_STYLES, ORDER_STYLES
from nla_explorer.graph_view.pane import GraphPane
from nla_explorer.graph_view.picture import PictureOptions
from nla_explorer.panels.stepper import StepperPanel
from nla_explorer.engine.samples import DOUBLE_BACKWARD as CUBE
from tests.app.approved import assert_looks_approved, settled



def _pane(qtbot, style: ViewStyle = ViewStyle.light()) -> tuple[Document, GraphPane]:
    document = Document()
    pane = GraphPane(document, PictureOptions(engine="builtin", style=style))
    qtbot.addWidget(pane)
    pane.resize(900, 640)
    pane.show()
    qtbot.waitExposed(pane)
    assert document.set_code(CUBE)
    qtbot.waitUntil(lambda: bool(pane.scene.node_items), timeout=10_000)
    return document, pane


def _render(pane: GraphPane) -> QImage:
    rect = pane.scene.sceneRect()
    image = QImage(int(rect.width()), int(rect.height()), QImage.Format_ARGB32)
    image.fill(QColor(pane.view_style.canvas))
    painter = QPainter(image)
    pane.scene.render(painter, image.rect(), rect)
    painter.end()
    return image


def _fill_at(pane: GraphPane, image: QImage, box_id: str) -> str:
    """The colour just inside a box's left border, halfway down (no text there)."""
    item = pane.scene.node_items[box_id]
    left = item.mapToScene(QPointF(item.rect().left() + 6, 0)) - pane.scene.sceneRect().topLeft()
    return image.pixelColor(int(left.x()), int(left.y())).name()


def test_order_two_boxes_are_filled_apart_labelled_and_linked_to_their_maker(qtbot):
    for style in (ViewStyle.light(), ViewStyle.dark()):
        document, pane = _pane(qtbot, style)
        graph = document.graph
        made = [n for n in graph.nodes if n.order == 2]
        assert len(made) == 3
        image = _render(pane)
        for node in made:
            box = pane.scene.node_items[node.id]
            assert ("sub", "3 · order 2") in node_lines(box.node)  # the label drawn in the box
            assert _fill_at(pane, image, node.id) == ORDER_STYLES[2].fill
        first_order_op = graph.find("y")  # y = sum: a first-order op, plainly filled
        assert _fill_at(pane, image, first_order_op.id) == KIND_STYLES["op"].fill
        dotted = [item for item in pane.scene.edge_items if item.edge.made_by]
        maker = graph.node(made[0].made_by)
        assert {(i.edge.source, i.edge.target) for i in dotted} == {
            (maker.id, n.id) for n in made}
        assert all(i.pen().style() == Qt.DotLine for i in dotted)
        assert all(i.pen().color() == style.colour("made_by_edge") for i in dotted)
        # drawn apart: below their maker (its backward ran first), never on a first-order box
        for node in made:
            assert pane.scene.node_items[node.id].y() > pane.scene.node_items[maker.id].y()


def test_the_stepper_walks_the_second_backward_through_order_two_nodes(qtbot):
    document, pane = _pane(qtbot)
    panel = StepperPanel(document)
    qtbot.addWidget(panel)
    assert panel.call_box.count() == 2
    assert panel.call_box.itemText(1).endswith("through order 2")
    assert "order" not in panel.call_box.itemText(0)
    assert document.call_index == 1
    running = []
    for index in range(document.step_count()):
        document.set_step(index)
        running.append(document.graph.node(document.step_view().current).order)
    assert running.count(2) == 3  # z's backward runs through the three nodes grad() built
    document.set_step(running.index(2))
    current = pane.scene.node_items[pane.box_of(document.step_view().current)]
    assert current.step_state == "current" and current.node.order == 2
    document.show_call(0)  # the first call: y's graph only, all first order
    assert {n.order for n in document.graph.nodes} == {1}


def test_double_backward_screenshot(qtbot):
    document, pane = _pane(qtbot)
    pane.fit()
    assert_looks_approved(settled(pane), "double_backward_graph")
