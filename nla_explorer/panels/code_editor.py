"""The code dock: PyTorch code in cells, captured (Ctrl+Enter) or run as Python (Shift+Enter)."""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QEvent, QRect, Qt, Signal
from PySide6.QtGui import (
    QColor, QFont, QKeySequence, QPainter, QPalette, QPen, QShortcut, QSyntaxHighlighter,
    QTextCharFormat, QTextCursor, QTextFormat, QTextOption,
)
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSplitter, QTextEdit,
    QVBoxLayout, QWidget,
)

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.panels.code_gutter import EditorColours, LineGutter, is_marker
from nla_explorer.panels.code_messages import RUN_LINKS, error_style, line_named_in
from nla_explorer.panels.run_output import RunOutput
from nla_explorer.themes import palette_for

def _format(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Bold)
    fmt.setFontItalic(italic)
    return fmt


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, torch calls, numbers, strings, comments and ``# %%`` cell markers."""

    PATTERNS = [
        re.compile(r"\b(import|from|as|def|class|return|for|in|if|else|lambda|None|True|False)\b"),
        re.compile(r"\b(torch|F|nn|np)\b"),
        re.compile(r"\b\d+(\.\d*)?([eE][-+]?\d+)?\b"),
        re.compile(r"(\"[^\"]*\"|'[^']*')"),
        re.compile(r"#.*$"),
        re.compile(r"^# %%.*$"),
    ]
    LIGHT = [_format("#7a3e9d", bold=True), _format("#0072b2", bold=True), _format("#b34700"),
             _format("#00634a"), _format("#6b6b6b", italic=True), _format("#0b4f9c", bold=True)]
    DARK = [_format("#d29bf5", bold=True), _format("#6cb4ff", bold=True), _format("#ffa36c"),
            _format("#5fd3a6"), _format("#9a9a9a", italic=True), _format("#9ccaff", bold=True)]

    def __init__(self, document) -> None:
        super().__init__(document)
        self.dark = False

    def set_dark(self, dark: bool) -> None:
        """Colours for a dark background (or a light one); highlights the text again."""
        if dark != self.dark:
            self.dark = dark
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        for pattern, fmt in zip(self.PATTERNS, self.DARK if self.dark else self.LIGHT):
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)


class CodeEdit(QPlainTextEdit):
    """A plain-text editor with a line-number gutter, ``# %%`` cell separators and an error line.

    Shift+Enter emits ``run_cell_requested(line)`` (1-based, the cursor's), Ctrl+Shift+Enter
    ``run_all_requested()``; a click on a ▶ in the gutter emits ``run_cell_requested`` too.
    """

    run_cell_requested = Signal(int)
    run_all_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.marker_blocks: tuple[int, ...] = ()
        self.error_block: int | None = None
        self.gutter = LineGutter(self)
        self.gutter.run_clicked.connect(self.run_cell_requested)
        self.blockCountChanged.connect(self._fit_gutter)
        self.updateRequest.connect(self._scroll_gutter)
        self.cursorPositionChanged.connect(self.gutter.update)
        self.document().contentsChange.connect(self._contents_changed)
        self._fit_gutter()

    def run_blocks(self) -> tuple[int, ...]:
        """The 0-based blocks with a ▶: the markers, or the first line when there is none."""
        if self.marker_blocks:
            return self.marker_blocks
        return (0,) if self.document().characterCount() > 1 else ()

    def set_error_line(self, line: int | None) -> None:
        """Mark the 1-based ``line`` (``None`` or out of range: no mark) and scroll to it."""
        valid = line is not None and 1 <= line <= self.blockCount()
        self.error_block = line - 1 if valid else None
        if valid:
            cursor = QTextCursor(self.document().findBlockByNumber(line - 1))
            self.setTextCursor(cursor)
            self.ensureCursorVisible()
        self._refresh()

    def _contents_changed(self, _position: int, removed: int, added: int) -> None:
        if not (removed or added):
            return  # formats only
        self.error_block = None  # an edit makes the reported line stale
        self.marker_blocks = tuple(
            n for n, block in enumerate(self._blocks()) if is_marker(block.text()))
        self._refresh()

    def _blocks(self):
        block = self.document().firstBlock()
        while block.isValid():
            yield block
            block = block.next()

    def _refresh(self) -> None:
        """Rebuild the full-width tints of the markers and the error line; repaint the gutter."""
        colours = EditorColours.of(self.palette())
        selections = [self._line_selection(n, colours.marker) for n in self.marker_blocks
                      if n != self.error_block]
        if self.error_block is not None:
            selections.append(self._line_selection(self.error_block, colours.error_line))
        self.setExtraSelections(selections)
        self.gutter.update()
        self.viewport().update()

    def _line_selection(self, number: int, colour: QColor) -> QTextEdit.ExtraSelection:
        selection = QTextEdit.ExtraSelection()
        fmt = QTextCharFormat()
        fmt.setBackground(colour)
        fmt.setProperty(QTextFormat.FullWidthSelection, True)
        selection.format = fmt
        selection.cursor = QTextCursor(self.document().findBlockByNumber(number))
        return selection

    def _fit_gutter(self, *_args) -> None:
        self.setViewportMargins(self.gutter.width_needed(), 0, 0, 0)
        self._place_gutter()

    def _place_gutter(self) -> None:
        rect = self.contentsRect()
        self.gutter.setGeometry(QRect(rect.left(), rect.top(), self.gutter.width_needed(),
                                      rect.height()))

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._place_gutter()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.FontChange:
            self._fit_gutter()
        elif event.type() == QEvent.PaletteChange:
            self._refresh()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        separators = [n for n in self.marker_blocks if n > 0]
        if not separators:
            return
        painter = QPainter(self.viewport())
        painter.setPen(QPen(EditorColours.of(self.palette()).rule, 1))
        offset, width = self.contentOffset(), self.viewport().width()
        for number in separators:
            block = self.document().findBlockByNumber(number)
            top = round(self.blockBoundingGeometry(block).translated(offset).top())
            if block.isVisible() and event.rect().top() <= top <= event.rect().bottom():
                painter.drawLine(0, top, width, top)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key_Return, Qt.Key_Enter):
            modifiers = event.modifiers() & ~Qt.KeypadModifier
            if modifiers == Qt.ShiftModifier:
                event.accept()
                self.run_cell_requested.emit(self.textCursor().blockNumber() + 1)
                return
            if modifiers == (Qt.ControlModifier | Qt.ShiftModifier):
                event.accept()
                self.run_all_requested.emit()
                return
        super().keyPressEvent(event)


