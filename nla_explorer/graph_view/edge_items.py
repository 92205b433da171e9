"""Graphics items of edges: one edge (a smoothed polyline or Graphviz's spline with an
arrowhead), and many edges of a big graph as one item whose path is made when first painted.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.graph_view.layout.model import Layout
from nla_explorer.graph_view.model import DisplayEdge, DisplayGraph


class EdgeItem(QGraphicsPathItem):
    """A smoothed polyline (or Graphviz's Bézier spline) from source to target, with an arrowhead."""

    def __init__(self, edge: DisplayEdge, points: list[tuple[float, float]], style: ViewStyle,
                 arrow_size: float = 9.0, bezier: bool = False) -> None:
        super().__init__()
        self.edge = edge
        self._lit_pen: QPen | None = None
        self._bounds: QRectF | None = None
        self.set_route(edge, points, style, arrow_size, bezier)
        self.setZValue(0)

    def set_route(self, edge: DisplayEdge, points: list[tuple[float, float]], style: ViewStyle,
                  arrow_size: float = 9.0, bezier: bool = False) -> None:
        """Draw ``edge`` along ``points`` (a step's lit edge moves to another edge so)."""
        self.edge = edge
        self.setPen(_edge_pen(style, edge.constant, edge.made_by))  # its width sizes the bounds
        self.base_pen = QPen(self.pen())
        self._arrow = QPolygonF()
        if len(points) >= 2:
            self._arrow = _arrowhead(QPointF(*points[-2]), QPointF(*points[-1]), arrow_size)
        self.setPath(_bezier_path(points) if bezier else _smooth_path(points))
        self._bounds = None  # setPath asked for the bounds of the old path: forget them

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
    """Many edges painted as one path (big graphs): one item instead of hundreds. The path is
    made when the bundle is first painted; until then its bounds are those of the points (the
    curves stay within them) widened by an arrowhead, which holds the exact bounds."""

    def __init__(self, polylines: Sequence[Sequence[tuple[float, float]]], constant: bool,
                 arrow_size: float, bezier: bool, style: ViewStyle) -> None:
        super().__init__()
        self._polylines = polylines
        self._arrow_size = arrow_size
        self._bezier = bezier
        self._paths: tuple[QPainterPath, QPainterPath] | None = None
        self._constant = constant
        self.set_view_style(style)
        corners = [point for points in polylines for point in points]
        self._rect = QRectF()
        if corners:
            xs, ys = zip(*corners)
            pad = arrow_size + 2
            self._rect = QRectF(min(xs) - pad, min(ys) - pad, max(xs) - min(xs) + 2 * pad,
                                max(ys) - min(ys) + 2 * pad)
        self.setZValue(0)

    def set_view_style(self, style: ViewStyle) -> None:
        self._pen = _edge_pen(style, self._constant)
        self._pen.setCapStyle(Qt.SquareCap)  # Qt's default: one path of many edges
        self._brush = QBrush(self._pen.color())
        self.update()

    def paths(self) -> tuple[QPainterPath, QPainterPath]:
        """The lines and the arrowheads (made on first use)."""
        if self._paths is None:  # drawn into two paths: the same elements as one path per edge
            lines, arrows = QPainterPath(), QPainterPath()
            trace = _trace_bezier if self._bezier else _trace_smooth
            size = self._arrow_size
            for points in self._polylines:
                trace(lines, points)
                if len(points) >= 2:
                    tip, left, right = _arrow_points(points[-2], points[-1], size)
                    arrows.moveTo(*tip)
                    arrows.lineTo(*left)
                    arrows.lineTo(*right)
            self._paths = (lines, arrows)
        return self._paths

    def exact_rect(self) -> QRectF:
        """What the edges cover (the bounds of the paths, a little wider for the pen)."""
        lines, arrows = self.paths()
        return lines.boundingRect().united(arrows.boundingRect()).adjusted(-2, -2, 2, 2)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        lines, arrows = self.paths()
        painter.strokePath(lines, self._pen)
        painter.fillPath(arrows, self._brush)


def bundle_edges(display: DisplayGraph, layout: Layout, arrow_size: float, bezier: bool,
                 style: ViewStyle, per_item: int = 300) -> Iterator[tuple[EdgeBundleItem, int]]:
    """Big graphs: a few hundred edges per item, grouped by position for cheap culling; yields
    each bundle and how many edges it holds."""
    points = layout.edge_points
    tops = [p[0][1] if p else 0 for p in points]
    order = sorted(range(len(points)), key=tops.__getitem__)
    constants = [edge.constant for edge in display.edges]
    for constant in (False, True):
        chosen = [i for i in order if constants[i] == constant]
        for start in range(0, len(chosen), per_item):
            chunk = chosen[start:start + per_item]
            yield EdgeBundleItem([points[i] for i in chunk], constant, arrow_size, bezier,
                                 style), len(chunk)


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


def _smooth_path(points: Sequence[tuple[float, float]]) -> QPainterPath:
    path = QPainterPath()
    _trace_smooth(path, points)
    return path


def _trace_smooth(path: QPainterPath, points: Sequence[tuple[float, float]]) -> None:
    if not points:
        return
    path.moveTo(*points[0])
    if len(points) == 2:
        path.lineTo(*points[1])
        return
    # through the bend points with quadratic curves between midpoints: smooth, and cheap
    last = len(points) - 2
    for i in range(1, len(points) - 1):
        cx, cy = points[i]
        nx, ny = points[i + 1]
        if i == last:
            path.quadTo(cx, cy, nx, ny)
        else:
            path.quadTo(cx, cy, (cx + nx) / 2, (cy + ny) / 2)


def _bezier_path(points: Sequence[tuple[float, float]]) -> QPainterPath:
    """Graphviz splines: a start point, then three control points per cubic segment."""
    path = QPainterPath()
    _trace_bezier(path, points)
    return path


def _trace_bezier(path: QPainterPath, points: Sequence[tuple[float, float]]) -> None:
    rest = points[1:]
    if not points or len(rest) % 3:
        _trace_smooth(path, points)
        return
    path.moveTo(*points[0])
    for i in range(0, len(rest), 3):
        path.cubicTo(QPointF(*rest[i]), QPointF(*rest[i + 1]), QPointF(*rest[i + 2]))


def _arrowhead(tail: QPointF, tip: QPointF, size: float) -> QPolygonF:
    points = _arrow_points((tail.x(), tail.y()), (tip.x(), tip.y()), size)
    return QPolygonF([QPointF(*point) for point in points])


def _arrow_points(tail: tuple[float, float], tip: tuple[float, float],
                  size: float) -> tuple[tuple[float, float], ...]:
    """The tip and the two back corners of an arrowhead on the segment ``tail`` → ``tip``."""
    (sx, sy), (tx, ty) = tail, tip
    angle = math.atan2(ty - sy, tx - sx)
    return ((tx, ty), (tx - math.cos(angle - 0.42) * size, ty - math.sin(angle - 0.42) * size),
            (tx - math.cos(angle + 0.42) * size, ty - math.sin(angle + 0.42) * size))
