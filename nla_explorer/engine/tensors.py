"""Plain, Qt-free snapshots of tensors: shape, dtype, device and (when small) the values."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import torch

from nla_explorer.engine.fast_build import builder

#: Tensors with at most this many elements keep their full values; larger ones keep a summary.
FULL_VALUE_LIMIT = 10_000
#: Values the snapshots of one capture keep in full, all together (elements): past it they keep
#: a summary, so a program of thousands of lines holds at most ~160 MB of values.
VALUES_BUDGET = 20_000_000
#: Tensors this small keep their values whatever the budget (scalars, losses, short vectors).
ALWAYS_KEPT = 100

_budget: ContextVar[list[int] | None] = ContextVar("nla_values_budget", default=None)


@dataclass(frozen=True, eq=False, slots=True)
class TensorData:
    """A detached snapshot of a tensor.

    ``values`` is a read-only float/int ndarray when the tensor has at most ``FULL_VALUE_LIMIT``
    elements (and the capture's :func:`values_budget` has room), otherwise ``None`` and
    ``summary`` holds min, max, mean and 2-norm.
    """

    shape: tuple[int, ...]
    dtype: str
    device: str
    values: np.ndarray | None
    summary: dict[str, float] | None = None

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def is_scalar(self) -> bool:
        return self.shape == ()

    def item(self) -> float:
        """The value of a one-element tensor."""
        if self.values is None or self.values.size != 1:
            raise ValueError(f"tensor of shape {self.shape} is not a single value")
        return float(self.values.reshape(()))

    def to_json(self) -> object:
        """Nested lists of the values, or ``None`` when only a summary is kept."""
        if self.values is None:
            return None
        return _json_safe(self.values.tolist())

    def summary_json(self) -> dict[str, object]:
        out: dict[str, object] = {"shape": list(self.shape), "dtype": self.dtype}
        if self.summary is not None:
            out.update(self.summary)
        return out


def _json_safe(value: object) -> object:
    """Replace NaN and infinities (not valid JSON) by strings."""
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


_DTYPE_NAMES: dict[torch.dtype, str] = {}
_TensorData = builder(TensorData)  # TensorData from all its fields (snapshots: a third faster)


@contextmanager
def values_budget(elements: int | None = None) -> Iterator[None]:
    """Snapshots taken inside keep at most ``elements`` (default :data:`VALUES_BUDGET`) values in
    full, all together; past it, their summary. A budget opened inside another is the outer one
    (one capture, one budget)."""
    if _budget.get() is not None:
        yield
        return
    token = _budget.set([VALUES_BUDGET if elements is None else elements])
    try:
        yield
    finally:
        _budget.reset(token)


def _keep_values(numel: int) -> bool:
    """Whether the open :func:`values_budget` (if any) has room for ``numel`` more values."""
    budget = _budget.get()
    if budget is None or numel <= ALWAYS_KEPT:
        return True
    if numel > budget[0]:
        return False
    budget[0] -= numel
    return True


def dtype_name(dtype: torch.dtype) -> str:
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype).removeprefix("torch.")
    return name


def snapshot(tensor: torch.Tensor, limit: int = FULL_VALUE_LIMIT) -> TensorData:
    """Copy ``tensor`` (detached, to the CPU) into a :class:`TensorData`."""
    dtype = tensor.dtype
    if dtype in _NUMPY_AS_IS and tensor.is_cpu:
        numel = tensor.numel()
        if numel <= limit and (numel <= ALWAYS_KEPT or _keep_values(numel)):
            # The common case, inline (a recorded forward takes one snapshot per op, a traced
            # backward one per gradient shown): a float tensor on the CPU whose values are
            # kept. Detached only when it needs to be (a new tensor: a third of the time), its
            # shape read from the copy (torch.Size is slow to make).
            try:
                values = (tensor.detach() if tensor.requires_grad else tensor).numpy().copy()
            except TypeError:  # a sparse (or other non-strided) layout: below
                values = None
            if values is not None:
                values.setflags(write=False)
                return _TensorData(values.shape, _DTYPE_NAMES.get(dtype) or dtype_name(dtype),
                                   "cpu", values, None)
    t = tensor.detach()
    numel = t.numel()
    values = None
    summary = None
    if t.is_meta:
        pass  # shapes only: no data to copy
    elif t.layout != torch.strided:  # sparse: its values made dense when few, else its shape
        if numel <= limit and _keep_values(numel):
            values = _to_numpy(t.to_dense())
    elif numel <= limit and _keep_values(numel):
        values = _to_numpy(t)
    elif numel > 0:
        summary = _summarise(t)
    return TensorData(tuple(t.shape), dtype_name(dtype), "cpu" if t.is_cpu else str(t.device),
                      values, summary)


class SnapshotCache:
    """Snapshots within one capture or trace: a tensor seen twice is copied once.

    Keyed by data address, shape, strides and dtype (and the device, off the CPU), so two wrappers
    of the same data (torch unpacks saved tensors into fresh wrappers) share one snapshot; the
    data address already holds the storage offset. Snapshots are read-only.
    """

    def __init__(self, limit: int = FULL_VALUE_LIMIT) -> None:
        self.limit = limit
        self._cache: dict[tuple, TensorData] = {}

    def __call__(self, tensor: torch.Tensor) -> TensorData:
        # A capture calls this once per saved tensor (75,000 times for a long loop): the common
        # case, a strided CPU tensor, asks torch for as little as it can, and the common
        # snapshot of one (a float tensor whose values are kept) is inline.
        if tensor.is_cpu and tensor.layout == _STRIDED:
            shape, dtype = tensor.shape, tensor.dtype
            key = (tensor.data_ptr(), shape, tensor.stride(), dtype)
            hit = self._cache.get(key)
            if hit is None:
                numel = tensor.numel()
                if dtype in _NUMPY_AS_IS and numel <= self.limit and not tensor.is_neg() and (
                        numel <= ALWAYS_KEPT or _keep_values(numel)):
                    values = tensor.numpy(force=True).copy()  # detaches; nothing to resolve
                    values.setflags(write=False)
                    hit = _TensorData(tuple(shape), _DTYPE_NAMES.get(dtype) or dtype_name(dtype),
                                      "cpu", values, None)
                else:
                    hit = snapshot(tensor, self.limit)
                self._cache[key] = hit
            return hit
        if tensor.layout != _STRIDED or tensor.is_meta:
            return snapshot(tensor, self.limit)
        key = (tensor.data_ptr(), tensor.shape, tensor.stride(), tensor.dtype, tensor.device)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = snapshot(tensor, self.limit)
        return hit


_STRIDED = torch.strided
_NUMPY_AS_IS = frozenset((torch.float32, torch.float64))  # numpy has them: no conversion


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    if t.is_cpu and t.dtype in _NUMPY_AS_IS:
        arr = t.numpy().copy()
        arr.flags.writeable = False
        return arr
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.float()
    if t.is_complex():
        t = t.abs()
    arr = t.cpu().numpy().copy()
    arr.setflags(write=False)
    return arr


def _summarise(t: torch.Tensor) -> dict[str, float]:
    f = t.float() if t.is_floating_point() or t.dtype == torch.bool else t.double()
    f = f.float()
    return {
        "min": float(f.min()),
        "max": float(f.max()),
        "mean": float(f.mean()),
        "norm": float(torch.linalg.vector_norm(f)),
    }
