"""At 1280×720 (a laptop on the projector) the docked step card of every step of the course
examples reads whole, without scrolling, at the type it had: the local Jacobian folds to its
title, the Backward pass dock takes room from the Inspector below it (which keeps its name and
facts), and the line-by-line numbers go last. At 1920×1080 the numbers and the split stay."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics

from nla_explorer.engine import EXAMPLES
from nla_explorer.engine.autograd.stepper import BACKWARD, FORWARD
from nla_explorer.window.card_room import FLOOR_PX

#: The card's type at the window's default font (as it was before the card was fitted).
CARD_POINTS = 11.0
#: Its Results tab (the Hessian's table, rows unsquashed) keeps the column's lower half.
RESULTS_HOLD_THE_ROOM = {"hessian_quadratic"}


def graph_view(window, qtbot, width: int, height: int, example: str):
    window.resize(width, height)
    window.workspaces.switch("graph")
    window.load_example(example)
    doc = window.document
    qtbot.waitUntil(lambda: not window.graph_pane.busy() and doc.step_count() > 0 and
                    not doc.gradients_pending, timeout=5000)
    qtbot.wait(20)
    assert (window.width(), window.height()) == (width, height)


def walk(window, qtbot, mode: str):
    """(step, True) for every step of the pass ``mode`` whose card scrolls."""
    doc, area = window.document, window.stepper.card_area
    doc.set_step_mode(mode)
    for step in range(doc.step_count()):
        doc.set_step(step)
        qtbot.wait(30)  # the card laid out and fitted (its scroll bar's range follows)
        try:
            qtbot.waitUntil(lambda: area.verticalScrollBar().maximum() == 0, timeout=300)
        except qtbot.TimeoutError:
            yield step, True


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_every_step_card_reads_whole_at_720p(window, qtbot, example):
    graph_view(window, qtbot, 1280, 720, example)
    card = window.stepper.card
    steps = window.document.step_count()
    scrolled = [(example, mode, step) for mode in (BACKWARD, FORWARD)
                for step, _scrolls in walk(window, qtbot, mode)]
    if example not in RESULTS_HOLD_THE_ROOM:  # polyfit_net's addmm too (its lists on one line)
        assert scrolled == []
    assert steps >= 2
    assert card.points >= CARD_POINTS  # no smaller than before
    assert card.rule.font().pointSizeF() >= 1.3 * CARD_POINTS
    assert window.inspector_dock.height() >= FLOOR_PX  # the Inspector keeps its facts


def test_the_accumulation_card_at_720p_keeps_its_rows_and_sum(window, qtbot):
    """The quadratic's last step: x is used 3 times; three rows and their sum, all in sight."""
    graph_view(window, qtbot, 1280, 720, "quadratic")
    doc = window.document
    doc.set_step(doc.step_count() - 1)
    qtbot.waitUntil(lambda: window.stepper.card_area.verticalScrollBar().maximum() == 0,
                    timeout=2000)
    card = window.stepper.card
    assert "x is used 3 times" in card.sum_title.text()
    rows = [row for row in card.accumulation if row.isVisible()]
    assert len(rows) == 4  # + from bᵀx, + from ½xᵀAx, + from ½x, = ∂f/∂x
    viewport = window.stepper.card_area.viewport()
    for row in rows:  # each row's bottom edge on screen
        assert row.mapTo(viewport, row.rect().bottomLeft()).y() < viewport.height()


def test_at_1080p_a_big_card_folds_its_jacobian_and_keeps_its_numbers(window, qtbot):
    graph_view(window, qtbot, 1920, 1080, "quadratic")
    doc, card = window.document, window.stepper.card
    doc.set_step(4)  # mm: two 5×5 Jacobians, far taller than any screen
    qtbot.waitUntil(lambda: card.jacobian.folded, timeout=2000)
    qtbot.wait(20)
    assert window.stepper.card_area.verticalScrollBar().maximum() == 0
    assert card.numbers.isVisible() and "→ ∂f/∂A" in card.numbers.text()
    qtbot.mouseClick(card.jacobian.title, Qt.LeftButton)  # the user opens it: it stays open
    doc.set_step(2)
    qtbot.wait(20)
    assert not card.jacobian.folded and card.jacobian.blocks[0].isVisible()


def test_polyfit_addmm_reads_whole_at_720p_its_lists_on_one_line(window, qtbot):
    """addmm sends to three inputs with long names: its tiles' "1×20 [0.022, -0.0325, …]" lines
    once wrapped inside the list (a line more each, 41 px too tall); each is one line now."""
    graph_view(window, qtbot, 1280, 720, "polyfit_net")
    doc, card = window.document, window.stepper.card
    doc.set_step_mode(BACKWARD)
    step = next(i for i, s in enumerate(doc.trace.steps)
                if doc.graph.node(s.node_id).op.startswith("AddmmBackward"))
    for at in range(step + 1):  # stepped to, as in the lecture
        doc.set_step(at)
        qtbot.wait(30)
    qtbot.waitUntil(lambda: window.stepper.card_area.verticalScrollBar().maximum() == 0,
                    timeout=2000)
    shapes = [tile.shape for tile in card.tiles if tile.is_heatmap]
    assert len(shapes) == 4
    for shape in shapes:  # one line each
        assert "\n" not in shape.text() and shape.text().count("[") == 1
        assert shape.height() < 1.5 * QFontMetrics(shape.font()).height()
