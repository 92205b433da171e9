"""Where a plot's legend is, in the plot's view (data) coordinates, and which drawn curve points
and segments it would cover: the helpers of the legend tests."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt

#: Screen pixels around the legend's box that must stay clear of data as well.
CLEARANCE = 2.0


def legend_rect_in_view(plot: pg.PlotWidget, clearance: float = CLEARANCE) -> QRectF | None:
    """The legend's box (frame and all, widened by ``clearance`` px) in view coordinates
    (log axes: log10 units, as the curves are drawn); None without a legend or entries."""
    item = plot.getPlotItem()
    legend = item.legend
    if legend is None or not legend.items or not legend.isVisible():
        return None
    box = legend.mapRectToScene(legend.boundingRect())
    box = QRectF(box).adjusted(-clearance, -clearance, clearance, clearance)
    a = item.vb.mapSceneToView(box.topLeft())
    b = item.vb.mapSceneToView(box.bottomRight())
    return QRectF(QPointF(min(a.x(), b.x()), min(a.y(), b.y())),
                  QPointF(max(a.x(), b.x()), max(a.y(), b.y())))


def _visible_range(plot: pg.PlotWidget) -> QRectF:
    (x0, x1), (y0, y1) = plot.getPlotItem().vb.viewRange()
    return QRectF(QPointF(x0, y0), QPointF(x1, y1))


def _segment_hits(p: np.ndarray, q: np.ndarray, rect: QRectF) -> bool:
    """Whether the segment p–q meets ``rect`` (Liang–Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    d = q - p
    for edge_p, edge_q in ((-d[0], p[0] - rect.left()), (d[0], rect.right() - p[0]),
                           (-d[1], p[1] - rect.top()), (d[1], rect.bottom() - p[1])):
        if edge_p == 0:
            if edge_q < 0:
                return False
            continue
        t = edge_q / edge_p
        if edge_p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def covered_data(plot: pg.PlotWidget, clearance: float = CLEARANCE) -> list[str]:
    """Each drawn curve point and line segment (clipped to the view, as drawn) that the legend's
    box covers, described; empty when the legend is clear of the data."""
    rect = legend_rect_in_view(plot, clearance)
    if rect is None:
        return []
    view = _visible_range(plot)
    clip = rect.intersected(view)
    if clip.isEmpty():
        return []
    hits = []
    for curve in plot.getPlotItem().listDataItems():
        if not curve.isVisible():
            continue
        x, y = curve.getData()
        if x is None or not len(x):
            continue
        xy = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
        ok = np.isfinite(xy).all(axis=1)
        name = curve.name() or "(unnamed)"
        for px, py in xy[ok]:
            if clip.contains(QPointF(px, py)):
                hits.append(f"{name}: point ({px:.3g}, {py:.3g})")
        pen = curve.opts.get("pen")
        if pen is None or pg.mkPen(pen).style() == Qt.PenStyle.NoPen:  # points only
            continue
        for i in range(len(xy) - 1):
            if ok[i] and ok[i + 1] and _segment_hits(xy[i], xy[i + 1], clip):
                hits.append(f"{name}: segment {i}–{i + 1}")
    return hits


def assert_legend_clear_of_data(plot: pg.PlotWidget) -> None:
    """The legend's box covers no drawn point or segment, and does not reach into the view."""
    item = plot.getPlotItem()
    hits = covered_data(plot)
    assert not hits, (item.titleLabel.text, hits[:5])
    rect = legend_rect_in_view(plot, clearance=0)
    if rect is not None:
        assert not rect.intersects(_visible_range(plot)), (item.titleLabel.text, rect)
