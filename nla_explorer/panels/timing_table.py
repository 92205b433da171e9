"""The timing panel's results table: one row per result, times with units, reasons for skips."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from nla_explorer.engine.timing.results import TimingResult, seconds_text
from nla_explorer.panels.muted_text import muted_colour

COLUMNS = ("op", "dtype", "device", "n", "median", "IQR", "repeats", "GFLOP/s", "GB/s",
           "naive", "transfer", "status", "source")
NAIVE_COLUMN = COLUMNS.index("naive")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def result_cells(r: TimingResult) -> list[str]:
    """The display text of one row."""
    status = r.status if r.ok else f"{r.status}: {r.error or ''}"
    if r.ok and r.note:
        status += f" ({r.note})"
    return [r.op, r.dtype, r.device, str(r.size), seconds_text(r.median_s),
            seconds_text(r.iqr_s), str(r.repeats) if r.repeats else "", _rate(r.gflops),
            _rate(r.gbps), seconds_text(r.naive_s), seconds_text(r.transfer_s), status,
            r.source or "this run"]


class ResultsTable(QTableWidget):
    """Read-only rows of results; the device's full name is each device cell's tooltip."""

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.setToolTip("One row per measured case; skipped and failed cases say why. "
                        "Copy or Save CSV… to take them elsewhere.")

    def set_results(self, results: list[TimingResult]) -> None:
        """Show exactly these results, in order."""
        self.setRowCount(0)
        for r in results:
            self.add_result(r)

    def add_result(self, r: TimingResult) -> None:
        """Append one row."""
        row = self.rowCount()
        self.insertRow(row)
        muted = QBrush(QColor(muted_colour(self))) if not r.ok else None  # the theme's grey
        for column, text in enumerate(result_cells(r)):
            item = QTableWidgetItem(text)
            item.setTextAlignment(_RIGHT if 3 <= column <= 10 else _LEFT)
            if muted is not None:
                item.setForeground(muted)
            if COLUMNS[column] == "device" and r.device_label:
                item.setToolTip(r.device_label)
            if COLUMNS[column] == "status" and not r.ok:
                item.setToolTip(r.error or "")
            self.setItem(row, column, item)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override: a theme switched
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange:  # skipped and failed rows: the new grey
            muted = QBrush(QColor(muted_colour(self)))
            status = COLUMNS.index("status")
            for row in range(self.rowCount()):
                cell = self.item(row, status)
                if cell is not None and cell.foreground().style() != Qt.BrushStyle.NoBrush:
                    for column in range(self.columnCount()):
                        self.item(row, column).setForeground(muted)

    def show_naive(self, visible: bool) -> None:
        self.setColumnHidden(NAIVE_COLUMN, not visible)
