"""A tensor's min / max / mean / 2-norm: four columns where they fit, else two rows of two.

Four numbers like ``-3.1001e-08`` side by side need about 380 px at 11 pt: more than the
inspector has at 720p, where they made the whole dock scroll sideways (its op/leaf badge cut off).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QWidget


class StatsLabel(QLabel):
    """``set_stats(pairs, muted, points)``: (name, text) pairs as a table of headed columns, as
    many columns as the width takes (all, or half of them in two rows)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._stats: tuple[tuple[str, str], ...] = ()
        self._muted, self._points = "", 10
        self._columns = 0
        self._sizes: dict[str, QSize] = {}  # html → its least size (measured once)

    def set_stats(self, pairs, muted: str, points: int) -> None:
        self._stats, self._muted, self._points = tuple(pairs), muted, points
        self._columns = 0
        self._render()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override: two columns at least
        return QSize(self._html_size(max(1, (len(self._stats) + 1) // 2)).width(),
                     super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._render()

    def _html(self, columns: int) -> str:
        rows = [self._stats[k:k + columns] for k in range(0, len(self._stats), columns)]
        out = []
        for row in rows:
            heads = "".join(f"<td align='center' style='color:{self._muted}; "
                            f"font-size:{self._points - 1}pt'>{name}</td>" for name, _ in row)
            cells = "".join(f"<td align='center' style='font-family:monospace'>{text}</td>"
                            for _, text in row)
            out.append(f"<tr>{heads}</tr><tr>{cells}</tr>")
        return f"<table width='100%' style='font-size:{self._points}pt'>{''.join(out)}</table>"

    def _html_size(self, columns: int) -> QSize:
        text = self._html(columns)
        key = f"{self.font().toString()}|{text}"
        if key not in self._sizes:
            probe = QLabel(text)
            probe.setFont(self.font())
            self._sizes[key] = probe.minimumSizeHint()
        return self._sizes[key]

    def _render(self) -> None:
        every = max(len(self._stats), 1)
        columns = every if self._html_size(every).width() <= self.contentsRect().width() \
            else max(1, (every + 1) // 2)
        if columns != self._columns or not self.text():
            self._columns = columns
            self.setText(self._html(columns))
            self.updateGeometry()
