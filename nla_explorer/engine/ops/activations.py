"""Activations: relu, sigmoid, tanh, softmax, log_softmax, and a linear layer."""

from __future__ import annotations

from nla_explorer.engine.ops.parts import F, X, dim, unary
from nla_explorer.engine.ops.record import NodeRule, Op, Port

_OF_Y = (("y", "result"),)  # the backward reads the output

OPS = (
    Op("relu", "activations", "max(0, x)", ("torch.relu", F + "relu", ".relu"), ports=X,
       glyph="_/", keywords="rectifier",
       nodes=(unary("Relu", "∂{L}/∂{x} = {g} where {x} > 0, else 0", ("y",), _OF_Y,
                    forward="max(0, x)"),)),
    Op("sigmoid", "activations", "1 / (1 + e⁻ˣ)", ("torch.sigmoid", F + "sigmoid", ".sigmoid"),
       ports=X, glyph="σ", keywords="sigma logistic σ",
       nodes=(unary("Sigmoid", "∂{L}/∂{x} = {g} · {y} · (1 − {y}),  {y} = σ({x})", ("y",), _OF_Y,
                    forward="σ(x) = 1 / (1 + exp(−x))"),)),
    Op("tanh", "activations", "tanh x", ("torch.tanh", F + "tanh", ".tanh"), ports=X,
       glyph="th", keywords="hyperbolic tangent",
       nodes=(unary("Tanh", "∂{L}/∂{x} = {g} · (1 − {y}²),  {y} = tanh({x})", ("y",), _OF_Y,
                    forward="tanh x"),)),
    Op("softmax", "activations", "eˣⁱ / Σ eˣʲ", ("torch.softmax", F + "softmax", ".softmax"),
       ports=X, params=(dim(0, required=True),),
       glyph="sm", keywords="probabilities normalise", code_args="dim=-1",
       nodes=(unary("Softmax", "∂{L}/∂{x} = {y} ⊙ ({g} − Σⱼ {g}ⱼ {y}ⱼ),  {y} = softmax({x})",
                    ("y",), _OF_Y, forward="exp(x) / Σⱼ exp(xⱼ)"),)),
    Op("log_softmax", "activations", "xᵢ − log Σ eˣʲ",
       ("torch.log_softmax", F + "log_softmax", ".log_softmax"), ports=X,
       params=(dim(0, required=True),), glyph="ls", code_args="dim=-1",
       nodes=(unary("LogSoftmax", "∂{L}/∂{x} = {g} − softmax({x}) · Σⱼ {g}ⱼ", (), (),
                    "cross-entropy = log_softmax then nll_loss"),)),
    # F.linear with a bias makes AddmmBackward0 (c + A B with A = x, B = Wᵀ)
    Op("linear", "activations", "x Wᵀ + b (a layer)", (F + "linear",), arity=3,
       ports=(Port("x", 0, "input"), Port("W", 1, "weight"),
              Port("b", 2, "bias", optional=True)),
       glyph="Wx", keywords="layer dense affine", arg_names=("x", "W", "b"),
       nodes=(NodeRule("Addmm", ("c", "A", "B"),
                       ((0, "∂{L}/∂{c} = {g} (summed over broadcast rows)"),
                        (1, "∂{L}/∂{A} = {g} {B}ᵀ"), (2, "∂{L}/∂{B} = {A}ᵀ {g}")),
                       ((1, ("B",)), (2, ("A",))), (("A", "mat1"), ("B", "mat2")),
                       forward="c + A · B", forward_symbols=("c", "A", "B")),)),
)
