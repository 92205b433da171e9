"""Arrange: a compact layered placement of an expression's blocks (plain numbers, no Qt).

Rows follow what feeds what: a block sits one row below the lowest of its inputs, and a block
that feeds others sits in the row just above its first reader (an input block next to where it is
read, not in a wide first row of every input). Rows are as tall as their tallest block; blocks in
a row keep the order that keeps wires short and uncrossed, and sit as near above their readers and
below their inputs as the room between them allows. Blocks that nothing feeds and nothing reads
(``manual_seed``) go where the arrangement has room, high up, without widening it; results on
the side (a Jacobian of the inputs beside the output) go below their inputs.

A position is the middle of a block's top edge; a size is (width, height below that edge).
"""

from __future__ import annotations

from nla_explorer.engine.blocks.templates import port_values
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Block, Expression, Ref

Size = tuple[float, float]
LAYER_GAP = 30.0  # room between the bottom of a row and the top of the next (for the wires)
BLOCK_GAP = 20.0  # the least room between two blocks side by side
DEFAULT_SIZE: Size = (150.0, 70.0)  # a block whose size is not given (the engine's own use)
SWEEPS = 3
ORDER_SWEEPS = 4  # rounds of ordering the rows (the one with the fewest crossings is kept)
MAX_WIRE_POINTS = 400  # more rows passed by long wires than this: they take no room
WIRE = "~"  # the id of a point that a wire passes starts so (no block's id does)


def arrange(expr: Expression, sizes: dict[str, Size] | None = None
            ) -> dict[str, tuple[float, float]]:
    """Positions for every block of ``expr``. Given ``sizes``, only the blocks in it are drawn:
    the others (code-only statements) take no room and are put at the origin."""
    drawn = [b for b in expr.blocks if sizes is None or b.id in sizes]
    size = {b.id: (sizes or {}).get(b.id, DEFAULT_SIZE) for b in drawn}
    ids = [b.id for b in drawn]
    inputs = {b.id: [i for i in b.inputs if i in size] for b in drawn}
    readers: dict[str, list[str]] = {i: [] for i in ids}
    for block_id in ids:
        for i in dict.fromkeys(inputs[block_id]):
            readers[i].append(block_id)
    out = expr.output_block()
    side = {i for i in ids if inputs[i] and not readers[i] and (out is None or i != out.id)}
    row = _rows(ids, inputs, readers, side)
    loose = [i for i in ids if not inputs[i] and not readers[i]]
    rows: dict[int, list[str]] = {}
    for block_id in ids:
        if block_id not in loose:
            rows.setdefault(row[block_id], []).append(block_id)
    wired = {b.id: [i for i in _wires_into(b) if i in size] for b in drawn}
    wire_readers: dict[str, list[str]] = {i: [] for i in ids}
    for block_id in ids:
        for i in dict.fromkeys(wired[block_id]):
            wire_readers[i].append(block_id)
    x = _columns(*_with_wires(rows, row, wired, wire_readers, size))
    heights = {r: max(size[i][1] for i in members) for r, members in rows.items()}
    top, y = 0.0, {}
    for r in sorted(rows):
        y[r] = top
        top += heights[r] + LAYER_GAP
    placed = {i: (x[i], y[row[i]]) for r in rows.values() for i in r}
    for block_id in loose:  # statements: in a row's free end, else in a row of their own on top
        placed[block_id] = _free_end(block_id, placed, size)
    return {b.id: placed.get(b.id, (0.0, 0.0)) for b in expr.blocks}


def _wires_into(block: Block) -> list[str]:
    """The blocks wired into ``block``'s ports, port by port (a block of no template: none)."""
    try:
        return [v.block for _, v in port_values(block) if isinstance(v, Ref)]
    except ExpressionError:
        return []


