"""Layered (Sugiyama-style) layout of autograd DAGs: node centres and edge polylines, no Qt."""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nla_explorer.graph_view.layout import phases as core
from nla_explorer.graph_view.layout.placement import assign_x
from nla_explorer.graph_view.layout.dot import dot_available, dot_layout
from nla_explorer.graph_view.layout.model import (
    DEFAULT_SIZE, Layout, LayoutCancelled, LayoutError, Point,
)

#: Dummy nodes allowed before the longest fan-outs (shared weights of an unrolled RNN) go
#: through side lanes instead: their spans grow with the square of the number of steps.
DUMMY_BUDGET = 20_000
LANE_MIN_SPAN = 4  # shorter edges of a lane source still bend through dummies
PORT_STEP = 8.0  # px between the ends of edges sharing a node side
NS_WORK, NS_WORK_CAP = 300, 1_500_000  # network-simplex effort per node and edge, and its cap
HUB_FANOUT = 16  # a value used by this many nodes (a shared RNN weight) is a hub
TWO_STARTS = 4_000  # up to this many nodes + dummies, order from both ends, keep the better


class _Steps:
    """Cancellation checks and progress reports between the phases of one layout."""

    def __init__(self, cancel: Callable[[], bool] | None,
                 progress: Callable[[float], None] | None) -> None:
        self._cancel, self._progress = cancel, progress

    def check(self) -> None:
        if self._cancel is not None and self._cancel():
            raise LayoutCancelled("layout cancelled")

    def at(self, fraction: float) -> None:
        self.check()
        if self._progress is not None:
            self._progress(min(1.0, max(0.0, fraction)))

    def span(self, lo: float, hi: float) -> core.Tick:
        return lambda f: self.at(lo + (hi - lo) * f)


@dataclass
class _Proper:
    """The proper graph: real nodes 0..n-1, then dummies; every edge spans one layer."""

    lay: list[int]
    up: list[list[int]]
    down: list[list[int]]
    dummy: list[bool]
    pu: list[int]  # merged edge pairs (multi-edges share one), oriented downward
    pv: list[int]
    pair_edges: list[list[int]]  # input edges of each pair
    chains: list[list[int]]  # dummies along each pair
    lane: list[bool]  # pairs routed through a side lane instead of dummies


def layered_layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]],
                   sizes: Mapping[str, tuple[float, float]] | None = None, *,
                   node_sep: float = 30, layer_sep: float = 60,
                   cancel: Callable[[], bool] | None = None,
                   progress: Callable[[float], None] | None = None) -> Layout:
    """Built-in layered layout, top to bottom in data-flow direction (sources at the top)."""
    # Millions of small lists: the cyclic GC would sweep the caller's whole heap (a live
    # autograd graph) again and again while freeing nothing; reference counting still frees.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _layered(list(nodes), list(edges), sizes or {}, float(node_sep),
                        float(layer_sep), _Steps(cancel, progress))
    finally:
        if was_enabled:
            gc.enable()


