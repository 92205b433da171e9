"""Phases of the built-in layered layout: layers and crossing reduction (no Qt); the
x-coordinates are in layout_place.py."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

import numpy as np

Tick = Callable[[float], None]
Check = Callable[[], None]


def count_inversions(gap: np.ndarray, upper: np.ndarray, lower: np.ndarray) -> int:
    """Pairs in the same gap with upper_i < upper_j and lower_i > lower_j (ties never cross)."""
    n = len(gap)
    if n < 2:
        return 0
    order = np.lexsort((lower, upper, gap))
    g, b = gap[order], lower[order]
    o2 = np.lexsort((b, g))  # dense ranks of ``lower`` inside each gap
    gs, bs = g[o2], b[o2]
    rank = np.empty(n, np.int64)
    rank[o2] = np.cumsum(np.r_[True, (gs[1:] != gs[:-1]) | (bs[1:] != bs[:-1])]) - 1
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, n])
    k = np.arange(n) - np.repeat(starts, sizes)  # index inside the gap
    big, total, w, widest = int(rank.max()) + 1, 0, 1, int(sizes.max())
    while w < widest:  # bottom-up merge sort inside every gap at once
        pid = np.cumsum((k % (2 * w)) == 0) - 1
        key = pid * big + rank
        left = ((k // w) & 1) == 0
        rk, rp = key[~left], pid[~left]
        if len(rk):
            cnt = np.bincount(pid[left], minlength=int(pid[-1]) + 1)
            le = np.searchsorted(key[left], rk, side="right") - (np.cumsum(cnt) - cnt)[rp]
            total += int((cnt[rp] - le).sum())
        rank = np.sort(key, kind="stable") - pid * big
        w *= 2
    return total


# -- layers ----------------------------------------------------------------------------------------
def linear_order(n: int, inn: list[list[int]], out: list[list[int]]) -> list[int]:
    """Kahn's topological order; when a cycle blocks it, the first node left goes next anyway
    (its remaining in-edges are the ones to flip)."""
    deg, done = [len(x) for x in inn], [False] * n
    stack, order, nxt = [v for v in range(n - 1, -1, -1) if deg[v] == 0], [], 0
    while len(order) < n:
        if not stack:
            while done[nxt]:
                nxt += 1
            stack.append(nxt)
        v = stack.pop()
        if not done[v]:
            done[v] = True
            order.append(v)
            for w in out[v]:
                deg[w] -= 1
                if deg[w] == 0 and not done[w]:
                    stack.append(w)
    return order


def break_cycles(n: int, src: list[int], dst: list[int]) -> list[bool]:
    """Edges to flip so that the graph has no cycle (none for a DAG); self-loops stay."""
    out: list[list[int]] = [[] for _ in range(n)]
    inn: list[list[int]] = [[] for _ in range(n)]
    for u, v in zip(src, dst):
        if u != v:
            out[u].append(v)
            inn[v].append(u)
    at = [0] * n
    for i, v in enumerate(linear_order(n, inn, out)):
        at[v] = i
    return [at[u] > at[v] for u, v in zip(src, dst)]


def network_simplex(n: int, tail: list[int], head: list[int], weight: list[int],
                    rank: list[int], budget: int, check: Check) -> list[int]:
    """Gansner et al.'s network simplex for sum(weight * length), every length >= 1, from a
    feasible ``rank`` whose tight edges connect all nodes. Pivots stop after touching
    ``budget`` nodes, or 2 * (nodes + edges) since the last gain, so huge graphs cost a
    bounded time (the ranks stay feasible)."""
    rank = list(rank)
    m = len(tail)
    out_e: list[list[int]] = [[] for _ in range(n)]
    in_e: list[list[int]] = [[] for _ in range(n)]
    for e in range(m):
        out_e[tail[e]].append(e)
        in_e[head[e]].append(e)
    intree, tadj, seen = [False] * m, [[] for _ in range(n)], [False] * n
    root = n - 1
    stack, seen[root] = [root], True
    while stack:  # spanning tree of tight edges
        v = stack.pop()
        for e in out_e[v] + in_e[v]:
            w = head[e] if tail[e] == v else tail[e]
            if not seen[w] and rank[head[e]] - rank[tail[e]] == 1:
                seen[w] = intree[e] = True
                tadj[v].append(e)
                tadj[w].append(e)
                stack.append(w)
    if not all(seen):
        return rank
    par, low, lim = [-1] * n, [0] * n, [0] * n

    def dfs_range(v0: int, pe0: int, low0: int) -> int:  # postorder numbers of a subtree
        par[v0], low[v0], nxt = pe0, low0, low0
        stack = [(v0, pe0, iter(tadj[v0]))]
        while stack:
            v, pe, it = stack[-1]
            for e in it:
                if e != pe:
                    w = head[e] if tail[e] == v else tail[e]
                    par[w], low[w] = e, nxt
                    stack.append((w, e, iter(tadj[w])))
                    break
            else:
                lim[v], nxt = nxt, nxt + 1
                stack.pop()
        return nxt

    dfs_range(root, -1, 1)
    cut = [0] * m
    for v in sorted(range(n), key=lim.__getitem__):  # children first: cut values bottom-up
        f = par[v]
        if f < 0:
            continue
        s, lv, mv, down = 0, low[v], lim[v], tail[f] == v
        for e in out_e[v] + in_e[v]:
            other = head[e] if tail[e] == v else tail[e]
            outside = not (lv <= lim[other] <= mv)
            rv = weight[e] if outside else (cut[e] if intree[e] else 0) - weight[e]
            d = (head[e] == v) if down else (tail[e] == v)
            s += rv if d != outside else -rv
        cut[f] = s
    tree_edges = [e for e in range(m) if intree[e]]
    slot = {e: i for i, e in enumerate(tree_edges)}
    s_i = work = gained = 0
    while work < budget and work - gained <= 2 * (n + m):
        check()
        size = len(tree_edges)  # leave: the next tree edge (cyclically) with a negative cut
        k = next((k for k in range(size) if cut[tree_edges[(s_i + k) % size]] < 0), -1)
        if k < 0:
            break
        s_i = (s_i + k) % size
        leave = tree_edges[s_i]
        t0, h0 = tail[leave], head[leave]
        child, outsearch = (t0, False) if lim[t0] < lim[h0] else (h0, True)
        lo, li = low[child], lim[child]
        enter, best, stack = -1, -1, [child]
        while stack and best != 0:  # the tightest edge crossing the cut the other way
            x = stack.pop()
            work += 1
            for e in out_e[x] if outsearch else in_e[x]:
                y = head[e] if outsearch else tail[e]
                if not intree[e]:
                    sl = rank[head[e]] - rank[tail[e]] - 1
                    if not (lo <= lim[y] <= li) and (enter < 0 or sl < best):
                        enter, best = e, sl
                elif lim[y] < lim[x]:
                    stack.append(y)
            for e in in_e[x] if outsearch else out_e[x]:
                y = tail[e] if outsearch else head[e]
                if intree[e] and lim[y] < lim[x]:
                    stack.append(y)
        if enter < 0:
            break
        gained = work if best else gained
        if best:  # shift the child's side so the entering edge becomes tight
            delta, stack = (-best if child == t0 else best), [child]
            while stack:
                x = stack.pop()
                work += 1
                rank[x] += delta
                stack.extend(head[e] if tail[e] == x else tail[e] for e in tadj[x] if e != par[x])
        cv = cut[leave]
        for v, w, sign in ((tail[enter], head[enter], True), (head[enter], tail[enter], False)):
            while not (low[v] <= lim[w] <= lim[v]):  # cut values along the cycle's tree path
                e = par[v]
                cut[e] += cv if (sign if v == tail[e] else not sign) else -cv
                v = tail[e] if lim[tail[e]] > lim[head[e]] else head[e]
        lca = v
        cut[enter], cut[leave] = -cv, 0
        intree[leave], intree[enter] = False, True
        tadj[t0].remove(leave)
        tadj[h0].remove(leave)
        tadj[tail[enter]].append(enter)
        tadj[head[enter]].append(enter)
        tree_edges[slot[leave]] = enter
        slot[enter] = slot.pop(leave)
        work += dfs_range(lca, par[lca], low[lca]) - low[lca]
    return rank


# -- crossing reduction ----------------------------------------------------------------------------
def initial_order(layer: list[int], nbrs: list[list[int]], n_layers: int,
                  roots: Sequence[int]) -> list[list[int]]:
    """Preorder DFS from the roots (up from sinks, or down from sources): trees start planar."""
    rows: list[list[int]] = [[] for _ in range(n_layers)]
    seen = [False] * len(layer)
    for root in roots:
        stack = [root]
        while stack:
            v = stack.pop()
            if not seen[v]:
                seen[v] = True
                rows[layer[v]].append(v)
                stack.extend(u for u in reversed(nbrs[v]) if not seen[u])
    return rows


def _median(ps: list[int]) -> float:
    """Gansner et al.'s weighted median: leans toward the side where neighbours are denser."""
    k, m = len(ps), len(ps) // 2
    if k % 2:
        return ps[m]
    left, right = ps[m - 1] - ps[0], ps[-1] - ps[m]
    if k == 2 or left + right == 0:
        return (ps[m - 1] + ps[m]) * 0.5
    return (ps[m - 1] * right + ps[m] * left) / (left + right)


