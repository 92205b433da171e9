"""A table of numbers that copies what it shows (or the full-precision values) as TSV."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget,
)

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class CopyTable(QTableWidget):
    """A read-only table; Copy (Ctrl+C: the selection) puts tab-separated text on the clipboard."""

    copied = Signal(str)  # a short status message after a copy

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
        self._copy_rows: list[list[str]] = []
        self._headers: list[str] = []
        self._copy_headers = self._spread = False

    def set_cells(self, display: list[list[str]], copy: list[list[str]] | None = None,
                  headers: list[str] | None = None, row_labels: list[str] | None = None,
                  copy_headers: bool = False, text_columns: int = 0) -> None:
        """Fill it; ``copy``: full-precision text per cell; the first ``text_columns`` are text."""
        self.clearContents()
        self._copy_rows = copy if copy is not None else display
        self._headers, self._copy_headers = list(headers or []), copy_headers
        n_cols = max((len(r) for r in display), default=0)
        self.setRowCount(len(display))
        self.setColumnCount(n_cols)
        self.setHorizontalHeaderLabels(self._headers or [str(i) for i in range(n_cols)])
        self.setVerticalHeaderLabels(row_labels or [str(i) for i in range(len(display))])
        for r, (row, full) in enumerate(zip(display, self._copy_rows)):
            for c, (text, exact) in enumerate(zip(row, full)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, exact)
                item.setTextAlignment(_LEFT if c < text_columns else _RIGHT)
                self.setItem(r, c, item)
        self._spread = text_columns == 0 and 0 < n_cols <= 6
        self.fit_height()

    def fit_height(self) -> None:
        """Columns fit their contents (numbers spread when they fit); no taller than its rows."""
        self.verticalHeader().setDefaultSectionSize(round(self.fontMetrics().height() * 1.35))
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(not self._spread)
        self.resizeColumnsToContents()
        fits = header.length() <= self.viewport().width()
        if self._spread and fits:
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        height = (header.sizeHint().height() + 2 * self.frameWidth() + 2
                  + self.rowCount() * self.verticalHeader().defaultSectionSize())
        if not fits:  # room for the horizontal scroll bar
            height += self.horizontalScrollBar().sizeHint().height()
        self.setMaximumHeight(max(height, 40))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.fit_height()

    def all_text(self) -> str:
        """Every cell, tab-separated (with the header row for tables of text)."""
        if not self._copy_rows:
            return ""
        lines = ["\t".join(self._headers)] if self._copy_headers and self._headers else []
        return "\n".join(lines + ["\t".join(row) for row in self._copy_rows])

    def copy_all(self, selection_only: bool = False) -> str:
        """Put every cell (or the selected block, if any) on the clipboard; returns the text."""
        text = self.all_text()
        if selection_only and self.selectedRanges():
            sel = self.selectedRanges()[0]
            text = "\n".join("\t".join(str(self.item(r, c).data(Qt.ItemDataRole.UserRole))
                                       for c in range(sel.leftColumn(), sel.rightColumn() + 1))
                             for r in range(sel.topRow(), sel.bottomRow() + 1))
        QGuiApplication.clipboard().setText(text)
        n = sum(len(line.split("\t")) for line in text.splitlines())
        self.copied.emit(f"Copied {n} cell{'s' if n != 1 else ''} to the clipboard")
        return text

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_all(selection_only=True)
            event.accept()
        else:
            super().keyPressEvent(event)
