"""Graphics items: a node box (title, shape, value/gradient numbers or strips) and an edge with an
arrowhead.

Items only paint and hold their state; the scene decides what is selected or highlighted. What a
box holds and what a zoom shows of it (its level of detail) is in :mod:`box_content`: zoomed out,
a box shows its name in large type instead of lines too small to read, and a plain rectangle
only when even that would be a few pixels tall.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush, QColor, QPainter, QPainterPath, QPen, QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsItem, QGraphicsPathItem, QGraphicsRectItem, QStyleOptionGraphicsItem,
)

from nla_explorer.drawing.heatmap import strip_image
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.graph_view.box_content import (
    DEFAULT_LABEL_PX, FULL, NAME, STRIP_COLS, STRIP_ROLES, STRIP_ROWS, LabelSizes, detail_level,
    font, label_px, label_sizes, metrics, name_font, node_lines, strip_caption, strip_cell,
    strip_of, strip_side, strip_size,
)
from nla_explorer.graph_view.kind_styles import KindStyle, box_style
from nla_explorer.graph_view.model import PARAMETER, DisplayEdge, DisplayNode

_BOUNDS_PEN = QPen(QColor(0, 0, 0, 0), 8.0)
_ROLE_COLOURS = {"title": "text", "sub": "muted", "value": "value", "grad": "grad",
                 "value_strip": "value", "grad_strip": "grad"}
#: SVG and PDF files are zoomed by their readers: their boxes are drawn in full at any scale.
#: Only widgets, pixmaps and images (QInternal's device types 1, 2, 3) show a level of detail:
#: the device's type is a plain int, cheaper to ask for than the engine's.
_RASTER = (1, 2, 3)
#: The border (a style colour) and its width of a box that is running, selected or lit.
_MARKS = {"current": ("step_current", 5.0), "selected": ("selected", 3.5),
          "input": ("input_highlight", 3.0), "consumer": ("consumer_highlight", 3.0)}
#: A plain box less tall than this on screen (pixels) is filled only: its border is a hair.
FILL_ONLY_PX = 2.0
#: Shared border pens and fills: (id of the style, kind, mark, leaf) → (style, pen, brush);
#: the style is kept in the entry so its id stays its own.
_PAINTS: dict[tuple, tuple[ViewStyle, QPen, QBrush]] = {}


def box_paint(style: ViewStyle, kind: KindStyle, mark: str | None,
              leaf_grad: bool) -> tuple[QPen, QBrush]:
    """The border pen and fill of a box of ``kind`` with ``mark`` (running, selected, lit)
    in ``style``: made once for all the boxes that look alike (100,000 boxes, a few pens)."""
    key = (id(style), kind.fill, kind.border, kind.dashed, kind.border_width, mark, leaf_grad)
    entry = _PAINTS.get(key)
    if entry is None or entry[0] is not style:
        if len(_PAINTS) > 512:  # styles come and go with the theme and the font
            _PAINTS.clear()
        border, width = QColor(kind.border), kind.border_width
        if mark is not None:
            role, width = _MARKS[mark]
            border = style.colour(role)
        pen = QPen(border, width)
        if kind.dashed:
            pen.setStyle(Qt.DashLine)
        fill = style.leaf_grad_fill if leaf_grad else kind.fill
        entry = _PAINTS[key] = (style, pen, QBrush(QColor(fill)))
    return entry[1], entry[2]


class NodeItem(QGraphicsRectItem):
    """One box; ``highlight`` is ``None``, ``"input"`` or ``"consumer"`` (hover of a neighbour).

    A rect item, so Qt computes the bounding box in C++: indexing 100,000 boxes calls no Python.
    ``style`` gives the colours and fonts (``size`` was measured with its fonts).
    """

    def __init__(self, node: DisplayNode, size: tuple[float, float], style: ViewStyle,
                 cache: bool = True, min_label_px: float = DEFAULT_LABEL_PX) -> None:
        super().__init__()
        self.node = node
        self.view_style = style
        self.fonts = style.fonts
        w, h = size
        self._rect = QRectF(-w / 2, -h / 2, w, h)
        self.setRect(self._rect)
        self.setPen(_BOUNDS_PEN)  # invisible; its width keeps the selection border inside bounds
        self._lines = node_lines(node)
        self.min_label_px = min_label_px
        self._sizes: LabelSizes | None = None  # measured when first needed
        self._strips: dict[str, object] = {}  # role → the strip's image, made when first drawn
        self.highlight: str | None = None
        self.step_state: str | None = None  # "current" | "done" | "waiting" while stepping
        self.step_mode = "backward"
        self._outline_key: tuple | None = None  # what the cached pen and brush were made for
        self._outline_paint: tuple[QPen, QBrush] | None = None
        self.setFlag(QGraphicsItem.ItemIsSelectable, True)
        self.setAcceptHoverEvents(True)
        self.setToolTip(node.tooltip)
        self.setZValue(1)
        if cache:  # a pixmap per box: fast repaints, too costly for thousands of boxes
            self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)

    # -- what a zoom shows ---------------------------------------------------------------------
    def label_sizes(self) -> LabelSizes:
        """The type sizes of this box (its title, its large name) and its full-detail zoom."""
        if self._sizes is None:
            self._sizes = label_sizes(self.node, (self._rect.width(), self._rect.height()),
                                      self.fonts, self.min_label_px)
        return self._sizes

    def label_px(self, zoom: float) -> float:
        """How tall (view pixels) this box's name is drawn at ``zoom``."""
        return label_px(zoom, self.label_sizes())

    def detail_at(self, zoom: float) -> str:
        """``"full"``, ``"name"`` or ``"plain"``: what this box shows at ``zoom``."""
        return detail_level(zoom, self.label_sizes())

    def set_min_label_px(self, px: float) -> None:
        """Draw the full box only once its title is ``px`` tall on screen."""
        if px != self.min_label_px:
            self.min_label_px, self._sizes = px, None
            self.update()

    # -- state ---------------------------------------------------------------------------------
    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._report_hover(self.node.id)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._report_hover(None)

    def _report_hover(self, node_id: str | None) -> None:
        hover = getattr(self.scene(), "hover", None)  # the graph scene lights the neighbours
        if hover is not None:
            hover(node_id)

    def set_step_state(self, state: str | None, mode: str = "backward") -> None:
        """Stepping through a pass: waiting boxes fade and hide what they do not know yet (their
        gradient; in forward mode their value too), the running one is outlined, and a leaf whose
        gradient has been accumulated fills with the gradient colour."""
        if (state, mode) != (self.step_state, self.step_mode):
            self.step_state, self.step_mode = state, mode
            self.setOpacity(0.35 if state == "waiting" else 1.0)
            self.update()

    def _unknown(self, role: str) -> bool:
        """Is this line's quantity still unknown at the step shown?"""
        if self.step_state is None:
            return False
        quantity = role.removesuffix("_strip")
        if self.step_mode == "forward":  # no gradient exists during the forward pass
            return quantity == "grad" or (quantity == "value" and self.step_state == "waiting")
        return quantity == "grad" and self.step_state == "waiting"

    def set_highlight(self, highlight: str | None) -> None:
        if highlight != self.highlight:
            self.highlight = highlight
            self.update()

    def set_view_style(self, style: ViewStyle) -> None:
        """New colours (the same fonts: the box keeps its size)."""
        self.view_style = style
        self._outline_key = None
        self.update()

    # -- painting ------------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        # on screen (a widget) the device is raster; scene.render (exports) may paint to vectors
        vector = widget is None and painter.device().devType() not in _RASTER
        zoom = option.levelOfDetailFromTransform(painter.worldTransform())
        level = FULL if vector else self.detail_at(zoom)
        pen, brush = self._outline()
        if level not in (FULL, NAME):  # a few pixels tall: a plain rectangle is all one sees
            if zoom * self._rect.height() < FILL_ONLY_PX:
                painter.fillRect(self._rect, brush)  # its border would be a hair: no stroke
                return
            painter.setPen(pen)
            painter.setBrush(brush)
            painter.drawRect(self._rect)
            return
        painter.setPen(pen)
        painter.setBrush(brush)
        radius = self.fonts.size * 0.6
        painter.drawRoundedRect(self._rect, radius, radius)
        if level == NAME:
            painter.setFont(name_font(self.fonts, self.label_sizes()))
            painter.setPen(self.view_style.colour("text"))
            painter.drawText(self._rect, Qt.AlignCenter, self.node.label)
            return
        self._paint_lines(painter)

    def _outline(self) -> tuple[QPen, QBrush]:
        """The border pen and the fill of the box as it is now (running, selected, lit)."""
        mark = "current" if self.step_state == "current" else (  # running outranks selected
            "selected" if self.isSelected() else self.highlight)
        # x.grad is in: the leaf fills with gradient colour
        leaf_grad = self.step_mode == "backward" and self.step_state in ("current", "done") \
            and self.node.kind == PARAMETER
        key = (mark, leaf_grad)
        if key != self._outline_key:
            self._outline_key = key
            self._outline_paint = box_paint(self.view_style, box_style(self.node), mark,
                                            leaf_grad)
        return self._outline_paint

    def _paint_lines(self, painter: QPainter) -> None:
        style, fonts = self.view_style, self.fonts
        y = self._rect.top() + fonts.padding * 0.6
        for role, text in self._lines:
            if role in STRIP_ROLES:
                strip = strip_of(self.node.value if role == "value_strip" else self.node.grad)
                height = strip_size(strip, role, fonts)[1]
                line = QRectF(self._rect.left(), y, self._rect.width(), height)
                if not self._unknown(role):
                    self._paint_strip(painter, line, role, strip)
                    y += height
                    continue
                role, text = role.removesuffix("_strip"), ""
            else:
                height = metrics(role, fonts).height()
                line = QRectF(self._rect.left(), y, self._rect.width(), height)
            painter.setFont(font(role, fonts))
            if self._unknown(role):
                text = "∇ ?" if role == "grad" else "?"
                painter.setPen(style.colour("muted"))
            else:
                painter.setPen(style.colour(_ROLE_COLOURS[role]))
            painter.drawText(line, Qt.AlignHCenter | Qt.AlignVCenter, text)
            y += height

    def _paint_strip(self, painter: QPainter, line: QRectF, role: str, strip) -> None:
        """A caption (∇ for the gradient), one coloured cell per entry (blue < 0 < red; the box
        shows between them), framed, and an ellipsis when entries were left out."""
        style, fonts = self.view_style, self.fonts
        cell_w, cell_h = strip_cell(strip, fonts)
        side = strip_side(fonts)
        cells = QRectF(line.center().x() - strip.cols * cell_w / 2,
                       line.center().y() - strip.rows * cell_h / 2, strip.cols * cell_w,
                       strip.rows * cell_h)
        painter.setFont(fonts.mono)
        painter.setPen(style.colour(_ROLE_COLOURS[role]))
        caption = strip_caption(role)
        if caption:
            painter.drawText(QRectF(cells.left() - side, line.top(), side * 0.8, line.height()),
                             Qt.AlignRight | Qt.AlignVCenter, caption)
        image = self._strips.get(role)
        if image is None:
            data = self.node.value if role == "value_strip" else self.node.grad
            image = self._strips[role] = strip_image(data, STRIP_COLS, STRIP_ROWS)
        smooth = painter.testRenderHint(QPainter.SmoothPixmapTransform)
        painter.setRenderHint(QPainter.SmoothPixmapTransform, False)  # crisp cells
        painter.drawImage(cells, image)
        painter.setRenderHint(QPainter.SmoothPixmapTransform, smooth)
        painter.setPen(QPen(style.colour("muted"), 0.8))
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(cells)
        if strip.clipped:
            painter.drawText(QRectF(cells.right(), line.top(), side, line.height()),
                             Qt.AlignLeft | Qt.AlignVCenter, " …")


