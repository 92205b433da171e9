"""The operations the timing engine measures: inputs, the call, its flops, bytes and dtypes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from nla_explorer.engine.errors import EngineError

#: Data types by name; half precision is meant for GPUs (slow, or missing, on most CPUs).
DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32, "float64": torch.float64,
    "bfloat16": torch.bfloat16, "float16": torch.float16,
}
HALF = ("bfloat16", "float16")


class UnknownNameError(EngineError):
    """An op, dtype or device name the timing engine does not know; the message lists valid ones."""


def _square(n: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    return torch.randn(n, n, device=device, dtype=dtype)


def _vector(n: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    return torch.randn(n, device=device, dtype=dtype)


def _well_conditioned(n: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    # randn/√n has its spectrum in the unit disc; + 2·I keeps every eigenvalue in [1, 3]-ish
    a = torch.randn(n, n, device=device, dtype=dtype) / max(n, 1) ** 0.5
    a.diagonal().add_(2.0)
    return a


def _mlp_inputs(n: int, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
    x = _square(n, device, dtype)
    scale = max(n, 1) ** -0.5
    params = [(_square(n, device, dtype) * scale), torch.zeros(n, device=device, dtype=dtype),
              (_square(n, device, dtype) * scale), torch.zeros(n, device=device, dtype=dtype)]
    return (x, *(p.requires_grad_() for p in params))


def _mlp(x: torch.Tensor, w1: torch.Tensor, b1: torch.Tensor, w2: torch.Tensor,
         b2: torch.Tensor) -> tuple[torch.Tensor, ...]:
    h = torch.relu(torch.nn.functional.linear(x, w1, b1))
    y = torch.nn.functional.linear(h, w2, b2)
    return torch.autograd.grad(y.square().mean(), (w1, b1, w2, b2))


@dataclass(frozen=True)
class TimingOp:
    """One measurable operation on n×n matrices (or length-n vectors) of a given dtype."""

    name: str
    description: str
    setup: Callable[[int, torch.device, torch.dtype], tuple[torch.Tensor, ...]]
    call: Callable[..., object]
    flops: Callable[[int], float]
    bytes_moved: Callable[[int, int], float]  # (n, bytes per element) → nominal bytes in+out
    memory: Callable[[int, int], float]  # (n, bytes per element) → bytes held while it runs
    memory_bound: bool  # report GB/s first (its speed is set by memory, not arithmetic)
    half_ok: bool = True  # bfloat16 / float16 supported (the linalg solvers have no half kernels)

    def unsupported(self, device_kind: str, dtype: str) -> str | None:
        """Why this op cannot run in ``dtype`` on a ``device_kind`` device, or None."""
        if dtype in HALF and not self.half_ok:
            return f"{self.name} has no {dtype} kernels (linear solvers need float32/float64)"
        if device_kind == "mps" and dtype == "float64":
            return "Apple MPS has no float64"
        return None

    def work(self, n: int, itemsize: int) -> float:
        """What its speed is proportional to: bytes for memory-bound ops, flops otherwise."""
        return self.bytes_moved(n, itemsize) if self.memory_bound else self.flops(n)


OPS: dict[str, TimingOp] = {op.name: op for op in (
    TimingOp("matmul", "matrix product A @ B of two n×n matrices (2n³ flops)",
             lambda n, d, t: (_square(n, d, t), _square(n, d, t)), torch.matmul,
             lambda n: 2.0 * n ** 3, lambda n, s: 3.0 * n * n * s,
             lambda n, s: 3.0 * n * n * s, memory_bound=False),
    TimingOp("mv", "matrix-vector product A @ x, A n×n (2n² flops, memory-bound)",
             lambda n, d, t: (_square(n, d, t), _vector(n, d, t)), torch.mv,
             lambda n: 2.0 * n * n, lambda n, s: (n * n + 2.0 * n) * s,
             lambda n, s: (n * n + 2.0 * n) * s, memory_bound=True),
    TimingOp("add", "elementwise sum A + B of two n×n matrices (memory-bound)",
             lambda n, d, t: (_square(n, d, t), _square(n, d, t)), torch.add,
             lambda n: float(n * n), lambda n, s: 3.0 * n * n * s,
             lambda n, s: 3.0 * n * n * s, memory_bound=True),
    TimingOp("relu", "nonlinearity relu(A) on an n×n matrix (memory-bound)",
             lambda n, d, t: (_square(n, d, t),), torch.relu,
             lambda n: float(n * n), lambda n, s: 2.0 * n * n * s,
             lambda n, s: 2.0 * n * n * s, memory_bound=True),
    TimingOp("sum", "reduction A.sum() of an n×n matrix to a scalar (memory-bound)",
             lambda n, d, t: (_square(n, d, t),), torch.sum,
             lambda n: float(n * n), lambda n, s: float(n * n * s),
             lambda n, s: float(n * n * s), memory_bound=True),
    TimingOp("solve", "linear system solve(A, b), A n×n, by LU (⅔n³ flops)",
             lambda n, d, t: (_well_conditioned(n, d, t), _vector(n, d, t)), torch.linalg.solve,
             lambda n: 2.0 / 3.0 * n ** 3 + 2.0 * n * n, lambda n, s: (n * n + 2.0 * n) * s,
             lambda n, s: (3.0 * n * n + 2.0 * n) * s, memory_bound=False, half_ok=False),
    TimingOp("inverse", "matrix inverse inv(A), A n×n (2n³ flops)",
             lambda n, d, t: (_well_conditioned(n, d, t),), torch.linalg.inv,
             lambda n: 2.0 * n ** 3, lambda n, s: 2.0 * n * n * s,
             lambda n, s: 4.0 * n * n * s, memory_bound=False, half_ok=False),
    TimingOp("mlp", "MLP forward+backward: batch n, two n×n linear layers, relu (10n³ flops)",
             _mlp_inputs, _mlp, lambda n: 10.0 * n ** 3, lambda n, s: 12.0 * n * n * s,
             lambda n, s: 16.0 * n * n * s, memory_bound=False),
)}


def get_op(name: str) -> TimingOp:
    """The op called ``name``; an UnknownNameError listing the valid names otherwise."""
    try:
        return OPS[name]
    except KeyError:
        raise UnknownNameError(f"unknown op {name!r}; valid ops: {', '.join(OPS)}") from None


def get_dtype(name: str) -> torch.dtype:
    """The torch dtype called ``name``; an UnknownNameError listing the valid names otherwise."""
    try:
        return DTYPES[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown dtype {name!r}; valid dtypes: {', '.join(DTYPES)}") from None


def check_names(ops: Sequence[str], dtypes: Sequence[str]) -> None:
    """Raise UnknownNameError for the first unknown op or dtype name."""
    for name in ops:
        get_op(name)
    for name in dtypes:
        get_dtype(name)
