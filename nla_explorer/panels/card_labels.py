"""Labels for the step card that are cheap to lay out again on every step.

A step refills the card's labels (kept from step to step) and the layouts then ask each changed
word-wrapped label for its height at many widths (the scroll area, the tile grid and the card each
try a few, some several times): a rich-text QLabel lays its whole document out twice for every
such question. :class:`CardLabel` remembers its answers until its text, its font or its look
change.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


class CardLabel(QLabel):
    """A QLabel whose height for a width is computed once per text (the same pixels: it is
    QLabel's own answer, remembered)."""

    _hfw_text: str | None = None

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        text = self.text()
        if text != self._hfw_text:
            self._hfw_text, self._hfw = text, {}
        height = self._hfw.get(width)
        if height is None:
            height = self._hfw[width] = super().heightForWidth(width)
        return height

    def forget_heights(self) -> None:
        self._hfw_text = None

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override: font, style, margins…
        self.forget_heights()
        super().changeEvent(event)

    # what else decides the height of a text: a change forgets the heights measured
    def setWordWrap(self, on: bool) -> None:  # noqa: N802 - Qt override
        if on != self.wordWrap():
            self.forget_heights()
            super().setWordWrap(on)

    def setTextFormat(self, text_format) -> None:  # noqa: N802 - Qt override
        self.forget_heights()
        super().setTextFormat(text_format)

    def setAlignment(self, alignment) -> None:  # noqa: N802 - Qt override
        self.forget_heights()
        super().setAlignment(alignment)

    def setMargin(self, margin: int) -> None:  # noqa: N802 - Qt override
        self.forget_heights()
        super().setMargin(margin)

    def setIndent(self, indent: int) -> None:  # noqa: N802 - Qt override
        self.forget_heights()
        super().setIndent(indent)

    def setPixmap(self, pixmap) -> None:  # noqa: N802 - Qt override
        self.forget_heights()
        super().setPixmap(pixmap)

    def clear(self) -> None:
        self.forget_heights()  # an empty label measures as a new one, not as setText("")
        super().clear()
