"""The speed-up plot's crossover label lies whole inside the plot's view box: a crossover near the
right edge puts it left of its line, one near the left edge right of it, and the bigger type of
presentation mode moves it again (it was cut off at the plot's right edge)."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF

from nla_explorer.engine.timing.sweep import TimingResult, results_to_csv
from nla_explorer.panels.plot_presenting import PlotPresenting
from nla_explorer.panels.timing import TimingPanel

GPU = "NVIDIA H100 80GB HBM3"


def gpu_csv(tmp_path, overhead: float, name: str = "gpu.csv"):
    """CPU at 1 TFLOP/s + 2 µs, GPU at 50 TFLOP/s + ``overhead``: the larger the overhead, the
    larger the size from which the GPU wins (300 µs: 1024 of 16 … 2048, near the right edge)."""
    rows = []
    for n in (16, 32, 64, 128, 256, 512, 1024, 2048):
        for device, label, rate, extra in (("cpu", "Xeon", 1e12, 2e-6),
                                           ("cuda", GPU, 50e12, overhead)):
            t = extra + 2 * n ** 3 / rate
            rows.append(TimingResult("matmul", n, device, "float32", median_s=t, iqr_s=t / 50,
                                     repeats=100, gflops=2 * n ** 3 / t / 1e9,
                                     gbps=12 * n * n / t / 1e9, device_label=label))
    path = tmp_path / name
    path.write_text(results_to_csv(rows))
    return path


def crossover_labels(plot: pg.PlotWidget) -> list:
    return [item.label for item in plot.getPlotItem().items
            if isinstance(item, pg.InfiniteLine) and item.angle == 90
            and "crossover" in item.label.textItem.toPlainText()]


def outside(label, plot: pg.PlotWidget) -> str | None:
    """How ``label`` sticks out of the plot's view box (None: it lies within it)."""
    box = plot.getPlotItem().vb.sceneBoundingRect()
    text = label.mapRectToScene(label.boundingRect())
    inside = QRectF(box).adjusted(-0.5, -0.5, 0.5, 0.5)
    if inside.contains(text):
        return None
    return f"{label.textItem.toPlainText()!r} at {text} outside the view box {box}"


@pytest.fixture
def panel(qtbot):
    p = TimingPanel()
    qtbot.addWidget(p)
    p.show()
    qtbot.waitExposed(p)
    return p


@pytest.mark.parametrize("overhead, size", [(300e-6, 1024), (8e-6, 256), (2e-7, 16)])
@pytest.mark.parametrize("width", [700, 1000, 1400])
def test_the_crossover_label_lies_inside_the_view_box(qtbot, tmp_path, panel, overhead, size,
                                                      width):
    panel.resize(width, 700)
    assert panel.load_csv(gpu_csv(tmp_path, overhead))
    panel.plot_tabs.setCurrentIndex(1)
    plot = panel.plots.speedup_plot
    qtbot.wait(60)
    assert list(panel.plots.crossovers.values()) == [size]
    labels = crossover_labels(plot)
    assert len(labels) == 1
    assert outside(labels[0], plot) is None
    presenting = PlotPresenting(panel)  # the bigger type, as on the projector
    presenting.set_presenting(True, 20)
    panel.set_presentation(True, 20)
    qtbot.wait(60)
    assert labels[0].textItem.font().pointSizeF() == 20
    assert outside(labels[0], plot) is None
    presenting.set_presenting(False)
    panel.set_presentation(False)
    qtbot.wait(60)
    assert outside(labels[0], plot) is None


def test_near_the_right_edge_the_label_is_left_of_its_line(qtbot, tmp_path, panel):
    panel.resize(1000, 700)
    panel.load_csv(gpu_csv(tmp_path, 300e-6))
    panel.plot_tabs.setCurrentIndex(1)
    qtbot.wait(60)
    label = crossover_labels(panel.plots.speedup_plot)[0]
    line_x = label.scenePos().x()
    text = label.mapRectToScene(label.boundingRect())
    assert text.right() <= line_x + 1 and label.anchor.x() == 1.0


def test_a_label_wider_than_the_view_starts_at_its_left_edge(qtbot, tmp_path, panel):
    """A plot too narrow for the text on either side of the line: over the line, from the
    view's left edge (what is left over is cut at the right only)."""
    panel.resize(700, 700)
    panel.load_csv(gpu_csv(tmp_path, 8e-6))
    panel.plot_tabs.setCurrentIndex(1)
    qtbot.wait(60)
    plot = panel.plots.speedup_plot
    label = crossover_labels(plot)[0]
    font = label.textItem.font()
    font.setPointSizeF(60)
    label.setFont(font)
    qtbot.wait(30)
    box = plot.getPlotItem().vb.sceneBoundingRect()
    text = label.mapRectToScene(label.boundingRect())
    assert text.width() > box.width() / 2
    assert abs(text.left() - max(box.left(), box.right() - text.width())) <= 1
