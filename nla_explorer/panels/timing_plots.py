"""The timing panel's plots: time vs size, GPU speed-up with its crossover, and throughput."""

from __future__ import annotations

import math
import os
from collections import defaultdict

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QComboBox, QLabel, QStackedWidget, QTabWidget, QVBoxLayout, QWidget,
)
import pyqtgraph as pg  # noqa: E402

from nla_explorer.drawing.style import ViewStyle  # noqa: E402
from nla_explorer.engine.timing.devices import known_peaks  # noqa: E402
from nla_explorer.engine.timing.results import TimingResult, crossover, speedup  # noqa: E402
from nla_explorer.panels.plot_axes import ReadableAxis, big_number  # noqa: E402
from nla_explorer.panels.plot_legend import HeaderLegend  # noqa: E402
from nla_explorer.panels.plot_theme import style_plot  # noqa: E402

Key = tuple[str, str, str, str]  # (source, op, dtype, device)


def _plot(bottom: str, left: str, left_kind: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(axisItems={"bottom": ReadableAxis("bottom", "size"),
                                    "left": ReadableAxis("left", left_kind)})
    plot.setLogMode(x=True, y=True)
    plot.showGrid(x=True, y=True, alpha=0.2)
    plot.setMenuEnabled(False)
    for name, text in (("bottom", bottom), ("left", left)):
        axis = plot.getAxis(name)
        axis.setLabel(text)
        axis.enableAutoSIPrefix(False)  # the tick labels carry the units
    HeaderLegend(plot.getPlotItem(), labelTextSize="9pt", horSpacing=10)
    plot.setMinimumHeight(220)
    return plot


class InsideLabel(pg.InfLineLabel):
    """A vertical line's label kept whole inside the plot's view box: right of the line where it
    fits, else left of it, else as far in as the view allows (the crossover's label, right of a
    line near the plot's right edge, was cut off there; the bigger type of presentation mode
    made it worse)."""

    def __init__(self, line: pg.InfiniteLine, text: str, position: float, color) -> None:
        super().__init__(line, text=text, position=position, anchors=[(0, 0), (0, 0)],
                         color=color)
        line.label = self  # where pyqtgraph keeps a line's label (presentation mode finds it)

    def updatePosition(self) -> None:  # noqa: N802 - pyqtgraph override
        super().updatePosition()
        view = self.getViewBox()
        if not isinstance(view, pg.ViewBox):
            return
        box = view.sceneBoundingRect()
        width = self.textItem.boundingRect().width()  # pixels: the text ignores the view's scale
        x = self.scenePos().x()  # where the label meets the line
        if x + width <= box.right():
            share = 0.0
        elif x - width >= box.left():
            share = 1.0
        else:  # wider than either side: over the line, its left edge as far left as needed
            left = max(box.left(), box.right() - width)
            share = min(1.0, max(0.0, (x - left) / width)) if width else 0.0
        if share != self.anchor.x():
            self.setAnchor((share, self.anchor.y()))

    def setFont(self, font) -> None:  # noqa: N802 - pyqtgraph override
        super().setFont(font)
        self.updatePosition()  # another width: maybe the other side


def series_label(key: Key) -> str:
    source, op, dtype, device = key
    return f"{op} {dtype} {device}" + (f" · {source}" if source else "")


class TimingPlots:
    """Builds and redraws three plot widgets from a list of results (no state of its own)."""

    def __init__(self) -> None:
        self.time_plot = _plot("matrix size n", "time per call", "seconds")
        self.speedup_plot = _plot("matrix size n", "speed-up: CPU time / GPU time", "ratio")
        self.throughput_plot = _plot("matrix size n", "throughput", "rate")
        self.speedup_message = QLabel(
            "No GPU results to compare yet.\nRun on a machine with a GPU, or load a CSV measured "
            "on one (nla-explorer timing --csv FILE).", alignment=Qt.AlignmentFlag.AlignCenter,
            wordWrap=True)
        self.speedup_view = QStackedWidget()
        self.speedup_view.addWidget(self.speedup_message)
        self.speedup_view.addWidget(self.speedup_plot)
        self.unit_box = QComboBox()
        self.unit_box.addItems(["GFLOP/s", "GB/s"])
        self.unit_box.setToolTip("GFLOP/s for compute-bound ops (matmul, solve, inverse, mlp); "
                                 "GB/s for memory-bound ones (mv, add, relu, sum)")
        self.throughput_view = QWidget()
        layout = QVBoxLayout(self.throughput_view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.unit_box, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.throughput_plot, 1)
        self.time_series: list[str] = []  # labels drawn on the time plot, for tests and status
        self.crossovers: dict[str, int | None] = {}  # speed-up curve label → crossover size
        self.peak_lines: list[str] = []
        self.style = ViewStyle.light()
        self.set_view_style(self.style)

    def plots(self) -> tuple[pg.PlotWidget, ...]:
        return self.time_plot, self.speedup_plot, self.throughput_plot

    def tabs(self) -> QTabWidget:
        """The three views as tabs, each with a tooltip saying what it plots."""
        tabs = QTabWidget()
        for view, title, tip in (
                (self.time_plot, "Time", "Time per call against matrix size, log–log, one "
                                         "curve per op, dtype and device"),
                (self.speedup_view, "Speed-up", "How many times faster the GPU is than the CPU; "
                                                "the star marks the size from which the GPU wins"),
                (self.throughput_view, "Throughput", "GFLOP/s or GB/s achieved, with the "
                                                     "device's datasheet peak where known")):
            tabs.setTabToolTip(tabs.addTab(view, title), tip)
        return tabs

    def set_view_style(self, style: ViewStyle) -> None:
        """Colours of the axes, titles and legends (the curves take them at the next redraw)."""
        self.style = style
        for plot in self.plots():
            style_plot(plot, style)

    def redraw(self, results: list[TimingResult], show_naive: bool) -> None:
        """Draw every ok result: one curve per (source, op, dtype, device)."""
        groups: dict[Key, list[TimingResult]] = defaultdict(list)
        for r in results:
            if r.ok:
                groups[(r.source, r.op, r.dtype, r.device)].append(r)
        for rows in groups.values():
            rows.sort(key=lambda r: r.size)
        colours = {key: self.style.series_colour(i) for i, key in enumerate(groups)}
        self._draw_times(groups, colours, show_naive)
        self._draw_speedups(groups, colours)
        self._draw_throughput(groups, colours)
        for plot in self.plots():
            plot.getPlotItem().legend.fit()

    def _curve(self, plot: pg.PlotWidget, rows, y, colour: str, name: str | None,
               style=Qt.PenStyle.SolidLine, symbol: str | None = "o") -> None:
        points = [(r.size, v) for r, v in zip(rows, y) if v is not None and v > 0]
        if not points:
            return
        xs, ys = zip(*points)
        plot.plot(list(xs), list(ys), name=name, pen=pg.mkPen(colour, width=2, style=style),
                  symbol=symbol, symbolSize=7, symbolBrush=colour, symbolPen=colour)

    def _draw_times(self, groups, colours, show_naive: bool) -> None:
        plot = self.time_plot
        plot.clear()
        self.time_series = []
        for key, rows in groups.items():
            symbol = "o" if key[3] == "cpu" else "s"
            name = series_label(key)
            self._curve(plot, rows, [r.median_s for r in rows], colours[key], name,
                        symbol=symbol if not key[0] else "d")
            self.time_series.append(name)
            if show_naive and any(r.naive_s is not None for r in rows):
                self._curve(plot, rows, [r.naive_s for r in rows], colours[key],
                            f"{name} naive (unsynchronised)", Qt.PenStyle.DotLine, "x")
            if key[3] != "cpu" and any(r.transfer_s for r in rows):
                self._curve(plot, rows, [r.median_s + r.transfer_s if r.transfer_s is not None
                                         else None for r in rows], colours[key],
                            f"{name} + host↔device copy", Qt.PenStyle.DashDotLine, None)

    def _draw_speedups(self, groups, colours) -> None:
        plot = self.speedup_plot
        plot.clear()
        self.crossovers = {}
        fg = self.style.colour("surface_text")
        for key, rows in groups.items():
            source, op, dtype, device = key
            if device == "cpu":
                continue
            baseline = (groups.get((source, op, dtype, "cpu")) or groups.get(("", op, dtype, "cpu"))
                        or next((g for k, g in groups.items() if k[1:] == (op, dtype, "cpu")), []))
            curve = speedup(baseline + rows, op, dtype, device)
            if not curve:
                continue
            name = f"{device} over cpu: {op} {dtype}" + (f" · {source}" if source else "")
            sizes, ratios = zip(*curve)
            plot.plot(list(sizes), list(ratios), name=name, pen=pg.mkPen(colours[key], width=2),
                      symbol="o", symbolSize=7, symbolBrush=colours[key], symbolPen=colours[key])
            size = crossover(baseline + rows, op, dtype, device)
            self.crossovers[name] = size
            if size is not None:
                ratio = dict(curve)[size]
                plot.plot([size], [ratio], pen=None, symbol="star", symbolSize=18,
                          symbolBrush=colours[key], symbolPen=pg.mkPen(fg, width=1))
                line = pg.InfiniteLine(pos=math.log10(size), angle=90, pen=pg.mkPen(
                    colours[key], width=1, style=Qt.PenStyle.DashLine))
                InsideLabel(line, f"crossover n = {size}", 0.9, colours[key])
                plot.addItem(line)
        if self.crossovers:
            plot.addItem(pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen(fg, width=1),
                                         label="GPU = CPU", labelOpts={
                                             "position": 0.98, "color": fg,
                                             "anchors": [(1, 1), (1, 1)]}))
        self.speedup_view.setCurrentWidget(self.speedup_plot if self.crossovers
                                           else self.speedup_message)

    def _draw_throughput(self, groups, colours) -> None:
        plot = self.throughput_plot
        plot.clear()
        self.peak_lines = []
        gbps = self.unit_box.currentText() == "GB/s"
        plot.getAxis("left").setLabel("memory throughput (GB/s)" if gbps
                                      else "arithmetic throughput (GFLOP/s)")
        peaks: dict[str, float] = {}
        drawn: list[float] = []
        for key, rows in groups.items():
            values = [r.gbps if gbps else r.gflops for r in rows]
            drawn += [v for v in values if v is not None and v > 0]
            self._curve(plot, rows, values, colours[key], series_label(key),
                        symbol="o" if key[3] == "cpu" else "s")
            label = rows[0].device_label
            flops, bandwidth = known_peaks(label) if label else ({}, None)
            peak = bandwidth if gbps else flops.get(key[2])
            if peak:
                text = (f"{label} peak: {big_number(peak)} GB/s" if gbps
                        else f"{label} peak {key[2]}: {big_number(peak)} GFLOP/s")
                peaks[text] = peak
        fg = self.style.colour("surface_text")
        for text, peak in peaks.items():
            plot.addItem(pg.InfiniteLine(pos=math.log10(peak), angle=0,
                                         pen=pg.mkPen(fg, width=1, style=Qt.PenStyle.DashLine),
                                         label=text, labelOpts={"position": 0.98, "color": fg,
                                                                "anchors": [(1, 1), (1, 1)]}))
            self.peak_lines.append(text)
        if peaks and drawn:  # keep the peak lines (and room for their labels) in view
            low = math.log10(min(drawn))
            high = math.log10(max(max(drawn), max(peaks.values()))) + 0.4
            plot.setYRange(low, high, padding=0.02)
        else:
            plot.enableAutoRange()
