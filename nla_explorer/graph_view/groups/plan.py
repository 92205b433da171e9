"""From a captured graph to its groups: module calls, repeats found in plain code, folds, and which
groups a depth opens. Qt-free.
"""

from __future__ import annotations

from collections.abc import Hashable

from nla_explorer.engine.autograd.graph import OP, AutogradGraph
from nla_explorer.engine.autograd.repeats import repeat_scopes
from nla_explorer.graph_view.groups.fold import fold_repeats, signatures
from nla_explorer.graph_view.groups.fold_window import fully_open
from nla_explorer.graph_view.groups.tree import Boxes, GroupTree, ModuleFacts, build_tree
from nla_explorer.graph_view.model import CONSTANT

#: Depths: -1 lets the size of the graph choose; ALL opens every group, folds included.
AUTO_DEPTH = -1
ALL_DEPTHS = 99
#: Auto: a picture of up to this many boxes opens every group (a course net shows its layers as
#: frames); a bigger one opens the outermost calls only.
OPEN_ALL_UP_TO = 150
#: Repeats are looked for in plain code (no modules) from this many autograd nodes on.
REPEATS_FROM = 150
#: Repeats need this many ops outside every module (3 repeats of 2 ops: repeats.find_repeats).
MIN_REPEATED_OPS = 6
#: What a repeated block of plain code is called.
ITERATION = "iteration"


def group_tree(display: Boxes, graph: AutogradGraph, fold: bool = True) -> GroupTree:
    """The groups of ``display`` (drawn from ``graph``): one per module call, or per repeated
    block of plain code; consecutive look-alikes folded when ``fold``."""
    scopes, order, unscoped = {}, {}, 0  # (one pass over the nodes: 75,000 of them)
    for n in graph.nodes:
        if n.scope:
            scopes[n.id] = n.scope
        elif n.kind == OP:
            unscoped += 1
        if n.sequence_nr is not None:
            order[n.id] = n.sequence_nr
    facts = {m.path: ModuleFacts(m.kind, m.parameters) for m in graph.modules}
    if len(graph) >= REPEATS_FROM and unscoped >= MIN_REPEATED_OPS:
        found = repeat_scopes(graph, base=scopes)
        for node_id, scope in found.items():
            scopes[node_id] = scopes.get(node_id, ()) + scope
            for path, _ in scope:
                facts.setdefault(path, ModuleFacts(ITERATION))
    tree = build_tree(display, scopes, facts, order)
    if tree:
        key = box_key(display, graph)
        tree.signature = fold_repeats(tree, key) if fold else signatures(tree, key)
    return tree


def box_key(display: Boxes, graph: AutogradGraph):
    """What makes two boxes look alike for folding: kind, op, shape and order (not names or
    values); constants do not count (the first of a run of layers reads the input)."""
    keys: dict[str, Hashable] = {}  # worked out for every box in one pass (100,000 boxes)
    node = graph.node
    for box, kind, graph_id, _ in zip(*display.box_columns()):
        if kind == CONSTANT:
            continue
        if graph_id is None:  # (no autograd node: told apart by what the box says)
            shown = display.node(box)
            keys[box] = (kind, shown.title, shown.subtitle)
            continue
        n = node(graph_id)
        value = n.value
        keys[box] = (kind, n.op, value.shape if value is not None else None, n.order)
    return keys.get


def opened_at(tree: GroupTree, depth: int, boxes: int) -> frozenset[str]:
    """The groups open at ``depth`` (0: every group closed; 1: the outermost calls open …);
    folds open only at :data:`ALL_DEPTHS`. ``boxes``: how many the picture has (for auto)."""
    if depth == AUTO_DEPTH:
        depth = ALL_DEPTHS if boxes <= OPEN_ALL_UP_TO else 1
    opened = set()
    for gid in tree.walk():
        g = tree.groups[gid]
        if g.fold and depth < ALL_DEPTHS:
            continue
        if g.depth < depth and (g.parent is None or g.parent in opened):
            opened.add(gid)
    return fully_open(tree, opened) if depth >= ALL_DEPTHS else frozenset(opened)


def path_to(tree: GroupTree, box: str) -> frozenset[str]:
    """The groups to open so that ``box`` is shown."""
    return frozenset(tree.groups_around(box))
