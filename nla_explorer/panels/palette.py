"""The block palette dock: searchable blocks by category, to double-click, Enter or drag.

Its colours come from the :class:`ViewStyle` the window hands it (``set_view_style``): the search
field and the list in the style's surface colours, so the text reads in either theme.
"""

from __future__ import annotations

import html
from functools import lru_cache

from PySide6.QtCore import QByteArray, QMimeData, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView, QLabel, QLineEdit, QStyle, QStyledItemDelegate, QTreeWidget, QTreeWidgetItem,
    QVBoxLayout, QWidget,
)

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine.blocks.palette_entries import (
    PaletteEntry, category_order, palette_entries, search,
)

MIME_TYPE = "application/x-nla-block"
KEY_ROLE = Qt.UserRole + 1
FORMULA_ROLE = Qt.UserRole + 2
DEFAULT_POINTS = 11

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


def _magnifier_icon(size: int, colour: str) -> QIcon:
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


class _EntryDelegate(QStyledItemDelegate):
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


class _BlockTree(QTreeWidget):
    """The tree of blocks: Enter on a block emits ``enter_pressed``, dragging carries its key."""

    enter_pressed = Signal()

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt override
        return [MIME_TYPE, "text/plain"]

    def mimeData(self, items) -> QMimeData:  # noqa: N802 - Qt override
        keys = [item.data(0, KEY_ROLE) for item in items if item.data(0, KEY_ROLE)]
        return block_mime_data(keys[0]) if keys else QMimeData()

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802 - Qt override
        return Qt.CopyAction

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        current = self.currentItem()
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and current is not None \
                and current.data(0, KEY_ROLE):
            self.enter_pressed.emit()
            return
        super().keyPressEvent(event)


class _SearchBox(QLineEdit):
    """The search field: ↓ emits ``down_pressed`` (into the list), Esc clears the text."""

    down_pressed = Signal()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key_Down:
            self.down_pressed.emit()
            return
        if event.key() == Qt.Key_Escape and self.text():
            self.clear()
            return
        super().keyPressEvent(event)


