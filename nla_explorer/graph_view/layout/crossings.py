"""Edge crossings of a layout: the measure of a layered drawing's quality (tests, benchmarks)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from nla_explorer.graph_view.layout import phases as core
from nla_explorer.graph_view.layout.model import Layout, Point


def _layer_xs(pts: Sequence[Point], ls: int, lt: int, ys: list[float], x_s: float,
              x_t: float) -> list[tuple[int, float]]:
    """(layer, x) where the polyline meets each layer's centre line from ls to lt; a vertical
    stretch over several layers keeps only its two ends (the caller records it as a run)."""
    out, prev = [(ls, x_s)], None
    for px, py in pts:
        if prev is not None and py > prev[1]:
            x0, y0 = prev
            k0 = max(bisect.bisect_right(ys, y0), out[-1][0] + 1)
            k1 = min(bisect.bisect_right(ys, py) - 1, lt - 1)
            if k1 - k0 >= 2 and px == x0:
                out += [(k0, x0), (k1, x0)]
            elif k1 >= k0:
                out += [(k, x0 + (ys[k] - y0) * (px - x0) / (py - y0)) for k in range(k0, k1 + 1)]
        prev = (px, py if prev is None else max(py, prev[1]))  # tolerate spline wiggles
    return out + [(lt, x_t)]


def count_crossings(layout: Layout, edges: Sequence[tuple[str, str]]) -> int:
    """Edge crossings between adjacent layers (layers read from the nodes' y; long edges
    followed along their polylines). Segments drawn on top of each other count once."""
    pos = layout.positions
    ys = sorted({round(y, 3) for _, y in pos.values()})
    level = {v: bisect.bisect_left(ys, round(y, 3)) for v, (_, y) in pos.items()}
    gaps, ups, lows, runs = [], [], [], []
    for (s, t), pts in zip(edges, layout.edge_points):
        ls, lt, xs_, xt_ = level[s], level[t], pos[s][0], pos[t][0]
        if ls > lt:
            ls, lt, xs_, xt_, pts = lt, ls, xt_, xs_, pts[::-1]
        seq = _layer_xs(pts, ls, lt, ys, xs_, xt_) if lt - ls > 1 else [(ls, xs_), (lt, xt_)]
        for (k0, x0), (k1, x1) in zip(seq, seq[1:]):
            if k1 == k0 + 1:
                gaps.append(k0)
                ups.append(x0)
                lows.append(x1)
            elif k1 > k0 and x0 == x1:
                runs.append((k0, k1 - 1, round(x0, 6)))
            elif k1 > k0:  # layers the polyline missed: straight between the ends
                span = np.linspace(x0, x1, k1 - k0 + 1).tolist()
                gaps += range(k0, k1)
                ups += span[:-1]
                lows += span[1:]
    g = np.asarray(gaps, np.int64)
    a, b = np.round(np.asarray(ups, float), 6), np.round(np.asarray(lows, float), 6)
    if len(g) > 1:  # one drawn line for identical segments (a shared lane, merged copies)
        o = np.lexsort((b, a, g))
        g, a, b = g[o], a[o], b[o]
        keep = np.r_[True, (np.diff(g) != 0) | (np.diff(a) != 0) | (np.diff(b) != 0)]
        g, a, b = g[keep], a[keep], b[keep]
    total = core.count_inversions(g, a, b)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    by_x: dict[float, list[tuple[int, int]]] = {}
    for k0, k1, xr in runs:
        by_x.setdefault(xr, []).append((k0, k1))
    for xr, spans in by_x.items():  # sloped segments across the vertical runs at xr
        cover = np.zeros(len(ys) + 1, np.int64)
        np.add.at(cover, [k0 for k0, _ in spans], 1)
        np.add.at(cover, [k1 + 1 for _, k1 in spans], -1)
        total += int(((np.cumsum(cover)[g] > 0) & (lo < xr) & (xr < hi)).sum())
    return total