def _rows(ids: list[str], inputs: dict, readers: dict, side: set[str]) -> dict[str, int]:
    """Each block's row: below its inputs; a block that is read moved down to just above its
    first reader (in program order the inputs come first). A result on the side (a Jacobian
    read from the inputs, not the output) does not hold its inputs up: it goes below them."""
    row: dict[str, int] = {}
    for block_id in ids:
        row[block_id] = 1 + max((row[i] for i in inputs[block_id] if i in row), default=-1)
    for block_id in reversed(ids):
        main = [r for r in readers[block_id] if r not in side]
        if main:
            row[block_id] = max(row[block_id], min(row[r] for r in main) - 1)
    for block_id in ids:
        if block_id in side:
            row[block_id] = 1 + max(row[i] for i in inputs[block_id])
    low = min(row.values(), default=0)
    return {i: r - low for i, r in row.items()}


def _with_wires(rows: dict[int, list[str]], row: dict[str, int], inputs: dict, readers: dict,
                size: dict) -> tuple[dict, dict, dict, dict]:
    """The rows, inputs, readers and sizes with a point of no width in each row that a wire
    passes (from a block to a reader more than a row below), so that blocks make way for it
    (up to MAX_WIRE_POINTS of them: the arrangement stays quick)."""
    passed = sum(max(row[r] - row[s] - 1, 0) for s in readers for r in readers[s])
    if passed > MAX_WIRE_POINTS:  # a big program: arranged quickly, wires as they fall
        return rows, inputs, readers, size
    rows = {r: list(members) for r, members in rows.items()}
    inputs = {i: list(v) for i, v in inputs.items()}
    readers = {i: list(v) for i, v in readers.items()}
    size = dict(size)
    for source in list(readers):
        for reader in list(readers[source]):
            if row[reader] - row[source] < 2:
                continue
            above = source
            for r in range(row[source] + 1, row[reader]):
                point = f"{WIRE}{source}>{reader}>{r}"
                rows[r].append(point)
                size[point] = (0.0, 0.0)
                inputs[point], readers[point] = [above], []
                readers[above] = [point if i == reader else i for i in readers[above]] \
                    if above == source else [point]
                above = point
            readers[above] = [reader]
            inputs[reader] = [above if i == source else i for i in inputs[reader]]
    return rows, inputs, readers, size


def _columns(rows: dict[int, list[str]], inputs: dict, readers: dict, size: dict
             ) -> dict[str, float]:
    """x of each block: rows ordered by the wires (a sweep up by the readers' ports, one down by
    the inputs), then each block moved near its readers' ports and its inputs, a sweep at a time,
    as far as the blocks beside it allow."""
    slot: dict[str, float] = {}

    def order(members: list[str], key) -> None:
        members.sort(key=key)
        for k, block_id in enumerate(members):
            slot[block_id] = k - (len(members) - 1) / 2
    for members in rows.values():
        order(members, lambda i: 0)

    def port_offsets(block_id: str, pitch: float) -> list[tuple[str, float]]:
        """(input, offset of the port it feeds from the middle of ``block_id``)."""
        n = len(inputs[block_id])
        return [(i, pitch * (k - (n - 1) / 2) / max(n, 1)) for k, i in enumerate(inputs[block_id])]

    def read_at(i: str, where: dict[str, float], pitch) -> list[float]:
        """Where the readers of ``i`` read it: their ports' positions."""
        return [where[reader] + offset for reader in readers[i]
                for j, offset in port_offsets(reader, pitch(reader)) if j == i]

    def fed(i: str) -> list[float]:
        return [slot[j] for j in inputs[i]]

    def crossings() -> int:
        """How many pairs of wires into the same row cross."""
        count = 0
        for members in rows.values():
            wires = [(slot[j], slot[i] + offset) for i in members
                     for j, offset in port_offsets(i, 0.8)]
            count += sum(1 for k, (a, b) in enumerate(wires) for c, d in wires[k + 1:]
                         if (a - c) * (b - d) < 0)
        return count
    best = (crossings(), dict(slot))
    for _ in range(ORDER_SWEEPS):
        for down in (False, True):  # up: above where the readers read; down: below the inputs
            for r in sorted(rows, reverse=not down):
                near = {i: (fed(i) or read_at(i, slot, lambda _: 0.8)) if down else
                        (read_at(i, slot, lambda _: 0.8) or fed(i)) for i in rows[r]}
                order(rows[r], lambda i: sum(near[i]) / len(near[i]) if near[i] else slot[i])
            best = min(best, (crossings(), dict(slot)), key=lambda b: b[0])
    slot.update(best[1])
    for members in rows.values():
        members.sort(key=slot.__getitem__)
    unit = max((w for w, _ in size.values()), default=DEFAULT_SIZE[0]) + BLOCK_GAP
    x = {i: slot[i] * unit for members in rows.values() for i in members}
    for members in rows.values():
        _pack(members, {i: x[i] for i in members}, x, size)

    def wanted(members: list[str], down: bool) -> dict[str, float]:
        """Under the inputs (``down``) or over the readers' ports, else the other way; a block
        wired to nothing beside its neighbour in the row."""
        out = {}
        for k, i in enumerate(members):
            above = [x[j] for j in inputs[i]]
            below = read_at(i, x, lambda reader: size[reader][0])
            near = (above or below) if down else (below or above)
            beside = members[k - 1] if k else members[k + 1] if len(members) > 1 else i
            out[i] = sum(near) / len(near) if near else x[beside]
        return out
    for _ in range(SWEEPS):
        for down in (True, False):
            for r in sorted(rows, reverse=not down):
                _pack(rows[r], wanted(rows[r], down), x, size)
    blocks = [v for i, v in x.items() if not i.startswith(WIRE)]
    middle = sum(blocks) / max(len(blocks), 1)
    return {i: v - middle for i, v in x.items()}


