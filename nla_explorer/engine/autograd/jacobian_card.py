"""The local Jacobian on a backward step card: J = ∂out/∂in per input, gᵀJ, and the check that
gᵀJ is what torch sent.

The trace keeps each small step's Jacobian (``local_jacobian``); this module reads it for one step:
the size the card may show is the user's ``jacobian_limit`` preference (:func:`JacobianPart.hidden`).
For an elementwise op (``a ⊙ b``, ``exp``, ``relu``...) with input and output of one shape, J is
diagonal: the card says so and shows only the diagonal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nla_explorer.engine.autograd.local_jacobian import MAX_ENTRIES, LocalJacobian, NodeJacobian
from nla_explorer.engine.ops import CATALOGUE
from nla_explorer.engine.tensors import TensorData

#: The default ``jacobian_limit``: the most entries of one J a card shows (64×64).
JACOBIAN_LIMIT = 4096
#: Ops whose every output element depends on the same element of each input (no broadcasting).
ELEMENTWISE_OPS = ("add", "sub", "mul", "div", "pow", "neg", "abs", "sqrt", "exp", "log", "sin",
                   "cos", "maximum", "clamp", "relu", "sigmoid", "tanh")
#: Their backward nodes by base name (``Mul``, ``Pow1``), and the copies torch makes.
ELEMENTWISE_NODES = frozenset(rule.node for key in ELEMENTWISE_OPS
                              for rule in CATALOGUE[key].nodes) | {"Clone"}


@dataclass(frozen=True, eq=False)
class JacobianPart:
    """One input's local Jacobian on the card: ``J`` (out elements × in elements, or its diagonal
    for an elementwise op), ``product`` = gᵀJ shaped like the input, and ``matches``: whether that
    is the gradient torch sent (None when either is only a summary). ``note``: why J is missing."""

    slot: int
    label: str  # the input (``A``)
    target: str  # its gradient (``∂f/∂A``)
    rows: int
    cols: int
    jacobian: TensorData | None = None  # rows×cols, or the diagonal shaped like the output
    elementwise: bool = False
    product: TensorData | None = None
    matches: bool | None = None
    note: str = ""

    @property
    def entries(self) -> int:
        return self.rows * self.cols

    def hidden(self, limit: int = JACOBIAN_LIMIT) -> str:
        """Why the card does not show this J (empty: it shows it)."""
        if self.entries > min(limit, MAX_ENTRIES):
            return (f"Jacobian not shown: {self.rows}×{self.cols} entries above the limit "
                    f"(Preferences)")
        if self.jacobian is None:
            return self.note or "Jacobian not recorded for this step"
        return ""


def jacobian_parts(found: NodeJacobian | None, incoming: TensorData | None,
                   sent: list[TensorData | None], labels: list[str], targets: list[str],
                   op_base: str) -> tuple[JacobianPart, ...]:
    """The card's parts, one per input that got a gradient (``sent[slot]`` not None)."""
    if incoming is None:
        return ()
    parts = []
    for slot, grad in enumerate(sent):
        if grad is None:
            continue
        local = found.part(slot) if found is not None else None
        parts.append(_part(slot, local, incoming, grad, labels[slot], targets[slot], op_base,
                           found.note if found is not None else ""))
    return tuple(parts)


def _part(slot: int, local: LocalJacobian | None, incoming: TensorData, sent: TensorData,
          label: str, target: str, op_base: str, note: str) -> JacobianPart:
    rows, cols = incoming.numel, sent.numel
    if local is None:
        return JacobianPart(slot, label, target, rows, cols, note=note)
    elementwise = is_diagonal(local, op_base)
    matrix = local.matrix
    shown = np.diagonal(matrix).reshape(local.out_shape) if elementwise else matrix
    product = matches = None
    if incoming.values is not None:
        value = local.vjp(incoming.values)
        product = TensorData(local.in_shape, "float64", "cpu", _frozen(value))
        if sent.values is not None:
            matches = agrees(value, sent.values, sent.dtype)
    return JacobianPart(slot, label, target, rows, cols, _data(shown), elementwise, product,
                        matches)


def is_diagonal(local: LocalJacobian, op_base: str) -> bool:
    """Whether the card calls J diagonal: an elementwise op, input and output of one shape with
    more than one element, and (checked) nothing off the diagonal."""
    if op_base not in ELEMENTWISE_NODES or local.in_shape != local.out_shape or \
            local.matrix.shape[0] < 2:
        return False
    matrix = local.matrix
    return bool(np.all(matrix[~np.eye(matrix.shape[0], dtype=bool)] == 0))


def agrees(product: np.ndarray, sent: np.ndarray, dtype: str) -> bool:
    """gᵀJ equals torch's gradient up to the rounding of its dtype (J's rows are torch's own
    numbers; only the order of the sums differs)."""
    product = np.asarray(product, dtype=np.float64).reshape(-1)
    sent = np.asarray(sent, dtype=np.float64).reshape(-1)
    if product.shape != sent.shape:
        return False
    eps = {"float64": 1e-12, "float32": 1e-5}.get(dtype, 1e-2)
    scale = max(1.0, float(np.nanmax(np.abs(sent), initial=0.0)))
    return bool(np.allclose(product, sent, rtol=eps * 10, atol=eps * 10 * scale, equal_nan=True))


def _data(values: np.ndarray) -> TensorData:
    return TensorData(tuple(values.shape), "float64", "cpu", _frozen(values))


def _frozen(values: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=np.float64)
    out.setflags(write=False)
    return out
