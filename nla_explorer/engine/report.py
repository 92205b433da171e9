"""The JSON form of a captured graph and its backward trace (``nla-explorer trace --json``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nla_explorer.engine.autograd.graph import AutogradGraph, GraphNode
from nla_explorer.engine.tensors import TensorData
from nla_explorer.engine.autograd.trace import BackwardTrace

if TYPE_CHECKING:
    from nla_explorer.engine.runner.result import RunResult


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
        "module": node.module,
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


def _call_head(number: int, call) -> dict:
    return {"index": number, "kind": call.kind, "label": call.label, "line": call.line,
            "output": call.output_name}


def _notes_json(run) -> dict:
    return {"notes": list(run.notes), "unseeded": run.unseeded}


def exploration_json(exploration) -> dict:
    """:func:`graph_json` of the shown call, with every backward call of the program, which one is
    shown, each named leaf's ``.grad`` after the whole program and the notes (unseeded...)."""
    out = graph_json(exploration.graph, exploration.trace, exploration.output_name)
    out["calls"] = [{**_call_head(i + 1, c), "steps": len(c.trace.steps)}
                    for i, c in enumerate(exploration.calls)]
    out["shown_call"] = None if exploration.call_index is None else exploration.call_index + 1
    out["final_grads"] = {name: None if grad is None else grad.detach().tolist()
                          for name, grad in exploration.evaluation.final_grads().items()}
    out.update(_notes_json(exploration))
    return out


def run_json(result: RunResult) -> dict:
    """A run of Python code (``trace --run --json``): :func:`exploration_json`'s fields, each kept
    call with its own graph and steps, what the cells printed, the error and the modules.

    ``calls[k]["index"]`` is the call's number in the program (a long loop keeps some of its
    calls); ``shown_call`` is the index of the call shown. Without any graph, ``output`` is null.
    """
    if result.graph is None:
        out: dict = {"output": None, "nodes": [], "edges": [], "steps": []}
    else:
        out = graph_json(result.graph, result.trace, result.output_name)
    numbers = result.call_numbers or tuple(range(1, len(result.calls) + 1))
    calls = []
    for number, call in zip(numbers, result.calls):
        shown = graph_json(call.graph, call.trace, call.output_name)
        calls.append({**_call_head(number, call), "value": shown["output"]["value"],
                      "nodes": shown["nodes"], "edges": shown["edges"], "steps": shown["steps"]})
    out["calls"] = calls
    out["shown_call"] = None if result.call_index is None else numbers[result.call_index]
    out["total_calls"] = result.total_calls
    out["final_grads"] = {name: _values(grad) for name, grad in (result.final_grads or {}).items()}
    out.update(_notes_json(result))
    out["printed"] = "".join(cell.text for cell in result.outputs)
    error = result.error
    out["error"] = None if error is None else {
        "type": error.type, "message": error.message, "line": error.line, "cell": error.cell}
    out["modules"] = [{"path": m.path, "kind": m.kind, "parameters": m.parameters}
                      for m in result.modules]
    return out
