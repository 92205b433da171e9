"""The picture as Graphviz DOT text (Qt-free): same nodes, edges, labels, colours and positions."""

from __future__ import annotations

from collections.abc import Mapping

import graphviz

from nla_explorer.graph_view.kind_styles import box_style
from nla_explorer.graph_view.layout.model import Layout
from nla_explorer.graph_view.layout.nested import Frame
from nla_explorer.graph_view.model import DisplayGraph

_POINTS_PER_PIXEL = 0.75  # the picture is laid out at 96 px per inch; DOT positions are in points

_BOLD = 2.5  # a border this wide or wider is drawn bold in DOT (the output's)


def display_to_dot(display: DisplayGraph, layout: Layout | None = None,
                   frames: Mapping[str, tuple[Frame, str]] | None = None) -> str:
    """DOT source; with a layout, nodes carry ``pos`` (in points) so ``neato -n`` reproduces it;
    ``frames`` (open module groups) become nested clusters labelled with their headers."""
    dot = graphviz.Digraph("autograd", graph_attr={"rankdir": "TB", "fontname": "DejaVu Sans"},
                           node_attr={"shape": "box", "style": "rounded,filled",
                                      "fontname": "DejaVu Sans"})
    height = layout.height if layout is not None else 0.0
    home, inner = _clusters(display, layout, frames or {})

    def fill(graph, gid: str | None) -> None:
        for node in home.get(gid, ()):
            _node(graph, node, layout, height)
        for child in inner.get(gid, ()):
            frame, title = frames[child]
            with graph.subgraph(name=f"cluster_{child}") as sub:
                sub.attr(label=title, style="rounded,filled", fillcolor="#f3f0fa",
                         color="#6a51a3", fontname="DejaVu Sans")
                fill(sub, child)
    fill(dot, None)
    for edge in display.edges:
        attrs = {"style": "dashed", "color": "#9c8a00"} if edge.constant else (
            {"style": "dotted", "color": "#a8477f"} if edge.made_by else {})
        if edge.count > 1:
            attrs["label"] = f"×{edge.count}"
        dot.edge(edge.source, edge.target, **attrs)
    return dot.source


def _clusters(display: DisplayGraph, layout: Layout | None,
              frames: Mapping[str, tuple[Frame, str]]):
    """Each box's and each frame's innermost frame around it (by geometry): (frame or None →
    its boxes, frame or None → its frames)."""
    def around(x: float, y: float, skip: str | None = None) -> str | None:
        best, area = None, float("inf")
        for gid, (f, _) in frames.items():
            if gid != skip and f.x <= x <= f.x + f.w and f.y <= y <= f.y + f.h \
                    and f.w * f.h < area:
                best, area = gid, f.w * f.h
        return best
    home: dict[str | None, list] = {}
    for node in display.nodes:
        pos = layout.positions.get(node.id) if layout is not None and frames else None
        home.setdefault(around(*pos) if pos else None, []).append(node)
    inner: dict[str | None, list[str]] = {}
    for gid, (f, _) in frames.items():
        inner.setdefault(around(f.x + f.w / 2, f.y + 1, gid), []).append(gid)
    return home, inner


def _node(dot, node, layout: Layout | None, height: float) -> None:
    look = box_style(node)  # the picture's fill and border (an order-2 box's too)
    fill, border = look.fill, look.border
    line = "dashed" if look.dashed else "bold" if look.border_width >= _BOLD else "solid"
    label = "\n".join(x for x in (node.title, node.subtitle, node.value_badge,
                                  node.grad_badge and "∇ " + node.grad_badge) if x)
    attrs = {"label": label, "fillcolor": fill, "color": border, "tooltip": node.tooltip,
             "style": f"rounded,filled,{line}", "kind": node.kind}
    if layout is not None and node.id in layout.positions:
        x, y = layout.positions[node.id]
        attrs["pos"] = f"{x * _POINTS_PER_PIXEL:.1f},{(height - y) * _POINTS_PER_PIXEL:.1f}!"
    dot.node(node.id, **attrs)
