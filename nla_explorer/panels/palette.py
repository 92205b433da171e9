"""The block palette dock: searchable blocks by category, to double-click, Enter or drag.

Its colours come from the :class:`ViewStyle` the window hands it (``set_view_style``): the search
field and the list in the style's surface colours, so the text reads in either theme.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView, QDockWidget, QLabel, QLineEdit, QMainWindow, QTreeWidget, QTreeWidgetItem,
    QVBoxLayout, QWidget,
)

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine.blocks.palette_entries import (
    PaletteEntry, category_order, palette_entries, search,
)
from nla_explorer.panels.palette_items import (  # noqa: F401 - the palette's drawing, re-exported
    CATEGORY_COLOURS, DEFAULT_COLOURS, FORMULA_ROLE, KEY_ROLE, MIME_TYPE, EntryDelegate,
    block_icon, block_mime_data, magnifier_icon, tooltip_html,
)

DEFAULT_POINTS = 11
SCROLLBAR = 10  # a slim scroll bar in the list's colours: its pixels go to the names


class _BlockTree(QTreeWidget):
    """The tree of blocks: Enter on a block emits ``enter_pressed``, dragging carries its key, a
    click on a category's band folds or unfolds it (its chevron is painted by the delegate)."""

    enter_pressed = Signal()

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt override
        return [MIME_TYPE, "text/plain"]

    def mimeData(self, items) -> QMimeData:  # noqa: N802 - Qt override
        keys = [item.data(0, KEY_ROLE) for item in items if item.data(0, KEY_ROLE)]
        return block_mime_data(keys[0]) if keys else QMimeData()

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802 - Qt override
        return Qt.CopyAction

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().mousePressEvent(event)
        item = self.itemAt(event.position().toPoint())
        if event.button() == Qt.LeftButton and item is not None and item.parent() is None:
            item.setExpanded(not item.isExpanded())

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
        self._room: int | None = None  # the width a bigger font widened the palette from
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
            magnifier_icon(16, view_style.surface_muted), QLineEdit.LeadingPosition)
        self.search_box.returnPressed.connect(self._request_first)
        self.tree = _BlockTree()
        self.tree.enter_pressed.connect(self._request_current)
        self.tree.setObjectName("palette_tree")
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(1)
        self.delegate = EntryDelegate(self.tree, view_style)
        self.tree.setItemDelegate(self.delegate)
        self.tree.setRootIsDecorated(False)  # the delegate paints each band's chevron, and the
        self.tree.setIndentation(0)  # blocks take the whole width: their names are never cut
        self.tree.setExpandsOnDoubleClick(False)  # a click folds (a double-click folds once)
        self.tree.setUniformRowHeights(False)
        self.tree.setAnimated(False)
        self.tree.setSelectionMode(QAbstractItemView.SingleSelection)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragOnly)
        self.tree.setDefaultDropAction(Qt.CopyAction)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
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
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
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
            magnifier_icon(round(points * 1.6), muted), QLineEdit.LeadingPosition)
        self.hint.setStyleSheet(
            f"QLabel {{ color: {muted}; font-size: {points}pt; padding: 10px;"
            f" background: {surface}; border: 1px dashed {rule}; border-radius: 4px; }}")
        self.tree.setStyleSheet(
            f"QTreeWidget {{ border: 1px solid {rule}; border-radius: 4px;"
            f" background-color: {surface}; color: {text}; }}"
            f" QTreeWidget::item:selected {{ background: {rule}; color: {text}; }}"
            f" QScrollBar:vertical {{ width: {SCROLLBAR}px; margin: 0; background: {surface}; }}"
            f" QScrollBar::handle:vertical {{ background: {rule}; min-height: 24px;"
            " margin: 2px; border-radius: 3px; }"
            f" QScrollBar::handle:vertical:hover {{ background: {muted}; }}"
            " QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical { height: 0; }"
            " QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical { background: none; }")
        self._fit_names()
        self._refresh()

    def _fit_names(self) -> None:
        """Never narrower than the longest block or category name needs at this font: the dock
        keeps every name whole (185 px at 11 pt) and widens at projector sizes."""
        font, side = self.tree.font(), self.tree.iconSize().width()
        rows = [self.delegate.row_width(entry.label, font, side) for entry in self._entries]
        rows += [self.delegate.row_width(category, font, side, header=True)
                 for category in category_order(self._entries)]
        before, width = self.minimumSizeHint().width(), self.width()
        self.tree.setMinimumWidth(max(rows) + 2 * self.tree.frameWidth() + SCROLLBAR)
        needed = self.minimumSizeHint().width()
        if not self.isVisible():
            return
        if needed > width:  # a bigger font pushes the dock wider: remember its width to go back
            self._room = width if self._room is None else self._room
        elif self._room is not None and width <= before + 1:  # still as the font left it
            self._resize_dock(max(self._room, needed))
            self._room = None if needed <= self._room else self._room
        else:
            self._room = None  # widened by hand: the user's width stays

    def _resize_dock(self, width: int) -> None:
        dock = self.parentWidget()
        window = dock.parentWidget() if isinstance(dock, QDockWidget) else None
        if isinstance(window, QMainWindow) and not dock.isFloating():
            window.resizeDocks([dock], [width + dock.width() - self.width()], Qt.Horizontal)

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
