"""x-coordinates of the built-in layered layout: Brandes & Köpf, with dagre's block-graph
compaction (no Qt)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nla_explorer.graph_view.layout.phases import Check, Tick


def _type1_conflicts(rows: list[list[int]], up: list[list[int]], dummy: list[bool],
                     pos: list[int]) -> set[int]:
    """Edges (u * n + v) crossing an inner (dummy-dummy) segment: never aligned, so long
    edges stay straight."""
    n, out = len(pos), set()
    for r in range(1, len(rows)):
        row, k0, scan = rows[r], 0, 0
        for i, v in enumerate(row):
            inner = up[v][0] if dummy[v] and up[v] and dummy[up[v][0]] else -1
            if inner < 0 and i != len(row) - 1:
                continue
            k1 = pos[inner] if inner >= 0 else len(rows[r - 1])
            for s in row[scan:i + 1]:
                for u in up[s]:
                    if (pos[u] < k0 or pos[u] > k1) and not (dummy[u] and dummy[s]):
                        out.add(u * n + s)
            scan, k0 = i + 1, k1
    return out


def _align(rows: list[list[int]], nbrs: list[list[int]], conflicts: set[int],
           upper: bool) -> list[int]:
    """Vertical alignment with median neighbours; returns each node's block root. Neighbours
    that end there (a weight leaf beside a chain) are passed over while others exist, or
    every op with inputs (x, W, b) would step one column aside."""
    n = len(nbrs)
    pos = [0] * n
    for row in rows:
        for i, v in enumerate(row):
            pos[v] = i
    root, align = list(range(n)), list(range(n))
    for row in rows:
        prev = -1
        for v in row:
            ws = nbrs[v]
            if len(ws) > 1:
                ws = sorted([w for w in ws if nbrs[w]] or ws, key=pos.__getitem__)
            elif not ws:
                continue
            lo, hi = (len(ws) - 1) // 2, len(ws) // 2
            for w in (ws[lo], ws[hi]) if lo != hi else (ws[lo],):
                if align[v] == v and prev < pos[w] and \
                        (w * n + v if upper else v * n + w) not in conflicts:
                    align[w], root[v] = v, root[w]
                    align[v], prev = root[v], pos[w]
    return root


def _compact(rows: list[list[int]], root: list[int], sep: Callable[[int, int], float],
             n: int) -> list[float]:
    """Blocks as far left as separation allows, then pulled right into unused space."""
    succ: dict[int, dict[int, float]] = {}
    indeg = [0] * n
    for row in rows:
        for a, b in zip(row, row[1:]):
            d, rb = succ.setdefault(root[a], {}), root[b]
            if rb not in d:
                indeg[rb] += 1
            d[rb] = max(d.get(rb, 0.0), sep(a, b))
    queue = [v for v in range(n) if root[v] == v and indeg[v] == 0]
    topo = []
    while queue:  # the block graph is acyclic because alignments never cross
        b = queue.pop()
        topo.append(b)
        for c in succ.get(b, ()):
            indeg[c] -= 1
            if indeg[c] == 0:
                queue.append(c)
    xs = [0.0] * n
    for b in topo:
        for c, s in succ.get(b, {}).items():
            xs[c] = max(xs[c], xs[b] + s)
    for b in reversed(topo):
        if b in succ:
            xs[b] = max(xs[b], min(xs[c] - s for c, s in succ[b].items()))
    return [xs[root[v]] for v in range(n)]


def assign_x(rows: list[list[int]], up: list[list[int]], down: list[list[int]],
             widths: Sequence[float], dummy: list[bool], node_sep: float, edge_sep: float,
             *, check: Check, tick: Tick) -> list[float]:
    """Balanced Brandes-Köpf placement: straight long edges and chains, parents over children."""
    n = len(widths)
    pos = [0] * n
    for row in rows:
        for i, v in enumerate(row):
            pos[v] = i
    conflicts = _type1_conflicts(rows, up, dummy, pos)
    gapw = [edge_sep if d else node_sep for d in dummy]

    def sep(a: int, b: int) -> float:
        return (widths[a] + widths[b] + gapw[a] + gapw[b]) * 0.5

    results = []
    for j, (vert, horiz) in enumerate([("u", "l"), ("u", "r"), ("d", "l"), ("d", "r")]):
        check()
        order = rows if vert == "u" else rows[::-1]
        if horiz == "r":
            order = [row[::-1] for row in order]
        root = _align(order, up if vert == "u" else down, conflicts, vert == "u")
        xs = np.asarray(_compact(order, root, sep, n))
        results.append((horiz, -xs if horiz == "r" else xs))
        tick((j + 1) / 4)
    w = np.asarray(widths) * 0.5
    ref = min((xs for _, xs in results), key=lambda xs: float((xs + w).max() - (xs - w).min()))
    lo, hi = float((ref - w).min()), float((ref + w).max())
    stack = np.sort(np.vstack([xs + (lo - (xs - w).min() if h == "l" else hi - (xs + w).max())
                               for h, xs in results]), axis=0)
    out = ((stack[1] + stack[2]) * 0.5).tolist()  # the mean of the two median candidates
    for row in rows:  # guard against rounding: keep the separation exactly
        for a, b in zip(row, row[1:]):
            out[b] = max(out[b], out[a] + sep(a, b))
    return out
