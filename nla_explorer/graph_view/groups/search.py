"""Find a box by its name, op, shape or the path of a module around it, in the whole grouped graph
(closed groups included: the view opens the groups on the way). Qt-free."""

from __future__ import annotations

from nla_explorer.graph_view.groups.shown import group_title
from nla_explorer.graph_view.groups.tree import Boxes, GroupTree


def find_box(display: Boxes, tree: GroupTree, text: str,
             after: str | None = None) -> str | None:
    """The next box of ``display`` (after ``after`` when that box matches too, wrapping; else
    the first) whose title, tooltip, id or module path contains ``text`` (case-insensitive);
    None when none does. Boxes are looked at in order until one matches; a box table makes
    none for it (:meth:`BoxTable.search_text`). A text that names a module call exactly
    (:func:`named_call`: ``cell@150``, ``cell (call 150)``, ``call 150``) finds its boxes, in
    the order the forward pass made them."""
    needle = text.strip().lower()
    if not needle:
        return None
    call = named_call(tree, needle)
    if call is not None:  # a module call named exactly: its boxes in forward order
        boxes = _in_forward_order(display, tree, tree.members(call))
        if boxes:
            return boxes[(boxes.index(after) + 1) % len(boxes)] if after in boxes else boxes[0]
    paths: dict[str | None, str] = {None: ""}

    def path_of(gid: str | None) -> str:
        hit = paths.get(gid)
        if hit is None:
            g = tree.groups[gid]
            hit = paths[gid] = f"{path_of(g.parent)}\n{g.path}\n{g.kind}".lower()
        return hit

    group_of = tree.group_of.get
    text_of = display.search_text
    if "\n" in needle:  # a needle across lines reads the whole text, the id after it
        def text_of(box: str) -> str:
            return f"{display.search_text(box)}\n{box.lower()}"

    def matches(box: str) -> bool:
        return (needle in path_of(group_of(box)) or needle in box.lower()
                or needle in text_of(box))

    ids = display.box_columns()[0]
    start = 0
    shown_before = after is not None and (after in tree.group_of or after in tree.top_boxes)
    if shown_before and matches(after):
        start = ids.index(after) + 1
    count = len(ids)
    for k in range(count):
        box = ids[(start + k) % count]
        if matches(box):
            return box
    return None


def _in_forward_order(display: Boxes, tree: GroupTree, boxes: list[str]) -> list[str]:
    """``boxes`` as the forward pass made them (a constant with the op that saved it)."""
    order, never = tree.order.get, 1 << 60
    made = display.graph_id_list(boxes)
    return [box for _, _, box in sorted(
        (order(node, never) if node is not None else never, k, box)
        for k, (node, box) in enumerate(zip(made, boxes)))]


def named_call(tree: GroupTree, needle: str) -> str | None:
    """The module call ``needle`` (lower case) names exactly, the first in display order: by
    its id (``cell@150``), its title (``cell (call 150)``) or ``call 150``."""
    for gid in tree.walk():
        g = tree.groups[gid]
        if not g.fold and needle in (gid.lower(), group_title(g, tree).lower(),
                                     f"call {g.call}"):
            return gid
    return None
