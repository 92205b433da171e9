"""No plot legend covers a curve: the legend's box, mapped into the plot's view (data)
coordinates, holds no drawn point and meets no drawn line segment — at the window's screen sizes,
in both themes, at a large font, and for a bare header legend over data that fills its view.

The Train plots' legends sat as framed boxes at the top right, flush on the view: over the title
of Norms, over its ‖weights‖ curve, over the upper right of the loss plot."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt

from nla_explorer.panels.plot_legend import CLEAR, HeaderLegend
from tests.app.legend_geometry import assert_legend_clear_of_data, covered_data
from tests.app.test_timing_panel import synthetic_gpu_csv
from tests.app.test_training_panel import set_value

X = np.linspace(0.0, 1.0, 41)


def _filled_plot(qtbot, width, height, names, log_y=False):
    """A plot whose curves reach every edge of the view: along its top, through its top-right
    and top-left corners, and down to the bottom."""
    plot = pg.PlotWidget(title="Norms · diverged (∞ not drawn)")
    qtbot.addWidget(plot)
    HeaderLegend(plot.getPlotItem(), labelTextSize="11pt", horSpacing=10)
    plot.setLogMode(x=False, y=log_y)
    curves = (np.ones_like(X), X, 1.0 - X, 0.5 + 0.5 * np.sin(9 * X))
    for name, y in zip(names, curves):
        plot.plot(X, (10 ** (6 * y - 5)) if log_y else y, name=name, symbol="o", symbolSize=5)
    plot.resize(width, height)
    plot.show()
    qtbot.waitExposed(plot)
    qtbot.wait(20)
    return plot


def test_the_check_sees_a_legend_laid_over_the_data(qtbot):
    """The check itself: pyqtgraph's own legend, in the view's top-right corner, covers the
    curve that runs through that corner."""
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.addLegend(offset=(-10, 10))
    plot.plot(X, X, name="through the corner")
    plot.plot(X, np.ones_like(X), name="along the top")
    plot.resize(400, 300)
    plot.show()
    qtbot.waitExposed(plot)
    qtbot.wait(20)
    hits = covered_data(plot)
    assert any("along the top" in hit for hit in hits)
    assert any("through the corner: segment" in hit for hit in hits)
    with pytest.raises(AssertionError):
        assert_legend_clear_of_data(plot)


@pytest.mark.parametrize("width, height", [(260, 170), (420, 260), (900, 300), (1500, 400)])
@pytest.mark.parametrize("names", [
    ("‖gradient‖", "‖weights‖"),
    ("target", "training points", "network"),
    ("this run: loss", "course p=10 lr=0.01 E=100 sigmoid", "lr=0.05", "Adam tanh"),
    ("cuda over cpu: matmul float32 · NVIDIA H200 (reference run, not this machine)",),
])
@pytest.mark.parametrize("log_y", [False, True])
def test_a_header_legend_covers_no_data_that_fills_the_view(qtbot, width, height, names, log_y):
    plot = _filled_plot(qtbot, width, height, names, log_y)
    assert_legend_clear_of_data(plot)
    item = plot.getPlotItem()
    legend = item.legend
    bottom = legend.mapRectToScene(legend.boundingRect()).bottom()
    top = item.vb.mapRectToScene(item.vb.boundingRect()).top()
    assert top - bottom >= CLEAR - 1, "a clear strip between the legend and the data"


def assert_a_key_not_a_box(plot: pg.PlotWidget) -> None:
    """No frame, and the plot's own background: a key in the header, not a box over the plot."""
    legend = plot.getPlotItem().legend
    assert legend.opts["pen"].style() == Qt.PenStyle.NoPen
    brush = legend.opts["brush"]
    assert brush.style() == Qt.BrushStyle.NoBrush or (
        brush.color() == plot.backgroundBrush().color())


def test_a_header_legend_cannot_be_dragged_into_the_data(qtbot):
    plot = _filled_plot(qtbot, 500, 300, ("‖gradient‖", "‖weights‖"))

    class Drag:
        ignored = False

        def ignore(self):
            self.ignored = True

    drag = Drag()
    plot.getPlotItem().legend.mouseDragEvent(drag)
    assert drag.ignored


