"""The block canvas: draws an Expression as wired blocks and turns gestures into edit requests.

The canvas never changes the model. A gesture emits ``edit_requested`` with one of the frozen edit
descriptions of :mod:`nla_explorer.engine.blocks.edits`; the owner applies it (``apply_edit``, inside an undo command) and calls
``set_expression`` with the new expression and positions.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, Qt, Signal
from PySide6.QtGui import QKeySequence, QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QInputDialog, QMenu

from nla_explorer.engine.blocks import editing as B
from nla_explorer.engine.blocks.edits import (  # noqa: F401 - re-exported for the canvas' users
    AddBlock, Connect, Disconnect, MoveBlocks, Paste, Position, RemoveBlocks, Rename, SetNumber,
    SetOutput, SetParam, apply_edit,
)
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Block, Expression, Ref, Var
from nla_explorer.engine.blocks.palette_entries import palette_entries
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.drawing.zoom import zoom_keys
from nla_explorer.panels.block_items import (
    BlockItem, BlockLook, PortItem, RubberWire, WireItem, auto_positions,
)
from nla_explorer.panels.block_params import param_summary, value_text

MIME_TYPE = "application/x-nla-block"
SNAP_DISTANCE = 20.0
MIN_ZOOM, MAX_ZOOM, WHEEL_STEP = 0.1, 4.0, 1.15

#: Code-only statements that make nothing a block could read: not drawn on the canvas.
CODE_ONLY_SINKS = frozenset({"backward", "set_grad", "zero_"})


# -- the view ---------------------------------------------------------------------------------
class BlockCanvas(QGraphicsView):
    """Blocks and wires of one expression; gestures become ``edit_requested(edit)``. Drawn in
    the colours of a :class:`ViewStyle` at its own font size (``font_size``)."""

    edit_requested = Signal(object)
    block_selected = Signal(object)

    def __init__(self, parent=None, font_size: float = 10.0,
                 view_style: ViewStyle = ViewStyle()) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setObjectName("block_canvas")
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.view_style = view_style.with_font(font_size)
        self.setBackgroundBrush(self.view_style.colour("canvas"))
        self.setAcceptDrops(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # pan by dragging instead
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.StrongFocus)
        self._expr = Expression()
        self._positions: dict[str, Position] = {}
        self._items: dict[str, BlockItem] = {}
        self._wires: dict[tuple[str, str], WireItem] = {}  # (target id, address) → wire
        self._rubber: RubberWire | None = None
        self._wire_from: tuple[str, tuple[str, str] | None] | None = None  # source, detached port
        self._pressed_at: dict[str, Position] = {}
        self._pan_from: QPointF | None = None
        self._space = False
        self._clipboard: tuple[tuple[Block, ...], tuple] = ((), ())
        self._entries = {e.key: e for e in palette_entries()}
        self.scene().selectionChanged.connect(self._on_selection)

    # -- the model in ------------------------------------------------------------------------
    def set_view_style(self, style: ViewStyle) -> None:
        """The colours of ``style`` (the canvas keeps its font size): the blocks are redrawn."""
        style = style.with_font(self.view_style.font_size)
        if style != self.view_style:
            self.view_style = style
            self.setBackgroundBrush(style.colour("canvas"))
            for item in self.scene().items():
                if isinstance(item, (BlockItem, WireItem)):
                    item.set_view_style(style)

    def set_expression(self, expr: Expression, positions: dict[str, Position],
                       shapes: dict[str, tuple] | None = None,
                       errors: dict[str, str] | None = None) -> None:
        """Redraw for ``expr``; blocks missing from ``positions`` are auto-placed."""
        selected = set(self.selected_ids())
        self._expr, shapes, errors = expr, shapes or {}, errors or {}
        auto = auto_positions(expr) if set(expr.ids) - set(positions) else {}
        self._positions = {i: tuple(positions.get(i, auto.get(i, (0.0, 0.0)))) for i in expr.ids}
        self.scene().blockSignals(True)
        self.scene().clear()
        self._items, self._wires, self._rubber, self._wire_from = {}, {}, None, None
        out = expr.output_block()
        for block in expr.blocks:
            if block.op in CODE_ONLY_SINKS:
                continue  # backward calls and x.grad = None live in the code view only
            item = BlockItem(self._look(block, shapes.get(block.id), errors.get(block.id),
                                        out is not None and out.id == block.id),
                             self.view_style)
            item.setPos(QPointF(*self._positions[block.id]))
            item.setSelected(block.id in selected)
            self.scene().addItem(item)
            self._items[block.id] = item
        for block in expr.blocks:
            if block.id not in self._items:
                continue
            for address, value in self._port_values(block):
                if isinstance(value, Ref) and value.block in self._items:
                    wire = WireItem(self._items[value.block], self._items[block.id], address,
                                    self.view_style)
                    self.scene().addItem(wire)
                    self._wires[(block.id, address)] = wire
        self.scene().blockSignals(False)
        rect = self.scene().itemsBoundingRect()
        self.scene().setSceneRect(rect.adjusted(-2000, -2000, 2000, 2000))

    def _port_values(self, block: Block) -> tuple:
        try:
            values = list(B.port_values(block))
            t = B.template(block.op)
        except ExpressionError:
            return ()
        values += [(p.name, None) for p in t.ports if p.many]  # an extra slot to append to
        return tuple(values)

    def _look(self, block: Block, shape, error, is_output: bool) -> BlockLook:
        inputs = []
        for address, value in self._port_values(block):
            shown = address.split("[")[0] if "[" in address else address
            if isinstance(value, (int, float, Var)) and not isinstance(value, bool):
                shown = f"{shown}={value_text(value)}"
            elif address in [p.name for p in B.TEMPLATES[block.op].ports if p.many]:
                shown = "+"
            inputs.append((address, shown))
        try:
            summary, makes = param_summary(block), B.template(block.op).output
        except ExpressionError:
            summary, makes = "", True
        leaf = block.kwarg("requires_grad", False) is True
        return BlockLook(block.id, block.name or block.id, block.op, summary,
                         "shape " + ("×".join(map(str, shape)) or "scalar ()")
                         if shape is not None else "", error or "", is_output, leaf,
                         tuple(inputs), makes)

    # -- reading the picture (tests, the integrator) ---------------------------------------------
    def expression(self) -> Expression:
        return self._expr

    def positions(self) -> dict[str, Position]:
        return dict(self._positions)

    def block_item(self, block_id: str) -> BlockItem:
        return self._items[block_id]

    def wire_count(self) -> int:
        return len(self._wires)

    def selected_ids(self) -> list[str]:
        return [i for i, item in self._items.items() if item.isSelected()]

    def select_blocks(self, ids) -> None:
        for block_id, item in self._items.items():
            item.setSelected(block_id in ids)

    def output_port_pos(self, block_id: str) -> QPointF:
        return self._items[block_id].output_port.scenePos()

    def input_port_pos(self, block_id: str, address: str) -> QPointF:
        return self._items[block_id].input_ports[address].scenePos()

    def nearest_input(self, scene_pos: QPointF, exclude: str | None = None
                      ) -> tuple[str, str] | None:
        """(block id, port) of the input port nearest ``scene_pos`` within SNAP_DISTANCE."""
        best, best_distance = None, SNAP_DISTANCE
        for block_id, item in self._items.items():
            for address, port in item.input_ports.items():
                distance = QLineF(port.scenePos(), scene_pos).length()
                if block_id != exclude and distance <= best_distance:
                    best, best_distance = (block_id, address), distance
        return best

    # -- gestures as public methods -----------------------------------------------------------
    def drop_entry(self, key: str, scene_pos: QPointF) -> None:
        """A palette entry dropped at ``scene_pos``: AddBlock with its op and preset."""
        entry = self._entries.get(key)
        if entry is not None:
            self.edit_requested.emit(AddBlock(entry.op, tuple(entry.preset),
                                              (scene_pos.x(), scene_pos.y())))

    def request_connect(self, source_id: str, target_id: str, port: str) -> None:
        self.edit_requested.emit(Connect(source_id, target_id, port))

    def request_disconnect(self, target_id: str, port: str) -> None:
        self.edit_requested.emit(Disconnect(target_id, port))

    def delete_selected(self) -> None:
        ids = tuple(self.selected_ids())
        if ids:
            self.edit_requested.emit(RemoveBlocks(ids))

    def copy_selected(self) -> None:
        ids = set(self.selected_ids())
        chosen = tuple(b for b in self._expr.blocks if b.id in ids)
        self._clipboard = (chosen, tuple((b.id, self._positions[b.id]) for b in chosen))

    def paste(self) -> None:
        """One ``Paste`` edit with the copied blocks (offset by PASTE_OFFSET)."""
        if self._clipboard[0]:
            self.edit_requested.emit(Paste(*self._clipboard))

    def auto_arrange(self) -> None:
        """Emit MoveBlocks placing every block by dependency depth."""
        placed = auto_positions(self._expr)
        self.edit_requested.emit(MoveBlocks(tuple(placed.items())))

    def fit(self) -> None:
        rect = self.scene().itemsBoundingRect().adjusted(-30, -30, 30, 30)
        if not rect.isEmpty():
            self.resetTransform()
            self.fitInView(rect, Qt.KeepAspectRatio)
            if self.transform().m11() > 1.0:
                self.resetTransform()
                self.centerOn(rect.center())

    def zoom_by(self, factor: float) -> None:
        zoom = self.transform().m11()
        factor = min(MAX_ZOOM, max(MIN_ZOOM, zoom * factor)) / zoom
        self.scale(factor, factor)

    def block_menu(self, block_id: str) -> QMenu:
        """The context menu of a block: Set as output, Rename…, Delete."""
        menu = QMenu(self)
        menu.addAction("Set as output", lambda: self.edit_requested.emit(SetOutput(block_id)))
        menu.addAction("Rename…", lambda: self._ask_name(block_id))
        menu.addAction("Delete", lambda: self.edit_requested.emit(RemoveBlocks((block_id,))))
        return menu

    def _ask_name(self, block_id: str) -> None:
        name, ok = QInputDialog.getText(self, "Rename block", "Variable name:",
                                        text=self._expr.block(block_id).name or "")
        if ok:
            self.edit_requested.emit(Rename(block_id, name.strip()))

    # -- Qt events --------------------------------------------------------------------------------
    def _on_selection(self) -> None:
        ids = self.selected_ids()
        self.block_selected.emit(ids[0] if len(ids) == 1 else None)

    def canvas_menu(self) -> QMenu:
        """The context menu of empty canvas: Auto-arrange, Fit, Paste."""
        menu = QMenu(self)
        menu.addAction("Auto-arrange", self.auto_arrange)
        menu.addAction("Fit", self.fit)
        menu.addAction("Paste", self.paste)
        return menu

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt override
        item = self._block_at(event.pos())
        menu = self.block_menu(item.block_id) if item is not None else self.canvas_menu()
        menu.exec(event.globalPos())

    def _block_at(self, view_pos) -> BlockItem | None:
        item = self.itemAt(view_pos)
        while item is not None and not isinstance(item, BlockItem):
            item = item.parentItem()
        return item

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
        super().mousePressEvent(event)
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
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            return
        if self._rubber is not None:
            self._finish_wire(self.mapToScene(event.position().toPoint()))
            return
        super().mouseReleaseEvent(event)
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

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key in (Qt.Key_Delete, Qt.Key_Backspace):
            self.delete_selected()
        elif event.matches(QKeySequence.Copy):
            self.copy_selected()
        elif event.matches(QKeySequence.Paste):
            self.paste()
        elif key == Qt.Key_Space and not event.isAutoRepeat():
            self._space = True
        elif not zoom_keys(self, event):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = False
        super().keyReleaseEvent(event)

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(WHEEL_STEP ** steps)
        event.accept()

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasFormat(MIME_TYPE):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasFormat(MIME_TYPE):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not event.mimeData().hasFormat(MIME_TYPE):
            super().dropEvent(event)
            return
        key = bytes(event.mimeData().data(MIME_TYPE)).decode("utf-8")
        event.acceptProposedAction()
        self.drop_entry(key, self.mapToScene(event.position().toPoint()))

