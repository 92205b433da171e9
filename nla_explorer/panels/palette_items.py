"""What the block palette draws: category icons, the search field's magnifier, an entry's
tooltip and formula, and what a dragged entry carries."""

from __future__ import annotations

import html
from functools import lru_cache
from math import ceil

from PySide6.QtCore import QByteArray, QMimeData, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor, QFont, QFontMetrics, QFontMetricsF, QIcon, QPainter, QPen, QPixmap, QPolygonF,
)
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine.blocks.palette_entries import PaletteEntry

MIME_TYPE = "application/x-nla-block"
KEY_ROLE = Qt.UserRole + 1
FORMULA_ROLE = Qt.UserRole + 2

#: (border and glyph, fill) per category: the graph's Okabe–Ito kinds where they exist.
CATEGORY_COLOURS = {
    "inputs": ("#9c8a00", "#fbf5cf"),  # constants
    "parameters": ("#0072b2", "#d4e8f7"),  # leaves that get a gradient
    "arithmetic": ("#5f5f5f", "#f1f1f1"),  # operations
    "linear algebra": ("#6a51a3", "#ebe6f5"),
    "shape": ("#3d7ea6", "#e3f0f8"),
    "reductions": ("#00785a", "#dcf1ea"),
    "elementwise": ("#5f5f5f", "#f1f1f1"),
    "activations": ("#a8457f", "#f6e3ee"),
    "losses": ("#d55e00", "#fbdcc8"),  # what becomes the output
    "pooling": ("#5f5f5f", "#f1f1f1"),
}
DEFAULT_COLOURS = ("#5f5f5f", "#f1f1f1")


@lru_cache(maxsize=1024)
def block_icon(glyph: str, category: str, size: int) -> QIcon:
    """A rounded square in the category's colours with a short glyph, sharp at 1× and 2×."""
    icon = QIcon()
    for ratio in (1.0, 2.0):
        icon.addPixmap(_icon_pixmap(glyph, category, size, ratio))
    return icon


def _icon_pixmap(glyph: str, category: str, size: int, ratio: float) -> QPixmap:
    border, fill = CATEGORY_COLOURS.get(category, DEFAULT_COLOURS)
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setRenderHint(QPainter.TextAntialiasing)
    pen_width = max(1.2, size / 14)
    rect = QRectF(0, 0, size, size).adjusted(pen_width / 2 + 0.5, pen_width / 2 + 0.5,
                                             -pen_width / 2 - 0.5, -pen_width / 2 - 0.5)
    painter.setPen(QPen(QColor(border), pen_width))
    painter.setBrush(QColor(fill))
    painter.drawRoundedRect(rect, size * 0.22, size * 0.22)
    font = QFont("DejaVu Sans", 1)
    font.setBold(True)
    font.setPixelSize(max(6, round(size * (0.62 if len(glyph) == 1 else 0.5))))
    inner = rect.adjusted(pen_width, 0, -pen_width, 0)
    painter.setFont(font)
    width = painter.fontMetrics().horizontalAdvance(glyph)
    if width > inner.width():  # shrink long glyphs ("max", "A⁻¹") to fit the square
        font.setPixelSize(max(6, int(font.pixelSize() * inner.width() / width)))
        painter.setFont(font)
    painter.setPen(QColor(border))
    painter.drawText(rect, Qt.AlignCenter, glyph)
    painter.end()
    return pixmap


def magnifier_icon(size: int, colour: str) -> QIcon:
    """A magnifying glass in ``colour`` for the search field."""
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    pen = QPen(QColor(colour), max(1.5, size / 9))
    pen.setCapStyle(Qt.RoundCap)
    painter.setPen(pen)
    radius = size * 0.28
    centre = size * 0.42
    painter.drawEllipse(QRectF(centre - radius, centre - radius, 2 * radius, 2 * radius))
    start = centre + radius * 0.72
    painter.drawLine(QPointF(start, start), QPointF(size * 0.84, size * 0.84))
    painter.end()
    return QIcon(pixmap)


def block_mime_data(key: str) -> QMimeData:
    """What a dragged block carries: its key as ``application/x-nla-block`` and as plain text."""
    mime = QMimeData()
    mime.setData(MIME_TYPE, QByteArray(key.encode("utf-8")))
    mime.setText(key)
    return mime


def tooltip_html(entry: PaletteEntry, style: ViewStyle = ViewStyle()) -> str:
    """The entry's label, category, formula and code example as rich text, in ``style``'s
    colours (a tooltip has the theme's background)."""
    code = html.escape(entry.code)
    muted, code_colour = style.surface_muted, style.series[0]
    preset = ""
    if entry.preset:
        preset = "<br><i>starts with " + html.escape(
            ", ".join(f"{k}={v!r}" for k, v in entry.preset)) + "</i>"
    return (f"<b>{html.escape(entry.label)}</b> &nbsp;<span style='color:{muted}'>"
            f"{html.escape(entry.category)}</span><br>"
            f"<span style='font-size:large'>{html.escape(entry.formula)}</span><br>"
            f"<code style='color:{code_colour}'>{code}</code>{preset}"
            f"<br><span style='color:{muted}'>double-click, Enter or drag to add; the selected "
            "blocks feed it</span>")


