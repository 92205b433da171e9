"""Training and timing plots: a diverging run is drawn without its inf/nan and says "diverged";
legends sit outside the data and tick labels never overlap, at the window's screen sizes."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF

from nla_explorer.engine.training.loop import TrainProgress
from nla_explorer.panels.log_plots import DIVERGED
from nla_explorer.panels.plot_axes import ReadableAxis
from nla_explorer.panels.training import TrainingPanel
from nla_explorer.panels.training_plots import FitPlots
from tests.app.test_legend_clear_of_data import timing_plots_shown, train_twice
from tests.app.test_training_panel import set_value


@pytest.fixture
def panel(qtbot):
    p = TrainingPanel()
    qtbot.addWidget(p)
    p.resize(1200, 700)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.stop()
    qtbot.waitUntil(lambda: not p.busy(), timeout=30_000)


def _configure(panel, activation="sigmoid", seed=0, hidden=10):
    """The lecturer's settings: the per-point network, SGD, learning rate 10."""
    controls = panel.poly_controls
    panel.network_combo.setCurrentIndex(panel.network_combo.findData("per_point"))
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("sgd"))
    panel.activation_combo.setCurrentIndex(panel.activation_combo.findData(activation))
    set_value(panel, panel.lr_slider, 10)
    set_value(panel, panel.hidden_slider, hidden)
    controls.seed_spin.setValue(seed)
    panel.throttle.stop()


def _y_data_all_finite(plot: pg.PlotWidget) -> bool:
    return all(np.isfinite(item.yData[~np.isnan(item.yData)]).all()
               for item in plot.getPlotItem().listDataItems() if item.yData is not None)


@pytest.mark.parametrize("activation, seed", [("sigmoid", 0), ("relu", 5)])
def test_per_point_sgd_lr_10_diverges_without_an_error(qtbot, panel, activation, seed):
    """Regression: "Cannot set range [-4.0, inf]" — the gradient norm overflowed before the loss
    (relu, seed 5) and the norms' y range was set to inf."""
    _configure(panel, activation, seed)
    assert panel.current_config().lr == 10 and panel.current_config().optimizer == "sgd"
    with qtbot.waitSignal(panel.run_finished, timeout=30_000) as blocker:
        panel.start()
    result = blocker.args[0]
    assert result.diverged and "Diverged" in panel.status_label.text()
    plots = panel.fit_plots
    assert plots.fit_plot.getPlotItem().titleLabel.text.startswith("Diverged at epoch")
    assert plots.loss_plot.divergence_line.isVisible()
    for plot in (plots.loss_plot, plots.norm_plot, plots.fit_plot):
        (x_low, x_high), (y_low, y_high) = plot.getPlotItem().viewRange()
        assert np.isfinite([x_low, x_high, y_low, y_high]).all()
        assert _y_data_all_finite(plot)
    grads = panel.run.column(1)
    if not np.isfinite(grads).all():  # relu, seed 5: ‖gradient‖ = inf at epoch 3
        assert DIVERGED in plots.norm_plot.getPlotItem().titleLabel.text
        assert np.isnan(plots.grad_curve.yData).any()  # a gap where the value was inf


def test_fit_plots_skip_inf_and_nan(qtbot):
    plots = FitPlots()
    qtbot.addWidget(plots)
    plots.resize(800, 600)
    plots.show()
    values = np.array([1.0, 0.5, np.inf, np.nan, 1e300])
    progress = TrainProgress(4, 1.0, np.array([0.0, np.inf]), None, np.inf, 1.0)
    plots._x_fit = np.array([-1.0, 1.0])  # what begin() sets from the run's points
    plots.show_progress(progress, values[:2], values, values)
    assert plots.norm_range.decades is not None and np.isfinite(plots.norm_range.decades).all()
    assert DIVERGED in plots.norm_plot.getPlotItem().titleLabel.text
    assert DIVERGED in plots.fit_plot.getPlotItem().titleLabel.text
    assert np.isnan(plots.grad_curve.yData[2:4]).all() and np.isfinite(plots.grad_curve.yData[:2]).all()


# -- legends and ticks at the window's sizes --------------------------------------------------------

def data_points_in_scene(plot: pg.PlotWidget) -> list:
    """Every drawn point of every curve, in scene coordinates (log axes: as drawn)."""
    item = plot.getPlotItem()
    points = []
    for curve in item.listDataItems():
        if not curve.isVisible():
            continue
        x, y = curve.getData()  # already in the axes' (log) units
        if x is None:
            continue
        for xv, yv in zip(x, y):
            if np.isfinite(xv) and np.isfinite(yv):
                points.append(item.vb.mapViewToScene(pg.Point(float(xv), float(yv))))
    return points


def assert_legend_outside_the_data(plot: pg.PlotWidget) -> None:
    item = plot.getPlotItem()
    legend = item.legend
    if legend is None or not legend.items:
        return
    box = legend.mapRectToScene(legend.boundingRect())
    view = item.vb.mapRectToScene(item.vb.boundingRect())
    assert not box.intersects(view), (item.titleLabel.text, box, view)
    points = data_points_in_scene(plot)
    assert points and not any(box.contains(p) for p in points)
    title = item.titleLabel
    if title.isVisible() and title.text:
        text = title.item.mapRectToScene(title.item.boundingRect())
        assert not box.intersects(text), title.text
    assert item.mapRectToScene(item.boundingRect()).contains(box)  # not cut off


def settle_axes(qtbot, plot: pg.PlotWidget) -> None:
    """Let the axes take the width of their widest labels (pyqtgraph measures them as it
    paints, then lays the plot out again)."""
    for name in ("left", "bottom"):
        plot.getPlotItem().getAxis(name).label_rects()
    qtbot.wait(50)


def assert_ticks_apart(plot: pg.PlotWidget) -> int:
    """Tick labels (full text height) of the left and bottom axes meet neither each other nor
    the axis title; returns how many labels there are."""
    count = 0
    for name in ("left", "bottom"):
        axis = plot.getPlotItem().getAxis(name)
        assert isinstance(axis, ReadableAxis)
        rects = [axis.mapRectToScene(r) for r in axis.label_rects()]
        count += len(rects)
        for i, a in enumerate(rects):
            assert not any(a.intersects(b) for b in rects[i + 1:]), (name, a)
        if axis.label.isVisible() and axis.labelText:
            title = axis.label.mapRectToScene(axis.label.boundingRect())
            title = QRectF(title).adjusted(2, 2, -2, -2)  # the text item's own margin
            assert not any(title.intersects(r) for r in rects), (name, axis.labelText)
    return count


@pytest.mark.parametrize("width, height", [(1280, 720), (1920, 1080)])
def test_legends_outside_the_data_and_ticks_apart_at_screen_size(window, qtbot, tmp_path,
                                                                 width, height):
    window.resize(width, height)
    window.workspaces.switch("train")
    plots = train_twice(window, qtbot)
    assert len(plots.loss_plot.legend.items) == 2
    for plot in (plots.fit_plot, plots.loss_plot, plots.norm_plot):
        assert plot.isVisible() and plot.height() > 100
        assert_legend_outside_the_data(plot)
        settle_axes(qtbot, plot)
        assert assert_ticks_apart(plot) >= 4
    for plot in timing_plots_shown(window, qtbot, tmp_path):
        assert plot.isVisible()
        assert_legend_outside_the_data(plot)
        settle_axes(qtbot, plot)
        assert assert_ticks_apart(plot) >= 4
