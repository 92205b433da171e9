"""A short guided tour for a student who opens the app alone: a bubble that points at each part.

Shown once on the first start (skippable at any step), again from Help ▸ Tour. Each stop names
a widget of the window; the bubble sits beside it and the widget's dock is raised first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)


@dataclass(frozen=True)
class Stop:
    """One stop: a title, a few sentences, and the widget to point at (found when shown)."""

    title: str
    text: str
    target: Callable[[], QWidget | None]


class Tour(QFrame):
    """The bubble: Back / Next / Skip; ``finished(completed)`` when it closes."""

    finished = Signal(bool)  # True: the last stop was reached; False: skipped

    def __init__(self, window: QWidget, stops: list[Stop]) -> None:
        super().__init__(window)
        self.setObjectName("tour")
        self.window_ = window
        self.stops = stops
        self.index = 0
        self.setFrameShape(QFrame.StyledPanel)
        self.setAutoFillBackground(True)
        # a style sheet replaces the frame's own fill: the bubble paints the window's colour,
        # or the graph shows through its text
        self.setStyleSheet("#tour { background-color: palette(window); "
                           "border: 2px solid #0072b2; border-radius: 8px; }")
        self.title = QLabel()
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.title.setFont(font)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.counter = QLabel()
        self.back_button = QPushButton("Back")
        self.next_button = QPushButton("Next")
        self.skip_button = QPushButton("Skip tour")
        self.back_button.setToolTip("The previous stop")
        self.next_button.setToolTip("The next stop (Enter)")
        self.skip_button.setToolTip("Close the tour; Help ▸ Tour shows it again")
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        self.skip_button.clicked.connect(self.skip)
        self.next_button.setDefault(True)
        row = QHBoxLayout()
        row.addWidget(self.counter)
        row.addStretch(1)
        for button in (self.skip_button, self.back_button, self.next_button):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addLayout(row)
        self.setFixedWidth(380)

    def start(self) -> None:
        self.index = 0
        self._show_stop()
        self.show()
        self.raise_()
        self.next_button.setFocus()

    def next(self) -> None:
        if self.index >= len(self.stops) - 1:
            self._close(True)
            return
        self.index += 1
        self._show_stop()

    def back(self) -> None:
        if self.index > 0:
            self.index -= 1
            self._show_stop()

    def skip(self) -> None:
        self._close(False)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key_Escape:
            self.skip()
        elif event.key() in (Qt.Key_Return, Qt.Key_Enter):
            self.next()
        else:
            super().keyPressEvent(event)

    def _close(self, completed: bool) -> None:
        self.hide()
        self.finished.emit(completed)

    def _show_stop(self) -> None:
        stop = self.stops[self.index]
        self.title.setText(stop.title)
        self.text.setText(stop.text)
        self.counter.setText(f"{self.index + 1} / {len(self.stops)}")
        self.back_button.setEnabled(self.index > 0)
        self.next_button.setText("Done" if self.index == len(self.stops) - 1 else "Next")
        target = stop.target()  # may switch the workspace and raise a dock: then over it all
        self.adjustSize()
        self.move(self._position(target))
        self.raise_()

    def _position(self, target: QWidget | None) -> QPoint:
        """Beside the target (right of it if there is room, else left), inside the window."""
        window = self.window_
        if target is None or not target.isVisible():
            return QPoint((window.width() - self.width()) // 2, (window.height() - self.height())
                          // 3)
        top_left = target.mapTo(window, QPoint(0, 0))
        x = top_left.x() + target.width() + 12
        y = top_left.y() + 12
        if x + self.width() > window.width():
            x = top_left.x() - self.width() - 12
        if x < 0 and target.height() < window.height() // 2:  # a wide, short target: below it
            x, y = top_left.x() + 12, top_left.y() + target.height() + 12
        elif x < 0:  # a wide, tall target: over its top-right corner
            x = max(0, top_left.x() + target.width() - self.width() - 12)
        x = max(0, min(x, window.width() - self.width()))
        y = max(0, min(y, window.height() - self.height()))
        return QPoint(x, y)
