"""The block editor dock: a toolbar, the canvas and the parameter panel, wired to the document.

Gestures on the canvas and edits in the parameter panel become document edits (undo commands);
the document's ``blocks_changed`` redraws the canvas with shapes, or with the error on the block
at fault while the graph view keeps the last good graph. The parameter panel shows the block
selected on the canvas (a block just added is selected). The panel sits beside the canvas in a
wide dock and below it in a narrow one, so the canvas keeps the dock's width. A newly loaded
expression hides it until a block is selected (the canvas takes all the room: at 720p the
course's deepest example fits whole), and then it keeps its room while the user edits (blocks do
not jump about). The expression's named numbers are in the toolbar, whatever is selected.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QToolBar, QVBoxLayout, QWidget

from nla_explorer.document import Document
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine.blocks import edits as E
from nla_explorer.panels.block_canvas import BlockCanvas
from nla_explorer.panels.block_params import BlockParamsPanel

_DESCRIPTIONS = {
    E.AddBlock: "Add block", E.RemoveBlocks: "Delete blocks", E.Connect: "Connect",
    E.Disconnect: "Disconnect", E.MoveBlocks: "Move blocks", E.SetParam: "Set parameter",
    E.Rename: "Rename", E.SetOutput: "Set output", E.SetNumber: "Set number", E.Paste: "Paste",
    E.SetNumbers: "Set numbers", E.Clear: "New blocks",
}
WIDE = 1.3  # width / height above which the parameters sit beside the canvas
PARAMS_HEIGHT = 240  # the most room the parameters take below the canvas


class BlockEditorPanel(QWidget):
    """Toolbar + canvas + parameters. ``add_entry(key)`` adds a palette entry (connect the
    palette's ``block_requested`` to it); ``new_action`` (New: no blocks, undoable) and
    ``select_all_action`` are actions a window may also put in its menus."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.canvas = BlockCanvas()
        self.params = BlockParamsPanel()
        self.toolbar = QToolBar("Blocks")
        self.toolbar.setObjectName("block_toolbar")
        self.new_action = self._action("New", "Start again with no blocks (Edit ▸ Undo brings "
                                       "them back)", self.clear)
        self.new_action.setShortcut(QKeySequence.New)
        self.select_all_action = self._action("Select all", "Select every block (Ctrl+A on "
                                              "the canvas); Delete removes them",
                                              self.canvas.select_all)
        self.arrange_action = self._action("Arrange", "Place the blocks by what feeds what",
                                           self.canvas.auto_arrange)
        self.fit_action = self._action("Fit", "Show every block (0 on the canvas)",
                                       self.canvas.fit)
        self.toolbar.addWidget(self.params.numbers_bar)  # n = 5: the expression's, not a block's
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.params_area = QScrollArea()  # a block with many fields scrolls, the canvas stays
        self.params_area.setWidget(self.params)
        self.params_area.setWidgetResizable(True)
        self.params_area.setFrameShape(QFrame.NoFrame)
        self.splitter.addWidget(self.canvas)
        self.splitter.addWidget(self.params_area)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.params_area.setMinimumWidth(200)
        self.params_area.setMinimumHeight(60)
        self.params_area.setVisible(False)  # until a block is selected
        self._fitted_for: object = None  # fit the canvas once per newly loaded expression
        self._compact = True  # no parameters shown until a block is selected
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        self.params.numbers_error.setContentsMargins(8, 2, 8, 2)
        layout.addWidget(self.params.numbers_error)  # shown while the numbers are refused
        layout.addWidget(self.splitter, 1)
        self.set_side_by_side(True)
        self.canvas.edit_requested.connect(self.apply)
        self.params.edit_requested.connect(self.apply)
        self.canvas.block_selected.connect(self._block_selected)
        document.blocks_changed.connect(self.refresh)

    def _action(self, text: str, tip: str, slot) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.toolbar.addAction(action)
        return action

    def set_view_style(self, style: ViewStyle) -> None:
        """The canvas' colours (it keeps its own font size)."""
        self.canvas.set_view_style(style)

    def set_side_by_side(self, wide: bool) -> None:
        """Parameters beside the canvas (``wide``) or below it."""
        vertical = not wide
        if self.splitter.orientation() == (Qt.Vertical if vertical else Qt.Horizontal) and \
                self.splitter.property("arranged"):
            return
        self.splitter.setProperty("arranged", True)
        self.splitter.setOrientation(Qt.Vertical if vertical else Qt.Horizontal)
        self.params_area.setMaximumWidth(16777215 if vertical else 420)
        self.params_area.setMaximumHeight(PARAMS_HEIGHT if vertical else 16777215)
        self.params_area.setVisible(not self._compact_now())
        total = max(self.height() if vertical else self.width(), 400)
        side = min(PARAMS_HEIGHT, total // 3) if vertical else min(300, total // 3)
        self.splitter.setSizes([total - side, side])

    def _compact_now(self) -> bool:
        """A newly loaded expression and no block selected: no parameters, all room to the
        canvas."""
        return self._compact and self.params.block_id() is None

    def _room_for_params(self) -> None:
        """The parameters shown (taking what a block's fields need) or hidden; the blocks stay
        where they are on screen (the canvas keeps its top-left corner), the selected one in
        sight."""
        shown = not self._compact_now()
        if shown != self.params_area.isHidden():
            return
        vertical = self.splitter.orientation() == Qt.Vertical
        total = sum(self.splitter.sizes())
        side = min(PARAMS_HEIGHT, total // 3) if vertical else min(300, total // 3)
        with self.canvas.view_held():
            self.params_area.setVisible(shown)
            self.splitter.refresh()  # laid out now, not later: the canvas then keeps its view
            if shown:
                self.splitter.setSizes([total - side, side])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        size = event.size()
        self.set_side_by_side(size.width() > WIDE * size.height())

    # -- edits -----------------------------------------------------------------------------------
    def apply(self, edit: object) -> bool:
        return self.document.edit_blocks(edit, _DESCRIPTIONS.get(type(edit), "Edit blocks"))

    def add_entry(self, key: str) -> None:
        """A palette entry: in free space near the middle of the canvas, fed by the selection."""
        self.canvas.add_entry(key)

    def clear(self) -> bool:
        """New: no blocks and no numbers, as one undoable edit."""
        return self.apply(E.Clear())

    # -- the document out ------------------------------------------------------------------------
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
        loaded = doc.state is not None and self._fitted_for is not doc.state.exploration and \
            not doc.positions  # a new expression (code, example, session)
        self._fitted_for = doc.state.exploration if doc.state is not None else None
        selected = self.canvas.selected_ids()
        self.params.set_block(expression, selected[0] if len(selected) == 1 else None)
        if loaded:  # compact below a loaded expression; New (no blocks) is for building
            self._compact = bool(expression.blocks)
            self._room_for_params()
            self.canvas.fit()  # at a legible zoom, in the room the parameters leave

    def _block_selected(self, block_id: str | None) -> None:
        if self.document.expression is not None:
            self.params.set_block(self.document.expression, block_id)
            if block_id is not None and self._compact:  # room for fields, kept while editing
                self._compact = False
                self._room_for_params()
