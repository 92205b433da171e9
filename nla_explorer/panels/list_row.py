"""The layout of one accumulation row: caption, heatmap and the list of numbers on one line, or
the list whole on a line of its own under them where the row is too narrow for all three (the
caption unbroken).

A QHBoxLayout makes the row as wide as its three parts' least widths together; at a lecture's
type in a narrow card that is wider than the card, and presentation mode then shrinks the whole
card's type. This layout asks only for the wider of "caption and picture" and "the list".
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget

#: px between the parts of a line, and between the two lines.
SPACING = 6


class ListRowLayout(QLayout):
    """Three widgets — caption, picture, list — laid out on one line or two (see the module)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[QLayoutItem] = []
        self.setContentsMargins(0, 0, 0, 0)
        self._at: dict[int, tuple] = {}  # width → (one line?, widths, height): asked often

    def invalidate(self) -> None:
        """A part changed (text, picture, shown or hidden): measured anew."""
        self._at = {}
        super().invalidate()

    # -- QLayout's bookkeeping ------------------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt override
        self.items.append(item)

    def count(self) -> int:
        return len(self.items)

    def itemAt(self, index: int):  # noqa: N802 - Qt override
        return self.items[index] if 0 <= index < len(self.items) else None

    def takeAt(self, index: int):  # noqa: N802 - Qt override
        return self.items.pop(index) if 0 <= index < len(self.items) else None

    def expandingDirections(self):  # noqa: N802 - Qt override
        return Qt.Horizontal

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    # -- the two arrangements -------------------------------------------------------------------
    def _parts(self) -> tuple[QLayoutItem | None, QLayoutItem | None, QLayoutItem]:
        head, picture, values = self.items
        return head, (None if picture.isEmpty() else picture), values

    def _head_min(self) -> int:
        head, picture, _ = self._parts()
        least = head.minimumSize().width()
        return least + (SPACING + picture.minimumSize().width() if picture else 0)

    def one_line(self, width: int) -> bool:
        """Whether caption, picture and list fit side by side at ``width``, the caption unbroken
        (a name such as ∂f/∂x broken after its "/" reads as two things too)."""
        return self._arranged(width)[0]

    def _arranged(self, width: int) -> tuple:
        at = self._at.get(width)
        if at is None:
            head, picture, values = self._parts()
            least = head.sizeHint().width() + SPACING + values.minimumSize().width()
            one_line = width >= least + (SPACING + picture.minimumSize().width() if picture
                                         else 0)
            widths = self._widths(width, one_line)
            at = self._at[width] = (one_line, widths, self._measure(width, one_line, widths))
        return at

    def _widths(self, width: int, one_line: bool) -> tuple[int, int, int]:
        """The caption's, the picture's and the list's widths: on one line the picture and the
        caption take up to their own widths and the list the rest; on two lines the list has
        the whole width."""
        head, picture, values = self._parts()
        gap = SPACING if picture else 0
        beside = values.minimumSize().width() + SPACING if one_line else 0
        head_least = head.minimumSize().width()
        shot = 0
        if picture:  # a picture that may shrink (a narrow dock) gives way to the caption
            room = width - head_least - gap - beside
            shot = max(picture.minimumSize().width(), min(picture.sizeHint().width(), room))
        caption = max(head_least, min(head.sizeHint().width(), width - shot - gap - beside))
        rest = width - caption - shot - gap - SPACING if one_line else width
        return caption, shot, rest

    @staticmethod
    def _height(item: QLayoutItem | None, width: int) -> int:
        if item is None:
            return 0
        return item.heightForWidth(width) if item.hasHeightForWidth() else item.sizeHint().height()

    def _measure(self, width: int, one_line: bool, widths: tuple[int, int, int]) -> int:
        head, picture, values = self._parts()
        caption, shot, rest = widths
        top = max(self._height(head, caption), self._height(picture, shot))
        if one_line:
            return max(top, self._height(values, rest))
        return top + SPACING + self._height(values, rest)

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return self._arranged(width)[2]

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt override
        # as a word-wrapped label: the least width, and the height of one line (the layouts ask
        # heightForWidth for the height at the width they give)
        width = max(self._head_min(), self.items[2].minimumSize().width())
        return QSize(width, self.heightForWidth(self.sizeHint().width()))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        head, picture, values = self._parts()
        width = head.sizeHint().width() + SPACING + values.sizeHint().width() + (
            picture.sizeHint().width() + SPACING if picture else 0)
        return QSize(width, self.heightForWidth(width))

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt override
        """Each part the full height of its line (the labels and the picture centre their
        content in it, as in a QHBoxLayout)."""
        super().setGeometry(rect)
        head, picture, values = self._parts()
        width, x, y = rect.width(), rect.x(), rect.y()
        one_line, (caption, shot, rest), _ = self._arranged(width)
        lower = 0 if one_line else SPACING + self._height(values, rest)
        line = max(self._height(head, caption), self._height(picture, shot),
                   self._height(values, rest) if one_line else 0, rect.height() - lower)
        head.setGeometry(QRect(x, y, caption, line))
        if picture:
            picture.setGeometry(QRect(x + caption + SPACING, y, shot, line))
        if one_line:
            values.setGeometry(QRect(x + width - rest, y, rest, line))
        else:
            values.setGeometry(QRect(x, y + line + SPACING, rest, lower - SPACING))
