"""The block canvas' mouse, keyboard, drag-and-drop and context menus (a mixin of BlockCanvas).

Each event becomes one of the canvas' public gestures (``request_connect``, ``drop_entry``,
``delete_selected``, ``select_all`` …), so tests and the events take the same path.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QGraphicsView, QInputDialog, QMenu

from nla_explorer.drawing.zoom import zoom_keys
from nla_explorer.engine.blocks.edits import MoveBlocks, Rename, RemoveBlocks, SetOutput
from nla_explorer.panels.block_items import BlockItem, PortItem, RubberWire

MIME_TYPE = "application/x-nla-block"
WHEEL_STEP = 1.15
#: Keys the canvas answers itself even where a window action has the same shortcut.
_OWN_KEYS = (QKeySequence.SelectAll, QKeySequence.Copy, QKeySequence.Paste,
             QKeySequence.Delete)


class CanvasEvents:
    """Qt event handlers of :class:`~nla_explorer.panels.block_canvas.BlockCanvas`."""

    # -- menus -----------------------------------------------------------------------------------
    def block_menu(self, block_id: str) -> QMenu:
        """The context menu of a block: Set as output, Rename…, Delete."""
        menu = QMenu(self)
        menu.addAction("Set as output", lambda: self.edit_requested.emit(SetOutput(block_id)))
        menu.addAction("Rename…", lambda: self._ask_name(block_id))
        menu.addAction("Delete", lambda: self.edit_requested.emit(RemoveBlocks((block_id,))))
        return menu

    def canvas_menu(self) -> QMenu:
        """The context menu of empty canvas: Select all, Auto-arrange, Fit, Paste."""
        menu = QMenu(self)
        menu.addAction("Select all", self.select_all)
        menu.addAction("Auto-arrange", self.auto_arrange)
        menu.addAction("Fit", self.fit)
        menu.addAction("Paste", self.paste)
        return menu

    def _ask_name(self, block_id: str) -> None:
        name, ok = QInputDialog.getText(self, "Rename block", "Variable name:",
                                        text=self.expression().block(block_id).name or "")
        if ok:
            self.edit_requested.emit(Rename(block_id, name.strip()))

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt override
        item = self._block_at(event.pos())
        menu = self.block_menu(item.block_id) if item is not None else self.canvas_menu()
        menu.exec(event.globalPos())

    def _block_at(self, view_pos) -> BlockItem | None:
        item = self.itemAt(view_pos)
        while item is not None and not isinstance(item, BlockItem):
            item = item.parentItem()
        return item

    # -- mouse -----------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MiddleButton or (event.button() == Qt.LeftButton and self._space):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.ClosedHandCursor)
            return
        item = self.itemAt(event.position().toPoint())
        if event.button() == Qt.LeftButton and isinstance(item, PortItem):
            if item.is_output:
                self._start_wire(item.block_id, None)
                return
            wire = self._wires.get((item.block_id, item.address))
            if wire is not None:  # pick the wire's end up off the input
                wire.hide()
                self._start_wire(wire.source.block_id, (item.block_id, item.address))
                return
        QGraphicsView.mousePressEvent(self, event)
        self._pressed_at = {i: (it.pos().x(), it.pos().y()) for i, it in self._items.items()}

    def _start_wire(self, source_id: str, detached: tuple[str, str] | None) -> None:
        self._wire_from = (source_id, detached)
        self._rubber = RubberWire(self.output_port_pos(source_id), self.view_style)
        self.scene().addItem(self._rubber)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            return
        if self._rubber is not None:
            pos = self.mapToScene(event.position().toPoint())
            near = self.nearest_input(pos, exclude=self._wire_from[0])
            self._rubber.set_end(self.input_port_pos(*near) if near else pos, near is not None)
            return
        QGraphicsView.mouseMoveEvent(self, event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            return
        if self._rubber is not None:
            self._finish_wire(self.mapToScene(event.position().toPoint()))
            return
        QGraphicsView.mouseReleaseEvent(self, event)
        moved = tuple((i, (it.pos().x(), it.pos().y())) for i, it in self._items.items()
                      if i in self._pressed_at and self._pressed_at[i] != (it.pos().x(),
                                                                            it.pos().y()))
        self._pressed_at = {}
        if moved:
            self.edit_requested.emit(MoveBlocks(moved))

    def _finish_wire(self, scene_pos: QPointF) -> None:
        source_id, detached = self._wire_from
        self.scene().removeItem(self._rubber)
        self._rubber, self._wire_from = None, None
        near = self.nearest_input(scene_pos, exclude=source_id)
        if detached is not None and near != detached:
            self._wires[detached].show()
            self.request_disconnect(*detached)
        if near is not None and near != detached:
            self.request_connect(source_id, *near)
        elif detached is not None and near == detached:
            self._wires[detached].show()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(WHEEL_STEP ** steps)
        event.accept()

    # -- keys ------------------------------------------------------------------------------------
    def event(self, event) -> bool:  # noqa: D401 - Qt override
        if event.type() == QEvent.ShortcutOverride and (
                any(event.matches(k) for k in _OWN_KEYS)
                or event.key() in (Qt.Key_Delete, Qt.Key_Backspace, Qt.Key_Escape)):
            event.accept()  # Ctrl+A, Delete … act on the blocks while the canvas has focus
            return True
        return QGraphicsView.event(self, event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key in (Qt.Key_Delete, Qt.Key_Backspace):
            self.delete_selected()
        elif event.matches(QKeySequence.SelectAll):
            self.select_all()
        elif key == Qt.Key_Escape:
            self.select_blocks([])
        elif event.matches(QKeySequence.Copy):
            self.copy_selected()
        elif event.matches(QKeySequence.Paste):
            self.paste()
        elif key == Qt.Key_Space and not event.isAutoRepeat():
            self._space = True
        elif not zoom_keys(self, event):
            QGraphicsView.keyPressEvent(self, event)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = False
        QGraphicsView.keyReleaseEvent(self, event)

    # -- dragging palette entries in -------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasFormat(MIME_TYPE):
            event.acceptProposedAction()
        else:
            QGraphicsView.dragEnterEvent(self, event)

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasFormat(MIME_TYPE):
            event.acceptProposedAction()
        else:
            QGraphicsView.dragMoveEvent(self, event)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not event.mimeData().hasFormat(MIME_TYPE):
            QGraphicsView.dropEvent(self, event)
            return
        key = bytes(event.mimeData().data(MIME_TYPE)).decode("utf-8")
        event.acceptProposedAction()
        self.drop_entry(key, self.mapToScene(event.position().toPoint()))
