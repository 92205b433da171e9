"""Repeated blocks in graphs of plain code (an unrolled loop): tandem repeats of ops.

The op nodes, sorted by torch's sequence numbers, become a string of small codes (op name, number
of inputs, order). A block of ``p`` ops repeated back to back shows as ``codes[i] == codes[i + p]``
over a long stretch (numpy compares the whole string once per period). A stretch is then checked
for wiring: the edges inside it must be the same under a shift by ``p``
(:meth:`_Sequence.disagreement`), and it is cut where they are not. The best stretch (most ops in
whole blocks, then the smallest period, then the earliest) becomes a run, cut into blocks where
iterations begin (:meth:`_Search.aligned`); then the best of what is left, and so on
(:class:`_Search`).
"""

from __future__ import annotations

import bisect
import heapq
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain, repeat
from operator import attrgetter

import numpy as np

from nla_explorer.engine.autograd.gc_pause import paused_gc
from nla_explorer.engine.autograd.graph import OP, AutogradGraph

#: The pseudo module path of a detected run: "repeat", then "repeat 2", "repeat 3" … in forward
#: order (by where each run begins).
REPEAT = "repeat"
#: The longest block looked for (ops per iteration).
MAX_PERIOD = 2_000

Scope = tuple[tuple[str, int], ...]

# An input's key in the slot table: its distance back in the sequence for an op in the sequence, or
# this for one from outside it: a leaf, or an op left out of detection (one in ``base``).
_OUT_KEY = -(1 << 40)
_NO_DISAGREEMENT = 1 << 62
_PERIOD, _STRETCH = 0, 1  # heap entries: a period not looked at yet, a checked stretch
_MIX = np.uint64(0x9E3779B97F4A7C15)
_NODE_FIELDS = ("id", "kind", "sequence_nr", "op", "n_inputs", "order")
_EDGE_FIELDS = ("target", "source", "slot", "output_nr")


@dataclass(frozen=True)
class RepeatRun:
    """One detected run: ``blocks[k]`` holds the op ids of iteration ``k + 1``, in forward order."""

    path: str
    blocks: tuple[tuple[str, ...], ...]

    @property
    def period(self) -> int:
        return len(self.blocks[0])

    @property
    def count(self) -> int:
        return len(self.blocks)


def find_repeats(graph: AutogradGraph, min_repeats: int = 3, min_block: int = 2,
                 base: Mapping[str, Scope] | None = None) -> tuple[RepeatRun, ...]:
    """The runs of ``min_repeats`` or more equal blocks of ``min_block`` or more ops each.

    Numbered in forward order ("repeat", "repeat 2" …), whichever was found first. Ops that have a
    scope in ``base`` (a module's; an empty scope is none) are left out of detection; so are leaves.
    """
    if min_repeats < 2:
        raise ValueError(f"min_repeats must be 2 or more, not {min_repeats}")
    if min_block < 1:
        raise ValueError(f"min_block must be 1 or more, not {min_block}")
    with paused_gc():  # many big lists: a full collection would sweep the whole graph for nothing
        seq = _Sequence(graph, base or {})
        spans = sorted(_Search(seq, min_repeats, min_block).runs())
    runs = []
    for number, (start, period, count) in enumerate(spans, 1):
        path = REPEAT if number == 1 else f"{REPEAT} {number}"
        blocks = tuple(tuple(seq.ids[start + k * period:start + (k + 1) * period])
                       for k in range(count))
        runs.append(RepeatRun(path, blocks))
    return tuple(runs)


def repeat_scopes(graph: AutogradGraph, min_repeats: int = 3, min_block: int = 2,
                  base: Mapping[str, Scope] | None = None) -> dict[str, Scope]:
    """``{op id: ((path, k),)}`` for each op in iteration ``k`` (1-based) of a detected run.

    Ops in no run are absent. See :func:`find_repeats` for the arguments.
    """
    scopes: dict[str, Scope] = {}
    runs = find_repeats(graph, min_repeats, min_block, base)
    with paused_gc():
        for run in runs:
            # One scope tuple per block, shared by its ops (a run can hold 75,000 ops).
            per_block = (((run.path, k),) for k in range(1, run.count + 1))
            per_op = chain.from_iterable(repeat(scope, run.period) for scope in per_block)
            scopes.update(zip(chain.from_iterable(run.blocks), per_op))
    return scopes


