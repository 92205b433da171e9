"""Stepping through the backward pass in the window: keys, the picture, the inspector, presentation."""

import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from tests.app.approved import assert_looks_approved, settled


SHOTS = Path(__file__).resolve().parent / "screenshots"




def test_keys_walk_the_trace_in_order(window, qtbot):
    window.load_example("quadratic")
    doc = window.document
    window.graph_pane.view.setFocus()
    visited = []
    for _ in range(len(doc.trace)):
        qtbot.keyClick(window.graph_pane.view, Qt.Key_Right)
        visited.append(doc.trace.steps[doc.step].node_id)
        assert doc.selected == visited[-1]  # the inspector follows the running node
    assert visited == [s.node_id for s in doc.trace.steps]
    qtbot.keyClick(window.graph_pane.view, Qt.Key_Home)
    assert doc.step == -1
    qtbot.keyClick(window.graph_pane.view, Qt.Key_End)
    assert doc.step == len(doc.trace) - 1
    qtbot.keyClick(window.graph_pane.view, Qt.Key_Left)
    assert doc.step == len(doc.trace) - 2


def test_picture_shows_running_done_and_waiting_nodes_and_lit_edges(window):
    window.load_example("quadratic")
    doc = window.document
    mm = next(s for s in doc.trace.steps if doc.graph.node(s.node_id).op == "MmBackward0")
    doc.set_step(mm.index)
    items = window.graph_pane.scene.node_items
    assert items[mm.node_id].step_state == "current"
    assert items[doc.trace.steps[0].node_id].step_state == "done"
    assert items[doc.trace.steps[-1].node_id].step_state == "waiting"
    assert items[doc.trace.steps[-1].node_id].fade() < 1
    labels = [i.text() for i in window.graph_pane.scene.items() if hasattr(i, "text") and
              callable(i.text) and i.text().startswith("∇")]
    assert len(labels) == 2  # mm sends gradients to its two inputs
    np.testing.assert_allclose(doc.trace.step_of(mm.node_id).grad_inputs[1].values.shape, (5, 5))
    doc.set_step(None)
    assert all(i.step_state is None for i in items.values())


def test_the_inspector_numbers_steps_as_the_stepper_does(window, qtbot):
    """The stepper says "backward step k of n"; the inspector, on the running node, says step k
    too (it counted from 0: "backward step 0" beside "step 1 of 9")."""
    window.load_example("quadratic")
    doc = window.document
    total = len(doc.trace.steps)
    for index in (0, 4, total - 1):
        doc.set_step(index)
        assert f"backward step {index + 1} of {total}" in window.stepper.label.text()
        node = doc.trace.steps[index].node_id
        assert doc.selected == node
        qtbot.waitUntil(lambda: window.inspector.current_node_id() == node, timeout=3000)
        header = window.inspector.header_text()
        assert re.search(rf"backward step {index + 1}( of {total})?(,|$)", header), header


def test_stepper_panel_buttons_and_label(window):
    window.load_example("norm")
    stepper = window.stepper
    stepper.buttons["next"].click()
    assert window.document.step == 0 and "step 1 of" in stepper.label.text()
    stepper.buttons["last"].click()
    assert stepper.slider.value() == stepper.slider.maximum()
    stepper.slider.setValue(1)
    assert window.document.step == 0


def test_the_stepper_counts_thousands_of_steps_readably(window, qtbot):
    import torch

    from nla_explorer.engine.recording import capture_tensor
    x = torch.randn(2, requires_grad=True)
    y = x
    for _ in range(1200):
        y = torch.sin(y)
    cap = capture_tensor(y.sum())
    assert len(cap.trace) == 1202  # 1,200 sins, the sum and the leaf
    window.document.set_graph(cap.graph, cap.trace, "y")
    qtbot.waitUntil(lambda: not window.busy(), timeout=20_000)
    assert "Before the backward pass · 1,202 steps" in window.stepper.label.text()
    window.document.set_step(1100)
    assert "step 1,101 of 1,202" in window.stepper.label.text()


def test_presentation_mode_toggles(window):
    window.load_example("quadratic")
    font = window.toolbar.font_spin.value()
    window.presentation.action.trigger()
    assert window.toolbar.font_spin.value() >= 20 and not window.code_dock.isVisible()
    assert window.stepper_dock.isVisible()
    assert window.stepper.check_button.isHidden() and window.stepper.speed.isHidden()
    assert window.palette().color(window.palette().ColorRole.WindowText).name() == "#000000"
    window.presentation.action.trigger()
    assert not window.stepper.check_button.isHidden()
    assert window.toolbar.font_spin.value() == font and window.code_dock.isVisible()