class CodeEditorPanel(QWidget):
    """Emits ``capture_requested(text)`` on Ctrl+Enter or the button; ``show_error`` marks a failure.

    Running as Python: ``run_cell_requested(line)`` (Shift+Enter, ▶ or the button; 1-based),
    ``run_all_requested()`` (Ctrl+Shift+Enter or Run all), ``cancel_requested()`` (Cancel). The
    caller runs the code, reports with ``set_running`` and ``mark_error_line``, fills ``output``.
    """

    capture_requested = Signal(str)
    run_cell_requested = Signal(int)
    run_all_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._running = False
        self.editor = CodeEdit()
        self.editor.setObjectName("code_editor")
        font = QFont("DejaVu Sans Mono", 11)
        font.setStyleHint(QFont.Monospace)
        self.editor.setFont(font)
        # long lines wrap: a narrow dock on a projector shows the whole call (line numbers
        # stay those of the code)
        self.editor.setLineWrapMode(QPlainTextEdit.WidgetWidth)
        self.editor.setWordWrapMode(QTextOption.WrapAtWordBoundaryOrAnywhere)
        self.editor.setTabStopDistance(4 * self.editor.fontMetrics().horizontalAdvance(" "))
        self.editor.setPlaceholderText("Paste the PyTorch code of a notebook cell, then Ctrl+Enter")
        self.highlighter = PythonHighlighter(self.editor.document())
        self.editor.run_cell_requested.connect(self.request_run_cell)
        self.editor.run_all_requested.connect(self.request_run_all)
        self.output = RunOutput()
        self.output.setObjectName("run_output")
        self.output.hide()
        self.output.content_shown.connect(self._reveal_output)
        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.addWidget(self.editor)
        self.splitter.addWidget(self.output)
        self.splitter.setCollapsible(0, False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.error_label = QLabel()
        self.error_label.setObjectName("error_label")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextSelectableByMouse |
                                                 Qt.LinksAccessibleByMouse)
        self.error_label.linkActivated.connect(self._run_from_error)
        self.error_label.hide()
        self.status_label = QLabel()
        self.status_label.setObjectName("run_status")
        self.status_label.setForegroundRole(QPalette.PlaceholderText)
        self.status_label.hide()
        self.button = QPushButton("Capture graph   (Ctrl+Enter)")
        self.button.setToolTip("Read the code through the whitelist, run it and capture its graph")
        self.button.clicked.connect(self.request_capture)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.button)
        layout.addLayout(self._run_buttons())
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self.editor)
            shortcut.setContext(Qt.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.request_capture)
        self.view_style: ViewStyle | None = None
        self._notice = False  # the box shows a notice, not an error
        self._restyle_box()

    def set_view_style(self, style: ViewStyle) -> None:
        """Draw in ``style``'s theme: the panel's palette, the text field's background and text,
        the syntax colours, the gutter (it follows the palette) and the error box."""
        if style == self.view_style:
            return
        self.view_style = style
        palette = palette_for(style.theme)
        palette.setColor(QPalette.Base, style.colour("surface"))
        palette.setColor(QPalette.Text, style.colour("surface_text"))
        self.setPalette(palette)
        self.highlighter.set_dark(style.is_dark)
        self._restyle_box()

    def _restyle_box(self) -> None:
        self.error_label.setStyleSheet(error_style(self.view_style or ViewStyle.light(),
                                                   self.editor.font().pointSizeF(), self._notice))

    def _run_buttons(self) -> QHBoxLayout:
        self.run_cell_button = QPushButton("▶ Run cell   (Shift+Enter)")
        self.run_cell_button.setToolTip(
            "Run the cell at the cursor as real Python (CPython) in a separate process: any "
            "code, not only the whitelist; its output shows below")
        self.run_cell_button.clicked.connect(lambda: self.request_run_cell())
        self.run_all_button = QPushButton("Run all")
        self.run_all_button.setToolTip(
            "Run every cell, in order, as real Python (CPython) in a separate process "
            "(Ctrl+Shift+Enter)")
        self.run_all_button.clicked.connect(self.request_run_all)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the Python process that runs the code")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.cancel_button.hide()
        row = QHBoxLayout()
        row.addWidget(self.run_cell_button, 2)
        row.addWidget(self.run_all_button, 1)
        row.addWidget(self.cancel_button, 1)
        return row

    def text(self) -> str:
        return self.editor.toPlainText()

    def set_text(self, text: str) -> None:
        if text != self.editor.toPlainText():
            self.editor.setPlainText(text)

    def current_line(self) -> int:
        """The 1-based line of the text cursor."""
        return self.editor.textCursor().blockNumber() + 1

    def request_capture(self) -> None:
        self.capture_requested.emit(self.text())

    def request_run_cell(self, line: int | None = None) -> None:
        """Ask to run the cell holding the 1-based ``line`` (the cursor's by default); not while
        a run is going."""
        if not self._running:
            self.run_cell_requested.emit(self.current_line() if line is None else line)

    def request_run_all(self) -> None:
        if not self._running:
            self.run_all_requested.emit()

    def is_running(self) -> bool:
        return self._running

    def set_running(self, running: bool, message: str = "") -> None:
        """While ``running`` the Run buttons and ▶ are off and Cancel shows; ``message`` (when not
        empty) shows in the status line, e.g. "Running In[3] as Python… 2.1 s"."""
        self._running = running
        self.run_cell_button.setEnabled(not running)
        self.run_all_button.setEnabled(not running)
        self.cancel_button.setVisible(running)
        self.editor.gutter.run_enabled = not running
        self.editor.gutter.update()
        self.status_label.setText(message)
        self.status_label.setVisible(bool(message))

    def mark_error_line(self, line: int | None) -> None:
        """Tint the 1-based ``line`` red and scroll to it; ``None`` (or an edit) clears it."""
        self.editor.set_error_line(line)

    def show_error(self, message: str, notice: bool = False) -> None:
        """Show ``message`` under the code ("" hides it); the line it names is marked, and the
        mark goes when the error does. A ``notice`` is no error: drawn in the note colours."""
        if notice != self._notice:
            self._notice = notice
            self._restyle_box()
        for link, hint in RUN_LINKS.items():  # the refusal's own way out, one click away
            if hint in message:
                before, _, after = message.partition(hint)
                message = (f"{html.escape(before)}<a href='{link}'>{html.escape(hint)}</a>"
                           f"{html.escape(after)}")
                break
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))
        self.mark_error_line(line_named_in(message))

    def _run_from_error(self, link: str) -> None:
        """The refusal's link: run every cell, or the cell of the line it names (the cursor's
        without one)."""
        if link == "all":
            self.request_run_all()
        else:
            self.request_run_cell(line_named_in(self.error_label.text()))

    def set_font_size(self, points: int) -> None:
        font = self.editor.font()
        font.setPointSize(points)
        self.editor.setFont(font)
        self._restyle_box()
        self.output.set_font_size(points)

    def _reveal_output(self) -> None:
        """Show the output pane below the editor the first time, or again if dragged shut."""
        if not self.output.isHidden() and self.splitter.sizes()[1] > 0:
            return
        self.output.show()
        total = sum(self.splitter.sizes())
        if total > 0:
            self.splitter.setSizes([total * 3 // 5, total - total * 3 // 5])
