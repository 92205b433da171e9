"""A plot's legend in the plot's header, beside or under its title: it never covers the data.

It is a key, not a box: no frame, on the plot's own background (a framed box at the top right
read as a legend laid over the plot's corner, over its top curve), not draggable, and a clear
strip of ``CLEAR`` px lies between it and the data."""

from __future__ import annotations

import math
import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import Qt  # noqa: E402
import pyqtgraph as pg  # noqa: E402

TITLE_ROW = 30  # pyqtgraph's height of a title row
GAP = 12  # between the title and the legend
MARGIN = 4
CLEAR = 8  # between the header (the legend's lowest row) and the top of the data
SAMPLE_GAP = 2  # between an entry's sample and its name (the name's text has its own margin)


class HeaderLegend(pg.LegendItem):
    """The legend of ``plot_item``, laid out in the header row above the view box.

    It takes as many columns as fit beside the title (fewer, in more rows, when the plot is
    narrow; under the title when even one column does not fit beside it), and the header row
    grows to hold it, so the data below keeps the whole view box. Call :meth:`fit` after the
    title changes (``set_title`` does); entries and resizes refit by themselves.
    """

    def __init__(self, plot_item: pg.PlotItem, **options) -> None:
        super().__init__(offset=None, **options)
        self.layout.setContentsMargins(2, 1, 2, 1)  # no frame to keep clear of: compact rows
        self.plot_item = plot_item
        self._fitting = False
        self.setParentItem(plot_item)
        plot_item.legend = self  # plot(name=...) adds its entries here
        plot_item.vb.sigResized.connect(self.fit)

    def mouseDragEvent(self, event) -> None:  # noqa: N802 - pyqtgraph override
        """Not draggable: dragged into the plot it would cover the data."""
        event.ignore()

    def updateSize(self) -> None:  # noqa: N802 - pyqtgraph override
        """As big as the entries want (pyqtgraph's own measure uses stale widths)."""
        self.resize(self.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize))
        self.update()  # the samples show their items' current pens
        if not self._fitting:
            self.fit()

    def arrange(self, columns: int) -> None:
        """Lay the entries out in ``columns`` columns, row by row (pyqtgraph's own
        ``setColumnCount`` misplaces them once its grid has grown)."""
        columns = max(1, columns)
        for i in range(self.layout.count() - 1, -1, -1):
            self.layout.removeAt(i)
        for i, (sample, label) in enumerate(self.items):
            row, column = divmod(i, columns)
            self.layout.addItem(sample, row, 2 * column, alignment=Qt.AlignmentFlag.AlignVCenter)
            self.layout.addItem(label, row, 2 * column + 1)
        for column in range(columns):  # a sample next to its own name, entries apart
            self.layout.setColumnSpacing(2 * column, SAMPLE_GAP)
        self.columnCount = columns
        self.rowCount = math.ceil(len(self.items) / columns)
        self.updateSize()

    def _wrap(self, wrapped: bool) -> None:
        """Each entry's name on one line, or broken into lines at its `` · `` (a loaded run's
        name after the series: ``… · NVIDIA H200 (reference run, not this machine)``)."""
        for _, label in self.items:
            full = getattr(label, "full_text", None)
            if full is None:
                full = label.full_text = label.text
            text = full.replace(" · ", "<br>") if wrapped else full
            if label.text != text:
                label.setText(text)

    def set_title(self, text: str | None) -> None:
        """Set the plot's title (keeping its colour and size) and refit the header."""
        self.plot_item.setTitle(text)
        self.fit()

    def fit(self, *_args) -> None:
        if self._fitting:
            return
        self._fitting = True
        try:
            self._fit()
        finally:
            self._fitting = False

    def _fit(self) -> None:
        item, title = self.plot_item, self.plot_item.titleLabel
        has_title = title.isVisible() and bool(title.text)
        title_height = TITLE_ROW if has_title else 0
        title_width = title.item.boundingRect().width() if has_title else 0.0
        left = item.getAxis("left")
        room = item.width() - 2 * MARGIN - (left.width() if left.isVisible() else 0)
        count = len(self.items)
        if not count:
            self.hide()
            item.layout.setRowFixedHeight(0, title_height)
            return
        self.show()
        self._wrap(False)
        beside = None  # the most columns that fit beside the title
        for columns in range(count, 0, -1):
            self.arrange(columns)
            if title_width + (GAP if has_title else 0) + self.width() <= room:
                beside = (columns, max(title_height, self.height()))
                break
        under = None  # under the title, as many columns as the width holds
        for columns in range(count, 0, -1):
            self.arrange(columns)
            if self.width() <= room:
                under = (columns, title_height + self.height())
                break
        # the lower header wins (three entries beside the title in one column took a third of
        # a short plot; in a row under it, one line)
        if beside is not None and (under is None or beside[1] <= under[1]):
            self.arrange(beside[0])
            header = beside[1]
        elif under is not None:
            self.arrange(under[0])
            header, beside = under[1], None
        else:  # one column is too wide still: long names on two lines
            self._wrap(True)
            self.arrange(1)
            header = title_height + self.height()
        item.layout.setRowFixedHeight(0, header + CLEAR)
        if has_title:
            title.setMaximumHeight(TITLE_ROW)
            item.layout.setAlignment(title, Qt.AlignmentFlag.AlignTop)
            justify = "left" if beside else "center"
            if title.opts.get("justify") != justify:
                title.setText(title.text, justify=justify)
        self.setPos(item.width() - MARGIN - self.width(),
                    (header - self.height()) / 2 if beside else title_height)
