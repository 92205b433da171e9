"""The JSON form of a captured graph and its backward trace (``nla-explorer trace --json``).

Values are written in full up to :data:`JSON_VALUES_LIMIT` elements in all; past it a tensor is
written as a large one always was (``null``, with its summary where the schema has one) and the
notes say so: a program of thousands of lines gives megabytes, not gigabytes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from nla_explorer.engine.autograd.graph import AutogradGraph, GraphNode
from nla_explorer.engine.derivatives import derivatives_of
from nla_explorer.engine.tensors import TensorData, snapshot
from nla_explorer.engine.autograd.trace import BackwardTrace

if TYPE_CHECKING:
    from nla_explorer.engine.runner.result import RunResult


#: Values one JSON document writes in full, all tensors together (elements).
JSON_VALUES_LIMIT = 1_000_000


class _Values:
    """The values budget of one JSON document: each tensor's values while it lasts."""

    def __init__(self, limit: int) -> None:
        self.limit = self.left = limit
        self.omitted = False

    def __call__(self, data: TensorData | None) -> object:
        if data is None or data.values is None:
            return None
        if data.values.size > self.left:
            self.omitted = True
            return None
        self.left -= data.values.size
        return data.to_json()

    def note(self) -> str:
        return (f"values omitted above {self.limit:,} elements in total: the tensors after "
                "that are given by their summaries")


def _summary_json(data: TensorData) -> dict:
    """``summary_json``, with min, max, mean and norm computed from kept values if need be."""
    out = data.summary_json()
    if data.summary is None and data.values is not None and data.values.size:
        v = data.values.astype(np.float64)
        stats = {"min": v.min(), "max": v.max(), "mean": v.mean(), "norm": np.linalg.norm(v)}
        out.update({k: _finite(float(x)) for k, x in stats.items()})
    return out


def _finite(x: float) -> object:
    return x if math.isfinite(x) else ("nan" if x != x else ("inf" if x > 0 else "-inf"))


def _tensor_json(data: TensorData | None, values: _Values) -> dict | None:
    if data is None:
        return None
    value = values(data)
    out = {"shape": list(data.shape), "dtype": data.dtype, "value": value}
    if value is None:
        out["summary"] = _summary_json(data)
    return out


def _node_grad(trace: BackwardTrace | None, node_id: str, values: _Values) -> TensorData | None:
    """The node's gradient; once the budget is spent, a summary that the trace does not keep."""
    if trace is None:
        return None
    step = trace.step_of(node_id)
    raw = step.grad_output_tensors[0] if step is not None and step.grad_output_tensors else None
    if values.left > 0 or node_id in trace.leaf_grads or raw is None:
        return trace.node_grad(node_id)
    values.omitted = True
    return snapshot(raw, 0)


def _node_json(node: GraphNode, trace: BackwardTrace | None, values: _Values) -> dict:
    grad = _node_grad(trace, node.id, values)
    value_json, grad_json = values(node.value), values(grad)
    out = {
        "id": node.id,
        "kind": node.kind,
        "op": node.op,
        "label": node.label,
        "name": node.name,
        "shape": list(node.shape) if node.shape is not None else None,
        "dtype": node.dtype,
        "module": node.module,
        "scope": [[path, call] for path, call in node.scope],  # module calls, outermost first
        "order": node.order,  # 1: the forward program's; 2: made by a create_graph backward …
        "made_by": node.made_by,  # the node whose backward made this one (order ≥ 2)
        "value": value_json,
        "grad": grad_json,
        "saved": [
            {"name": s.name, "role": s.role, "label": s.label,
             **({"tensor": _tensor_json(s.tensor, values)} if s.tensor is not None
                else {"attribute": s.attribute})}
            for s in node.saved
        ],
        # constants the op read but did not save (the b1 of W @ x + b1): name, and value unless
        # it was changed in place after the op read it
        "operands": [_operand_json(slot, name, node, values) for slot, name in node.operands],
    }
    if node.output_names:  # Q, R = torch.linalg.qr(A): one node, its outputs' names by number
        out["output_names"] = list(node.output_names)
    if node.value is not None and value_json is None:
        out["value_summary"] = _summary_json(node.value)
    if grad is not None and grad_json is None:
        out["grad_summary"] = _summary_json(grad)
    return out


def _operand_json(slot: int, name: str, node: GraphNode, values: _Values) -> dict:
    seen = next((s.tensor for s in node.operand_values if s.name == f"input {slot}"), None)
    return {"slot": slot, "name": name,
            **({"tensor": _tensor_json(seen, values)} if seen is not None else {})}


def graph_json(graph: AutogradGraph, trace: BackwardTrace | None = None,
               output_name: str | None = None, values_limit: int = JSON_VALUES_LIMIT) -> dict:
    """``{"output", "nodes", "edges", "steps"}`` as documented in the README; values in full up
    to ``values_limit`` elements in all."""
    return _graph_json(graph, trace, output_name, _Values(values_limit))


