"""A manual gradient against autograd's, element by element: the inspector's Manual tab."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nla_explorer.engine.tensors import TensorData

#: A manual gradient agrees with autograd when max |Δ| ≤ RELATIVE_TOLERANCE · max |autograd|.
RELATIVE_TOLERANCE = 1e-5


@dataclass(frozen=True)
class ManualComparison:
    """A manual gradient against autograd's: max |Δ|, relative error and the verdict."""

    label: str
    agrees: bool
    max_abs: float
    relative: float
    reason: str = ""  # why no element-wise comparison was possible, if so


def compare_manual(label: str, manual: TensorData, grad: TensorData | None) -> ManualComparison:
    """Compare element-wise; the relative error is max |Δ| / max |autograd|."""
    nan = float("nan")
    if grad is None:
        return ManualComparison(label, False, nan, nan, "no autograd gradient reaches this node")
    if manual.values is None or grad.values is None:
        return ManualComparison(label, False, nan, nan, "too large to compare element-wise")
    if tuple(manual.shape) != tuple(grad.shape):
        return ManualComparison(label, False, nan, nan,
                                f"shapes differ: {tuple(manual.shape)} vs {tuple(grad.shape)}")
    ours = np.asarray(grad.values, dtype=np.float64)
    delta = np.abs(np.asarray(manual.values, dtype=np.float64) - ours)
    max_abs = float(delta.max()) if delta.size else 0.0
    scale = float(np.abs(ours).max()) if ours.size else 0.0
    relative = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    return ManualComparison(label, bool(relative <= RELATIVE_TOLERANCE), max_abs, relative)
