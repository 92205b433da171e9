"""Local Jacobians of backward steps: ∂out/∂in of one node, worked out while its backward runs.

A node's backward is linear in the gradient arriving: sending the unit vector eᵢ back through the
node gives row i of its local Jacobian J (``J[i, j] = ∂outᵢ/∂inⱼ`` at the recorded forward inputs).
The rows are worked out in a post-hook, right after torch ran the node and before it frees the
tensors the node saved, so a program's own ``backward()`` without ``retain_graph`` has them too.
This is torch's own derivative of that node (the same rows ``torch.func.jacrev`` stacks), for
every kind of node; only small nodes are done (:data:`MAX_ENTRIES`), and one backward pass spends
at most :data:`MAX_ROWS` extra node calls, so tracing stays cheap.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
from torch.utils._python_dispatch import _disable_current_modes

from nla_explorer.engine.autograd.custom_functions import CUSTOM_FUNCTIONS
from nla_explorer.engine.autograd.walk import is_leaf_node

#: The most entries (out elements × in elements) of one input's Jacobian that a trace keeps: the
#: ceiling of the ``jacobian_limit`` preference.
MAX_ENTRIES = 16_384
#: The most node calls (Jacobian rows) one backward pass spends on Jacobians, all nodes together.
MAX_ROWS = 8_192


@dataclass(frozen=True, eq=False)
class LocalJacobian:
    """∂out/∂in of input ``slot`` of a node: ``matrix`` has one row per output element and one
    column per input element (both in row-major order)."""

    slot: int
    out_shape: tuple[int, ...]
    in_shape: tuple[int, ...]
    matrix: np.ndarray  # float64, (numel(out), numel(in))

    @property
    def entries(self) -> int:
        return self.matrix.size

    def vjp(self, grad: np.ndarray) -> np.ndarray:
        """gᵀJ, shaped like the input: what the step sends to this input for the gradient ``grad``."""
        flat = np.asarray(grad, dtype=np.float64).reshape(-1)
        return (flat @ self.matrix).reshape(self.in_shape)


@dataclass(frozen=True, eq=False)
class NodeJacobian:
    """The local Jacobians of one backward node, one per input that got a gradient and is small
    enough; ``note`` says why one is missing (too large, too many steps, the program's own code)."""

    node_id: str
    parts: tuple[LocalJacobian, ...] = ()
    note: str = ""

    def part(self, slot: int) -> LocalJacobian | None:
        return next((p for p in self.parts if p.slot == slot), None)


#: Graphs up to this many nodes get their steps' local Jacobians worked out during the traced
#: backward; a bigger model (a transformer, an unrolled RNN) is not stepped card by card, and the
#: unit vectors would cost more than the whole backward.
JACOBIAN_GRAPHS_UP_TO = 2_000


def wants_jacobians(fns: list) -> bool:
    """Are the local Jacobians of this graph's steps worth working out?"""
    return len(fns) <= JACOBIAN_GRAPHS_UP_TO


class JacobianKeeper:
    """Post-hooks that record each small node's local Jacobian during one backward pass.

    ``with keeper.watching(fns): run()``, then ``keeper.by_id(ids)``. A hook never raises: what
    cannot be worked out becomes a note, and the program's backward goes on as torch runs it.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES, max_rows: int = MAX_ROWS) -> None:
        self.max_entries, self.max_rows, self.rows_left = max_entries, max_rows, max_rows
        self._found: dict[object, tuple[tuple[LocalJacobian, ...], str]] = {}

    @contextmanager
    def watching(self, fns: list) -> Iterator["JacobianKeeper"]:
        handles = []
        try:
            for fn in fns:
                if not is_leaf_node(fn):
                    handles.append(fn.register_hook(self._hook_for(fn)))
            yield self
        finally:
            for handle in handles:
                handle.remove()

    def by_id(self, ids: dict) -> dict[str, NodeJacobian]:
        """What was found, by the graph's node ids."""
        return {ids[fn]: NodeJacobian(ids[fn], parts, note)
                for fn, (parts, note) in self._found.items() if fn in ids}

    def _hook_for(self, fn):
        def hook(grad_inputs, grad_outputs) -> None:
            if fn in self._found:  # a node runs once per pass; keep the first
                return
            try:
                self._found[fn] = self._jacobians(fn, grad_inputs, grad_outputs)
            except Exception as exc:  # noqa: BLE001 — the user's backward must go on
                self._found[fn] = ((), f"Jacobian not worked out: {type(exc).__name__}: {exc}")
        return hook

    def _jacobians(self, fn, grad_inputs: tuple, grad_outputs: tuple,
                   ) -> tuple[tuple[LocalJacobian, ...], str]:
        outs = [k for k, g in enumerate(grad_outputs) if g is not None]
        if len(outs) != 1:  # several outputs each sent a gradient (one alone: eigvalsh's)
            return (), f"Jacobian not shown: the node has {len(grad_outputs)} outputs"
        grad = grad_outputs[outs[0]]
        if not grad.dtype.is_floating_point or grad.layout != torch.strided:
            return (), f"Jacobian not shown: the gradient is {grad.dtype} ({grad.layout})"
        own = getattr(fn, "_forward_cls", None)
        if isinstance(fn, torch.autograd.function.BackwardCFunction) and \
                own not in CUSTOM_FUNCTIONS.values():
            return (), ("Jacobian not shown: the program's own backward would run again "
                        "(it may print or change state)")
        rows = grad.numel()
        slots = [k for k, g in enumerate(grad_inputs)
                 if isinstance(g, torch.Tensor) and g.dtype.is_floating_point
                 and rows * g.numel() <= self.max_entries]
        if not slots:
            return (), ""  # too large: the card says so from the shapes
        if rows > self.rows_left:
            return (), ("Jacobian not kept: this backward pass already spent its budget of "
                        f"{self.max_rows} Jacobian rows on other steps")
        self.rows_left -= rows
        matrices = _rows(fn, grad, slots, [grad_inputs[k] for k in slots],
                         (outs[0], len(grad_outputs)))
        parts = tuple(LocalJacobian(k, tuple(grad.shape), tuple(grad_inputs[k].shape), m)
                      for k, m in zip(slots, matrices) if m is not None)
        return parts, ""


def _rows(fn, grad: torch.Tensor, slots: list[int], sent: list[torch.Tensor],
          output: tuple[int, int] = (0, 1)) -> list[np.ndarray | None]:
    """Send each unit vector eᵢ back through ``fn``: row i of the Jacobian of each input slot in
    ``slots`` (``sent``: what the step sent them); None where the node then sends nothing.

    The rows go through ``torch.func.vmap`` in chunks (one node call per chunk); a node vmap
    cannot batch, or whose rows do not give back what the step sent (gᵀJ), is called row by row.
    """
    call = fn.apply if isinstance(fn, torch.autograd.function.BackwardCFunction) else fn
    if output[1] > 1:  # a node of several outputs, one with a gradient: None at the others
        call = _at_output(call, *output)
    shapes = [t.shape for t in sent]
    with torch.no_grad(), _disable_current_modes(), torch._C.DisableTorchFunction():
        try:
            rows = _rows_batched(call, grad, slots, shapes)
        except Exception:  # noqa: BLE001 — a node vmap cannot batch: one row at a time
            rows = None
        if rows is None or not _gives_back(rows, grad, sent):
            rows = _rows_one_by_one(call, grad, slots, shapes)
    return rows


def _at_output(call, k: int, n: int):
    return lambda e: call(*(e if i == k else None for i in range(n)))


def _basis(grad: torch.Tensor, start: int, stop: int) -> torch.Tensor:
    """Unit vectors e_start … e_(stop−1), each shaped like ``grad``."""
    rows = torch.zeros(stop - start, grad.numel(), dtype=grad.dtype, device=grad.device)
    rows[torch.arange(stop - start), torch.arange(start, stop)] = 1
    return rows.reshape(stop - start, *grad.shape)


def _rows_batched(call, grad: torch.Tensor, slots: list[int], shapes: list[torch.Size],
                  ) -> list[np.ndarray | None]:
    first = call(_basis(grad, 0, 1)[0])
    first = first if isinstance(first, tuple) else (first,)
    present = [j for j, k in enumerate(slots)
               if k < len(first) and _summed_to(first[k], shapes[j]) is not None]

    def rows_of(e: torch.Tensor) -> tuple:
        out = call(e)
        out = out if isinstance(out, tuple) else (out,)
        return tuple(_summed_to(out[slots[j]], shapes[j]).reshape(-1) for j in present)

    m = grad.numel()
    chunk = max(1, (1 << 20) // m)  # about a million basis entries at a time
    pieces: list[list[torch.Tensor]] = [[] for _ in present]
    for start in range(0, m, chunk):
        batch = torch.func.vmap(rows_of)(_basis(grad, start, min(m, start + chunk)))
        for j, rows in enumerate(batch):
            pieces[j].append(rows)
    out: list[np.ndarray | None] = [None] * len(slots)
    for j, chunks in zip(present, pieces):
        out[j] = torch.cat(chunks).to("cpu", torch.float64).numpy()
    return out


def _rows_one_by_one(call, grad: torch.Tensor, slots: list[int], shapes: list[torch.Size],
                     ) -> list[np.ndarray | None]:
    out = [np.zeros((grad.numel(), math.prod(shape)), dtype=np.float64) for shape in shapes]
    got = [False] * len(slots)
    for i in range(grad.numel()):
        sent = call(_basis(grad, i, i + 1)[0])
        sent = sent if isinstance(sent, tuple) else (sent,)
        for j, k in enumerate(slots):
            value = _summed_to(sent[k] if k < len(sent) else None, shapes[j])
            if value is not None:
                out[j][i] = value.detach().to("cpu", torch.float64).reshape(-1).numpy()
                got[j] = True
    return [m if ok else None for m, ok in zip(out, got)]


def _gives_back(rows: list[np.ndarray | None], grad: torch.Tensor,
                sent: list[torch.Tensor]) -> bool:
    """Whether gᵀJ is what the step sent, for every input with rows (a check of the batching)."""
    g = grad.detach().to("cpu", torch.float64).reshape(-1).numpy()
    for matrix, value in zip(rows, sent):
        if matrix is None:
            continue
        want = value.detach().to("cpu", torch.float64).reshape(-1).numpy()
        scale = max(1.0, float(np.abs(want).max(initial=0.0)))
        if not np.allclose(g @ matrix, want, rtol=1e-4, atol=1e-4 * scale, equal_nan=True):
            return False
    return True


def _summed_to(value: object, shape: torch.Size) -> torch.Tensor | None:
    """``value`` in ``shape``: summed over broadcast dimensions like the engine does."""
    if not isinstance(value, torch.Tensor):
        return None
    if value.shape != shape:
        try:
            value = value.sum_to_size(shape)
        except RuntimeError:
            return value.reshape(shape) if value.numel() == math.prod(shape) else None
    return value
