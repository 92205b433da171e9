"""Collapse long chains of single-input, single-consumer ops into one box, for big graphs."""

from __future__ import annotations

from collections import defaultdict

from nla_explorer.graph_view.model import (
    CHAIN_PREFIX, GROUP, OPERATION, DisplayEdge, DisplayGraph, DisplayNode,
)


def collapse_chains(display: DisplayGraph, min_length: int = 3) -> DisplayGraph:
    """Replace every maximal chain of ``min_length`` or more plain ops by one ``group`` box.

    A chain link is an op with exactly one input edge and one consumer; the chain's first input
    and last consumer are kept, so the picture keeps its shape with far fewer boxes.
    """
    ins: dict[str, list[DisplayEdge]] = defaultdict(list)
    outs: dict[str, list[DisplayEdge]] = defaultdict(list)
    for e in display.edges:
        ins[e.target].append(e)
        outs[e.source].append(e)

    def linkable(n: DisplayNode) -> bool:
        return n.kind == OPERATION and len(ins[n.id]) == 1 and len(outs[n.id]) == 1

    group_of: dict[str, str] = {}
    groups: list[DisplayNode] = []
    for node in display.nodes:
        if not linkable(node) or node.id in group_of:
            continue
        up = ins[node.id][0].source
        if linkable(display.node(up)):
            continue  # not the top of its chain
        chain = [node.id]
        nxt = outs[node.id][0].target
        while linkable(display.node(nxt)) and nxt not in group_of:
            chain.append(nxt)
            nxt = outs[nxt][0].target
        if len(chain) < min_length:
            continue
        first, last = display.node(chain[0]), display.node(chain[-1])
        titles = [display.node(c).title for c in chain]
        group_id = f"{CHAIN_PREFIX}{chain[0]}"
        for c in chain:
            group_of[c] = group_id
        groups.append(DisplayNode(
            group_id, GROUP, f"{len(chain)} ops", f"{first.title} … {last.title}",
            "collapsed chain:\n" + " → ".join(titles[:12]) + (" …" if len(titles) > 12 else ""),
            last.value, first.grad, last.graph_id, tuple(display.node(c).graph_id or c
                                                         for c in chain),
            precision=first.precision))
    if not groups:
        return display
    nodes = [n for n in display.nodes if n.id not in group_of] + groups
    seen: set[tuple[str, str]] = set()
    edges = []
    for e in display.edges:
        s, t = group_of.get(e.source, e.source), group_of.get(e.target, e.target)
        if s == t:
            continue
        if s != e.source or t != e.target:  # an edge of a group: keep one
            if (s, t) in seen:
                continue
            seen.add((s, t))
        edges.append(DisplayEdge(s, t, e.constant, e.made_by))
    return DisplayGraph(tuple(nodes), tuple(edges))
