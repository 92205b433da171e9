"""How a card writes a tensor: the numbers of a small one (``2.5``, ``[1, 2]``), else its shape."""

from __future__ import annotations

import numpy as np

from nla_explorer.engine.tensors import TensorData

#: Tensors with at most this many elements show their numbers; larger ones show their shape.
SMALL = 6


def _num(v: float) -> str:
    text = f"{v:.4g}"
    return "0" if text == "-0" else text


def fmt(data: TensorData | None) -> str:
    """Numbers of a small tensor (``2.5``, ``[1, 2]``), else its shape (``‹5×5›``)."""
    if data is None:
        return "None"
    if data.values is None or data.numel > SMALL:
        return "‹" + "×".join(map(str, data.shape)) + "›" if data.shape else "‹scalar›"
    arr = np.asarray(data.values, dtype=float)
    if arr.ndim == 0:
        return _num(float(arr))

    def rec(a: np.ndarray) -> str:
        if a.ndim == 1:
            return "[" + ", ".join(_num(float(v)) for v in a) + "]"
        return "[" + ", ".join(rec(row) for row in a) + "]"
    return rec(arr)
