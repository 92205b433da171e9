"""The training panel's plots: the fit over x, loss curves (earlier runs faded), norms, distance."""

from __future__ import annotations

import os
from dataclasses import fields

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QGridLayout, QWidget,
)
import pyqtgraph as pg  # noqa: E402

from nla_explorer.engine.training.config import OPTIMIZER_LABELS  # noqa: E402

CURRENT = "#1f77b4"
SECOND = "#d95f02"
TARGET = "#555555"
DIVERGED = "#d62728"
OVERLAY_COLORS = ("#7570b3", "#1b9e77", "#e7298a", "#a6761d")
HISTORY = 4
#: Losses are drawn on a log axis; exact zeros (a perfect fit) are drawn at this floor.
LOG_FLOOR = 1e-16
_SHORT = {"hidden": "p", "points": "m", "epochs": "E", "rows": "p", "cols": "n", "init": "x₀",
          "target": "y"}


def describe_difference(old: object, new: object) -> str:
    """What ``old`` (a config) sets differently from ``new``: ``lr=0.1 p=20``; for legends."""
    parts = []
    for f in fields(old):
        a, b = getattr(old, f.name), getattr(new, f.name)
        if a == b:
            continue
        if f.name == "optimizer":
            parts.append(OPTIMIZER_LABELS.get(a, a))
        elif f.name in ("network", "activation"):
            parts.append(str(a).replace("_", "-"))
        else:
            text = f"{a:.3g}" if isinstance(a, float) else str(a)
            parts.append(f"{_SHORT.get(f.name, f.name)}={text}")
    return " ".join(parts) or "same settings"


def _configure(widget: pg.PlotWidget, parent: QWidget, title: str, x_label: str,
               log_y: bool) -> pg.PlotWidget:
    """Shared look: title, x label, text-coloured axes, a log y axis where asked, no menu."""
    widget.setMinimumHeight(parent.fontMetrics().height() * 8)
    fg = parent.palette().color(QPalette.ColorRole.Text).name()
    item = widget.getPlotItem()
    # colour and size stick for later titles (pyqtgraph's default is a fixed 11pt)
    item.setTitle(title, color=fg, size=f"{parent.font().pointSize() + 1}pt")
    item.setLabel("bottom", x_label, color=fg)
    for name in ("left", "bottom"):
        item.getAxis(name).setTextPen(fg)
    _fix_axis_width(widget, parent.font())
    # no grid: pyqtgraph's grid makes the axes repaint (with their text) on every curve update
    item.setLogMode(x=False, y=log_y)
    item.setDownsampling(auto=True, mode="peak")
    widget.setMenuEnabled(False)
    return widget


def plot_widget(parent: QWidget, title: str, x_label: str, log_y: bool) -> pg.PlotWidget:
    widget = pg.PlotWidget(background=parent.palette().color(QPalette.ColorRole.Base))
    return _configure(widget, parent, title, x_label, log_y)


def _fix_axis_width(widget: pg.PlotWidget, font: QFont) -> None:
    """A fixed-width y axis: new tick labels repaint the axis, not relayout the plot; and the
    panel's plots line up."""
    metrics = QFontMetrics(font)
    widget.getPlotItem().getAxis("left").setWidth(metrics.horizontalAdvance("0.0001") +
                                                  metrics.height() + 8)


def legend(widget: pg.PlotWidget, offset: tuple[int, int], columns: int = 1) -> pg.LegendItem:
    """A legend in the text colour on a translucent background, so curves under it stay readable."""
    palette = widget.palette()
    bg = palette.color(QPalette.ColorRole.Base)
    legend = widget.getPlotItem().addLegend(
        offset=offset, colCount=columns, labelTextColor=palette.color(QPalette.ColorRole.Text),
        labelTextSize=f"{widget.font().pointSize()}pt",
        brush=pg.mkBrush(QColor(bg.red(), bg.green(), bg.blue(), 215)))
    return legend


