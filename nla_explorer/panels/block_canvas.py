"""The block canvas: draws an Expression as wired blocks and turns gestures into edit requests.

The canvas never changes the model. A gesture emits ``edit_requested`` with one of the frozen edit
descriptions of :mod:`nla_explorer.engine.blocks.edits`; the owner applies it (``apply_edit``,
inside an undo command) and calls ``set_expression`` with the new expression and positions.

A palette entry added to the canvas lands in free space (near the middle of what is visible, near
the drop point, or below the blocks that feed it), is fed by the selected blocks in the order
they were selected (and by the block it was dropped onto), and becomes the selection.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine.blocks import editing as B
from nla_explorer.engine.blocks.arrange import arrange
from nla_explorer.engine.blocks.edits import (  # noqa: F401 - re-exported for the canvas' users
    AddBlock, Clear, Connect, Disconnect, MoveBlocks, Paste, Position, RemoveBlocks, Rename,
    SetNumber, SetNumbers, SetOutput, SetParam, apply_edit,
)
from nla_explorer.engine.blocks.feeding import makes_tensor, sized_preset
from nla_explorer.engine.blocks.palette_entries import palette_entries
from nla_explorer.engine.blocks.positions import free_spot
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Block, Calc, Expression, Hole, Ref, Var
from nla_explorer.panels.block_canvas_events import MIME_TYPE, CanvasEvents  # noqa: F401
from nla_explorer.panels.block_canvas_framing import (  # noqa: F401 - the canvas' constants
    LEGIBLE_PX, MAX_FIT_ZOOM, MAX_ZOOM, MIN_ZOOM, CanvasFraming,
)
from nla_explorer.panels.block_items import BlockItem, BlockLook, WireItem
from nla_explorer.panels.block_params import param_summary, value_text

SNAP_DISTANCE = 20.0
BELOW_INPUTS = 36.0  # room between a new block and the blocks that feed it
UNCONNECTED = "unconnected"

#: What an empty canvas says.
EMPTY_HINT = ("No blocks yet.\nDrag a block from the palette on the left (or double-click "
              "it), or paste PyTorch code into the Code dock and press Ctrl+Enter.")
#: Code-only statements that make nothing a block could read: not drawn on the canvas.
CODE_ONLY_SINKS = frozenset({"backward", "set_grad", "zero_", "retain_grad", "shows",
                             "grad_mode"})


class BlockCanvas(CanvasEvents, CanvasFraming, QGraphicsView):
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
        self._rubber = None
        self._wire_from: tuple[str, tuple[str, str] | None] | None = None  # source, detached port
        self._pressed_at: dict[str, Position] = {}
        self._pan_from: QPointF | None = None
        self._space = False
        self._clipboard: tuple[tuple[Block, ...], tuple] = ((), ())
        self._order: list[str] = []  # the selected blocks in the order they were selected
        self._select_added = False  # the edit being requested adds blocks: select them
        self._fitted: tuple[str | None] | None = None  # fit()'s focus while the view is fitted
        self._entries = {e.key: e for e in palette_entries()}
        self.scene().selectionChanged.connect(self._on_selection)

    def drawForeground(self, painter: QPainter, rect) -> None:  # noqa: N802 - Qt override
        """An empty canvas says how to start (after New, a lecture begins on a blank page)."""
        super().drawForeground(painter, rect)
        if self._items:
            return
        painter.save()
        painter.resetTransform()  # in the viewport's pixels, at any zoom
        font = painter.font()
        font.setPointSizeF(self.view_style.font_size * 1.3)
        painter.setFont(font)
        painter.setPen(self.view_style.colour("edge"))  # the wires' grey: reads on either canvas
        painter.drawText(self.viewport().rect().adjusted(24, 24, -24, -24),
                         Qt.AlignCenter | Qt.TextWordWrap, EMPTY_HINT)
        painter.restore()

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
        """Redraw for ``expr``; blocks missing from ``positions`` are auto-placed. Blocks that a
        gesture of this canvas just added become the selection."""
        before, added = set(self.selected_ids()), set(expr.ids) - set(self._expr.ids)
        selected = added if self._select_added and added else before
        self._expr, shapes, errors = expr, shapes or {}, errors or {}
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
            item.setSelected(block.id in selected)
            self.scene().addItem(item)
            self._items[block.id] = item
        auto = arrange(expr, self.block_sizes()) if set(expr.ids) - set(positions) else {}
        self._positions = {i: tuple(positions.get(i, auto.get(i, (0.0, 0.0)))) for i in expr.ids}
        for block_id, item in self._items.items():
            item.setPos(QPointF(*self._positions[block_id]))
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
        rect = self.scene().itemsBoundingRect().adjusted(-2000, -2000, 2000, 2000)
        self.scene().setSceneRect(rect | self.visible_rect())  # what is shown does not jump
        if set(self.selected_ids()) != before:
            self._on_selection()
        for block_id in added & set(self.selected_ids()):
            self._keep_in_view(self._items[block_id])

    def _keep_in_view(self, item: BlockItem) -> None:
        """Show a block just added: zoom out to show every block while op names stay legible
        (never in), else scroll to it."""
        if self.visible_rect().contains(item.footprint()):
            return
        everything = QRectF()
        for other in self._items.values():
            everything |= other.footprint()
        everything.adjust(-20, -20, 20, 20)
        view = self.viewport().rect()
        needed = min(view.width() / everything.width(), view.height() / everything.height())
        if needed >= self.legible_zoom():
            zoom = min(self.zoom(), needed)
            self.resetTransform()
            self.scale(zoom, zoom)
            self.centerOn(everything.center())
        else:
            self.ensureVisible(item.footprint(), 30, 30)

    def _port_values(self, block: Block) -> tuple:
        if block.op not in B.TEMPLATES:  # code only (x.sort(), y[0] = v): what it reads
            return B.code_only_inputs(block) if block.op != "input" else ()
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
            if isinstance(value, (int, float, Var, Calc)) and not isinstance(value, bool):
                shown = f"{shown}={value_text(value)}"
            elif block.op in B.TEMPLATES and \
                    address in [p.name for p in B.TEMPLATES[block.op].ports if p.many]:
                shown = "+"
            elif isinstance(value, Hole):
                shown = f"{shown}: {UNCONNECTED}"
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

    def block_items(self) -> list[BlockItem]:
        return list(self._items.values())

    def wire_items(self) -> list[WireItem]:
        return list(self._wires.values())

    def wire_count(self) -> int:
        return len(self._wires)

    def selected_ids(self) -> list[str]:
        """The selected blocks, in the order they were selected."""
        chosen = [i for i, item in self._items.items() if item.isSelected()]
        return [i for i in self._order if i in chosen] + [i for i in chosen if i not in self._order]

    def select_blocks(self, ids) -> None:
        for block_id, item in self._items.items():
            item.setSelected(block_id in ids)

    def select_all(self) -> None:
        """Select every block (Ctrl+A); Delete then removes them all in one undoable edit."""
        self.select_blocks(set(self._items))

    def output_port_pos(self, block_id: str) -> QPointF:
        return self._items[block_id].output_port.scenePos()

    def input_port_pos(self, block_id: str, address: str) -> QPointF:
        return self._items[block_id].input_ports[address].scenePos()

    def block_pos(self, block_id: str) -> QPointF:
        """A point inside the block's box, clear of its ports (where a click selects it)."""
        item = self._items[block_id]
        return item.mapToScene(item.box().center())

    def block_at(self, scene_pos: QPointF) -> str | None:
        """The id of the block whose box holds ``scene_pos``, if any."""
        for block_id, item in self._items.items():
            if item.mapRectToScene(item.box()).contains(scene_pos):
                return block_id
        return None

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
    def add_entry(self, key: str) -> None:
        """A palette entry requested (double-click, Enter): added in free space near the middle
        of what is visible, fed by the selected blocks."""
        self._add(key, self.visible_centre(), None)

    def drop_entry(self, key: str, scene_pos: QPointF) -> None:
        """A palette entry dropped at ``scene_pos``: fed by the selected blocks and by the block
        it was dropped onto (last), placed in free space near there."""
        self._add(key, scene_pos, self.block_at(scene_pos))

    def _add(self, key: str, centre: QPointF, onto: str | None) -> None:
        entry = self._entries.get(key)
        if entry is None:
            return
        sources = [i for i in self.selected_ids() if makes_tensor(self._expr, i)]
        if onto is not None and onto not in sources and makes_tensor(self._expr, onto):
            sources.append(onto)
        preset = sized_preset(self._expr, entry.op, tuple(entry.preset))
        edit = AddBlock(entry.op, preset, (0.0, 0.0), None, tuple(sources))
        self._request_adding(AddBlock(edit.op, edit.preset, self._place(edit, centre), None,
                                      edit.inputs))

    def _place(self, edit: AddBlock, centre: QPointF) -> Position:
        """Where the block ``edit`` adds goes: free space near ``centre``, or below its inputs."""
        try:
            expr, _ = apply_edit(self._expr, self._positions, edit)
        except ExpressionError:
            return (centre.x(), centre.y())
        block = expr.blocks[-1]
        probe = BlockItem(self._look(block, None, B.problems(expr).get(block.id), False),
                          self.view_style)
        covers = probe.boundingRect() | probe.childrenBoundingRect()
        fed = [self._items[i] for i in dict.fromkeys(block.inputs) if i in self._items]
        if fed:
            below = max(item.mapRectToScene(item.box()).bottom() for item in fed)
            centre = QPointF(sum(item.pos().x() for item in fed) / len(fed),
                             below + BELOW_INPUTS + covers.height() / 2)
        taken = [item.footprint().getCoords() for item in self._items.values()]
        x, top = free_spot((covers.width(), covers.height()), (centre.x(), centre.y()), taken,
                           self.visible_rect().getCoords(), row=not fed)
        return (x - covers.center().x(), top - covers.top())

    def _request_adding(self, edit: object) -> None:
        self._select_added = True
        try:
            self.edit_requested.emit(edit)
        finally:
            self._select_added = False

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
        """One ``Paste`` edit with the copied blocks (offset by PASTE_OFFSET); they become the
        selection."""
        if self._clipboard[0]:
            self._request_adding(Paste(*self._clipboard))

    def auto_arrange(self) -> None:
        """Emit MoveBlocks placing every block by what feeds what (compactly: see
        :mod:`~nla_explorer.engine.blocks.arrange`)."""
        placed = arrange(self._expr, self.block_sizes())
        self.edit_requested.emit(MoveBlocks(tuple(placed.items())))

    def block_sizes(self) -> dict[str, tuple[float, float]]:
        """(width, height below the top edge) of each drawn block, its error card included."""
        sizes = {}
        for block_id, item in self._items.items():
            covers = item.boundingRect() | item.childrenBoundingRect()
            sizes[block_id] = (covers.width(), covers.bottom())
        return sizes

    # -- selection -------------------------------------------------------------------------------
    def _on_selection(self) -> None:
        chosen = [i for i, item in self._items.items() if item.isSelected()]
        self._order = [i for i in self._order if i in chosen] + [
            i for i in chosen if i not in self._order]  # several at once: in program order
        self.block_selected.emit(chosen[0] if len(chosen) == 1 else None)
