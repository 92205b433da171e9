"""Step cards: the chain-rule formula, the gradients and the actual numbers of one backward step."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from nla_explorer.engine.autograd.graph import LEAF, AutogradGraph, GraphNode, SavedValue
from nla_explorer.engine.tensors import TensorData
from nla_explorer.engine.autograd.trace import BackwardTrace

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


@dataclass(frozen=True)
class _Rule:
    """Formula of an op: one symbol per input slot, formula lines per slot, operands to show."""

    symbols: tuple[str, ...]
    lines: tuple[tuple[int | None, str], ...]  # (slot, line); slot None: always shown
    operands: tuple[tuple[int, tuple[str, ...]], ...] = ()  # slot → symbols its line reads
    saved: tuple[tuple[str, str], ...] = ()  # symbol → saved name (``_saved_<name>``)


def _unary(line: str, uses: tuple[str, ...] = (), saved: tuple[tuple[str, str], ...] = (),
           extra: str | None = None) -> _Rule:
    lines = ((0, line),) + (((None, extra),) if extra else ())
    return _Rule(("x",), lines, ((0, uses),), saved)


_SHAPE = _unary("∂L/∂x = g reshaped back to x's shape")
_INVERSE = _unary("∂L/∂A = −A⁻ᵀ g A⁻ᵀ")
_AB = (("a", "self"), ("b", "other"))
_NORM = _unary("∂L/∂x = g · x / ‖x‖", ("x", "‖x‖"), (("x", "self"), ("‖x‖", "result")))

RULES: dict[str, _Rule] = {
    "Add": _Rule(("a", "b"), ((0, "∂L/∂a = g"), (1, "∂L/∂b = g"))),
    "Sub": _Rule(("a", "b"), ((0, "∂L/∂a = g"), (1, "∂L/∂b = −g"))),
    "Mul": _Rule(("a", "b"), ((0, "∂L/∂a = g · b"), (1, "∂L/∂b = g · a")),
                 ((0, ("b",)), (1, ("a",))), _AB),
    "Div": _Rule(("a", "b"), ((0, "∂L/∂a = g / b"), (1, "∂L/∂b = −g · a / b²")),
                 ((0, ("b",)), (1, ("a", "b"))), _AB),
    "Pow": _unary("∂L/∂x = g · p · x^(p−1)", ("x", "p"), (("x", "self"), ("p", "exponent"))),
    "Pow1": _Rule(("a", "b"), ((0, "∂L/∂a = g · b · a^(b−1)"), (1, "∂L/∂b = g · aᵇ · ln a")),
                  ((0, ("a", "b")), (1, ("a", "b"))), (("a", "self"), ("b", "exponent"))),
    "Pow2": _unary("∂L/∂x = g · cˣ · ln c", ("c", "x"), (("c", "self"), ("x", "exponent"))),
    "Neg": _unary("∂L/∂x = −g"),
    "Exp": _unary("∂L/∂x = g · eˣ = g · y", ("y",), (("y", "result"),)),
    "Log": _unary("∂L/∂x = g / x", ("x",), (("x", "self"),)),
    "Sqrt": _unary("∂L/∂x = g / (2√x) = g / (2y)", ("y",), (("y", "result"),)),
    "Sin": _unary("∂L/∂x = g · cos x", ("x",), (("x", "self"),)),
    "Cos": _unary("∂L/∂x = −g · sin x", ("x",), (("x", "self"),)),
    "Tanh": _unary("∂L/∂x = g · (1 − y²),  y = tanh x", ("y",), (("y", "result"),)),
    "Sigmoid": _unary("∂L/∂x = g · y · (1 − y),  y = σ(x)", ("y",), (("y", "result"),)),
    "Relu": _unary("∂L/∂x = g where x > 0, else 0", ("y",), (("y", "result"),)),
    "Sum": _unary("∂L/∂xᵢ = g for every element: g copied to x's shape"),
    "Mean": _unary("∂L/∂xᵢ = g / N for every element (N = number of elements averaged)",
                   ("N",), (("N", "self_sym_numel"),)),
    "Mm": _Rule(("A", "B"), ((0, "∂L/∂A = g · Bᵀ"), (1, "∂L/∂B = Aᵀ · g")),
                ((0, ("B",)), (1, ("A",))), (("A", "self"), ("B", "mat2"))),
    "Mv": _Rule(("A", "x"), ((0, "∂L/∂A = g xᵀ (outer product)"), (1, "∂L/∂x = Aᵀ g")),
                ((0, ("x",)), (1, ("A",))), (("A", "self"), ("x", "vec"))),
    "Dot": _Rule(("a", "b"), ((0, "∂L/∂a = g · b"), (1, "∂L/∂b = g · a")),
                 ((0, ("b",)), (1, ("a",))), (("a", "self"), ("b", "tensor"))),
    "Addmm": _Rule(("c", "A", "B"), ((0, "∂L/∂c = g (summed over broadcast rows)"),
                                     (1, "∂L/∂A = g · Bᵀ"), (2, "∂L/∂B = Aᵀ · g")),
                   ((1, ("B",)), (2, ("A",))), (("A", "mat1"), ("B", "mat2"))),
    "Matmul": _Rule(("A", "B"), ((0, "∂L/∂A = g · Bᵀ"), (1, "∂L/∂B = Aᵀ · g"))),
    "T": _unary("∂L/∂x = gᵀ (transposed back)"),
    "Transpose": _unary("∂L/∂x = gᵀ (the two dimensions swapped back)"),
    "Squeeze": _SHAPE, "Unsqueeze": _SHAPE, "View": _SHAPE, "UnsafeView": _SHAPE,
    "Reshape": _SHAPE, "ReshapeAlias": _SHAPE, "Permute": _SHAPE, "Clone": _unary("∂L/∂x = g"),
    "Expand": _unary("∂L/∂x = g summed over the expanded dimensions"),
    "Abs": _unary("∂L/∂x = g · sign(x)", ("x",), (("x", "self"),)),
    "Clamp": _unary("∂L/∂x = g where min ≤ x ≤ max, else 0"),
    "ClampMin": _unary("∂L/∂x = g where x ≥ min, else 0"),
    "ClampMax": _unary("∂L/∂x = g where x ≤ max, else 0"),
    "Max": _unary("∂L/∂x = g at the position of the maximum, 0 elsewhere"),
    "Maximum": _Rule(("a", "b"), ((0, "∂L/∂a = g where a > b (half where equal)"),
                                  (1, "∂L/∂b = g where b > a (half where equal)"))),
    "Select": _unary("∂L/∂x = g put back at the selected position, 0 elsewhere"),
    "Slice": _unary("∂L/∂x = g put back at the sliced positions, 0 elsewhere"),
    "Index": _unary("∂L/∂x = g added back at the indexed positions, 0 elsewhere"),
    "Cat": _Rule((), ((None, "∂L/∂xₖ = the block of g where xₖ was placed"),)),
    "Stack": _Rule((), ((None, "∂L/∂xₖ = g[k], the k-th slice of g"),)),
    "Trace": _unary("∂L/∂A = g · I"),
    "Diag": _unary("∂L/∂x = the diagonal of g (or g placed on the diagonal)"),
    "LinalgInvEx": _INVERSE, "InverseMatrix": _INVERSE, "Inv": _INVERSE,
    "LinalgDet": _unary("∂L/∂A = g · det(A) · A⁻ᵀ", ("det",), (("det", "result"),)),
    "LinalgSolveEx": _Rule(("A", "B"), ((1, "∂L/∂B = A⁻ᵀ g"), (0, "∂L/∂A = −(A⁻ᵀ g) Xᵀ"),
                                        (None, "X = A⁻¹B, the solution")),
                           saved=(("X", "result"),)),
    "LinalgVectorNorm": _NORM, "Norm": _NORM,
    "Softmax": _unary("∂L/∂x = y ⊙ (g − Σⱼ gⱼ yⱼ),  y = softmax(x)", ("y",),
                      (("y", "result"),)),
    "LogSoftmax": _unary("∂L/∂x = g − softmax(x) · Σⱼ gⱼ", (), (),
                         "cross-entropy = log_softmax then nll_loss"),
    "MseLoss": _Rule(("ŷ", "y"), ((0, "∂L/∂ŷ = g · 2(ŷ − y) / N"), (1, "∂L/∂y = −g · 2(ŷ − y) / N"),
                                  (None, "N = number of elements (1 with reduction='sum')")),
                     ((0, ("ŷ", "y")), (1, ("ŷ", "y"))), (("ŷ", "self"), ("y", "target"))),
    "NllLoss": _unary("∂L/∂zᵢₖ = −g / N if k is sample i's target class, else 0",
                      extra="cross-entropy: with log_softmax before it, ∂L/∂logits = "
                            "(softmax − one-hot) · g / N"),
    "AccumulateGrad": _Rule(("x",), ((None, "x.grad = Σ contributions"),)),
}


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


def slot_labels(graph: AutogradGraph, node: GraphNode, rule: _Rule | None) -> list[str]:
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


def saved_operand(node: GraphNode, rule: _Rule | None, symbol: str) -> SavedValue | None:
    saved_name = dict(rule.saved).get(symbol) if rule else None
    return next((s for s in node.saved if s.name == saved_name), None) if saved_name else None


def _operand_text(node: GraphNode, rule: _Rule, symbol: str) -> str | None:
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


def _numbers(node: GraphNode, rule: _Rule | None, incoming: TensorData | None,
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
