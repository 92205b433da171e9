"""Forward cards: what one forward step computes — the formula, its inputs' values and its output."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nla_explorer.engine.autograd.graph import LEAF, AutogradGraph
from nla_explorer.engine.autograd.step_names import placeholders, render, saved_label, tidy
from nla_explorer.engine.autograd.step_rules import RULES, fmt, namer_for, op_base, saved_operand
from nla_explorer.engine.autograd.step_variants import NORM_NODES, norm_mark
from nla_explorer.engine.ops.factorizations import ALL_FACTORS
from nla_explorer.engine.tensors import TensorData

#: The forward formula of a node in the symbols of its inputs (slots in order), from its rule.
FORMULAS: dict[str, str] = {base: rule.forward for base, rule in RULES.items() if rule.forward}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # a symbol, without the marks after it (xᵀ)
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


def forward_template(formula: str, symbols: tuple[str, ...]) -> str:
    """The forward formula with each input symbol as a ``{placeholder}`` (``A @ B`` →
    ``{A} @ {B}``): filled with the program's names, never shown as a letter of its own."""
    return _IDENTIFIER.sub(lambda m: f"{{{m.group(0)}}}" if m.group(0) in symbols
                           else m.group(0), formula)


def forward_card(graph: AutogradGraph, order: tuple[str, ...], index: int) -> ForwardCard:
    """The card of forward step ``index`` of ``order`` (see :func:`stepper.forward_order`),
    written in the program's names: ``f = ½xᵀAx − bᵀx``, never ``A (unsqueeze)``."""
    node = graph.node(order[index])
    name = node.name or node.label
    if node.kind == LEAF:
        return ForwardCard(f"{name} — input", (f"{name} is a leaf: its value is given",), (),
                           node.value, (f"{name} = {fmt(node.value)}",), node.id, node.op)
    base = op_base(node.op)
    rule = RULES.get(base)
    namer = namer_for(graph)
    labels = namer.input_labels(node)
    producers = {e.slot: graph.node(e.source) for e in graph.inputs_of(node.id)}
    symbols = _SYMBOLS.get(base, ("x",) if node.n_inputs == 1 else ())
    formula = FORMULAS.get(base)
    if formula and base in NORM_NODES:  # ‖x‖₁, ‖x‖∞, ‖x‖_F: the order it was called with
        formula += norm_mark(node)
    if len(node.output_names) > 1 and base in ALL_FACTORS:  # lam, V = torch.linalg.eigh(S)
        formula = ALL_FACTORS[base]
    inputs, names = [], {}
    for slot, label in enumerate(labels):
        symbol = symbols[slot] if formula and slot < len(symbols) else None
        if symbol:
            names[symbol] = label
        if slot in producers:
            inputs.append((label.text, producers[slot].value))
        else:  # a constant torch saved (b in bᵀx, 0.5 in x * 0.5)
            saved = saved_operand(node, rule, symbol) if symbol else None
            inputs.append((f"{label.text} (constant)", saved.tensor if saved is not None
                           else None))
    for symbol, _saved_name in (rule.saved if rule else ()):
        saved = saved_operand(node, rule, symbol) if symbol not in names else None
        if saved is not None:  # the exponent 3 in x^p: the number, not a letter
            names[symbol] = saved_label(saved, symbol)
    template = forward_template(formula, tuple(names)) if formula else None
    if template is not None and set(placeholders(template)) <= set(names):
        lines = (tidy(f"{name} = {render(template, names)}"),)
    else:  # a formula in symbols this node does not fill: its op and inputs instead
        lines = (f"{name} = {node.label}({', '.join(label.text for label in labels)})",)
    numbers = [f"{label} = {fmt(value)}" for label, value in inputs if value is not None]
    numbers.append(f"→ {name} = {fmt(node.value)}")
    return ForwardCard(f"{name} — {node.label}", lines, tuple(inputs), node.value,
                       tuple(numbers), node.id, node.op)
