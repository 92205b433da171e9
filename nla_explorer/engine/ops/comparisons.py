"""Comparisons and masks: ``x > 0`` and its kin (bool tensors, no gradient), ``~``, ``&``, ``|``,
``torch.where`` and ``masked_fill``.

A comparison's result is a bool tensor: no node of the graph, a constant of what reads it. Its
gradient goes nowhere (torch makes no node), so only where and masked_fill have cards.
"""

from __future__ import annotations

from nla_explorer.engine.ops.parts import X, tensor_ports
from nla_explorer.engine.ops.record import NodeRule, Op, Port

_NUMBERS = tensor_ports("a", "b", number=True)
_MASKS = tensor_ports("a", "b")
#: The condition where and masked_fill saved (``_saved_condition``, ``_saved_mask``).
CONDITION, MASK = (("cond", "condition"),), (("cond", "mask"),)
_READ = ((0, ("cond",)), (1, ("cond",)))  # each gradient's line reads the condition


def _comparison(key: str, symbol: str, formula: str, glyph: str, words: str) -> Op:
    return Op(key, "comparisons", formula, (symbol, f"torch.{key}", f".{key}"), arity=2,
              ports=_NUMBERS, glyph=glyph, keywords=f"compare mask bool {words}")


OPS = (
    _comparison("gt", ">", "a > b (elementwise, bool)", ">", "greater than"),
    _comparison("lt", "<", "a < b (elementwise, bool)", "<", "less than"),
    _comparison("ge", ">=", "a ≥ b (elementwise, bool)", "≥", "greater equal"),
    _comparison("le", "<=", "a ≤ b (elementwise, bool)", "≤", "less equal"),
    _comparison("eq", "==", "a = b (elementwise, bool)", "=", "equal"),
    _comparison("ne", "!=", "a ≠ b (elementwise, bool)", "≠", "not equal"),
    Op("logical_not", "comparisons", "not m (elementwise)", ("u~", "torch.logical_not",
                                                              ".logical_not"),
       ports=tensor_ports("m"), glyph="¬", keywords="invert negate mask bool", code="~m"),
    Op("logical_and", "comparisons", "m₁ and m₂ (elementwise)",
       ("&", "torch.logical_and", ".logical_and"), arity=2, ports=_MASKS, glyph="∧",
       keywords="both mask bool", arg_names=("m1", "m2")),
    Op("logical_or", "comparisons", "m₁ or m₂ (elementwise)",
       ("|", "torch.logical_or", ".logical_or"), arity=2, ports=_MASKS, glyph="∨",
       keywords="either mask bool", arg_names=("m1", "m2")),
    # torch.where(condition) alone gives a tuple: the indices where it holds
    Op("where", "comparisons", "a where the condition holds, else b", ("torch.where", ".where"),
       arity=3, any_result=True, receiver=1,
       ports=(Port("condition", 0, "condition"), Port("a", 1, "input", number=True),
              Port("b", 2, "other", number=True)),
       glyph="?:", keywords="select choose mask if else leaky",
       code="torch.where(x > 0, x, 0.1 * x)",
       nodes=(NodeRule("Where", ("a", "b"),
                       ((0, "∂{L}/∂{a} = {g} where the condition holds, 0 elsewhere"),
                        (1, "∂{L}/∂{b} = {g} where the condition fails, 0 elsewhere")),
                       _READ, CONDITION, forward="a where the condition holds, else b",
                       forward_symbols=("a", "b")),)),
    # a number as the value: MaskedFillBackward0; a tensor (0-dim): MaskedFillBackward1
    Op("masked_fill", "comparisons", "x with value where the mask holds",
       (".masked_fill", "torch.masked_fill"), arity=3,
       ports=(Port("x", 0, "input"), Port("mask", 1, "mask"),
              Port("value", 2, "value", number=True, default=0)),
       glyph="▤", keywords="mask fill replace set where", code="x.masked_fill(x < 0, 0.0)",
       nodes=(NodeRule("MaskedFill", ("x", "v"),
                       ((0, "∂{L}/∂{x} = {g} where the condition fails, 0 elsewhere"),
                        (1, "∂{L}/∂{v} = sum of {g} where the condition holds")),
                       _READ, MASK, forward="x, set to the value where the condition holds",
                       forward_symbols=("x",)),)),
    # integer and bool casts (a count of True, labels for cross_entropy): no gradient, no node
    Op("integer", "comparisons", "x as int64, int32 or bool (no gradient)",
       (".long", ".int", ".bool"), ports=X, statement=True, glyph="ℤ"),
)
