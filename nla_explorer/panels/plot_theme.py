"""pyqtgraph plots follow the window's theme: background, axes, titles and legends."""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402
import pyqtgraph as pg  # noqa: E402


def restyle_plots(root: QWidget) -> int:
    """Recolour every plot under ``root`` from the current palette; returns how many."""
    plots = root.findChildren(pg.PlotWidget)
    palette = QApplication.palette()  # the theme's (widgets take it on a later event)
    fg, bg = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base)
    for plot in plots:
        plot.setBackground(bg)
        item = plot.getPlotItem()
        for name in ("left", "bottom", "right", "top"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(fg))
            axis.setTextPen(pg.mkPen(fg))
        if item.titleLabel.text:  # its colour is baked into the text: set it again
            item.titleLabel.setText(item.titleLabel.text, color=fg.name())
        if item.legend is not None:
            _restyle_legend(item.legend, fg, bg)
    return len(plots)


def _restyle_legend(legend: pg.LegendItem, fg: QColor, bg: QColor) -> None:
    """The labels in the text colour, on the background colour (as translucent as before)."""
    legend.setLabelTextColor(fg)
    for _, label in legend.items:
        label.setText(label.text)  # the colour is applied when the text is set
    fill = QColor(bg)
    fill.setAlpha(legend.brush().color().alpha())
    legend.setBrush(fill)