def _layered(nodes, edges, sizes, node_sep, layer_sep, steps: _Steps) -> Layout:
    """The phases: cycles, layers, proper graph, order, x, y, edge routes."""
    steps.at(0.0)
    index: dict[str, int] = {}
    for i, v in enumerate(nodes):
        if index.setdefault(v, i) != i:
            raise LayoutError(f"node {v!r} is listed twice")
    try:
        src, dst = [index[s] for s, _ in edges], [index[t] for _, t in edges]
    except KeyError as exc:
        raise LayoutError(f"an edge refers to the unknown node {exc.args[0]!r}") from None
    n = len(nodes)
    if n == 0:
        return Layout({}, (), 0.0, 0.0, "builtin", {})
    wh = [sizes.get(v, DEFAULT_SIZE) for v in nodes]
    wid, hgt = [max(0.0, float(w)) for w, _ in wh], [max(0.0, float(h)) for _, h in wh]
    flipped = core.break_cycles(n, src, dst)
    us = [t if f else s for s, t, f in zip(src, dst, flipped)]
    vs = [s if f else t for s, t, f in zip(src, dst, flipped)]
    budget = max(DUMMY_BUDGET, 2 * n)
    layer = _assign_layers(n, us, vs, budget, steps.check)
    steps.at(0.1)
    g = _proper(n, us, vs, layer, budget)
    big, n_layers = len(g.lay), max(layer) + 1
    roots = sorted((v for v in range(big) if not g.down[v]), key=lambda v: (-g.lay[v], v))
    small = big <= TWO_STARTS
    effort = dict(max_iter=24 if big <= 60_000 else 12, patience=10 if small else 4,
                  transpose=big <= 150_000, check=steps.check)
    rows, best = core.reduce_crossings(core.initial_order(g.lay, g.up, n_layers, roots), g.lay,
                                       g.up, g.down, tick=steps.span(0.15, 0.4 if small else 0.65),
                                       **effort)
    if small and best:  # also start from the sources; keep the better order
        starts = sorted((v for v in range(big) if not g.up[v]), key=lambda v: (g.lay[v], v))
        alt, c = core.reduce_crossings(core.initial_order(g.lay, g.down, n_layers, starts),
                                       g.lay, g.up, g.down, tick=steps.span(0.4, 0.65), **effort)
        rows = alt if c < best else rows
    widths = wid + [0.0] * (big - n)
    x = assign_x(rows, g.up, g.down, widths, g.dummy, node_sep, node_sep / 2,
                 check=steps.check, tick=steps.span(0.65, 0.92))
    x = _cancel_drift(x, rows, g.lay)
    band = [0.0] * n_layers  # each layer's height, then its centre line
    for v in range(n):
        band[layer[v]] = max(band[layer[v]], hgt[v])
    yc, top = [], 0.0
    for h in band:
        yc.append(top + h / 2)
        top += h + layer_sep
    points = _route(g, x, wid, hgt, yc, [h / 2 for h in band], layer_sep, node_sep, us, vs)
    for e, f in enumerate(flipped):
        if f:
            points[e].reverse()
    steps.at(0.97)
    out = _finish(nodes, x, [yc[k] for k in layer], wid, hgt, points, layer)
    steps.at(1.0)
    return out


def _assign_layers(n: int, us: list[int], vs: list[int], dummy_budget: int,
                   check: Callable[[], None]) -> list[int]:
    """Layers with the least total edge length (network simplex from an as-low-as-possible
    start); nodes free to move sink toward their consumers; isolated nodes go on top."""
    out: list[list[int]] = [[] for _ in range(n)]
    inn: list[list[int]] = [[] for _ in range(n)]
    weight: dict[tuple[int, int], int] = {}
    for u, v in zip(us, vs):
        if u != v:
            out[u].append(v)
            inn[v].append(u)
            weight[(u, v)] = weight.get((u, v), 0) + 1
    order = core.linear_order(n, inn, out)
    rank = [0] * n
    for v in reversed(order):
        if out[v]:
            rank[v] = min(rank[s] for s in out[v]) - 1
    # When long edges will not fit as dummies, a hub's edges cost nothing: it gets a side lane.
    if sum(rank[v] - rank[u] - 1 for u, v in weight) > dummy_budget:
        fan = [0] * n
        for u, _ in weight:
            fan[u] += 1
        weight = {e: 0 if fan[e[0]] >= HUB_FANOUT else w for e, w in weight.items()}
    # A virtual sink under every sink joins all components into one tight tree.
    pairs = list(weight) + [(v, n) for v in range(n) if not out[v]]
    ws = list(weight.values()) + [0] * (len(pairs) - len(weight))
    work = min(NS_WORK_CAP, 100_000 + NS_WORK * (n + len(pairs)))
    rank = core.network_simplex(n + 1, [u for u, _ in pairs], [v for _, v in pairs], ws,
                                rank + [1], work, check)[:n]
    win, wout = [0] * n, [0] * n
    for (u, v), w in weight.items():
        wout[u] += w
        win[v] += w
    for v in reversed(order):  # moves that cost nothing
        if out[v] and win[v] == wout[v]:
            rank[v] = max(rank[v], min(rank[s] for s in out[v]) - 1)
    rank = [rank[v] if out[v] or inn[v] else -(1 << 60) for v in range(n)]
    remap = {k: i for i, k in enumerate(sorted(set(rank)))}
    return [remap[k] for k in rank]


