"""Step-card labels that lay out lists of numbers themselves: never broken inside "[ … ]".

A word-wrapped QLabel breaks wherever a space falls, so ``[-0.746, 0.246, …]`` ended up on two
lines at a lecture's type size. These labels hold plain text in a font of their own, measure it
with that font's metrics (what QLabel draws) and break it themselves (``number_lists.wrap``); Qt
never wraps it again. Their height for a width is arithmetic — lines × line height — far cheaper
than a word-wrapped rich-text QLabel, which lays its text out at every width a layout asks about.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPalette
from PySide6.QtWidgets import QLabel, QWidget

from nla_explorer.panels.number_lists import wrap, words

#: px: QLabel rounds a line's width up; a line is laid out at most this much narrower.
SLACK = 1.0
#: px: wide enough for any line unbroken.
UNBROKEN = 1 << 20
#: Between a tensor's shape and its numbers ("5×5 [0.26, …]").
GAP = " "


class WholeListsLabel(QLabel):
    """Plain text laid out by the label (``lay_out``), its height for a width computed, the text
    shown chosen again when the width changes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.PlainText)
        self._widths: dict[str, float] = {}
        self._laid: dict[int, tuple[str, ...]] = {}
        self._heights: dict[int, int] = {}  # the layouts ask at a few widths, many times a step
        self._metrics: QFontMetricsF | None = None
        self._hints: tuple[float, float] | None = None

    # -- what a subclass says -------------------------------------------------------------------
    def lay_out(self, width: float) -> tuple[str, ...]:
        """The lines shown at ``width`` px of text."""
        raise NotImplementedError

    def widths(self) -> tuple[float, float]:
        """The least and the preferred width of the text (px)."""
        raise NotImplementedError

    # -- measuring ------------------------------------------------------------------------------
    def metrics(self) -> QFontMetricsF:
        if self._metrics is None:
            self._metrics = QFontMetricsF(self.font())
        return self._metrics

    def measure(self, text: str) -> float:
        width = self._widths.get(text)
        if width is None:
            width = self._widths[text] = self.metrics().horizontalAdvance(text)
        return width

    def line_height(self) -> int:
        """A line's height as QLabel lays out plain text (its font's height, rounded up)."""
        return math.ceil(self.metrics().height())

    def lines_at(self, width: int) -> tuple[str, ...]:
        lines = self._laid.get(width)
        if lines is None:
            lines = self._laid[width] = self.lay_out(width - SLACK)
        return lines

    def _margins(self) -> tuple[int, int]:
        m = self.contentsMargins()
        return m.left() + m.right(), m.top() + m.bottom()

    def relaid(self) -> None:
        """The content changed: the text shown chosen again for the width the label has."""
        self._widths, self._laid, self._heights = {}, {}, {}
        hints = self.widths()
        if not self._show() and hints != self._hints:  # a new text tells the layouts itself
            self.updateGeometry()
        self._hints = hints

    def _show(self) -> bool:
        """Whether the text shown is another now."""
        text = "\n".join(self.lines_at(self.contentsRect().width()))
        if text == self.text():
            return False
        super().setText(text)
        self.shown_changed()
        return True

    def shown_changed(self) -> None:
        """The text shown is another (a subclass may say more, in a tooltip)."""

    # -- Qt overrides ---------------------------------------------------------------------------
    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override (QLabel's size policy
        return True  # says no for a label that does not wrap, at every setText)

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        height = self._heights.get(width)
        if height is None:
            across, down = self._margins()
            lines = self.lines_at(width - across)
            height = self._heights[width] = \
                (len(lines) * self.line_height() if any(lines) else 0) + down
        return height

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        # as a word-wrapped QLabel: the least width, and the height its text takes unbroken
        # (the layouts ask heightForWidth for the height at the width they give)
        across = self._margins()[0]
        width = math.ceil(self.widths()[0] + SLACK) + across
        return QSize(width, self.heightForWidth(UNBROKEN))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        across = self._margins()[0]
        width = math.ceil(self.widths()[1] + SLACK) + across
        return QSize(width, self.heightForWidth(width))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._show()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.FontChange:  # other metrics: measured and laid out anew
            self._widths, self._laid, self._heights = {}, {}, {}
            self._metrics = self._hints = None
            self._show()
        super().changeEvent(event)


class NumbersLabel(WholeListsLabel):
    """The card's line-by-line numbers (``g = [..] → ∂f/∂x = [..]``): broken between words,
    a list going whole to the next line, or showing fewer numbers where a line cannot hold it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines: tuple[str, ...] = ()
        self._words: list = []

    def set_lines(self, lines) -> None:
        self.lines = tuple(lines)
        self._words = [words(line) for line in self.lines]
        self.relaid()

    def whole_text(self) -> str:
        """The lines as the card wrote them (not broken, every number)."""
        return "\n".join(self.lines)

    def shown_changed(self) -> None:
        # a list shown shorter: every number in the tooltip
        shorter = "…" in self.text() and self.text().count("…") > self.whole_text().count("…")
        self.setToolTip(self.whole_text() if shorter else "")

    def lay_out(self, width: float) -> tuple[str, ...]:
        return wrap(self._words, width, self.measure)

    def widths(self) -> tuple[float, float]:
        if not self.lines:
            return 0.0, 0.0
        least = max(self.measure(word[-1]) for line in self._words for word in line)
        # like a word-wrapped QLabel: a long text asks for no more than 80 characters
        widest = max(self.measure(line) for line in self.lines)
        return least, max(least, min(widest, 80 * self.metrics().averageCharWidth()))


class ListLabel(WholeListsLabel):
    """A tensor's numbers on one line, as many as fit (``[0.26, 1.6, …]`` → ``[0.26, …]``),
    after its shape if given; where shape and one number do not fit, the list goes whole to a
    line of its own under the shape. ``leftover``: it asks only for its least width and shows
    more numbers in what the layout leaves it (a row's caption and picture keep their size)."""

    def __init__(self, parent: QWidget | None = None, leftover: bool = False) -> None:
        super().__init__(parent)
        self.prefix, self.texts = "", ("",)
        self.leftover = leftover
        self._look = None

    def show_list(self, texts: tuple[str, ...], prefix: str = "") -> None:
        """``texts``: the list with the most numbers first (``value_text.list_texts``)."""
        self.prefix, self.texts = prefix, tuple(texts) or ("",)
        self.relaid()

    def set_look(self, points: float, mono: bool = False, colour: str | None = None) -> None:
        """Its type size, typeface and colour (set only where they change: a new font or
        palette polishes the label again)."""
        if (points, mono, colour) == self._look:
            return
        self._look = (points, mono, colour)
        font = QFont("DejaVu Sans Mono") if mono else QFont()  # else the card's typeface
        font.setPointSizeF(points)
        self.setFont(font)
        if colour is not None:
            palette = self.palette()
            palette.setColor(QPalette.WindowText, QColor(colour))
            self.setPalette(palette)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return bool(self.prefix)  # without a shape it is one line at any width

    def _one_line(self, text: str) -> str:
        return f"{self.prefix}{GAP}{text}" if self.prefix else text

    def lay_out(self, width: float) -> tuple[str, ...]:
        fits = next((t for t in self.texts if self.measure(self._one_line(t)) <= width), None)
        if fits is not None or not self.prefix:
            return (self._one_line(fits if fits is not None else self.texts[-1]),)
        below = next((t for t in self.texts if self.measure(t) <= width), self.texts[-1])
        return self.prefix, below

    def widths(self) -> tuple[float, float]:
        shortest = self.texts[-1]
        least = self.measure(self._one_line(shortest))
        if self.prefix:
            least = min(least, max(self.measure(self.prefix), self.measure(shortest)))
        return least, least if self.leftover else self.measure(self._one_line(self.texts[0]))