class EdgeItem(QGraphicsPathItem):
    """A smoothed polyline (or Graphviz's Bézier spline) from source to target, with an arrowhead."""

    def __init__(self, edge: DisplayEdge, points: list[tuple[float, float]], style: ViewStyle,
                 arrow_size: float = 9.0, bezier: bool = False) -> None:
        super().__init__()
        self.edge = edge
        self.setPen(_edge_pen(style, edge.constant, edge.made_by))  # its width sizes the bounds
        self.base_pen = QPen(self.pen())
        self._lit_pen: QPen | None = None
        self._bounds: QRectF | None = None
        self._arrow = QPolygonF()
        if len(points) >= 2:
            self._arrow = _arrowhead(QPointF(*points[-2]), QPointF(*points[-1]), arrow_size)
        self.setPath(_bezier_path(points) if bezier else _smooth_path(points))
        self._bounds = None  # setPath asked for the bounds of the empty path: forget them
        self.setZValue(0)

    def set_view_style(self, style: ViewStyle) -> None:
        """New colours: painted with another pen (the width, and so the bounds, stay)."""
        self.base_pen = _edge_pen(style, self.edge.constant, self.edge.made_by)
        self.update()

    def set_lit(self, colour: QColor | None) -> None:
        # painted with another pen, not setPen(): that is a geometry change, which makes the
        # scene re-index a long edge on every step
        self._lit_pen = None if colour is None else QPen(colour, 3.0)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        if self._bounds is None:  # the path and pen never change: compute once (Qt asks often)
            self._bounds = super().boundingRect().united(self._arrow.boundingRect()).adjusted(
                -2, -2, 2, 2)
        return self._bounds

    def paint(self, painter: QPainter, option, widget=None) -> None:
        pen = self._lit_pen or self.base_pen
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self.path())
        if not self._arrow.isEmpty():
            painter.setBrush(pen.color())
            painter.setPen(Qt.NoPen)
            painter.drawPolygon(self._arrow)


