"""What the block palette draws: category icons, the search field's magnifier, an entry's
tooltip and formula, and what a dragged entry carries."""

from __future__ import annotations

import html
from functools import lru_cache

from PySide6.QtCore import QByteArray, QMimeData, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate

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
    """Paints a block's formula in the style's muted colour after its label, elided to the space
    left."""

    def __init__(self, parent, style: ViewStyle) -> None:
        super().__init__(parent)
        self.view_style = style

    def paint(self, painter: QPainter, option, index) -> None:
        super().paint(painter, option, index)
        formula = index.data(FORMULA_ROLE)
        if not formula:
            return
        opt = type(option)(option)
        self.initStyleOption(opt, index)
        style = opt.widget.style() if opt.widget is not None else None
        if style is None:
            return
        text_rect = style.subElementRect(QStyle.SE_ItemViewItemText, opt, opt.widget)
        font = QFont(opt.font)
        font.setBold(False)
        metrics = QFontMetrics(font)
        left = (text_rect.left() + opt.fontMetrics.horizontalAdvance(opt.text)
                + metrics.height() * 0.6)
        width = text_rect.right() - left - 2
        if width < metrics.horizontalAdvance("xx…"):
            return
        painter.save()
        painter.setFont(font)
        selected = bool(opt.state & QStyle.State_Selected)
        painter.setPen(self.view_style.colour("surface_text" if selected else "surface_muted"))
        rect = text_rect.adjusted(round(left) - text_rect.left(), 0, 0, 0)
        painter.drawText(rect, Qt.AlignVCenter | Qt.AlignLeft,
                         metrics.elidedText(formula, Qt.ElideRight, width))
        painter.restore()