class PalettePanel(QWidget):
    """Every block by category; emits ``block_requested(key)`` on double-click or Enter."""

    block_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None,
                 view_style: ViewStyle = ViewStyle()) -> None:
        super().__init__(parent)
        self.view_style = view_style
        self._entries = palette_entries()
        self._by_key = {entry.key: entry for entry in self._entries}
        self._collapsed: set[str] = set()
        self._points = DEFAULT_POINTS
        self.search_box = _SearchBox()
        self.search_box.down_pressed.connect(self.focus_tree)
        self.search_box.setObjectName("palette_search")
        self.search_box.setPlaceholderText("Search blocks…")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setToolTip(
            "Name, formula or code (e.g. “mat”, “σ”, “@”);"
            " Enter adds the first, ↓ goes to the list")
        self.search_box.textChanged.connect(self._refresh)
        self._search_action = self.search_box.addAction(
            _magnifier_icon(16, view_style.surface_muted), QLineEdit.LeadingPosition)
        self.search_box.returnPressed.connect(self._request_first)
        self.tree = _BlockTree()
        self.tree.enter_pressed.connect(self._request_current)
        self.tree.setObjectName("palette_tree")
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(1)
        self.delegate = _EntryDelegate(self.tree, view_style)
        self.tree.setItemDelegate(self.delegate)
        self.tree.setRootIsDecorated(True)
        self.tree.setIndentation(10)
        self.tree.setUniformRowHeights(False)
        self.tree.setAnimated(False)
        self.tree.setSelectionMode(QAbstractItemView.SingleSelection)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragOnly)
        self.tree.setDefaultDropAction(Qt.CopyAction)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.tree.setTextElideMode(Qt.ElideRight)
        self.tree.itemDoubleClicked.connect(self._on_double_click)
        self.tree.itemCollapsed.connect(self._on_collapsed)
        self.tree.itemExpanded.connect(self._on_expanded)
        self.hint = QLabel()
        self.hint.setObjectName("palette_hint")
        self.hint.setAlignment(Qt.AlignCenter)
        self.hint.setTextFormat(Qt.PlainText)
        self.hint.setWordWrap(True)
        self.hint.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.search_box)
        layout.addWidget(self.hint)
        layout.addWidget(self.tree, 1)
        layout.addStretch(0)  # holds the hint at the top while the tree is hidden
        self.set_font_size(DEFAULT_POINTS)

    # -- public ------------------------------------------------------------------------------------
    def entry(self, key: str) -> PaletteEntry:
        return self._by_key[key]

    def entries(self) -> tuple[PaletteEntry, ...]:
        return self._entries

    def visible_keys(self) -> list[str]:
        """Keys of the entries shown, top to bottom (collapsed categories included)."""
        keys = []
        for i in range(self.tree.topLevelItemCount()):
            header = self.tree.topLevelItem(i)
            if header.isHidden():
                continue
            for j in range(header.childCount()):
                child = header.child(j)
                if not child.isHidden():
                    keys.append(child.data(0, KEY_ROLE))
        return keys

    def current_key(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, KEY_ROLE) if item is not None else None

    def mime_data(self, key: str) -> QMimeData:
        """What a drag of ``key`` carries: the key as ``application/x-nla-block`` and as text."""
        return block_mime_data(key)

    def set_search_text(self, text: str) -> None:
        self.search_box.setText(text)

    def focus_tree(self) -> None:
        self.tree.setFocus()
        if self.tree.currentItem() is None or self.current_key() is None:
            self._select_first()

    def set_font_size(self, points: int) -> None:
        """Scale text, icons and rows for the projector."""
        self._points = points
        font = QFont(self.font())
        font.setPointSize(points)
        self.setFont(font)
        self.tree.setFont(font)
        self.search_box.setFont(font)
        side = round(points * 2.2)
        self.tree.setIconSize(QSize(side, side))
        self._restyle()

    def set_view_style(self, style: ViewStyle) -> None:
        """Draw in ``style``'s theme: the search field, the list and the hint in its surface
        colours (light text on a dark field in the dark theme)."""
        if style != self.view_style:
            self.view_style = style
            self.delegate.view_style = style
            self._restyle()

    def _restyle(self) -> None:
        style, points = self.view_style, self._points
        surface, text = style.surface, style.surface_text
        muted, rule = style.surface_muted, style.surface_grid
        for widget in (self.search_box, self.tree, self.hint):  # a palette for what Qt paints
            palette = QPalette(widget.palette())
            for group in (QPalette.Active, QPalette.Inactive):
                palette.setColor(group, QPalette.Base, QColor(surface))
                palette.setColor(group, QPalette.Text, QColor(text))
                palette.setColor(group, QPalette.PlaceholderText, QColor(muted))
            widget.setPalette(palette)
        self.search_box.setStyleSheet(
            f"QLineEdit {{ padding: {max(3, points // 3)}px 4px; border: 1px solid {rule};"
            f" border-radius: 4px; background-color: {surface}; color: {text};"
            f" selection-background-color: {style.input_highlight};"
            " selection-color: #ffffff; }"
            f" QLineEdit:focus {{ border: 2px solid {style.input_highlight}; }}")
        self.search_box.removeAction(self._search_action)
        self._search_action = self.search_box.addAction(
            _magnifier_icon(round(points * 1.6), muted), QLineEdit.LeadingPosition)
        self.hint.setStyleSheet(
            f"QLabel {{ color: {muted}; font-size: {points}pt; padding: 10px;"
            f" background: {surface}; border: 1px dashed {rule}; border-radius: 4px; }}")
        self.tree.setStyleSheet(
            f"QTreeWidget {{ border: 1px solid {rule}; border-radius: 4px;"
            f" background-color: {surface}; color: {text}; }}"
            f" QTreeWidget::item {{ padding: {max(1, points // 5)}px 2px; }}"
            f" QTreeWidget::item:selected {{ background: {rule}; color: {text}; }}")
        self._refresh()

    # -- building the tree -------------------------------------------------------------------------
    def _refresh(self) -> None:
        text = self.search_box.text()
        searching = bool(text.strip())
        shown = search(self._entries, text)
        self.tree.setUpdatesEnabled(False)
        self.tree.clear()
        header_font = QFont(self.tree.font())
        header_font.setBold(True)
        header_font.setPointSize(self._points)
        side = self.tree.iconSize().width()
        for category in category_order(shown):
            members = [entry for entry in shown if entry.category == category]
            header = QTreeWidgetItem([category])
            header.setData(0, FORMULA_ROLE, str(len(members)))
            header.setBackground(0, QColor(CATEGORY_COLOURS.get(category, DEFAULT_COLOURS)[1]))
            header.setFont(0, header_font)
            header.setForeground(0, QColor(CATEGORY_COLOURS.get(category, DEFAULT_COLOURS)[0]))
            header.setFlags(Qt.ItemIsEnabled)
            header.setData(0, Qt.UserRole, category)
            header.setSizeHint(0, QSize(0, round(side * 1.25)))
            for entry in members:
                child = QTreeWidgetItem([entry.label])
                child.setData(0, FORMULA_ROLE, entry.formula)
                child.setData(0, KEY_ROLE, entry.key)
                child.setIcon(0, block_icon(entry.glyph, entry.category, side))
                child.setToolTip(0, tooltip_html(entry, self.view_style))
                child.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
                header.addChild(child)
            self.tree.addTopLevelItem(header)
            header.setExpanded(searching or category not in self._collapsed)
        self.tree.setUpdatesEnabled(True)
        if searching and shown:
            self._select_first()
        self.hint.setText(f"No block matches “{text.strip()}”\n\nTry a name (matmul),"
                          " a formula (Σ) or code (@)" if not shown else "")
        self.hint.setVisible(not shown)
        self.tree.setVisible(bool(shown))

    def _select_first(self) -> None:
        for i in range(self.tree.topLevelItemCount()):
            header = self.tree.topLevelItem(i)
            if header.childCount():
                header.setExpanded(True)
                self.tree.setCurrentItem(header.child(0))
                self.tree.scrollToItem(header)
                return

    # -- reactions ---------------------------------------------------------------------------------
    def _request_first(self) -> None:
        keys = self.visible_keys()
        if keys:
            self.block_requested.emit(keys[0])

    def _request_current(self) -> None:
        key = self.current_key()
        if key:
            self.block_requested.emit(key)

    def _on_double_click(self, item: QTreeWidgetItem, _column: int) -> None:
        key = item.data(0, KEY_ROLE)
        if key:
            self.block_requested.emit(key)

    def _on_collapsed(self, item: QTreeWidgetItem) -> None:
        if not self.search_box.text().strip():
            self._collapsed.add(item.data(0, Qt.UserRole))

    def _on_expanded(self, item: QTreeWidgetItem) -> None:
        if not self.search_box.text().strip():
            self._collapsed.discard(item.data(0, Qt.UserRole))
