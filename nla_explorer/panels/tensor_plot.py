"""Tensor display widgets: a big number, bar plot or heatmap, statistics and a copyable table."""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402
from PySide6.QtCore import QRectF, Qt, Signal  # noqa: E402
from PySide6.QtGui import QFont, QFontMetrics, QPen  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QGraphicsRectItem, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QStackedWidget,
    QVBoxLayout, QWidget,
)
import pyqtgraph as pg  # noqa: E402

from nla_explorer.drawing.style import ViewStyle  # noqa: E402
from nla_explorer.engine.tensors import TensorData  # noqa: E402
from nla_explorer.panels.copy_table import CopyTable  # noqa: E402
from nla_explorer.panels.stats_label import StatsLabel  # noqa: E402

#: Diverging, colour-blind-friendly blue–white–red map, centred at zero (colorcet's CET-D1).
COLORMAP = "CET-D1"
#: Matrices up to this many rows and columns get integer ticks; up to ``CELL_TEXT`` their values.
INTEGER_TICKS = 16
CELL_TEXT = 6
QWIDGETSIZE_MAX = 16_777_215


def number_text(value: float, digits: int = 5) -> str:
    """A compact number for display: ``0.51312``, ``-1.2e-07``, ``nan``."""
    return f"{float(value):.{digits}g}"


def tensor_stats(data: TensorData | None) -> dict[str, float] | None:
    """min, max, mean and 2-norm from the values, or the snapshot's summary for large tensors."""
    if data is None or data.values is None:
        return dict(data.summary) if data is not None and data.summary else None
    if data.values.size == 0:
        return None
    v = np.asarray(data.values, dtype=np.float64).reshape(-1)
    return {"min": float(v.min()), "max": float(v.max()), "mean": float(v.mean()),
            "norm": float(np.linalg.norm(v))}


def as_grid(values: np.ndarray) -> np.ndarray:
    """A 2-D view for tables and heatmaps: a vector as a column, leading dimensions flattened."""
    return values.reshape(-1, 1) if values.ndim <= 1 else values.reshape(-1, values.shape[-1])


