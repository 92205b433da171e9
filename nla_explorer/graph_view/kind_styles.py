"""Fill and border of each kind of box in the graph picture (parameter, operation, output...)."""

from __future__ import annotations

from dataclasses import dataclass

from nla_explorer.graph_view.model import CONSTANT, GROUP, OPERATION, OUTPUT, PARAMETER


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