def _sweep(rows: list[list[int]], nbrs: list[list[int]], pos: list[int], order: range,
           flip: bool) -> None:
    """Sort each layer by the median position of its neighbours in the layer just placed;
    nodes without such neighbours keep their slots."""
    for r in order:
        row = rows[r]
        if len(row) < 2:
            continue
        keyed, slots = [], []
        for i, v in enumerate(row):
            ns = nbrs[v]
            if ns:
                m = pos[ns[0]] if len(ns) == 1 else _median(sorted([pos[u] for u in ns]))
                keyed.append((m, -i if flip else i, v))
                slots.append(i)
        keyed.sort()
        for s, item in zip(slots, keyed):
            row[s] = item[2]
        for i, v in enumerate(row):
            pos[v] = i


def _transpose(rows: list[list[int]], up: list[list[int]], down: list[list[int]],
               pos: list[int], passes: int, equal: bool) -> None:
    """Swap neighbours while that removes crossings (changed layers and their neighbours
    only); with ``equal`` also swaps that keep the count, to wander off plateaus as dot does."""
    candidate = [True] * len(rows)
    for _ in range(passes):
        changed, gain = [False] * len(rows), 0
        for r, row in enumerate(rows):
            if not candidate[r]:
                continue
            for i in range(len(row) - 1):
                v, w = row[i], row[i + 1]
                keep = swap = 0  # crossings of their edges as they are, and swapped
                for nv, nw in ((up[v], up[w]), (down[v], down[w])):
                    if len(nv) * len(nw) > 64:  # big fan-ins: count by bisection
                        pb = sorted([pos[b] for b in nw])
                        for a in nv:
                            keep += bisect.bisect_left(pb, pos[a])
                            swap += len(pb) - bisect.bisect_right(pb, pos[a])
                        continue
                    for a in nv:
                        pa = pos[a]
                        for b in nw:
                            keep += pa > pos[b]
                            swap += pa < pos[b]
                if swap < keep or (equal and swap == keep and keep > 0):
                    row[i], row[i + 1] = w, v
                    pos[v], pos[w] = i + 1, i
                    changed[r] = True
                    gain += keep - swap
        if gain < 1:
            return
        candidate = [changed[r] or (r > 0 and changed[r - 1]) or
                     (r + 1 < len(rows) and changed[r + 1]) for r in range(len(rows))]


