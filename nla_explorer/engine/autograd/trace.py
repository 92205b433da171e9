"""Backward trace: run one backward pass with a hook on every Node and record each step.

Steps are recorded in torch's real execution order (post-hooks fire right after a Node runs).
Leaves' ``.grad`` are restored afterwards, so tracing never changes the user's tensors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from contextlib import nullcontext

import torch

from nla_explorer.engine.errors import CaptureError
from nla_explorer.engine.autograd.gc_pause import paused_gc
from nla_explorer.engine.autograd.local_jacobian import (
    JacobianKeeper, NodeJacobian, wants_jacobians,
)
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT, TensorData, snapshot
from nla_explorer.engine.autograd.walk import LAST_WALK, autograd_nodes, node_ids, output_node

_ACCUMULATE_GRAD = torch._C._functions.AccumulateGrad  # a leaf's Node


class BackwardStep:
    """One Node's execution.

    ``grad_outputs``: the gradient flowing in, w.r.t. the node's output(s).
    ``grad_inputs``: the gradients it sends, one per input slot (``None`` where no gradient flows).
    The gradients are kept as detached tensors and copied into :class:`TensorData` on first access:
    a trace of 15,000 steps costs little until someone looks at the steps.
    """

    __slots__ = ("index", "node_id", "_outs", "_ins", "_snap", "_outs_data", "_ins_data")

    def __init__(self, index: int, node_id: str, grad_outputs: tuple, grad_inputs: tuple,
                 snap: "Snapshots") -> None:
        self.index = index
        self.node_id = node_id
        self._outs, self._ins, self._snap = grad_outputs, grad_inputs, snap
        self._outs_data: tuple[TensorData | None, ...] | None = None
        self._ins_data: tuple[TensorData | None, ...] | None = None

    @classmethod
    def restored(cls, index: int, node_id: str, grad_outputs: tuple, grad_inputs: tuple,
                 snap: "Snapshots") -> "BackwardStep":
        """A step rebuilt from plain data: each gradient a tensor, a :class:`TensorData` (a large
        one sent as its summary) or ``None``."""
        def tensors(items: tuple) -> tuple:
            return tuple(g if isinstance(g, torch.Tensor) else None for g in items)

        def data(items: tuple) -> tuple:
            return tuple(g if isinstance(g, TensorData) or g is None else snap(g) for g in items)
        step = cls(index, node_id, tensors(grad_outputs), tensors(grad_inputs), snap)
        if any(isinstance(g, TensorData) for g in grad_outputs):
            step._outs_data = data(grad_outputs)
        if any(isinstance(g, TensorData) for g in grad_inputs):
            step._ins_data = data(grad_inputs)
        return step

    @property
    def grad_outputs(self) -> tuple[TensorData | None, ...]:
        if self._outs_data is None:
            self._outs_data = self._snap.all(self._outs)
        return self._outs_data

    @property
    def incoming(self) -> TensorData | None:
        """The gradient arriving: of the one output that got one (logdet's slogdet: the second)."""
        return next((g for g in self.grad_outputs if g is not None), None)

    @property
    def grad_output_tensors(self) -> tuple[torch.Tensor | None, ...]:
        """The incoming gradients as torch handed them to the node (for bitwise comparisons)."""
        return self._outs

    @property
    def grad_input_tensors(self) -> tuple[torch.Tensor | None, ...]:
        """The gradients the node sent, as torch computed them."""
        return self._ins

    @property
    def grad_inputs(self) -> tuple[TensorData | None, ...]:
        if self._ins_data is None:
            self._ins_data = self._snap.all(self._ins)
        return self._ins_data

    def __repr__(self) -> str:
        return f"BackwardStep({self.index}, {self.node_id!r})"


class Snapshots:
    """Snapshots of the trace's gradient tensors by identity (the trace keeps them alive)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._by_id: dict[int, TensorData] = {}

    def __call__(self, tensor: torch.Tensor) -> TensorData:
        hit = self._by_id.get(id(tensor))
        if hit is None:
            hit = self._by_id[id(tensor)] = snapshot(tensor, self.limit)
        return hit

    def all(self, tensors: tuple) -> tuple[TensorData | None, ...]:
        if len(tensors) == 1:  # (most Nodes have one output: 75,000 boxes ask)
            t = tensors[0]
            return (None if t is None else self(t),)
        return tuple(None if t is None else self(t) for t in tensors)


@dataclass(frozen=True, eq=False)
class BackwardTrace:
    """The steps in execution order, each leaf's final gradient and each small step's local
    Jacobian (by node id)."""

    steps: tuple[BackwardStep, ...]
    leaf_grads: dict[str, TensorData]
    grad_output: TensorData
    jacobians: dict[str, NodeJacobian] = field(default_factory=dict)
    _index: dict[str, BackwardStep] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[str, BackwardStep] = {}
        for step in self.steps:
            index.setdefault(step.node_id, step)
        object.__setattr__(self, "_index", index)  # frozen: set once, here

    def __len__(self) -> int:
        return len(self.steps)

    def step_of(self, node_id: str) -> BackwardStep | None:
        return self._index.get(node_id)

    def node_grad(self, node_id: str) -> TensorData | None:
        """The gradient w.r.t. a node's (first) output: a leaf's final grad or an op's incoming grad."""
        if node_id in self.leaf_grads:
            return self.leaf_grads[node_id]
        step = self.step_of(node_id)
        return step.incoming if step is not None else None


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
    # Ones for a one-element output are torch's own implicit gradient: let torch make them (an
    # explicit gradient imports sympy in torch's first backward of the process, 0.2 s).
    implicit = grad_output is None and tensor.numel() == 1 and tensor.dtype.is_floating_point
    if grad_output is None:
        grad_output = torch.ones_like(tensor)
    elif tuple(grad_output.shape) != tuple(tensor.shape):
        raise CaptureError(f"grad_output has shape {tuple(grad_output.shape)}, "
                           f"the output has shape {tuple(tensor.shape)}")
    with paused_gc():
        return _run(tensor, root, grad_output.detach().clone(), Snapshots(limit), implicit)


def _step_hook(raw: list, copies: bool):
    """One post-hook for every Node: the Node that just ran is torch's current autograd node,
    so no per-Node closure is made (a 75,000-node graph registers 75,000 hooks)."""
    current, append = torch._C._current_autograd_node, raw.append

    if not copies:
        def hook(grad_inputs, grad_outputs) -> None:
            append((current(), grad_inputs, grad_outputs))
        return hook

    def copy(ts):
        return tuple(None if t is None else t.detach().clone() for t in ts)

    def hook_copying(grad_inputs, grad_outputs) -> None:
        # copies: a real program may change a gradient later (``x.grad.zero_()``, accumulation)
        append((current(), copy(grad_inputs), copy(grad_outputs)))
    return hook_copying


def record_steps(fns: list, run, copies: bool = False) -> list[tuple[object, tuple, tuple]]:
    """Call ``run()`` with a post-hook on every Node of ``fns``: ``(fn, grad_inputs, grad_outputs)``
    in torch's execution order. No hook is left behind, whatever ``run`` raises."""
    raw: list[tuple[object, tuple, tuple]] = []
    hook = _step_hook(raw, copies)
    handles = []
    add = handles.append
    try:
        for fn in fns:
            add(fn.register_hook(hook))
        run()
    finally:
        for h in handles:
            h.remove()
    return raw


def steps_from(raw: list, ids: dict, snap: "Snapshots") -> tuple[BackwardStep, ...]:
    return tuple([BackwardStep(i, ids[fn], gouts, gins, snap)
                  for i, (fn, gins, gouts) in enumerate(raw)])


def _run(tensor, root, grad_output, snap: Snapshots, implicit: bool = False) -> BackwardTrace:
    fns = LAST_WALK.recall(tensor, root) or autograd_nodes(root)  # (captured just before)
    ids = node_ids(fns)
    leaf_fns = [fn for fn in fns if type(fn) is _ACCUMULATE_GRAD]
    leaves = [fn.variable for fn in leaf_fns]
    before = [leaf.grad for leaf in leaves]
    try:
        for leaf in leaves:
            leaf.grad = None
        keeper = JacobianKeeper()
        try:
            with keeper.watching(fns) if wants_jacobians(fns) else nullcontext():
                raw = record_steps(fns, lambda: torch.autograd.backward(
                    tensor, grad_tensors=None if implicit else grad_output, retain_graph=True))
        except RuntimeError as exc:
            raise CaptureError(f"backward failed: {str(exc).splitlines()[0]}") from exc
        leaf_grads = {
            ids[fn]: snap(leaf.grad)
            for fn, leaf in zip(leaf_fns, leaves)
            if leaf.grad is not None
        }
    finally:
        for leaf, old in zip(leaves, before):
            leaf.grad = old
    return BackwardTrace(steps_from(raw, ids, snap), leaf_grads, snap(grad_output),
                         keeper.by_id(ids))
