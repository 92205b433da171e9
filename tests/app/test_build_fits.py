"""The Build workspace shows a course example whole, legibly: at 1280×720 (the projector) every
block of the arranged program lies inside the block editor's canvas with op names at least
LEGIBLE_PX tall, and at 1920×1080 it is shown large. The deepest, polyfit_net (nine rows:
rand → mul → sub → div → requires_grad_ → linear → sigmoid → linear → mse_loss), fits at 720p
because port names stand above the boxes and no parameter panel takes room until a block is
selected."""

from __future__ import annotations

import pytest

from nla_explorer.engine import EXAMPLES
from nla_explorer.panels.block_canvas_framing import LEGIBLE_PX

def build_view(window, qtbot, width: int, height: int, example: str):
    window.resize(width, height)
    window.workspaces.switch("build")
    window.load_example(example)
    qtbot.waitUntil(lambda: not window.graph_pane.busy(), timeout=5000)
    qtbot.wait(50)
    assert (window.width(), window.height()) == (width, height)
    canvas = window.block_editor.canvas
    assert canvas.isVisible() and canvas.block_items()
    return canvas


def outside(canvas) -> list[str]:
    """The blocks not wholly inside what the canvas shows."""
    shown = canvas.visible_rect()
    return [item.block_id for item in canvas.block_items()
            if not shown.contains(item.footprint())]


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_a_course_example_fits_the_build_canvas_at_720p_legibly(window, qtbot, example):
    canvas = build_view(window, qtbot, 1280, 720, example)
    assert canvas.label_px() >= LEGIBLE_PX - 1e-6  # op names legible from the back row
    assert outside(canvas) == []
    assert not window.block_editor.params_area.isVisible()  # nothing selected: all to the canvas


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_a_course_example_is_shown_whole_and_large_at_1080p(window, qtbot, example):
    canvas = build_view(window, qtbot, 1920, 1080, example)
    assert outside(canvas) == []
    assert canvas.label_px() >= 1.25 * LEGIBLE_PX


def test_arrange_keeps_the_quadratic_form_whole_at_720p(window, qtbot):
    """Arrange (the editor's button) gives the same compact picture: Fit shows all of it."""
    canvas = build_view(window, qtbot, 1280, 720, "quadratic")
    window.block_editor.arrange_action.trigger()
    window.block_editor.fit_action.trigger()
    qtbot.wait(20)
    assert outside(canvas) == [] and canvas.label_px() >= LEGIBLE_PX - 1e-6
    boxes = [item.footprint() for item in canvas.block_items()]
    assert not any(a.intersects(b) for k, a in enumerate(boxes) for b in boxes[k + 1:])


def test_the_deepest_example_at_720p_ports_named_legibly_and_numbers_in_the_toolbar(window, qtbot):
    canvas = build_view(window, qtbot, 1280, 720, "polyfit_net")
    zoom = canvas.zoom()
    items = canvas.block_items()
    assert all(item.port_label_px(zoom) >= LEGIBLE_PX - 1e-6 for item in items)
    boxes = [item.footprint() for item in items]  # port names above the boxes included
    assert not any(a.intersects(b) for k, a in enumerate(boxes) for b in boxes[k + 1:])
    editor = window.block_editor
    numbers = editor.params.numbers_field
    assert numbers.isVisible() and editor.toolbar.isAncestorOf(numbers)
    assert numbers.text() == "m = 20, n = 20, p = 10"
    assert canvas.height() >= editor.height() - editor.toolbar.height() - 4
