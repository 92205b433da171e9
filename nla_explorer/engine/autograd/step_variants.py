"""What one kind of backward node computes can depend on what it saved: a norm's order, the
dims of a permute. The step card reads the node's own variant of its rule (:func:`node_rule`)
and names it accordingly (:func:`norm_mark`, :func:`permutation_text`).

``LinalgVectorNormBackward0`` is the node of ``torch.linalg.norm``, ``x.norm(p)`` and
``vector_norm`` for every vector order; its gradient differs by order (``g · x / ‖x‖`` is the
2-norm's only). ``PermuteBackward0`` is ``x.T`` of a matrix (dims ``(1, 0)``: a transpose) and
also every other ``permute``, which is no transpose. ``WhereBackward0`` and
``MaskedFillBackward0/1`` say "where m is True" of a condition the program named, and the where
that ends ``torch.logdet`` says so (given the graph). QR, eigh and the SVD name their factors as
the program does, and take the general rule where the vectors' own gradients arrive.
"""

from __future__ import annotations

import math
from dataclasses import replace

from nla_explorer.engine.autograd.graph import AutogradGraph, GraphNode
from nla_explorer.engine.autograd.rule_table import RULES, op_base
from nla_explorer.engine.ops.factorizations import FACTORS, GENERAL_LINES, VECTORS
from nla_explorer.engine.ops.linear_algebra import NORM_LINES, NORM_MARKS
from nla_explorer.engine.ops.record import NodeRule

#: Nodes whose lines speak of "the condition" (a bool tensor they saved as ``cond``).
CONDITIONED = frozenset({"Where", "MaskedFill"})
#: What the Where node that ends ``torch.logdet`` does.
LOGDET_NOTE = "in logdet: NaN where det < 0, else log |det|"
#: Nodes of a norm, and the name under which each saves its order.
NORM_NODES = {"LinalgVectorNorm": ("ord",), "Norm": ("p", "ord")}
_SUBSCRIPTS = str.maketrans("0123456789-.", "₀₁₂₃₄₅₆₇₈₉₋.")


def _attribute(node: GraphNode, name: str) -> object:
    saved = next((s for s in node.saved if s.name == name), None)
    return None if saved is None else saved.attribute


def norm_order(node: GraphNode) -> str | None:
    """The order of a norm node as a key of ``NORM_LINES`` (``"p"``: any other), or None where
    the node is no norm or saved no order."""
    names = NORM_NODES.get(op_base(node.op))
    order = next((v for v in (_attribute(node, n) for n in names or ()) if v is not None), None)
    if isinstance(order, bool) or not isinstance(order, (int, float)):
        return None
    if order == 2:  # a matrix's (all its entries): the Frobenius norm
        dims = _attribute(node, "dim")
        entries = next((s.tensor for s in node.saved if s.name == "self"), None)
        matrix = len(dims) >= 2 if isinstance(dims, (tuple, list)) else \
            entries is not None and len(entries.shape) >= 2
        return "fro" if matrix else "2"
    if math.isinf(order):
        return "inf" if order > 0 else "-inf"
    return {1: "1", 0: "0"}.get(order, "p")


def _number(value: float) -> str:
    text = f"{value:g}"
    return text.replace("-", "−")


def norm_mark(node: GraphNode) -> str:
    """What follows ``‖x‖`` in a norm's name: ``₁``, ``∞``, ``₃``, ``_0.5`` (the 2-norm: "")."""
    key = norm_order(node)
    if key is None:
        return ""
    if key != "p":
        return NORM_MARKS[key]
    order = next(v for v in (_attribute(node, n) for n in NORM_NODES[op_base(node.op)])
                 if v is not None)
    text = f"{order:g}"
    return text.translate(_SUBSCRIPTS) if text.lstrip("-").isdigit() else f"_{text}"


def permutation(node: GraphNode) -> tuple[int, ...] | None:
    """The dims a permute node saved (``(2, 0, 1)``), or None."""
    dims = _attribute(node, "dims") if op_base(node.op) == "Permute" else None
    return tuple(int(d) for d in dims) if isinstance(dims, (tuple, list)) else None


