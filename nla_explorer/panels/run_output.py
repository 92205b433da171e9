"""The output pane of Python runs: per cell, its label, printed text, figures and error."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QPlainTextEdit, QScrollArea, QSizePolicy, QToolButton,
    QVBoxLayout, QWidget,
)

from nla_explorer.panels.code_gutter import blend

MAX_CHARS = 200_000  # shown at most, over all entries: more would make the pane sluggish
MAX_LINES_TALL = 24  # a text taller than this scrolls inside its own box


@dataclass(frozen=True)
class OutputEntry:
    """One cell run: its label ("In[3]", "Out"), its printed text, PNG figures and error text."""

    label: str
    text: str
    figures: tuple[bytes, ...] = ()
    error: str = ""


def _error_colours(palette: QPalette) -> tuple[QColor, QColor]:
    """(text, background) of an error, red in the theme of ``palette``."""
    base = palette.color(QPalette.Base)
    dark = base.lightness() < 128
    red = QColor("#ff8a80" if dark else "#b71c1c")
    return red, blend(base, red, 0.14 if dark else 0.07)


class _TextBox(QPlainTextEdit):
    """Read-only monospace text as tall as its lines (up to ``MAX_LINES_TALL``, then it scrolls)."""

    def __init__(self, text: str, error: bool, points: int) -> None:
        super().__init__()
        self.error = error
        self.setObjectName("output_error" if error else "output_text")
        self.setReadOnly(True)
        # a traceback wraps (its last line says what went wrong); printed tensors keep their columns
        self.setLineWrapMode(QPlainTextEdit.WidgetWidth if error else QPlainTextEdit.NoWrap)
        self.setTextInteractionFlags(Qt.TextSelectableByMouse | Qt.TextSelectableByKeyboard)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setPlainText(text.rstrip("\n"))  # the last newline of print() is no line to show
        self.set_points(points)
        self.recolour()

    def set_points(self, points: int) -> None:
        font = QFont("DejaVu Sans Mono", points)
        font.setStyleHint(QFont.Monospace)
        self.setFont(font)
        self._fit_height()

    def recolour(self) -> None:
        if not self.error:
            return
        palette = self.parentWidget().palette() if self.parentWidget() else self.palette()
        text, background = _error_colours(palette)
        own = self.palette()
        own.setColor(QPalette.Text, text)
        own.setColor(QPalette.Base, background)
        self.setPalette(own)

    def _fit_height(self) -> None:
        """As tall as the lines (at most ``MAX_LINES_TALL``), plus the scroll bar of wide text."""
        lines = min(max(1, round(self.document().size().height())), MAX_LINES_TALL)
        margins = 2 * (self.frameWidth() + round(self.document().documentMargin())) + 2
        height = lines * self.fontMetrics().lineSpacing() + margins
        if self.horizontalScrollBar().maximum() > 0:
            height += self.horizontalScrollBar().sizeHint().height()
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_height()


class _Figure(QLabel):
    """A PNG figure, scaled down to fit the pane's width (never up: it would blur)."""

    def __init__(self, png: bytes) -> None:
        super().__init__()
        self.setObjectName("output_figure")
        self.original = QPixmap()
        self.original.loadFromData(png, "PNG")
        self.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        if self.original.isNull():
            self.setText("(a figure that could not be read)")

    def fit(self, width: int) -> None:
        if self.original.isNull() or width <= 0:
            return
        pixmap = self.original
        if pixmap.width() > width:
            pixmap = pixmap.scaledToWidth(width, Qt.SmoothTransformation)
        self.setPixmap(pixmap)
        self.setFixedHeight(pixmap.height())


