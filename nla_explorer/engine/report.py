"""The JSON form of a captured graph and its backward trace (``nla-explorer trace --json``)."""

from __future__ import annotations

from nla_explorer.engine.graph import AutogradGraph, GraphNode
from nla_explorer.engine.tensors import TensorData
from nla_explorer.engine.trace import BackwardTrace


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