def set_font(widget: pg.PlotWidget, font: QFont) -> None:
    item = widget.getPlotItem()
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setStyle(tickFont=font)
        axis.label.setFont(font)
    item.setTitle(item.titleLabel.text, size=f"{font.pointSize() + 1}pt")
    _fix_axis_width(widget, font)
    legend = item.legend
    if legend is not None:
        legend.setLabelTextSize(f"{font.pointSize()}pt")
        for _, label in legend.items:
            label.setText(label.text, size=f"{font.pointSize()}pt")


def _same(item: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> bool:
    """Whether ``item`` already draws (x, y): re-setting equal data still costs a relayout."""
    old_x, old_y = item.getData()
    return (old_x is not None and np.array_equal(old_x, x) and np.array_equal(old_y, y))


def positive(values: np.ndarray) -> np.ndarray:
    return np.maximum(values, LOG_FLOOR)


class DecadeRange:
    """Keep a log y axis on whole decades and move it only when the data leaves them.

    Auto-range would change the axis on every frame while training, and each change lays out and
    renders the tick text again (tens of ms); this moves it a few times per run.
    """

    def __init__(self, widget: pg.PlotWidget) -> None:
        self.widget = widget
        self.decades: tuple[float, float] | None = None
        self.fresh = True

    def reset(self) -> None:
        """The next data (a new run) chooses the range again."""
        self.fresh = True

    def fit(self, *curves: np.ndarray) -> None:
        values = [c for c in curves if len(c)]
        if not values:
            return
        low = float(np.floor(np.log10(min(positive(c).min() for c in values))))
        high = float(np.ceil(np.log10(max(positive(c).max() for c in values))))
        if self.fresh or self.decades is None:
            want = (low - 3, max(high, low + 1))
        elif self.decades[0] <= low and high <= self.decades[1]:
            return
        else:
            want = (min(self.decades[0], low - 2), max(self.decades[1], high))
        self.fresh = False
        if want != self.decades:
            self.decades = want
            self.widget.setYRange(*want, padding=0)


class LossPlot(pg.PlotWidget):
    """Loss per epoch on a log axis: this run, the last few runs faded, and a divergence marker."""

    def __init__(self, parent: QWidget, title: str, what: str = "loss") -> None:
        bg = parent.palette().color(QPalette.ColorRole.Base)
        super().__init__(background=bg)
        _configure(self, parent, title, "epoch", log_y=True)
        self.what = what
        self.legend = legend(self, (-8, 8))
        self.curve = self.plot(pen=pg.mkPen(CURRENT, width=1), name=f"this run: {what}")
        self.curve.setZValue(10)
        self.divergence_line = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen(DIVERGED, width=2, style=Qt.PenStyle.DashLine),
            label="", labelOpts={"position": 0.5, "color": DIVERGED,
                                 "anchors": [(0, 0.5), (0, 0.5)]})
        self.divergence_line.hide()
        self.addItem(self.divergence_line, ignoreBounds=True)
        #: Finished runs, oldest first: (config, losses); drawn faded behind the next runs.
        self.history: list[tuple[object, np.ndarray]] = []
        self.history_curves: list[np.ndarray] = []
        #: One faded curve per remembered run, made once and reused (making items is slow).
        self.overlay_pool: list[pg.PlotDataItem] = []
        for color in OVERLAY_COLORS[:HISTORY]:
            faded = QColor(color)
            faded.setAlpha(170)
            item = self.plot(pen=pg.mkPen(faded, width=1))
            item.hide()
            self.overlay_pool.append(item)
        self.overlays: list[pg.PlotDataItem] = []  # the pool's items now shown
        self._shown: list[object] = [None] * HISTORY  # the losses each pool item draws
        self.y_range = DecadeRange(self)

    def begin(self, epochs: int, config: object) -> None:
        """A new run: empty curve, x range 0 … epochs, earlier runs labelled against ``config``."""
        self.curve.setData([], [])
        self.divergence_line.hide()
        self.setXRange(0, max(epochs - 1, 1), padding=0.02)
        self._draw_history(config)
        self.history_curves = [losses for old, losses in self.history if old != config]
        self.y_range.reset()

    def show_losses(self, losses: np.ndarray) -> None:
        self.curve.setData(np.arange(len(losses)), positive(losses))
        self.y_range.fit(losses, *(self.history_curves if self.y_range.fresh else ()))

    def mark_divergence(self, epoch: int, text: str) -> None:
        self.divergence_line.setValue(epoch)
        self.divergence_line.label.setFormat(text)
        self.divergence_line.show()

    def keep(self, config: object, losses: np.ndarray) -> None:
        """Remember a finished run (the same settings replace their older run)."""
        self.history = [run for run in self.history if run[0] != config][-(HISTORY - 1):]
        self.history.append((config, np.asarray(losses)))

    def clear_runs(self) -> None:
        self.history.clear()
        self.curve.setData([], [])
        self.divergence_line.hide()
        self._draw_history(None)

    def _draw_history(self, config: object | None) -> None:
        """Show the remembered runs other than ``config``'s, labelled by how they differ from it."""
        runs = [(old, losses) for old, losses in self.history if old != config and len(losses)]
        labels = [f"this run: {self.what}"] + [
            describe_difference(old, config) if config else "earlier" for old, _ in runs]
        for i, item in enumerate(self.overlay_pool):
            losses = runs[i][1] if i < len(runs) else None
            if losses is not None and self._shown[i] is not losses:
                item.setData(np.arange(len(losses)), positive(losses))
            self._shown[i] = losses
            item.setVisible(losses is not None)
        self.overlays = self.overlay_pool[:len(runs)]
        if [label.text for _, label in self.legend.items] == labels:
            return
        if len(self.legend.items) == len(labels):  # relabel in place: cheaper than rebuilding
            for (_, label), text in zip(self.legend.items, labels):
                if label.text != text:
                    label.setText(text)
            return
        self.legend.clear()
        for item, text in zip([self.curve, *self.overlays], labels):
            self.legend.addItem(item, text)


