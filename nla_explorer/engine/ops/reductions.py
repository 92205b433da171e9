"""Reductions: sum, mean and max over all elements or some dims."""

from __future__ import annotations

from nla_explorer.engine.ops.parts import KEEPDIM, X, dim, unary
from nla_explorer.engine.ops.record import Op

_OVER_DIMS = (dim(kind="dims"), KEEPDIM)

OPS = (
    Op("sum", "reductions", "Σ xᵢ", (".sum", "torch.sum"), ports=X, params=_OVER_DIMS,
       glyph="Σ", keywords="sigma total",
       nodes=(unary("Sum", "∂{L}/∂{x}ᵢ = {g} for every element: {g} copied to {x:shape}",
                    forward="Σᵢ xᵢ"),)),
    Op("mean", "reductions", "(1/n) Σ xᵢ", (".mean", "torch.mean"), ports=X, params=_OVER_DIMS,
       glyph="μ", keywords="average",
       nodes=(unary("Mean", "∂{L}/∂{x}ᵢ = {g} / {N} for every element ({N}: the number averaged)",
                    ("N",), (("N", "self_sym_numel"),), forward="(1/N) Σᵢ xᵢ"),)),
    # amax makes AmaxBackward0, which has no card; torch.max's MaxBackward is in step_rules
    Op("max", "reductions", "max xᵢ", ("torch.amax", ".amax"), ports=X, params=_OVER_DIMS,
       glyph="⋁", keywords="amax maximum"),
)