def _columns(items: tuple, fields: tuple[str, ...]) -> list[list]:
    """One list per attribute, each read by a C-level map (fast on 100,000 nodes)."""
    return [list(map(attrgetter(name), items)) for name in fields]


class _Sequence:
    """The op nodes in forward order as arrays: their codes, and their inputs by slot."""

    def __init__(self, graph: AutogradGraph, base: Mapping[str, Scope]) -> None:
        # Graphs reach 100,000 nodes: each attribute is read by a C-level map, the rest is numpy.
        ids, kinds, numbers, names, n_inputs, orders = _columns(graph.nodes, _NODE_FIELDS)
        count = len(ids)
        index = dict(zip(ids, range(count)))
        chosen = np.fromiter(map(OP.__eq__, kinds), bool, count)
        number = np.array(numbers, dtype=float).reshape(-1)  # a leaf's None becomes nan
        chosen &= ~np.isnan(number)
        chosen[[index[k] for k, scope in base.items() if scope and k in index]] = False
        picked = np.flatnonzero(chosen)
        order = picked[np.argsort(number[picked], kind="stable")]
        self.ids = list(map(ids.__getitem__, order.tolist()))
        kind_codes: defaultdict[tuple, int] = defaultdict()
        kind_codes.default_factory = kind_codes.__len__  # a new (op, inputs, order): the next code
        codes = np.fromiter(map(kind_codes.__getitem__, zip(names, n_inputs, orders)), np.int64,
                            count)[order]
        # Narrow codes compare faster, and every period compares the whole string.
        self.codes = codes.astype(np.int16 if len(kind_codes) < 1 << 15 else np.int32)
        # Indexed by node: the extra last entry answers for an id that is not a node.
        position = np.full(count + 1, -1, dtype=np.int64)
        position[order] = np.arange(len(order))
        targets, sources, slots, output_nrs = _columns(graph.edges, _EDGE_FIELDS)
        edges = len(targets)
        at = np.fromiter(map(index.get, targets, repeat(count)), np.int64, edges)
        src = np.fromiter(map(index.get, sources, repeat(count)), np.int64, edges)
        keep = position[at] >= 0
        source = position[src]
        table = np.stack([position[at], np.fromiter(slots, np.int64, edges),
                          np.fromiter(output_nrs, np.int64, edges), source,
                          np.where(source < 0, src, -1)])[:, keep]
        # By op, then slot; ``outer``: the node (leaf or left-out op) an input from outside is.
        self.target, self.slot, self.output_nr, self.source, self.outer = \
            table[:, np.lexsort((table[1], table[0]))]
        self.key = np.where(self.source >= 0, self.target - self.source, _OUT_KEY)
        self.first = np.searchsorted(self.target, np.arange(len(order) + 1))
        self.wiring = self._wiring_hash()

    def __len__(self) -> int:
        return len(self.ids)

    def _wiring_hash(self) -> np.ndarray:
        """Per op, a hash of its inputs (slot, key, output number): equal wiring, equal hash."""
        with np.errstate(over="ignore"):
            v = np.zeros(len(self.slot), dtype=np.uint64)
            for part in (self.slot, self.key, self.output_nr):
                v = (v ^ part.astype(np.uint64)) * _MIX
                v ^= v >> np.uint64(29)
            # Summed per op (the inputs are sorted by op): a difference of running totals.
            total = np.concatenate(([np.uint64(0)], np.cumsum(v, dtype=np.uint64)))
            return total[self.first[1:]] - total[self.first[:-1]]

    def inputs(self, i: int) -> dict[int, tuple[int, int]]:
        """``{slot: (key, output_nr)}`` of op ``i``."""
        a, b = self.first[i], self.first[i + 1]
        return dict(zip(self.slot[a:b].tolist(),
                        zip(self.key[a:b].tolist(), self.output_nr[a:b].tolist())))

    def disagreement(self, i: int, period: int) -> int:
        """The shortest input distance at which ops ``i`` and ``i + period`` are wired differently.

        A run that starts at ``r`` may pair them only when this is more than ``i - r``: the inputs
        from inside the run must match under the shift; an input from before the run (the first
        iteration's start value, a leaf or no input at all) may stand for one from the previous
        block. An input from outside the run into the later op (a leaf: a loop's weight) must come
        from outside into the earlier one too, else the answer is 0: never pair them.
        """
        mine, later = self.inputs(i), self.inputs(i + period)
        shortest = _NO_DISAGREEMENT
        for slot in mine.keys() | later.keys():
            a, b = mine.get(slot), later.get(slot)
            if a == b:
                continue
            if b is not None and b[0] == _OUT_KEY and (a is None or a[0] != _OUT_KEY):
                return 0
            shortest = min([shortest] + [x[0] for x in (a, b)
                                         if x is not None and x[0] != _OUT_KEY])
        return shortest

    def same_outer_inputs(self, i: int, j: int) -> bool:
        """Whether ops ``i`` and ``j`` read the same leaves (and left-out ops) at the same slots."""
        def outer(k: int) -> list[tuple[int, int]]:
            a, b = self.first[k], self.first[k + 1]
            keep = self.outer[a:b] >= 0
            return list(zip(self.slot[a:b][keep].tolist(), self.outer[a:b][keep].tolist()))
        return outer(i) == outer(j)


