"""Find a box by its name, op, shape or the path of a module around it, in the whole grouped graph
(closed groups included: the view opens the groups on the way). Qt-free."""

from __future__ import annotations

from nla_explorer.graph_view.groups.tree import GroupTree
from nla_explorer.graph_view.model import DisplayGraph


def find_box(display: DisplayGraph, tree: GroupTree, text: str,
             after: str | None = None) -> str | None:
    """The next box of ``display`` (after ``after``, wrapping) whose title, tooltip, id or
    module path contains ``text`` (case-insensitive); None when none does."""
    needle = text.strip().lower()
    if not needle:
        return None
    paths: dict[str | None, str] = {None: ""}

    def path_of(gid: str | None) -> str:
        hit = paths.get(gid)
        if hit is None:
            g = tree.groups[gid]
            hit = paths[gid] = f"{path_of(g.parent)}\n{g.path}\n{g.kind}".lower()
        return hit

    hits = [n.id for n in display.nodes
            if needle in f"{n.title}\n{n.tooltip}\n{n.id}".lower()
            or needle in path_of(tree.group_of.get(n.id))]
    if not hits:
        return None
    if after in hits:
        return hits[(hits.index(after) + 1) % len(hits)]
    return hits[0]
