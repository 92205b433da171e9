"""What the explorer shows for a program, in the oracle's JSON form (:mod:`tests.engine.oracle`).

The interpreter's side of the differential test: ``app_record(text)`` runs the text through the
safe interpreter (``explore_code``) and reports the same fields the oracle child records from plain
CPython: every backward call (kind, line, nodes breadth first, steps in run order with their
incoming gradients, grad()'s results), the final value of every named tensor and each leaf's
``.grad``; or the error, with torch's message inside the explorer's.
"""

from __future__ import annotations

import numpy as np
import torch

from nla_explorer.engine import explore_code
from nla_explorer.engine.errors import ExpressionError


def enc(t: torch.Tensor | None) -> list | None:
    """The oracle's bitwise encoding (a copy in contiguous memory: stride-0 scalars too)."""
    if t is None:
        return None
    flat = t.detach().cpu().clone(memory_format=torch.contiguous_format).reshape(-1)
    return [str(t.dtype), list(t.shape), flat.view(torch.uint8).numpy().tobytes().hex()]


def _enc_data(data) -> list | None:
    if data is None:
        return None
    return enc(torch.from_numpy(np.array(data.values)))


def app_record(text: str) -> dict:
    try:
        exploration = explore_code(text)
    except ExpressionError as exc:
        kind = exc.python_type or "ExpressionError"  # a refusal of the reader: no Python type
        return {"error": {"type": kind, "message": exc.reason, "line": exc.line},
                "calls": [], "tensors": {}, "grads": {}}
    evaluation = exploration.evaluation
    calls = []
    for call in evaluation.backward_calls:
        nodes = [node.op for node in call.graph.nodes]
        assert [node.id for node in call.graph.nodes] == [f"n{i}" for i in range(len(nodes))]
        steps = [[int(step.node_id[1:]), [enc(g) for g in step.grad_output_tensors]]
                 for step in call.trace.steps]
        calls.append({"kind": call.kind, "line": call.line, "label": call.label,
                      "nodes": nodes, "steps": steps,
                      "results": [_enc_data(r) for r in call.results]})
    names = evaluation.names()
    tensors = {name: enc(t) for name, t in names.items() if not name.startswith("_")}
    grads = {name: enc(t.grad) for name, t in names.items()
             if not name.startswith("_") and t.is_leaf and t.requires_grad}
    return {"error": None, "calls": calls, "tensors": tensors, "grads": grads}
