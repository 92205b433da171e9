"""The document: the current expression or captured tensor, its graph and trace, and the selection.

Views subscribe to its signals; every change goes through its methods. Errors never replace the
last good capture: they are reported through ``error_changed`` and the old state stays.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.examples import Example, get_example, manual_gradients
from nla_explorer.engine.graph import AutogradGraph
from nla_explorer.engine.pipeline import Exploration, explore_code
from nla_explorer.engine.tensors import TensorData, snapshot
from nla_explorer.engine.trace import BackwardTrace


class Document(QObject):
    """State shared by the window's views."""

    graph_changed = Signal()
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
        self._manual: dict[str, list[tuple[str, TensorData]]] | None = None

    # -- loading -----------------------------------------------------------------------------------
    def set_code(self, text: str, example: Example | None = None, title: str = "") -> bool:
        """Capture ``text``; on failure keep everything as it was and report the message."""
        try:
            exploration = explore_code(text)
        except EngineError as exc:
            self._set_error(str(exc))
            return False
        except MemoryError:
            self._set_error("out of memory while evaluating the code")
            return False
        self.code = text
        self.example = example if example is not None and example.code == text else None
        self.exploration = exploration
        self.title = title or (self.example.name if self.example else "untitled")
        self._replace(exploration.graph, exploration.trace)
        return True

    def load_example(self, name: str) -> bool:
        try:
            example = get_example(name)
        except EngineError as exc:
            self._set_error(str(exc))
            return False
        return self.set_code(example.code, example, example.name)

    def set_graph(self, graph: AutogradGraph, trace: BackwardTrace, title: str = "") -> None:
        """Show a graph captured elsewhere (``explore(tensor)``)."""
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
