"""Spots for a step's label farther from its edge, for when every spot beside it is taken (two
edges leaving a box close together, a big heatmap between close boxes): a grid of places around
the edge, nearest first, and the short leader line from the edge to the spot chosen.

A few hundred spots are weighed against the boxes and labels near them at once (arrays): the
search stays well within a frame; only the nearest free spots are weighed against the lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainterPath

#: The grid reaches this many steps (a third of the label's size each) from the edge.
RINGS = 9
#: Where along the edge its places are measured from (as in :meth:`StepOverlay._free_spot`,
#: nearest the input first).
ALONG = (0.3, 0.15, 0.5, 0.7, 0.85)
#: A label's rect may reach this far into a box or another label: its margin (the box's bounds
#: have one too), not what it draws.
TOUCH = 1.0
#: A leader line is drawn to a label farther than this from its edge.
LEADER_FROM = 3.0


@dataclass
class Spots:
    """The grid of a label ``width`` × ``height``: each spot's top-left (``left``, ``top``),
    distance from the edge (``far``) and nearest of the edge's ``points`` (``at``), nearest
    first; ``area`` covers them all."""
    area: QRectF
    width: float
    height: float
    left: np.ndarray
    top: np.ndarray
    far: np.ndarray
    at: np.ndarray
    points: list[QPointF]


def farther_spots(path: QPainterPath, width: float, height: float) -> Spots:
    """The grid of spots around the edge drawn by ``path``; a spot's distance is in scene
    units, plus half a label height per half edge away from the input's end (labels keep to
    where the gradient arrives)."""
    points = [path.pointAtPercent(t) for t in ALONG]
    px, py = np.array([p.x() for p in points]), np.array([p.y() for p in points])
    away = np.abs(np.array(ALONG) - ALONG[0]) * height
    steps = np.arange(-RINGS, RINGS + 1, dtype=float)
    i, j = (a.ravel() for a in np.meshgrid(steps, steps, indexing="ij"))
    left = px[0] - width / 2 + i * (width / 3)
    top = py[0] - height / 2 + j * (height / 3)
    dx = np.maximum(np.maximum(left[:, None] - px, 0.0), px - (left + width)[:, None])
    dy = np.maximum(np.maximum(top[:, None] - py, 0.0), py - (top + height)[:, None])
    distance = np.hypot(dx, dy) + away
    at = distance.argmin(axis=1)
    far = distance[np.arange(len(at)), at]
    order = np.lexsort((i * i + j * j, far))
    area = QRectF(float(left.min()), float(top.min()), float(np.ptp(left)) + width,
                  float(np.ptp(top)) + height)
    return Spots(area, width, height, left[order], top[order], far[order], at[order], points)


def nearest_free(spots: Spots, boxes: list[QRectF], labels: list[QRectF],
                 strokes: list[QPainterPath], bounds: QRectF, per_unit: float,
                 per_line: float) -> tuple[float, float, tuple | None] | None:
    """Of the ``spots`` on no box and no label, in ``bounds`` if one is, those nearest (within
    half a label height of the nearest), the one costing least: ``per_unit`` a scene unit from
    the edge, ``per_line`` a line (``strokes``) under the label or a line or box its leader
    crosses. Where none in ``bounds`` is free (out of sight, cut off an exported picture), a
    scene unit out of them counts as one more away. Its top-left and leader line; None if
    none is free."""
    width, height = spots.width, spots.height
    left, top, far = spots.left, spots.top, spots.far
    free = np.ones(len(far), dtype=bool)
    for other in (*boxes, *labels):  # as :func:`meets`, for all the spots at once
        free &= ~((left + TOUCH < other.right()) & (left + width - TOUCH > other.left())
                  & (top + TOUCH < other.bottom()) & (top + height - TOUCH > other.top()))
    out = (np.maximum(bounds.left() - left, 0.0) + np.maximum(left + width - bounds.right(), 0.0)
           + np.maximum(bounds.top() - top, 0.0) + np.maximum(top + height - bounds.bottom(), 0.0))
    for inside in (True, False):
        if inside:
            chosen = np.flatnonzero(free & (out == 0))
            key = far[chosen]
        else:  # a unit out as far as a unit away
            chosen = np.flatnonzero(free)
            key = far[chosen] + out[chosen]
            chosen, key = chosen[np.argsort(key, kind="stable")], np.sort(key, kind="stable")
        if not len(chosen):
            continue
        best, near = None, key <= key[0] + height / 2
        for index, distance in zip(chosen[near].tolist(), key[near].tolist()):
            rect = QRectF(float(left[index]), float(top[index]), width, height)
            line = leader(spots.points[spots.at[index]], rect)
            score = per_unit * distance + per_line * sum(s.intersects(rect) for s in strokes)
            if line is not None:
                path = QPainterPath(QPointF(line[0], line[1]))
                path.lineTo(line[2], line[3])
                score += per_line * (sum(s.intersects(path) for s in strokes)
                                     + sum(path.intersects(box) for box in boxes))
            if best is None or score < best[0]:
                best = (score, rect.x(), rect.y(), line)
        return best[1:]
    return None


def meets(rect: QRectF, boxes: list[QRectF], labels: list[QRectF]) -> bool:
    """Does ``rect`` cover some of a box or a label (more than a sliver of its margin)?"""
    rect = rect.adjusted(TOUCH, TOUCH, -TOUCH, -TOUCH)
    return any(rect.intersects(other) for other in boxes) or \
        any(rect.intersects(other) for other in labels)


def leader(at: QPointF, rect: QRectF) -> tuple[float, float, float, float] | None:
    """The line from ``at`` on the edge to the nearest point of the label at ``rect`` (None
    where it is close enough to read as the edge's without one)."""
    x = min(max(at.x(), rect.left()), rect.right())
    y = min(max(at.y(), rect.top()), rect.bottom())
    if math.hypot(x - at.x(), y - at.y()) <= LEADER_FROM:
        return None
    return at.x(), at.y(), x, y
