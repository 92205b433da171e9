"""The code dock: course-style PyTorch code, captured on Ctrl+Enter, with the error shown in place."""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import (
    QColor, QFont, QKeySequence, QPalette, QShortcut, QSyntaxHighlighter, QTextCharFormat,
)
from PySide6.QtWidgets import (
    QApplication, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget,
)


def _format(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Bold)
    fmt.setFontItalic(italic)
    return fmt


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, torch calls, numbers, strings and comments."""

    PATTERNS = [
        re.compile(r"\b(import|from|as|def|class|return|for|in|if|else|lambda|None|True|False)\b"),
        re.compile(r"\b(torch|F|nn|np)\b"),
        re.compile(r"\b\d+(\.\d*)?([eE][-+]?\d+)?\b"),
        re.compile(r"(\"[^\"]*\"|'[^']*')"),
        re.compile(r"#.*$"),
    ]
    LIGHT = [_format("#7a3e9d", bold=True), _format("#0072b2", bold=True), _format("#b34700"),
             _format("#00634a"), _format("#777777", italic=True)]
    DARK = [_format("#d29bf5", bold=True), _format("#6cb4ff", bold=True), _format("#ffa36c"),
            _format("#5fd3a6"), _format("#9a9a9a", italic=True)]

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        dark = QApplication.palette().color(QPalette.Base).lightness() < 128
        for pattern, fmt in zip(self.PATTERNS, self.DARK if dark else self.LIGHT):
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)


class CodeEditorPanel(QWidget):
    """Emits ``capture_requested(text)`` on Ctrl+Enter or the button; ``show_error`` marks a failure."""

    capture_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("code_editor")
        font = QFont("DejaVu Sans Mono", 11)
        font.setStyleHint(QFont.Monospace)
        self.editor.setFont(font)
        self.editor.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.editor.setTabStopDistance(4 * self.editor.fontMetrics().horizontalAdvance(" "))
        self.editor.setPlaceholderText("Paste the PyTorch code of a notebook cell, then Ctrl+Enter")
        self.highlighter = PythonHighlighter(self.editor.document())
        self.error_label = QLabel()
        self.error_label.setObjectName("error_label")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.error_label.setStyleSheet(
            "QLabel { color: #9b1c1c; background: #fdecea; border: 1px solid #e4a3a3;"
            " border-radius: 4px; padding: 6px; }")
        self.error_label.hide()
        self.button = QPushButton("Capture graph   (Ctrl+Enter)")
        self.button.setToolTip("Read the code through the whitelist, run it and capture its graph")
        self.button.clicked.connect(self.request_capture)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.button)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self.editor)
            shortcut.setContext(Qt.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.request_capture)


    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.type() in (QEvent.PaletteChange, QEvent.ApplicationPaletteChange):
            self.highlighter.rehighlight()  # colours for the new theme
        super().changeEvent(event)
    def text(self) -> str:
        return self.editor.toPlainText()

    def set_text(self, text: str) -> None:
        if text != self.editor.toPlainText():
            self.editor.setPlainText(text)

    def request_capture(self) -> None:
        self.capture_requested.emit(self.text())

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    def set_font_size(self, points: int) -> None:
        font = self.editor.font()
        font.setPointSize(points)
        self.editor.setFont(font)