def test_presentation_fits_each_card_anew_and_leaves_the_graph_type_alone(window, qtbot):
    """A big card (a 10×10 Jacobian at 1280×720) shrinks its own type and folds its details; the
    next small card is big and open again, and the graph's type never changes while stepping."""
    window.load_example("polyfit_net")
    before = window.stepper.card.rule.font().pointSizeF()
    window.presentation.action.trigger()
    window.showNormal()  # a projector of 1280×720 (the offscreen screen is 800×800)
    window.resize(1280, 720)
    presenting = window.toolbar.font_spin.value()
    card = window.stepper.card
    fitted = window.presentation._fit_timer
    sizes = {}
    last = len(window.document.trace) - 1  # W's AccumulateGrad: a small card
    for step in (last, 6, last):
        window.document.set_step(step)
        qtbot.waitUntil(lambda: not fitted.isActive(), timeout=3000)
        qtbot.wait(30)
        assert not window.presentation.card_overflows(), step
        assert window.toolbar.font_spin.value() == presenting  # the graph's type
        sizes.setdefault(step, []).append((card.rule.font().pointSizeF(), card.jacobian.folded))
    (small, small_folded), (again, again_folded) = sizes[last]
    ((big, big_folded),) = sizes[6]
    assert big_folded and big < small and not small_folded
    assert (again, again_folded) == (small, small_folded)
    window.presentation.action.trigger()
    assert card.rule.font().pointSizeF() == before  # the window's type again


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_box_the_pass_has_not_reached_is_pale_but_its_name_reads(window, qtbot, theme):
    """Waiting boxes fade their fill, border and heatmaps, not their text: the whole box at 35 %
    left "unsqueeze" at 2.3:1 on a projector."""
    from dataclasses import replace

    from PySide6.QtCore import QRect
    from nla_explorer.drawing.style import ViewStyle, contrast
    from tests.app.test_dark_theme_panels import ground_and_ink
    window.load_example("quadratic")
    pane = window.graph_pane
    pane.set_options(replace(pane.options, style=ViewStyle.for_theme(theme)))
    qtbot.waitUntil(lambda: not pane.busy(), timeout=5000)
    window.document.set_step(0)
    qtbot.wait(50)
    waiting = next(i for i in pane.scene.node_items.values() if i.node.label == "unsqueeze")
    assert waiting.step_state == "waiting" and waiting.fade() < 1
    box = pane.view.mapFromScene(waiting.sceneBoundingRect()).boundingRect()
    ground, ink = ground_and_ink(pane.view.viewport().grab(box.adjusted(6, 6, -6, -6)).toImage())
    assert contrast(ground, ink) >= 4.5
    canvas, reached = QColor(pane.view_style.canvas), QColor("#f1f1f1")  # an op box's fill
    assert abs(ground.lightness() - canvas.lightness()) < \
        abs(reached.lightness() - canvas.lightness())  # paler: nearer the canvas


def test_opening_the_folded_jacobian_while_presenting_fits_the_card_with_it_open(window, qtbot):
    """The presenter clicks "▸ Local Jacobian (click to show)": the card fits again with the
    Jacobian open (it ran off the right edge); clicking again folds it and the type grows back."""
    window.load_example("polyfit_net")
    window.presentation.action.trigger()
    window.showNormal()
    window.resize(1280, 720)
    card = window.stepper.card
    fitted = window.presentation._fit_timer
    window.document.set_step(6)  # a 10×10 Jacobian: folded to fit
    qtbot.waitUntil(lambda: not fitted.isActive(), timeout=3000)
    qtbot.wait(30)
    assert card.jacobian.folded
    folded_points = card.rule.font().pointSizeF()
    qtbot.mouseClick(card.jacobian.title, Qt.LeftButton)
    qtbot.wait(30)
    assert not card.jacobian.folded and card.jacobian.blocks[0].isVisible()
    assert not window.presentation.card_overflows()
    assert card.rule.font().pointSizeF() < folded_points
    qtbot.mouseClick(card.jacobian.title, Qt.LeftButton)
    qtbot.wait(30)
    assert card.jacobian.folded and not window.presentation.card_overflows()
    assert card.rule.font().pointSizeF() == folded_points


