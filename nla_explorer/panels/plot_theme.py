"""pyqtgraph plots follow the window's theme: background, axes and their text."""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtGui import QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402
import pyqtgraph as pg  # noqa: E402


def restyle_plots(root: QWidget) -> int:
    """Recolour every plot under ``root`` from the current palette; returns how many."""
    plots = root.findChildren(pg.PlotWidget)
    palette = QApplication.palette()  # the theme's (widgets take it on a later event)
    for plot in plots:
        fg = palette.color(QPalette.ColorRole.Text)
        plot.setBackground(palette.color(QPalette.ColorRole.Base))
        for name in ("left", "bottom", "right", "top"):
            axis = plot.getPlotItem().getAxis(name)
            axis.setPen(pg.mkPen(fg))
            axis.setTextPen(pg.mkPen(fg))
    return len(plots)