def _proper(n: int, us: list[int], vs: list[int], layer: list[int], budget: int) -> _Proper:
    """Merge multi-edges, send the costliest fan-outs to lanes, add dummies to the rest."""
    pair_of: dict[tuple[int, int], int] = {}
    pair_edges: list[list[int]] = []
    for e, (u, v) in enumerate(zip(us, vs)):
        if u != v:
            p = pair_of.setdefault((u, v), len(pair_edges))
            if p == len(pair_edges):
                pair_edges.append([])
            pair_edges[p].append(e)
    pu, pv = [us[es[0]] for es in pair_edges], [vs[es[0]] for es in pair_edges]
    spans = [layer[v] - layer[u] - 1 for u, v in zip(pu, pv)]
    total, cost, lanes = sum(spans), {}, set()
    for u, s in zip(pu, spans):
        if s >= LANE_MIN_SPAN:
            cost[u] = cost.get(u, 0) + s
    for u in sorted(cost, key=lambda u: (-cost[u], u)):
        if total <= budget:
            break
        lanes.add(u)
        total -= cost[u]
    g = _Proper(layer[:], [[] for _ in range(n)], [[] for _ in range(n)], [False] * n, pu, pv,
                pair_edges, [], [u in lanes and s >= LANE_MIN_SPAN for u, s in zip(pu, spans)])
    for p, (u, v) in enumerate(zip(pu, pv)):
        chain: list[int] = []
        g.chains.append(chain)
        if g.lane[p]:
            continue
        prev = u
        for k in range(layer[u] + 1, layer[v]):
            d = len(g.lay)
            g.lay.append(k)
            g.dummy.append(True)
            g.up.append([prev])
            g.down.append([])
            g.down[prev].append(d)
            chain.append(d)
            prev = d
        g.down[prev].append(v)
        g.up[v].append(prev)
    return g


