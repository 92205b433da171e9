"""The student's own ``autograd.Function``: its ``backward`` against central differences."""

from __future__ import annotations

import math

import numpy as np
import torch

from nla_explorer.engine.autograd.gradcheck import EPS, RTOL, LeafCheck
from nla_explorer.engine.tensors import snapshot

#: Inputs with more entries than this are not checked (two forwards per entry).
MAX_ELEMENTS = 400


def check_function(cls, inputs: tuple, wanted: list[bool], step, node_id: str) -> list[LeafCheck]:
    """For each tensor input that required grad: what ``cls.backward`` returned (the step's
    gradient for that input) against d/dx of ⟨g, cls.apply(inputs)⟩ by central differences, g the
    gradient the step received. One :class:`LeafCheck` per input, named ``"Square.backward → x₁"``."""
    g = step.grad_output_tensors[0] if step.grad_output_tensors else None
    returned = step.grad_input_tensors
    slots = [i for i, a in enumerate(inputs) if isinstance(a, torch.Tensor)]
    checks = []
    for slot, index in enumerate(slots):
        if not wanted[index] or slot >= len(returned) or g is None:
            continue
        name = f"{cls.__name__}.backward → input {index + 1}"
        got = returned[slot]
        x = inputs[index]
        auto = snapshot(got if got is not None else torch.zeros_like(x))
        if x.numel() > MAX_ELEMENTS:
            checks.append(LeafCheck(name, node_id, auto, None, math.nan, math.nan, False, False,
                                    f"not checked: {x.numel()} elements, more than {MAX_ELEMENTS}"))
            continue
        checks.append(_check(cls, inputs, index, g, got, name, node_id, auto))
    return checks


def _check(cls, inputs, index, g, got, name, node_id, auto) -> LeafCheck:
    x = inputs[index]
    dtype = torch.float64 if x.is_floating_point() else x.dtype
    eps = EPS.get(str(dtype).removeprefix("torch."), 1e-3)

    def loss(value: torch.Tensor) -> float:
        args = [a.to(dtype) if isinstance(a, torch.Tensor) and a.is_floating_point() else a
                for a in inputs]
        args[index] = value
        with torch.no_grad():
            out = cls.apply(*args)
        out = out[0] if isinstance(out, tuple) else out
        return float((out.double() * g.double()).sum())

    base = x.detach().to(dtype).reshape(-1)
    numerical = np.zeros(base.numel())
    try:
        for i in range(base.numel()):
            plus, minus = base.clone(), base.clone()
            plus[i] += eps
            minus[i] -= eps
            numerical[i] = (loss(plus.reshape(x.shape)) - loss(minus.reshape(x.shape))) / (2 * eps)
    except Exception as exc:  # noqa: BLE001 - the student's forward may fail on other inputs
        return LeafCheck(name, node_id, auto, None, math.nan, math.nan, False, False,
                         f"not checked: the forward failed ({type(exc).__name__}: {exc})")
    numerical = numerical.reshape(tuple(x.shape))
    mine = np.zeros(numerical.shape) if got is None else \
        got.detach().double().reshape(numerical.shape).numpy()
    max_abs = float(np.max(np.abs(mine - numerical))) if numerical.size else 0.0
    scale = float(max(np.max(np.abs(mine), initial=0.0), np.max(np.abs(numerical), initial=0.0)))
    relative = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else math.inf)
    tol = RTOL.get(str(x.dtype).removeprefix("torch."), 1e-2)
    ok = bool(relative < tol or max_abs < tol * 1e-3)
    return LeafCheck(name, node_id, auto, snapshot(torch.from_numpy(numerical)), max_abs, relative,
                     ok, True, "central differences of the Function's own forward")