class EdgeBundleItem(QGraphicsItem):
    """Many edges painted as one path (big graphs): one item instead of hundreds."""

    def __init__(self, polylines: list[list[tuple[float, float]]], constant: bool,
                 arrow_size: float, bezier: bool, style: ViewStyle) -> None:
        super().__init__()
        self._lines = QPainterPath()
        self._arrows = QPainterPath()
        build = _bezier_path if bezier else _smooth_path
        for points in polylines:
            self._lines.addPath(build(points))
            if len(points) >= 2:
                self._arrows.addPolygon(_arrowhead(QPointF(*points[-2]), QPointF(*points[-1]),
                                                   arrow_size))
        self._constant = constant
        self.set_view_style(style)
        self._rect = self._lines.boundingRect().united(self._arrows.boundingRect()).adjusted(
            -2, -2, 2, 2)
        self.setZValue(0)

    def set_view_style(self, style: ViewStyle) -> None:
        self._pen = _edge_pen(style, self._constant)
        self._pen.setCapStyle(Qt.SquareCap)  # Qt's default: one path of many edges
        self._brush = QBrush(self._pen.color())
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.strokePath(self._lines, self._pen)
        painter.fillPath(self._arrows, self._brush)


def _edge_pen(style: ViewStyle, constant: bool, made_by: bool = False) -> QPen:
    """Solid edges, dashed constants feeding the node that saved them, dotted from a node to the
    higher-order nodes its backward made."""
    role = "made_by_edge" if made_by else ("constant_edge" if constant else "edge")
    pen = QPen(style.colour(role), 1.6 if made_by else 1.4)
    if constant:
        pen.setStyle(Qt.DashLine)
    elif made_by:
        pen.setStyle(Qt.DotLine)
    pen.setCapStyle(Qt.RoundCap)
    return pen


