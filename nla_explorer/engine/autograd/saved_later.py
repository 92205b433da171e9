"""A big graph read in two passes: first without the values its Nodes saved for backward (two
thirds of a capture's time), to be drawn; then completed with them, before the program goes on."""

from __future__ import annotations

from collections.abc import Callable

import torch

from nla_explorer.engine.autograd.capture import capture, engine_reads
from nla_explorer.engine.autograd.graph import OP, AutogradGraph, GraphNode
from nla_explorer.engine.fast_build import builder

_Node = builder(GraphNode)  # a completed node from all its fields


def capture_first(tensor: torch.Tensor, *args, **kwargs) -> tuple[
        AutogradGraph, Callable[[], AutogradGraph] | None]:
    """:func:`capture` in two passes, for a big graph drawn before it is complete: the graph
    without the values its Nodes saved for backward (two thirds of a capture's time), and how
    to read them: a function giving the complete graph (the same nodes and ids). Call it before
    the program goes on (it reads what the Nodes hold then). Every op needs a recorded value
    (``recorder``): else the values come from what the Nodes saved, the graph is read whole at
    once and the function is None."""
    later = SavedLater()
    graph = capture(tensor, *args, _later=later, **kwargs)
    if not later.pending:
        return graph, None
    reader = later.read

    def complete() -> AutogradGraph:
        nodes = list(graph.nodes)
        with engine_reads():
            for i, fn, plan in later.pending:
                n = nodes[i]
                nodes[i] = _Node(n.id, n.kind, n.op, n.label, n.name, n.value,
                                 reader(fn, plan), n.n_inputs, n.sequence_nr, n.module, n.order,
                                 n.made_by, n.scope, n.operands, n.operand_values,
                                 n.output_names)
        return AutogradGraph(tuple(nodes), graph.edges, graph.output_id, graph.modules)
    if not _still_saved(later.pending) or any(
            n.kind == OP and n.value is None for n in graph.nodes):
        return complete(), None  # (freed by a backward: its error now; or values to read)
    return graph, complete


def _still_saved(pending: list[tuple]) -> bool:
    """Whether the Nodes' saved tensors are still there (a backward frees every Node's: the
    first saved tensor tells; the error comes with the graph at once, as from :func:`capture`)."""
    with engine_reads():
        for _, fn, plan in pending[:_PROBED]:
            for attr, _, _ in plan:
                try:
                    if isinstance(getattr(fn, attr), torch.Tensor):
                        return True
                except RuntimeError:
                    return False
    return True


_PROBED = 20  # Nodes looked at for a saved tensor


class SavedLater:
    """What :func:`capture_first` reads later: ``read(Node, plan)`` gives a Node's saved values;
    ``pending`` holds ``(node index, Node, plan)`` for each op that saved any."""

    def __init__(self) -> None:
        self.read: Callable | None = None
        self.pending: list[tuple[int, object, tuple]] = []