def _graph_json(graph: AutogradGraph, trace: BackwardTrace | None, output_name: str | None,
                values: _Values) -> dict:
    out_node = graph.output
    return {
        "output": {"id": out_node.id, "name": output_name or out_node.name,
                   "shape": list(out_node.shape) if out_node.shape is not None else None,
                   "value": values(out_node.value)},
        "nodes": [_node_json(n, trace, values) for n in graph.nodes],
        "edges": [{"source": e.source, "target": e.target, "slot": e.slot} for e in graph.edges],
        "steps": [] if trace is None else [_step_json(s, values) for s in trace.steps],
    }


def _step_json(step, values: _Values) -> dict:
    """One backward step; once the budget is spent its gradients are not even snapshotted."""
    raw = (*step.grad_output_tensors, *step.grad_input_tensors)
    spent = values.left <= 0
    outs = [None] * len(step.grad_output_tensors) if spent else step.grad_outputs
    ins = [None] * len(step.grad_input_tensors) if spent else step.grad_inputs
    values.omitted = values.omitted or (spent and any(t is not None for t in raw))
    return {"node": step.node_id, "grad_outputs": [values(g) for g in outs],
            "grad_inputs": [values(g) for g in ins]}


def _call_head(number: int, call) -> dict:
    return {"index": number, "kind": call.kind, "label": call.label, "line": call.line,
            "output": call.output_name}


def _notes_json(run, values: _Values) -> dict:
    notes = list(run.notes) + ([values.note()] if values.omitted else [])
    return {"notes": notes, "unseeded": run.unseeded}


def _final_grad(grad, values: _Values) -> object:
    """A leaf's ``.grad`` as nested lists (``None``: none, or past the values budget)."""
    if grad is None:
        return None
    if grad.numel() > values.left:
        values.omitted = True
        return None
    values.left -= grad.numel()
    return grad.detach().tolist()


def _results_json(derivatives, values: _Values) -> dict:
    """The named Jacobians and Hessians (``H = hessian(f, x)``): name → kind, function, input,
    row and column labels and value."""
    return {d.name: d.to_json(values(d.value)) for d in derivatives}


def exploration_json(exploration, values_limit: int = JSON_VALUES_LIMIT) -> dict:
    """:func:`graph_json` of the shown call, with every backward call of the program, which one is
    shown, each named leaf's ``.grad`` after the whole program and the notes (unseeded...)."""
    values = _Values(values_limit)
    out = _graph_json(exploration.graph, exploration.trace, exploration.output_name, values)
    out["calls"] = [{**_call_head(i + 1, c), "steps": len(c.trace.steps)}
                    for i, c in enumerate(exploration.calls)]
    out["shown_call"] = None if exploration.call_index is None else exploration.call_index + 1
    out["final_grads"] = {name: _final_grad(grad, values)
                          for name, grad in exploration.evaluation.final_grads().items()}
    out["results"] = _results_json(derivatives_of(exploration.evaluation, values.limit), values)
    out.update(_notes_json(exploration, values))
    return out


def run_json(result: RunResult, values_limit: int = JSON_VALUES_LIMIT) -> dict:
    """A run of Python code (``trace --run --json``): :func:`exploration_json`'s fields, each kept
    call with its own graph and steps, what the cells printed, the error and the modules.

    ``calls[k]["index"]`` is the call's number in the program (a long loop keeps some of its
    calls); ``shown_call`` is the index of the call shown. Without any graph, ``output`` is null.
    """
    values = _Values(values_limit)
    if result.graph is None:
        out: dict = {"output": None, "nodes": [], "edges": [], "steps": []}
    else:
        out = _graph_json(result.graph, result.trace, result.output_name, values)
    numbers = result.call_numbers or tuple(range(1, len(result.calls) + 1))
    calls = []
    for number, call in zip(numbers, result.calls):
        shown = _graph_json(call.graph, call.trace, call.output_name, values)
        calls.append({**_call_head(number, call), "value": shown["output"]["value"],
                      "nodes": shown["nodes"], "edges": shown["edges"], "steps": shown["steps"]})
    out["calls"] = calls
    out["shown_call"] = None if result.call_index is None else numbers[result.call_index]
    out["total_calls"] = result.total_calls
    out["final_grads"] = {name: values(grad) for name, grad in (result.final_grads or {}).items()}
    out["results"] = _results_json(result.derivatives, values)
    out.update(_notes_json(result, values))
    out["printed"] = "".join(cell.text for cell in result.outputs)
    error = result.error
    out["error"] = None if error is None else {
        "type": error.type, "message": error.message, "line": error.line, "cell": error.cell}
    out["modules"] = [{"path": m.path, "kind": m.kind, "parameters": m.parameters}
                      for m in result.modules]
    return out
