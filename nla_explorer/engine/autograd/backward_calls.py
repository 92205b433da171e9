"""The program's own backward calls, run exactly as torch runs them, each recorded with its graph.

``y.backward(v)``, ``torch.autograd.backward(...)`` and ``torch.autograd.grad(...)`` are called with the
program's own arguments (``gradient=``, ``retain_graph=``, ``create_graph=``, ``inputs=``...), so the
order of the steps, the gradients, the accumulation into ``.grad`` and every error are torch's. The
graph is captured just before the call (a call without ``retain_graph`` frees the saved tensors).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable

import torch

from nla_explorer.engine.autograd.capture import capture
from nla_explorer.engine.errors import CaptureError
from nla_explorer.engine.autograd.graph import AutogradGraph
from nla_explorer.engine.autograd.local_jacobian import JacobianKeeper, wants_jacobians
from nla_explorer.engine.autograd.orders import marking_created
from nla_explorer.engine.autograd.recorder import ForwardRecorder
from nla_explorer.engine.tensors import TensorData, snapshot
from nla_explorer.engine.autograd.trace import BackwardTrace, Snapshots, record_steps, steps_from
from nla_explorer.engine.autograd.walk import autograd_nodes, is_leaf_node, node_ids, output_node

#: Where each call keeps its outputs, seed gradients and inputs (positionally, then by keyword).
_ARGUMENTS = {
    "backward": (("tensors", "grad_tensors", "retain_graph", "create_graph", "grad_variables",
                  "inputs"), {"gradient": "grad_tensors"}),
    "grad": (("outputs", "inputs", "grad_outputs", "retain_graph", "create_graph"), {}),
}


@dataclass(frozen=True, eq=False)
class BackwardCall:
    """One backward call of the program: what it ran on and the steps torch took.

    ``graph`` is the graph of the first output as it was just before the call; ``trace`` its steps in
    torch's order and, per leaf, ``.grad`` after the call (for ``grad()``: the returned gradient of
    each input leaf). ``results`` holds what ``grad()`` returned (empty for ``backward``).
    """

    kind: str  # "backward" or "grad"
    line: int | None
    block_id: str
    label: str  # "f.backward()" — how the call is named in the window
    output_name: str | None  # the variable the call differentiates (its first output)
    graph: AutogradGraph
    trace: BackwardTrace
    results: tuple[TensorData | None, ...] = ()


def call_arguments(kind: str, form: str, args: tuple, kwargs: dict) -> dict[str, object]:
    """The call's arguments by their torch names (``y.backward(v)`` → ``tensors=y, grad_tensors=v``)."""
    names, aliases = _ARGUMENTS[kind]
    if form == ".backward":  # Tensor.backward(gradient, retain_graph, create_graph, inputs=)
        names = ("tensors", "grad_tensors", "retain_graph", "create_graph")
    bound = dict(zip(names, args))
    for key, value in kwargs.items():
        bound[aliases.get(key, key)] = value
    return bound


def _first(value: object) -> object:
    if isinstance(value, (tuple, list)):
        return value[0] if value else None
    return value


def _as_tuple(value: object) -> tuple:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def run_backward_call(kind: str, form: str, call: Callable, args: tuple, kwargs: dict, *,
                      names: dict[str, object], recorder: ForwardRecorder | None, limit: int,
                      line: int | None, block_id: str, label: str,
                      output_name: str | None, module_of=None, jacobians: bool = True,
                      ) -> tuple[object, BackwardCall | None]:
    """Run ``call(*args, **kwargs)`` (torch's own function) and record it.

    Returns what the call returned and its record; the record is ``None`` when the first output has no
    graph (torch's call then raises its own error, which propagates like any other).
    """
    bound = call_arguments(kind, form, args, kwargs)
    outputs = _as_tuple(bound.get("tensors" if kind == "backward" else "outputs"))
    output = outputs[0] if outputs else None
    root = output_node(output) if isinstance(output, torch.Tensor) else None
    if root is None:
        return call(*args, **kwargs), None
    more = tuple(t for t in outputs[1:] if isinstance(t, torch.Tensor))
    more_roots = [fn for fn in (output_node(t) for t in more) if fn is not None]
    options = {"names": names, "recorder": recorder, "limit": limit, "more_outputs": more,
               "module_of": module_of}
    try:
        graph = capture(output, **options)
    except CaptureError:  # saved tensors freed: torch raises its own error, unless it needs none
        graph = capture(output, freed_ok=True, **options)
    fns = autograd_nodes(root, *more_roots, makers=True)
    ids = node_ids(fns)
    result: list[object] = []
    keeper = JacobianKeeper()  # each small step's local Jacobian, while its saved tensors live
    # a graph the call creates is the program's: its Nodes get their order, maker and values
    with marking_created(fns, (root, *more_roots), recorder) if bound.get("create_graph") else nullcontext():
        watch = jacobians and wants_jacobians(fns)  # only for calls kept, of course-sized graphs
        with keeper.watching(fns) if watch else nullcontext():
            raw = record_steps(fns, lambda: result.append(call(*args, **kwargs)), copies=True)
    snap = Snapshots(limit)
    seed = _first(bound.get("grad_tensors" if kind == "backward" else "grad_outputs"))
    if not isinstance(seed, torch.Tensor):
        seed = torch.ones_like(output)
    returned = result[0]
    results: tuple[TensorData | None, ...] = ()
    if kind == "grad":
        values = _as_tuple(returned)
        results = tuple(None if v is None else snapshot(v, limit) for v in values)
        by_input = {id(t): r for t, r in zip(_as_tuple(bound.get("inputs")), results)}
        leaf_grads = {ids[fn]: by_input[id(fn.variable)] for fn in fns
                      if is_leaf_node(fn) and by_input.get(id(fn.variable)) is not None}
    else:
        leaf_grads = {ids[fn]: snapshot(fn.variable.grad, limit) for fn in fns
                      if is_leaf_node(fn) and fn.variable.grad is not None}
    # snapshot() copies now (the program may change .grad later); ``snap`` caches by identity, for
    # the step tensors the trace keeps alive.
    trace = BackwardTrace(steps_from(raw, ids, snap), leaf_grads, snapshot(seed, limit),
                          keeper.by_id(ids))
    return returned, BackwardCall(kind, line, block_id, label, output_name, graph, trace, results)