def train_twice(window, qtbot):
    """Two training runs (the first stays as a labelled overlay): the Train workspace's plots."""
    training = window.training
    for lr in (0.01, 0.05):  # a second run: the first stays as a labelled overlay
        set_value(training, training.lr_slider, lr)
        training.throttle.stop()
        with qtbot.waitSignal(training.run_finished, timeout=30_000):
            training.start()
    qtbot.wait(100)
    return training.fit_plots


@pytest.mark.parametrize("width, height, theme", [(1280, 720, "light"), (1280, 720, "dark"),
                                                  (1920, 1080, "light"), (1920, 1080, "dark")])
def test_train_legends_cover_no_curve_at_screen_size(window, qtbot, width, height, theme):
    window.preferences.set_theme(theme)
    window.resize(width, height)
    window.workspaces.switch("train")
    plots = train_twice(window, qtbot)
    for plot in (plots.fit_plot, plots.loss_plot, plots.norm_plot):
        assert plot.isVisible() and plot.getPlotItem().legend.items
        assert_legend_clear_of_data(plot)
        assert_a_key_not_a_box(plot)


def test_train_legends_cover_no_curve_at_a_large_font(window, qtbot):
    window.resize(1280, 720)
    window.workspaces.switch("train")
    window.training.set_font_size(16)
    plots = train_twice(window, qtbot)
    for plot in (plots.fit_plot, plots.loss_plot, plots.norm_plot):
        assert_legend_clear_of_data(plot)


def test_train_legends_cover_no_curve_while_training(window, qtbot):
    """Mid-run: the curves grow under a header whose title says "training…"."""
    window.resize(1280, 720)
    window.workspaces.switch("train")
    training = window.training
    set_value(training, training.epochs_slider, 2000)
    training.throttle.stop()
    plots = training.fit_plots
    training.start()
    qtbot.waitUntil(lambda: plots.grad_curve.xData is not None and len(plots.grad_curve.xData) > 50,
                    timeout=30_000)
    training.set_paused(True)
    qtbot.wait(50)
    for plot in (plots.fit_plot, plots.loss_plot, plots.norm_plot):
        assert_legend_clear_of_data(plot)
    training.stop()
    qtbot.waitUntil(lambda: not training.busy(), timeout=30_000)


def timing_plots_shown(window, qtbot, tmp_path):
    """Each plot of the Time workspace, on its tab, with a loaded CPU + GPU run."""
    window.workspaces.switch("time")
    timing = window.timing
    timing.load_csv(synthetic_gpu_csv(tmp_path)[0])
    for index, plot in enumerate(timing.plots.plots()):
        timing.plot_tabs.setCurrentIndex(index)
        qtbot.wait(50)
        yield plot


@pytest.mark.parametrize("width, height", [(1280, 720), (1920, 1080)])
def test_timing_legends_cover_no_curve_at_screen_size(window, qtbot, tmp_path, width, height):
    window.resize(width, height)
    for plot in timing_plots_shown(window, qtbot, tmp_path):
        assert_legend_clear_of_data(plot)
        assert_a_key_not_a_box(plot)


@pytest.mark.parametrize("width, height", [(1280, 720), (1920, 1080)])
def test_least_squares_legend_covers_no_curve_at_screen_size(window, qtbot, width, height):
    from nla_explorer.panels.training import LEAST_SQUARES
    window.resize(width, height)
    window.workspaces.switch("train")
    training = window.training
    training.mode_combo.setCurrentIndex(training.mode_combo.findData(LEAST_SQUARES))
    training.throttle.stop()
    with qtbot.waitSignal(training.run_finished, timeout=30_000):
        training.start()
    qtbot.wait(100)
    plot = training.ls_plots.distance_plot
    assert plot.isVisible() and len(plot.getPlotItem().legend.items) == 2
    assert_legend_clear_of_data(plot)
    assert_a_key_not_a_box(plot)
