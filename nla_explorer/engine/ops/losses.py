"""Losses: mean squared error and cross-entropy."""

from __future__ import annotations

from nla_explorer.engine.ops.parts import F, tensor_ports, unary
from nla_explorer.engine.ops.record import NodeRule, Op

OPS = (
    Op("mse_loss", "losses", "mean (ŷ − y)²", (F + "mse_loss",), arity=2,
       ports=tensor_ports("y_hat", "y", keywords=("input", "target")),
       glyph="L₂", keywords="mean squared error", arg_names=("y_hat", "y"),
       nodes=(NodeRule("MseLoss", ("ŷ", "y"),
                       ((0, "∂{L}/∂{ŷ} = {g} · 2({ŷ} − {y}) / {N}"),
                        (1, "∂{L}/∂{y} = −{g} · 2({ŷ} − {y}) / {N}"),
                        (None, "{N} = number of elements (1 with reduction='sum')")),
                       ((0, ("ŷ", "y")), (1, ("ŷ", "y"))), (("ŷ", "self"), ("y", "target")),
                       forward="(1/N) Σ (ŷ − y)²", forward_symbols=("ŷ", "y")),)),
    # cross_entropy makes LogSoftmaxBackward0 (see log_softmax), then NllLossBackward0
    Op("cross_entropy", "losses", "−log softmax(z)[target]", (F + "cross_entropy",), arity=2,
       ports=tensor_ports("z", "target", keywords=("input", "target")),
       glyph="CE", keywords="classification log likelihood nll", arg_names=("z", "target"),
       nodes=(unary("NllLoss", "∂{L}/∂{x} = −{g} / {N} at each sample's target class, else 0",
                    extra="cross-entropy: with log_softmax before it, ∂{L}/∂logits = "
                          "(softmax − one-hot) · {g} / {N}, {N} = number of samples"),)),
)
