"""pyqtgraph plots in a :class:`ViewStyle`: background, axes, titles, legends and marker lines.

The panels call :func:`style_plot` for each plot they own when they are given a style (their
``set_view_style``); nothing here reads the application's palette, so a plot draws in the style
its panel was handed, whatever the rest of the application shows.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtGui import QColor  # noqa: E402
import pyqtgraph as pg  # noqa: E402

from nla_explorer.drawing.style import ViewStyle  # noqa: E402

AXES = ("left", "bottom", "right", "top")


def style_plot(widget: pg.PlotWidget, style: ViewStyle) -> None:
    """Colour ``widget`` from ``style``: surface background, text-coloured axes, title, legend."""
    fg, bg = style.colour("surface_text"), style.colour("surface")
    widget.setBackground(bg)
    item = widget.getPlotItem()
    for name in AXES:
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(fg))
        axis.setTextPen(pg.mkPen(fg))
        if axis.labelText:  # its colour is baked into the text: set it again
            axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix,
                          **{**axis.labelStyle, "color": fg.name()})
    item.titleLabel.opts["color"] = fg.name()
    if item.titleLabel.text:
        item.titleLabel.setText(item.titleLabel.text, color=fg.name())
    if item.legend is not None:
        style_legend(item.legend, style)


def style_legend(legend: pg.LegendItem, style: ViewStyle) -> None:
    """The labels in the text colour on the plot's own background, with no frame: the legend is
    a key in the plot's header, beside its title, not a box laid over the data."""
    fg = style.colour("surface_text")
    legend.setLabelTextColor(fg)
    for _, label in legend.items:
        label.setText(label.text, color=fg.name())
    legend.setBrush(style.colour("surface"))
    legend.setPen(None)


def title_colour(widget: pg.PlotWidget) -> QColor:
    """The colour the title of ``widget`` is drawn in."""
    return QColor(widget.getPlotItem().titleLabel.opts.get("color") or "#000000")
