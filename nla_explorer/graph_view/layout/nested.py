"""Layout of nested groups: each open group is laid out on its own, then placed as one big box.

Bottom up, the items of an open group (boxes, closed groups, open subgroups as rectangles of their
laid-out size) are placed by the layered layout; the group's frame is that drawing plus a header
and padding. A level's drawing is cached by its shape (its items' sizes and its edges), so 5,000 RNN steps that look alike are laid out once, and opening one group lays out that group
and the levels around it, nothing else. An edge between items of different levels follows the
route of its two ends' ancestors in their lowest common level. No Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from nla_explorer.graph_view.layout.layered import layered_layout
from nla_explorer.graph_view.layout.model import DEFAULT_SIZE, Layout, Point

#: Space inside a frame around its content, and above it for the header.
PAD = 12.0
#: Between the lanes of a column's long edges.
PORT_GAP = 6.0


@dataclass(frozen=True)
class Frame:
    """An open group's rectangle (top-left x, y; width, height) and its nesting depth."""

    x: float
    y: float
    w: float
    h: float
    depth: int
    header: float  # the header's height


@dataclass(frozen=True)
class _Drawing:
    """One level laid out: item centres and edge routes by index, from its top-left (0, 0)."""

    centres: tuple[tuple[float, float], ...]
    routes: tuple[tuple[Point, ...], ...]
    width: float
    height: float


@dataclass
class LayoutCache:
    """Drawings of levels by their sizes and edges, kept between layouts of one graph."""

    drawings: dict[Hashable, _Drawing] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0


def nested_layout(levels: Mapping[str | None, Sequence[str]], edges: Sequence[tuple[str, str]],
                  sizes: Mapping[str, tuple[float, float]],
                  headers: Mapping[str, tuple[float, float]], *,
                  cache: LayoutCache | None = None, node_sep: float = 24.0,
                  layer_sep: float = 40.0, columns: Collection[str] = (),
                  check: Callable[[], None] | None = None) -> tuple[Layout, dict[str, Frame]]:
    """Positions of every shown item and a frame per open group (``levels``' keys other than
    ``None``); ``headers``: each open group's header size; ``columns``: levels drawn as one
    column in their order (the calls of a fold: 5,000 steps of an RNN need no crossing
    reduction, and opening one of them must not lay the others out again). A level's drawing
    depends only on its items' sizes and its edges, so that is its key in ``cache``."""
    cache = cache if cache is not None else LayoutCache()
    parent = {item: gid for gid, items in levels.items() for item in items}
    index = {item: k for items in levels.values() for k, item in enumerate(items)}
    level_edges: dict[str | None, list[tuple[int, int]]] = {g: [] for g in levels}
    where: list[tuple[str | None, int, str, str]] = []  # per edge: level, its pair, the ends
    for s, t in edges:
        level = parent.get(s, _NOWHERE)
        if level is _NOWHERE or parent.get(t, _NOWHERE) != level:  # not side by side
            a, b, level = _meet(s, t, parent)
        else:
            a, b = s, t
        pairs = level_edges[level]
        where.append((level, len(pairs), a, b))
        pairs.append((index[a], index[b]))
    size: dict[str, tuple[float, float]] = {}
    drawings: dict[str | None, _Drawing] = {}
    for gid in sorted(levels, key=lambda g: -_depth(g, parent)):  # inner levels first
        if check is not None:
            check()
        items = levels[gid]
        wh = [size.get(i) or sizes.get(i, DEFAULT_SIZE) for i in items]
        column = gid in columns
        key = (column, tuple(wh), tuple(level_edges[gid]))
        drawing = cache.drawings.get(key)
        if drawing is None:
            cache.misses += 1
            draw = _column if column else _draw
            drawing = cache.drawings[key] = draw(wh, level_edges[gid], node_sep, layer_sep)
        else:
            cache.hits += 1
        drawings[gid] = drawing
        if gid is not None:
            hw, hh = headers.get(gid, (0.0, 0.0))
            size[gid] = (max(drawing.width, hw) + 2 * PAD, drawing.height + hh + 2 * PAD)
    positions: dict[str, tuple[float, float]] = {}
    frames: dict[str, Frame] = {}
    origin: dict[str | None, tuple[float, float]] = {None: (0.0, 0.0)}
    for gid in sorted(levels, key=lambda g: _depth(g, parent)):  # outer levels first
        ox, oy = origin[gid]
        drawing = drawings[gid]
        for item, (cx, cy) in zip(levels[gid], drawing.centres):
            x, y = ox + cx, oy + cy
            if item in levels:
                w, h = size[item]
                hh = headers.get(item, (0.0, 0.0))[1]
                frames[item] = Frame(x - w / 2, y - h / 2, w, h, _depth(item, parent), hh)
                inner = drawings[item]
                origin[item] = (x - inner.width / 2, y - h / 2 + hh + PAD)
            else:
                positions[item] = (x, y)
    routes = []
    for (level, pair, a, b), (s, t) in zip(where, edges):
        ox, oy = origin[level]
        pts = [(ox + px, oy + py) for px, py in drawings[level].routes[pair]]
        if s != a and pts:  # from inside an open group: leave it from the box itself
            pts.insert(0, _end(s, positions, sizes, +1))
        if t != b and pts:
            pts.append(_end(t, positions, sizes, -1))
        routes.append(tuple(pts))
    top = drawings[None]
    layout = Layout(positions, tuple(routes), top.width, top.height, "builtin", {})
    return layout, frames


