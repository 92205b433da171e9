"""Backward trace: run one backward pass with a hook on every Node and record each step.

Steps are recorded in torch's real execution order (post-hooks fire right after a Node runs).
Leaves' ``.grad`` are restored afterwards, so tracing never changes the user's tensors.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nla_explorer.engine.errors import CaptureError
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT, TensorData, snapshot
from nla_explorer.engine.walk import autograd_nodes, is_leaf_node, node_ids, output_node


@dataclass(frozen=True, eq=False)
class BackwardStep:
    """One Node's execution.

    ``grad_outputs``: the gradient flowing in, w.r.t. the node's output(s).
    ``grad_inputs``: the gradients it sends, one per input slot (``None`` where no gradient flows).
    """

    index: int
    node_id: str
    grad_outputs: tuple[TensorData | None, ...]
    grad_inputs: tuple[TensorData | None, ...]


@dataclass(frozen=True, eq=False)
class BackwardTrace:
    """The steps in execution order and each leaf's final gradient (by node id)."""

    steps: tuple[BackwardStep, ...]
    leaf_grads: dict[str, TensorData]
    grad_output: TensorData

    def __len__(self) -> int:
        return len(self.steps)

    def step_of(self, node_id: str) -> BackwardStep | None:
        for step in self.steps:
            if step.node_id == node_id:
                return step
        return None

    def node_grad(self, node_id: str) -> TensorData | None:
        """The gradient w.r.t. a node's (first) output: a leaf's final grad or an op's incoming grad."""
        if node_id in self.leaf_grads:
            return self.leaf_grads[node_id]
        step = self.step_of(node_id)
        return step.grad_outputs[0] if step is not None and step.grad_outputs else None


def trace_backward(
    tensor: torch.Tensor,
    grad_output: torch.Tensor | None = None,
    limit: int = FULL_VALUE_LIMIT,
) -> BackwardTrace:
    """Run ``tensor.backward(grad_output)`` once, recording every Node's gradients.

    A non-scalar output gets a ``grad_output`` of ones. The graph is retained (trace again at will)
    and no hook is left behind.
    """
    root = output_node(tensor) if isinstance(tensor, torch.Tensor) else None
    if root is None:
        raise CaptureError("the output does not require grad: there is no backward pass to trace")
    if grad_output is None:
        grad_output = torch.ones_like(tensor)
    elif tuple(grad_output.shape) != tuple(tensor.shape):
        raise CaptureError(f"grad_output has shape {tuple(grad_output.shape)}, "
                           f"the output has shape {tuple(tensor.shape)}")
    fns = autograd_nodes(root)
    ids = node_ids(fns)
    leaves = [fn.variable for fn in fns if is_leaf_node(fn)]
    raw: list[tuple[object, tuple, tuple]] = []
    handles = []

    def make_hook(fn):
        def hook(grad_inputs, grad_outputs):
            raw.append((fn, grad_inputs, grad_outputs))
        return hook

    before = [leaf.grad for leaf in leaves]
    try:
        for fn in fns:
            handles.append(fn.register_hook(make_hook(fn)))
        for leaf in leaves:
            leaf.grad = None
        try:
            torch.autograd.backward(tensor, grad_tensors=grad_output, retain_graph=True)
        except RuntimeError as exc:
            raise CaptureError(f"backward failed: {str(exc).splitlines()[0]}") from exc
        leaf_grads = {
            ids[fn]: snapshot(fn.variable.grad, limit)
            for fn in fns
            if is_leaf_node(fn) and fn.variable.grad is not None
        }
    finally:
        for h in handles:
            h.remove()
        for leaf, old in zip(leaves, before):
            leaf.grad = old
    steps = tuple(
        BackwardStep(i, ids[fn], _snap_all(gouts, limit), _snap_all(gins, limit))
        for i, (fn, gins, gouts) in enumerate(raw)
    )
    return BackwardTrace(steps, leaf_grads, snapshot(grad_output, limit))


def _snap_all(grads, limit: int) -> tuple[TensorData | None, ...]:
    return tuple(None if g is None else snapshot(g, limit) for g in grads)
