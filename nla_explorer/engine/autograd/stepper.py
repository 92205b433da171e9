"""What the graph shows at step k of the backward pass (or, in forward mode, of the forward pass):
the node running, the nodes done and waiting, the edges carrying a tensor at this step (the gradient
sent back to an input, or the value an input feeds forward), and the leaves' gradients so far.
"""

from __future__ import annotations

from dataclasses import dataclass

from nla_explorer.engine.autograd.graph import LEAF, AutogradGraph
from nla_explorer.engine.tensors import TensorData
from nla_explorer.engine.autograd.trace import BackwardTrace

CURRENT, DONE, WAITING = "current", "done", "waiting"
BACKWARD, FORWARD = "backward", "forward"


@dataclass(frozen=True, eq=False)
class LitEdge:
    """An edge in use at this step, ``source`` (an input) → ``target`` (the running node).

    ``tensor`` is the gradient sent back to the input (backward) or the input's value (forward).
    """

    source: str
    target: str
    slot: int
    tensor: TensorData | None


@dataclass(frozen=True, eq=False)
class StepView:
    """Step ``index`` of ``total`` (``-1``: before the pass starts) of the ``mode`` pass."""

    index: int
    total: int
    current: str | None
    states: dict[str, str]  # node id → "current" | "done" | "waiting"
    lit: tuple[LitEdge, ...]
    leaf_grads: dict[str, TensorData]  # leaves whose AccumulateGrad has run
    mode: str = BACKWARD

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


def forward_order(graph: AutogradGraph, trace: BackwardTrace) -> tuple[str, ...]:
    """Node ids in the order the forward pass made them: leaves first, then the ops in torch's
    creation order (the sequence numbers it gave their Nodes: Python's order of the code).

    A graph captured without sequence numbers falls back to the backward order reversed (also
    inputs before consumers); nodes the backward never reached go first (they are inputs).
    """
    ops = [n for n in graph.nodes if n.kind != LEAF]
    if ops and all(n.sequence_nr is not None for n in ops):
        leaves = [n.id for n in graph.nodes if n.kind == LEAF]
        return tuple(leaves + [n.id for n in sorted(ops, key=lambda n: n.sequence_nr)])
    ran = [s.node_id for s in reversed(trace.steps)]
    seen = set(ran)
    return tuple([n.id for n in graph.nodes if n.id not in seen] + ran)


def forward_view(graph: AutogradGraph, order: tuple[str, ...], index: int) -> StepView:
    """Forward step ``index``: the node computing its value, lit by the values of its inputs."""
    total = len(order)
    index = max(-1, min(index, total - 1))
    current = order[index] if index >= 0 else None
    done_ids = set(order[:max(index, 0)])
    states = {n.id: CURRENT if n.id == current else DONE if n.id in done_ids else WAITING
              for n in graph.nodes}
    lit: tuple[LitEdge, ...] = ()
    if current is not None:
        lit = tuple(LitEdge(e.source, e.target, e.slot, graph.node(e.source).value)
                    for e in graph.inputs_of(current))
    return StepView(index, total, current, states, lit, {}, FORWARD)
