"""What Run as Python shows for a program, in the oracle's JSON form (:mod:`tests.engine.oracle`).

``run_record(result)`` turns a :class:`RunResult` (as it came back over the pipe) into the fields
the oracle records from plain CPython, so that :func:`tests.engine.test_differential.assert_same`
compares them bit for bit. A long loop keeps some calls: ``numbers`` says which of the oracle's.
"""

from __future__ import annotations

import numpy as np
import torch

from nla_explorer.engine.runner.result import RunResult
from tests.engine.app_record import enc


def _enc_data(data) -> list | None:
    if data is None or data.values is None:
        return None
    return enc(torch.from_numpy(np.array(data.values)))


def run_record(result: RunResult, names: set[str] | None = None) -> dict:
    """The oracle's fields; ``names`` limits tensors and grads to the oracle's globals."""
    if result.error is not None:
        error = result.error
        return {"error": {"type": error.type, "message": error.message, "line": error.line},
                "calls": [], "tensors": {}, "grads": {}}
    calls = []
    for call in result.calls:
        nodes = [node.op for node in call.graph.nodes]
        steps = [[int(step.node_id[1:]), [enc(g) for g in step.grad_output_tensors]]
                 for step in call.trace.steps]
        calls.append({"kind": call.kind, "line": call.line, "nodes": nodes, "steps": steps,
                      "results": [_enc_data(r) for r in call.results]})
    keep = (lambda n: n in names) if names is not None else (lambda n: "." not in n)
    tensors = {n: _enc_data(t) for n, t in (result.tensors or {}).items() if keep(n)}
    grads = {n: _enc_data(g) for n, g in (result.final_grads or {}).items() if keep(n)}
    return {"error": None, "calls": calls, "tensors": tensors, "grads": grads}


def kept_of(expected: dict, result: RunResult) -> dict:
    """The oracle's record with only the calls the run kept (by their numbers)."""
    calls = [expected["calls"][n - 1] for n in result.call_numbers]
    return {**expected, "calls": calls}
