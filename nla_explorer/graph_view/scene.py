"""The scene of one autograd graph: builds node and edge items from a display graph and its layout.

It paints selection and hover highlighting (a node's inputs in blue, its consumers in orange) and
reports what the user selects; it never writes into the document (the graph pane does).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Iterator

from PySide6.QtCore import QRectF, Qt, Signal

from nla_explorer.drawing.style import Fonts, ViewStyle
from nla_explorer.engine.autograd.gc_pause import paused_gc
from nla_explorer.graph_view.box_content import label_px, legible_zoom, node_size, size_key
from nla_explorer.graph_view.box_scene import BoxScene
from nla_explorer.graph_view.edge_items import bundle_edges
from nla_explorer.graph_view.group_items import CountItem, FrameItem, count_look
from nla_explorer.graph_view.items import EdgeBundleItem, EdgeItem, NodeItem
from nla_explorer.graph_view.lazy_boxes import LazyBoxes, NodeItems, SketchItem
from nla_explorer.graph_view.scene_rect import picture_rect
from nla_explorer.graph_view.layout.model import Layout
from nla_explorer.graph_view.layout.nested import Frame
from nla_explorer.graph_view.model import GROUP, DisplayGraph, DisplayNode, is_chain


#: Above this many edges, edges are drawn in bundles (one item per few hundred edges).
BUNDLE_EDGES_OVER = 1500
#: Above this many boxes, boxes are not cached as pixmaps (thousands of pixmaps cost more).
CACHE_NODES_UP_TO = 3000
#: Above this many boxes, a box's item is made when first painted or asked for (a screen shows
#: a few hundred of 100,000; making them all took seconds).
LAZY_BOXES_OVER = 3000
#: Space around the picture (scene units): the same at every font size, so Fit gives the text
#: the room the boxes leave.
MARGIN = 20.0


def node_sizes(display: DisplayGraph | Iterable[DisplayNode], fonts: Fonts,
               measured: dict | None = None) -> dict[str, tuple[float, float]]:
    """Box sizes of a display graph (or of some boxes); boxes with the same text (``mul``,
    ``1×16``) are measured once (``measured``: the sizes by text measured before in these
    fonts, kept between pictures)."""
    measured = {} if measured is None else measured
    sizes = {}
    for n in display.nodes if isinstance(display, DisplayGraph) else display:
        key = size_key(n)
        size = measured.get(key)
        if size is None:
            size = measured[key] = node_size(n, fonts)
        sizes[n.id] = size
    return sizes


class GraphScene(BoxScene):
    """Items for one :class:`DisplayGraph` placed by a :class:`Layout`, drawn in a
    :class:`ViewStyle`. ``node_selected`` reports the user's selection (a click, a rubber band),
    not the changes made by :meth:`select`."""

    node_selected = Signal(object)  # display node id, or None
    changed_picture = Signal()  # a new picture replaced the items
    group_toggled = Signal(str)  # the user asks to open (or close) this group

    def __init__(self, parent=None, view_style: ViewStyle = ViewStyle()) -> None:
        super().__init__(parent, view_style)
        self.display: DisplayGraph | None = None
        self._selecting = False  # select() at work: not the user's doing, nothing to report
        self._sizes: Mapping[str, tuple[float, float]] = {}
        self._cache = False
        self.edge_items: list[EdgeItem] = []
        self.frame_items: dict[str, FrameItem] = {}
        #: box id → indexes of the edges into it, and out of it (made at the first hover)
        self._ends: tuple[dict[str, list[int]], dict[str, list[int]]] | None = None
        self._hovered: str | None = None
        self._lit_items: list[EdgeItem] = []
        self._edge_points: tuple = ()
        self.selectionChanged.connect(self._selection_changed)

    @property
    def fonts(self) -> Fonts:
        return self.view_style.fonts

    def show_graph(self, display: DisplayGraph, layout: Layout, style: ViewStyle,
                   frames: Mapping[str, tuple[Frame, str]] | None = None,
                   sizes: Mapping[str, tuple[float, float]] | None = None,
                   keep_boxes: bool = False) -> None:
        """Replace the picture (``style``'s fonts must be those the layout was computed with);
        ``frames``: open group id → (its frame, its header); ``sizes``: the boxes' sizes the
        layout used (measured again when not given); ``keep_boxes``: the same graph with other
        groups open, so the boxes still shown are moved, not made again."""
        for _ in self.build(display, layout, style, frames=frames, sizes=sizes,
                            keep_boxes=keep_boxes):
            pass

    def build(self, display: DisplayGraph, layout: Layout, style: ViewStyle,
              chunk: int = 2000, frames: Mapping[str, tuple[Frame, str]] | None = None,
              sizes: Mapping[str, tuple[float, float]] | None = None,
              keep_boxes: bool = False) -> Iterator[float]:
        """Replace the picture ``chunk`` items at a time, yielding the fraction done, so a
        window can keep painting between chunks while 100,000 boxes are added."""
        with paused_gc():  # full collections over 100,000 fresh wrappers found nothing, slowly
            yield from self._build(display, layout, style, chunk, frames or {}, sizes,
                                   keep_boxes and style == self.view_style)

    def set_view_style(self, style: ViewStyle) -> None:
        """Repaint in the colours of ``style``; its fonts must be the picture's (same box sizes)."""
        self.view_style = style
        for item in self.items():
            if isinstance(item, (NodeItem, EdgeItem, EdgeBundleItem, FrameItem)):
                item.set_view_style(style)
        if self._boxes is not None:
            self._boxes.forget_fresh()

    def _build(self, display: DisplayGraph, layout: Layout, style: ViewStyle,
               chunk: int, frames: Mapping[str, tuple[Frame, str]],
               sizes: Mapping[str, tuple[float, float]] | None,
               keep_boxes: bool) -> Iterator[float]:
        counts: dict[tuple[str, str, int], CountItem] = {}
        if keep_boxes:
            kept, counts = self._keep_boxes(display)
        else:
            kept = {}
            self.blockSignals(True)
            self.clear()
            self.blockSignals(False)
        self.display, self.view_style = display, style
        fonts = style.fonts
        self.edge_items, self.frame_items = [], {}
        self._ends = None
        self._hovered = None
        self._lit_items = []
        self._arrow = min(fonts.size, 14.0) * 0.85  # in the gaps between layers, which stay put
        self._bezier = layout.engine == "dot"
        self._edge_points = layout.edge_points
        self.changed_picture.emit()
        for gid, (frame, title) in frames.items():
            self.frame_items[gid] = FrameItem(gid, frame, title, style)
            self.addItem(self.frame_items[gid])
        if sizes is None or any(n.id not in sizes for n in display.nodes[:1]):
            sizes = node_sizes(display, fonts)
        self._sizes = sizes
        self._cache = len(display.nodes) <= CACHE_NODES_UP_TO
        total = len(display.nodes) + len(display.edges) or 1
        boxes = self._boxes = LazyBoxes(display.nodes, layout.positions, sizes, self._new_box,
                                        self.addItem)
        self.node_items = NodeItems(boxes)
        for item in kept.values():
            boxes.adopt(item)
        lazy = len(display.nodes) > LAZY_BOXES_OVER
        if lazy:  # the view makes what it shows; overview tiles draw the rest plainly
            self.addItem(SketchItem(boxes, lambda: self.view_style))
        else:
            for start in range(0, len(display.nodes), chunk):
                boxes.make_range(start, start + chunk)
                yield min(start + chunk, len(display.nodes)) / total
        if len(display.edges) > BUNDLE_EDGES_OVER:
            done = len(display.nodes)
            for k, (item, count) in enumerate(bundle_edges(display, layout, self._arrow,
                                                           self._bezier, self.view_style)):
                self.addItem(item)
                done += count
                if k % 8 == 0:
                    yield done / total
        else:
            for edge, points in zip(display.edges, layout.edge_points):
                item = EdgeItem(edge, list(points), self.view_style, self._arrow,
                                bezier=self._bezier)
                self.addItem(item)
                self.edge_items.append(item)
        look = count_look(style)
        for edge, points in zip(display.edges, layout.edge_points):
            if edge.count > 1 and points:
                item = counts.pop((edge.source, edge.target, edge.count), None)
                if item is not None:  # the same count again: moved, not made
                    item.place(points)
                else:
                    self.addItem(CountItem(edge.count, points, *look, (edge.source, edge.target)))
        for item in counts.values():
            self.removeItem(item)
        rect = picture_rect(boxes.bounds(), self.items()) if lazy else self.itemsBoundingRect()
        self.setSceneRect(rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN))
        yield 1.0

    def _new_box(self, node) -> NodeItem:
        return NodeItem(node, self._sizes[node.id], self.view_style, self._cache,
                        self.min_label_px)

    def _keep_boxes(self, display: DisplayGraph) -> tuple[dict[str, NodeItem],
                                                         dict[tuple[str, str, int], CountItem]]:
        """Take every item away but the boxes ``display`` still shows as they are (the same
        node), which come back unmarked, to be placed again, and the edge counts, to be placed
        again or taken away (a fold of 5,000 calls shows 5,000 of them)."""
        made = self._boxes.made if self._boxes is not None else {}
        kept = {n.id: made[n.id] for n in display.nodes
                if n.id in made and made[n.id].node is n}
        keep = {id(item) for item in kept.values()}
        counts = {}
        self.blockSignals(True)
        self.clearSelection()
        for item in self.items():
            if isinstance(item, CountItem):
                counts[(*item.ends, item.count)] = item
            elif id(item) not in keep and item.parentItem() is None:
                self.removeItem(item)
        self.blockSignals(False)
        for item in kept.values():
            item.set_step_state(None)
            item.set_highlight(None)
        return kept, counts

    # -- legibility ------------------------------------------------------------------------------
    def set_min_label_px(self, px: float) -> None:
        """Boxes are drawn in full once their title is ``px`` tall on screen; zoomed out further
        they show their name in large type (presentation mode may ask for 16 px)."""
        self.min_label_px = float(px)
        if self._boxes is not None:
            self._boxes.forget_fresh()
        for item in self.node_items.made():
            item.set_min_label_px(self.min_label_px)

    def legible_zoom(self, min_px: float | None = None) -> float:
        """The smallest zoom from which on every box's name is at least ``min_px`` (default: the
        scene's :attr:`min_label_px`) tall on screen; 0 without boxes."""
        px = self.min_label_px if min_px is None else float(min_px)
        return max((legible_zoom(sizes, px) for sizes in self._label_sizes()), default=0.0)

    def smallest_label_px(self, zoom: float) -> float:
        """The height on screen of the smallest name drawn at ``zoom`` (0 if a box shows none)."""
        return min((label_px(zoom, sizes) for sizes in self._label_sizes()), default=0.0)

    # -- groups ------------------------------------------------------------------------------------
    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt override
        """A double-click on a closed group's box opens it; on an open group's header, closes it."""
        target = self.group_at(event.scenePos())
        if target is None:
            super().mouseDoubleClickEvent(event)
            return
        event.accept()
        self.group_toggled.emit(target)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Enter on a selected closed group opens it."""
        selected = self.selected_id()
        item = self.node_items.get(selected) if selected is not None else None
        if (event.key() in (Qt.Key_Return, Qt.Key_Enter) and item is not None
                and item.node.kind == GROUP and not is_chain(item.node)):
            event.accept()
            self.group_toggled.emit(selected)
            return
        super().keyPressEvent(event)

    def group_at(self, pos) -> str | None:
        """The group a double-click at scene point ``pos`` would open or close (None: none)."""
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                node = item.node
                return node.id if node.kind == GROUP and not is_chain(node) else None
            if isinstance(item, FrameItem) and item.header_rect().contains(pos):
                return item.group_id
        return None

    # -- selection ---------------------------------------------------------------------------------
    def select(self, node_id: str | None) -> None:
        """Show ``node_id`` selected (what the document says); not reported as the user's."""
        self._selecting = True
        try:
            self.clearSelection()
            if node_id is not None and node_id in self.node_items:
                self.node_items[node_id].setSelected(True)
        finally:
            self._selecting = False

    def selected_id(self) -> str | None:
        items = [i for i in self.selectedItems() if isinstance(i, NodeItem)]
        return items[0].node.id if items else None

    def _selection_changed(self) -> None:
        if not self._selecting:
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
        if node_id is None or self.display is None:
            return
        edges = self.display.edges
        if self._ends is None:
            self._ends = defaultdict(list), defaultdict(list)
            for i, edge in enumerate(edges):
                self._ends[0][edge.target].append(i)
                self._ends[1][edge.source].append(i)
        inputs, consumers = self._ends
        for index in inputs.get(node_id, []):
            self._light_edge(index, "input", on, edges[index].source)
        for index in consumers.get(node_id, []):
            self._light_edge(index, "consumer", on, edges[index].target)

    def _light_edge(self, index: int, role: str, on: bool, other: str) -> None:
        colour = self.view_style.colour(f"{role}_highlight")
        if self.edge_items:
            self.edge_items[index].set_lit(colour if on else None)
        elif on:  # bundled edges: draw the lit one as an item of its own while hovered
            item = EdgeItem(self.display.edges[index], list(self._edge_points[index]),
                            self.view_style, self._arrow, bezier=self._bezier)
            item.set_lit(colour)
            item.setZValue(0.5)
            self.addItem(item)
            self._lit_items.append(item)
        else:
            for item in self._lit_items:
                self.removeItem(item)
            self._lit_items = []
        self.node_items[other].set_highlight(role if on else None)

    def highlighted(self) -> dict[str, str]:
        """Node id → "input"/"consumer" for the boxes lit by the current hover (for tests)."""
        return {item.node.id: item.highlight for item in self.node_items.made()
                if item.highlight}

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
        """What the picture covers (the scene rect less its margin)."""
        return self.sceneRect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)

    def edge_points(self, index: int) -> tuple:
        return self._edge_points[index]

    def set_caching(self, on: bool) -> None:
        """Pixmap caching speeds up the screen; vector export needs it off to keep text as text."""
        on = self._cache = on and len(self.node_items) <= CACHE_NODES_UP_TO
        mode = NodeItem.DeviceCoordinateCache if on else NodeItem.NoCache
        for item in self.node_items.made():
            item.setCacheMode(mode)
