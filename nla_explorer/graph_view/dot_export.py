"""The picture as Graphviz DOT text (Qt-free): same nodes, edges, labels, colours and positions."""

from __future__ import annotations

import graphviz

from nla_explorer.graph_view.layout.model import Layout
from nla_explorer.graph_view.model import DisplayGraph

_POINTS_PER_PIXEL = 0.75  # the picture is laid out at 96 px per inch; DOT positions are in points

# Fill, border and DOT line style per kind, kept in step with kind_styles.KIND_STYLES.
_COLOURS = {
    "leaf": ("#d4e8f7", "#0072b2", "solid"),
    "op": ("#f1f1f1", "#5f5f5f", "solid"),
    "output": ("#fbdcc8", "#d55e00", "bold"),
    "constant": ("#fbf5cf", "#9c8a00", "dashed"),
    "group": ("#e7e2f3", "#6a51a3", "dashed"),
}


def display_to_dot(display: DisplayGraph, layout: Layout | None = None) -> str:
    """DOT source; with a layout, nodes carry ``pos`` (in points) so ``neato -n`` reproduces it."""
    dot = graphviz.Digraph("autograd", graph_attr={"rankdir": "TB", "fontname": "DejaVu Sans"},
                           node_attr={"shape": "box", "style": "rounded,filled",
                                      "fontname": "DejaVu Sans"})
    height = layout.height if layout is not None else 0.0
    for node in display.nodes:
        fill, border, line = _COLOURS[node.kind]
        label = "\n".join(x for x in (node.title, node.subtitle, node.value_badge,
                                      node.grad_badge and "∇ " + node.grad_badge) if x)
        attrs = {"label": label, "fillcolor": fill, "color": border, "tooltip": node.tooltip,
                 "style": f"rounded,filled,{line}", "kind": node.kind}
        if layout is not None and node.id in layout.positions:
            x, y = layout.positions[node.id]
            attrs["pos"] = f"{x * _POINTS_PER_PIXEL:.1f},{(height - y) * _POINTS_PER_PIXEL:.1f}!"
        dot.node(node.id, **attrs)
    for edge in display.edges:
        attrs = {"style": "dashed", "color": "#9c8a00"} if edge.constant else (
            {"style": "dotted", "color": "#a8477f"} if edge.made_by else {})
        dot.edge(edge.source, edge.target, **attrs)
    return dot.source
