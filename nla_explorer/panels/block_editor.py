"""The block editor dock: the canvas and the parameter panel, wired to the document.

Gestures on the canvas and edits in the parameter panel become document edits (undo commands);
the document's ``blocks_changed`` redraws the canvas with shapes, or with the error on the block
at fault while the graph view keeps the last good graph.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from nla_explorer.document import Document
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine.blocks import edits as E
from nla_explorer.panels.block_canvas import BlockCanvas
from nla_explorer.panels.block_params import BlockParamsPanel

_DESCRIPTIONS = {
    E.AddBlock: "Add block", E.RemoveBlocks: "Delete blocks", E.Connect: "Connect",
    E.Disconnect: "Disconnect", E.MoveBlocks: "Move blocks", E.SetParam: "Set parameter",
    E.Rename: "Rename", E.SetOutput: "Set output", E.SetNumber: "Set number", E.Paste: "Paste",
}


class BlockEditorPanel(QWidget):
    """Canvas + parameters; ``add_entry(key)`` adds a palette entry at the canvas centre."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.canvas = BlockCanvas()
        self.params = BlockParamsPanel()
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.canvas)
        splitter.addWidget(self.params)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 300])
        self.params.setMinimumWidth(240)
        self.params.setMaximumWidth(420)
        self._fitted_for: object = None  # fit the canvas once per newly loaded expression
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.canvas.edit_requested.connect(self.apply)
        self.params.edit_requested.connect(self.apply)
        self.canvas.block_selected.connect(self._block_selected)
        document.blocks_changed.connect(self.refresh)

    def set_view_style(self, style: ViewStyle) -> None:
        """The canvas' colours (it keeps its own font size)."""
        self.canvas.set_view_style(style)

    def apply(self, edit: object) -> bool:
        return self.document.edit_blocks(edit, _DESCRIPTIONS.get(type(edit), "Edit blocks"))

    def add_entry(self, key: str) -> None:
        centre = self.canvas.mapToScene(self.canvas.viewport().rect().center())
        self.canvas.drop_entry(key, QPointF(centre))

    def refresh(self) -> None:
        doc = self.document
        expression = doc.expression
        if expression is None:
            return
        if doc.problem:
            shapes, errors = doc.diagnosis()
        elif doc.exploration.expression is None:  # a Python run: the code has no blocks
            shapes, errors = {}, {}
        else:
            shapes, errors = doc.block_shapes(), {}
        self.canvas.set_expression(expression, doc.positions, shapes, errors)
        if doc.state is not None and self._fitted_for is not doc.state.exploration and \
                not doc.positions:
            self._show_new(expression)
        self._fitted_for = doc.state.exploration if doc.state is not None else None
        self.params.set_block(expression, self.params.block_id()
                              if self.params.block_id() in expression.ids else None)

    def _show_new(self, expression) -> None:
        """A new expression (code, example, session): all of it if that stays readable, else
        its output block at a readable zoom."""
        self.canvas.fit()
        if self.canvas.transform().m11() >= 0.45:
            return
        self.canvas.zoom_by(0.75 / self.canvas.transform().m11())
        out = expression.output_block()
        if out is not None and self.canvas.block_item(out.id) is not None:
            self.canvas.centerOn(self.canvas.block_item(out.id))

    def _block_selected(self, block_id: str | None) -> None:
        if self.document.expression is not None:
            self.params.set_block(self.document.expression, block_id)
