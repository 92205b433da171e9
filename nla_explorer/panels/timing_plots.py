"""The timing panel's plots: time vs size, GPU speed-up with its crossover, and throughput."""

from __future__ import annotations

import math
import os
from collections import defaultdict

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QPalette  # noqa: E402
from PySide6.QtWidgets import QComboBox, QLabel, QStackedWidget, QVBoxLayout, QWidget  # noqa: E402
import pyqtgraph as pg  # noqa: E402

from nla_explorer.engine.timing.devices import known_peaks  # noqa: E402
from nla_explorer.engine.timing.results import TimingResult, crossover, speedup  # noqa: E402

#: Okabe–Ito: distinguishable with the common colour-vision deficiencies.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
Key = tuple[str, str, str, str]  # (source, op, dtype, device)


def _si(value: float, unit: str) -> str:
    for prefix, scale in (("", 1.0), ("m", 1e-3), ("µ", 1e-6), ("n", 1e-9)):
        if value >= scale * 0.999:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.1e} {unit}"


def _big(value: float) -> str:
    for suffix, scale in (("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


class LogAxis(pg.AxisItem):
    """A log axis whose labels read as values: ``1 ms``, ``10×``, ``4096``, ``10k``."""

    def __init__(self, orientation: str, style: str) -> None:
        super().__init__(orientation)
        self.style_name = style  # "seconds", "ratio", "size" or "rate"

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph override
        if self.style_name == "size" and self.logMode and maxVal - minVal < 9:
            # powers of two, every one or every second, in log10 units
            low, high = math.floor(minVal / math.log10(2)), math.ceil(maxVal / math.log10(2))
            step = 1 if high - low <= 12 else 2
            ticks = [k * math.log10(2) for k in range(low, high + 1) if k % step == 0 and k >= 0]
            return [(step * math.log10(2), ticks)]
        return super().tickValues(minVal, maxVal, size)

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        out = []
        for v in values:
            x = 10.0 ** v
            mantissa = round(10.0 ** (v - math.floor(v + 1e-9)), 6)
            if self.style_name != "size" and mantissa not in (1.0, 2.0, 5.0):
                out.append("")  # label 1-2-5 only: minor ticks stay, their text would crowd
            elif self.style_name == "seconds":
                out.append(_si(x, "s"))
            elif self.style_name == "ratio":
                out.append(f"{x:g}×")
            elif self.style_name == "size":
                out.append(f"{round(x)}")
            else:
                out.append(_big(x))
        return out


def _plot(bottom: str, left: str, left_style: str) -> pg.PlotWidget:
    widget = QWidget()
    fg = widget.palette().color(QPalette.ColorRole.Text)
    bg = widget.palette().color(QPalette.ColorRole.Base)
    plot = pg.PlotWidget(background=bg, axisItems={"bottom": LogAxis("bottom", "size"),
                                                   "left": LogAxis("left", left_style)})
    plot.setLogMode(x=True, y=True)
    plot.showGrid(x=True, y=True, alpha=0.2)
    plot.setMenuEnabled(False)
    for name, text in (("bottom", bottom), ("left", left)):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(fg))
        axis.setTextPen(pg.mkPen(fg))
        axis.setLabel(text, color=fg.name())
        axis.enableAutoSIPrefix(False)  # the tick labels carry the units
    legend = plot.addLegend(offset=(8, 8), labelTextColor=fg, brush=pg.mkBrush(bg),
                            pen=pg.mkPen(fg.lighter(300)))
    legend.setLabelTextSize("9pt")
    plot.setMinimumHeight(220)
    return plot


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

    def redraw(self, results: list[TimingResult], show_naive: bool) -> None:
        """Draw every ok result: one curve per (source, op, dtype, device)."""
        groups: dict[Key, list[TimingResult]] = defaultdict(list)
        for r in results:
            if r.ok:
                groups[(r.source, r.op, r.dtype, r.device)].append(r)
        for rows in groups.values():
            rows.sort(key=lambda r: r.size)
        colours = {key: COLOURS[i % len(COLOURS)] for i, key in enumerate(groups)}
        self._draw_times(groups, colours, show_naive)
        self._draw_speedups(groups, colours)
        self._draw_throughput(groups, colours)

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
        fg = plot.getAxis("left").textPen().color()
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
                plot.addItem(pg.InfiniteLine(
                    pos=math.log10(size), angle=90, pen=pg.mkPen(colours[key], width=1,
                                                                 style=Qt.PenStyle.DashLine),
                    label=f"crossover n = {size}", labelOpts={
                        "position": 0.9, "color": colours[key], "anchors": [(0, 0), (0, 0)]}))
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
                text = (f"{label} peak: {_big(peak)} GB/s" if gbps
                        else f"{label} peak {key[2]}: {_big(peak)} GFLOP/s")
                peaks[text] = peak
        fg = plot.getAxis("left").textPen().color()
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