class _Search:
    """Lazy greedy search over all periods at once: a heap of upper bounds.

    A period not looked at yet is bounded by its count of equal pairs (and the widest free gap); a
    checked stretch by its whole blocks. The top entry is looked at: a period is expanded into its
    checked stretches; a stretch that overlaps a run taken since is cut to its free parts and pushed
    back; one that does not is the best run left, and is taken. Keys order by most ops covered,
    then the smallest period (a multiple of a valid period is never better), then the earliest.
    """

    def __init__(self, seq: _Sequence, min_repeats: int, min_block: int) -> None:
        self.seq = seq
        self.min_repeats = min_repeats
        self.min_block = min_block
        self.taken: list[tuple[int, int]] = []  # node ranges of the runs found, sorted

    def runs(self) -> list[tuple[int, int, int]]:
        """``(start, period, count)`` of each run found."""
        codes = self.seq.codes
        heap = []
        for p in range(self.min_block, min(MAX_PERIOD, len(codes) // self.min_repeats) + 1):
            cover = self._whole(np.count_nonzero(codes[:-p] == codes[p:]) + p, p)
            if cover:
                heap.append((-cover, p, _PERIOD, 0, 0))
        heapq.heapify(heap)
        found = []
        while heap:
            minus_cover, p, kind, start, end = heapq.heappop(heap)
            cover = -minus_cover
            if kind == _PERIOD:
                bound = self._whole(min(cover, self._widest_gap()), p)
                if bound == cover:
                    for r, e in self._stretches(p):
                        heapq.heappush(heap, (-self._whole(e - r, p), p, _STRETCH, r, e))
                elif bound:
                    heapq.heappush(heap, (-bound, p, _PERIOD, 0, 0))
                continue
            parts = self._free_parts(start, end)
            if parts == [(start, end)]:
                run = self.aligned(start, end, p)
                found.append(run)
                bisect.insort(self.taken, (run[0], run[0] + run[1] * run[2]))
                continue
            for r, e in parts:
                if self._whole(e - r, p):
                    heapq.heappush(heap, (-self._whole(e - r, p), p, _STRETCH, r, e))
        return found

    def _whole(self, size: int, p: int) -> int:
        """Ops in the whole blocks of ``size`` ops; 0 when they are fewer than ``min_repeats``."""
        return size // p * p if size // p >= self.min_repeats else 0

    def _widest_gap(self) -> int:
        """The most ops between runs taken so far."""
        bounds = [0] + [x for span in self.taken for x in span] + [len(self.seq)]
        return max(b - a for a, b in zip(bounds[::2], bounds[1::2]))

    def _free_parts(self, start: int, end: int) -> list[tuple[int, int]]:
        """``[start, end)`` less the runs taken."""
        parts, at = [], start
        for a, b in self.taken[max(0, bisect.bisect(self.taken, (start, start)) - 1):]:
            if a >= end:
                break
            if b > at:
                if a > at:
                    parts.append((at, a))
                at = b
        if at < end:
            parts.append((at, end))
        return parts

    def _stretches(self, p: int) -> list[tuple[int, int]]:
        """The node ranges where ``p`` ops repeat ``min_repeats`` times or more, wiring checked."""
        codes = self.seq.codes
        equal = codes[:-p] == codes[p:]
        least = (self.min_repeats - 1) * p  # pairs in a run long enough
        # A stretch of ``least`` pairs holds an aligned window of half that: a cheap first test.
        window = (least + 1) // 2
        if not equal[:len(equal) // window * window].reshape(-1, window).all(axis=1).any():
            return []
        steps = np.diff(np.concatenate(([0], equal.view(np.int8), [0])))
        starts, ends = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1)
        long = ends - starts >= least
        pieces = [(r, s + p) for a, z in zip(starts[long].tolist(), ends[long].tolist())
                  for r, s in self._checked(a, z, p) if s - r >= least]
        return [(r, e) for r, e in pieces if not self._finer(r, e, p)]

    def _finer(self, start: int, end: int, p: int) -> bool:
        """Whether the stretch repeats with a period below ``min_block`` that divides ``p``.

        Ten ``sin`` in a chain are ten blocks of one op, not five of two."""
        codes = self.seq.codes
        return any(np.array_equal(codes[start:end - q], codes[start + q:end])
                   for q in range(1, min(self.min_block, p)) if p % q == 0)

    def _checked(self, a: int, z: int, p: int) -> list[tuple[int, int]]:
        """Cut ``[a, z)`` (pairs ``i``, ``i + p``) where the wiring does not repeat."""
        wiring = self.seq.wiring
        suspects = a + np.flatnonzero(wiring[a:z] != wiring[a + p:z + p])
        pieces, r = [], a
        for i in suspects.tolist():
            need = i - self.seq.disagreement(i, p) + 1  # the earliest start that may pair i
            if need > r:
                pieces.append((r, i))
                r = need
        pieces.append((r, z))
        return pieces

    def aligned(self, start: int, end: int, p: int) -> tuple[int, int, int]:
        """``(start, period, count)``: the stretch cut into whole blocks where iterations begin.

        A stretch longer than its whole blocks can start at several phases: code before a loop
        can look like the end of an iteration, code after it like the start of one, and a first
        iteration whose start value needs no grad lacks the ops on that value. The rule: the most
        whole blocks; then the fewest values handed from a block to later ones (a loop's state:
        ``h`` and ``c`` of an LSTM); then the fewest ops taken in that read other leaves than
        their counterparts one block away do (a loop's weights are its own); then the latest.
        """
        size = end - start
        count = size // p
        spare = size - count * p
        if spare == 0:
            return start, p, count
        seq = self.seq
        a, b = seq.first[start], seq.first[end]
        src, tgt = seq.source[a:b] - start, seq.target[a:b] - start
        inside = src >= 0
        last_use = np.full(size, -1)  # per op: its last consumer in the stretch
        np.maximum.at(last_use, src[inside], tgt[inside])
        used = np.flatnonzero(last_use >= 0)
        steps = (np.bincount(used + 1, minlength=size + 2)
                 - np.bincount(last_use[used] + 1, minlength=size + 2))
        handed = np.cumsum(steps)  # handed[c]: values made before op c and used from c on
        tail = end - spare
        # A phase takes in the front ops from it on and the back ops before it.
        front = [not seq.same_outer_inputs(start + k, start + k + p) for k in range(spare)]
        back = [not seq.same_outer_inputs(tail + k, tail + k - p) for k in range(spare)]

        def cost(phase: int) -> tuple[int, int, int]:
            cuts = phase + p * np.arange(1, count)
            return int(handed[cuts].sum()), sum(front[phase:]) + sum(back[:phase]), -phase

        phase = min(range(spare + 1), key=cost)
        return start + phase, p, count
