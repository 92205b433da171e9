"""Step cards: the chain-rule formula, the gradients and the actual numbers of one backward step."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from nla_explorer.engine.autograd.graph import LEAF, AutogradGraph, GraphNode, SavedValue
from nla_explorer.engine.autograd.trace import BackwardTrace
from nla_explorer.engine.ops import CATALOGUE, NodeRule
from nla_explorer.engine.ops.parts import reshaped, unary
from nla_explorer.engine.tensors import TensorData

#: Tensors with at most this many elements show their numbers; larger ones show their shape.
SMALL = 6


@dataclass(frozen=True)
class StepCard:
    """What one backward step does: formula lines, gradient in, gradients out, numbers, a note."""

    title: str
    rule: tuple[str, ...]
    incoming: TensorData | None
    outgoing: tuple[tuple[str, TensorData | None], ...]
    numbers: tuple[str, ...]
    note: str = ""
    node_id: str = ""
    op: str = ""
    #: where the node is used more than once: what each use sends back; they sum to ``incoming``
    contributions: tuple[tuple[str, TensorData], ...] = ()


#: Nodes no catalogue op declares: torch makes them for leaves, broadcasting, copies, inside
#: other ops (matmul's UnsafeView), or for code run as Python (``x.max()``).
NODES_OF_NO_OP: tuple[NodeRule, ...] = (
    NodeRule("AccumulateGrad", ("x",), ((None, "x.grad = Σ contributions"),)),
    unary("Clone", "∂L/∂x = g"),
    unary("Expand", "∂L/∂x = g summed over the expanded dimensions"),
    reshaped("UnsafeView"),
    unary("Max", "∂L/∂x = g at the position of the maximum, 0 elsewhere"),
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


def rule_for(op: str) -> tuple[str, ...]:
    """The formula lines of torch's backward node ``op`` (empty when unknown)."""
    rule = RULES.get(op_base(op))
    return tuple(line for _, line in rule.lines) if rule else ()


# -- formatting -----------------------------------------------------------------------------------
def _num(v: float) -> str:
    text = f"{v:.4g}"
    return "0" if text == "-0" else text


def fmt(data: TensorData | None) -> str:
    """Numbers of a small tensor (``2.5``, ``[1, 2]``), else its shape (``‹5×5›``)."""
    if data is None:
        return "None"
    if data.values is None or data.numel > SMALL:
        return "‹" + "×".join(map(str, data.shape)) + "›" if data.shape else "‹scalar›"
    arr = np.asarray(data.values, dtype=float)
    if arr.ndim == 0:
        return _num(float(arr))

    def rec(a: np.ndarray) -> str:
        if a.ndim == 1:
            return "[" + ", ".join(_num(float(v)) for v in a) + "]"
        return "[" + ", ".join(rec(row) for row in a) + "]"
    return rec(arr)


