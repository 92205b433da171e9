"""The backward pass on the picture: fade waiting nodes, outline the running one, light the edges
that carry gradient at this step and label them with the gradient.

Only what changes between two steps is touched (a few items), so stepping stays within a frame.
"""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QGraphicsSimpleTextItem

from nla_explorer.engine.stepper import StepView
from nla_explorer.graph_view import style
from nla_explorer.graph_view.items import EdgeItem
from nla_explorer.graph_view.scene import GraphScene
from nla_explorer.value_text import short_text


class StepOverlay:
    """Applies :class:`StepView`s to a :class:`GraphScene` (``None`` leaves step mode)."""

    def __init__(self, scene: GraphScene) -> None:
        self.scene = scene
        self._states: dict[str, str] = {}  # box id → state shown
        self._lit: list[int] = []  # edge indexes lit (scenes with one item per edge)
        self._extra: list = []  # labels and temporary edges to remove
        self._box_of: dict[str, str] | None = None
        self._edge_index: dict[tuple[str, str], list[int]] | None = None
        scene.changed_picture.connect(self.reset)

    def reset(self) -> None:
        """A new picture: forget what was shown (its items are gone)."""
        self._states, self._lit, self._extra = {}, [], []
        self._box_of = self._edge_index = None

    def apply(self, view: StepView | None) -> None:
        display = self.scene.display
        if display is None:
            return
        if self._box_of is None:
            self._index(display)
        states: dict[str, str] = {}
        if view is not None:
            for graph_id, state in view.states.items():
                box = self._box_of.get(graph_id)
                if box is not None and states.get(box) != "current":
                    states[box] = state
        for box in set(self._states) | set(states):
            if self._states.get(box) != states.get(box):
                item = self.scene.node_items.get(box)
                if item is not None:
                    item.set_step_state(states.get(box))
        self._states = states
        self._clear_lit()
        if view is not None:
            for lit in view.lit:
                self._light(lit)

    def _index(self, display) -> None:
        self._box_of = {}
        for node in display.nodes:
            graph_id = node.proxy_of or (node.graph_id if node.kind != "constant" else None)
            for gid in (node.members or ((graph_id,) if graph_id else ())):
                self._box_of.setdefault(gid, node.id)
        self._edge_index = {}
        for i, edge in enumerate(display.edges):
            self._edge_index.setdefault((edge.source, edge.target), []).append(i)

    def _light(self, lit) -> None:
        source, target = self._box_of.get(lit.source), self._box_of.get(lit.target)
        candidates = self._edge_index.get((source, target)) or []
        if not candidates:
            return
        index = candidates[min(lit.slot, len(candidates) - 1)] if len(candidates) > 1 \
            else candidates[0]
        points = self.scene.edge_points(index)
        if self.scene.edge_items:
            self.scene.edge_items[index].set_lit(style.GRADIENT_FLOW)
            self._lit.append(index)
        else:
            item = EdgeItem(self.scene.display.edges[index], list(points), self.scene.fonts.size)
            item.set_lit(style.GRADIENT_FLOW)
            item.setZValue(0.6)
            self.scene.addItem(item)
            self._extra.append(item)
        if lit.grad is not None and points:
            # near the receiving input (the source box), where edges into one node spread apart
            sx, sy = points[0]
            tx, ty = points[-1]
            mid = (sx + 0.3 * (tx - sx), sy + 0.3 * (ty - sy))
            label = QGraphicsSimpleTextItem("∇ " + short_text(lit.grad, width=2))
            font = QFont(self.scene.fonts.mono)
            font.setBold(True)
            label.setFont(font)
            label.setBrush(QBrush(QColor(style.GRADIENT_FLOW)))
            height = label.boundingRect().height()
            taken = sum(1 for item in self._extra if isinstance(item, QGraphicsSimpleTextItem))
            label.setPos(mid[0] + 6, mid[1] - height / 2 + taken * height)
            label.setZValue(3)
            self.scene.addItem(label)
            self._extra.append(label)

    def _clear_lit(self) -> None:
        for index in self._lit:
            if index < len(self.scene.edge_items):
                self.scene.edge_items[index].set_lit(None)
        for item in self._extra:
            if item.scene() is self.scene:
                self.scene.removeItem(item)
        self._lit, self._extra = [], []