def _cancel_drift(x: list[float], rows: list[list[int]], lay: list[int],
                  window: int = 41) -> list[float]:
    """Shift whole layers to cancel a slow sideways drift (an unrolled RNN's braid moves one
    column per step, which would make the drawing very wide); spacing inside a layer is kept."""
    if len(rows) < 3 * window:
        return x
    acc = np.r_[0.0, np.cumsum([(x[row[0]] + x[row[-1]]) / 2 for row in rows])]
    k = np.arange(len(rows))
    lo, hi = np.maximum(k - window // 2, 0), np.minimum(k + window // 2 + 1, len(rows))
    trend = (acc[hi] - acc[lo]) / (hi - lo)
    if np.ptp(trend) <= max(x[row[-1]] - x[row[0]] for row in rows):
        return x  # no real drift: keep chains exactly straight
    shift = (trend - trend.mean()).tolist()
    return [xv - shift[lay[v]] for v, xv in enumerate(x)]


def _ports(items: list[tuple[float, int, int, int]], width: float) -> dict[int, float]:
    """Offsets of a node's edge ends along one side, ordered by where the edges go; edges
    sharing a first hop (and copy number) share a port."""
    groups = sorted({(hx, hop, j) for hx, hop, j, _ in items})
    if len(groups) < 2:
        return {e: 0.0 for *_, e in items}
    spread = min(width * 0.6, PORT_STEP * (len(groups) - 1))
    where = {gr: spread * (i / (len(groups) - 1) - 0.5) for i, gr in enumerate(groups)}
    return {e: where[(hx, hop, j)] for hx, hop, j, e in items}


def _route(g: _Proper, x, wid, hgt, yc, half, layer_sep, node_sep, us, vs) -> list[list[Point]]:
    """Polylines in the oriented direction: ports, bends through dummies, side lanes."""
    layer = g.lay
    lo = min(min(xv - w / 2 for xv, w in zip(x, wid)), min(x))
    hi = max(max(xv + w / 2 for xv, w in zip(x, wid)), max(x))
    reach: dict[int, int] = {}
    for p, u in enumerate(g.pu):
        if g.lane[p]:
            reach[u] = max(reach.get(u, 0), layer[g.pv[p]] - layer[u])
    # Left half of the lane sources get lanes on the left, the rest on the right; inner lanes
    # for the shorter reaches, so a tap crosses few other lanes.
    by_x = sorted(reach, key=lambda u: (x[u], u))
    cut = (len(by_x) + 1) // 2
    if len(by_x) == 1 and x[by_x[0]] > (lo + hi) / 2:
        cut = 0
    lane_x, lane_dy, gap = {}, {}, max(node_sep / 2, 6.0)
    for left, group in ((True, by_x[:cut]), (False, by_x[cut:])):
        for i, u in enumerate(sorted(group, key=lambda u: (reach[u], u))):
            lane_x[u] = lo - gap * (i + 1) if left else hi + gap * (i + 1)
            lane_dy[u] = layer_sep * (0.25 + 0.5 * (i + 0.5) / len(group))
    outs: dict[int, list] = {}
    ins: dict[int, list] = {}
    for p, es in enumerate(g.pair_edges):
        u, v, chain = g.pu[p], g.pv[p], g.chains[p]
        first, last = (chain[0], chain[-1]) if chain else (v, u)
        for j, e in enumerate(es):
            if g.lane[p]:
                outs.setdefault(u, []).append((lane_x[u], -1, 0, e))
                ins.setdefault(v, []).append((lane_x[u], -1 - u, 0, e))
            else:
                outs.setdefault(u, []).append((x[first], first, j, e))
                ins.setdefault(v, []).append((x[last], last, j, e))
    out_off = {e: o for u, it in outs.items() for e, o in _ports(it, wid[u]).items()}
    in_off = {e: o for v, it in ins.items() for e, o in _ports(it, wid[v]).items()}
    points: list[list[Point]] = [[] for _ in us]
    for p, es in enumerate(g.pair_edges):
        u, v = g.pu[p], g.pv[p]
        lu, lv = layer[u], layer[v]
        mid: list[Point] = []
        for d in g.chains[p]:  # straight through the layer band, bend in the gaps
            mid += [(x[d], yc[layer[d]] - half[layer[d]]), (x[d], yc[layer[d]] + half[layer[d]])]
        if g.lane[p]:
            lx, yb = lane_x[u], yc[lu] + half[lu] + lane_dy[u]
            yt = yc[lv] - half[lv] - layer_sep + lane_dy[u]
        for e in es:
            sx, tx = x[u] + out_off[e], x[v] + in_off[e]
            pts = [(sx, yc[lu] + hgt[u] / 2)]
            if hgt[u] < 2 * half[lu]:
                pts.append((sx, yc[lu] + half[lu]))
            pts += [(sx, yb), (lx, yb), (lx, yt), (tx, yt)] if g.lane[p] else mid
            if hgt[v] < 2 * half[lv]:
                pts.append((tx, yc[lv] - half[lv]))
            pts.append((tx, yc[lv] - hgt[v] / 2))
            points[e] = pts
    loops: dict[int, int] = {}
    for e, (u, v) in enumerate(zip(us, vs)):
        if u == v:  # a self-loop: a small bow on the right side of the node
            k = loops[u] = loops.get(u, 0) + 1
            xr, y, d = x[u] + wid[u] / 2, yc[layer[u]], min(hgt[u] / 4, 8.0)
            bow = xr + 12 * k
            points[e] = [(xr, y - d), (bow, y - d - 4), (bow, y + d + 4), (xr, y + d)]
    return points


def _finish(nodes, x, y, wid, hgt, points, layer) -> Layout:
    """Shift the drawing to start at (0, 0) and freeze it."""
    xs = [x[i] - wid[i] / 2 for i in range(len(nodes))] + [px for pts in points for px, _ in pts]
    ys = [y[i] - hgt[i] / 2 for i in range(len(nodes))] + [py for pts in points for _, py in pts]
    x0, y0 = min(xs), min(ys)
    x1 = max(max(x[i] + wid[i] / 2 for i in range(len(nodes))), max(xs))
    y1 = max(max(y[i] + hgt[i] / 2 for i in range(len(nodes))), max(ys))
    lines = tuple(tuple((float(px - x0), float(py - y0)) for px, py in pts) for pts in points)
    return Layout({v: (float(x[i] - x0), float(y[i] - y0)) for i, v in enumerate(nodes)}, lines,
                  float(x1 - x0), float(y1 - y0), "builtin",
                  {v: int(layer[i]) for i, v in enumerate(nodes)})


def auto_layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]],
                sizes: Mapping[str, tuple[float, float]] | None = None, *,
                engine: str = "auto", dot_max_nodes: int = 1500, dot_timeout: float = 10.0,
                **kw) -> Layout:
    """Graphviz dot for small graphs when installed (the built-in layout if dot fails or times
    out), the built-in layout otherwise; ``engine`` forces "builtin" or "dot"."""
    if engine not in ("auto", "builtin", "dot"):
        raise LayoutError(f"unknown layout engine {engine!r}: use 'auto', 'builtin' or 'dot'")
    if engine == "dot" and not dot_available():
        raise LayoutError("the Graphviz 'dot' program was not found on PATH: install Graphviz "
                          "(e.g. apt install graphviz) or use the built-in layout")
    if engine == "dot" or (engine == "auto" and len(nodes) <= dot_max_nodes and dot_available()):
        try:
            return dot_layout(nodes, edges, sizes, dot_timeout, **kw)
        except LayoutCancelled:
            raise
        except LayoutError:
            if engine == "dot":
                raise
    return layered_layout(nodes, edges, sizes, **kw)