class FitPlots(QWidget):
    """Target, training points and the network's fit over x; the loss; gradient and weight norms."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fit_plot = plot_widget(self, "Fit", "x", log_y=False)
        fit = self.fit_plot.getPlotItem()
        self.fit_legend = legend(self.fit_plot, (8, 8), columns=3)
        self.target_curve = fit.plot(pen=pg.mkPen(TARGET, width=1.5, style=Qt.PenStyle.DashLine),
                                     name="target")
        self.points_scatter = fit.plot(pen=None, symbol="o", symbolSize=7, symbolBrush=TARGET,
                                       symbolPen=None, name="training points")
        self.fit_curve = fit.plot(pen=pg.mkPen(CURRENT, width=2), name="network", symbol="o",
                                  symbolSize=6, symbolBrush=CURRENT, symbolPen=None)
        self.loss_plot = LossPlot(self, "MSE loss per epoch")
        self.norm_plot = plot_widget(self, "Norms", "epoch", log_y=True)
        norms = self.norm_plot.getPlotItem()
        legend(self.norm_plot, (-8, 8))
        self.grad_curve = norms.plot(pen=pg.mkPen(CURRENT, width=1), name="‖gradient‖")
        self.weight_curve = norms.plot(pen=pg.mkPen(SECOND, width=1), name="‖weights‖")
        self.norm_plot.setXLink(self.loss_plot)
        self.norm_range = DecadeRange(self.norm_plot)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.set_side_by_side(False)
        self.fit_plot.setXRange(-1, 1, padding=0.03)
        self._course = True
        self._y_range: tuple[float, float] | None = None

    def set_side_by_side(self, on: bool) -> None:
        """Side by side: the fit beside the loss over the norms; else the three stacked."""
        for plot in (self.fit_plot, self.loss_plot, self.norm_plot):
            self.grid.removeWidget(plot)
        for row in range(3):
            self.grid.setRowStretch(row, 0)
        self.grid.setColumnStretch(1, 0)
        self.fit_legend.setColumnCount(1 if on else 3)  # narrow beside the loss: one column
        if on:
            self.grid.addWidget(self.fit_plot, 0, 0, 2, 1)
            self.grid.addWidget(self.loss_plot, 0, 1)
            self.grid.addWidget(self.norm_plot, 1, 1)
            self.grid.setRowStretch(0, 3)
            self.grid.setRowStretch(1, 2)
            self.grid.setColumnStretch(0, 1)
            self.grid.setColumnStretch(1, 1)
        else:
            for row, (plot, stretch) in enumerate(((self.fit_plot, 5), (self.loss_plot, 4),
                                                   (self.norm_plot, 3))):
                self.grid.addWidget(plot, row, 0)
                self.grid.setRowStretch(row, stretch)

    def begin(self, start, epochs: int) -> None:
        """A new run (a ``TrainStart``): the target, the points and the untrained fit."""
        config = start.config
        course = config.network == "course"
        if course != self._course:
            self._course = course
            self.fit_curve.setSymbol("o" if course else None)
        self._x_fit = start.x_points if self._course else start.x_grid
        if not _same(self.target_curve, start.x_grid, start.y_grid):
            self.target_curve.setData(start.x_grid, start.y_grid)
        if not _same(self.points_scatter, start.x_points, start.y_points):
            self.points_scatter.setData(start.x_points, start.y_points)
        self.fit_curve.setData(self._x_fit, start.prediction if self._course
                               else start.grid_prediction)
        values = np.concatenate([start.y_grid, start.y_points])
        low, high = float(values.min()), float(values.max())
        pad = 0.15 * (high - low) + 0.1
        y_range = (low - pad, high + 2.5 * pad)  # room at the top for the legend
        if y_range != self._y_range:  # unchanged axes are not laid out again
            self._y_range = y_range
            self.fit_plot.setYRange(*self._y_range, padding=0)
        self.fit_plot.setTitle("Fit (training…)")
        self.loss_plot.begin(epochs, config)
        self.grad_curve.setData([], [])
        self.weight_curve.setData([], [])
        self.norm_range.reset()

    def show_progress(self, progress, losses: np.ndarray, grads: np.ndarray,
                      weights: np.ndarray) -> None:
        """The latest epoch's fit and every loss and norm so far (arrays of the same length)."""
        prediction = progress.prediction if self._course else progress.grid_prediction
        if prediction is not None:
            self.fit_curve.setData(self._x_fit, prediction)
        self.loss_plot.show_losses(losses)
        epochs = np.arange(len(grads))
        self.grad_curve.setData(epochs, positive(grads))
        self.weight_curve.setData(epochs, positive(weights))
        self.norm_range.fit(grads, weights)

    def finish(self, result) -> None:
        """The trained fit (after the last step), or the divergence marked on the loss plot."""
        if result.diverged:
            self.loss_plot.mark_divergence(result.diverged_epoch, f"diverged at epoch "
                                           f"{result.diverged_epoch}")
            self.fit_plot.setTitle(f"Diverged at epoch {result.diverged_epoch}")
            return
        prediction = result.prediction if self._course else result.grid_prediction
        self.fit_curve.setData(self._x_fit, prediction)
        # short: the plot may be narrow; the status line gives the details
        self.fit_plot.setTitle(f"Fit · error {result.fit_error:.2g}")

    def clear(self) -> None:
        for curve in (self.target_curve, self.points_scatter, self.fit_curve, self.grad_curve,
                      self.weight_curve):
            curve.setData([], [])
        self.fit_plot.setTitle("Fit")
        self.loss_plot.clear_runs()

    def set_font_size(self, points: int) -> None:
        font = QFont(self.font())
        font.setPointSize(points)
        for widget in (self.fit_plot, self.loss_plot, self.norm_plot):
            set_font(widget, font)
