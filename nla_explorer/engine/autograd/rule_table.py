"""The backward rules by torch node: the ops' records, and the nodes no op declares."""

from __future__ import annotations

import re

from nla_explorer.engine.ops import CATALOGUE, NodeRule
from nla_explorer.engine.ops.parts import reshaped

#: Nodes no catalogue op declares: torch makes them for leaves, copies, inside other ops
#: (matmul's UnsafeView).
NODES_OF_NO_OP: tuple[NodeRule, ...] = (
    NodeRule("AccumulateGrad", ("x",), ((None, "{x}.grad = Σ contributions"),)),
    reshaped("UnsafeView"),
)


def _rules() -> dict[str, NodeRule]:
    out: dict[str, NodeRule] = {}
    for rule in (*(r for op in CATALOGUE.values() for r in op.nodes), *NODES_OF_NO_OP):
        if rule.node in out:
            raise ValueError(f"backward node '{rule.node}' has two rules")
        out[rule.node] = rule
    return out


#: Node base name (see :func:`op_base`) → its rule: the ops' records, then ``NODES_OF_NO_OP``.
RULES: dict[str, NodeRule] = _rules()


def op_base(op: str) -> str:
    """``MulBackward0`` → ``Mul``; ``PowBackward1`` → ``Pow1`` (tensor exponent)."""
    m = re.fullmatch(r"(.*?)Backward(\d*)", op)
    if m is None:
        return op
    base, number = m.groups()
    if base == "Pow" and number in ("1", "2"):
        return base + number
    return base