def is_transpose(node: GraphNode) -> bool:
    """Whether a permute node is a matrix's transpose (dims ``(1, 0)``), as ``x.T`` makes."""
    return permutation(node) == (1, 0)


def permutation_text(node: GraphNode) -> str:
    """``2, 0, 1``: the dims as ``x.permute(…)`` is written; ``…`` where none were saved."""
    dims = permutation(node)
    return "…" if dims is None else ", ".join(map(str, dims))


def permute_mark(node: GraphNode) -> str:
    """``.permute(2, 0, 1)`` after a permuted tensor's name; "" for a node that is no permute, or
    a transpose (its name is ``xᵀ``)."""
    if op_base(node.op) != "Permute" or is_transpose(node):
        return ""
    return f".permute({permutation_text(node)})"


def node_rule(node: GraphNode, graph: AutogradGraph | None = None,
              arrived: tuple[bool, ...] = ()) -> NodeRule | None:
    """The rule of ``node``'s kind, in the variant of what this node computes (its norm's order,
    a permute that is no transpose, a condition the program named, the where of a logdet: that
    one needs ``graph``; a factorization whose vectors' gradients ``arrived``, by output)."""
    base = op_base(node.op)
    rule = RULES.get(base)
    if rule is None:
        return None
    if base in CONDITIONED:
        return _conditioned(rule, node, graph)
    if base in FACTORS:
        return _factored(rule, node, base, arrived)
    key = norm_order(node) if base in NORM_NODES else None
    if key is not None:
        line = NORM_LINES[key]
        if key == "p":
            order = next(v for v in (_attribute(node, n) for n in NORM_NODES[base])
                         if v is not None)
            line = line.replace("{p−1}", _exponent(order - 1)) + f",  p = {_number(order)}"
        return replace(rule, lines=((None if key == "0" else 0, line),))  # ord 0: no gradient
    if base == "Permute" and not is_transpose(node):
        dims = permutation(node)
        back = "…" if dims is None else ", ".join(str(dims.index(k)) for k in range(len(dims)))
        line = (f"∂{{L}}/∂{{x}} = {{g}}.permute({back})   (the inverse of permute"
                f"({permutation_text(node)}): back to {{x:shape}})")
        return replace(rule, lines=((0, line),))
    if base == "Permute":
        return replace(rule, lines=((0, "∂{L}/∂{x} = {g}ᵀ (transposed back)"),))
    return rule


def _conditioned(rule: NodeRule, node: GraphNode, graph: AutogradGraph | None) -> NodeRule:
    """where and masked_fill: "where m is True" for a condition the program named; the note of
    logdet, which ends with a where (NaN where det < 0)."""
    lines = rule.lines
    if _attribute_label(node, dict(rule.saved)["cond"]):
        lines = tuple((slot, line.replace("the condition holds", "{cond} is True")
                       .replace("the condition fails", "{cond} is False"))
                      for slot, line in lines)
    if graph is not None and op_base(node.op) == "Where" and any(
            e.slot == 1 and op_base(graph.node(e.source).op) == "LinalgSlogdet"
            for e in graph.inputs_of(node.id)):
        lines += ((None, LOGDET_NOTE),)
    return replace(rule, lines=lines)


def _factored(rule: NodeRule, node: GraphNode, base: str, arrived: tuple[bool, ...]) -> NodeRule:
    """QR, eigh, SVD: the general lines where the vectors' own gradients arrive (eigvalsh's and
    svdvals' simpler ones otherwise); the card writes each factor ``{outk}`` by its name."""
    if any(k < len(arrived) and arrived[k] for k in VECTORS.get(base, ())):
        return replace(rule, lines=GENERAL_LINES[base])
    return rule


def _attribute_label(node: GraphNode, name: str) -> str | None:
    saved = next((s for s in node.saved if s.name == name), None)
    return None if saved is None else saved.label


def _exponent(value: float) -> str:
    """``2``, ``(−0.5)``: an exponent after ``^``, bracketed where it is not one number."""
    text = _number(value)
    return f"({text})" if text.startswith("−") else text
