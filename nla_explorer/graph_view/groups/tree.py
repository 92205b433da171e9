"""The groups of a picture: which boxes each ``nn.Module`` call (or detected repeat) holds, nested.

Each op box goes into the innermost module call that made its node (the node's *scope*: the chain of
``(module path, call number)`` from the outermost call in); a constant goes with the node that
saved it; a leaf (a weight, an input) or a copy of a shared leaf goes into the innermost group that
holds all of its readers, so a layer's weights sit inside the layer. Qt-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from nla_explorer.graph_view.model import CONSTANT, GROUP, PARAMETER, DisplayGraph

#: What groups read of the whole graph: a :class:`DisplayGraph`, or a ``box_table.BoxTable``
#: whose boxes are made when shown (both give ``box_columns()`` and ``edge_ends()``).
Boxes = DisplayGraph

Scope = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ModuleFacts:
    """What a group box says of its module: its class and parameter count (-1: unknown)."""

    kind: str
    parameters: int = -1


@dataclass(eq=False)
class Group:
    """One module call (``path`` called for the ``call``-th time), a detected repeat, or a fold of
    ``fold`` consecutive groups of the same structure (its ``groups`` are those calls)."""

    id: str
    path: str
    call: int
    kind: str
    parameters: int
    parent: str | None
    depth: int
    groups: list[str] = field(default_factory=list)  # child groups, in forward order
    boxes: list[str] = field(default_factory=list)  # boxes directly inside, in display order
    first: int = 1 << 60  # forward position of its first node (orders siblings)
    fold: int = 0  # a fold: how many calls it stands for

    @property
    def name(self) -> str:
        """The last part of its path (``self_attn``, ``7``)."""
        return self.path.rsplit(".", 1)[-1]


def group_id(path: str, call: int) -> str:
    return f"{path}@{call}"


class GroupTree:
    """Groups by id with their nesting; ``top_groups``/``top_boxes`` are outside every group."""

    def __init__(self) -> None:
        self.groups: dict[str, Group] = {}
        self.top_groups: list[str] = []
        self.top_boxes: list[str] = []
        self.group_of: dict[str, str] = {}  # box id → the innermost group holding it
        self._members: dict[str, list[str]] = {}
        self._edges_at: dict[str | None, list[int]] | None = None
        #: the boxes made so far for pictures of this graph: closed groups by (group, its output
        #: box), shown boxes with their gradient by ("box", id); the same object next time
        self.boxes_made: dict[tuple, object] = {}  # (group or "box", id, with gradients)
        #: a structure hash per group (equal for look-alikes), once folded
        self.signature: dict[str, int] = {}
        #: what the groups were made from (boxes placed again: :func:`place_again`)
        self.scopes: Mapping[str, Scope] = {}
        self.facts: Mapping[str, ModuleFacts] = {}
        self.order: Mapping[str, int] = {}

    def __bool__(self) -> bool:
        return bool(self.groups)

    def __len__(self) -> int:
        return len(self.groups)

    def children(self, gid: str | None) -> tuple[list[str], list[str]]:
        """(child groups, boxes) of group ``gid`` (``None``: the top level)."""
        if gid is None:
            return self.top_groups, self.top_boxes
        g = self.groups[gid]
        return g.groups, g.boxes

    def ancestors(self, gid: str | None) -> list[str]:
        """``gid`` and the groups around it, innermost first."""
        out = []
        while gid is not None:
            out.append(gid)
            gid = self.groups[gid].parent
        return out

    def groups_around(self, box: str) -> list[str]:
        """The groups holding box ``box``, innermost first."""
        return self.ancestors(self.group_of.get(box))

    def descendants(self, gid: str) -> list[str]:
        """Every group inside group ``gid``, at any depth."""
        out, stack = [], list(self.groups[gid].groups)
        while stack:
            g = stack.pop()
            out.append(g)
            stack.extend(self.groups[g].groups)
        return out

    def members(self, gid: str) -> list[str]:
        """Every box inside group ``gid``, at any depth."""
        hit = self._members.get(gid)
        if hit is None:
            g = self.groups[gid]
            hit = list(g.boxes)
            for child in g.groups:
                hit.extend(self.members(child))
            self._members[gid] = hit
        return hit

    def walk(self) -> list[str]:
        """Every group, parents before children."""
        out, stack = [], list(reversed(self.top_groups))
        while stack:
            gid = stack.pop()
            out.append(gid)
            stack.extend(reversed(self.groups[gid].groups))
        return out

    def edges_by_meeting(self, display: Boxes) -> dict[str | None, list[int]]:
        """The indexes of ``display``'s edges by the innermost group holding both their ends
        (None: the top level). An edge inside a closed group is never drawn: a picture looks
        only at the edges of the levels it shows. Worked out once."""
        if self._edges_at is None:
            chains: dict[str | None, tuple[str, ...]] = {None: ()}
            sets: dict[str | None, frozenset[str]] = {None: frozenset()}

            def chain(g: str | None) -> tuple[str, ...]:
                hit = chains.get(g)
                if hit is None:
                    hit = chains[g] = tuple(self.ancestors(g))
                    sets[g] = frozenset(hit)
                return hit
            at: dict[str | None, list[int]] = {}
            home = self.group_of.get
            meets: dict[tuple[str | None, str | None], str | None] = {}
            sources, targets = display.edge_ends()
            for i, (source, target) in enumerate(zip(sources, targets)):
                gs, gt = home(source), home(target)
                if gs == gt:
                    meet = gs
                else:  # a few pairs of groups meet over and over (100,000 edges)
                    pair = (gs, gt)
                    if pair in meets:
                        meet = meets[pair]
                    else:
                        chain(gt)
                        around_t = sets[gt]
                        meet = meets[pair] = next((g for g in chain(gs) if g in around_t), None)
                at.setdefault(meet, []).append(i)
            self._edges_at = at
        return self._edges_at

    def deepest(self) -> int:
        return max((g.depth for g in self.groups.values()), default=-1) + 1

    def forget_members(self) -> None:
        """The nesting changed (folds): what was worked out from it goes."""
        self._members.clear()
        self._edges_at = None
        self.boxes_made.clear()


def build_tree(display: Boxes, scopes: Mapping[str, Scope],
               facts: Mapping[str, ModuleFacts] | None = None,
               order: Mapping[str, int] | None = None) -> GroupTree:
    """Groups from ``scopes`` (autograd node id → its chain of module calls); ``facts`` by module
    path; ``order``: autograd node id → forward position (siblings are ordered by it)."""
    tree = GroupTree()
    tree.scopes, tree.facts, tree.order = scopes, facts or {}, order or {}
    if not scopes:
        tree.top_boxes = list(display.box_columns()[0])
        return tree
    _place(tree, display)
    key = lambda gid: tree.groups[gid].first  # noqa: E731
    tree.top_groups.sort(key=key)
    for g in tree.groups.values():
        g.groups.sort(key=key)
    return tree


def placed_again(tree: GroupTree, display: Boxes) -> GroupTree:
    """``tree`` (built, and folded, from the same graph with fewer boxes: its saved constants
    read after the first picture) with the boxes of ``display``: the same groups and folds,
    each holding the boxes a tree built from ``display`` would hold. A box placed before stays
    where it was; a new constant goes where a new tree puts it: with the node that saved it, or
    (a copy beside each reader of a shared one) with its reader."""
    new = GroupTree()
    new.groups = {gid: replace(g, groups=list(g.groups), boxes=[])
                  for gid, g in tree.groups.items()}
    new.top_groups = list(tree.top_groups)
    new.signature = tree.signature
    new.scopes, new.facts, new.order = tree.scopes, tree.facts, tree.order
    ids, kinds, graph_ids, proxies = display.box_columns()
    before, top_before = tree.group_of, set(tree.top_boxes)
    placed: dict[str, str] = {}
    copies = set()
    for box, kind, graph_id, proxy in zip(ids, kinds, graph_ids, proxies):
        home = before.get(box)
        if home is None and kind == CONSTANT and box not in top_before:  # (a new one)
            if proxy is not None:
                copies.add(box)
                continue
            home = before.get(graph_id)
        if home is not None:
            placed[box] = home
    if copies:
        for source, target in zip(*display.edge_ends()):
            if source in copies and before.get(target) is not None:
                placed[source] = before[target]
    _fill(new, ids, placed)
    return new


def _place(tree: GroupTree, display: Boxes) -> None:
    """Each box into the innermost module call that made it (making the groups on the way); a
    leaf into the innermost group holding all its readers."""
    ids, kinds, graph_ids, proxies = display.box_columns()
    facts = tree.facts

    def group_for(scope: Scope) -> str:
        parent = None
        for depth, (path, call) in enumerate(scope):
            gid = group_id(path, call)
            if gid not in tree.groups:
                fact = facts.get(path, ModuleFacts("module"))
                tree.groups[gid] = Group(gid, path, call, fact.kind, fact.parameters, parent,
                                         depth)
                (tree.groups[parent].groups if parent else tree.top_groups).append(gid)
            parent = gid
        return parent

    homes: dict[Scope, str] = {}  # a call's nodes share one scope tuple: look it up once
    by_object: dict[int, str] = {}  # ... by the tuple's identity first (no hashing of tuples)
    first: dict[str, int] = {}  # each home's earliest node; the groups around it after
    placed: dict[str, str] = {}
    later = []
    scope_of, order_of, never = tree.scopes.get, tree.order.get, 1 << 60
    for box, kind, graph_id, proxy in zip(ids, kinds, graph_ids, proxies):
        if proxy is not None or kind in _PLACED_BY_READERS:
            later.append(box)
            continue
        gid = graph_id or box  # (a constant's: the node that saved it)
        scope = scope_of(gid)
        if not scope:
            continue
        home = by_object.get(id(scope))
        if home is None:
            home = homes.get(scope)
            if home is None:
                home = homes[scope] = group_for(scope)
            by_object[id(scope)] = home
        placed[box] = home
        pos = order_of(gid, never)
        if pos < first.get(home, never):
            first[home] = pos
    for home, pos in first.items():
        for g in tree.ancestors(home):
            grp = tree.groups[g]
            if pos >= grp.first:
                break  # the groups around it start earlier still
            grp.first = pos
    if later:
        waiting = set(later)
        readers: dict[str, list[str]] = {}
        for source, target in zip(*display.edge_ends()):
            if source in waiting:
                readers.setdefault(source, []).append(target)
        for box in later:  # a leaf: the innermost group holding all its readers
            held = {placed.get(r) for r in readers.get(box, ())}
            # (a copy of a shared weight has one reader)
            home = held.pop() if len(held) == 1 else _common(tree, list(held)) if held else None
            if home is not None:
                placed[box] = home
    _fill(tree, ids, placed)


def _fill(tree: GroupTree, ids: list[str], placed: dict[str, str]) -> None:
    """Each box into the group ``placed`` gives it (the top level: none), in display order."""
    boxes_of = {gid: g.boxes for gid, g in tree.groups.items()}
    top = tree.top_boxes
    for box in ids:
        home = placed.get(box)
        if home is None:
            top.append(box)
        else:
            boxes_of[home].append(box)
    tree.group_of = placed  # (only boxes inside a group are placed)


_PLACED_BY_READERS = frozenset((PARAMETER, GROUP))


def _common(tree: GroupTree, homes: list[str | None]) -> str | None:
    """The innermost group holding every one of ``homes`` (None: the top level)."""
    if any(h is None for h in homes):
        return None
    groups = tree.groups  # (module calls only: a leaf sits beside a fold, not inside it)
    common = [g for g in reversed(tree.ancestors(homes[0])) if not groups[g].fold]
    for h in homes[1:]:
        chain = [g for g in reversed(tree.ancestors(h)) if not groups[g].fold]
        k = 0
        while k < min(len(common), len(chain)) and common[k] == chain[k]:
            k += 1
        common = common[:k]
        if not common:
            return None
    return common[-1]
