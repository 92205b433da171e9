"""The node inspector: values, gradients, saved tensors, manual checks, copying, screenshots."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QTableWidgetSelectionRange

from nla_explorer.engine import (
    EXAMPLES, GraphNode, TensorData, explore_code, get_example, manual_gradients, snapshot,
)
from nla_explorer.panels.inspector import InspectorPanel
from nla_explorer.panels.tensor_plot import number_text
from tests.app.approved import assert_looks_approved, settled

SCREENSHOTS = Path(__file__).parent / "screenshots"
_CACHE: dict[str, object] = {}


def explore(name: str):
    """Each example explored once per test session (they are frozen data)."""
    if name not in _CACHE:
        _CACHE[name] = explore_code(get_example(name).code)
    return _CACHE[name]


def manual_for(name: str, leaf: str) -> list[tuple[str, TensorData]]:
    pairs = manual_gradients(get_example(name), explore(name).evaluation)
    return [(m.label, snapshot(t)) for m, t in pairs if m.leaf == leaf]


def show(panel: InspectorPanel, example: str, name: str, with_manual: bool = True) -> GraphNode:
    exp = explore(example)
    node = exp.graph.find(name)
    step = exp.trace.step_of(node.id)
    manual = manual_for(example, name) if with_manual else ()
    panel.show_node(node, exp.trace.node_grad(node.id), step.index if step else None, manual,
                    step_count=len(exp.trace.steps))
    return node


def parse_table(text: str) -> np.ndarray:
    return np.array([[float(c) for c in line.split("\t")] for line in text.splitlines()])


def node_with(value: TensorData | None, name: str = "t") -> GraphNode:
    return GraphNode(id="n0", kind="leaf", op="AccumulateGrad", label=name, name=name, value=value)


@pytest.fixture
def panel(qtbot):
    widget = InspectorPanel()
    qtbot.addWidget(widget)
    widget.resize(420, 900)
    return widget


def test_starts_empty_and_clears(panel):
    assert panel.current_node_id() is None
    assert "Select a node" in panel.header_text()
    node = show(panel, "quadratic", "A")
    assert panel.current_node_id() == node.id
    panel.show_node(None)
    assert panel.current_node_id() is None
    assert "Select a node" in panel.header_text()
    assert panel.table_text("value") == "" and panel.table_text("gradient") == ""


def test_leaf_matrix_shows_values_and_gradient(panel):
    exp = explore("quadratic")
    node = show(panel, "quadratic", "A")
    header = panel.header_text()
    for part in ("A", "[leaf]", "AccumulateGrad", "shape (5, 5)", "dtype float32", "device cpu",
                 f"backward step {exp.trace.step_of(node.id).index + 1} of "
                 f"{len(exp.trace.steps)}"):
        assert part in header
    np.testing.assert_allclose(parse_table(panel.table_text("value")), node.value.values, rtol=1e-6)
    grad = exp.trace.node_grad(node.id)
    np.testing.assert_allclose(parse_table(panel.table_text("gradient")), grad.values, rtol=1e-6)
    assert panel.grad_view.plot.mode() == "heatmap"
    text = panel.grad_text()
    assert text.startswith("5 × 5 matrix")
    assert f"min {number_text(grad.values.min())}" in text
    assert f"norm {number_text(np.linalg.norm(grad.values))}" in text


def test_vector_leaf_shows_bars(panel):
    exp = explore("quadratic")
    node = show(panel, "quadratic", "x")
    assert panel.value_view.plot.mode() == "bars" and panel.grad_view.plot.mode() == "bars"
    np.testing.assert_allclose(parse_table(panel.table_text("value"))[:, 0], node.value.values,
                               rtol=1e-6)
    grad = exp.trace.node_grad(node.id).values
    np.testing.assert_allclose(parse_table(panel.table_text("gradient"))[:, 0], grad, rtol=1e-6)
    assert panel.grad_text().startswith("vector of 5 values")


def test_scalar_op_node_header_value_and_gradient(panel):
    exp = explore("quadratic_squared")
    node = show(panel, "quadratic_squared", "g")
    header = panel.header_text()
    assert header.startswith("g [op] MulBackward0") and "inputs 2" in header
    assert "backward step 1 of 10" in header  # the first step, as the stepper counts it
    assert panel.value_view.plot.mode() == "scalar"
    assert float(panel.value_text()) == pytest.approx(node.value.item(), rel=1e-6)
    assert float(panel.grad_text()) == pytest.approx(1.0)  # dg/dg
    f = exp.graph.find("f")
    panel.show_node(f, exp.trace.node_grad(f.id), exp.trace.step_of(f.id).index)
    # dg/df = 2f for g = f * f
    assert float(panel.grad_text()) == pytest.approx(2 * f.value.item(), rel=1e-5)
    assert "SubBackward0" in panel.subtitle.text() and "sub" in panel.subtitle.text()


def test_saved_values_table(panel):
    show(panel, "quadratic_squared", "g")
    assert panel.tabs.tabText(2) == "Saved (2)"
    rows = [line.split("\t") for line in panel.table_text("saved").splitlines()]
    assert rows[0] == ["name", "role", "label", "shape", "value"]
    assert rows[1][:4] == ["other", "input", "f", "()"]
    assert rows[2][:4] == ["self", "input", "f", "()"]
    f = explore("quadratic_squared").graph.find("f").value.item()
    assert float(rows[1][4]) == pytest.approx(f, rel=1e-3)
    show(panel, "quadratic_squared", "f")
    assert panel.table_text("saved").splitlines()[1] == "alpha\tattribute\t\t\t1"
    show(panel, "quadratic_squared", "x")
    assert panel.tabs.tabText(2) == "Saved" and panel.table_text("saved") == ""


def test_selecting_a_saved_tensor_plots_it(panel):
    exp = explore("quadratic_squared")
    mm = next(n for n in exp.graph if n.op == "MmBackward0")
    panel.show_node(mm, exp.trace.node_grad(mm.id))
    row = [s.name for s in mm.saved].index("mat2")
    panel.saved_view.table.selectRow(row)
    assert panel.saved_view.plot.isVisibleTo(panel.saved_view)
    assert panel.saved_view.plot.mode() == "heatmap"


@pytest.mark.parametrize("name", ["x", "A"])
def test_manual_gradients_agree_for_quadratic(panel, name):
    show(panel, "quadratic", name)
    comparisons = panel.manual_comparisons()
    assert len(comparisons) == 1 and comparisons[0].agrees
    assert comparisons[0].relative < 1e-5
    assert panel.tabs.isTabVisible(3) and panel.tabs.tabText(3) == "Manual ✓"
    lines = panel.table_text("manual").splitlines()
    assert lines[0] == "autograd\tmanual\tΔ" and len(lines) == 1 + (5 if name == "x" else 25)


@pytest.mark.parametrize("name", ["x", "A"])
def test_seminar_formula_disagrees_for_quadratic_squared(panel, name):
    f = explore("quadratic_squared").graph.find("f").value.item()
    show(panel, "quadratic_squared", name)
    seminar, chain_rule = panel.manual_comparisons()
    assert "seminar" in seminar.label and not seminar.agrees
    assert seminar.relative == pytest.approx(1 - 1 / (2 * f), rel=1e-4)  # off by the factor 2f
    assert "chain rule" in chain_rule.label and chain_rule.agrees
    assert panel.tabs.tabText(3) == "Manual ✗"
    assert panel.manual_view.picker.count() == 2
    panel.manual_view.picker.setCurrentIndex(1)
    table = panel.table_text("manual").splitlines()[1:]
    deltas = [abs(float(line.split("\t")[2])) for line in table]
    assert max(deltas) < 1e-3


def test_manual_tab_hidden_without_manual(panel):
    show(panel, "quadratic", "x")
    panel.show_tab("manual")
    exp = explore("quadratic")
    b_dot = exp.graph.output
    panel.show_node(b_dot, exp.trace.node_grad(b_dot.id))
    assert not panel.tabs.isTabVisible(3) and panel.current_tab() != "manual"
    panel.show_tab("gradient")
    show(panel, "quadratic", "A")
    assert panel.current_tab() == "gradient"  # the tab stays as the selection changes


def test_copy_button_and_ctrl_c_put_numbers_on_clipboard(panel, qtbot):
    exp = explore("quadratic")
    node = show(panel, "quadratic", "A")
    grad = exp.trace.node_grad(node.id).values
    panel.show_tab("gradient")
    with qtbot.waitSignal(panel.copied) as signal:
        qtbot.mouseClick(panel.grad_view.copy_button, Qt.MouseButton.LeftButton)
    assert "25" in signal.args[0]
    clip = QGuiApplication.clipboard().text()
    assert clip == panel.table_text("gradient")
    np.testing.assert_allclose(parse_table(clip), grad, rtol=1e-6)

    table = panel.grad_view.table
    table.setRangeSelected(QTableWidgetSelectionRange(1, 2, 2, 3), True)
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_allclose(parse_table(QGuiApplication.clipboard().text()), grad[1:3, 2:4],
                               rtol=1e-6)


def test_copy_of_a_scalar_and_of_the_manual_table(panel):
    node = show(panel, "quadratic_squared", "g")
    assert float(panel.copy_table("value")) == pytest.approx(node.value.item(), rel=1e-6)
    show(panel, "quadratic", "x")
    text = panel.copy_table("manual")
    assert QGuiApplication.clipboard().text() == text and text.startswith("autograd\tmanual")


def test_large_tensor_shows_summary(panel):
    big = snapshot(torch.randn(200, 100))
    assert big.values is None
    panel.show_node(node_with(big), big)
    text = panel.value_text()
    assert "Too large" in text and "20,000" in text
    assert f"max {number_text(big.summary['max'])}" in text
    assert panel.table_text("value") == "" and not panel.value_view.copy_button.isVisibleTo(panel)


@pytest.mark.parametrize("tensor, mode, expect", [
    (torch.tensor(3.25), "scalar", "3.25"),
    (torch.tensor([7.5]), "scalar", "7.5"),
    (torch.arange(24.0).reshape(2, 3, 4), "heatmap", "6 × 4"),
    (torch.zeros(3, 3), "heatmap", "3 × 3 matrix"),
    (torch.tensor([[1.0, float("nan")], [float("inf"), -2.0]]), "heatmap", "2 × 2 matrix"),
    (torch.arange(6).reshape(2, 3), "heatmap", "2 × 3 matrix"),
    (torch.tensor([True, False, True]), "bars", "vector of 3 values"),
    (torch.zeros(0), "message", "Empty tensor"),
    (torch.randn(40, 30), "heatmap", "40 × 30 matrix"),
    (torch.randn(5000), "bars", "vector of 5000 values"),
])
def test_every_kind_of_tensor_displays(panel, tensor, mode, expect):
    data = snapshot(tensor)
    panel.show_node(node_with(data), data)
    assert panel.value_view.plot.mode() == mode and panel.grad_view.plot.mode() == mode
    assert expect in panel.value_text()
    if tensor.dim() == 3:
        assert "flattened to 6 × 4" in panel.value_view.plot.note_label.text()
        assert parse_table(panel.table_text("value")).shape == (6, 4)


def test_missing_value_and_gradient(panel):
    panel.show_node(node_with(None), None)
    assert "No forward value" in panel.value_text()
    assert "No gradient" in panel.grad_text()
    assert "shape —" in panel.header_text() and "backward —" in panel.header_text()
    shape_only = TensorData((3, 4), "float32", "meta", None)
    panel.show_node(node_with(shape_only))
    assert "No values recorded" in panel.value_text()
    vector = snapshot(torch.ones(3))
    panel.show_node(node_with(vector), None, manual=[("by hand", vector)])
    (comparison,) = panel.manual_comparisons()
    assert not comparison.agrees and "no autograd gradient" in comparison.reason
    assert panel.tabs.tabText(3) == "Manual ✗" and panel.table_text("manual") == ""


def test_every_node_of_every_example_displays(panel):
    for name in EXAMPLES:
        if name not in ("quadratic", "relu_layer", "inverse_matrix", "sum_squares"):
            continue  # a representative, fast subset
        exp = explore(name)
        for node in exp.graph:
            step = exp.trace.step_of(node.id)
            manual = manual_for(name, node.name) if node.kind == "leaf" else ()
            index = step.index if step else None
            panel.show_node(node, exp.trace.node_grad(node.id), index, manual)
            assert panel.current_node_id() == node.id and panel.value_text()
            assert all(c.agrees for c in panel.manual_comparisons()), (name, node.name)


def test_font_size_scales_text_and_tables(panel):
    show(panel, "quadratic", "A")
    row = panel.grad_view.table.verticalHeader().defaultSectionSize()
    panel.set_font_size(18)
    assert panel.font().pointSize() == 18
    assert "18pt" in panel.subtitle.styleSheet()
    assert panel.grad_view.table.verticalHeader().defaultSectionSize() > row
    assert float(panel.value_view.plot.scalar_label.styleSheet().split("font-size: ")[1][:2]) > 18


def _screenshot(panel, qtbot, filename: str) -> Path:
    panel.show()
    qtbot.waitExposed(panel)
    for _ in range(3):  # the heatmap fits its height once the view box knows its width
        QGuiApplication.processEvents()
    image = settled(panel)
    assert image.width() == 420 and image.height() == 900
    assert_looks_approved(image, filename.removesuffix(".png"))
    return SCREENSHOTS / filename


def test_screenshot_matrix_gradient(panel, qtbot):
    show(panel, "quadratic", "A")
    panel.show_tab("gradient")
    assert _screenshot(panel, qtbot, "inspector_matrix.png").stat().st_size > 10_000
    heat = panel.grad_view.plot.heat_plot
    assert heat.isVisible() and heat.height() >= 160


def test_screenshot_vector_value(panel, qtbot):
    show(panel, "quadratic", "x")
    panel.show_tab("value")
    assert _screenshot(panel, qtbot, "inspector_vector.png").stat().st_size > 5_000
    assert panel.value_view.plot.bar_plot.isVisible()


def test_screenshot_manual_and_projector_font(panel, qtbot):
    show(panel, "quadratic_squared", "x")
    panel.show_tab("manual")
    _screenshot(panel, qtbot, "inspector_manual.png")
    show(panel, "quadratic", "A")
    panel.set_font_size(16)
    panel.show_tab("gradient")
    _screenshot(panel, qtbot, "inspector_matrix_large_font.png")
    assert not math.isnan(panel.manual_comparisons()[0].relative)


def test_a_theme_switch_just_before_the_panel_goes_does_nothing_after(qtbot):
    """The panel refonts a turn after a palette change; a panel deleted within that turn (a
    window closed right after a theme switch) raised 'Internal C++ object already deleted'
    from the event loop, which pytest-qt reports as an error of this test."""
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    gone = InspectorPanel()
    QCoreApplication.sendEvent(gone, QEvent(QEvent.PaletteChange))
    shiboken6.delete(gone)
    qtbot.wait(20)  # the deferred refont's turn
