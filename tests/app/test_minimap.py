"""The minimap in the graph view's corner (shown only while the graph is larger than the view;
a click or a drag centres the view there; its picture is made once, not on every scroll) and the
overview a big graph is drawn from when zoomed far out (it looks like the boxes themselves)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QMouseEvent, QPalette
from PySide6.QtWidgets import QApplication

import nla_explorer.graph_view.view as view_module
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine import capture, trace_backward
from nla_explorer.graph_view.minimap import MAP_H, MAP_THROTTLE_MS, MAP_W
from nla_explorer.graph_view.picture import PictureOptions, build_picture
from nla_explorer.graph_view.scene import GraphScene
from nla_explorer.graph_view.view import GraphView
from tests.app.approved import pixels


def quadratic() -> torch.Tensor:
    x = torch.randn(3, requires_grad=True)
    A = torch.randn(3, 3, requires_grad=True)
    return x @ A @ x


def chains(width: int = 5, depth: int = 6) -> torch.Tensor:
    """``width`` chains of ``depth`` ops summed: a graph wider and taller than the view at 100 %."""
    torch.manual_seed(0)
    total = None
    for _ in range(width):
        y = torch.randn(4, requires_grad=True)
        for k in range(depth):
            y = torch.sin(y) * 1.5 if k % 2 else torch.exp(y * 0.1)
        total = y.sum() if total is None else total + y.sum()
    return total


@pytest.fixture
def make_view(qtbot):
    scenes = []  # the view does not own its scene: keep each alive for the test

    def make(y: torch.Tensor, size=(800, 600)) -> GraphView:
        picture = build_picture(capture(y), trace_backward(y),
                                PictureOptions(engine="builtin", groups=False))
        scene = GraphScene(view_style=picture.style)
        scene.show_graph(picture.display, picture.layout, picture.style)
        scenes.append(scene)
        view = GraphView(scene)
        qtbot.addWidget(view)
        view.resize(*size)
        view.show()
        qtbot.waitExposed(view)
        return view
    return make


def visible_rect(view: GraphView) -> QRectF:
    return view.mapToScene(view.viewport().rect()).boundingRect()


def centre(view: GraphView) -> QPointF:
    return view.mapToScene(view.viewport().rect().center())


def drag(widget, start: QPoint, end: QPoint) -> None:
    """Press at ``start``, move with the button held to ``end`` in steps, release."""
    def send(kind, pos, buttons):
        point = QPointF(pos)
        event = QMouseEvent(kind, point, widget.mapToGlobal(point), Qt.LeftButton, buttons,
                            Qt.NoModifier)
        QApplication.sendEvent(widget, event)
    send(QEvent.MouseButtonPress, start, Qt.LeftButton)
    for t in (0.25, 0.5, 0.75, 1.0):
        send(QEvent.MouseMove, QPoint(round(start.x() + (end.x() - start.x()) * t),
                                      round(start.y() + (end.y() - start.y()) * t)),
             Qt.LeftButton)
    send(QEvent.MouseButtonRelease, end, Qt.NoButton)


def test_hidden_while_the_graph_fits_shown_in_the_corner_after_zooming_in(make_view, qtbot):
    view = make_view(quadratic(), (1000, 800))
    view.fit()
    assert visible_rect(view).contains(view.sceneRect())
    assert view.minimap.isHidden()
    view.set_zoom(view.zoom() * 3)
    assert not visible_rect(view).contains(view.sceneRect())
    assert view.minimap.isVisible()
    port, box = view.viewport().rect(), view.minimap.geometry()
    assert port.contains(box)  # bottom-right corner of the viewport, within a few pixels
    assert 0 < port.right() - box.right() <= 16 and 0 < port.bottom() - box.bottom() <= 16
    assert box.width() <= MAP_W + 8 and box.height() <= MAP_H + 8
    view.fit()
    assert view.minimap.isHidden()


def test_the_outline_drawn_is_the_visible_area_and_a_drag_centres_the_view_there(make_view,
                                                                                qtbot):
    view = make_view(chains())
    view.set_zoom(1.5)
    view.centerOn(view.sceneRect().center())
    minimap = view.minimap
    assert minimap.isVisible()
    assert visible_rect(view).width() < view.sceneRect().width()  # larger both ways
    assert visible_rect(view).height() < view.sceneRect().height()
    # what the map outlines is what the view shows
    seen = visible_rect(view)
    outlined = minimap.view_rect()
    for a, b in ((outlined.left(), seen.left()), (outlined.top(), seen.top()),
                 (outlined.right(), seen.right()), (outlined.bottom(), seen.bottom())):
        assert a == pytest.approx(b, abs=1.0)
    # and it is drawn there: the highlight-coloured frame's pixels
    image = pixels(minimap.grab().toImage())
    mark = minimap.palette().color(QPalette.Highlight)
    frame = np.all(np.abs(image[:, :, :3].astype(int) - (mark.red(), mark.green(), mark.blue()))
                   <= 30, axis=2)
    rows, cols = np.nonzero(frame)
    assert rows.size > 0
    px = minimap.view_rect_px()
    assert cols.min() == pytest.approx(px.left(), abs=2) and cols.max() == pytest.approx(
        px.right(), abs=2)
    assert rows.min() == pytest.approx(px.top(), abs=2) and rows.max() == pytest.approx(
        px.bottom(), abs=2)
    # a drag moves the view's centre to the scene point under the mouse
    to_scene, _ = minimap.scene_transform().inverted()
    scene_rect = view.sceneRect()
    start = minimap.scene_transform().map(scene_rect.center()).toPoint()
    goal = QPointF(scene_rect.left() + scene_rect.width() * 0.4,
                   scene_rect.top() + scene_rect.height() * 0.6)
    end = minimap.scene_transform().map(goal).toPoint()
    drag(minimap, start, end)
    target = to_scene.map(QPointF(end))
    assert (centre(view) - target).manhattanLength() < 4 + 2 / view.zoom()
    assert minimap.view_rect().center().x() == pytest.approx(target.x(), abs=4)
    # a click elsewhere moves it too
    click = minimap.scene_transform().map(QPointF(scene_rect.left() + scene_rect.width() * 0.6,
                                                  scene_rect.top() + scene_rect.height() * 0.35))
    qtbot.mouseClick(minimap, Qt.LeftButton, pos=click.toPoint())
    assert (centre(view) - to_scene.map(QPointF(click.toPoint()))).manhattanLength() < 6


def test_switched_off_it_stays_hidden(make_view):
    view = make_view(chains())
    view.set_zoom(1.5)
    assert view.minimap.isVisible()
    view.set_minimap_enabled(False)
    assert view.minimap.isHidden()
    view.set_zoom(2.0)
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().maximum())
    assert view.minimap.isHidden()
    view.set_minimap_enabled(True)
    assert view.minimap.isVisible()


def test_scrolling_repaints_the_map_without_rendering_the_scene_again(make_view, qtbot):
    view = make_view(chains())
    view.set_zoom(1.5)
    minimap = view.minimap
    qtbot.waitUntil(lambda: minimap.renders >= 1, timeout=3000)
    qtbot.wait(MAP_THROTTLE_MS + 50)
    renders, tiles = minimap.renders, view.overview.tile_renders
    bar = view.verticalScrollBar()
    outlines = set()
    for k in range(10):
        bar.setValue(bar.minimum() + (bar.maximum() - bar.minimum()) * k // 9)
        view.horizontalScrollBar().setValue(k * 7)
        QApplication.processEvents()
        outlines.add(round(minimap.view_rect_px().top()))
    qtbot.wait(MAP_THROTTLE_MS + 100)
    assert len(outlines) >= 5  # the outline followed the view
    assert (minimap.renders, view.overview.tile_renders) == (renders, tiles)
    # a change of the picture itself (new colours) does make it again, once
    view.scene().set_view_style(ViewStyle.dark())
    view.set_view_style(ViewStyle.dark())
    qtbot.waitUntil(lambda: minimap.renders > renders, timeout=3000)
    assert view.overview.tile_renders > tiles


def test_zooming_out_goes_on_until_the_whole_graph_fits(make_view):
    view = make_view(quadratic())
    view.scene().setSceneRect(QRectF(0, 0, 1000, 200_000))  # a 15,000-step RNN is this tall
    port = view.viewport().rect()
    view.set_zoom(1e-6)
    assert view.zoom() == pytest.approx(min(port.width() / 1000, port.height() / 200_000))
    assert visible_rect(view).height() >= 200_000 - 1
    assert view.minimap.isHidden()


def _grab_both(view: GraphView, monkeypatch) -> tuple[np.ndarray, np.ndarray]:
    """The viewport drawn from the overview, then from the items themselves."""
    QApplication.processEvents()  # scroll bars come and go after a zoom
    monkeypatch.setattr(view_module, "OVERVIEW_BOXES_OVER", 10)
    assert view.uses_overview()
    for _ in range(200):  # a cold overview takes a few frames
        over = view.viewport().grab().toImage()
        if view.overview.complete(visible_rect(view)):
            break
    over = pixels(view.viewport().grab().toImage())
    monkeypatch.setattr(view_module, "OVERVIEW_BOXES_OVER", 10**9)
    assert not view.uses_overview()
    items = pixels(view.viewport().grab().toImage())
    return over, items


def _inked(*images: np.ndarray) -> np.ndarray:
    """Where any of ``images`` differs from the white canvas: the graph."""
    return np.any([np.abs(im[:, :, :3].astype(int) - 255).max(axis=2) > 8 for im in images],
                  axis=0)


def _changed(a: np.ndarray, b: np.ndarray, where: np.ndarray, threshold: int) -> float:
    """The fraction of the pixels ``where`` that differ by more than ``threshold``."""
    diff = np.abs(a.astype(int) - b.astype(int)).max(axis=2) > threshold
    return float(diff[where].mean())


def test_zoomed_far_out_a_big_graph_is_drawn_from_the_overview_as_its_boxes_look(make_view,
                                                                                monkeypatch):
    view = make_view(chains(8, 12), (600, 400))
    view.set_minimap_enabled(False)
    view.set_zoom(view.overview.scale * 0.9)
    view.centerOn(view.sceneRect().center())
    over, items = _grab_both(view, monkeypatch)
    graph = _inked(over, items)
    assert graph.mean() > 0.02  # the graph is on screen, not a blank view
    assert _changed(over, items, graph, 32) < 0.03
    # a step fades boxes (every other one): the tiles they are in are rendered again
    for item in list(view.scene().node_items.values())[::2]:
        item.set_step_state("waiting")
    QApplication.processEvents()
    faded_over, faded_items = _grab_both(view, monkeypatch)
    assert _changed(faded_over, faded_items, graph, 32) < 0.03
    assert _changed(faded_over, over, graph, 8) > 0.1  # and the fade shows
