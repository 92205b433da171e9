"""Named results of a program: Jacobians and Hessians of whole functions, as plain data.

Both ways of running code produce them: the safe interpreter from its ``jacobian``/``hessian``
blocks, Run as Python from the calls it watched (:mod:`runner.derivative_watch`). The views show
each as a matrix whose rows and columns are labelled by the entries they differentiate
(``x[0]``, ``x[1]``...), beside the course's closed forms where an example gives them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nla_explorer.engine.code.functions import RESULTS
from nla_explorer.engine.tensors import TensorData, snapshot

JACOBIAN, HESSIAN = "jacobian", "hessian"


@dataclass(frozen=True, eq=False)
class Derivative:
    """``H = hessian(f, x)``: its name, kind, the call and function, the input and the value."""

    name: str
    kind: str  # JACOBIAN or HESSIAN
    call: str  # torch.autograd.functional.hessian, torch.func.jacrev...
    function: str  # ``lambda x: 0.5 * x @ A @ x - b @ x``, or the def's name
    input_name: str | None
    input_shape: tuple[int, ...]
    value: TensorData
    line: int | None = None

    @property
    def output_shape(self) -> tuple[int, ...]:
        """The shape of f(x): the value's shape without the input's (Jacobian: f's rows)."""
        shape, n = tuple(self.value.shape), len(self.input_shape)
        return shape[:len(shape) - n] if self.kind == JACOBIAN else ()

    @property
    def title(self) -> str:
        """``H = ∇²f(x)`` / ``J = ∂f/∂x``, in the input's name."""
        x = self.input_name or "x"
        symbol = f"∇²f({x})" if self.kind == HESSIAN else f"∂f/∂{x}"
        return f"{self.name} = {symbol}"

    def column_labels(self) -> list[str]:
        """The input entries the columns differentiate by: ``x[0]``, ``x[1]``... (``x[0, 1]``)."""
        return entry_labels(self.input_name or "x", self.input_shape)

    def row_labels(self) -> list[str]:
        """Hessian: the input entries again; Jacobian: the entries of f(x) (``f[0]``...)."""
        if self.kind == HESSIAN:
            return self.column_labels()
        return entry_labels("f", self.output_shape)

    def matrix(self) -> np.ndarray | None:
        """The value as rows × columns (``None`` when only a summary was kept)."""
        if self.value.values is None:
            return None
        rows = math.prod(self.output_shape) if self.kind == JACOBIAN else \
            math.prod(self.input_shape)
        return np.asarray(self.value.values, dtype=np.float64).reshape(
            rows, math.prod(self.input_shape))

    def to_json(self, value: object) -> dict:
        """The JSON form, with ``value`` as the document's values budget wrote it."""
        return {"kind": self.kind, "call": self.call, "function": self.function,
                "input": self.input_name, "input_shape": list(self.input_shape),
                "shape": list(self.value.shape), "line": self.line, "value": value,
                "rows": self.row_labels(), "columns": self.column_labels()}


def entry_labels(name: str, shape: tuple[int, ...]) -> list[str]:
    """``name[i]`` for each entry in row-major order; a scalar is ``name`` itself."""
    if not shape:
        return [name]
    return [f"{name}[{', '.join(str(int(i)) for i in index)}]"
            for index in np.ndindex(*shape)]


def derivatives_of(evaluation, limit: int) -> tuple[Derivative, ...]:
    """The named jacobian/hessian results of a safe-interpreter evaluation."""
    names = {b.id: b.name for b in evaluation.expression.blocks}
    out = []
    for block in evaluation.expression.blocks:
        tensor = evaluation.tensors.get(block.id)
        if block.op not in RESULTS or not block.name or tensor is None:
            continue
        function, x = block.args[0], block.args[1]
        x_tensor = evaluation.tensors.get(x.block)
        out.append(Derivative(
            block.name, block.op, block.form or block.op, function.text, names.get(x.block),
            tuple(x_tensor.shape) if x_tensor is not None else (), snapshot(tensor, limit),
            block.line))
    return tuple(out)
