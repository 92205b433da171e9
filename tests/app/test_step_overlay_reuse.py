"""Stepping moves last step's labels (and, with bundled edges, its lit edges) instead of making
new ones: the picture is the one a step drawn from scratch shows (the same labels in the same
places, stacked in the same order), and a step repaints what changed, not the whole scene (an
item leaving a scene whose ``changed`` is listened to repaints all of it, and drops every tile
of the overview)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QGraphicsPixmapItem

import nla_explorer.graph_view.scene as scene_module
from nla_explorer.engine.recording import capture_tensor, recording
from nla_explorer.graph_view.items import EdgeItem
from nla_explorer.graph_view import step_overlay
from tests.app.panes import pane_showing


def mlp() -> torch.Tensor:
    """Matrices and vectors (labels with heatmaps) and scalars (numbers), edges side by side."""
    torch.manual_seed(0)
    x = torch.randn(4, 3)
    w1 = torch.randn(3, 5, requires_grad=True)
    b1 = torch.randn(5, requires_grad=True)
    w2 = torch.randn(5, 2, requires_grad=True)
    h = torch.tanh(x @ w1 + b1)
    y = torch.sigmoid(h @ w2)
    return (y * y).mean() + 0.1 * (w1 * w1).sum()


@pytest.fixture(params=[False, True], ids=["edge_items", "bundled"])
def pane(request, qtbot, monkeypatch):
    if request.param:  # every edge in a bundle: a lit edge is an item of the step's own
        monkeypatch.setattr(scene_module, "BUNDLE_EDGES_OVER", 0)
    with recording():
        y = mlp()
    pane = pane_showing(qtbot, capture_tensor(y))
    pane.set_options(replace(pane.options, engine="builtin"))  # the same layout everywhere
    qtbot.waitUntil(lambda: not pane.busy(), timeout=10_000)
    assert pane.picture.layout.engine == "builtin"
    assert bool(pane.scene.edge_items) is not request.param
    return pane


def _shown(pane) -> list[tuple]:
    """The step's own items in stacking order (bottom first), with what shows of them."""
    own = {id(item) for item in pane.overlay._extra}
    shown = []
    for item in pane.scene.items(Qt.AscendingOrder):
        if id(item) not in own:
            continue
        rect = item.sceneBoundingRect()
        look = (type(item).__name__, item.zValue(), round(item.scale(), 6),
                tuple(round(v, 3) for v in (rect.x(), rect.y(), rect.width(), rect.height())))
        if hasattr(item, "text"):
            look += (item.text(), item.brush().color().name())
        elif isinstance(item, QGraphicsPixmapItem):
            look += (item.pixmap().toImage(), item.toolTip())
        elif isinstance(item, EdgeItem):
            look += (item.edge.source, item.edge.target, item._lit_pen.color().name())
        shown.append(look)
    return shown


def test_a_step_reached_by_stepping_looks_as_if_drawn_from_scratch(pane):
    document = pane.document
    steps = len(document.trace.steps)
    stepped = []
    for k in range(steps):
        document.set_step(k)
        stepped.append(_shown(pane))
    assert sum(len(shown) for shown in stepped) > 2 * steps  # labels and heatmaps were shown
    for k in reversed(range(steps)):  # backwards: other items are spare each time
        document.set_step(k)
        assert _shown(pane) == stepped[k], k
    for k in range(steps):
        document.set_step(None)  # nothing shown: every item of step k is new
        assert not pane.overlay._extra
        document.set_step(k)
        assert _shown(pane) == stepped[k], k
    own = {id(item) for item in pane.overlay._extra}
    labels = [i for i in pane.scene.items() if hasattr(i, "text") and i.zValue() == 3]
    assert {id(i) for i in labels} <= own  # no label of an earlier step is left in the scene


def test_a_step_like_the_last_repaints_its_labels_not_the_whole_scene(pane, qtbot):
    """A step showing the same kinds of items as the last, or more, moves them: only what
    changed repaints (fewer items than the last: one leaves the scene, which repaints it all)."""
    document = pane.document
    whole = pane.scene.sceneRect()
    changes: list[QRectF] = []
    pane.scene.changed.connect(changes.extend)
    document.set_step(0)
    qtbot.wait(5)
    alike = 0
    for k in range(1, len(document.trace.steps)):
        kinds = list(pane.overlay._kinds)
        changes.clear()
        document.set_step(k)
        qtbot.wait(5)  # the scene reports its changes once control returns to the event loop
        if pane.overlay._kinds[:len(kinds)] == kinds:
            alike += 1
            assert changes and not any(rect.contains(whole) for rect in changes), k
    assert alike >= 3


def _crossings(pane) -> tuple[int, int]:
    """Over every step: how often a step's label meets a line, and how many labels there were."""
    document = pane.document
    document.set_step(None)
    crossings = labels = 0
    for k in range(len(document.trace.steps)):
        document.set_step(k)
        strokes = [i.mapToScene(i.shape()) for i in pane.scene.items() if isinstance(i, EdgeItem)]
        for label in pane.overlay._extra:
            if hasattr(label, "text") and label.zValue() == 3:  # not a running group's caption
                labels += 1
                crossings += sum(s.intersects(label.sceneBoundingRect()) for s in strokes)
    return crossings, labels


def test_labels_keep_off_the_lines(pane, monkeypatch):
    """Placing a label weighs the lines through each spot (EDGE_COST): nearly every label of the
    pass sits clear of them, where the same labels weighing boxes and labels only lie on lines."""
    crossings, labels = _crossings(pane)
    assert labels >= len(pane.document.trace.steps) and crossings <= 2
    monkeypatch.setattr(step_overlay, "EDGE_COST", 0.0)
    blind, _ = _crossings(pane)
    assert blind >= crossings + 2