def test_every_line_of_the_presented_card_takes_the_cards_type(window, qtbot):
    """From the back row: no text of the card stays small when presentation enlarges it (the
    note "x.grad += g" kept 9 pt: a label with a style sheet does not follow its parent's font)."""
    from PySide6.QtWidgets import QLabel
    window.load_example("quadratic")
    window.presentation.action.trigger()
    window.showNormal()
    window.resize(1280, 720)
    doc = window.document
    doc.set_step(len(doc.trace) - 1)  # x's AccumulateGrad: accumulation rows and a note
    card = window.stepper.card
    qtbot.waitUntil(lambda: not window.presentation._fit_timer.isActive(), timeout=3000)
    body = card.fontInfo().pixelSize()
    assert body >= 20
    shown = [label for label in card.findChildren(QLabel)
             if label.isVisibleTo(card) and label.text().strip()]
    assert card.note in shown and "x.grad += " in card.note.text()
    small = [(label.text()[:30], label.fontInfo().pixelSize()) for label in shown
             if label.fontInfo().pixelSize() < 0.85 * body]
    assert small == []


@pytest.mark.parametrize("fraction", [0.0, 0.5, 1.0])
def test_step_screenshots(window, fraction):
    window.load_example("quadratic")
    doc = window.document
    doc.set_step(int(fraction * (len(doc.trace) - 1)))
    SHOTS.mkdir(exist_ok=True)
    assert_looks_approved(settled(window), f"step_quadratic_{int(fraction * 100)}")


def test_export_all_steps_writes_one_picture_per_step(window, tmp_path):
    from PySide6.QtGui import QImage
    window.load_example("quadratic")
    written = window.export.export_steps(str(tmp_path))
    assert len(written) == len(window.document.trace)
    assert sorted(p.name for p in tmp_path.glob("step_*.png")) == [
        f"step_{k:03d}.png" for k in range(1, len(written) + 1)]
    assert not QImage(written[0]).isNull()
    assert window.document.step is None  # the window's own view is left as it was


def test_cli_export_at_a_step(tmp_path):
    import os
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root), QT_QPA_PLATFORM="offscreen")
    run = [sys.executable, "-m", "nla_explorer", "export", "--example", "quadratic", "--layout",
           "builtin"]
    out = subprocess.run(run + ["-o", "s4.svg", "--step", "4"], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=180)
    assert out.returncode == 0, out.stderr
    assert "∇" in (tmp_path / "s4.svg").read_text()  # the lit edges carry gradient labels
    fwd = subprocess.run(run + ["-o", "f9.svg", "--step", "9", "--forward"], capture_output=True,
                         text=True, cwd=tmp_path, env=env, timeout=180)
    assert fwd.returncode == 0, fwd.stderr
    svg = (tmp_path / "f9.svg").read_text()
    assert "∇ ?" in svg and "∇ 1" not in svg  # forward: no gradient is known yet
    bad = subprocess.run(run + ["-o", "s.svg", "--step", "99"], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=180)
    assert bad.returncode == 2 and "--step must be between 1 and 9" in bad.stderr


def test_finite_difference_check_from_the_stepper(window):
    window.load_example("quadratic")
    window.stepper.check_button.click()
    text = window.stepper.check_result.text()
    assert "✓ A:" in text and "✓ x:" in text and "✗" not in text
    window.load_example("norm")
    assert window.stepper.check_result.text() == ""  # a new graph clears the old verdict


def _overlay_texts(window, prefix=""):
    return sorted(i.text() for i in window.graph_pane.scene.items() if hasattr(i, "text") and
                  callable(i.text) and i.zValue() == 3 and i.text().startswith(prefix))


