"""Boxes made when first needed: a big picture's boxes are items only where a view has painted,
the mouse has been, or someone asked for one; the rest are rectangles in an index.

Making 100,000 box items took seconds while one screen shows a few hundred. :class:`LazyBoxes`
keeps every box's bounds in arrays (a query is a few vector comparisons) and makes the items of
an area on demand; :class:`NodeItems` is the scene's ``node_items`` mapping over them (asking it
for a box makes its item); :class:`SketchItem` draws the boxes not made yet as the plain
rectangles their items would draw while a reduced picture (an overview tile) is rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import chain

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath
from PySide6.QtWidgets import QGraphicsItem

from nla_explorer.drawing.style import Fonts, ViewStyle
from nla_explorer.graph_view.box_content import LabelSizes, label_sizes
from nla_explorer.graph_view.items import (
    BOUNDS_PEN_WIDTH, FILL_ONLY_PX, NodeItem, box_paint,
)
from nla_explorer.graph_view.kind_styles import box_style
from nla_explorer.graph_view.model import PARAMETER, DisplayNode

#: A box item's bounds reach this far beyond the box (half its invisible pen).
BOX_PAD = BOUNDS_PEN_WIDTH / 2


class LazyBoxes:
    """The boxes of one picture: ``nodes`` at ``positions`` (centres) with ``sizes``; ``make``
    turns a node into its item, placed here and given to ``add`` (the scene's ``addItem``)."""

    def __init__(self, nodes: Sequence[DisplayNode], positions: Mapping[str, tuple[float, float]],
                 sizes: Mapping[str, tuple[float, float]],
                 make: Callable[[DisplayNode], NodeItem],
                 add: Callable[[QGraphicsItem], None]) -> None:
        self.nodes = nodes
        self._ids = [n.id for n in nodes]
        self._index_of: dict[str, int] | None = None  # made when first asked for
        self.made: dict[str, NodeItem] = {}
        self._make, self._add = make, add
        self._positions = positions
        count = len(nodes)
        self._size_list = list(map(sizes.__getitem__, self._ids))
        xy = np.fromiter(chain.from_iterable(map(positions.__getitem__, self._ids)), float,
                         2 * count).reshape(count, 2)
        wh = np.fromiter(chain.from_iterable(self._size_list), float, 2 * count).reshape(count, 2)
        self._xy, self._wh = xy, wh
        # the items' scene bounds as Qt works them out: the rect widened by the pen, moved
        self._left = (-wh[:, 0] / 2 - BOX_PAD) + xy[:, 0]
        self._top = (-wh[:, 1] / 2 - BOX_PAD) + xy[:, 1]
        self._width, self._height = wh[:, 0] + 2 * BOX_PAD, wh[:, 1] + 2 * BOX_PAD
        self._right, self._bottom = self._left + self._width, self._top + self._height
        self._unmade = np.ones(count, dtype=bool)
        self._fresh: dict[tuple[float, ...], NodeItem] = {}  # bounds → a box just made
        self._labels: tuple[Fonts, float, list[LabelSizes]] | None = None
        #: while set (scene units), the sketch draws the boxes not made yet in it
        self.sketch_rect: QRectF | None = None
        #: the step marks of boxes not made yet: box id → (state, mode), given when made
        self.marks: dict[str, tuple[str, str]] = {}

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def index_of(self) -> dict[str, int]:
        """Box id → its place in the picture's order."""
        if self._index_of is None:
            self._index_of = dict(zip(self._ids, range(len(self._ids))))
        return self._index_of

    def all_made(self) -> bool:
        return len(self.made) == len(self.nodes)

    def item(self, node_id: str) -> NodeItem:
        """The item of box ``node_id``, made now if it was not (KeyError: no such box)."""
        item = self.made.get(node_id)
        if item is None:
            item = self._make_at(self.index_of[node_id])
        return item

    def adopt(self, item: NodeItem) -> None:
        """Take the item of the previous picture for the same box (placed again)."""
        index = self.index_of[item.node.id]
        item.setPos(*self._positions[item.node.id])
        self.made[item.node.id] = item
        self._unmade[index] = False

    def make_range(self, start: int, stop: int) -> None:
        """Make the items of boxes ``start``…``stop - 1`` (in the picture's order)."""
        for index in range(start, min(stop, len(self.nodes))):
            if self._unmade[index]:
                self._make_at(index, fresh=False)

    def make_in(self, rect: QRectF) -> int:
        """Make the items of the boxes whose bounds meet ``rect``; how many were made."""
        hits = self._unmade_in(rect)
        for index in hits:
            self._make_at(int(index))
        return len(hits)

    def _unmade_in(self, rect: QRectF) -> np.ndarray:
        if not self._unmade.any() or not rect.isValid():
            return np.empty(0, dtype=np.intp)
        return np.flatnonzero(self._unmade & (self._left <= rect.right())
                              & (self._right >= rect.left()) & (self._top <= rect.bottom())
                              & (self._bottom >= rect.top()))

    def mark(self, node_id: str, state: str | None, mode: str = "backward") -> QRectF | None:
        """Step mark ``state`` (None: none) on box ``node_id``: on its item if made, else kept
        for when it is (stepping a 100,000-box picture fades them all); the area to repaint for
        a box not made (None: its item repaints itself)."""
        item = self.made.get(node_id)
        if item is not None:
            item.set_step_state(state, mode)
            return None
        if state is None:
            if self.marks.pop(node_id, None) is None:
                return None
        else:
            self.marks[node_id] = (state, mode)
        i = self.index_of[node_id]
        return QRectF(float(self._left[i]), float(self._top[i]), float(self._width[i]),
                      float(self._height[i]))

    def _make_at(self, index: int, fresh: bool = True) -> NodeItem:
        node = self.nodes[index]
        item = self._make(node)
        mark = self.marks.pop(node.id, None) if self.marks else None
        if mark is not None:
            item.set_step_state(*mark)
        item.setPos(*self._positions[node.id])  # placed first: Qt reports the item's place once
        self._add(item)
        self.made[node.id] = item
        self._unmade[index] = False
        if fresh:
            key = (float(self._left[index]), float(self._top[index]),
                   float(self._width[index]), float(self._height[index]))
            self._fresh[key] = item
        return item

    def label_sizes(self, fonts: Fonts, min_label_px: float) -> list[LabelSizes]:
        """The boxes' label sizes, each once: boxes with the same name and size share them
        (100,000 boxes, a few dozen sizes)."""
        if self._labels is None or self._labels[0] is not fonts or \
                self._labels[1] != min_label_px:
            found: dict[tuple, LabelSizes] = {}
            for node, size in zip(self.nodes, self._size_list):
                key = (node.name or node.title, size)  # the box's label
                if key not in found:
                    found[key] = label_sizes(node, size, fonts, min_label_px)
            self._labels = (fonts, min_label_px, list(dict.fromkeys(found.values())))
        return self._labels[2]

    def forget_fresh(self) -> None:
        """The boxes made so far changed (a theme): their changes are seen from now on."""
        self._fresh.clear()

    def bounds(self) -> tuple[float, float, float, float] | None:
        """Left, top, right and bottom of all the boxes' items (None: no boxes)."""
        if not len(self.nodes):
            return None
        return (float(self._left.min()), float(self._top.min()), float(self._right.max()),
                float(self._bottom.max()))

    def seen_changes(self, rects: Sequence[QRectF]) -> list[QRectF]:
        """``rects`` (a scene's changes) less those of boxes just made that look as they did
        before (unmarked): a reduced picture drawn before they were made is still right."""
        if not self._fresh:
            return list(rects)
        kept = []
        for rect in rects:
            key = (rect.x(), rect.y(), rect.width(), rect.height())
            item = self._fresh.pop(key, None)
            if item is None or item.isSelected() or item.highlight or item.step_state:
                kept.append(rect)
        return kept

    def paint_unmade(self, painter: QPainter, rect: QRectF, style: ViewStyle, zoom: float) -> None:
        """Draw the boxes not made yet in ``rect`` as their items draw a plain box at ``zoom``
        (:func:`paint_plain`, in the picture's order; a pen or brush set once for a run)."""
        hits = self._unmade_in(rect)
        if not len(hits):
            return
        paints: dict[tuple, tuple] = {}
        current = None
        marks, base = self.marks, painter.opacity()
        xy, wh = self._xy[hits].tolist(), self._wh[hits].tolist()
        for index, (x, y), (w, h) in zip(hits.tolist(), xy, wh):
            node = self.nodes[index]
            mark = marks.get(node.id) if marks else None
            key = (node.kind, node.order, mark)
            paint = paints.get(key)
            if paint is None:
                paint = paints[key] = _sketch_paint(style, node, mark)
            if mark is not None or painter.opacity() != base:  # as the item: waiting fades
                painter.setOpacity(base * style.waiting_opacity
                                   if mark is not None and mark[0] == "waiting"
                                   else base)
            box = QRectF(x - w / 2, y - h / 2, w, h)
            if zoom * h < FILL_ONLY_PX:
                painter.fillRect(box, paint[1])
                continue
            if paint is not current:
                painter.setPen(paint[0])
                painter.setBrush(paint[1])
                current = paint
            painter.drawRect(box)
        painter.setOpacity(base)


def _sketch_paint(style: ViewStyle, node: DisplayNode, mark: tuple[str, str] | None):
    """The pen and brush of a box not made yet, as its item would paint it with step mark
    ``mark`` (NodeItem._outline)."""
    if mark is None:
        return box_paint(style, box_style(node), None, False)
    state, mode = mark
    leaf_grad = mode == "backward" and state in ("current", "done") and node.kind == PARAMETER
    return box_paint(style, box_style(node), state if state in ("current", "waiting") else None,
                     leaf_grad)


class NodeItems(Mapping):
    """Box id → its :class:`NodeItem`, over :class:`LazyBoxes`: looking a box up makes its
    item; ``len``, ``in`` and iteration cover every box of the picture, made or not."""

    def __init__(self, boxes: LazyBoxes | None = None) -> None:
        self._boxes = boxes

    def __getitem__(self, node_id: str) -> NodeItem:
        if self._boxes is None:
            raise KeyError(node_id)
        return self._boxes.item(node_id)

    def __contains__(self, node_id: object) -> bool:
        return self._boxes is not None and node_id in self._boxes.index_of

    def __len__(self) -> int:
        return 0 if self._boxes is None else len(self._boxes)

    def __iter__(self) -> Iterator[str]:
        return iter(()) if self._boxes is None else iter(self._boxes.index_of)

    def made(self) -> list[NodeItem]:
        """The items made so far (a box not made has no marks to change)."""
        return [] if self._boxes is None else list(self._boxes.made.values())


class SketchItem(QGraphicsItem):
    """Draws ``boxes`` not made yet while their ``sketch_rect`` is set (a scene renders a
    reduced picture) in the scene's style; otherwise nothing. It has no shape: never hit."""

    def __init__(self, boxes: LazyBoxes, style: Callable[[], ViewStyle]) -> None:
        super().__init__()
        self._boxes = boxes
        self._style = style
        bounds = boxes.bounds() or (0.0, 0.0, 0.0, 0.0)
        self._rect = QRectF(bounds[0], bounds[1], bounds[2] - bounds[0], bounds[3] - bounds[1])
        self.setZValue(1)  # with the boxes: over the edges, under the edges' counts
        self.setAcceptedMouseButtons(Qt.NoButton)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        rect = self._boxes.sketch_rect
        if rect is not None:
            zoom = option.levelOfDetailFromTransform(painter.worldTransform())
            self._boxes.paint_unmade(painter, rect, self._style(), zoom)
