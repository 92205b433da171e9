"""What the graph shows at backward step k: the node running, the nodes done and waiting, the edges
carrying gradient at this step (with the gradient), and the leaves' gradients accumulated so far.
"""

from __future__ import annotations

from dataclasses import dataclass

from nla_explorer.engine.graph import LEAF, AutogradGraph
from nla_explorer.engine.tensors import TensorData
from nla_explorer.engine.trace import BackwardTrace

CURRENT, DONE, WAITING = "current", "done", "waiting"


@dataclass(frozen=True, eq=False)
class LitEdge:
    """An edge carrying gradient at this step: from the running node back to its input ``source``."""

    source: str
    target: str
    slot: int
    grad: TensorData | None


@dataclass(frozen=True, eq=False)
class StepView:
    """Step ``index`` of ``total`` (``-1``: before the backward pass starts)."""

    index: int
    total: int
    current: str | None
    states: dict[str, str]  # node id → "current" | "done" | "waiting"
    lit: tuple[LitEdge, ...]
    leaf_grads: dict[str, TensorData]  # leaves whose AccumulateGrad has run

    @property
    def finished(self) -> bool:
        return self.index >= self.total - 1


def step_view(graph: AutogradGraph, trace: BackwardTrace, index: int) -> StepView:
    """The picture at step ``index`` (clamped to -1 … len(trace) - 1)."""
    total = len(trace.steps)
    index = max(-1, min(index, total - 1))
    done_ids = {s.node_id for s in trace.steps[:max(index, 0)]}
    current = trace.steps[index].node_id if index >= 0 else None
    states = {}
    for node in graph.nodes:
        if node.id == current:
            states[node.id] = CURRENT
        elif node.id in done_ids:
            states[node.id] = DONE
        else:
            states[node.id] = WAITING
    lit: tuple[LitEdge, ...] = ()
    if current is not None:
        step = trace.steps[index]
        grads = step.grad_inputs
        lit = tuple(LitEdge(e.source, e.target, e.slot,
                            grads[e.slot] if e.slot < len(grads) else None)
                    for e in graph.inputs_of(current))
    leaves = {n.id for n in graph.nodes if n.kind == LEAF}
    ran = done_ids | ({current} if current else set())
    leaf_grads = {k: v for k, v in trace.leaf_grads.items() if k in leaves and k in ran}
    return StepView(index, total, current, states, lit, leaf_grads)