class RunOutput(QWidget):
    """What Python runs printed, drew and raised: ``show_result(entries)``, ``clear()``.

    Emits ``content_shown()`` when ``show_result`` puts something in view.
    """

    content_shown = Signal()

    def __init__(self, parent: QWidget | None = None, points: int = 11) -> None:
        super().__init__(parent)
        self._points = points
        self.entries: tuple[OutputEntry, ...] = ()
        self.title = QLabel("Python output")
        self.title.setObjectName("output_title")
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Clear the output of the Python runs")
        self.clear_button.setAutoRaise(True)
        self.clear_button.clicked.connect(self.clear)
        bar = QHBoxLayout()
        bar.setContentsMargins(2, 0, 2, 0)
        bar.addWidget(self.title)
        bar.addStretch(1)
        bar.addWidget(self.clear_button)
        self.body = QWidget()
        self.body.setObjectName("output_body")
        self.rows = QVBoxLayout(self.body)
        self.rows.setContentsMargins(8, 6, 8, 8)
        self.rows.setSpacing(4)
        self.rows.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.body)
        self.scroll.setBackgroundRole(QPalette.Base)
        self.scroll.viewport().installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)
        self.set_font_size(points)

    def clear(self) -> None:
        self.entries = ()
        while self.rows.count() > 1:
            widget = self.rows.takeAt(0).widget()
            if widget is not None:
                widget.setParent(None)  # gone from findChildren at once
                widget.deleteLater()

    def show_result(self, entries: Iterable[OutputEntry]) -> None:
        """Show ``entries`` (one per cell run) in place of what was there."""
        self.clear()
        self.entries = tuple(entries)
        budget = MAX_CHARS
        for entry in self.entries:
            self._add(self._header(entry.label))
            budget = self._add_text(entry.text, False, budget)
            for png in entry.figures:
                figure = _Figure(png)
                figure.setFont(self._body_font())
                self._add(figure)
                figure.fit(self._figure_width())
            budget = self._add_text(entry.error, True, budget)
            if not (entry.text or entry.figures or entry.error):
                self._add(self._note("(no output)"))
        if self.entries:
            self.content_shown.emit()

    def set_font_size(self, points: int) -> None:
        self._points = points
        self.title.setFont(self._body_font(bold=True))
        self.clear_button.setFont(self._body_font())
        for widget in self._widgets():
            if isinstance(widget, _TextBox):
                widget.set_points(points)
            elif widget.objectName() == "output_header":
                widget.setFont(self._body_font(bold=True, bigger=1))
            else:
                widget.setFont(self._body_font())

    def texts(self) -> list[str]:
        """The texts in view, printed and error, in order (for tests and copying)."""
        return [w.toPlainText() for w in self._widgets() if isinstance(w, _TextBox)]

    def _widgets(self) -> list[QWidget]:
        items = (self.rows.itemAt(i) for i in range(self.rows.count()))
        return [item.widget() for item in items if item.widget() is not None]

    def _add(self, widget: QWidget) -> None:
        self.rows.insertWidget(self.rows.count() - 1, widget)

    def _add_text(self, text: str, error: bool, budget: int) -> int:
        if not text:
            return budget
        shown = text[:max(budget, 0)]
        if shown:
            self._add(_TextBox(shown, error, self._points))
        if len(text) > len(shown):
            self._add(self._note(f"… {len(text) - len(shown):,} more characters not shown"))
        return budget - len(shown)

    def _header(self, label: str) -> QLabel:
        header = QLabel(label)
        header.setObjectName("output_header")
        header.setFont(self._body_font(bold=True, bigger=1))
        header.setForegroundRole(QPalette.Link)
        header.setContentsMargins(0, 6, 0, 0)
        return header

    def _note(self, text: str) -> QLabel:
        note = QLabel(text)
        note.setObjectName("output_note")
        font = self._body_font()
        font.setItalic(True)
        note.setFont(font)
        note.setForegroundRole(QPalette.PlaceholderText)
        return note

    def _body_font(self, bold: bool = False, bigger: int = 0) -> QFont:
        font = QFont(self.font())
        font.setPointSize(self._points + bigger)
        font.setBold(bold)
        return font

    def _figure_width(self) -> int:
        margins = self.rows.contentsMargins()
        return self.scroll.viewport().width() - margins.left() - margins.right()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.scroll.viewport() and event.type() == QEvent.Resize:
            for widget in self._widgets():
                if isinstance(widget, _Figure):
                    widget.fit(self._figure_width())
        return super().eventFilter(watched, event)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange:
            for widget in self._widgets():
                if isinstance(widget, _TextBox):
                    widget.recolour()
