"""Presentation mode for a panel's pyqtgraph plots: lines, markers and type for the back row.

:class:`PlotPresenting` finds every plot under a panel. Presenting, each curve's pen is twice as
thick (``LINE_FLOOR`` px at least), each marker ``MARKER_SCALE`` times bigger, the labels of
reference lines (a crossover, a device's peak, a divergence) as big as the ticks; and, for a panel
that does not follow the window's font by itself (the timing panel), the axes, legends and the
panel's own widgets take the presentation's type. The plots keep drawing as their panel says: a
curve the panel makes or restyles while presenting (a timing sweep redraws its curves) is made
big before it is painted. Off again, every item and font is as it was.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QEvent, QObject, Qt  # noqa: E402
from PySide6.QtGui import QFont, QGuiApplication, QPen  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402
import pyqtgraph as pg  # noqa: E402

LINE_SCALE, LINE_FLOOR = 2.0, 4.0  # curves: twice as thick, 4 px at least
GUIDE_FLOOR = 3.0  # reference lines (crossover, peak, GPU = CPU): 3 px at least
MARKER_SCALE = 1.7
#: Controls and tables beside the plots: ``BESIDE`` of the plots' type on a 1280 px wide screen,
#: more on a wider one (up to ``ROOMY`` of it), ``BESIDE_FLOOR`` pt at least. (At 0.6 of it the
#: sliders' values were smaller than in the normal window, unreadable from the back row.)
BESIDE, ROOMY, BESIDE_FLOOR = 0.75, 0.9, 12
AXES = ("left", "bottom")


def beside_points(widget: QWidget, points: int, plain: int = 0) -> int:
    """The type of what stands beside plots presented at ``points`` on ``widget``'s screen:
    never smaller than ``plain`` (its type in the normal window)."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    wide = screen.geometry().width() / 1280 if screen is not None else 1.0
    return max(plain, BESIDE_FLOOR, min(round(points * BESIDE * wide), round(points * ROOMY)))


def beside_font(widget: QWidget, points: int, on: bool = True, plain: int = 0) -> QFont:
    """:func:`beside_points` as a font; not ``on``: a font that follows its parent's again."""
    font = QFont()
    if on:
        font.setPointSize(beside_points(widget, points, plain))
    return font


def thicker(pen, floor: float):
    """``pen`` twice as thick (``floor`` px at least); None or an invisible pen as it is."""
    if not isinstance(pen, QPen) or pen.style() == Qt.PenStyle.NoPen:
        return pen
    pen = QPen(pen)
    pen.setWidthF(max(floor, max(pen.widthF(), 1.0) * LINE_SCALE))
    pen.setCosmetic(True)
    return pen


def _look(value):
    """What of ``value`` (a pen, a size) shows: pens compare by width, colour and dash (QPen's
    own == also tells apart equal colours that pyqtgraph copied into another colour spec)."""
    if isinstance(value, QPen):
        return value.widthF(), value.color().rgba(), value.style()
    return value


def _same(a: tuple, b: tuple) -> bool:
    return tuple(map(_look, a)) == tuple(map(_look, b))


def _big(values: tuple) -> tuple:
    pen, size, symbol_pen = values
    return thicker(pen, LINE_FLOOR), size * MARKER_SCALE if size else size, thicker(symbol_pen, 1)


class _Curve:
    """What one data item (pen, marker size, marker pen) looks like plain, and presented."""

    def __init__(self, item: pg.PlotDataItem) -> None:
        self.plain = self.current(item)
        self.big = _big(self.plain)
        self.apply(item, self.big)

    def follow(self, item: pg.PlotDataItem) -> bool:
        """Big again what its panel set anew (its new plain look); True when anything was."""
        now = self.current(item)
        if _same(now, self.big):
            return False
        self.plain = tuple(plain if _look(value) == _look(big) else value
                           for value, plain, big in zip(now, self.plain, self.big))
        self.big = _big(self.plain)
        self.apply(item, self.big)
        return True

    @staticmethod
    def current(item: pg.PlotDataItem) -> tuple:
        opts = item.opts
        return opts.get("pen"), opts.get("symbolSize"), opts.get("symbolPen")

    def apply(self, item: pg.PlotDataItem, values: tuple) -> None:
        pen, size, symbol_pen = values
        if isinstance(pen, QPen):
            item.setPen(pen)
        if size:
            item.setSymbolSize(size)
        if isinstance(symbol_pen, QPen):
            item.setSymbolPen(symbol_pen)


