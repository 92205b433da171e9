"""One-line labels of the inspector's header that elide what does not fit, never widening the dock.

A node's name (``model.layers.10.self_attn.out_proj.weight``) or its module path is as long as the
model makes it. In a QLabel such a line sets the dock's least width: the inspector then scrolled
sideways at 720p and its op/leaf badge was cut off. An :class:`ElidedLine` asks for only a few
characters of width, shows as much as fits (the middle of its longest part elided: both ends of a
path say most) and keeps the whole line in its tooltip.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

LEAST_CHARS = 6  # the width asked for at least, in average characters
NAME_CHARS = 28  # a name in a sentence of the inspector: at most this many characters
CODE_FAMILIES = ["Courier New", "courier"]  # what Qt's rich text draws <code> in


def short_name(name: str, most: int = NAME_CHARS) -> str:
    """``name`` in at most ``most`` characters, its middle elided: for sentences that wrap, where
    a word longer than the dock is wide would widen it."""
    if len(name) <= most:
        return name
    head = most // 2
    return f"{name[:head]}…{name[len(name) - (most - 1 - head):]}"


class ElidedLine(QLabel):
    """A line of parts ``(text, code)`` (code parts in monospace); what does not fit is elided in
    the middle of the longest part, and the tooltip holds the whole line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parts: tuple[tuple[str, bool], ...] = ()
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setWordWrap(False)

    def set_parts(self, parts) -> None:
        """Show ``parts``: ``(text, code)`` pairs, or a plain string."""
        self._parts = ((parts, False),) if isinstance(parts, str) else tuple(parts)
        self.setToolTip(self.full_text())
        self._render()

    def full_text(self) -> str:
        """The whole line as plain text (what the tooltip says)."""
        return "".join(text for text, _ in self._parts)

    def is_elided(self) -> bool:
        return self._shown() != [text for text, _ in self._parts]

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        least = int(self.fontMetrics().averageCharWidth() * LEAST_CHARS)
        margins = self.contentsMargins()
        return QSize(min(hint.width(), least + margins.left() + margins.right()), hint.height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override: the whole line, when there is room
        hint = super().sizeHint()
        margins = self.contentsMargins()
        whole = sum(self._metrics(code).horizontalAdvance(t) for t, code in self._parts)
        return QSize(int(whole + 2) + margins.left() + margins.right(), hint.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._render()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override: a style sheet's new font
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._render()

    def _metrics(self, code: bool) -> QFontMetricsF:
        if not code:
            return QFontMetricsF(self.font())
        font = QFont(self.font())
        font.setFamilies(CODE_FAMILIES)
        font.setFixedPitch(True)
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        return QFontMetricsF(font)

    def _shown(self) -> list[str]:
        """The parts as they fit the label's width: the longest elided first, then the next."""
        room = self.contentsRect().width() - 2  # (rich text's rounding)
        texts = [text for text, _ in self._parts]
        widths = [self._metrics(code).horizontalAdvance(t) for t, code in self._parts]
        for k in sorted(range(len(texts)), key=lambda i: -widths[i]):
            over = sum(widths) - room
            if over <= 0:
                break
            metrics = self._metrics(self._parts[k][1])
            texts[k] = metrics.elidedText(texts[k], Qt.TextElideMode.ElideMiddle,
                                          max(widths[k] - over, 0))
            widths[k] = metrics.horizontalAdvance(texts[k])
        return texts

    def _render(self) -> None:
        shown = self._shown()
        text = "".join(f"<code>{html.escape(t)}</code>" if code else html.escape(t)
                       for t, (_, code) in zip(shown, self._parts))
        if text != self.text():
            self.setText(text)


class InfoGrid(QWidget):
    """The header's facts (``shape (5, 5)``, ``dtype float32`` …): two pairs a row where they fit
    the dock's width, else one (projector fonts in a 720p dock); ``values`` by key, and the
    ``keys``' labels, for the owner to fill and style. Call ``reflow()`` after changing them."""

    def __init__(self, keys, wide_alone: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(10)
        self._grid.setVerticalSpacing(2)
        self._wide_alone = wide_alone  # a key whose value takes a row of its own ("step 6 of 9")
        self.values: dict[str, QLabel] = {}
        self.keys: list[QLabel] = []
        for key in keys:
            value = QLabel("—")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[key] = value
            self.keys.append(QLabel(key))
        self._columns = 0
        self._place(2)

    def reflow(self) -> None:
        """Two pairs a row if they fit the width now, else one."""
        if self._place(2 if self._two_wide() <= self.width() else 1):
            self.updateGeometry()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override: a pair a row at least
        spacing = self._grid.horizontalSpacing()
        widest = max((k.sizeHint().width() + spacing + v.sizeHint().width()
                      for k, v in zip(self.keys, self.values.values())), default=0)
        return QSize(widest, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.reflow()

    def _two_wide(self) -> int:
        """The width two pairs a row take (each column as wide as its widest label)."""
        for label in [*self.keys, *self.values.values()]:
            label.ensurePolished()  # a style sheet's font set just now: measured in it
        spacing = self._grid.horizontalSpacing()
        keys = [k.sizeHint().width() for k in self.keys]
        values = [v.sizeHint().width() for v in self.values.values()]
        names = list(self.values)
        pairs = [k for k in range(len(names)) if names[k] != self._wide_alone]
        alone = [k for k in range(len(names)) if names[k] == self._wide_alone]
        first = max([keys[k] for k in pairs[0::2] + alone], default=0)
        rest = sum(max((widths[k] for k in pairs[c::2]), default=0)
                   for widths, c in ((values, 0), (keys, 1), (values, 1)))
        return first + max(rest + 2 * spacing, max((values[k] for k in alone), default=0)) \
            + spacing

    def _place(self, columns: int) -> bool:
        """Lay the pairs out ``columns`` a row; whether that changed anything."""
        if columns == self._columns:
            return False
        self._columns = columns
        for label in [*self.keys, *self.values.values()]:
            self._grid.removeWidget(label)
        for column in range(4):
            self._grid.setColumnStretch(column, 0)
        for i, ((key, value), name) in enumerate(zip(self.values.items(), self.keys)):
            row, column = divmod(i, columns)
            self._grid.addWidget(name, row, column * 2)
            span = 3 if key == self._wide_alone and columns == 2 else 1
            self._grid.addWidget(value, row, column * 2 + 1, 1, span)
            self._grid.setColumnStretch(column * 2 + 1, 1)
        return True
