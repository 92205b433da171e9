"""Geometry of a scene whose boxes are made when needed: what its picture covers (what Qt's
``itemsBoundingRect`` would say once every item were made) and the scale a ``render`` draws at.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter

from nla_explorer.graph_view.edge_items import EdgeBundleItem
from nla_explorer.graph_view.lazy_boxes import SketchItem

#: QPainter devices of this type (QInternal::Picture) render at the source's own size.
_PICTURE_DEVICE = 4


def picture_rect(box_bounds: tuple[float, float, float, float] | None,
                 items: Iterable) -> QRectF:
    """The union of the boxes' bounds (left, top, right, bottom) and the bounds of ``items``
    (the scene's other items). An edge bundle's bounds are those of its points widened by an
    arrowhead: the exact bounds are worked out only for a bundle reaching beyond the rest."""
    bundles = []
    edges = list(box_bounds) if box_bounds is not None else None
    for item in items:
        if isinstance(item, SketchItem):
            continue
        if isinstance(item, EdgeBundleItem):
            bundles.append(item)
            continue
        edges = _united(edges, item.sceneBoundingRect())
    for bundle in bundles:
        if edges is None or not _inside(bundle.boundingRect(), edges):
            edges = _united(edges, bundle.exact_rect())
    if edges is None:
        return QRectF()
    left, top, right, bottom = edges
    return QRectF(left, top, right - left, bottom - top)


def _united(edges: list[float] | None, rect: QRectF) -> list[float] | None:
    if rect.isNull():  # as QRectF.united: an empty rect adds nothing
        return edges
    if edges is None:
        return [rect.left(), rect.top(), rect.right(), rect.bottom()]
    return [min(edges[0], rect.left()), min(edges[1], rect.top()),
            max(edges[2], rect.right()), max(edges[3], rect.bottom())]


def _inside(rect: QRectF, edges: list[float]) -> bool:
    return (rect.left() >= edges[0] and rect.top() >= edges[1] and rect.right() <= edges[2]
            and rect.bottom() <= edges[3])


def render_zoom(painter: QPainter, target: QRectF, source: QRectF,
                mode: Qt.AspectRatioMode) -> float | None:
    """The largest scale (device pixels per scene unit) ``QGraphicsScene.render`` draws
    ``source`` at into ``target`` with ``painter`` (None: it cannot be known)."""
    if source.isEmpty():
        return None
    if target.isNull():
        device = painter.device()
        if device is None:
            return None
        target = QRectF(source) if device.devType() == _PICTURE_DEVICE else \
            QRectF(0, 0, device.width(), device.height())
    x_ratio, y_ratio = target.width() / source.width(), target.height() / source.height()
    if mode == Qt.KeepAspectRatio:
        x_ratio = y_ratio = min(x_ratio, y_ratio)
    elif mode == Qt.KeepAspectRatioByExpanding:
        x_ratio = y_ratio = max(x_ratio, y_ratio)
    world = painter.worldTransform()
    scale = math.sqrt(max(world.m11() ** 2 + world.m12() ** 2, world.m21() ** 2 + world.m22() ** 2))
    return max(x_ratio, y_ratio) * scale
