"""Elementwise functions: abs, sqrt, exp, log, sin, cos, maximum and clamp."""

from __future__ import annotations

from nla_explorer.engine.ops.parts import X, tensor_ports, unary
from nla_explorer.engine.ops.record import NodeRule, Op, Param

_OF_X = (("x", "self"),)  # the backward reads the input
_OF_Y = (("y", "result"),)  # the backward reads the output
_BOUNDS = (("min", "min"), ("max", "max"))  # clamp's bounds, numbers it saved

OPS = (
    Op("abs", "elementwise", "|x|", ("torch.abs", ".abs"), ports=X,
       glyph="|x|", keywords="absolute",
       nodes=(unary("Abs", "∂{L}/∂{x} = {g} · sign({x})", ("x",), _OF_X, forward="|x|"),)),
    Op("sqrt", "elementwise", "√x", ("torch.sqrt", ".sqrt"), ports=X,
       glyph="√", keywords="square root",
       nodes=(unary("Sqrt", "∂{L}/∂{x} = {g} / (2√{x}) = {g} / (2{y})", ("y",), _OF_Y,
                    forward="√x"),)),
    Op("exp", "elementwise", "eˣ", ("torch.exp", ".exp"), ports=X,
       glyph="eˣ", keywords="exponential",
       nodes=(unary("Exp", "∂{L}/∂{x} = {g} · exp({x}) = {g} · {y}", ("y",), _OF_Y,
                    forward="exp(x)"),)),
    Op("log", "elementwise", "ln x", ("torch.log", ".log"), ports=X,
       glyph="ln", keywords="logarithm",
       nodes=(unary("Log", "∂{L}/∂{x} = {g} / {x}", ("x",), _OF_X, forward="ln x"),)),
    Op("sin", "elementwise", "sin x", ("torch.sin", ".sin"), ports=X, glyph="sin",
       nodes=(unary("Sin", "∂{L}/∂{x} = {g} · cos {x}", ("x",), _OF_X, forward="sin x"),)),
    Op("cos", "elementwise", "cos x", ("torch.cos", ".cos"), ports=X, glyph="cos",
       nodes=(unary("Cos", "∂{L}/∂{x} = −{g} · sin {x}", ("x",), _OF_X, forward="cos x"),)),
    Op("maximum", "elementwise", "max(a, b) elementwise", ("torch.maximum", ".maximum"), arity=2,
       ports=tensor_ports("a", "b"), glyph="∨", keywords="max",
       nodes=(NodeRule("Maximum", ("a", "b"),
                       ((0, "∂{L}/∂{a} = {g} where {a} > {b} (half where equal)"),
                        (1, "∂{L}/∂{b} = {g} where {b} > {a} (half where equal)"))),)),
    Op("clamp", "elementwise", "min(max(x, lo), hi)", ("torch.clamp", ".clamp"), ports=X,
       params=(Param("min", "number", 0.0, 1, "min", positional=False),
               Param("max", "number", None, 2, "max", positional=False)),
       glyph="⌊⌉", keywords="clip", code_args="min=0",
       nodes=(unary("Clamp", "∂{L}/∂{x} = {g} where {min} ≤ {x} ≤ {max}, else 0", (),
                    _BOUNDS),
              unary("ClampMin", "∂{L}/∂{x} = {g} where {x} ≥ {min}, else 0", (), _BOUNDS),
              unary("ClampMax", "∂{L}/∂{x} = {g} where {x} ≤ {max}, else 0", (), _BOUNDS))),
)
