"""What is shown of a grouped picture: open groups as frames, closed ones as one box each.

Given the full display graph, its :class:`GroupTree` and the set of open groups, build the display
graph of what is visible: boxes outside closed groups, one ``group`` box per outermost closed
group (its module, class, parameter count and output shape, or "×N" for a fold), and edges between
those, the parallel ones bundled into one with a count. Qt-free.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from itertools import chain

from nla_explorer.graph_view.groups.fold_window import every_call_of, gap_fold, windowed
from nla_explorer.graph_view.groups.tree import Group, GroupTree
from nla_explorer.engine.tensors import TensorData
from nla_explorer.graph_view.model import (
    GROUP, DisplayEdge, DisplayGraph, DisplayNode, shape_text, with_grad_of,
)

#: The open group a shown item sits in (None: the top level).
Levels = dict[str | None, list[str]]


@dataclass(frozen=True, eq=False)
class Shown:
    """The visible display graph; ``levels``: the shown items of the top level and of each open
    group, in order; ``parent``: shown item (or open group) → the open group around it."""

    display: DisplayGraph
    levels: Levels
    parent: dict[str, str | None]
    opened: frozenset[str]
    gaps: dict[str, list[str]] = field(default_factory=dict)  # gap box → the calls it hides

    def hidden_by(self, gap: str) -> str | None:
        """The first call the gap box ``gap`` hides (None: no such gap is shown)."""
        calls = self.gaps.get(gap)
        return calls[0] if calls else None


def count_text(n: int) -> str:
    """12,672 → "12.7k", 1,234,567 → "1.2M"."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k".replace(".0k", "k")
    return f"{n / 1_000_000:.1f}M".replace(".0M", "M")


def shown_graph(display: DisplayGraph, tree: GroupTree, opened: Collection[str],
                grad_of: Callable[[str], TensorData | None] | None = None) -> Shown:
    """The visible part of ``display`` with the groups in ``opened`` open (the rest closed);
    ``grad_of(autograd node id)`` gives the gradients of the boxes shown, when ``display`` was
    built without them (a box out of sight never needs its gradient snapshotted)."""
    groups = tree.groups
    opened = frozenset(g for g in opened if g in groups or every_call_of(g) in groups)
    rep: dict[str, str] = {}  # group → the closed group standing for it ("" while open)
    levels: Levels = {None: []}
    parent: dict[str, str | None] = {}
    gaps: dict[str, list[str]] = {}  # gap box → the calls of an open fold it hides
    first = {gid: g.first for gid, g in groups.items()}  # the sort key (gaps added below)

    def close(child: str, box: str) -> None:
        rep[child] = box
        if groups[child].groups:  # (5,000 calls of a cell hold no groups)
            for inner in tree.descendants(child):
                rep[inner] = box

    def visit(gid: str | None) -> None:
        kids, boxes = tree.children(gid)
        level = levels[gid]
        if gid is not None and groups[gid].fold:
            kids = windowed(gid, kids, opened)
        for child in kids:
            if isinstance(child, tuple):  # a gap: the calls it hides stand behind it
                gap, hidden = child
                parent[gap], gaps[gap], first[gap] = gid, hidden, groups[hidden[0]].first
                level.append(gap)
                for call in hidden:
                    close(call, gap)
                continue
            parent[child] = gid
            level.append(child)
            if child in opened:
                levels[child] = []
                visit(child)
            else:
                close(child, child)
        for box in boxes:
            parent[box] = gid
            level.append(box)
    visit(None)
    visit = None  # it calls itself: a cycle, holding the tree, that a freeze of the picture
    #               would keep forever (the collector is paused while pictures are built)
    for level in levels.values():  # boxes and groups in display order: inputs first
        level.sort(key=lambda item: first.get(item, -1))

    home, closed = tree.group_of.get, rep.get  # inlined below: 100,000 edges
    counts: dict[tuple[str, str], list[DisplayEdge]] = {}
    leaving: dict[str, str] = {}  # closed group → the last box whose value leaves it
    by_level = tree.edges_by_meeting(display)
    seen = sorted(i for level in levels for i in by_level.get(level, ()))
    sources, targets, edge = *display.edge_ends(), display.edge
    for i in seen:  # the edges of the levels shown, in display order
        source, target = sources[i], targets[i]
        g = home(source)
        s = source if g is None else closed(g, source)
        g = home(target)
        t = target if g is None else closed(g, target)
        if s != t:
            bundle = counts.get((s, t))
            if bundle is None:
                counts[(s, t)] = [edge(i)]
            else:
                bundle.append(edge(i))
            if s != source:
                leaving[s] = source
    nodes = [_group_box(display, tree, item, leaving.get(item), grad_of)
             if item in groups else _gap_box(display, tree, item, gaps[item])
             if item in gaps else _shown_box(tree, display.node(item), grad_of)
             for level in levels.values() for item in level if item not in opened]
    edges = [bundle[0] if len(bundle) == 1 and (bundle[0].source, bundle[0].target) == (s, t)
             and bundle[0].count == 1
             else DisplayEdge(s, t, all(e.constant for e in bundle),
                              all(e.made_by for e in bundle), len(bundle))
             for (s, t), bundle in counts.items()]  # an edge between two shown boxes as it is
    return Shown(DisplayGraph(tuple(nodes), tuple(edges)), levels, parent, opened, gaps)


