"""Arithmetic: the elementwise binary operators and negation."""

from __future__ import annotations

from nla_explorer.engine.ops.parts import SELF_OTHER, X, tensor_ports, unary
from nla_explorer.engine.ops.record import NodeRule, Op, Port

_AB = ("a", "b")
_NUMBERS = tensor_ports("a", "b", number=True)

OPS = (
    Op("add", "arithmetic", "a + b", ("+", "torch.add", ".add"), arity=2, ports=_NUMBERS,
       glyph="+", keywords="plus sum",
       nodes=(NodeRule("Add", _AB, ((0, "∂{L}/∂{a} = {g}"), (1, "∂{L}/∂{b} = {g}")),
                       forward="a + b", forward_symbols=_AB),)),
    Op("sub", "arithmetic", "a − b", ("-", "torch.sub", ".sub"), arity=2, ports=_NUMBERS,
       glyph="−", keywords="minus subtract difference",
       nodes=(NodeRule("Sub", _AB, ((0, "∂{L}/∂{a} = {g}"), (1, "∂{L}/∂{b} = −{g}")),
                       forward="a − b", forward_symbols=_AB),)),
    Op("mul", "arithmetic", "a ⊙ b (elementwise)", ("*", "torch.mul", ".mul"), arity=2,
       ports=_NUMBERS, glyph="⊙", keywords="times multiply hadamard",
       nodes=(NodeRule("Mul", _AB, ((0, "∂{L}/∂{a} = {g} · {b}"), (1, "∂{L}/∂{b} = {g} · {a}")),
                       ((0, ("b",)), (1, ("a",))), SELF_OTHER,
                       forward="a · b", forward_symbols=_AB),)),
    Op("div", "arithmetic", "a / b (elementwise)", ("/", "torch.div", ".div"), arity=2,
       ports=_NUMBERS, glyph="÷", keywords="divide quotient",
       nodes=(NodeRule("Div", _AB, ((0, "∂{L}/∂{a} = {g} / {b}"),
                        (1, "∂{L}/∂{b} = −{g} · {a} / {b}²")),
                       ((0, ("b",)), (1, ("a", "b"))), SELF_OTHER,
                       forward="a / b", forward_symbols=_AB),)),
    Op("pow", "arithmetic", "aᵇ (elementwise)", ("**", "torch.pow", ".pow"), arity=2,
       ports=(Port("a", 0, "input", number=True),
              Port("b", 1, "exponent", number=True, default=2)),
       glyph="xⁿ", keywords="power square exponent",
       nodes=(
           # PowBackward0: a number exponent; 1: tensor ** tensor; 2: a number base
           unary("Pow", "∂{L}/∂{x} = {g} · {p} · {x}^({p}−1)", ("x", "p"),
                 (("x", "self"), ("p", "exponent")), forward="x^p"),
           NodeRule("Pow1", _AB, ((0, "∂{L}/∂{a} = {g} · {b} · {a}^({b}−1)"),
                     (1, "∂{L}/∂{b} = {g} · {a}^{b} · ln {a}")),
                    ((0, _AB), (1, _AB)), (("a", "self"), ("b", "exponent")),
                    forward="a^b", forward_symbols=_AB),
           unary("Pow2", "∂{L}/∂{x} = {g} · {c}^{x} · ln {c}", ("c", "x"),
                 (("c", "self"), ("x", "exponent")), forward="c^x", forward_symbols=("c", "x")),
       )),
    Op("neg", "arithmetic", "−a", ("u-", "torch.neg", ".neg"), ports=X,
       glyph="−x", keywords="negate minus", code="-x",
       nodes=(unary("Neg", "∂{L}/∂{x} = −{g}", forward="−x"),)),
)
