"""The Build workspace shows a course example whole, legibly: at 1280×720 (the projector) every
block of the arranged program lies inside the block editor's canvas with op names at least
LEGIBLE_PX tall, and at 1920×1080 it is shown large."""

from __future__ import annotations

import pytest

from nla_explorer.engine import EXAMPLES
from nla_explorer.panels.block_canvas_framing import LEGIBLE_PX

#: Too deep for 1280×720 at a legible zoom: nine rows of blocks (rand → mul → sub → div →
#: requires_grad_ → linear → sigmoid → linear → mse_loss) need about 820 scene units, the canvas
#: shows about 640 there. Fit shows the output end legibly; at 1080p it is shown whole.
TOO_DEEP_FOR_720P = {"polyfit_net"}


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
    if example in TOO_DEEP_FOR_720P:
        output = canvas.expression().output_block().id
        assert output not in outside(canvas)  # the output end of the program, legibly
    else:
        assert outside(canvas) == []


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