def _smooth_path(points: list[tuple[float, float]]) -> QPainterPath:
    path = QPainterPath()
    if not points:
        return path
    path.moveTo(*points[0])
    if len(points) == 2:
        path.lineTo(*points[1])
        return path
    # through the bend points with quadratic curves between midpoints: smooth, and cheap
    for i in range(1, len(points) - 1):
        cx, cy = points[i]
        nx, ny = points[i + 1]
        end = (nx, ny) if i == len(points) - 2 else ((cx + nx) / 2, (cy + ny) / 2)
        path.quadTo(cx, cy, *end)
    return path


def _bezier_path(points: list[tuple[float, float]]) -> QPainterPath:
    """Graphviz splines: a start point, then three control points per cubic segment."""
    path = QPainterPath()
    if not points:
        return path
    path.moveTo(*points[0])
    rest = points[1:]
    if len(rest) % 3:
        return _smooth_path(points)
    for i in range(0, len(rest), 3):
        path.cubicTo(QPointF(*rest[i]), QPointF(*rest[i + 1]), QPointF(*rest[i + 2]))
    return path


def _arrowhead(tail: QPointF, tip: QPointF, size: float) -> QPolygonF:
    angle = math.atan2(tip.y() - tail.y(), tip.x() - tail.x())
    left = tip - QPointF(math.cos(angle - 0.42) * size, math.sin(angle - 0.42) * size)
    right = tip - QPointF(math.cos(angle + 0.42) * size, math.sin(angle + 0.42) * size)
    return QPolygonF([tip, left, right])

