"""The document: the current expression or captured tensor, its graph and trace, and the selection.

Views subscribe to its signals; every change goes through its methods. Errors never replace the
last good capture: they are reported through ``error_changed`` and the old state stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.examples import Example, get_example, manual_gradients
from nla_explorer.engine.graph import AutogradGraph
from nla_explorer.engine.code_writer import to_code
from nla_explorer.engine.expression import Expression
from nla_explorer.engine.pipeline import Exploration, explore_code, explore_expression
from nla_explorer.engine.tensors import TensorData, snapshot
from nla_explorer.engine.trace import BackwardTrace


@dataclass(frozen=True, eq=False)
class State:
    """What an undo step restores: the capture and where it came from."""

    exploration: Exploration
    code: str
    example: Example | None
    title: str


class CaptureCommand(QUndoCommand):
    """One edit (pasted code, an example, an opened session): undo restores the previous capture."""

    def __init__(self, document: "Document", before: State | None, after: State, text: str):
        super().__init__(text)
        self.document, self.before, self.after = document, before, after

    def redo(self) -> None:
        self.document.restore(self.after)

    def undo(self) -> None:
        if self.before is not None:
            self.document.restore(self.before)


class Document(QObject):
    """State shared by the window's views, and the undo stack of its edits."""

    graph_changed = Signal()
    code_changed = Signal(str)  # the code form of the current expression (after undo/redo too)
    error_changed = Signal(str)  # "" when the last action succeeded
    selection_changed = Signal(object)  # autograd node id or None

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.exploration: Exploration | None = None
        self.graph: AutogradGraph | None = None
        self.trace: BackwardTrace | None = None
        self.title: str = ""
        self.code: str = ""
        self.example: Example | None = None
        self.selected: str | None = None
        self.error: str = ""
        self.undo_stack = QUndoStack(self)
        self._manual: dict[str, list[tuple[str, TensorData]]] | None = None

    # -- edits (undoable) ------------------------------------------------------------------------
    def set_code(self, text: str, example: Example | None = None, title: str = "") -> bool:
        """Capture ``text`` as an undoable edit; on failure keep everything and report why."""
        try:
            exploration = explore_code(text)
        except EngineError as exc:
            self._set_error(str(exc))
            return False
        except MemoryError:
            self._set_error("out of memory while evaluating the code")
            return False
        example = example if example is not None and example.code == text else None
        title = title or (example.name if example else (self.title or "untitled"))
        self._push(State(exploration, text, example, title), "Edit code")
        return True

    def set_expression(self, expression: Expression, title: str) -> bool:
        """Capture an expression (an opened session) as an undoable edit."""
        try:
            exploration = explore_expression(expression)
            code = to_code(expression)
        except EngineError as exc:
            self._set_error(str(exc))
            return False
        self._push(State(exploration, code, None, title), f"Open {title}")
        return True

    def load_example(self, name: str) -> bool:
        try:
            example = get_example(name)
        except EngineError as exc:
            self._set_error(str(exc))
            return False
        return self.set_code(example.code, example, example.name)

    @property
    def expression(self) -> Expression | None:
        return self.exploration.expression if self.exploration is not None else None

    def _push(self, after: State, text: str) -> None:
        before = None if self.exploration is None else State(self.exploration, self.code,
                                                             self.example, self.title)
        self.undo_stack.push(CaptureCommand(self, before, after, text))

    def restore(self, state: State) -> None:
        """Make ``state`` current (undo commands call this)."""
        self.exploration, self.code = state.exploration, state.code
        self.example, self.title = state.example, state.title
        self._replace(state.exploration.graph, state.exploration.trace)
        self.code_changed.emit(state.code)

    def set_graph(self, graph: AutogradGraph, trace: BackwardTrace, title: str = "") -> None:
        """Show a graph captured elsewhere (``explore(tensor)``); it has no code to undo."""
        self.undo_stack.clear()
        self.exploration, self.example, self.code = None, None, ""
        self.title = title or "tensor"
        self._replace(graph, trace)

    def _replace(self, graph: AutogradGraph, trace: BackwardTrace) -> None:
        self.graph, self.trace = graph, trace
        self.selected = None
        self._manual = None
        self._set_error("")
        self.graph_changed.emit()
        self.selection_changed.emit(None)

    def _set_error(self, message: str) -> None:
        self.error = message
        self.error_changed.emit(message)

    # -- selection and per-node data -------------------------------------------------------------------
    def select(self, node_id: str | None) -> None:
        if self.graph is None or (node_id is not None and node_id not in
                                  {n.id for n in self.graph.nodes}):
            node_id = None
        if node_id != self.selected:
            self.selected = node_id
            self.selection_changed.emit(node_id)

    def grad_of(self, node_id: str) -> TensorData | None:
        return self.trace.node_grad(node_id) if self.trace is not None else None

    def step_index_of(self, node_id: str) -> int | None:
        step = self.trace.step_of(node_id) if self.trace is not None else None
        return step.index if step is not None else None

    def manual_for(self, node_id: str) -> list[tuple[str, TensorData]]:
        """The example's manual gradient formulas for this leaf, evaluated (course comparison)."""
        if self.example is None or self.exploration is None or self.graph is None:
            return []
        if self._manual is None:
            self._manual = {}
            for manual, value in manual_gradients(self.example, self.exploration.evaluation):
                self._manual.setdefault(manual.leaf, []).append((manual.label, snapshot(value)))
        name = self.graph.node(node_id).name
        return self._manual.get(name, []) if name else []
