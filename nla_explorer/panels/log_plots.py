"""Parts of the training panels' plots: a styled plot widget with readable axes and a header
legend, finite-only data for log axes, and a y range that moves by whole decades."""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402
from PySide6.QtGui import QFont, QFontMetrics  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402
import pyqtgraph as pg  # noqa: E402

from nla_explorer.drawing.style import ViewStyle  # noqa: E402
from nla_explorer.panels.plot_axes import ReadableAxis  # noqa: E402
from nla_explorer.panels.plot_legend import HeaderLegend  # noqa: E402
from nla_explorer.panels.plot_theme import style_plot  # noqa: E402

#: Losses are drawn on a log axis; exact zeros (a perfect fit) are drawn at this floor.
LOG_FLOOR = 1e-16
DIVERGED = "diverged"


def positive(values: np.ndarray) -> np.ndarray:
    """``values`` for a log axis: at least ``LOG_FLOOR``; inf and nan become gaps (nan)."""
    values = np.asarray(values, dtype=np.float64)
    out = np.maximum(values, LOG_FLOOR)
    out[~np.isfinite(values)] = np.nan
    return out


def finite(values: np.ndarray) -> np.ndarray:
    """``values`` with inf and nan as gaps (nan): a curve skips them, ranges ignore them."""
    values = np.array(values, dtype=np.float64)
    values[~np.isfinite(values)] = np.nan
    return values


def all_finite(*arrays) -> bool:
    return all(a is None or np.isfinite(np.asarray(a, dtype=np.float64)).all() for a in arrays)


def with_divergence(title: str, *arrays) -> str:
    """``title``, followed by "diverged" when an array holds inf or nan (they are not drawn)."""
    return title if all_finite(*arrays) else f"{title} · {DIVERGED} (∞ not drawn)"


def plot_widget(parent: QWidget, title: str, x_label: str, log_y: bool,
                widget: pg.PlotWidget | None = None) -> pg.PlotWidget:
    """A plot with a title, an x label, readable axes (a log y axis where asked), no menu and
    a header legend; ``widget``: configure this one (its axes made by :func:`readable_axes`)."""
    widget = widget or pg.PlotWidget(axisItems=readable_axes())
    widget.setMinimumHeight(parent.fontMetrics().height() * 8)
    item = widget.getPlotItem()
    item.setTitle(title, size=f"{parent.font().pointSize() + 1}pt")
    item.setLabel("bottom", x_label)
    # epochs are counted: a first point at epoch 0 gave ticks "200…800" over "epoch (x0.001)"
    item.getAxis("bottom").enableAutoSIPrefix(False)
    _fix_axis_width(widget, parent.font())
    # no grid: pyqtgraph's grid makes the axes repaint (with their text) on every curve update
    item.setLogMode(x=False, y=log_y)
    item.setDownsampling(auto=True, mode="peak")
    widget.setMenuEnabled(False)
    HeaderLegend(item, labelTextSize=f"{parent.font().pointSize()}pt", horSpacing=10)
    style_plot(widget, ViewStyle.light())
    return widget


def readable_axes() -> dict[str, ReadableAxis]:
    return {"left": ReadableAxis("left"), "bottom": ReadableAxis("bottom")}


def legend_of(widget: pg.PlotWidget) -> HeaderLegend:
    return widget.getPlotItem().legend


def _fix_axis_width(widget: pg.PlotWidget, font: QFont) -> None:
    """A fixed-width y axis: new tick labels repaint the axis, not relayout the plot; and the
    panel's plots line up."""
    metrics = QFontMetrics(font)
    widget.getPlotItem().getAxis("left").setWidth(metrics.horizontalAdvance("0.0001") +
                                                  metrics.height() + 8)


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
        legend.updateSize()


class DecadeRange:
    """Keep a log y axis on whole decades and move it only when the data leaves them.

    Auto-range would change the axis on every frame while training, and each change lays out and
    renders the tick text again (tens of ms); this moves it a few times per run. Only finite
    values count (a diverging run's inf and nan are not drawn).
    """

    def __init__(self, widget: pg.PlotWidget) -> None:
        self.widget = widget
        self.decades: tuple[float, float] | None = None
        self.fresh = True

    def reset(self) -> None:
        """The next data (a new run) chooses the range again."""
        self.fresh = True

    def fit(self, *curves: np.ndarray) -> None:
        values = [c[np.isfinite(c)] for c in (positive(c) for c in curves)]
        values = [c for c in values if len(c)]
        if not values:
            return
        low = float(np.floor(np.log10(min(c.min() for c in values))))
        high = float(np.ceil(np.log10(max(c.max() for c in values))))
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