_NOWHERE = object()  # an item in no level


def _meet(s: str, t: str, parent: Mapping[str, str | None]) -> tuple[str, str, str | None]:
    """The ancestors of ``s`` and ``t`` (or themselves) that share a level, and that level."""
    chain_s = [s]
    while parent.get(chain_s[-1]) is not None:
        chain_s.append(parent[chain_s[-1]])
    level_of_s = {parent.get(x): x for x in chain_s}
    b = t
    while True:
        level = parent.get(b)
        if level in level_of_s:
            return level_of_s[level], b, level
        b = level


def _depth(gid: str | None, parent: Mapping[str, str | None]) -> int:
    d = 0
    while gid is not None:
        gid = parent.get(gid)
        d += 1
    return d


def _end(item: str, positions, sizes, side: int) -> Point:
    x, y = positions.get(item, (0.0, 0.0))
    h = sizes.get(item, DEFAULT_SIZE)[1]
    return (x, y + side * h / 2)


def _draw(wh: list[tuple[float, float]], pairs: list[tuple[int, int]], node_sep: float,
          layer_sep: float) -> _Drawing:
    names = [str(k) for k in range(len(wh))]
    layout = layered_layout(names, [(names[a], names[b]) for a, b in pairs],
                            dict(zip(names, wh)), node_sep=node_sep, layer_sep=layer_sep)
    return _Drawing(tuple(layout.positions[n] for n in names), layout.edge_points,
                    layout.width, layout.height)


def _column(wh: list[tuple[float, float]], pairs: list[tuple[int, int]], node_sep: float,
            layer_sep: float) -> _Drawing:
    """Items one below the other in their order, centred; an edge to the next item goes
    straight down, a longer one down a lane on the right (up: on the left)."""
    widest = max((w for w, _ in wh), default=0.0)
    lanes = 4
    side = node_sep + lanes * PORT_GAP
    cx = side + widest / 2
    centres, top = [], 0.0
    for _, h in wh:
        centres.append((cx, top + h / 2))
        top += h + layer_sep
    routes = []
    for k, (a, b) in enumerate(pairs):
        (xa, ya), (xb, yb) = centres[a], centres[b]
        (wa, ha), (wb, hb) = wh[a], wh[b]
        if b == a + 1:
            routes.append(((xa, ya + ha / 2), (xb, yb - hb / 2)))
            continue
        sign = 1.0 if b > a else -1.0
        lane = cx + sign * (widest / 2 + node_sep / 2 + (k % lanes) * PORT_GAP)
        routes.append(((xa + sign * wa / 2, ya), (lane, ya), (lane, yb),
                       (xb + sign * wb / 2, yb)))
    height = max(top - layer_sep, 0.0)
    return _Drawing(tuple(centres), tuple(routes), 2 * cx, height)
