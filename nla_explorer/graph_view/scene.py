"""The scene of one autograd graph: builds node and edge items from a display graph and its layout.

It owns selection and hover highlighting (a node's inputs in blue, its consumers in orange) and
reports the selected autograd node by its graph id.
"""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsScene

from nla_explorer.graph_view import style
from nla_explorer.graph_view.items import EdgeItem, NodeItem, node_size
from nla_explorer.graph_view.layout import Layout
from nla_explorer.graph_view.model import DisplayGraph


def node_sizes(display: DisplayGraph, fonts: style.Fonts) -> dict[str, tuple[float, float]]:
    return {n.id: node_size(n, fonts) for n in display.nodes}


class GraphScene(QGraphicsScene):
    """Items for one :class:`DisplayGraph` placed by a :class:`Layout`."""

    node_selected = Signal(object)  # display node id, or None

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.display: DisplayGraph | None = None
        self.fonts = style.Fonts()
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: list[EdgeItem] = []
        self._inputs: dict[str, list[int]] = defaultdict(list)
        self._consumers: dict[str, list[int]] = defaultdict(list)
        self._hovered: str | None = None
        self.selectionChanged.connect(self._selection_changed)

    def show_graph(self, display: DisplayGraph, layout: Layout, fonts: style.Fonts) -> None:
        """Replace the picture (sizes must be those the layout was computed with)."""
        self.blockSignals(True)
        self.clear()
        self.blockSignals(False)
        self.display, self.fonts = display, fonts
        self.node_items, self.edge_items = {}, []
        self._inputs, self._consumers = defaultdict(list), defaultdict(list)
        self._hovered = None
        sizes = node_sizes(display, fonts)
        for node in display.nodes:
            item = NodeItem(node, sizes[node.id], fonts)
            item.setPos(*layout.positions[node.id])
            self.addItem(item)
            self.node_items[node.id] = item
        arrow = fonts.size * 0.85
        for i, (edge, points) in enumerate(zip(display.edges, layout.edge_points)):
            item = EdgeItem(edge, list(points), arrow, bezier=layout.engine == "dot")
            self.addItem(item)
            self.edge_items.append(item)
            self._inputs[edge.target].append(i)
            self._consumers[edge.source].append(i)
        margin = fonts.size * 3
        self.setSceneRect(self.itemsBoundingRect().adjusted(-margin, -margin, margin, margin))
        self.node_selected.emit(None)

    # -- selection ---------------------------------------------------------------------------------
    def select(self, node_id: str | None) -> None:
        self.clearSelection()
        if node_id is not None and node_id in self.node_items:
            self.node_items[node_id].setSelected(True)

    def selected_id(self) -> str | None:
        items = [i for i in self.selectedItems() if isinstance(i, NodeItem)]
        return items[0].node.id if items else None

    def _selection_changed(self) -> None:
        self.node_selected.emit(self.selected_id())

    # -- hover -----------------------------------------------------------------------------------
    def hover(self, node_id: str | None) -> None:
        """Light the edges and boxes around ``node_id`` (``None`` clears)."""
        if node_id == self._hovered:
            return
        self._light(self._hovered, False)
        self._hovered = node_id
        self._light(node_id, True)

    def _light(self, node_id: str | None, on: bool) -> None:
        if node_id is None:
            return
        for index, role, colour in ((i, "input", style.INPUT_HIGHLIGHT)
                                    for i in self._inputs.get(node_id, [])):
            self._light_edge(index, role, colour, on, self.edge_items[index].edge.source)
        for index in self._consumers.get(node_id, []):
            self._light_edge(index, "consumer", style.CONSUMER_HIGHLIGHT, on,
                             self.edge_items[index].edge.target)

    def _light_edge(self, index: int, role: str, colour: QColor, on: bool, other: str) -> None:
        self.edge_items[index].set_lit(colour if on else None)
        self.node_items[other].set_highlight(role if on else None)

    def highlighted(self) -> dict[str, str]:
        """Node id → "input"/"consumer" for the boxes lit by the current hover (for tests)."""
        return {k: v.highlight for k, v in self.node_items.items() if v.highlight}

    def find(self, text: str, after: str | None = None) -> str | None:
        """The next node (after ``after``) whose title, shape, tooltip or id contains ``text``."""
        if self.display is None or not text.strip():
            return None
        needle = text.strip().lower()
        hits = [n.id for n in self.display.nodes
                if needle in f"{n.title}\n{n.tooltip}\n{n.id}".lower()]
        if not hits:
            return None
        if after in hits:
            return hits[(hits.index(after) + 1) % len(hits)]
        return hits[0]

    def content_rect(self) -> QRectF:
        return self.itemsBoundingRect()

    def set_caching(self, on: bool) -> None:
        """Pixmap caching speeds up the screen; vector export needs it off to keep text as text."""
        mode = NodeItem.DeviceCoordinateCache if on else NodeItem.NoCache
        for item in self.node_items.values():
            item.setCacheMode(mode)
