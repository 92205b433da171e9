"""Reductions: sum, mean, product, max, variance and standard deviation over all elements or some dims."""

from __future__ import annotations

from dataclasses import replace

from nla_explorer.engine.ops.parts import KEEPDIM, X, dim, unary
from nla_explorer.engine.ops.record import Op, Param

_OVER_DIMS = (dim(kind="dims"), KEEPDIM)
#: var and std: ``x.var(dim, unbiased, keepdim)``, or ``correction=`` by keyword
_SPREAD = (dim(kind="dims"), Param("unbiased", "bool", None, 2, "unbiased", True, positional=False),
           replace(KEEPDIM, index=3),
           Param("correction", "number", None, None, "correction", 1, positional=False, minimum=0))
_CORRECTION = ("{N}: the number of elements reduced, correction: 1 unless set "
               "(0 where unbiased=False)")

OPS = (
    Op("sum", "reductions", "Σ xᵢ", (".sum", "torch.sum"), ports=X, params=_OVER_DIMS,
       glyph="Σ", keywords="sigma total",
       nodes=(unary("Sum", "∂{L}/∂{x}ᵢ = {g} for every element: {g} copied to {x:shape}",
                    forward="Σᵢ xᵢ"),)),
    Op("mean", "reductions", "(1/n) Σ xᵢ", (".mean", "torch.mean"), ports=X, params=_OVER_DIMS,
       glyph="μ", keywords="average",
       nodes=(unary("Mean", "∂{L}/∂{x}ᵢ = {g} / {N} for every element ({N}: the number averaged)",
                    ("N",), (("N", "self_sym_numel"),), forward="(1/N) Σᵢ xᵢ"),)),
    Op("prod", "reductions", "Π xᵢ", (".prod", "torch.prod"), ports=X,
       params=(dim(), KEEPDIM), glyph="Π", keywords="product multiply all",
       nodes=(unary("Prod", "∂{L}/∂{x}ᵢ = {g} · Πⱼ≠ᵢ {x}ⱼ: the product of the other elements",
                    forward="Πᵢ xᵢ"),)),
    # amax makes AmaxBackward0, which has no card; torch.max's MaxBackward is in step_rules
    Op("max", "reductions", "max xᵢ", ("torch.amax", ".amax"), ports=X, params=_OVER_DIMS,
       glyph="⋁", keywords="amax maximum"),
    Op("cumsum", "reductions", "running sums x₁, x₁ + x₂, …", (".cumsum", "torch.cumsum"),
       ports=X, params=(dim(0, 1, True, positional=True),), glyph="Σ…",
       keywords="cumulative sum running total prefix", code_args="0",
       nodes=(unary("Cumsum", "∂{L}/∂{x} = the reversed cumulative sum of {g} along the dim",
                    extra="each element of {x} is in its own running sum and every later one",
                    forward="running sums of x along the dim"),)),
    Op("var", "reductions", "Σ (xᵢ − mean)² / (n − 1)", (".var", "torch.var"), ports=X,
       params=_SPREAD, glyph="σ²", keywords="variance spread unbiased",
       nodes=(unary("Var", "∂{L}/∂{x}ᵢ = 2 {g} · ({x}ᵢ − mean) / ({N} − correction)",
                    extra=_CORRECTION, forward="Σᵢ (xᵢ − mean)² / (N − correction)"),)),
    Op("std", "reductions", "√(Σ (xᵢ − mean)² / (n − 1))", (".std", "torch.std"), ports=X,
       params=_SPREAD, glyph="σ", keywords="standard deviation spread unbiased",
       nodes=(unary("Std", "∂{L}/∂{x}ᵢ = {g} · ({x}ᵢ − mean) / (({N} − correction) · {σ})",
                    saved=(("σ", "result"),), extra=_CORRECTION,
                    forward="√(Σᵢ (xᵢ − mean)² / (N − correction))"),)),
)
