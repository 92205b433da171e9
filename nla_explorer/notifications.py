"""Non-modal notifications: a line in the status bar, with the details one click away.

Errors never freeze the window behind a modal box: the message shows in the status bar in the
error colour, and "Details…" opens a non-modal window with the full text (a traceback, a path).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QStatusBar, QWidget

from nla_explorer.panels.muted_text import palette_style

#: How long a notification stays (ms); errors stay until the next one or a click.
INFO_MS = 8000


class Notifications(QWidget):
    """Lives in a status bar; ``notify(text, details, error)`` shows one message."""

    def __init__(self, status_bar: QStatusBar) -> None:
        super().__init__(status_bar)
        self.status_bar = status_bar
        self.text = QLabel()
        self.text.setObjectName("notification")
        self.error = False
        self.details_button = QPushButton("Details…")
        self.details_button.setToolTip("The whole message, in a window you can copy from")
        self.details_button.clicked.connect(self.show_details)
        self.close_button = QPushButton("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setFlat(True)
        self.close_button.clicked.connect(self.clear)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.text)
        row.addWidget(self.details_button)
        row.addWidget(self.close_button)
        self.details = ""
        self.dialog: QMessageBox | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)
        status_bar.addWidget(self, 1)
        self.clear()

    def notify(self, text: str, details: str = "", error: bool = True) -> None:
        self.status_bar.clearMessage()  # a temporary message would hide this one
        self.text.setText(text)
        self.error = error
        self._style_text()
        self.details = details
        self.details_button.setVisible(bool(details))
        self.close_button.show()
        self.show()
        if error:
            self._timer.stop()
        else:
            self._timer.start(INFO_MS)

    def clear(self) -> None:
        self.text.setText("")
        self.details = ""
        self.details_button.hide()
        self.close_button.hide()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override: a theme switched
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange:
            self._style_text()

    def _style_text(self) -> None:
        """An error in the error colour of the theme the status bar is painted in."""
        colour = palette_style(self).error
        self.text.setStyleSheet(f"color: {colour}; font-weight: bold" if self.error else "")

    def show_details(self) -> QMessageBox:
        box = QMessageBox(QMessageBox.Warning, "Details", self.text.text(), QMessageBox.Close,
                          self.window())
        box.setDetailedText(self.details)
        box.setModal(False)
        box.show()
        self.dialog = box
        return box
