"""What a lecturer's hand does in the Build workspace, one counted gesture per call.

``Hands`` drives a palette and a block editor the way a user does: a double-click on a palette
entry, a palette entry dragged onto the canvas (or onto a block), a click on a block, a typed
parameter (click into the field, type, Enter), a toolbar button, a key. Each call is one gesture
and adds one to ``count``; the widgets answer through their own signals and events.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from nla_explorer.document import Document
from nla_explorer.panels.block_editor import BlockEditorPanel
from nla_explorer.panels.palette import KEY_ROLE, PalettePanel, block_mime_data


PALETTE_WIDTH = 192  # the Build workspace of a 1280×720 window: 15 % of the width,
EDITOR_SIZE = (537, 620)  # 42 % for the block editor, the height less menus and bars


class BuildPanels(QWidget):
    """The Build workspace without the window: the palette beside the block editor, at their
    sizes in a 1280×720 window."""

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.palette = PalettePanel()
        self.editor = BlockEditorPanel(document)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.palette)
        layout.addWidget(self.editor)
        self.palette.setFixedWidth(PALETTE_WIDTH)
        self.editor.setFixedSize(*EDITOR_SIZE)
        self.palette.block_requested.connect(self.editor.add_entry)  # as the window does


class Hands:
    """Gestures on a palette and a block editor; ``count`` is how many were made."""

    def __init__(self, qtbot, palette: PalettePanel, editor: BlockEditorPanel) -> None:
        self.qtbot, self.palette, self.editor = qtbot, palette, editor
        self.canvas = editor.canvas
        self.count = 0
        self.log: list[str] = []

    def _did(self, what: str) -> None:
        self.count += 1
        self.log.append(what)
        QApplication.processEvents()

    def button(self, action) -> None:
        """Click a toolbar button of the block editor."""
        widget = self.editor.toolbar.widgetForAction(action)
        self.qtbot.mouseClick(widget, Qt.LeftButton)
        self._did(f"click {action.text()}")

    def request(self, key: str) -> None:
        """Double-click a palette entry."""
        tree = self.palette.tree
        item = next(tree.topLevelItem(i).child(j) for i in range(tree.topLevelItemCount())
                    for j in range(tree.topLevelItem(i).childCount())
                    if tree.topLevelItem(i).child(j).data(0, KEY_ROLE) == key)
        tree.scrollToItem(item)
        centre = tree.visualItemRect(item).center()
        # QAbstractItemView only honours a double-click on the index pressed before it
        self.qtbot.mouseClick(tree.viewport(), Qt.LeftButton, pos=centre)
        self.qtbot.mouseDClick(tree.viewport(), Qt.LeftButton, pos=centre)
        self._did(f"double-click {key}")

    def view_pos(self, block_id: str) -> QPoint:
        """Where block ``block_id`` is on screen (asserted visible: a hand cannot reach it
        otherwise)."""
        pos = self.canvas.mapFromScene(self.canvas.block_pos(block_id))
        assert self.canvas.viewport().rect().contains(pos), f"{block_id} is out of view"
        return pos

    def click(self, block_id: str) -> None:
        """Click a block on the canvas (it becomes the only selected block)."""
        self.qtbot.mouseClick(self.canvas.viewport(), Qt.LeftButton, pos=self.view_pos(block_id))
        self._did(f"click {block_id}")

    def drop(self, key: str, onto: str | None = None, at: QPoint | None = None) -> None:
        """Drag a palette entry onto block ``onto`` (or to ``at`` on the canvas) and let go:
        the drag-enter and drop events the palette's drag delivers."""
        pos = self.view_pos(onto) if onto is not None else at
        mime = block_mime_data(key)
        viewport = self.canvas.viewport()
        enter = QDragEnterEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(viewport, enter)
        assert enter.isAccepted()
        QApplication.sendEvent(viewport, QDropEvent(QPointF(pos), Qt.CopyAction, mime,
                                                    Qt.LeftButton, Qt.NoModifier))
        self._did(f"drop {key} on {onto or at}")

    def type(self, field: str, text: str) -> None:
        """Click into a parameter field of the panel (``"numbers"``: the named numbers), type
        ``text`` and press Enter."""
        params = self.editor.params
        edit = params.numbers_field if field == "numbers" else params.field(field)
        assert not edit.visibleRegion().isEmpty(), f"the field {field!r} is out of view"
        self.qtbot.mouseClick(edit, Qt.LeftButton)
        edit.selectAll()
        self.qtbot.keyClicks(edit, text)
        self.qtbot.keyClick(edit, Qt.Key_Return)
        self._did(f"type {field} = {text}")

    def key(self, key, modifier=Qt.NoModifier) -> None:
        """A key pressed on the canvas."""
        self.canvas.setFocus()
        self.qtbot.keyClick(self.canvas, key, modifier)
        self._did(f"key {key}")

    def new_block(self) -> str:
        """The id of the block the last gesture added."""
        return self.editor.document.expression.blocks[-1].id
