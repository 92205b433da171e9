"""The timing panel's results table: one row per result, compact cells, every column it shows
whole (no sideways scrolling on a 720p projector).

A narrow table leaves out the columns that matter least (``timing_cells.PRIORITY``) and says so
under it; every row's full detail is its tooltip, and Ctrl+C (like the panel's Copy) copies
every column of the selected rows.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QHeaderView, QLabel, QStyle, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

from nla_explorer.engine.timing.results import TimingResult, results_to_csv
from nla_explorer.panels.muted_text import muted_colour
from nla_explorer.panels.plot_presenting import BESIDE_FLOOR
from nla_explorer.panels.timing_cells import (
    COLUMNS, ESSENTIAL, HEADER_TIPS, NUMERIC, PRIORITY, relevant, result_cells, row_details,
)

NAIVE_COLUMN = COLUMNS.index("naive")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
SHARE = 0.4  # presenting: the most of the screen's width the table's essential columns take


class ResultsTable(QTableWidget):
    """Read-only rows of results; each cell's tooltip is its row in full."""

    #: The columns left out for want of room (empty: every column with something to say shows).
    columns_left_out = Signal(list)

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        for column, name in enumerate(COLUMNS):
            self.horizontalHeaderItem(column).setToolTip(HEADER_TIPS[name])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(8)
        self.setToolTip("One row per measured case; skipped and failed cases say why. "
                        "Copy or Save CSV… to take them elsewhere.")
        self.results: list[TimingResult] = []
        self._naive = False
        self.left_out: list[str] = []
        self._essential = 0  # the width of the essential columns, frame and scroll bar

    def set_results(self, results: list[TimingResult]) -> None:
        """Show exactly these results, in order."""
        self.setRowCount(0)
        self.results = []
        for r in results:
            self._append(r)
        self.fit_columns()

    def add_result(self, r: TimingResult) -> None:
        """Append one row."""
        self._append(r)
        self.fit_columns()

    def _append(self, r: TimingResult) -> None:
        row = self.rowCount()
        self.insertRow(row)
        self.results.append(r)
        muted = QBrush(QColor(muted_colour(self))) if not r.ok else None  # the theme's grey
        details = row_details(r)
        for column, text in enumerate(result_cells(r)):
            item = QTableWidgetItem(text)
            item.setTextAlignment(_RIGHT if COLUMNS[column] in NUMERIC else _LEFT)
            if muted is not None:
                item.setForeground(muted)
            item.setToolTip(details)
            self.setItem(row, column, item)

    def show_naive(self, visible: bool) -> None:
        self._naive = visible
        self.fit_columns()

    # --- every shown column whole -----------------------------------------------------------
    def _room(self) -> int:
        """The width the columns may take: the viewport's, less a vertical scroll bar if the
        rows need one."""
        room = self.maximumViewportSize().width()
        rows = self.verticalHeader().length() + self.horizontalHeader().height()
        if rows > self.maximumViewportSize().height():
            room -= self.verticalScrollBar().sizeHint().width()
        return room

    def _header_width(self, name: str) -> int:
        header = self.horizontalHeader()
        margin = header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
        return header.fontMetrics().horizontalAdvance(name) + 2 * margin + 4

    def fit_columns(self) -> None:
        """Show the relevant columns that fit, most important first, each as wide as its text."""
        header = self.horizontalHeader()
        wanted = relevant(self.results, self._naive)
        widths = {c: max(self.sizeHintForColumn(c), self._header_width(name))
                  for c, name in enumerate(COLUMNS) if name in wanted}
        room, used, shown, full = self._room(), 0, set(), False
        for column in sorted(widths, key=lambda c: (PRIORITY[COLUMNS[c]], c)):
            full = full or used + widths[column] > room  # the rest give way, in order
            if PRIORITY[COLUMNS[column]] <= ESSENTIAL or not full:
                shown.add(column)
                used += widths[column]
        for column in range(len(COLUMNS)):
            self.setColumnHidden(column, column not in shown)
            if column in shown:
                header.resizeSection(column, widths[column])
        essential = sum(w for c, w in widths.items() if PRIORITY[COLUMNS[c]] <= ESSENTIAL)
        essential += 2 * self.frameWidth() + self.verticalScrollBar().sizeHint().width()
        if essential != self._essential:  # the splitter gives the table at least this
            self._essential = essential
            self.updateGeometry()
        left_out = [COLUMNS[c] for c in sorted(widths) if c not in shown]
        if left_out != self.left_out:
            self.left_out = left_out
            self.columns_left_out.emit(left_out)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Wide enough for the essential columns (``timing_cells.ESSENTIAL``)."""
        return QSize(self._essential, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.fit_columns()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override: a theme switched
        super().changeEvent(event)
        if event.type() == QEvent.FontChange:
            self.fit_columns()
        if event.type() == QEvent.PaletteChange:  # skipped and failed rows: the new grey
            muted = QBrush(QColor(muted_colour(self)))
            for row, r in enumerate(self.results):
                if not r.ok:
                    for column in range(self.columnCount()):
                        self.item(row, column).setForeground(muted)

    # --- copying ----------------------------------------------------------------------------
    def selected_results(self) -> list[TimingResult]:
        rows = sorted({index.row() for index in self.selectedIndexes()})
        return [self.results[row] for row in rows if row < len(self.results)]

    def copy_selection(self) -> str:
        """Every column of the selected rows (all rows if none), tab-separated with a header:
        the columns a narrow table leaves out too."""
        text = results_to_csv(self.selected_results() or self.results, delimiter="\t")
        QGuiApplication.clipboard().setText(text)
        return text

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
            event.accept()
        else:
            super().keyPressEvent(event)


class ResultsBox(QWidget):
    """The table, and under it a line naming the columns it leaves out for room (if any)."""

    def __init__(self, table: ResultsTable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self.note = QLabel(wordWrap=True)
        self.note.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(table, 1)
        layout.addWidget(self.note)
        table.columns_left_out.connect(self._left_out)

    def set_font(self, font: QFont) -> None:
        """The table's and the note's type (presenting: bigger); ``QFont()``: the box's again.

        A point smaller at a time (``BESIDE_FLOOR`` at least) while the table's
        essential columns would take more than ``SHARE`` of the screen: beside the plots, a
        loaded run's source column at the presentation's type left them half the screen."""
        points = font.pointSize() if font.resolveMask() else 0
        screen = self.screen()
        most = round(screen.geometry().width() * SHARE) if screen is not None else 0
        while True:
            for widget in (self.table, self.note):
                widget.setFont(font)
            if not points or points <= BESIDE_FLOOR or not most or \
                    self.table.minimumSizeHint().width() <= most:
                return
            points -= 1
            font = QFont(font)
            font.setPointSize(points)

    def _left_out(self, names: list[str]) -> None:
        self.note.setText(f"Left out for room: {', '.join(names)} (in each row's tooltip, "
                          "and in Copy)" if names else "")
        self.note.setStyleSheet(f"color: {muted_colour(self)};")
        self.note.setVisible(bool(names))

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override: a theme switched
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange:
            self.note.setStyleSheet(f"color: {muted_colour(self)};")
