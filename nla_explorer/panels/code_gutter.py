"""The code editor's gutter: line numbers, a ▶ at each cell marker, the error line, and colours."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QPlainTextEdit, QToolTip, QWidget

MARKER = "# %%"
RUN_TIP = "Run this cell as real Python in a separate process (Shift+Enter at the cursor)"


def is_marker(line: str) -> bool:
    """Whether ``line`` starts a notebook cell (jupytext percent format: ``# %%``)."""
    return line.startswith(MARKER)


def blend(base: QColor, other: QColor, amount: float) -> QColor:
    """``base`` moved ``amount`` (0 to 1) of the way towards ``other``."""
    return QColor.fromRgbF(*(a + (b - a) * amount for a, b in zip(
        (base.redF(), base.greenF(), base.blueF()), (other.redF(), other.greenF(), other.blueF()))))


@dataclass(frozen=True)
class EditorColours:
    """The colours of the gutter, cell separators and error line, taken from a palette."""

    gutter: QColor
    border: QColor
    number: QColor
    current: QColor
    rule: QColor
    marker: QColor
    error_line: QColor
    error: QColor
    run: QColor
    run_disabled: QColor

    @classmethod
    def of(cls, palette: QPalette) -> EditorColours:
        base, text = palette.color(QPalette.Base), palette.color(QPalette.Text)
        highlight = palette.color(QPalette.Highlight)
        dark = base.lightness() < 128
        error = QColor("#ff6b6b" if dark else "#c62828")
        return cls(gutter=blend(base, text, 0.06), border=blend(base, text, 0.2),
                   number=blend(base, text, 0.5), current=text,
                   rule=blend(base, highlight, 0.65), marker=blend(base, highlight, 0.13),
                   error_line=blend(base, error, 0.25 if dark else 0.16), error=error,
                   run=QColor("#5fd38a" if dark else "#1b7f3b"),
                   run_disabled=blend(base, text, 0.3))


class LineGutter(QWidget):
    """The strip beside a ``CodeEdit``: line numbers, a ▶ where a cell starts, "!" on the error.

    Numbers use the editor's font (current line bold); a click in a ▶ row emits
    ``run_clicked(line)`` with its 1-based line.
    """

    run_clicked = Signal(int)

    PAD = 4

    def __init__(self, editor: QPlainTextEdit) -> None:
        super().__init__(editor)
        self._editor = editor
        self.run_enabled = True
        self.setMouseTracking(True)
        self.setObjectName("code_gutter")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self.width_needed(), 0)

    def width_needed(self) -> int:
        """Room for the ▶ column and the digits of the last line number (at least two)."""
        metrics = self._editor.fontMetrics()
        digits = max(2, len(str(max(1, self._editor.blockCount()))))
        return (self.PAD + self._run_column() + metrics.horizontalAdvance("9") * digits
                + 2 * self.PAD + 2)

    def _run_column(self) -> int:
        return self._editor.fontMetrics().height()

    def _rows(self, bottom: int):
        """``(block, top, height)`` of each visible block from the first one down to ``bottom``."""
        editor = self._editor
        block = editor.firstVisibleBlock()
        top = round(editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top())
        while block.isValid() and top <= bottom:
            height = round(editor.blockBoundingRect(block).height())
            if block.isVisible():
                yield block, top, height
            top += height
            block = block.next()

    def _row_at(self, y: int) -> int | None:
        """The 0-based block number at gutter height ``y``, or ``None`` below the text."""
        for block, top, height in self._rows(y):
            if top <= y < top + height:
                return block.blockNumber()
        return None

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        editor = self._editor
        colours = EditorColours.of(editor.palette())
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        rect = event.rect()
        painter.fillRect(rect, colours.gutter)
        font = QFont(editor.font())
        bold = QFont(font)
        bold.setBold(True)
        metrics = editor.fontMetrics()
        line_height = metrics.height()
        runs = set(editor.run_blocks())
        markers = set(editor.marker_blocks)
        current = editor.textCursor().blockNumber()
        error = editor.error_block
        right = self.width() - 2 * self.PAD
        for block, top, height in self._rows(rect.bottom()):
            if top + height < rect.top():
                continue
            number = block.blockNumber()
            if number == error:
                painter.fillRect(0, top, self.width(), height, colours.error_line)
            elif number in markers:
                painter.fillRect(0, top, self.width(), height, colours.marker)
            if number in markers and number > 0:
                painter.setPen(QPen(colours.rule, 1))
                painter.drawLine(0, top, self.width(), top)
            if number in runs:
                self._draw_run(painter, top, line_height, colours)
            elif number == error:
                painter.setFont(bold)
                painter.setPen(colours.error)
                painter.drawText(self.PAD, top, self._run_column(), line_height, Qt.AlignCenter,
                                 "!")
            painter.setFont(bold if number in (current, error) else font)
            painter.setPen(colours.error if number == error
                           else colours.current if number == current else colours.number)
            painter.drawText(0, top, right, line_height, Qt.AlignRight | Qt.AlignVCenter,
                             str(number + 1))
        painter.setPen(QPen(colours.border, 1))
        painter.drawLine(self.width() - 1, rect.top(), self.width() - 1, rect.bottom())

    def _draw_run(self, painter: QPainter, top: int, line_height: int,
                  colours: EditorColours) -> None:
        """A filled triangle, centred in the ▶ column of the row at ``top``."""
        size = line_height * 0.62
        left = self.PAD + (self._run_column() - size * 0.87) / 2
        middle = top + line_height / 2
        path = QPainterPath(QPointF(left, middle - size / 2))
        path.lineTo(QPointF(left + size * 0.87, middle))
        path.lineTo(QPointF(left, middle + size / 2))
        path.closeSubpath()
        painter.fillPath(path, colours.run if self.run_enabled else colours.run_disabled)

    def _is_run_row(self, y: int) -> int | None:
        number = self._row_at(y)
        return number if number is not None and number in self._editor.run_blocks() else None

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        number = self._is_run_row(round(event.position().y()))
        if event.button() == Qt.LeftButton and number is not None and self.run_enabled:
            self.run_clicked.emit(number + 1)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        runnable = self.run_enabled and self._is_run_row(round(event.position().y())) is not None
        self.setCursor(Qt.PointingHandCursor if runnable else Qt.ArrowCursor)
        super().mouseMoveEvent(event)

    def event(self, event) -> bool:
        if event.type() == QEvent.ToolTip:
            if self._is_run_row(event.pos().y()) is not None:
                QToolTip.showText(event.globalPos(), RUN_TIP, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)
