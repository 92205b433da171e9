"""A label whose picture shrinks to the width it is given (and never grows past its own size).

The step card's heatmaps and numbered grids are drawn for the type size: at a projector's 18 pt a
5-wide grid is wider than the dock, and a plain QLabel would make the whole card that wide, so
the card's text ran on under the dock's edge, cut off. This label asks for no width beyond a
sliver; its height follows its width (the picture keeps its aspect). Without a picture it is a
plain QLabel (a scalar shows as text).
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QStyle, QWidget

MIN_WIDTH = 48  # px: the narrowest a picture is squeezed to


class FitImage(QLabel):
    """``setPixmap`` as usual; the picture is drawn scaled down to fit the label's width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.squeeze = True  # False: its own size, like a QLabel (presentation fits the type)
        policy = QSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def _picture(self):
        pixmap = self.pixmap()
        return None if pixmap is None or pixmap.isNull() else pixmap

    def _scale(self, width: int) -> float:
        pixmap = self._picture()
        return min(1.0, width / pixmap.width()) if pixmap is not None and pixmap.width() else 1.0

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return self._picture() is not None or super().hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        pixmap = self._picture()
        if pixmap is None:
            return super().heightForWidth(width)
        return max(1, round(pixmap.height() * self._scale(width)))

    def set_squeeze(self, on: bool) -> None:
        if on != self.squeeze:
            self.squeeze = on
            self.updateGeometry()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        pixmap = self._picture()
        if pixmap is None:
            return super().minimumSizeHint()
        if not self.squeeze:
            return pixmap.size()
        width = min(pixmap.width(), MIN_WIDTH)
        return QSize(width, self.heightForWidth(width))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        pixmap = self._picture()
        return pixmap.size() if pixmap is not None else super().sizeHint()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        pixmap = self._picture()
        if pixmap is None:
            super().paintEvent(event)
            return
        scale = self._scale(self.width())
        size = QSize(round(pixmap.width() * scale), round(pixmap.height() * scale))
        target = QStyle.alignedRect(self.layoutDirection(), self.alignment(), size,
                                    self.contentsRect())  # where QLabel puts its picture
        painter = QPainter(self)
        if scale < 1.0:
            painter.setRenderHint(QPainter.SmoothPixmapTransform)
        painter.drawPixmap(target, pixmap)
        painter.end()

    def shown_scale(self) -> float:
        """How much the picture is shrunk where it is now (1: its own size)."""
        return self._scale(self.width())
