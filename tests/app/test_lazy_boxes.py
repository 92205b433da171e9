"""Boxes made when first needed: a big picture's box items are made where the view paints, where
the pointer is or when asked for, and it looks and behaves as if every item were there (the same
pixels, hover, selection, tooltips, kept boxes, overview tiles and exports)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QHelpEvent, QImage, QMouseEvent, QPainter
from PySide6.QtWidgets import QApplication, QToolTip

import nla_explorer.graph_view.scene as scene_module
from nla_explorer.engine import capture, trace_backward
from nla_explorer.graph_view.items import NodeItem
from nla_explorer.graph_view.picture import PictureOptions, build_picture
from nla_explorer.graph_view.scene import GraphScene
from nla_explorer.graph_view.view import GraphView
from tests.app.approved import pixels
from tests.app.test_minimap import chains as minimap_chains


def chains() -> torch.Tensor:
    """Chains summed: taller and wider than the view at 100 %."""
    return minimap_chains(width=6, depth=14)


@pytest.fixture(scope="module")
def picture():
    y = chains()
    return build_picture(capture(y), trace_backward(y),
                         PictureOptions(engine="builtin", groups=False))


@pytest.fixture
def make_view(qtbot, monkeypatch, picture):
    """A view of ``picture``; ``lazy``: its boxes made when needed (as a big graph's are)."""
    kept = []  # scenes and views alive until the scenes' last changes have reached the views
    monkeypatch.setattr(scene_module, "CACHE_NODES_UP_TO", 0)  # as a big graph's: no pixmaps

    def make(lazy: bool, size=(700, 500)) -> GraphView:
        monkeypatch.setattr(scene_module, "LAZY_BOXES_OVER", 0 if lazy else 10**9)
        scene = GraphScene(view_style=picture.style)
        scene.show_graph(picture.display, picture.layout, picture.style)
        view = GraphView(scene)
        kept.append((scene, view))
        qtbot.addWidget(view)
        view.set_minimap_enabled(False)
        view.resize(*size)
        view.show()
        qtbot.waitExposed(view)
        return view
    yield make
    QApplication.processEvents()


def made(scene: GraphScene) -> set[str]:
    return {item.node.id for item in scene.items() if isinstance(item, NodeItem)}


def not_made(scene: GraphScene, picture) -> list:
    shown = made(scene)
    return [n for n in picture.display.nodes if n.id not in shown]


def grab(view: GraphView) -> np.ndarray:
    QApplication.processEvents()
    return pixels(view.viewport().grab().toImage())


def move_to(view: GraphView, scene_pos: QPointF, kind=QEvent.MouseMove,
            button=Qt.NoButton) -> None:
    point = QPointF(view.mapFromScene(scene_pos))
    event = QMouseEvent(kind, point, view.viewport().mapToGlobal(point), button,
                        button if kind != QEvent.MouseButtonRelease else Qt.NoButton,
                        Qt.NoModifier)
    QApplication.sendEvent(view.viewport(), event)


def test_the_view_makes_only_the_boxes_it_shows_and_draws_the_same_pixels(make_view, picture):
    lazy, eager = make_view(True), make_view(False)
    assert len(made(eager.scene())) == len(picture.display.nodes)
    assert lazy.scene().sceneRect() == eager.scene().sceneRect()
    nodes = picture.display.nodes
    for zoom, node in ((1.0, nodes[0]), (1.0, nodes[len(nodes) // 2]), (0.4, nodes[-1]),
                       (2.5, nodes[len(nodes) // 3])):
        for view in (lazy, eager):
            view.set_zoom(zoom)
            view.centerOn(QPointF(*picture.layout.positions[node.id]))
        assert np.array_equal(grab(lazy), grab(eager)), (zoom, node.id)
    shown = made(lazy.scene())
    assert 0 < len(shown) < len(nodes)  # boxes never in view are not items
    far = [n.id for n in nodes if n.id not in shown]
    assert far and all(n in lazy.scene().node_items for n in far)
    assert len(lazy.scene().node_items) == len(nodes)


def test_asking_for_a_box_makes_it_in_its_place_with_its_tooltip(make_view, picture):
    view = make_view(True)
    scene = view.scene()
    node = not_made(scene, picture)[-1]
    item = scene.node_items.get(node.id)
    assert item is not None and item.node is node
    assert (item.pos().x(), item.pos().y()) == picture.layout.positions[node.id]
    assert item.toolTip() == node.tooltip
    assert scene.node_items.get("no such box") is None
    # an area asked about (the step overlay's labels, the group menu) has its boxes made
    other = not_made(scene, picture)[0]
    at = QPointF(*picture.layout.positions[other.id])
    assert [i.node.id for i in scene.items(at) if isinstance(i, NodeItem)] == [other.id]


def test_hover_and_click_on_boxes_scrolled_into_view(make_view, picture, qtbot):
    view = make_view(True)
    scene = view.scene()
    view.set_zoom(1.0)
    target = picture.display.nodes[len(picture.display.nodes) // 2]
    position = QPointF(*picture.layout.positions[target.id])
    view.centerOn(position)
    grab(view)  # painted: its boxes are made
    move_to(view, position)
    inputs = {e.source for e in picture.display.edges if e.target == target.id}
    consumers = {e.target for e in picture.display.edges if e.source == target.id}
    lit = scene.highlighted()
    assert {k for k, v in lit.items() if v == "input"} == inputs
    assert {k for k, v in lit.items() if v == "consumer"} == consumers
    with qtbot.waitSignal(scene.node_selected) as chosen:
        move_to(view, position, QEvent.MouseButtonPress, Qt.LeftButton)
        move_to(view, position, QEvent.MouseButtonRelease, Qt.LeftButton)
    assert chosen.args == [target.id]
    assert scene.selected_id() == target.id


def test_a_box_writes_its_tooltip_when_the_pointer_asks_for_it(make_view, picture):
    view = make_view(True)
    view.set_zoom(1.0)
    node = not_made(view.scene(), picture)[len(picture.display.nodes) // 4]
    position = QPointF(*picture.layout.positions[node.id])
    view.centerOn(position)
    grab(view)
    point = view.mapFromScene(position)
    QApplication.sendEvent(view.viewport(), QHelpEvent(QEvent.ToolTip, point,
                                                       view.viewport().mapToGlobal(point)))
    assert QToolTip.isVisible() and QToolTip.text() == node.tooltip
    QToolTip.hideText()


def test_selecting_a_box_far_away_makes_it_and_centres_it(make_view, picture):
    view = make_view(True)
    scene = view.scene()
    node = picture.display.nodes[0]
    scene.select(node.id)
    view.center_on_node(node.id)
    assert scene.selected_id() == node.id
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(QPointF(*picture.layout.positions[node.id]))


def test_drawn_from_the_overview_the_box_under_the_pointer_is_made_and_hovered(make_view,
                                                                             picture,
                                                                             monkeypatch):
    import nla_explorer.graph_view.view as view_module
    monkeypatch.setattr(view_module, "OVERVIEW_BOXES_OVER", 10)
    view = make_view(True)
    view.set_zoom(view.overview.scale * 0.9)
    assert view.uses_overview()
    before = made(view.scene())
    grab(view)
    assert made(view.scene()) == before  # tiles, no items
    node = not_made(view.scene(), picture)[-1]
    view.centerOn(QPointF(*picture.layout.positions[node.id]))
    grab(view)
    move_to(view, QPointF(*picture.layout.positions[node.id]))
    assert node.id in made(view.scene())
    assert view.scene().highlighted()  # its neighbours are lit


def overview_image(view: GraphView) -> np.ndarray:
    overview = view.overview
    while not overview.render_some(1.0):
        pass
    rect = overview.rect
    image = QImage(400, 400, QImage.Format_ARGB32_Premultiplied)
    image.fill(Qt.white)
    painter = QPainter(image)
    scale = 400 / max(rect.width(), rect.height())
    painter.scale(scale, scale)
    painter.translate(-rect.left(), -rect.top())
    overview.paint(painter, rect)
    painter.end()
    return pixels(image)


def test_overview_tiles_sketch_boxes_not_made_as_their_items_draw_them(make_view, picture):
    lazy, eager = make_view(True), make_view(False)
    before = made(lazy.scene())
    images = [overview_image(view) for view in (lazy, eager)]
    assert made(lazy.scene()) == before  # the tiles were drawn without making the boxes
    inked = np.abs(images[1][:, :, :3].astype(int) - 255).max(axis=2) > 8
    assert inked.mean() > 0.01
    assert np.array_equal(images[0], images[1])


def test_boxes_made_later_keep_the_overview_but_a_marked_box_renders_its_tile_again(
        make_view, picture):
    view = make_view(True)
    QApplication.processEvents()  # the new picture's own change, first
    overview = view.overview
    while not overview.render_some(1.0):
        pass
    renders = overview.tile_renders
    view.set_zoom(1.0)
    for node in picture.display.nodes[::7]:
        view.centerOn(QPointF(*picture.layout.positions[node.id]))
        grab(view)
    assert overview.complete() and overview.tile_renders == renders
    view.scene().node_items[picture.display.nodes[3].id].set_step_state("waiting")
    QApplication.processEvents()
    assert not overview.complete()


def test_an_export_renders_the_boxes_not_made_at_full_detail(make_view, picture):
    lazy, eager = make_view(True), make_view(False)
    images = []
    for view in (lazy, eager):
        image = QImage(500, 900, QImage.Format_ARGB32_Premultiplied)
        image.fill(Qt.white)
        painter = QPainter(image)
        painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        source = QRectF(view.sceneRect().topLeft(), QPointF(view.sceneRect().left() + 500,
                                                            view.sceneRect().top() + 900))
        view.scene().render(painter, QRectF(image.rect()), source)
        painter.end()
        images.append(pixels(image))
    assert np.array_equal(images[0], images[1])


def test_reopening_keeps_the_boxes_made_and_makes_the_others_when_shown(make_view, picture):
    view = make_view(True)
    scene = view.scene()
    before = made(scene)
    first = scene.node_items[picture.display.nodes[0].id]
    far = not_made(scene, picture)[-1]
    scene.show_graph(picture.display, picture.layout, picture.style, sizes=picture.sizes,
                     keep_boxes=True)
    assert made(scene) == before | {first.node.id}
    assert scene.node_items[first.node.id] is first
    assert far.id not in made(scene)
    assert scene.node_items[far.id].node is far


def test_a_box_made_and_selected_at_once_renders_its_overview_tile_again(make_view, picture):
    view = make_view(True)
    QApplication.processEvents()
    overview = view.overview
    while not overview.render_some(1.0):
        pass
    far = not_made(view.scene(), picture)[-1]
    view.scene().select(far.id)
    QApplication.processEvents()
    assert not overview.complete(QRectF(*picture.layout.positions[far.id], 1, 1))


def test_stepping_marks_boxes_not_made_without_making_them_and_draws_them_as_items_would(
        make_view, picture):
    """The first step fades every waiting box: on a picture of 100,000 boxes that must not make
    them all. Boxes not made keep their marks (the overview draws them faded, the running one
    outlined, as their items would) and get them when made."""
    from nla_explorer.engine.autograd.stepper import step_view
    from nla_explorer.graph_view.step_overlay import StepOverlay
    y = chains()
    graph, trace = capture(y), trace_backward(y)
    lazy, eager = make_view(True), make_view(False)
    QApplication.processEvents()
    before = made(lazy.scene())
    step = step_view(graph, trace, 3)
    for view in (lazy, eager):
        StepOverlay(view.scene()).apply(step)
    lit = made(lazy.scene()) - before  # the running box and the ends of its lit edges
    assert len(lit) <= 2 * len(step.lit) + 1
    waiting = [n for n in not_made(lazy.scene(), picture)
               if step.states.get(n.graph_id) == "waiting"]
    assert waiting and lazy.scene()._boxes.marks
    images = [overview_image(view) for view in (lazy, eager)]
    assert np.array_equal(images[0], images[1])
    item = lazy.scene().node_items[waiting[0].id]  # made now: it takes its mark
    assert item.step_state == "waiting" and item.fade() == pytest.approx(item.view_style.waiting_opacity)
    assert eager.scene().node_items[waiting[0].id].step_state == "waiting"
    StepOverlay(lazy.scene())  # a fresh overlay knows nothing: leaving step mode on the old one
    lazy.scene().mark_steps((n.id, None, "backward") for n in waiting)
    assert lazy.scene().node_items[waiting[-1].id].step_state is None