def group_title(g: Group, tree: GroupTree | None = None) -> str:
    """``self_attn`` · ``layers.0–47 ×48`` · ``cell (call 17)``: the path without that of the
    module around it (inside ``model.layers.7``, ``self_attn``)."""
    path = g.path
    outer = tree.groups.get(g.parent) if tree is not None and g.parent else None
    while outer is not None and outer.fold:  # a fold's calls are named like the fold
        outer = tree.groups.get(outer.parent) if outer.parent else None
    if outer is not None and path.startswith(outer.path + "."):
        path = path[len(outer.path) + 1:]
    if g.fold:
        return f"{path} ×{g.fold}"
    return path if g.call == 1 else f"{path} (call {g.call})"


def frame_title(g: Group, tree: GroupTree) -> str:
    """The header of an open group's frame: ``layers.7 · TransformerEncoderLayer · 12.7k params``."""
    parts = [group_title(g, tree), f"{g.fold} × {g.kind}" if g.fold else g.kind]
    if g.parameters > 0:
        parts.append(f"{count_text(g.parameters)} params" + (" each" if g.fold else ""))
    return " · ".join(parts)


def _shown_box(tree: GroupTree, node: DisplayNode, grad_of) -> DisplayNode:
    """``node`` with its gradient, the same object each time it is shown (the scene keeps the
    item of a box that stays)."""
    if grad_of is None or node.grad is not None or node.graph_id is None:
        return node  # (the display gives the same box each time)
    key = ("box", node.id)  # the gradients came after the boxes: a copy with its gradient
    hit = tree.boxes_made.get(key)
    if hit is None:
        hit = tree.boxes_made[key] = with_grad_of(node, grad_of)
    return hit


def _gap_box(display: DisplayGraph, tree: GroupTree, gap: str, hidden: list[str]) -> DisplayNode:
    """The box of the calls an open fold hides (the same box while it hides the same calls)."""
    key = (gap, hidden[-1], len(hidden))
    hit = tree.boxes_made.get(key)
    if hit is None:
        per_call = _call_ids(display, tree, gap_fold(gap))
        span = f"calls {tree.groups[hidden[0]].call}–{tree.groups[hidden[-1]].call}"
        boxes = sum(len(tree.members(call)) for call in hidden)
        hit = tree.boxes_made[key] = DisplayNode(
            gap, GROUP, f"⋯ {len(hidden):,} more calls", f"{span} · double-click: show all",
            f"{span} of {tree.groups[hidden[0]].path}: {boxes:,} boxes, not shown\n"
            f"double-click to show every call", None, None, None,
            _unique(chain.from_iterable(per_call[call] for call in hidden)))
    return hit


def _unique(ids) -> tuple[str, ...]:
    out = dict.fromkeys(ids)
    out.pop(None, None)
    return tuple(out)


def _call_ids(display: DisplayGraph, tree: GroupTree, fold: str) -> dict[str, list]:
    """The autograd node of each box of each call of ``fold``, by call (worked out once, in
    one pass: a gap that splits in two sums its calls' again)."""
    key = ("ids", fold)
    hit = tree.boxes_made.get(key)
    if hit is None:
        calls = tree.groups[fold].groups
        members = [tree.members(call) for call in calls]
        flat = display.graph_id_list(chain.from_iterable(members))
        hit, start = {}, 0
        for call, boxes in zip(calls, members):
            hit[call] = flat[start:start + len(boxes)]
            start += len(boxes)
        tree.boxes_made[key] = hit
    return hit


def _group_box(display: DisplayGraph, tree: GroupTree, gid: str,
               out_id: str | None, grad_of=None) -> DisplayNode:
    """The box of closed group ``gid``; the same box again while its output is the same (a
    fold of 5,000 calls opened and closed again makes 5,000 boxes once)."""
    key = (gid, out_id, grad_of is not None)
    hit = tree.boxes_made.get(key)
    if hit is None:
        hit = tree.boxes_made[key] = _make_group_box(display, tree, gid, out_id, grad_of)
    return hit


def _make_group_box(display: DisplayGraph, tree: GroupTree, gid: str,
                    out_id: str | None, grad_of=None) -> DisplayNode:
    g = tree.groups[gid]
    members = tree.members(gid)
    if out_id is None and members:
        out_id = members[-1]
    out = display.node(out_id) if out_id is not None else None
    if out is not None and grad_of is not None:
        out = with_grad_of(out, grad_of)
    shape = shape_text(out.value.shape) if out is not None and out.value is not None else (
        out.subtitle if out is not None else "?")
    kind = f"{g.fold} × {g.kind}" if g.fold else g.kind
    params = (f" · {count_text(g.parameters)} params" + (" each" if g.fold else "")
              if g.parameters > 0 else "")
    graph_ids = display.graph_ids_of(members)
    tooltip = (f"{group_title(g, tree)}: {kind}{params}\n{len(members):,} boxes inside, output "
               f"{shape}\ndouble-click to open")
    return DisplayNode(gid, GROUP, group_title(g, tree), f"{kind}{params} · {shape}", tooltip,
                       out.value if out else None, out.grad if out else None,
                       out.graph_id if out else None, graph_ids,
                       precision=out.precision if out else 4)
