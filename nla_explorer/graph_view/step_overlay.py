"""A pass on the picture: fade waiting nodes, outline the running one, light the edges in use at
this step and label them with their tensor (the gradient going back, or the value going forward):
the number for a scalar, the shape and a tiny heatmap otherwise. Zoomed out (a fitted graph on a
projector), those labels are magnified to stay the scene's legible size on screen. A label lies
on no box and no other label: beside its edge where it can, else farther (:mod:`label_spots`),
joined to the edge by a leader line.

Only what changes between two steps is touched (a few items), so stepping stays within a frame.
The labels of a step are last step's items moved and written again, not new ones: while anything
listens to a scene's ``changed`` (the overview does), Qt repaints all of the scene when an item
leaves it, and the overview drops every tile.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsLineItem, QGraphicsPixmapItem, QGraphicsRectItem, QGraphicsSimpleTextItem,
)

from nla_explorer.drawing.heatmap import heatmap_image
from nla_explorer.engine.autograd.gc_pause import paused_gc
from nla_explorer.engine.autograd.stepper import FORWARD, StepView
from nla_explorer.engine.tensors import TensorData
from nla_explorer.graph_view.groups.fold_window import gap_fold
from nla_explorer.graph_view.items import EdgeItem, NodeItem
from nla_explorer.graph_view.label_spots import farther_spots, meets, nearest_free
from nla_explorer.graph_view.model import GROUP, is_chain
from nla_explorer.graph_view.scene import GraphScene
from nla_explorer.value_text import short_text

#: What an edge crossing a step's label costs, as a fraction of the label's area (a box under
#: it costs the area it covers): labels move off the lines, and off boxes first.
EDGE_COST = 0.5
#: What moving a label away from its edge costs, as a fraction of its area per label height:
#: a label a full height away reads as another edge's.
AWAY_COST = 0.6
#: The step's labels are this many times the legible height of box names (12 px, 16 presenting).
LABEL_OVER_NAMES = 1.4


class StepOverlay:
    """Applies :class:`StepView`s to a :class:`GraphScene` (``None`` leaves step mode), in the
    scene's style (its flow colours and precision)."""

    def __init__(self, scene: GraphScene) -> None:
        self.scene = scene
        self._states: dict[str, tuple[str, str]] = {}  # box id → (state, mode) shown
        self._lit: list[int] = []  # edge indexes lit (scenes with one item per edge)
        self._extra: list = []  # labels and temporary edges shown, in their stacking order
        self._kinds: list[str] = []  # the kind of each of them ("label", "heat", "edge", …)
        self._spare: list[tuple[str, object]] = []  # last step's (kind, item), to use again
        self._next = 0  # the first of them not used again or dropped yet
        self._stale: set[int] = set()  # ids of those still in the scene as last step left them
        self._made = False  # did the last _take make a new item?
        self._taken: list[QRectF] = []
        self._box_of: dict[str, str] | None = None
        self._groups: dict[str, tuple[str, ...]] = {}  # closed module group → its nodes
        self._edge_index: dict[tuple[str, str], list[int]] | None = None
        self._view: StepView | None = None  # the step shown
        self.tree = None  # the picture's GroupTree: names the call a closed group is running
        self.zoom = 1.0  # of the view the labels are read in
        scene.changed_picture.connect(self.reset)

    def magnify(self, zoom: float | None = None) -> float:
        """How many times the step's labels are drawn at their scene size: their text at least
        LABEL_OVER_NAMES times the scene's ``min_label_px`` on screen at ``zoom`` (the gradient
        is what a step is about: its label reads before the names do), and as tall as the boxes'
        titles; never less than 1."""
        zoom = max(self.zoom if zoom is None else zoom, 1e-6)
        font = QFont(self.scene.fonts.mono)
        font.setBold(True)
        px = QFontMetricsF(font).height() * zoom
        title_px = self.scene.fonts.title_metrics.height() * zoom
        return max(1.0, LABEL_OVER_NAMES * self.scene.min_label_px / px, title_px / px)

    def set_zoom(self, zoom: float) -> None:
        """The view's zoom changed: the labels are drawn again if their magnification changes."""
        old, self.zoom = self.magnify(), zoom
        if self._view is not None and abs(self.magnify() - old) > 0.01:
            self._clear_lit()
            self._show_lit(self._view)
            self._settle()

    def reset(self) -> None:
        """A new picture: forget what was shown (its items are gone)."""
        self._states, self._lit, self._extra, self._taken = {}, [], [], []
        self._kinds, self._spare, self._next, self._stale = [], [], 0, set()
        self._box_of = self._edge_index = None

    def apply(self, view: StepView | None) -> None:
        display = self.scene.display
        if display is None:
            return
        if view is None and not (self._states or self._lit or self._extra):
            return  # not stepping, nothing shown: no index of 100,000 boxes needed
        if self._box_of is None:
            with paused_gc():
                self._index(display)
        states: dict[str, tuple[str, str]] = {}
        if view is not None:  # a loop over every node at every step: kept lean
            shown: dict[str, str] = {}  # box → state
            box_of, groups = self._box_of.get, self._groups
            for graph_id, state in view.states.items():
                box = box_of(graph_id)
                if box is not None:
                    old = shown.get(box)
                    if old == "current":
                        continue
                    if old is not None and state == "waiting" and box in groups:
                        continue  # a group is waiting only while all of it waits
                    shown[box] = state
            mode = view.mode
            states = {box: (state, mode) for box, state in shown.items()}
        self.scene.mark_steps(  # boxes not made yet keep their marks for when they are
            (box, *states.get(box, (None, "backward")))
            for box in set(self._states) | set(states) if self._states.get(box) != states.get(box))
        self._states, self._view = states, view
        self._clear_lit()
        if view is not None:
            self._show_lit(view)
        self._settle()

    def _show_lit(self, view: StepView) -> None:
        forward = view.mode == FORWARD
        for lit in view.lit:
            self._light(lit, forward)
        for box, (state, _) in self._states.items():
            if state == "current" and box in self._groups:
                self._running(box, view)

    def running_text(self, box: str, view: StepView) -> str:
        """``running cell (call 150) · step k of n``: where the pass is inside the closed group
        (or gap) ``box``: the call or submodule inside it that runs, and how far."""
        shown = list(map(view.states.get, self._groups[box]))  # a state, or None if not run
        total, done = len(shown) - shown.count(None), shown.count("done")
        where = self._inner_group(box, view.current)
        if where:
            return f"running {where} · step {done + 1:,} of {total:,}"
        return f"running ({done + 1:,} of {total:,} steps)"

    def _inner_group(self, box: str, node: str | None) -> str:
        """The name of the group directly inside ``box`` that holds ``node`` ("" if none)."""
        tree = self.tree
        if tree is None or node is None:
            return ""
        outer = gap_fold(box) or box
        group = tree.group_of.get(node)
        while group is not None and tree.groups[group].parent != outer:
            group = tree.groups[group].parent
        if group is None:
            return ""
        g = tree.groups[group]
        siblings = tree.groups[outer].groups if outer in tree.groups else ()
        shared = sum(1 for s in siblings[:2] if tree.groups[s].path == g.path) > 1
        return f"{g.path} (call {g.call:,})" if shared or g.call > 1 else g.path

    def _running(self, box: str, view: StepView) -> None:
        item = self.scene.node_items.get(box)
        if item is None:
            return
        label = self._take("running", QGraphicsSimpleTextItem)
        label.setText(self.running_text(box, view))
        font = QFont(self.scene.fonts.title)
        font.setBold(True)
        label.setFont(font)
        label.setBrush(QBrush(self.scene.view_style.colour("step_current")))
        rect = item.sceneBoundingRect()  # above the box: beside it may be out of view
        k = self.magnify()
        label.setScale(k)
        width, height = label.boundingRect().width() * k, label.boundingRect().height() * k
        x, y = rect.right() - width, rect.top() - height - 2
        label.setPos(x, y)
        label.setZValue(3.1)
        self._show(label)
        backing = self._take("backing", QGraphicsRectItem)
        backing.setRect(QRectF(x - 3 * k, y, width + 6 * k, height))
        fill = QColor(self.scene.view_style.colour("canvas"))
        fill.setAlpha(230)
        backing.setBrush(QBrush(fill))
        backing.setPen(Qt.NoPen)
        backing.setZValue(3)  # over the edge entering the box and its count
        self._show(backing)

    def _index(self, display) -> None:
        self._box_of = {}
        self._groups = {n.id: n.members for n in display.nodes
                        if n.kind == GROUP and not is_chain(n)}
        for node in display.nodes:
            graph_id = node.proxy_of or (node.graph_id if node.kind != "constant" else None)
            for gid in (node.members or ((graph_id,) if graph_id else ())):
                self._box_of.setdefault(gid, node.id)
        self._edge_index = {}
        for i, edge in enumerate(display.edges):
            self._edge_index.setdefault((edge.source, edge.target), []).append(i)

    def _light(self, lit, forward: bool) -> None:
        source, target = self._box_of.get(lit.source), self._box_of.get(lit.target)
        candidates = self._edge_index.get((source, target)) or []
        if not candidates:
            return
        index = candidates[min(lit.slot, len(candidates) - 1)] if len(candidates) > 1 \
            else candidates[0]
        points = self.scene.edge_points(index)
        colour = self.scene.view_style.colour("value_flow" if forward else "gradient_flow")
        if self.scene.edge_items:
            item = self.scene.edge_items[index]
            item.set_lit(colour)
            self._lit.append(index)
        else:
            edge, style, size = self.scene.display.edges[index], self.scene.view_style, \
                self.scene.fonts.size
            item = self._take("edge", lambda: EdgeItem(edge, list(points), style, size))
            if not self._made:  # last step's, along another edge
                item.set_route(edge, list(points), style, size)
            item.set_lit(colour)
            item.setZValue(0.6)
            self._show(item)
        if lit.tensor is not None and points:
            self._label(points, item, lit.tensor, colour, "" if forward else "∇ ")

    def _label(self, points: list[tuple[float, float]], edge: EdgeItem, tensor: TensorData,
               colour: QColor, prefix: str) -> None:
        """The number of a scalar; else the shape and a heatmap; placed beside the edge where it
        covers no box and no other label (farther, with a leader line, where no spot beside
        it is free)."""
        if tensor.shape == () or tensor.values is None:
            digits = self.scene.view_style.precision
            text = prefix + short_text(tensor, width=2, digits=digits)
            image = None
        else:
            # a shape in brackets: "∇ [10]" is ten numbers, not the number 10
            text = prefix + "[" + "×".join(map(str, tensor.shape)) + "]"
            image = heatmap_image(tensor, cell=self.scene.fonts.size * 0.9,
                                  max_width=self.scene.fonts.size * 12,
                                  max_height=self.scene.fonts.size * 6)
        label = self._take("label", QGraphicsSimpleTextItem)
        label.setText(text)
        font = QFont(self.scene.fonts.mono)
        font.setBold(True)
        label.setFont(font)
        label.setBrush(QBrush(QColor(colour)))
        k = self.magnify()
        label.setScale(k)
        text_w, text_h = label.boundingRect().width(), label.boundingRect().height()
        width = k * (text_w + (image.width() + 4 if image is not None else 0))
        height = k * max(text_h, image.height() + 4 if image is not None else 0)
        x, y, line = self._free_spot(points, edge, width, height)
        label.setPos(x, y + (height - k * text_h) / 2)
        label.setZValue(3)
        self._show(label)
        if image is not None:
            heat = self._take("heat", QGraphicsPixmapItem)
            heat.setPixmap(QPixmap.fromImage(image))
            heat.setScale(k)
            heat.setPos(x + k * (text_w + 4), y + 2 * k)
            heat.setZValue(3)
            heat.setToolTip(f"{prefix.strip() or 'value'} {text.strip()}: blue < 0 < red")
            self._show(heat)
        if line is not None:
            item = self._take("leader", QGraphicsLineItem)
            item.setLine(QLineF(*line))
            pen = QPen(QColor(colour), 1.5 * k)
            pen.setCapStyle(Qt.RoundCap)
            item.setPen(pen)
            item.setZValue(0.7)  # over the edges, under the boxes it may pass
            self._show(item)
        self._taken.append(QRectF(x, y, width, height))

    def _free_spot(self, points: list[tuple[float, float]], edge: EdgeItem, width: float,
                   height: float) -> tuple[float, float, tuple | None]:
        """Top-left of a label beside the edge: near the receiving input first (where edges into
        one node spread apart), on no box and no other label, crossing as few lines as it can;
        where no spot beside the edge is free, the nearest free one farther away, in sight if it
        can, with a leader line from the edge (the line's ends, else None)."""
        (sx, sy), (tx, ty) = points[0], points[-1]
        candidates = []
        area = width * height
        for dy in (0.0, -(height / 2 + 4), height / 2 + 4, -(height + 4), height + 4):
            for t in (0.3, 0.5, 0.15, 0.7, 0.85):
                px, py = sx + t * (tx - sx), sy + t * (ty - sy) + dy
                for x in (px + 6, px - 6 - width):
                    cost = area * (AWAY_COST * abs(dy) / (height + 4) + 0.3 * abs(t - 0.3))
                    candidates.append((cost, QRectF(x, py - height / 2, width, height)))
        region = candidates[0][1]
        for _, rect in candidates[1:]:
            region = region.united(rect)
        # one scene query for all candidates: the boxes and edges near this edge, and this
        # step's labels; an edge through a label (its own, mostly) costs half the label's area
        boxes, strokes = self._obstacles(region)
        crossings = EDGE_COST * area
        free = [(cost + crossings * sum(s.intersects(rect) for s in strokes), rect)
                for cost, rect in candidates if not meets(rect, boxes, self._taken)]
        if free:
            best = min(free, key=lambda spot: spot[0])[1]
            return best.x(), best.y(), None
        spots = farther_spots(edge.mapToScene(edge.path()), width, height)
        far_boxes, far_strokes = self._obstacles(spots.area)
        bounds = self.scene.sceneRect()  # and what the views show around it (a fitted view)
        for view in self.scene.views():
            bounds = bounds.united(view.mapToScene(view.viewport().rect()).boundingRect())
        spot = nearest_free(spots, far_boxes, self._taken, far_strokes, bounds,
                            AWAY_COST * area / (height + 4), crossings)
        if spot is not None:
            return spot
        # nowhere free: the spot beside the edge covering least of the boxes and labels
        blockers = [(1.0, rect) for rect in boxes] + [(2.0, rect) for rect in self._taken]
        best, best_score = None, float("inf")
        for cost, rect in candidates:
            score = cost + sum(weight * _area(rect.intersected(other))
                               for weight, other in blockers if rect.intersects(other))
            score += crossings * sum(stroke.intersects(rect) for stroke in strokes)
            if score < best_score:
                best, best_score = rect, score
        return best.x(), best.y(), None

    def _obstacles(self, region: QRectF) -> tuple[list[QRectF], list]:
        """The boxes in ``region`` and the strokes of the edges there (last step's temporary
        edges, not drawn again yet, left out)."""
        near = self.scene.items(region)
        boxes = [item.sceneBoundingRect() for item in near if isinstance(item, NodeItem)]
        stale = self._stale
        strokes = [item.mapToScene(item.shape()) for item in near
                   if isinstance(item, EdgeItem) and (not stale or id(item) not in stale)]
        return boxes, strokes

    def _clear_lit(self) -> None:
        """Unlight the edges; the labels and temporary edges become spares for the next step
        (:meth:`_take`), and what :meth:`_settle` then finds unused leaves the scene."""
        for index in self._lit:
            if index < len(self.scene.edge_items):
                self.scene.edge_items[index].set_lit(None)
        self._spare = [*self._spare[self._next:], *zip(self._kinds, self._extra)]
        self._next = 0
        self._stale = {id(item) for kind, item in self._spare if kind == "edge"}
        self._lit, self._extra, self._kinds = [], [], []
        self._taken: list[QRectF] = []  # the rectangles of this step's labels

    def _take(self, kind: str, make):
        """An item of ``kind`` for this step: the next spare of that kind, in the order they
        were stacked (spares passed over leave the scene), else a new one from ``make()``,
        which :meth:`_show` adds over them all once placed (before the next is taken): either
        way, items of equal depth stack in the order they were taken."""
        spare, item, self._made = self._spare, None, False
        for i in range(self._next, len(spare)):
            if spare[i][0] == kind and spare[i][1].scene() is self.scene:
                item = spare[i][1]
                self._remove(entry[1] for entry in spare[self._next:i])
                self._next = i + 1
                self._stale.discard(id(item))
                break
        if item is None:  # none left: this one and those after it are new, on top (_show)
            self._remove(entry[1] for entry in spare[self._next:])
            self._spare, self._next, self._stale = [], 0, set()  # (ids free for new items)
            item, self._made = make(), True
        self._extra.append(item)
        self._kinds.append(kind)
        return item

    def _show(self, item) -> None:
        """Into the scene if it was just made (the last taken)."""
        if item.scene() is not self.scene:
            self.scene.addItem(item)

    def _settle(self) -> None:
        """The spares this step did not use leave the scene."""
        self._remove(item for _, item in self._spare[self._next:])
        self._spare, self._next, self._stale = [], 0, set()

    def _remove(self, items) -> None:
        for item in items:
            if item.scene() is self.scene:
                self.scene.removeItem(item)


def _area(rect: QRectF) -> float:
    return rect.width() * rect.height()
