"""Forward cards: what one forward step computes — the formula, its inputs' values and its output."""

from __future__ import annotations

from dataclasses import dataclass

from nla_explorer.engine.autograd.graph import LEAF, AutogradGraph
from nla_explorer.engine.autograd.step_rules import RULES, fmt, op_base, saved_operand, slot_labels
from nla_explorer.engine.tensors import TensorData

#: The forward formula of an op in the symbols of its inputs (slots in order).
FORMULAS: dict[str, str] = {
    "Add": "a + b", "Sub": "a − b", "Mul": "a · b", "Div": "a / b", "Neg": "−x",
    "Pow": "xᵖ", "Pow1": "aᵇ", "Pow2": "cˣ", "Exp": "eˣ", "Log": "ln x", "Sqrt": "√x",
    "Sin": "sin x", "Cos": "cos x", "Tanh": "tanh x", "Sigmoid": "σ(x) = 1 / (1 + e⁻ˣ)",
    "Relu": "max(0, x)", "Sum": "Σᵢ xᵢ", "Mean": "(1/N) Σᵢ xᵢ", "Mm": "A · B", "Mv": "A x",
    "Dot": "aᵀ b", "Addmm": "c + A · B", "Matmul": "A @ B", "T": "xᵀ", "Transpose": "xᵀ",
    "Abs": "|x|", "LinalgInvEx": "A⁻¹", "InverseMatrix": "A⁻¹", "Inv": "A⁻¹",
    "LinalgDet": "det A", "LinalgSolveEx": "A⁻¹ B (solve A X = B)",
    "LinalgVectorNorm": "‖x‖", "Norm": "‖x‖", "Softmax": "eˣ / Σⱼ eˣʲ",
    "MseLoss": "(1/N) Σ (ŷ − y)²", "Trace": "Σᵢ Aᵢᵢ",
}
_SYMBOLS: dict[str, tuple[str, ...]] = {
    "Add": ("a", "b"), "Sub": ("a", "b"), "Mul": ("a", "b"), "Div": ("a", "b"),
    "Pow1": ("a", "b"), "Pow2": ("c", "x"), "Mm": ("A", "B"), "Mv": ("A", "x"),
    "Dot": ("a", "b"), "Addmm": ("c", "A", "B"), "Matmul": ("A", "B"),
    "LinalgSolveEx": ("A", "B"), "MseLoss": ("ŷ", "y"),
    "LinalgInvEx": ("A",), "InverseMatrix": ("A",), "Inv": ("A",), "LinalgDet": ("A",),
    "Trace": ("A",),
}


@dataclass(frozen=True)
class ForwardCard:
    """One forward step: the formula, the inputs (label, value) and the output value."""

    title: str
    rule: tuple[str, ...]
    inputs: tuple[tuple[str, TensorData | None], ...]
    output: TensorData | None
    numbers: tuple[str, ...]
    node_id: str = ""
    op: str = ""


def forward_card(graph: AutogradGraph, order: tuple[str, ...], index: int) -> ForwardCard:
    """The card of forward step ``index`` of ``order`` (see :func:`stepper.forward_order`)."""
    node = graph.node(order[index])
    name = node.name or node.label
    if node.kind == LEAF:
        return ForwardCard(f"{name} — input", (f"{name} is a leaf: its value is given",), (),
                           node.value, (f"{name} = {fmt(node.value)}",), node.id, node.op)
    base = op_base(node.op)
    rule = RULES.get(base)
    labels = slot_labels(graph, node, rule)
    producers = {e.slot: graph.node(e.source) for e in graph.inputs_of(node.id)}
    symbols = _SYMBOLS.get(base, ("x",) if node.n_inputs == 1 else ())
    formula = FORMULAS.get(base)
    inputs = []
    for slot, label in enumerate(labels):
        symbol = symbols[slot] if formula and slot < len(symbols) else None
        if slot in producers:
            value = producers[slot].value
            text = f"{symbol} ({label})" if symbol and symbol != label else label
        else:  # a constant torch saved (b in bᵀx, 0.5 in x * 0.5)
            saved = saved_operand(node, rule, symbol) if symbol else None
            value = saved.tensor if saved is not None else None
            named = f"{label}, " if label != (symbol or label) else ""
            text = f"{symbol or label} ({named}constant)"
        inputs.append((text, value))
    lines = (f"{name} = {formula}",) if formula else \
        (f"{name} = {node.label}({', '.join(label for label, _ in inputs)})",)
    numbers = [f"{label} = {fmt(value)}" for label, value in inputs if value is not None]
    numbers.append(f"→ {name} = {fmt(node.value)}")
    return ForwardCard(f"{name} — {node.label}", lines, tuple(inputs), node.value,
                       tuple(numbers), node.id, node.op)