def _plain_number(value: object) -> str:
    return _num(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else str(value)


# -- cards ----------------------------------------------------------------------------------------
def _label_of(node: GraphNode) -> str:
    return node.name or node.label


def slot_labels(graph: AutogradGraph, node: GraphNode, rule: NodeRule | None) -> list[str]:
    """A label per input slot: the producer's name or op, a constant's name, else the symbol."""
    sources = {e.slot: graph.node(e.source) for e in graph.inputs_of(node.id)}
    labels = []
    for slot in range(node.n_inputs):
        producer = sources.get(slot)
        symbol = rule.symbols[slot] if rule and slot < len(rule.symbols) else None
        if producer is not None:
            labels.append(_label_of(producer))
            continue
        saved = saved_operand(node, rule, symbol) if symbol else None
        labels.append(saved.label if saved is not None and saved.label else
                      symbol or f"input {slot}")
    return labels


def saved_operand(node: GraphNode, rule: NodeRule | None, symbol: str) -> SavedValue | None:
    saved_name = dict(rule.saved).get(symbol) if rule else None
    return next((s for s in node.saved if s.name == saved_name), None) if saved_name else None


def _operand_text(node: GraphNode, rule: NodeRule, symbol: str) -> str | None:
    s = saved_operand(node, rule, symbol)
    if s is None:
        return None
    return fmt(s.tensor) if s.tensor is not None else _plain_number(s.attribute)


def step_card(graph: AutogradGraph, trace: BackwardTrace, step_index: int) -> StepCard:
    """The card of ``trace.steps[step_index]``."""
    step = trace.steps[step_index]
    node = graph.node(step.node_id)
    incoming = step.grad_outputs[0] if step.grad_outputs else None
    if node.kind == LEAF:
        return _leaf_card(graph, trace, node, incoming)
    rule = RULES.get(op_base(node.op))
    labels = slot_labels(graph, node, rule)
    grads = list(step.grad_inputs) + [None] * (node.n_inputs - len(step.grad_inputs))
    outgoing = tuple(zip(labels, grads[:node.n_inputs]))
    lines: list[str] = []
    if rule is not None:
        for slot, line in rule.lines:
            if slot is None or (slot < len(grads) and grads[slot] is not None):
                lines.append(line)
    elif is_own_function(node.op):
        function = node.op.removesuffix("Backward")
        targets = ", ".join(f"∂L/∂{label}" for label, g in zip(labels, grads) if g is not None)
        lines.append(f"{targets} = {function}.backward(ctx, g)")
        lines.append("the program's own backward: the numbers are what it returned")
    numbers = _numbers(node, rule, incoming, labels, grads)
    notes = []
    dead = [labels[i] for i, g in enumerate(grads[:node.n_inputs]) if g is None]
    if dead:
        notes.append(f"no gradient flows to {', '.join(dead)} (a constant)")
    shared = _shared_note(graph, trace, node.id)
    if shared:
        notes.append(shared)
    return StepCard(f"{_label_of(node)} — {node.op}", tuple(lines), incoming, outgoing,
                    tuple(numbers), "; ".join(notes), node.id, node.op,
                    _shared_parts(graph, trace, node.id))


def is_own_function(op: str) -> bool:
    """A node of a Python ``autograd.Function`` (``SquareBackward``); torch's own nodes carry a
    number (``MulBackward0``)."""
    return op.endswith("Backward") and op != "Backward"


def _numbers(node: GraphNode, rule: NodeRule | None, incoming: TensorData | None,
             labels: list[str], grads: list[TensorData | None]) -> list[str]:
    out = []
    operands = dict(rule.operands) if rule else {}
    for slot, grad in enumerate(grads[:node.n_inputs]):
        if grad is None:
            continue
        parts = [f"g = {fmt(incoming)}"]
        for symbol in operands.get(slot, ()):
            text = _operand_text(node, rule, symbol)
            if text is not None:
                parts.append(f"{symbol} = {text}")
        symbol = rule.symbols[slot] if rule and slot < len(rule.symbols) else labels[slot]
        target = symbol if symbol == labels[slot] else f"{symbol} ({labels[slot]})"
        out.append(f"{', '.join(parts)} → ∂L/∂{target} = {fmt(grad)}")
    if not out and incoming is not None:
        out.append(f"g = {fmt(incoming)}")
    return out


def _leaf_card(graph: AutogradGraph, trace: BackwardTrace, node: GraphNode,
               incoming: TensorData | None) -> StepCard:
    name = _label_of(node)
    final = trace.leaf_grads.get(node.id, incoming)
    numbers = [f"g = {fmt(incoming)} → {name}.grad = {fmt(final)}"]
    rule = (f"{name}.grad = Σ contributions",)
    note = f"{name}.grad += g"
    shared = _shared_note(graph, trace, node.id)
    if shared:
        note += "; " + shared
    return StepCard(f"{name} — AccumulateGrad", rule, incoming, (),
                    tuple(numbers), note, node.id, node.op, _shared_parts(graph, trace, node.id))


def _shared_parts(graph: AutogradGraph, trace: BackwardTrace,
                  node_id: str) -> tuple[tuple[str, TensorData], ...]:
    parts = contributions(graph, trace, node_id)
    return tuple(parts) if len(parts) > 1 else ()


def _shared_note(graph: AutogradGraph, trace: BackwardTrace, node_id: str) -> str:
    parts = contributions(graph, trace, node_id)
    if len(parts) < 2:
        return ""
    name = _label_of(graph.node(node_id))
    consumers = {e.target for e in graph.consumers_of(node_id)}
    uses = f"{len(consumers)} ops" if len(consumers) > 1 else \
        f"{len(parts)} inputs of the same op"
    terms = " + ".join(f"{fmt(t)} (from {label})" for label, t in parts)
    return f"{name} is used by {uses}: contributions {terms} are summed into g"


def contributions(graph: AutogradGraph, trace: BackwardTrace,
                  node_id: str) -> list[tuple[str, TensorData]]:
    """The gradient each consumer sends to ``node_id``; they sum to the node's incoming gradient.

    Labels are the consumer's variable name or op, with the input number when a consumer reads
    the node twice (``x * x``). Consumers whose step sent no gradient are left out.
    """
    edges = sorted(graph.consumers_of(node_id), key=lambda e: (e.target, e.slot))
    per_target: dict[str, int] = {}
    for e in edges:
        per_target[e.target] = per_target.get(e.target, 0) + 1
    out: list[tuple[str, TensorData]] = []
    for e in sorted(edges, key=lambda e: _step_position(trace, e.target)):
        step = trace.step_of(e.target)
        if step is None or e.slot >= len(step.grad_inputs):
            continue
        grad = step.grad_inputs[e.slot]
        if grad is None:
            continue
        label = _label_of(graph.node(e.target))
        if per_target[e.target] > 1:
            label = f"{label}, input {e.slot + 1}"
        out.append((label, grad))
    return out


def _step_position(trace: BackwardTrace, node_id: str) -> int:
    step = trace.step_of(node_id)
    return step.index if step is not None else len(trace.steps)