class EntryDelegate(QStyledItemDelegate):
    """Paints the palette's rows. A category is a band in its colours: a chevron, the name in
    bold and the count muted. A block is its icon beside two lines: the name in full at the
    list's font and its formula below, smaller and muted, elided to the room left (the tooltip
    has it whole). ``row_width`` is what a row needs to show its name in full."""

    def __init__(self, parent, style: ViewStyle) -> None:
        super().__init__(parent)
        self.view_style = style

    # -- geometry ----------------------------------------------------------------------------------
    @staticmethod
    def formula_font(font: QFont) -> QFont:
        small = QFont(font)
        small.setBold(False)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        return small

    @staticmethod
    def _margins(side: int) -> tuple[int, int, int]:
        """(left, icon to name, right) for icons ``side`` pixels wide."""
        return max(3, round(side / 6)), max(4, round(side / 4)), max(3, round(side / 8))

    def row_width(self, text: str, font: QFont, side: int, header: bool = False) -> int:
        """Pixels a row needs to show ``text`` in full: a block's name beside an icon ``side``
        wide, or a category's name (``header``) beside its chevron, both in ``font``."""
        left, gap, right = self._margins(side)
        if header:
            bold = QFont(font)
            bold.setBold(True)
            return left + self._chevron(font) + gap + ceil(
                QFontMetricsF(bold).horizontalAdvance(text)) + right
        return left + side + gap + ceil(QFontMetricsF(font).horizontalAdvance(text)) + right

    @staticmethod
    def _chevron(font: QFont) -> int:
        return max(8, round(QFontMetrics(font).height() * 0.55))

    def _side(self, option) -> int:
        side = option.decorationSize.width()
        return side if side > 0 else round(option.font.pointSizeF() * 2.2)

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt override
        hint = super().sizeHint(option, index)
        if not index.parent().isValid():
            return hint  # a category: the height the item asks for
        side = self._side(option)
        pad = max(3, round(side / 8))
        lines = (QFontMetrics(option.font).height()
                 + QFontMetrics(self.formula_font(option.font)).height())
        return QSize(self.row_width(str(index.data(Qt.DisplayRole)), option.font, side),
                     max(side, lines) + 2 * pad)

    # -- painting ----------------------------------------------------------------------------------
    def paint(self, painter: QPainter, option, index) -> None:
        opt = type(option)(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text, opt.icon = "", QIcon()  # the background, selection and focus only
        opt.features &= ~(opt.ViewItemFeature.HasDisplay | opt.ViewItemFeature.HasDecoration)
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.CE_ItemViewItem, opt, painter, widget)
        painter.save()
        painter.setRenderHint(QPainter.Antialiasing)
        if index.parent().isValid():
            self._paint_block(painter, opt, index, text)
        else:
            self._paint_category(painter, opt, index, text)
        painter.restore()

    def _paint_block(self, painter: QPainter, opt, index, name: str) -> None:
        rect, side = opt.rect, self._side(opt)
        left, gap, right = self._margins(side)
        icon = index.data(Qt.DecorationRole)
        if isinstance(icon, QIcon):
            icon.paint(painter, QRect(rect.left() + left, rect.center().y() - side // 2 + 1,
                                      side, side))
        x = rect.left() + left + side + gap
        width = rect.right() + 1 - right - x
        font, small = QFont(opt.font), self.formula_font(opt.font)
        font.setBold(False)
        metrics, small_metrics = QFontMetrics(font), QFontMetrics(small)
        top = rect.top() + (rect.height() - metrics.height() - small_metrics.height()) // 2
        selected = bool(opt.state & QStyle.State_Selected)
        painter.setFont(font)
        painter.setPen(self.view_style.colour("surface_text"))
        painter.drawText(QRect(x, top, width, metrics.height()), Qt.AlignVCenter | Qt.AlignLeft,
                         metrics.elidedText(name, Qt.ElideRight, width))  # whole: see row_width
        formula = str(index.data(FORMULA_ROLE) or "")
        if formula and width >= small_metrics.horizontalAdvance("xx…"):
            painter.setFont(small)
            painter.setPen(self.view_style.colour("surface_text" if selected else "surface_muted"))
            painter.drawText(QRect(x, top + metrics.height(), width, small_metrics.height()),
                             Qt.AlignVCenter | Qt.AlignLeft,
                             small_metrics.elidedText(formula, Qt.ElideRight, width))

    def _paint_category(self, painter: QPainter, opt, index, name: str) -> None:
        rect, side = opt.rect, self._side(opt)
        left, gap, right = self._margins(side)
        colour = QColor(CATEGORY_COLOURS.get(str(index.data(Qt.UserRole)), DEFAULT_COLOURS)[0])
        chevron = self._chevron(opt.font)
        tree = self.parent()
        is_open = tree.isExpanded(index) if hasattr(tree, "isExpanded") else True
        centre = QPointF(rect.left() + left + chevron / 2, rect.center().y() + 0.5)
        half = chevron / 2
        points = ((QPointF(-half, -half / 2), QPointF(half, -half / 2), QPointF(0, half / 2))
                  if is_open else
                  (QPointF(-half / 2, -half), QPointF(half / 2, 0), QPointF(-half / 2, half)))
        painter.setPen(Qt.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(QPolygonF([centre + p for p in points]))
        bold = QFont(opt.font)
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        x = rect.left() + left + chevron + gap
        width = rect.right() + 1 - right - x
        painter.setFont(bold)
        painter.setPen(colour)
        painter.drawText(QRect(x, rect.top(), width, rect.height()), Qt.AlignVCenter | Qt.AlignLeft,
                         metrics.elidedText(name, Qt.ElideRight, width))  # whole: see row_width
        count = str(index.data(FORMULA_ROLE) or "")
        font = QFont(opt.font)
        font.setBold(False)
        x += metrics.horizontalAdvance(name) + round(metrics.height() * 0.4)
        if count and QFontMetrics(font).horizontalAdvance(count) <= rect.right() + 1 - right - x:
            painter.setFont(font)  # the count only where it fits whole
            painter.setPen(QColor(ViewStyle().surface_muted))  # the bands are light in any theme
            painter.drawText(QRect(x, rect.top(), rect.right() + 1 - x, rect.height()),
                             Qt.AlignVCenter | Qt.AlignLeft, count)
