"""A graph scene's boxes made when needed: asked about an area (``items``), rendering it, or
showing a tooltip, the scene makes the boxes there first; an overview tile is drawn with the
boxes not made yet sketched as the plain rectangles their items would draw at that scale.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPolygonF
from PySide6.QtWidgets import QGraphicsScene

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.graph_view.box_content import DEFAULT_LABEL_PX, PLAIN, LabelSizes, detail_level
from nla_explorer.graph_view.items import NodeItem
from nla_explorer.graph_view.lazy_boxes import LazyBoxes, NodeItems
from nla_explorer.graph_view.scene_rect import render_zoom


#: More marked boxes not made than this at once (the first step fades them all): repaint all.
REPAINT_ALL_OVER = 200


class BoxScene(QGraphicsScene):
    """A scene whose boxes (:class:`LazyBoxes`, looked up in ``node_items``) are made when
    needed, drawn in ``view_style`` with names legible from ``min_label_px``."""

    def __init__(self, parent=None, view_style: ViewStyle = ViewStyle()) -> None:
        super().__init__(parent)
        self.view_style = view_style
        self.min_label_px = DEFAULT_LABEL_PX
        self.node_items: NodeItems = NodeItems()
        self._boxes: LazyBoxes | None = None

    def make_items_in(self, rect: QRectF) -> int:
        """Make the items of the boxes in ``rect`` (scene units) not made yet: before they are
        painted or hit; how many were made."""
        return 0 if self._boxes is None else self._boxes.make_in(rect)

    def mark_steps(self, marks: Iterable[tuple[str, str | None, str]]) -> None:
        """Step marks ``(box id, state or None, mode)``: a box not made yet keeps its mark for
        when it is, and its area is repainted (overview tiles drawn before are dropped)."""
        if self._boxes is None:
            return
        rects = [r for box, state, mode in marks
                 if (r := self._boxes.mark(box, state, mode)) is not None]
        if len(rects) > REPAINT_ALL_OVER:
            self.update()
        else:
            for rect in rects:
                self.update(rect)

    def items(self, *args, **kwargs) -> list:
        """Qt's ``items``; asked about an area, the boxes there are made first."""
        area = args[0] if args else None
        if isinstance(area, QPointF):
            self.make_items_in(QRectF(area.x() - 0.5, area.y() - 0.5, 1.0, 1.0))
        elif isinstance(area, QRectF):
            self.make_items_in(area)
        elif isinstance(area, (QPolygonF, QPainterPath)):
            self.make_items_in(area.boundingRect())
        elif len(args) >= 4:  # x, y, w, h
            self.make_items_in(QRectF(*args[:4]))
        return super().items(*args, **kwargs)

    def helpEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Tooltips: the boxes under the pointer write theirs first (made when asked for)."""
        for item in self.items(event.scenePos()):
            if isinstance(item, NodeItem):
                item.toolTip()
        super().helpEvent(event)

    def render(self, painter: QPainter, target: QRectF = QRectF(), source: QRectF = QRectF(),
               mode: Qt.AspectRatioMode = Qt.KeepAspectRatio) -> None:
        """Qt's ``render``: the boxes of ``source`` are made first, unless every box is a plain
        rectangle at this scale (an overview tile): then those not made are sketched."""
        boxes = self._boxes
        if boxes is None or boxes.all_made():
            super().render(painter, target, source, mode)
            return
        area = QRectF(source) if not source.isNull() else self.sceneRect()
        zoom = render_zoom(painter, target, area, mode)
        if zoom is not None and self._plain_at(zoom):
            boxes.sketch_rect = area
            try:
                super().render(painter, target, source, mode)
            finally:
                boxes.sketch_rect = None
            return
        boxes.make_in(area)
        super().render(painter, target, source, mode)

    def seen_changes(self, rects: list[QRectF]) -> list[QRectF]:
        """The scene's changes less those of boxes just made that look as they did before."""
        return list(rects) if self._boxes is None else self._boxes.seen_changes(rects)

    def _plain_at(self, zoom: float) -> bool:
        return all(detail_level(zoom, sizes) == PLAIN for sizes in self._label_sizes())

    def _label_sizes(self) -> list[LabelSizes]:
        if self._boxes is None:
            return []
        return self._boxes.label_sizes(self.view_style.fonts, self.min_label_px)
