"""Finite-difference check: each leaf's autograd gradient against central differences."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch

from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.code.evaluation import evaluate
from nla_explorer.engine.expression import Block, Expression
from nla_explorer.engine.pipeline import Exploration
from nla_explorer.engine.tensors import TensorData, snapshot
from nla_explorer.engine.autograd.walk import autograd_nodes, is_leaf_node, node_ids, output_node

#: Default step by the dtype the differences are computed in; tolerance by the leaf's dtype.
EPS = {"float64": 1e-6, "float32": 1e-3}
RTOL = {"float64": 1e-6, "float32": 1e-2}


@dataclass(frozen=True, eq=False)
class LeafCheck:
    """Autograd's gradient of one leaf beside the central-difference estimate.

    ``checked`` is False (and ``ok`` False, ``numerical`` None) when the leaf was skipped; ``note``
    says why, or in which dtype the differences were computed.
    """

    name: str
    node_id: str
    autograd: TensorData
    numerical: TensorData | None
    max_abs_error: float
    relative_error: float
    ok: bool
    checked: bool = True
    note: str = ""


class _Model:
    """The exploration's output as a function of one leaf, everything else frozen."""

    def __init__(self, expression: Expression, frozen: dict[str, torch.Tensor],
                 grad_output: torch.Tensor, dtype: torch.dtype | None) -> None:
        self.frozen = {k: _cast(v, dtype) for k, v in frozen.items()}
        self.grad_output = grad_output.double()
        self.expression = expression
        self.dtype = dtype

    def loss(self, leaf_blocks: tuple[str, ...], value: torch.Tensor) -> float:
        inputs = dict(self.frozen)
        for block_id in leaf_blocks:
            inputs[block_id] = value
        with torch.no_grad():
            out = evaluate(self.expression, inputs=inputs, backward=False).output
        if self.dtype is not None and out.dtype != self.dtype:
            raise ValueError(f"the output is {out.dtype}, not {self.dtype}")
        return float((out.double() * self.grad_output).sum())


def _cast(t: torch.Tensor, dtype: torch.dtype | None) -> torch.Tensor:
    t = t.detach()
    return t.to(dtype) if dtype is not None and t.is_floating_point() else t


def _frozen_expression(expression: Expression, tensors: dict[str, torch.Tensor]) -> Expression:
    """Every block whose tensor is not computed from a leaf becomes an ``input`` of its own id."""
    blocks = []
    for block in expression.blocks:
        t = tensors.get(block.id)
        if t is not None and (not t.requires_grad or t.is_leaf):
            block = Block(block.id, "input", (block.id,), name=block.name, line=block.line)
        blocks.append(block)
    return replace(expression, blocks=tuple(blocks))


def finite_difference_check(exploration: Exploration, eps: float | None = None,
                            max_elements: int = 200, rtol: float | None = None,
                            atol: float | None = None) -> list[LeafCheck]:
    """Check every leaf of ``exploration`` by central differences (L = Σ output · grad_output).

    Computed in float64 when the expression allows it (``eps`` 1e-6), else in the leaf's dtype
    (``eps`` 1e-3 for float32). ``ok`` when the largest error is below ``rtol`` times the largest
    gradient entry, or below ``atol``. Leaves with more than ``max_elements`` elements are skipped.
    """
    evaluation, graph, trace = exploration.evaluation, exploration.graph, exploration.trace
    tensors = evaluation.tensors
    root = output_node(evaluation.output)
    if root is None:
        return []
    ids = node_ids(autograd_nodes(root))
    leaf_tensors = {ids[fn]: fn.variable for fn in ids if is_leaf_node(fn)}
    expression = _frozen_expression(evaluation.expression, tensors)
    go_data = trace.grad_output
    grad_output = (torch.from_numpy(np.array(go_data.values)) if go_data.values is not None
                   else torch.ones_like(evaluation.output))
    wide = _Model(expression, tensors, grad_output, torch.float64)
    native = _Model(expression, tensors, grad_output, None)
    results = []
    for node in graph.leaves:
        leaf = leaf_tensors.get(node.id)
        name = node.name or node.label
        autograd = trace.leaf_grads.get(node.id)
        step = trace.step_of(node.id)
        if exploration.call_index and step is not None and step.grad_outputs:
            autograd = step.grad_outputs[0]  # this call's part: x.grad holds earlier calls' too
        if leaf is None:
            continue
        if autograd is None:
            autograd = snapshot(torch.zeros_like(leaf))
        blocks = tuple(k for k, v in tensors.items() if v is leaf)
        if not blocks:
            results.append(_skipped(name, node.id, autograd,
                                    "the leaf is not a tensor of the code"))
        elif leaf.numel() > max_elements:
            results.append(_skipped(name, node.id, autograd,
                                    f"{leaf.numel()} elements: more than {max_elements}"))
        elif autograd.values is None:
            results.append(_skipped(name, node.id, autograd, "the gradient is too large to keep"))
        else:
            results.append(_check_leaf(name, node.id, leaf, blocks, autograd, (wide, native),
                                       eps, rtol, atol))
    return results


def _skipped(name: str, node_id: str, autograd: TensorData, note: str) -> LeafCheck:
    return LeafCheck(name, node_id, autograd, None, math.nan, math.nan, False, False,
                     f"not checked: {note}")


def _check_leaf(name: str, node_id: str, leaf: torch.Tensor, blocks: tuple[str, ...],
                autograd: TensorData, models: tuple[_Model, _Model], eps: float | None,
                rtol: float | None, atol: float | None) -> LeafCheck:
    numerical = None
    dtype_name = ""
    for model, dtype in zip(models, (torch.float64, leaf.dtype)):
        dtype_name = str(dtype).removeprefix("torch.")
        step = eps if eps is not None else EPS.get(dtype_name, 1e-3)
        try:
            numerical = _central_differences(model, blocks, leaf.detach().to(dtype), step)
            break
        except (EngineError, RuntimeError, TypeError, ValueError):
            numerical = None
    if numerical is None:
        return _skipped(name, node_id, autograd, "the expression could not be re-evaluated")
    auto = np.asarray(autograd.values, dtype=np.float64).reshape(numerical.shape)
    max_abs = float(np.max(np.abs(auto - numerical))) if numerical.size else 0.0
    scale = float(max(np.max(np.abs(auto), initial=0.0), np.max(np.abs(numerical), initial=0.0)))
    relative = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else math.inf)
    leaf_dtype = str(leaf.dtype).removeprefix("torch.")
    tol = rtol if rtol is not None else RTOL.get(leaf_dtype, 1e-2)
    floor = atol if atol is not None else tol * 1e-3
    ok = bool(relative < tol or max_abs < floor)
    data = snapshot(torch.from_numpy(numerical))
    return LeafCheck(name, node_id, autograd, data, max_abs, relative, ok, True,
                     f"central differences in {dtype_name}")


def _central_differences(model: _Model, blocks: tuple[str, ...], base: torch.Tensor,
                         eps: float) -> np.ndarray:
    flat = base.reshape(-1)
    out = np.zeros(flat.numel(), dtype=np.float64)
    for i in range(flat.numel()):
        plus, minus = flat.clone(), flat.clone()
        plus[i] += eps
        minus[i] -= eps
        f_plus = model.loss(blocks, plus.reshape(base.shape))
        f_minus = model.loss(blocks, minus.reshape(base.shape))
        out[i] = (f_plus - f_minus) / (2 * eps)
    if not math.isfinite(float(out.sum())):
        raise ValueError("the differences are not finite")
    return out.reshape(tuple(base.shape))
