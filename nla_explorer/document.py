"""The document: the current expression or captured tensor, its graph and trace, and the selection.

Views subscribe to its signals; every change goes through its methods. Errors never replace the
last good capture: they are reported through ``error_changed`` and the old state stays.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from nla_explorer.engine.errors import EngineError
from nla_explorer.document_state import CaptureCommand, State
from nla_explorer.engine.examples import Example, get_example
from nla_explorer.engine.autograd.graph import LEAF, AutogradGraph
from nla_explorer.engine.code.budget import CaptureSizes
from nla_explorer.engine.expression import Expression
from nla_explorer import document_sources as sources
from nla_explorer.engine.pipeline import Exploration
from nla_explorer.engine.runner.result import RunResult
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT, TensorData
from nla_explorer.engine.autograd.backward_calls import BackwardCall
from nla_explorer.engine.blocks.edits import apply_edit
from nla_explorer.engine.blocks.positions import kept_positions
from nla_explorer.engine.code.seeding import with_seed
from nla_explorer.engine.autograd.stepper import (BACKWARD, FORWARD, StepView, forward_order,
                                                  forward_view, step_view)
from nla_explorer.engine.autograd.trace import BackwardTrace

#: Undo steps kept, each a whole capture (values, graph, trace): unbounded, the stack grew
UNDO_LIMIT = 100  # without end over a long session (found by the soak test, tests/test_soak.py)
UNDO_BYTES = 2**30  #: bytes the undo steps may hold besides the capture shown; then the oldest go


class Document(QObject):
    """State shared by the window's views, and the undo stack of its edits."""

    graph_changed = Signal()
    gradients_changed = Signal()  # a big graph's gradients arrived after it was shown
    blocks_changed = Signal()  # the edited expression, its positions or its problem changed
    code_changed = Signal(str)  # the code form of the current expression (after undo/redo too)
    error_changed = Signal(str)  # "" when the last action succeeded
    selection_changed = Signal(object)  # autograd node id or None
    step_changed = Signal(object)  # step index, or None when not stepping
    step_mode_changed = Signal(str)  # "backward" or "forward"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state: State | None = None
        self.graph: AutogradGraph | None = None
        self.trace: BackwardTrace | None = None
        self.gradients_pending = False  # the graph is shown, its backward pass still to run
        self._title = ""  # for graphs captured elsewhere (no state)
        self._notes: tuple[str, ...] = ()  # and what the user should know about them
        self.selected: str | None = None
        self.step: int | None = None  # the step shown, None: the whole result
        self.step_mode = BACKWARD  # which pass the stepper walks through
        self.value_limit = FULL_VALUE_LIMIT  # tensors up to this size keep all their values
        self._forward_order: tuple[str, ...] | None = None
        self.error: str = ""
        self.error_culprit: str | None = None  # the variable or block the error is about
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self._sizes, self._replaying = CaptureSizes(), False  # the undo steps' bytes; re-pushing
        self._manual: dict[str, list[tuple[str, TensorData]]] | None = None
        self._final_grads: dict[str, TensorData | None] | None = None
        #: evaluates code and blocks (the window's child process); None: in this process
        self.evaluator = None

    # -- the current state ---------------------------------------------------------------------
    @property
    def exploration(self) -> Exploration | None:
        return self.state.exploration if self.state else None

    @property
    def code(self) -> str:
        return self.state.code if self.state else ""

    @property
    def example(self) -> Example | None:
        return self.state.example if self.state else None

    @property
    def title(self) -> str:
        return self.state.title if self.state else self._title

    @property
    def expression(self) -> Expression | None:
        """The expression being edited (what a session saves)."""
        return self.state.expression if self.state else None

    @property
    def positions(self) -> dict[str, tuple[float, float]]:
        return dict(self.state.positions) if self.state else {}

    @property
    def problem(self) -> str:
        return self.state.problem if self.state else ""

    @property
    def calls(self) -> tuple[BackwardCall, ...]:
        """The code's own backward calls, in the order they ran (empty: none, or no code)."""
        return self.exploration.calls if self.exploration else ()

    @property
    def call_index(self) -> int | None:
        """Which of ``calls`` the graph and steps show (None: the hypothetical ``backward()``)."""
        return self.exploration.call_index if self.exploration else None

    @property
    def notes(self) -> tuple[str, ...]:
        """What the user should know of the result shown (unseeded numbers...; not the call)."""
        return self.exploration.remarks if self.exploration else self._notes

    @property
    def unseeded(self) -> bool:  # random draws without torch.manual_seed: new numbers each time
        return bool(self.exploration and self.exploration.unseeded)

    # -- edits (undoable) ------------------------------------------------------------------------
    def set_code(self, text: str, example: Example | None = None, title: str = "") -> bool:
        """Capture ``text`` as an undoable edit; on failure keep everything and report why."""
        try:
            example = example if example is not None and example.code == text else None
            exploration = sources.explore(self.evaluator, self.value_limit, code=text,
                                          example=example)
        except EngineError as exc:
            self._set_error(str(exc), getattr(exc, "culprit", None))
            return False
        except MemoryError:
            self._set_error("out of memory while evaluating the code")
            return False
        title = title or (example.name if example else (self.title or "untitled"))
        positions = kept_positions(self.expression, self.positions, exploration.expression)
        self._push(State(exploration, text, example, title, exploration.expression, positions),
                   "Edit code")
        return True

    def set_run(self, result: RunResult, text: str, title: str = "") -> bool:
        """Show a Run as Python result (an undoable step); one with nothing to draw keeps the
        graph on screen and only reports its error, if any."""
        if result.graph is None or result.trace is None:
            self._set_error(str(result.error) if result.error else "", None)
            return False
        # the blocks cannot say what Python ran (classes, loops): the canvas is empty meanwhile
        after = State(result, text, None, title or self.title or "untitled", Expression(()))
        self._push(after, "Run as Python")
        if result.error is not None:  # the cells after the error did not run: say so
            self._set_error(str(result.error))
        return True

    def set_expression(self, expression: Expression, title: str,
                       positions: dict | None = None) -> bool:
        """Capture an expression (an opened session) as an undoable edit."""
        try:
            exploration = sources.explore(self.evaluator, self.value_limit,
                                          expression=expression)
            problem, diagnosis = "", None
        except EngineError as exc:
            if self.state is None:  # nothing to show yet: the session cannot open
                self._set_error(str(exc), getattr(exc, "culprit", None))
                return False
            # an unfinished expression (a port left unconnected): open it, keep the last graph
            exploration, problem = self.state.exploration, str(exc)
            diagnosis = getattr(exc, "diagnosis", None)
        except MemoryError:
            self._set_error("out of memory while evaluating the session")
            return False
        self._push(State(exploration, sources.blocks_code(expression), None, title, expression,
                         tuple((positions or {}).items()), problem, diagnosis), f"Open {title}")
        return True

    def edit_blocks(self, edit, description: str = "Edit blocks") -> bool:
        """Apply a block-canvas edit; an invalid result keeps the last good graph and says why."""
        if self.state is None:
            return False
        try:
            expression, positions = apply_edit(self.expression, self.positions, edit)
        except EngineError as exc:
            self._set_error(str(exc))
            return False
        state = self.state
        if expression == state.expression:  # a move: nothing to evaluate
            self._push(replace(state, positions=tuple(positions.items())), description)
            return True
        try:
            exploration = sources.explore(self.evaluator, self.value_limit,
                                          expression=expression)
            problem, diagnosis = "", None
        except EngineError as exc:  # the code follows the blocks; the graph stays the last good
            exploration, problem = state.exploration, str(exc)
            diagnosis = getattr(exc, "diagnosis", None)
        except MemoryError:
            self._set_error("out of memory while evaluating the blocks")
            return False
        self._push(State(exploration, sources.blocks_code(expression), None, state.title,
                         expression, tuple(positions.items()), problem, diagnosis), description)
        return True

    def insert_seed(self) -> bool:
        """Seed unseeded code (``torch.manual_seed(0)`` after its imports) as an undoable edit."""
        if self.state is None or not self.unseeded:
            return False
        if isinstance(self.exploration, RunResult) and self.exploration.expression is None:
            # a Python run: the text changes, and Run runs it
            self.state = replace(self.state, code=with_seed(self.code))
            self.code_changed.emit(self.state.code)
            return True
        return self.set_code(with_seed(self.code), title=self.title)

    def show_call(self, index: int) -> None:
        """Show the code's backward call ``index`` (the same run; a view, not an undo step)."""
        if self.state is None or index == self.call_index:
            return
        try:
            exploration = self.state.exploration.with_call(index)
        except EngineError as exc:
            self._set_error(str(exc))
            return
        self.state = replace(self.state, exploration=exploration)
        self._replace(exploration.graph, exploration.trace)

    def load_example(self, name: str) -> bool:
        try:
            example = get_example(name)
        except EngineError as exc:
            self._set_error(str(exc))
            return False
        return self.set_code(example.code, example, example.name)

    def _push(self, after: State, text: str) -> None:
        self.undo_stack.push(CaptureCommand(self, self.state, after, text))
        self._trim_history()

    def _trim_history(self) -> None:
        """Drop the oldest undo steps while their captures pass :data:`UNDO_BYTES`: re-push the rest."""
        stack = self.undo_stack
        steps = [(c.before, c.after, c.text()) for c in map(stack.command, range(stack.count()))]
        held = [(b and b.exploration, a.exploration) for b, a, _ in steps]
        kept = self._sizes.steps_kept(held, self.exploration, UNDO_BYTES)
        if kept == len(steps):
            return
        clean = stack.cleanIndex() - (len(steps) - kept)  # the saved state's index, once trimmed
        stack.clear()  # (QUndoStack cannot drop its oldest commands itself)
        self._replaying = True  # restore() does nothing: the last state kept is the one shown
        for i, step in enumerate(steps[len(steps) - kept:]):
            stack.push(CaptureCommand(self, *step))
            if i + 1 == clean:
                stack.setClean()
        self._replaying = False
        if clean < 0:
            stack.resetClean()

    def restore(self, state: State) -> None:
        """Make ``state`` current (undo commands call this)."""
        if self._replaying:
            return
        before = self.state
        self.state = state
        if before is None or before.exploration is not state.exploration:
            self._replace(state.exploration.graph, state.exploration.trace)
        else:
            self._set_error("")
        self.blocks_changed.emit()
        if before is None or before.code != state.code:
            self.code_changed.emit(state.code)

    def set_graph(self, graph: AutogradGraph, trace: BackwardTrace | None, title: str = "",
                  notes: tuple[str, ...] = ()) -> None:
        """A graph captured elsewhere (``explore``); no ``trace``: :meth:`set_gradients` later."""
        self.undo_stack.clear()
        self.state = None
        self._title = title or "tensor"
        self._notes = tuple(notes)  # before _replace: graph_changed refreshes the notes
        self._replace(graph, trace, pending=trace is None)

    def set_gradients(self, trace: BackwardTrace | None, problem: str = "",
                      graph: AutogradGraph | None = None) -> None:
        """The shown graph's backward pass, traced after it was drawn (None: failed, ``problem``);
        ``graph``: the same graph with the values its Nodes saved, read after it was drawn."""
        self.gradients_pending, self.graph = False, graph or self.graph
        if trace is not None:
            self.trace, self._forward_order, self._final_grads = trace, None, None
        self._set_error(problem if trace is None else "")
        self.gradients_changed.emit()
        self.selection_changed.emit(self.selected)  # its gradient is known now

    def set_step(self, index: int | None) -> None:
        """Show backward step ``index`` (-1: before the first; None: leave step mode)."""
        if index is not None and self.trace is not None:
            index = max(-1, min(index, len(self.trace.steps) - 1))
        if index != self.step:
            self.step = index
            self.step_changed.emit(index)

    def set_step_mode(self, mode: str) -> None:
        """Walk the backward pass (gradients) or the forward pass (values); the step index stays."""
        if mode not in (BACKWARD, FORWARD):
            raise ValueError(f"unknown step mode {mode!r} (known: {BACKWARD}, {FORWARD})")
        if mode != self.step_mode:
            self.step_mode = mode
            self.step_mode_changed.emit(mode)
            if self.step is not None:
                self.step_changed.emit(self.step)

    def step_count(self) -> int:
        return len(self.trace.steps) if self.trace is not None else 0

    def forward_order(self) -> tuple[str, ...]:
        if self._forward_order is None and self.graph is not None and self.trace is not None:
            self._forward_order = forward_order(self.graph, self.trace)
        return self._forward_order or ()

    def step_view(self, index: int | None = None) -> StepView | None:
        """What the graph shows at step ``index`` (default: the current step) of the current pass."""
        index = self.step if index is None else index
        if index is None or self.graph is None or self.trace is None:
            return None
        if self.step_mode == FORWARD:
            return forward_view(self.graph, self.forward_order(), index)
        return step_view(self.graph, self.trace, index)

    def _replace(self, graph: AutogradGraph, trace: BackwardTrace | None,
                 pending: bool = False) -> None:
        self.graph, self.trace, self.gradients_pending = graph, trace, pending
        self._forward_order = None
        if self.step is not None:
            self.step = None
            self.step_changed.emit(None)
        self.selected = None
        self._manual = None
        self._final_grads = None
        self._set_error("")
        self.graph_changed.emit()
        self.selection_changed.emit(None)

    def _set_error(self, message: str, culprit: str | None = None) -> None:
        self.error, self.error_culprit = message, (culprit if message else None)
        self.error_changed.emit(message)
        node = self.error_node
        if node is not None:  # the tensor torch complained about, on the graph still shown
            self.select(node)

    @property
    def error_node(self) -> str | None:
        """The id of the node on screen named by the last error's culprit, if any."""
        if not self.error_culprit or self.graph is None:
            return None
        return next((n.id for n in self.graph.nodes if n.name == self.error_culprit), None)

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

    def final_grad_of(self, node_id: str) -> TensorData | None:
        """A leaf's ``.grad`` after the whole program when the code makes several backward calls."""
        if len(self.calls) < 2 or self.graph is None:
            return None
        node = self.graph.node(node_id)
        if node.kind != LEAF or not node.name:
            return None
        if self._final_grads is None:
            self._final_grads = sources.final_grads(self.exploration, self.value_limit)
        return self._final_grads.get(node.name)

    def block_shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape of each block of the current capture, by block id."""
        return sources.block_shapes(self.exploration) if self.exploration else {}

    def diagnosis(self) -> tuple[dict, dict]:
        """Shapes and per-block messages of the edited blocks when they do not evaluate."""
        return sources.diagnosis_of(self.expression, self.state.diagnosis if self.state else None)

    def check_gradients(self) -> list:
        """The shown call's gradients against finite differences (evaluated again, elsewhere)."""
        return sources.check(self.evaluator, self.exploration) if self.exploration else []

    def manual_for(self, node_id: str) -> list[tuple[str, TensorData]]:
        """The example's manual gradient formulas for this leaf, evaluated (course comparison), or
        what a Python run compared with its ``.grad``."""
        if self.exploration is None or self.graph is None:
            return []
        if self._manual is None:
            self._manual = sources.manual_by_leaf(self.exploration, self.example)
        name = self.graph.node(node_id).name
        return self._manual.get(name, []) if name else []
