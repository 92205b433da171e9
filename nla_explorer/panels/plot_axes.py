"""Plot axes whose tick labels never overlap: log axes labelled every so many decades as the
room allows, values written as values (``1 ms``, ``10×``, ``4096``, ``10k``, ``10⁻⁶``)."""

from __future__ import annotations

import math
import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QRectF  # noqa: E402
from PySide6.QtGui import QFontMetricsF  # noqa: E402
import pyqtgraph as pg  # noqa: E402

#: Decade steps a log axis may label (every decade, every second …).
DECADE_STEPS = (1, 2, 3, 4, 5, 10, 20, 50, 100)
UNLABELLED = 0.0  # the spacing of a tick level drawn without text
TEXT_GAP = 4.0  # pixels between two tick labels
#: pyqtgraph measures tick text at 80 % of its height; the drawn text is the full height.
PYQTGRAPH_TEXT_SHRINK = 0.8
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _si(value: float, unit: str) -> str:
    for prefix, scale in (("", 1.0), ("m", 1e-3), ("µ", 1e-6), ("n", 1e-9)):
        if value >= scale * 0.999:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.1e} {unit}"


def big_number(value: float) -> str:
    """``4096``, ``10k``, ``67k``, ``2M``."""
    for suffix, scale in (("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def power_of_ten(exponent: int) -> str:
    """``0.01``, ``1``, ``1000`` near one; ``10⁻⁶``, ``10⁹`` further out."""
    if -4 <= exponent <= 4:
        return f"{10.0 ** exponent:.{max(0, -exponent)}f}"
    return "10" + str(exponent).translate(_SUPERSCRIPT)


class ReadableAxis(pg.AxisItem):
    """An axis that labels only as many ticks as fit, and drops any label that would overlap.

    ``kind`` says how a log axis reads: ``"plain"`` (``0.01``, ``10⁻⁶``), ``"seconds"``,
    ``"ratio"`` (``10×``), ``"size"`` (powers of two: ``4096``) or ``"rate"`` (``10k``).
    """

    def __init__(self, orientation: str, kind: str = "plain", **options) -> None:
        super().__init__(orientation, **options)
        self.kind = kind

    # -- which ticks ---------------------------------------------------------------------------
    def _label_pitch(self) -> float:
        """Pixels one label needs along the axis."""
        metrics = QFontMetricsF(self.style["tickFont"] or self.font())
        if self.orientation in ("left", "right"):
            return metrics.height() + TEXT_GAP
        widest = {"size": "65536", "seconds": "100 µs", "ratio": "0.5×", "rate": "100k"}
        return metrics.horizontalAdvance(widest.get(self.kind, "0.0001")) + 2 * TEXT_GAP

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph override
        if not self.logMode or not (math.isfinite(minVal) and math.isfinite(maxVal)) \
                or size <= 0:
            return super().tickValues(minVal, maxVal, size)
        low, high = sorted((minVal, maxVal))
        if high - low <= 0:
            return super().tickValues(minVal, maxVal, size)
        per_decade = size / (high - low)  # pixels
        pitch = self._label_pitch()
        if self.kind == "size" and high - low < 9:
            return self._powers_of_two(low, high, per_decade, pitch)
        step = next((s for s in DECADE_STEPS if s * per_decade >= pitch), DECADE_STEPS[-1])
        first = math.ceil(low / step) * step
        major = [float(k) for k in range(first, math.floor(high) + 1, step)]
        unlabelled = [float(k) for k in range(math.ceil(low), math.floor(high) + 1) if k % step]
        between = [k + math.log10(m) for k in range(math.floor(low), math.ceil(high))
                   for m in range(2, 10) if low <= k + math.log10(m) <= high]
        labelled: list[float] = []
        if step == 1 and per_decade >= 4 * pitch and self.kind != "plain":
            labelled = [v for v in between if round(10 ** (v % 1), 6) in (2.0, 5.0)]
        levels = [(float(step), major), (None, labelled), (UNLABELLED, unlabelled)]
        if per_decade >= 12:  # unlabelled ticks at 2 … 9: the log scale shows
            levels.append((UNLABELLED, [v for v in between if v not in labelled]))
        return levels

    def _powers_of_two(self, low: float, high: float, per_decade: float, pitch: float):
        per_octave = per_decade * math.log10(2)
        step = next((s for s in (1, 2, 3, 4, 6, 8) if s * per_octave >= pitch), 8)
        first, last = math.ceil(low / math.log10(2) - 1e-9), math.floor(high / math.log10(2) + 1e-9)
        major = [k * math.log10(2) for k in range(max(first, 0), last + 1) if k % step == 0]
        minor = [k * math.log10(2) for k in range(max(first, 0), last + 1) if k % step]
        return [(step * math.log10(2), major), (UNLABELLED, minor)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        if spacing == UNLABELLED:
            return [""] * len(values)
        return [self._text(v) for v in values]

    def _text(self, v: float) -> str:
        x = 10.0 ** v
        if self.kind == "seconds":
            return _si(x, "s")
        if self.kind == "ratio":
            return f"{x:g}×"
        if self.kind == "size":
            return f"{round(x)}"
        if self.kind == "rate":
            return big_number(x)
        return power_of_ten(round(v)) if abs(v - round(v)) < 1e-6 else f"{x:.2g}"

    # -- drawing -------------------------------------------------------------------------------
    def generateDrawSpecs(self, p):  # noqa: N802 - pyqtgraph override
        """pyqtgraph's specs, less any label that would overlap one drawn before it."""
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis, ticks, texts = specs
        return axis, ticks, separated(texts)

    def label_rects(self) -> list[QRectF]:
        """The tick labels as drawn now (full text height), in this axis' coordinates."""
        from PySide6.QtGui import QImage, QPainter  # only for measuring
        image = QImage(1, 1, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        painter.setFont(self.style["tickFont"] or self.font())
        try:
            specs = self.generateDrawSpecs(painter)
        finally:
            painter.end()
        return [] if specs is None else [full_height(rect) for rect, _, _ in specs[2]]


def full_height(rect: QRectF) -> QRectF:
    """The rectangle a tick label is drawn in (pyqtgraph's measure is 80 % of its height)."""
    height = rect.height() / PYQTGRAPH_TEXT_SHRINK
    return QRectF(rect.x(), rect.center().y() - height / 2, rect.width(), height)


def separated(texts: list) -> list:
    """Keep each ``(rect, flags, text)`` whose full rectangle, with a gap, meets none kept."""
    kept: list = []
    rects: list[QRectF] = []
    for spec in texts:
        rect = full_height(spec[0]).adjusted(-TEXT_GAP / 2, -1, TEXT_GAP / 2, 1)
        if not spec[2] or any(rect.intersects(other) for other in rects):
            continue
        kept.append(spec)
        rects.append(rect)
    return kept
