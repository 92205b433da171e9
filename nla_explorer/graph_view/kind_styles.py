"""Fill and border of each kind of box in the graph picture (parameter, operation, output...),
and of the boxes a backward with ``create_graph=True`` made (order 2, 3 …)."""

from __future__ import annotations

from dataclasses import dataclass

from nla_explorer.graph_view.model import (
    CONSTANT, GROUP, OPERATION, OUTPUT, PARAMETER, DisplayNode,
)


@dataclass(frozen=True)
class KindStyle:
    fill: str
    border: str
    dashed: bool = False
    border_width: float = 1.5


KIND_STYLES = {
    PARAMETER: KindStyle("#d4e8f7", "#0072b2", border_width=2.0),
    OPERATION: KindStyle("#f1f1f1", "#5f5f5f"),
    OUTPUT: KindStyle("#fbdcc8", "#d55e00", border_width=2.5),
    CONSTANT: KindStyle("#fbf5cf", "#9c8a00", dashed=True),
    GROUP: KindStyle("#e7e2f3", "#6a51a3", dashed=True),
}

#: Higher-order boxes: Okabe–Ito's reddish purple, light fills (the boxes' text stays dark in
#: both themes); order 3 and above a deeper shade with a thicker border.
ORDER_STYLES = {
    2: KindStyle("#f6dcec", "#a8477f", border_width=2.0),
    3: KindStyle("#e8c6dc", "#7a2e5c", border_width=2.5),
}


def box_style(node: DisplayNode) -> KindStyle:
    """The fill and border of ``node``'s box: its kind's, or its order's for a box a backward
    with create_graph made (an output keeps its own border)."""
    kind = KIND_STYLES[node.kind]
    if node.order < 2 or node.kind not in (OPERATION, OUTPUT):
        return kind
    order = ORDER_STYLES[min(node.order, max(ORDER_STYLES))]
    if node.kind == OUTPUT:
        return KindStyle(order.fill, kind.border, border_width=kind.border_width)
    return order