def _pack(members: list[str], wanted: dict[str, float], x: dict[str, float], size: dict) -> None:
    """x of a row's blocks (in order, never overlapping) as near ``wanted`` as can be (least
    squares: pooled where they would overlap)."""
    offsets, total = [], 0.0
    for k, block_id in enumerate(members):
        if k:
            total += (size[members[k - 1]][0] + size[block_id][0]) / 2 + BLOCK_GAP
        offsets.append(total)
    pools: list[list[float]] = []  # [sum of wanted - offset, count]
    for block_id, offset in zip(members, offsets):
        pools.append([wanted[block_id] - offset, 1])
        while len(pools) > 1 and pools[-2][0] / pools[-2][1] > pools[-1][0] / pools[-1][1]:
            value, count = pools.pop()
            pools[-1][0] += value
            pools[-1][1] += count
    k = 0
    for value, count in pools:
        for _ in range(count):
            x[members[k]] = value / count + offsets[k]
            k += 1


def _free_end(block_id: str, placed: dict, size: dict) -> tuple[float, float]:
    """Where a block nothing feeds or reads goes: at an end of the highest row with room there,
    the arrangement growing no wider than it is (or tall); else in a row of its own on top."""
    width, height = size[block_id]
    if not placed:
        return (0.0, 0.0)
    boxes = [(p[0] - size[i][0] / 2, p[1], p[0] + size[i][0] / 2, p[1] + size[i][1])
             for i, p in placed.items()]
    left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
    first, bottom = min(b[1] for b in boxes), max(b[3] for b in boxes)
    room = max(right - left, bottom - first)
    for row_top in sorted(set(p[1] for p in placed.values())):
        beside = [b for b in boxes if b[1] < row_top + height and row_top < b[3]]
        if not beside:
            continue
        row_left, row_right = min(b[0] for b in beside), max(b[2] for b in beside)
        ends = [(right - min(left, row_left - BLOCK_GAP - width), 0,
                 row_left - BLOCK_GAP - width / 2),  # the left end first on ties
                (max(right, row_right + BLOCK_GAP + width) - left, 1,
                 row_right + BLOCK_GAP + width / 2)]
        grown, _, x = min(ends)
        if grown <= room:
            return (x, row_top)
    return (left + width / 2, first - LAYER_GAP - height)