def test_forward_mode_walks_values_in_topological_order(window, qtbot):
    from PySide6.QtWidgets import QGraphicsPixmapItem
    window.load_example("quadratic")
    doc = window.document
    window.graph_pane.view.setFocus()
    assert window.stepper_dock.windowTitle() == "Backward pass"
    qtbot.keyClick(window.graph_pane.view, Qt.Key_F)
    assert doc.step_mode == "forward" and window.stepper.mode_buttons["forward"].isChecked()
    assert window.stepper_dock.windowTitle() == "Forward pass"  # the dock's title says which
    order = doc.forward_order()
    position = {node_id: i for i, node_id in enumerate(order)}
    seen = []
    for _ in range(len(order)):
        qtbot.keyClick(window.graph_pane.view, Qt.Key_Right)
        seen.append(order[doc.step])
        assert "forward step" in window.stepper.label.text()
    assert seen == list(order)
    assert all(position[e.source] < position[e.target] for e in doc.graph.edges)
    mm = next(n for n in doc.graph.nodes if n.op == "MmBackward0")
    doc.set_step(position[mm.id])
    assert "mm" in window.stepper.label.text() and "(computed)" in window.stepper.label.text()
    doc.set_step(0)  # a leaf: forward, nothing runs there (not "AccumulateGrad")
    assert "(a leaf, given)" in window.stepper.label.text()
    doc.set_step(position[mm.id])
    items = window.graph_pane.scene.node_items
    assert items[mm.id].step_state == "current" and items[mm.id].step_mode == "forward"
    waiting = items[doc.graph.output_id]
    assert waiting.step_state == "waiting" and waiting._unknown("value")
    assert _overlay_texts(window) == ["[1×5]", "[5×5]"]  # mm's inputs: values as shape + heatmap
    assert sum(isinstance(i, QGraphicsPixmapItem) for i in window.graph_pane.scene.items()) == 2
    card = window.stepper.card
    assert card.rule.text() == "mm = ½xᵀ · A"
    assert [t.caption for t in card.tiles] == ["½xᵀ", "A", "→ mm"]
    assert all(t.is_heatmap for t in card.tiles)
    qtbot.keyClick(window.graph_pane.view, Qt.Key_F)
    assert doc.step_mode == "backward" and "backward step" in window.stepper.label.text()


def test_backward_card_shows_gradients_as_heatmaps_and_the_accumulation(window):
    window.load_example("quadratic")
    doc = window.document
    x = doc.graph.find("x").id
    doc.set_step(doc.trace.step_of(x).index)
    card = window.stepper.card
    assert card.tiles[0].caption == "g = ∂f/∂x" and card.tiles[0].is_heatmap
    # each use of x by what it computes, in the program's names: bᵀx, ½xᵀAx and ½x
    assert [t.caption for t in card.accumulation] == [
        "from bᵀx", "from ½xᵀAx", "from ½x", "∂f/∂x"]
    parts = [np.asarray(t.data.values, dtype=np.float64) for t in card.accumulation]
    np.testing.assert_allclose(sum(parts[:-1]), parts[-1], rtol=1e-5, atol=1e-6)
    assert "used 3 times" in card.text()
    item = window.graph_pane.scene.node_items[x]
    assert item.step_state == "current"  # the leaf fills with its gradient when it accumulates
    sub = doc.trace.steps[0]
    doc.set_step(0)
    assert [t.caption for t in card.tiles] == ["g = ∂f/∂f", "→ ∂f/∂(½xᵀAx)", "→ ∂f/∂(bᵀx)"]
    assert card.rule.text() == "∂f/∂(½xᵀAx) = g\n∂f/∂(bᵀx) = −g"
    assert [t.value_text for t in card.tiles] == ["1", "1", "-1"]  # scalars as numbers
    assert all(not t.is_heatmap and "-1" in card.tiles[2].body.text() for t in card.tiles)
    assert not card.accumulation and sub.node_id == doc.graph.output_id
    assert _overlay_texts(window, "∇") == ["∇ -1", "∇ 1"]


def test_forward_steps_export_and_large_font_card_screenshot(window, tmp_path, qtbot):
    window.load_example("quadratic")
    doc = window.document
    doc.set_step_mode("forward")
    written = window.export.export_steps(str(tmp_path))
    assert len(written) == len(doc.forward_order())
    assert all(Path(p).name.startswith("forward_") for p in written)
    window.toolbar.font_spin.setValue(20)  # the projector setting reaches the card
    doc.set_step(5)
    assert window.stepper.card.rule.font().pointSizeF() >= 20
    qtbot.wait(150)  # let the layouts settle, as they do on screen
    SHOTS.mkdir(exist_ok=True)
    assert_looks_approved(settled(window), "step_quadratic_forward_font20")
    doc.set_step_mode("backward")
    doc.set_step(doc.trace.step_of(doc.graph.find("x").id).index)
    qtbot.wait(150)
    assert_looks_approved(settled(window.stepper_dock), "step_card_accumulation_font20")
    window.presentation.action.trigger()
    qtbot.wait(150)
    assert_looks_approved(settled(window), "step_quadratic_presentation")
    window.presentation.action.trigger()