def reduce_crossings(rows: list[list[int]], layer: list[int], up: list[list[int]],
                     down: list[list[int]], *, max_iter: int, patience: int, transpose: bool,
                     check: Check, tick: Tick) -> tuple[list[list[int]], int]:
    """Alternate down/up median sweeps (+ transposition), keeping the best order seen."""
    n = len(layer)
    eu = np.fromiter((u for u in range(n) for _ in down[u]), np.int64)
    el = np.fromiter((w for u in range(n) for w in down[u]), np.int64)
    gap = np.asarray(layer, np.int64)[eu]
    pos = [0] * n

    def crossings() -> int:
        for row in rows:
            for i, v in enumerate(row):
                pos[v] = i
        p = np.asarray(pos, np.int64)
        return count_inversions(gap, p[eu], p[el])

    best, best_rows, stale = crossings(), [row[:] for row in rows], 0
    for it in range(max_iter):
        if best == 0 or stale >= patience:
            break
        check()
        if it % 2 == 0:
            _sweep(rows, up, pos, range(1, len(rows)), it % 4 == 2)
        else:
            _sweep(rows, down, pos, range(len(rows) - 2, -1, -1), it % 4 == 3)
        if transpose:
            _transpose(rows, up, down, pos, 6, it % 4 < 2)
        c = crossings()
        tick((it + 1) / max_iter)
        best, best_rows, stale = (c, [row[:] for row in rows], 0) if c < best else \
            (best, best_rows, stale + 1)
    rows[:] = best_rows
    if transpose and best:  # a last strict pass over the best order
        crossings()  # (re-syncs ``pos`` with ``rows``)
        _transpose(rows, up, down, pos, 20, False)
        best = crossings()
    return rows, best
