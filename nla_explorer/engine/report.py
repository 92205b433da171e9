"""The JSON form of a captured graph and its backward trace (``nla-explorer trace --json``)."""

from __future__ import annotations

from nla_explorer.engine.autograd.graph import AutogradGraph, GraphNode
from nla_explorer.engine.tensors import TensorData
from nla_explorer.engine.autograd.trace import BackwardTrace


def _values(data: TensorData | None) -> object:
    return None if data is None else data.to_json()


def _tensor_json(data: TensorData | None) -> dict | None:
    if data is None:
        return None
    out = {"shape": list(data.shape), "dtype": data.dtype, "value": data.to_json()}
    if data.values is None:
        out["summary"] = data.summary_json()
    return out


def _node_json(node: GraphNode, trace: BackwardTrace | None) -> dict:
    grad = trace.node_grad(node.id) if trace is not None else None
    out = {
        "id": node.id,
        "kind": node.kind,
        "op": node.op,
        "label": node.label,
        "name": node.name,
        "shape": list(node.shape) if node.shape is not None else None,
        "dtype": node.dtype,
        "value": _values(node.value),
        "grad": _values(grad),
        "saved": [
            {"name": s.name, "role": s.role, "label": s.label,
             **({"tensor": _tensor_json(s.tensor)} if s.tensor is not None
                else {"attribute": s.attribute})}
            for s in node.saved
        ],
    }
    if node.value is not None and node.value.values is None:
        out["value_summary"] = node.value.summary_json()
    if grad is not None and grad.values is None:
        out["grad_summary"] = grad.summary_json()
    return out


def graph_json(graph: AutogradGraph, trace: BackwardTrace | None = None,
               output_name: str | None = None) -> dict:
    """``{"output", "nodes", "edges", "steps"}`` as documented in the README."""
    out_node = graph.output
    return {
        "output": {"id": out_node.id, "name": output_name or out_node.name,
                   "shape": list(out_node.shape) if out_node.shape is not None else None,
                   "value": _values(out_node.value)},
        "nodes": [_node_json(n, trace) for n in graph.nodes],
        "edges": [{"source": e.source, "target": e.target, "slot": e.slot} for e in graph.edges],
        "steps": [] if trace is None else [
            {"node": s.node_id,
             "grad_outputs": [_values(g) for g in s.grad_outputs],
             "grad_inputs": [_values(g) for g in s.grad_inputs]}
            for s in trace.steps
        ],
    }


def exploration_json(exploration) -> dict:
    """:func:`graph_json` of the shown call, with every backward call of the program, which one is
    shown, each named leaf's ``.grad`` after the whole program and the notes (unseeded...)."""
    out = graph_json(exploration.graph, exploration.trace, exploration.output_name)
    out["calls"] = [{"index": i + 1, "kind": c.kind, "label": c.label, "line": c.line,
                     "output": c.output_name, "steps": len(c.trace.steps)}
                    for i, c in enumerate(exploration.calls)]
    out["shown_call"] = None if exploration.call_index is None else exploration.call_index + 1
    out["final_grads"] = {name: None if grad is None else grad.detach().tolist()
                          for name, grad in exploration.evaluation.final_grads().items()}
    out["notes"] = list(exploration.notes)
    out["unseeded"] = exploration.unseeded
    return out
