"""Stepping through the backward pass in the window: keys, the picture, the inspector, presentation."""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt


SHOTS = Path(__file__).resolve().parent / "screenshots"




def test_keys_walk_the_trace_in_order(window, qtbot):
    window.load_example("quadratic")
    doc = window.document
    window.view.setFocus()
    visited = []
    for _ in range(len(doc.trace)):
        qtbot.keyClick(window.view, Qt.Key_Right)
        visited.append(doc.trace.steps[doc.step].node_id)
        assert doc.selected == visited[-1]  # the inspector follows the running node
    assert visited == [s.node_id for s in doc.trace.steps]
    qtbot.keyClick(window.view, Qt.Key_Home)
    assert doc.step == -1
    qtbot.keyClick(window.view, Qt.Key_End)
    assert doc.step == len(doc.trace) - 1
    qtbot.keyClick(window.view, Qt.Key_Left)
    assert doc.step == len(doc.trace) - 2


def test_picture_shows_running_done_and_waiting_nodes_and_lit_edges(window):
    window.load_example("quadratic")
    doc = window.document
    mm = next(s for s in doc.trace.steps if doc.graph.node(s.node_id).op == "MmBackward0")
    doc.set_step(mm.index)
    items = window.scene.node_items
    assert items[mm.node_id].step_state == "current"
    assert items[doc.trace.steps[0].node_id].step_state == "done"
    assert items[doc.trace.steps[-1].node_id].step_state == "waiting"
    assert items[doc.trace.steps[-1].node_id].opacity() < 1
    labels = [i.text() for i in window.scene.items() if hasattr(i, "text") and
              callable(i.text) and i.text().startswith("∇")]
    assert len(labels) == 2  # mm sends gradients to its two inputs
    np.testing.assert_allclose(doc.trace.step_of(mm.node_id).grad_inputs[1].values.shape, (5, 5))
    doc.set_step(None)
    assert all(i.step_state is None for i in items.values())


def test_stepper_panel_buttons_and_label(window):
    window.load_example("norm")
    stepper = window.stepper
    stepper.buttons["next"].click()
    assert window.document.step == 0 and "step 1 of" in stepper.label.text()
    stepper.buttons["last"].click()
    assert stepper.slider.value() == stepper.slider.maximum()
    stepper.slider.setValue(1)
    assert window.document.step == 0


def test_presentation_mode_toggles(window):
    window.load_example("quadratic")
    font = window.font_spin.value()
    window.presentation_action.trigger()
    assert window.font_spin.value() >= 20 and not window.code_dock.isVisible()
    assert window.stepper_dock.isVisible()
    window.presentation_action.trigger()
    assert window.font_spin.value() == font and window.code_dock.isVisible()


@pytest.mark.parametrize("fraction", [0.0, 0.5, 1.0])
def test_step_screenshots(window, fraction):
    window.load_example("quadratic")
    doc = window.document
    doc.set_step(int(fraction * (len(doc.trace) - 1)))
    SHOTS.mkdir(exist_ok=True)
    assert window.grab().save(str(SHOTS / f"step_quadratic_{int(fraction * 100)}.png"))


def test_export_all_steps_writes_one_picture_per_step(window, tmp_path):
    from PySide6.QtGui import QImage
    window.load_example("quadratic")
    written = window.export_steps(str(tmp_path))
    assert len(written) == len(window.document.trace)
    assert sorted(p.name for p in tmp_path.glob("step_*.png")) == [
        f"step_{k:03d}.png" for k in range(1, len(written) + 1)]
    assert not QImage(written[0]).isNull()
    assert window.document.step is None  # the window's own view is left as it was


def test_cli_export_at_a_step(tmp_path):
    import os
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root), QT_QPA_PLATFORM="offscreen")
    run = [sys.executable, "-m", "nla_explorer", "export", "--example", "quadratic", "--layout",
           "builtin"]
    out = subprocess.run(run + ["-o", "s4.svg", "--step", "4"], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=180)
    assert out.returncode == 0, out.stderr
    assert "∇" in (tmp_path / "s4.svg").read_text()  # the lit edges carry gradient labels
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
