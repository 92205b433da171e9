"""Fold repeats: consecutive sibling groups of the same structure become one box "×N".

Transformer layers, the time steps of an RNN, ResNet blocks: a group's structure is its module
class, the ops and shapes of its boxes and the structure of its child groups, so two layers of the
same class and size fold, and a Linear(20, 10) next to a Linear(10, 20) does not. Qt-free.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from nla_explorer.graph_view.groups.tree import Group, GroupTree

#: A run of this many equal groups or more folds.
MIN_RUN = 2


def signatures(tree: GroupTree, box_key: Callable[[str], Hashable]) -> dict[str, int]:
    """A structure hash per group: equal for groups that look the same inside (boxes whose
    ``box_key`` is None, such as the input a first layer reads, do not count)."""
    sig: dict[str, int] = {}
    codes: dict[Hashable, int] = {}  # each distinct box key → a small number, as first seen
    number = codes.setdefault

    def coded(boxes: list[str]) -> tuple[int, ...]:  # a multiset: the numbers sorted
        out = [number(k, len(codes)) for k in map(box_key, boxes) if k is not None]
        out.sort()
        return tuple(out)
    for gid in reversed(tree.walk()):  # children first
        g = tree.groups[gid]
        sig[gid] = hash((g.kind, g.fold, coded(g.boxes), tuple(sig[c] for c in g.groups)))
    return sig


def fold_repeats(tree: GroupTree, box_key: Callable[[str], Hashable],
                 min_run: int = MIN_RUN) -> dict[str, int]:
    """Replace every run of ``min_run`` or more consecutive equal sibling groups by a fold group
    (id ``fold:<first>``) holding them; returns the signatures (folds included)."""
    sig = signatures(tree, box_key)
    for parent in [None, *tree.walk()]:
        kids, _ = tree.children(parent)
        if len(kids) < min_run:
            continue
        out: list[str] = []
        i = 0
        while i < len(kids):
            j = i + 1
            while j < len(kids) and sig[kids[j]] == sig[kids[i]]:
                j += 1
            if j - i >= min_run:
                out.append(_fold(tree, kids[i:j], parent))
                sig[out[-1]] = hash(("fold", j - i, sig[kids[i]]))
            else:
                out.extend(kids[i:j])
            i = j
        kids[:] = out
    tree.forget_members()
    return sig


def _fold(tree: GroupTree, run: list[str], parent: str | None) -> str:
    first, last = tree.groups[run[0]], tree.groups[run[-1]]
    fid = f"fold:{first.id}"
    fold = Group(fid, _span(first, last), first.call, first.kind, first.parameters, parent,
                 first.depth, list(run), [], first.first, len(run))
    tree.groups[fid] = fold
    for gid in run:
        _deepen(tree, gid, fid)
    return fid


def _deepen(tree: GroupTree, gid: str, parent: str) -> None:
    """``gid`` now sits inside fold ``parent``: one level deeper, with everything inside it."""
    g = tree.groups[gid]
    g.parent = parent
    stack = [gid]
    while stack:
        inner = tree.groups[stack.pop()]
        inner.depth += 1
        stack.extend(inner.groups)


def _span(first: Group, last: Group) -> str:
    """``layers.0–47`` for layers.0 … layers.47; ``cell`` for calls of one module."""
    if first.path == last.path:
        return first.path
    head_a, _, tail_a = first.path.rpartition(".")
    head_b, _, tail_b = last.path.rpartition(".")
    if head_a == head_b and tail_a.isdigit() and tail_b.isdigit():
        return f"{head_a}.{tail_a}–{tail_b}" if head_a else f"{tail_a}–{tail_b}"
    return f"{first.path} … {last.path}"
