"""Where blocks go on the canvas: positions kept by name when the code changes, and a free spot
for a new block (plain numbers, no Qt: a block's position is the middle of its top edge)."""

from __future__ import annotations

import math

from nla_explorer.engine.expression import Expression

Rect = tuple[float, float, float, float]  # left, top, right, bottom
GAP = 24.0  # the least room kept between a new block and the others
MAX_RINGS = 80


def kept_positions(old: Expression | None, positions: dict, new: Expression
                   ) -> tuple[tuple[str, tuple[float, float]], ...]:
    """Positions for ``new``'s blocks, kept from ``old``'s equal blocks (by name, else by op and
    order), so editing the code does not rearrange the canvas."""
    if old is None or not positions:
        return ()
    def keys(expr: Expression) -> dict[str, tuple]:
        seen: dict[str, int] = {}
        out = {}
        for b in expr.blocks:
            if b.name:
                out[b.id] = ("name", b.name)
            else:
                seen[b.op] = seen.get(b.op, 0) + 1
                out[b.id] = ("op", b.op, seen[b.op])
        return out
    old_by_key = {k: i for i, k in keys(old).items()}
    kept = []
    for block_id, key in keys(new).items():
        old_id = old_by_key.get(key)
        if old_id in positions:
            kept.append((block_id, positions[old_id]))
    return tuple(kept)


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def free_spot(size: tuple[float, float], centre: tuple[float, float], taken: list[Rect],
              bounds: Rect | None = None, row: bool = False,
              step: tuple[float, float] = (40.0, 30.0), gap: float = GAP) -> tuple[float, float]:
    """The position (middle of the top edge) of a ``size`` box whose centre is as near ``centre``
    as it can be without coming within ``gap`` of any rectangle of ``taken``; inside ``bounds``
    (what is visible) if there is room there. ``row``: sideways counts as nearer than up or
    down (blocks that nothing feeds line up in a row, like the inputs of a layered drawing).

    Candidates lie on a grid of ``step`` around ``centre``; the nearest free one wins (ties:
    the one below, then to the right)."""
    width, height = size
    cx, cy = centre
    wx, wy = (1.0, 3.0) if row else (1.0, 1.0)
    ring_floor = min(wx * step[0], wy * step[1])  # the least distance of ring r is r times it

    def free(x: float, y: float) -> bool:
        box = (x - width / 2 - gap, y - height / 2 - gap, x + width / 2 + gap,
               y + height / 2 + gap)
        return not any(_overlaps(box, r) for r in taken)

    def inside(x: float, y: float) -> bool:
        return bounds is None or (bounds[0] <= x - width / 2 and x + width / 2 <= bounds[2]
                                  and bounds[1] <= y - height / 2 and y + height / 2 <= bounds[3])
    best, fallback = None, None  # the nearest free spot in view; the nearest free one at all
    for ring in range(MAX_RINGS):
        if best is not None and ring * ring_floor > best[0][0]:
            break  # nothing further out can be nearer
        seen = False
        for i in range(-ring, ring + 1):
            for j in range(-ring, ring + 1):
                if max(abs(i), abs(j)) != ring:
                    continue
                x, y = cx + i * step[0], cy + j * step[1]
                visible = inside(x, y)
                seen = seen or visible
                if not free(x, y):
                    continue
                key = (math.hypot(wx * (x - cx), wy * (y - cy)), -j, -i)
                if fallback is None or key < fallback[0]:
                    fallback = (key, x, y)
                if visible and (best is None or key < best[0]):
                    best = (key, x, y)
        if not seen and best is None and fallback is not None and \
                ring * ring_floor > fallback[0][0]:
            break  # no room left in view: the nearest free spot out of it
    chosen = best or fallback
    if chosen is not None:
        return chosen[1], chosen[2] - height / 2
    bottom = max((r[3] for r in taken), default=cy)  # everything near is full: below it all
    return cx, bottom + gap
