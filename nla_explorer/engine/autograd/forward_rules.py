"""Forward cards: what one forward step computes — the formula, its inputs' values and its output."""

from __future__ import annotations

from dataclasses import dataclass

from nla_explorer.engine.autograd.graph import LEAF, AutogradGraph
from nla_explorer.engine.autograd.step_rules import RULES, fmt, op_base, saved_operand, slot_labels
from nla_explorer.engine.tensors import TensorData

#: The forward formula of a node in the symbols of its inputs (slots in order), from its rule.
FORMULAS: dict[str, str] = {base: rule.forward for base, rule in RULES.items() if rule.forward}
_SYMBOLS: dict[str, tuple[str, ...]] = {
    base: rule.forward_symbols for base, rule in RULES.items() if rule.forward_symbols is not None
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