class PlotPresenting(QObject):
    """Lines, markers and (``points`` given) type of every plot under ``panel``, big or plain."""

    def __init__(self, panel: QWidget) -> None:
        super().__init__(panel)
        self.panel = panel
        self.on = False
        self.points: int | None = None
        # per plot, the items it shows now (a timing sweep replaces its curves at every frame)
        self._curves: dict[pg.PlotWidget, dict[pg.PlotDataItem, _Curve]] = {}
        self._guides: dict[pg.PlotWidget, dict[pg.InfiniteLine, tuple]] = {}  # plain pen, font
        self._fonts: dict[pg.PlotWidget, dict] = {}
        #: each axis' room for its tick text: pyqtgraph gives back less than 10 px of it only
        #: when asked (the x axis stayed 7 px taller after presenting)
        self._text_room: dict[pg.AxisItem, tuple[int, int]] = {}
        self._panel_font: QFont | None = None

    def plots(self) -> list[pg.PlotWidget]:
        return self.panel.findChildren(pg.PlotWidget)

    def set_presenting(self, on: bool, points: int | None = None) -> None:
        """Presenting (``points``: the type too, for a panel that does not follow the window's
        font), or back to plain."""
        if on == self.on:
            return
        self.on, self.points = on, points if on else None
        if on:
            self._text_room = {axis: (axis.textWidth, axis.textHeight) for plot in self.plots()
                               for axis in (plot.getPlotItem().getAxis(n) for n in AXES)}
            if points is not None:
                self._big_type(points)
            for plot in self.plots():
                plot.viewport().installEventFilter(self)
                self.refresh(plot)
        else:
            for plot in self.plots():
                plot.viewport().removeEventFilter(self)
            self._plain_items()
            for axis, (width, height) in self._text_room.items():
                axis.textWidth, axis.textHeight = width, height
            self._plain_type()
            for axis in self._text_room:
                axis.setStyle(tickFont=axis.style.get("tickFont"))  # sized for that room
            self._text_room.clear()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if self.on and event.type() == QEvent.Type.Paint:
            plot = watched.parent()
            if isinstance(plot, pg.PlotWidget):
                self.refresh(plot)  # curves made or restyled since: big before they are drawn
        return False

    # -- lines and markers ---------------------------------------------------------------------
    def refresh(self, plot: pg.PlotWidget) -> None:
        """Make big what in ``plot`` is not yet (or no longer: its panel restyled it)."""
        if not self.on:
            return
        changed = False
        old_curves, old_guides = self._curves.get(plot, {}), self._guides.get(plot, {})
        curves, guides = self._curves[plot], self._guides[plot] = {}, {}
        for item in plot.getPlotItem().items:
            if isinstance(item, pg.PlotDataItem):
                curve = old_curves.get(item)
                if curve is None:
                    curves[item] = _Curve(item)
                    changed = True
                else:
                    curves[item] = curve
                    changed = curve.follow(item) or changed
            elif isinstance(item, pg.InfiniteLine):
                guides[item] = self._guide(plot, item, old_guides.get(item))
        legend = plot.getPlotItem().legend
        if changed and legend is not None:
            for sample, _ in legend.items:  # the key draws each curve with its pen
                sample.update()

    def _guide(self, plot: pg.PlotWidget, line: pg.InfiniteLine, plain: tuple | None) -> tuple:
        """A reference line (and its label) big; its plain (pen, label font)."""
        label = getattr(line, "label", None)
        if plain is not None and _look(line.pen) == _look(thicker(plain[0], GUIDE_FLOOR)):
            return plain
        if plain is None or _look(line.pen) != _look(plain[0]):  # new, or restyled
            plain = (QPen(line.pen), QFont(label.textItem.font()) if label else None)
        line.setPen(thicker(plain[0], GUIDE_FLOOR))
        if label is not None:
            font = QFont(label.textItem.font())
            font.setPointSizeF(self._tick_points(plot))
            label.setFont(font)
        return plain

    def _tick_points(self, plot: pg.PlotWidget) -> float:
        font = plot.getPlotItem().getAxis("bottom").style.get("tickFont")
        return float(self.points or (font.pointSizeF() if font else 0) or
                     QApplication.font().pointSizeF())

    def _plain_items(self) -> None:
        for curves in self._curves.values():
            for item, curve in curves.items():
                if _same(_Curve.current(item), curve.big):
                    curve.apply(item, curve.plain)
        for guides in self._guides.values():
            for line, (pen, font) in guides.items():
                line.setPen(pen)
                if font is not None:
                    line.label.setFont(font)
        self._curves.clear()
        self._guides.clear()

    # -- type ----------------------------------------------------------------------------------
    def _big_type(self, points: int) -> None:
        panel = self.panel
        self._panel_font = QFont(panel.font()) if panel.testAttribute(
            Qt.WidgetAttribute.WA_SetFont) else None
        font = QFont(panel.font())
        font.setPointSize(points)
        panel.setFont(font)
        for plot in self.plots():
            item = plot.getPlotItem()
            legend = item.legend
            self._fonts[plot] = {
                "ticks": {name: item.getAxis(name).style.get("tickFont") for name in AXES},
                "labels": {name: QFont(item.getAxis(name).label.font()) for name in AXES},
                "title": item.titleLabel.opts.get("size"),
                "legend": legend.opts.get("labelTextSize") if legend is not None else None,
            }
            for name in AXES:
                axis = item.getAxis(name)
                axis.label.setFont(font)
                axis.setStyle(tickFont=font)  # after the label: its height counted anew
            if item.titleLabel.isVisible() and item.titleLabel.text:
                item.setTitle(item.titleLabel.text, size=f"{points + 1}pt")
            if legend is not None:
                legend_text_size(legend, f"{points}pt")

    def _plain_type(self) -> None:
        if not self._fonts:
            return
        if self._panel_font is not None:
            self.panel.setFont(self._panel_font)
        else:  # it followed its parent's font: again
            self.panel.setFont(QFont())
            self.panel.setAttribute(Qt.WidgetAttribute.WA_SetFont, False)
        for plot, fonts in self._fonts.items():
            item = plot.getPlotItem()
            for name in AXES:
                axis = item.getAxis(name)
                axis.label.setFont(fonts["labels"][name])
                axis.setStyle(tickFont=fonts["ticks"][name])
            if item.titleLabel.isVisible() and item.titleLabel.text and fonts["title"]:
                item.setTitle(item.titleLabel.text, size=fonts["title"])
            if item.legend is not None and fonts["legend"]:
                legend_text_size(item.legend, fonts["legend"])
        self._fonts.clear()


def legend_text_size(legend: pg.LegendItem, size: str) -> None:
    """Every entry of ``legend`` (and those it gets later) in type of ``size`` (``"15pt"``)."""
    legend.setLabelTextSize(size)
    for _, label in legend.items:
        label.setText(label.text, size=size)
    legend.updateSize()