class TensorPlot(QWidget):
    """One tensor drawn to suit its rank: a big number, bars, a heatmap with colour bar, a note."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cmap = pg.colormap.get(COLORMAP)  # bundled with pyqtgraph
        self._mode, self._text, self._shape, self._cap = "message", "", (), None
        self._values: np.ndarray | None = None  # what is plotted (float64, 1-D or 2-D)
        self._cell_items: list[pg.TextItem] = []  # numbers written on small heatmaps' cells
        self._cell_texts: list[str] = []
        self._cell_font = QFont(self.font())
        self.style = ViewStyle.light()
        fg, bg = self.style.colour("surface_text"), self.style.colour("surface")
        self.scalar_label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.scalar_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.bar_plot = pg.PlotWidget(background=bg)
        self._bars = pg.BarGraphItem(x=[0], height=[0], width=0.8, pen=pg.mkPen(fg, width=1))
        self.bar_plot.addItem(self._bars)
        self._zero_line = pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen(fg, width=1))
        self.bar_plot.addItem(self._zero_line)
        self.bar_plot.showGrid(y=True, alpha=0.25)
        self.heat_plot = pg.PlotWidget(background=bg)
        heat = self.heat_plot.getPlotItem()
        self._image = pg.ImageItem(axisOrder="row-major")
        self._frame = QGraphicsRectItem()
        self._frame.setPen(QPen(fg, 0))
        heat.addItem(self._image)
        heat.addItem(self._frame)
        heat.invertY(True)  # row 0 at the top, as a matrix is written
        heat.setAspectLocked(True)
        heat.showAxis("top")
        heat.hideAxis("bottom")
        self.color_bar = pg.ColorBarItem(values=(-1, 1), colorMap=self._cmap, interactive=False,
                                         width=18, pen=pg.mkPen(fg), colorMapMenu=False)
        self.color_bar.setImageItem(self._image, insert_in=heat)
        self.color_bar.axis.setWidth(None)
        self.color_bar.axis.setTextPen(pg.mkPen(fg))
        heat.getViewBox().sigResized.connect(self._fit_heatmap)
        for plot in (self.bar_plot, self.heat_plot):
            plot.setMouseEnabled(x=False, y=False)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMinimumHeight(160)
            for name in ("left", "top", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(None) if plot is self.heat_plot else pg.mkPen(fg))
                axis.setTextPen(pg.mkPen(fg))
                if plot is self.heat_plot:
                    axis.setStyle(tickLength=0)  # cell indices only, no axis lines
        self.pages = QStackedWidget()
        for page in (self.message_label, self.scalar_label, self.bar_plot, self.heat_plot):
            self.pages.addWidget(page)
        self.note_label = QLabel(wordWrap=True)
        self.note_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.note_label)
        layout.addWidget(self.pages, 1)
        self._points = self.font().pointSize()
        self.set_font_size(self._points)
        self.set_tensor(None)

    def set_view_style(self, style: ViewStyle) -> None:
        """Background, axes, bars' outline, the frame and the notes in ``style``'s colours."""
        if style == self.style:
            return
        self.style = style
        fg, bg = style.colour("surface_text"), style.colour("surface")
        for plot in (self.bar_plot, self.heat_plot):
            plot.setBackground(bg)
            for name in ("left", "top", "bottom"):
                axis = plot.getAxis(name)
                if plot is self.bar_plot:
                    axis.setPen(pg.mkPen(fg))
                axis.setTextPen(pg.mkPen(fg))
        self._bars.setOpts(pen=pg.mkPen(fg, width=1))
        self._zero_line.setPen(pg.mkPen(fg, width=1))
        self._frame.setPen(QPen(fg, 0))
        self.color_bar.axis.setTextPen(pg.mkPen(fg))
        self.set_font_size(self._points)

    def mode(self) -> str:
        """``"scalar"``, ``"bars"``, ``"heatmap"`` or ``"message"`` (none, empty, summary only)."""
        return self._mode

    def text(self) -> str:
        """The number shown for a scalar, or a description of what is drawn (or the message)."""
        return self._text

    def set_tensor(self, data: TensorData | None, empty_text: str = "No value") -> None:
        self._values, self._shape = None, data.shape if data is not None else ()
        note = ""
        if data is None:
            self._show_message(empty_text)
        elif data.values is None:
            self._show_message(f"Too large to keep every value ({data.numel:,} elements): "
                               "only the summary below was recorded."
                               if data.summary else "No values recorded (shape only).")
        elif data.values.size == 0:
            self._show_message(f"Empty tensor of shape {tuple(data.shape)}.")
        elif data.values.size == 1:
            self._mode = "scalar"
            self._text = number_text(data.values.reshape(-1)[0], 7)
            self.scalar_label.setText(self._text)
            self.pages.setCurrentWidget(self.scalar_label)
            self._cap = self.scalar_label.sizeHint().height() + 24
        elif data.values.ndim == 1:
            self._show_bars(np.asarray(data.values, dtype=np.float64))
        else:
            grid = as_grid(np.asarray(data.values, dtype=np.float64))
            if data.values.ndim > 2:
                note = (f"Rank-{data.values.ndim} tensor {tuple(data.shape)} shown flattened to "
                        f"{grid.shape[0]} × {grid.shape[1]} (leading dimensions merged).")
            self._show_heatmap(grid)
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))
        self._cap_height(self._cap)

    def set_font_size(self, points: int) -> None:
        points = self._points = max(6, int(points))
        muted = f"color: {self.style.surface_muted}; font-size: {points}pt;"
        self.scalar_label.setStyleSheet(
            f"font-size: {round(points * 2.6)}pt; font-weight: 600; font-family: monospace;")
        self.note_label.setStyleSheet(muted)
        self.message_label.setStyleSheet(muted + " padding: 12px;")
        self._cell_font = QFont(self.font())
        self._cell_font.setPointSize(max(6, points - 1))
        axes = [self.bar_plot.getAxis(n) for n in ("left", "bottom")]
        axes += [self.heat_plot.getAxis(n) for n in ("left", "top")] + [self.color_bar.axis]
        for axis in axes:
            axis.setStyle(tickFont=self._cell_font, tickTextOffset=4)
        self.color_bar.axis.setStyle(maxTickLevel=0)
        if self._mode == "heatmap" and self._values is not None:
            self._show_heatmap(self._values)
        elif self._mode == "scalar":
            self._cap = self.scalar_label.sizeHint().height() + 24
        self._cap_height(self._cap)

    def _show_message(self, text: str) -> None:
        self._mode, self._text = "message", text
        self.message_label.setText(text)
        self.pages.setCurrentWidget(self.message_label)
        self._cap = self.message_label.sizeHint().height() + 24

    def _show_bars(self, values: np.ndarray) -> None:
        self._mode, self._values, self._cap = "bars", values, None
        self._text = f"vector of {values.size} values"
        low, high = self._cmap.map([0.12, 0.88], mode="qcolor")
        x = np.arange(values.size)
        self._bars.setOpts(x=x, height=np.nan_to_num(values), width=0.8,
                           brushes=[pg.mkBrush(high if v >= 0 else low) for v in values])
        few = values.size <= 2 * INTEGER_TICKS
        self.bar_plot.getAxis("bottom").setTicks([[(i, str(i)) for i in x]] if few else None)
        self.bar_plot.getPlotItem().enableAutoRange()
        self.bar_plot.getPlotItem().autoRange()
        self.pages.setCurrentWidget(self.bar_plot)

    def _show_heatmap(self, grid: np.ndarray) -> None:
        self._mode, self._values = "heatmap", grid
        rows, cols = grid.shape
        self._text = f"{rows} × {cols} matrix"
        finite = np.abs(grid[np.isfinite(grid)])  # levels ±max|v|, never empty
        limit = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        self._image.setImage(grid, autoLevels=False, levels=(-limit, limit))
        self.color_bar.setLevels((-limit, limit))
        rect = QRectF(-0.5, -0.5, cols, rows)  # cell (r, c) centred on (c, r)
        self._image.setRect(rect)
        self._frame.setRect(rect)
        heat = self.heat_plot.getPlotItem()
        for axis_name, n in (("left", rows), ("top", cols)):
            ticks = [[(i, str(i)) for i in range(n)]] if n <= INTEGER_TICKS else None
            self.heat_plot.getAxis(axis_name).setTicks(ticks)
        for item in self._cell_items:
            heat.removeItem(item)
        self._cell_items, self._cell_texts = [], []
        if rows <= CELL_TEXT and cols <= CELL_TEXT:
            for (r, c), v in np.ndenumerate(grid):
                self._cell_texts.append(number_text(v, 2))
                item = pg.TextItem(self._cell_texts[-1], anchor=(0.5, 0.5),
                                   color="w" if abs(v) > 0.6 * limit else (20, 20, 20))
                item.setPos(c, r)
                heat.addItem(item)
                self._cell_items.append(item)
        heat.setRange(rect, padding=0.02)
        self.pages.setCurrentWidget(self.heat_plot)
        self._fit_heatmap()

    def _cap_height(self, height: int | None) -> None:
        """Cap the drawing's height (``None``: let it grow); the labels around it add theirs."""
        self._cap, note = height, self.note_label
        extra = 0 if note.isHidden() else note.heightForWidth(max(self.width(), 200)) + 4
        self.pages.setMaximumHeight(QWIDGETSIZE_MAX if height is None else height)
        self.setMaximumHeight(QWIDGETSIZE_MAX if height is None else height + extra)

    def _fit_heatmap(self, *_args) -> None:
        """As tall as square cells need (within limits), so no blank bands frame the matrix."""
        view = self.heat_plot.getPlotItem().getViewBox()
        if self._mode != "heatmap" or self._values is None or view.width() <= 1:
            return  # called again once the view box is laid out
        rows, cols = self._values.shape
        chrome = self.heat_plot.height() - view.height()
        self._cap_height(int(max(160, min(view.width() * rows / cols + chrome + 6, 640))))
        # the range set while this page was hidden had the old page's shape; with the aspect
        # locked the matrix could end up outside the view: frame it again at the real size
        view.setRange(QRectF(-0.5, -0.5, cols, rows), padding=0.02)
        if self._cell_texts:  # shrink the cells' numbers to fit the cells
            cell = min(view.width() / cols, max(view.height(), 1) / rows)
            metrics = QFontMetrics(self._cell_font)
            widest = max(metrics.horizontalAdvance(t) for t in self._cell_texts)
            font = QFont(self._cell_font)
            font.setPointSizeF(max(6.0, font.pointSizeF() * min(1.0, 0.82 * cell / widest)))
            for item in self._cell_items:
                item.setFont(font)


