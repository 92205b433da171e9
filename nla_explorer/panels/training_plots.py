"""The training panel's plots: the fit over x, loss curves (earlier runs faded), norms, distance.

Colours come from the :class:`ViewStyle` the panel is handed (``set_view_style``); values that
are not finite (a diverging run) are left out of the curves and the plot says "diverged".
"""

from __future__ import annotations

import os
from dataclasses import fields

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont, QFontMetrics  # noqa: E402
from PySide6.QtWidgets import QGridLayout, QWidget  # noqa: E402
import pyqtgraph as pg  # noqa: E402

from nla_explorer.drawing.style import ViewStyle  # noqa: E402
from nla_explorer.engine.training.config import OPTIMIZER_LABELS  # noqa: E402
from nla_explorer.panels.log_plots import (  # noqa: E402
    DecadeRange, finite, legend_of, plot_widget, positive, readable_axes, set_font,
    with_divergence,
)
from nla_explorer.panels.plot_theme import style_plot  # noqa: E402

HISTORY = 4
TICK_ROOM = 12  # pixels of a y axis beside its widest tick label: the tick and a gap
FIT_SHARE = (5, 4)  # presenting side by side: the fit's width to the loss and norms'
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


def _same(item: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> bool:
    """Whether ``item`` already draws (x, y): re-setting equal data still costs a relayout."""
    old_x, old_y = item.getData()
    return (old_x is not None and np.array_equal(old_x, x) and np.array_equal(old_y, y))


def _pen(colour: str, width: float = 1, style=Qt.PenStyle.SolidLine, alpha: int = 255):
    colour = QColor(colour)
    colour.setAlpha(alpha)
    return pg.mkPen(colour, width=width, style=style)


class LossPlot(pg.PlotWidget):
    """Loss per epoch on a log axis: this run, the last few runs faded, and a divergence marker."""

    def __init__(self, parent: QWidget, title: str, what: str = "loss") -> None:
        super().__init__(axisItems=readable_axes())
        self.title = title
        plot_widget(parent, title, "epoch", log_y=True, widget=self)
        self.what = what
        self.legend = legend_of(self)
        self.curve = self.plot(name=f"this run: {what}", connect="finite")
        self.curve.setZValue(10)
        self.divergence_line = pg.InfiniteLine(
            angle=90, movable=False, label="",
            labelOpts={"position": 0.5, "anchors": [(0, 0.5), (0, 0.5)]})
        self.divergence_line.hide()
        self.addItem(self.divergence_line, ignoreBounds=True)
        #: Finished runs, oldest first: (config, losses); drawn faded behind the next runs.
        self.history: list[tuple[object, np.ndarray]] = []
        self.history_curves: list[np.ndarray] = []
        #: One faded curve per remembered run, made once and reused (making items is slow).
        self.overlay_pool = [self.plot(connect="finite") for _ in range(HISTORY)]
        for item in self.overlay_pool:
            item.hide()
        self.overlays: list[pg.PlotDataItem] = []  # the pool's items now shown
        self._shown: list[object] = [None] * HISTORY  # the losses each pool item draws
        self.y_range = DecadeRange(self)
        self.set_view_style(ViewStyle.light())

    def set_view_style(self, style: ViewStyle) -> None:
        style_plot(self, style)
        self.curve.setPen(_pen(style.series_colour(0)))
        for i, item in enumerate(self.overlay_pool):
            item.setPen(_pen(style.series_colour(2 + i), alpha=170))
        self.divergence_line.setPen(_pen(style.error, 2, Qt.PenStyle.DashLine))
        self.divergence_line.label.setColor(style.colour("error"))

    def begin(self, epochs: int, config: object) -> None:
        """A new run: empty curve, x range 0 … epochs, earlier runs labelled against ``config``."""
        self.curve.setData([], [])
        self.divergence_line.hide()
        self.legend.set_title(self.title)
        self.setXRange(0, max(epochs - 1, 1), padding=0.02)
        self._draw_history(config)
        self.history_curves = [losses for old, losses in self.history if old != config]
        self.y_range.reset()

    def show_losses(self, losses: np.ndarray) -> None:
        self.curve.setData(np.arange(len(losses)), positive(losses))
        self.y_range.fit(losses, *(self.history_curves if self.y_range.fresh else ()))
        title = with_divergence(self.title, losses)
        if title != self.getPlotItem().titleLabel.text:
            self.legend.set_title(title)

    def mark_divergence(self, epoch: int, text: str) -> None:
        self.divergence_line.setValue(epoch)
        self.divergence_line.label.setFormat(text)
        self.divergence_line.show()

    def keep(self, config: object, losses: np.ndarray) -> None:
        """Remember a finished run (the same settings replace their older run)."""
        self.history = [run for run in self.history if run[0] != config][-(HISTORY - 1):]
        self.history.append((config, finite(losses)))

    def clear_runs(self) -> None:
        self.history.clear()
        self.curve.setData([], [])
        self.divergence_line.hide()
        self.legend.set_title(self.title)
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
            self.legend.updateSize()
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
        self.fit_legend = legend_of(self.fit_plot)
        self.target_curve = fit.plot(name="target", connect="finite")
        self.points_scatter = fit.plot(pen=None, symbol="o", symbolSize=7, symbolPen=None,
                                       name="training points")
        self.fit_curve = fit.plot(name="network", symbol="o", symbolSize=6, symbolPen=None,
                                  connect="finite")
        self.loss_plot = LossPlot(self, "MSE loss per epoch")
        self.norm_plot = plot_widget(self, "Norms", "epoch", log_y=True)
        norms = self.norm_plot.getPlotItem()
        self.grad_curve = norms.plot(name="‖gradient‖", connect="finite")
        self.weight_curve = norms.plot(name="‖weights‖", connect="finite")
        self.norm_plot.setXLink(self.loss_plot)
        self.norm_range = DecadeRange(self.norm_plot)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.set_side_by_side(False)
        self.fit_plot.setXRange(-1, 1, padding=0.03)
        self._course = True
        self._y_range: tuple[float, float] | None = None
        self._fit_title = "Fit"
        #: The type the plots were last painted in outside presentation mode: what the room
        #: saw in the normal window (presenting, the sliders are never smaller than that).
        self.plain_points: int | None = None
        self.presenting = False
        self.style = ViewStyle.light()
        self.set_view_style(self.style)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self.presenting:
            self.plain_points = self.font().pointSize()
        super().paintEvent(event)

    def set_presenting(self, on: bool) -> None:
        """Presenting: the y axes only as wide as their tick labels (the loss and the norms
        alike, lined up; they kept room for an axis title they do not have), and side by side
        the fit wider than the loss and norms, its key in one row; off: as ``set_font_size``
        and ``set_side_by_side`` set them again."""
        self.presenting = on
        if not on:
            return
        self.fit_plot.getPlotItem().getAxis("left").setWidth(None)
        for plot in (self.loss_plot, self.norm_plot):
            axis = plot.getPlotItem().getAxis("left")
            font = axis.style.get("tickFont") or plot.font()
            axis.setWidth(QFontMetrics(font).horizontalAdvance("0.0001") + TICK_ROOM)
        if self.grid.getItemPosition(self.grid.indexOf(self.fit_plot))[2] == 2:  # side by side
            self.grid.setColumnStretch(0, FIT_SHARE[0])
            self.grid.setColumnStretch(1, FIT_SHARE[1])

    def set_view_style(self, style: ViewStyle) -> None:
        """Colours of the plots, axes, titles, legends and curves."""
        self.style = style
        for plot in (self.fit_plot, self.norm_plot):
            style_plot(plot, style)
        self.loss_plot.set_view_style(style)
        current = style.series_colour(0)
        self.target_curve.setPen(_pen(style.surface_muted, 1.5, Qt.PenStyle.DashLine))
        self.points_scatter.setSymbolBrush(style.surface_muted)
        self.fit_curve.setPen(_pen(current, 2))
        self.fit_curve.setSymbolBrush(current)
        self.grad_curve.setPen(_pen(current))
        self.weight_curve.setPen(_pen(style.series_colour(1)))
        for plot in (self.fit_plot, self.loss_plot, self.norm_plot):
            legend_of(plot).updateSize()  # the samples show the new pens

    def set_side_by_side(self, on: bool) -> None:
        """Side by side: the fit beside the loss over the norms; else the three stacked."""
        for plot in (self.fit_plot, self.loss_plot, self.norm_plot):
            self.grid.removeWidget(plot)
        for row in range(3):
            self.grid.setRowStretch(row, 0)
        self.grid.setColumnStretch(1, 0)
        if on:
            self.grid.addWidget(self.fit_plot, 0, 0, 2, 1)
            self.grid.addWidget(self.loss_plot, 0, 1)
            self.grid.addWidget(self.norm_plot, 1, 1)
            self.grid.setRowStretch(0, 3)
            self.grid.setRowStretch(1, 2)
            self.grid.setColumnStretch(0, 1)
            self.grid.setColumnStretch(1, 1)
        else:
            # the fit first; Norms no shorter than its axes and title need (at 3 of 12 rows of
            # a 720p dock it lost its axis title under the panel's edge)
            for row, (plot, stretch) in enumerate(((self.fit_plot, 3), (self.loss_plot, 2),
                                                   (self.norm_plot, 2))):
                self.grid.addWidget(plot, row, 0)
                self.grid.setRowStretch(row, stretch)

    def _set_fit_title(self, title: str) -> None:
        if title != self._fit_title:
            self._fit_title = title
            self.fit_legend.set_title(title)

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
        self.fit_curve.setData(self._x_fit, finite(start.prediction if self._course
                                                   else start.grid_prediction))
        values = np.concatenate([start.y_grid, start.y_points])
        low, high = float(values.min()), float(values.max())
        pad = 0.15 * (high - low) + 0.1
        y_range = (low - pad, high + pad)  # the legend is above the plot, not in it
        if y_range != self._y_range:  # unchanged axes are not laid out again
            self._y_range = y_range
            self.fit_plot.setYRange(*self._y_range, padding=0)
        self._set_fit_title("Fit (training…)")
        self.loss_plot.begin(epochs, config)
        self.grad_curve.setData([], [])
        self.weight_curve.setData([], [])
        self.norm_plot.getPlotItem().legend.set_title("Norms")
        self.norm_range.reset()

    def show_progress(self, progress, losses: np.ndarray, grads: np.ndarray,
                      weights: np.ndarray) -> None:
        """The latest epoch's fit and every loss and norm so far (arrays of the same length)."""
        prediction = progress.prediction if self._course else progress.grid_prediction
        if prediction is not None:
            self.fit_curve.setData(self._x_fit, finite(prediction))
            self._set_fit_title(with_divergence("Fit (training…)", prediction))
        self.loss_plot.show_losses(losses)
        epochs = np.arange(len(grads))
        self.grad_curve.setData(epochs, positive(grads))
        self.weight_curve.setData(epochs, positive(weights))
        self.norm_range.fit(grads, weights)
        title = with_divergence("Norms", grads, weights)
        legend = legend_of(self.norm_plot)
        if title != self.norm_plot.getPlotItem().titleLabel.text:
            legend.set_title(title)

    def finish(self, result) -> None:
        """The trained fit (after the last step), or the divergence marked on the loss plot."""
        if result.diverged:
            self.loss_plot.mark_divergence(result.diverged_epoch, f"diverged at epoch "
                                           f"{result.diverged_epoch}")
            self._set_fit_title(f"Diverged at epoch {result.diverged_epoch}")
            return
        prediction = result.prediction if self._course else result.grid_prediction
        self.fit_curve.setData(self._x_fit, finite(prediction))
        # short: the plot may be narrow; the status line gives the details
        self._set_fit_title(f"Fit · error {result.fit_error:.2g}")

    def clear(self) -> None:
        for curve in (self.target_curve, self.points_scatter, self.fit_curve, self.grad_curve,
                      self.weight_curve):
            curve.setData([], [])
        self._set_fit_title("Fit")
        legend_of(self.norm_plot).set_title("Norms")
        self.loss_plot.clear_runs()

    def set_font_size(self, points: int) -> None:
        font = QFont(self.font())
        font.setPointSize(points)
        for widget in (self.fit_plot, self.loss_plot, self.norm_plot):
            set_font(widget, font)
            legend_of(widget).fit()
