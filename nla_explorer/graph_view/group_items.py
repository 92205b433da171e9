"""Items of grouped pictures: the frame of an open module group (with its header), and the count
on an edge that stands for several between closed groups.

Like the other items they only paint and report: a double-click on a frame's header or on a closed
group's box is turned into "open/close this group" by the scene.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsSimpleTextItem

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.graph_view.layout.nested import Frame

#: Frames sit below edges (z 0) and boxes (z 1); inner frames above outer ones.
FRAME_Z = -10.0


class FrameItem(QGraphicsRectItem):
    """An open group: a rounded rectangle, tinted a little more at each depth, and a header
    ``▾ layers.7 · TransformerEncoderLayer · 8.5k params``."""

    def __init__(self, group_id: str, frame: Frame, title: str, style: ViewStyle) -> None:
        super().__init__(QRectF(frame.x, frame.y, frame.w, frame.h))
        self.group_id = group_id
        self.frame = frame
        self.title = "▾ " + title
        self.view_style = style
        self.setZValue(FRAME_Z + frame.depth * 0.01)
        self.setToolTip(f"{title}\ndouble-click the header to close")
        self.setAcceptHoverEvents(False)

    def set_view_style(self, style: ViewStyle) -> None:
        self.view_style = style
        self.update()

    def header_rect(self) -> QRectF:
        r = self.rect()
        return QRectF(r.x(), r.y(), r.width(), self.frame.header)

    def paint(self, painter: QPainter, option, widget=None) -> None:  # noqa: D102 - Qt override
        colour = self.view_style.colour("group_frame")
        fill = QColor(colour)
        fill.setAlpha(min(16 + 6 * self.frame.depth, 40))
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setPen(QPen(colour, 1.5 / max(lod, 0.05)))
        painter.setBrush(QBrush(fill))
        painter.drawRoundedRect(self.rect(), 8, 8)
        header = self.header_rect()
        if header.height() * lod < 4:  # too small to read: the outline says enough
            return
        band = QColor(colour)
        band.setAlpha(40)
        painter.fillRect(header.adjusted(1, 1, -1, 0), band)
        fonts = self.view_style.fonts
        room = header.adjusted(fonts.padding, 0, -fonts.padding, 0)
        painter.setFont(self._header_font(lod, room))
        painter.setPen(QPen(self.view_style.colour("surface_text")))  # on the canvas: its theme
        text = painter.fontMetrics().elidedText(self.title, Qt.ElideRight, int(room.width()))
        painter.drawText(room, Qt.AlignVCenter | Qt.AlignLeft, text)

    def _header_font(self, lod: float, room: QRectF) -> QFont:
        """The title's font, larger when zoomed out (like a box's large name): at least the
        scene's legible size on screen, within the header's height (a header too long for the
        frame then ends in "…": its name comes first)."""
        fonts = self.view_style.fonts
        wanted = getattr(self.scene(), "min_label_px", 12.0)
        title_h = fonts.title_metrics.height()
        scale = wanted / max(title_h * lod, 1e-6)
        by_height = room.height() / (title_h * 1.1)
        scale = max(1.0, min(scale, by_height))
        if scale <= 1.0:
            return fonts.title
        big = QFont(fonts.title)
        big.setPointSizeF(fonts.title.pointSizeF() * scale)
        return big


class CountItem(QGraphicsSimpleTextItem):
    """``×12`` beside an edge that stands for 12 between two closed groups (``font`` and
    ``brush`` from :func:`count_look`, shared by all of a picture's counts)."""

    def __init__(self, count: int, points: list[tuple[float, float]], font: QFont,
                 brush: QBrush, ends: tuple[str, str] = ("", "")) -> None:
        super().__init__(f"×{count}")
        self.ends = ends  # the (source, target) boxes of the edge it labels
        self.count = count
        self.setFont(font)
        self.setBrush(brush)
        self.place(points)
        self.setZValue(2)
        self.setToolTip(f"{count} edges between these groups")

    def place(self, points: list[tuple[float, float]]) -> None:
        """Beside the middle of the edge drawn through ``points``."""
        (sx, sy), (tx, ty) = points[0], points[-1]
        mid = points[len(points) // 2] if len(points) > 2 else ((sx + tx) / 2, (sy + ty) / 2)
        self.setPos(mid[0] + 4, mid[1] - self.font().pointSizeF())


def count_look(style: ViewStyle) -> tuple[QFont, QBrush]:
    """The font and colour of the edge counts in ``style``."""
    font = QFont(style.fonts.small)
    font.setBold(True)
    return font, QBrush(style.colour("muted") if not style.is_dark else style.colour("edge"))