class TensorView(QWidget):
    """A tensor's plot, its min/max/mean/2-norm and a copyable table of its values."""

    copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points = self.font().pointSize()
        self.style = ViewStyle.light()
        self._stats: dict[str, float] | None = None
        self.description = QLabel(wordWrap=True)
        self.plot = TensorPlot()
        self.stats_label = StatsLabel()  # two rows of two in a narrow dock
        self.table_caption = QLabel()
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy every value, tab-separated (Ctrl+C: the selection)")
        self.table = CopyTable()
        self.table.copied.connect(self.copied)
        self.copy_button.clicked.connect(lambda: self.table.copy_all())
        bar = QHBoxLayout()
        bar.addWidget(self.table_caption, 1)
        bar.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.description)
        layout.addWidget(self.plot, 3)
        layout.addWidget(self.stats_label)
        layout.addLayout(bar)
        layout.addWidget(self.table, 2)
        layout.addStretch(0)  # takes what a capped plot and a short table leave
        self.set_tensor(None)

    def set_tensor(self, data: TensorData | None, empty_text: str = "No value",
                   caption: str = "Values", description: str = "") -> None:
        self.description.setText(description)
        self.description.setVisible(bool(description))
        self.plot.set_tensor(data, empty_text)
        self._stats = tensor_stats(data)
        self.stats_label.setVisible(self._stats is not None and self.plot.mode() != "scalar")
        self._render_stats()
        has_values = data is not None and data.values is not None and data.values.size > 0
        if has_values:
            grid = as_grid(data.values)
            headers = ["value"] if data.values.ndim <= 1 else [str(i) for i in range(grid.shape[1])]
            self.table.set_cells([[number_text(v) for v in row] for row in grid],
                                 [[str(v) for v in row] for row in grid], headers)
            shape = " × ".join(str(s) for s in data.shape)
            self.table_caption.setText(f"{caption} ({shape}, {grid.size} values)" if grid.size > 1
                                       else f"{caption} ({shape or 'scalar'})")
        else:
            self.table.set_cells([])
        self.table.setVisible(has_values and self.plot.mode() in ("bars", "heatmap"))
        self.table_caption.setVisible(has_values)  # one number stays copyable too
        self.copy_button.setVisible(has_values)

    def text(self) -> str:
        """What is shown as text: the number, or the plot's description with the statistics."""
        if self.stats_label.isHidden() or self._stats is None:
            return self.plot.text()
        stats = "  ".join(f"{k} {number_text(v)}" for k, v in self._stats.items())
        return f"{self.plot.text()}\n{stats}"

    def set_view_style(self, style: ViewStyle) -> None:
        """The plot and the captions in ``style``'s colours."""
        self.style = style
        self.plot.set_view_style(style)
        self.set_font_size(self._points)

    def set_font_size(self, points: int) -> None:
        self._points = points
        self.plot.set_font_size(points)
        for label in (self.table_caption, self.description):
            label.setStyleSheet(f"color: {self.style.surface_muted}; "
                                f"font-size: {max(6, points - 1)}pt;")
        self.table.fit_height()
        self._render_stats()

    def _render_stats(self) -> None:
        s = self._stats or {}
        self.stats_label.set_stats(
            [(name, number_text(s[k]) if k in s else "—")
             for name, k in (("min", "min"), ("max", "max"), ("mean", "mean"), ("2-norm", "norm"))],
            self.style.surface_muted, self._points)
