"""A step's labels (the shape and heatmap, or the number, of each gradient sent) are readable:
none lies on another, and none covers a box, the running one included (the mm step of the
quadratic sends two gradients along edges leaving it close together: their labels, one with a
5×5 heatmap, once lay on each other and on mm)."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QRectF

#: The built-in layout (the approved pictures') and Graphviz's (the app's "auto" where it is
#: installed): edges leave a box at other angles and lengths in each.
ENGINES = ["builtin", pytest.param("dot", marks=pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz is not installed"))]
#: How far two rects may overlap and still count as clear (rounding of the scene's bounds).
SLACK = 1.5


def _label_rects(overlay) -> list[QRectF]:
    """Each label of the step shown, with its heatmap, as one scene rect."""
    rects: list[QRectF] = []
    for kind, item in zip(overlay._kinds, overlay._extra):
        if kind == "label":
            rects.append(item.sceneBoundingRect())
        elif kind == "heat":
            rects[-1] = rects[-1].united(item.sceneBoundingRect())
    return rects


def _clashes(pane) -> list[str]:
    scene = pane.scene
    boxes = {node.id: scene.node_items[node.id].sceneBoundingRect()
             for node in scene.display.nodes}
    rects = [r.adjusted(SLACK, SLACK, -SLACK, -SLACK) for r in _label_rects(pane.overlay)]
    clashes = []
    for i, rect in enumerate(rects):
        clashes += [f"label {i} on label {j}" for j in range(i) if rect.intersects(rects[j])]
        clashes += [f"label {i} on box {box}" for box, bounds in boxes.items()
                    if rect.intersects(bounds)]
    return clashes


def _show(window, qtbot, engine: str, example: str) -> None:
    window.resize(1280, 720)
    window.toolbar.engine_combo.setCurrentText(engine)
    window.load_example(example)
    qtbot.waitUntil(lambda: not window.busy(), timeout=20_000)
    assert window.graph_pane.picture.layout.engine == engine


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("example", ["quadratic", "least_squares", "relu_layer"])
def test_step_labels_lie_on_no_box_and_no_other_label(window, qtbot, example, engine):
    _show(window, qtbot, engine, example)
    document, pane = window.document, window.graph_pane
    steps = len(document.trace.steps)
    assert steps >= 3
    shown, clashes = 0, {}
    for k in range(steps):
        document.set_step(k)
        shown += len(_label_rects(pane.overlay))
        if found := _clashes(pane):
            clashes[k] = found
    assert shown >= 3  # the steps did label their gradients
    assert not clashes


@pytest.mark.parametrize("engine", ENGINES)
def test_the_mm_steps_two_gradients_are_labelled_apart(window, qtbot, engine):
    """mm sends ∂f/∂(½xᵀ) [1×5] and ∂f/∂A [5×5] up two short edges: both labels are shown,
    clear of each other and of mm; one moved away from its edge is joined to it by a short
    leader line."""
    _show(window, qtbot, engine, "quadratic")
    document, pane = window.document, window.graph_pane
    mm = next(n for n in document.graph.nodes if n.op == "MmBackward0")
    document.set_step(document.trace.step_of(mm.id).index)
    texts = sorted(item.text() for kind, item in zip(pane.overlay._kinds, pane.overlay._extra)
                   if kind == "label")
    assert texts == ["∇ [1×5]", "∇ [5×5]"]
    assert not _clashes(pane)
    for kind, item in zip(pane.overlay._kinds, pane.overlay._extra):
        if kind == "leader":  # from the edge to its label: short, not across the picture
            line = item.line()
            assert line.length() < pane.scene.sceneRect().width() / 2
