"""Step cards: the chain-rule formula, the gradients and the actual numbers of one backward step.

The formula is written in the program's names (``∂f/∂A = (½xᵀ)ᵀ g``): see ``step_names``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable
from weakref import WeakKeyDictionary

from nla_explorer.engine.autograd.jacobian_card import JacobianPart, jacobian_parts
from nla_explorer.engine.autograd.graph import LEAF, AutogradGraph, GraphNode, SavedValue
from nla_explorer.engine.autograd.rule_table import NODES_OF_NO_OP, RULES, op_base
from nla_explorer.engine.autograd.card_numbers import SMALL, fmt
from nla_explorer.engine.autograd.step_names import (
    UNBOUNDED, Label, Namer, generic_names, partial, render, saved_label, tidy,
)
from nla_explorer.engine.autograd.step_variants import node_rule
from nla_explorer.engine.autograd.trace import BackwardTrace
from nla_explorer.engine.ops import NodeRule
from nla_explorer.engine.ops.factorizations import FACTORS
from nla_explorer.engine.tensors import TensorData

__all__ = [
    "NODES_OF_NO_OP", "RULES", "SMALL", "StepCard", "contributions", "fmt", "is_own_function",
    "namer_for", "op_base", "rule_for", "saved_operand", "slot_labels", "step_card",
]


@dataclass(frozen=True)
class StepCard:
    """What one backward step does: formula lines, gradient in, gradients out, numbers, a note.

    Everything is written in the program's names; ``grad_symbol`` is what the card calls the
    gradient arriving (``g``, or ``ḡ`` where the program has a ``g``), ``gradient_of`` what that
    is (``∂f/∂x``), ``targets`` what each input's gradient is called (``∂f/∂A``).
    """

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
    name: str = ""  # how the card writes this node's output (``x``, ``½xᵀA``)
    loss: str = "L"  # the output differentiated (``f``)
    grad_symbol: str = "g"
    gradient_of: str = ""
    targets: tuple[str, ...] = ()  # one per ``outgoing``
    #: the local Jacobian ∂out/∂in of each input that got a gradient, with gᵀJ (``jacobian_card``)
    jacobians: tuple[JacobianPart, ...] = ()
    #: a node of several outputs (``Q, R = qr(A)``): the other outputs' gradients that arrived
    #: with ``incoming`` (``("∂f/∂R", …)``), each summed from its own uses
    arrived: tuple[tuple[str, TensorData], ...] = ()


_NAMERS: WeakKeyDictionary = WeakKeyDictionary()


def namer_for(graph: AutogradGraph, names: Iterable[str] = ()) -> Namer:
    """The graph's :class:`Namer` (kept while the graph lives: labels are worked out once)."""
    extra = frozenset(names)
    per_graph = _NAMERS.setdefault(graph, {})
    if extra not in per_graph:
        per_graph[extra] = Namer(graph, extra)
    return per_graph[extra]


def rule_for(op: str) -> tuple[str, ...]:
    """The formula lines of torch's backward node ``op`` in its own symbols (empty: unknown)."""
    rule = RULES.get(op_base(op))
    return tuple(_generic(line) for _, line in rule.lines) if rule else ()


def _generic(template: str) -> str:
    names = generic_names(template)
    names.update({"each": Label("xₖ"), "k": Label("k")})
    return render(template, names)


# -- what the forward card shares ------------------------------------------------------------------
def _label_of(node: GraphNode) -> str:
    return node.name or node.label


def slot_labels(graph: AutogradGraph, node: GraphNode, rule: NodeRule | None) -> list[str]:
    """A label per input slot for the forward card: the producer's name or op, a constant's
    name, else the symbol."""
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
                      dict(node.operands).get(slot) or symbol or f"input {slot}")
    return labels


def saved_operand(node: GraphNode, rule: NodeRule | None, symbol: str) -> SavedValue | None:
    saved_name = dict(rule.saved).get(symbol) if rule else None
    return next((s for s in node.saved if s.name == saved_name), None) if saved_name else None


# -- cards ----------------------------------------------------------------------------------------
def step_card(graph: AutogradGraph, trace: BackwardTrace, step_index: int,
              names: Iterable[str] = ()) -> StepCard:
    """The card of ``trace.steps[step_index]``.

    ``names``: the program's other variable names (numbers, tensors outside the graph), so that
    no symbol of the card is one of them; the graph's own names are always taken into account.
    """
    step = trace.steps[step_index]
    node = graph.node(step.node_id)
    namer = namer_for(graph, names)
    incoming = step.incoming
    if node.kind == LEAF:
        return _leaf_card(graph, trace, node, incoming, namer)
    rule = node_rule(node, graph, tuple(g is not None for g in step.grad_outputs))
    labels = namer.input_labels(node)
    grads = list(step.grad_inputs) + [None] * (node.n_inputs - len(step.grad_inputs))
    grads = grads[:node.n_inputs]
    env = _environment(namer, node, rule, labels)
    shapes = {symbol: "×".join(map(str, grads[slot].shape)) or "scalar"
              for slot, symbol in enumerate(rule.symbols if rule else ())
              if slot < len(grads) and grads[slot] is not None}
    loss, g = namer.loss, namer.grad
    lines: list[str] = []
    if rule is not None:
        for slot, template in rule.lines:
            made = _lines(template, slot, env, shapes, labels, grads, namer, node)
            if slot is not None and made and made[0] in lines:  # g = f * f: both factors are f
                lines[lines.index(made[0])] += "   (as input 1)"
                made = [f"{line}   (as input {slot + 1})" for line in made]
            lines += made
    elif is_own_function(node.op):
        function = node.op.removesuffix("Backward")
        targets = ", ".join(partial(loss, lab) for lab, grad in zip(labels, grads)
                            if grad is not None)
        lines.append(f"{targets} = {function}.backward(ctx, {g})")
        lines.append("the program's own backward: the numbers are what it returned")
    numbers = _numbers(node, rule, incoming, env, labels, grads, namer)
    notes = []
    dead = [labels[i].text for i, grad in enumerate(grads) if grad is None]
    if dead:
        notes.append(f"no gradient flows to {', '.join(dead)} "
                     f"({'constants' if len(dead) > 1 else 'constant'})")
    # a node of several outputs (Q, R = qr(A)): the card's g is the first output's that arrived
    arrived = [k for k, grad in enumerate(step.grad_outputs) if grad is not None] or [0]
    several = len(step.grad_outputs) > 1
    name = namer.output_label(node, arrived[0]) if several else namer.label(node.id)
    also = tuple((partial(loss, namer.output_label(node, k)), step.grad_outputs[k])
                 for k in arrived[1:])
    shared = _shared_note(graph, trace, node.id, namer, arrived[0] if several else None)
    if shared:
        notes.append(shared)
    targets = tuple(partial(loss, lab) for lab in labels)
    jacobians = jacobian_parts(trace.jacobians.get(node.id), incoming, grads,
                               [lab.text for lab in labels], list(targets), op_base(node.op))
    return StepCard(f"{namer.label(node.id).text} — {node.op}", tuple(lines), incoming,
                    tuple((lab.text, grad) for lab, grad in zip(labels, grads)),
                    tuple(numbers), "; ".join(notes), node.id, node.op,
                    _shared_parts(graph, trace, node.id, namer, arrived[0] if several else None),
                    name.text, loss, g, partial(loss, name), targets, jacobians, also)


def _environment(namer: Namer, node: GraphNode, rule: NodeRule | None,
                 labels: list[Label]) -> dict[str, Label]:
    """What each symbol of the node's rule stands for here."""
    env = {symbol: Label(namer.generic[symbol]) for symbol in ("I", "N")}
    env.update({"g": Label(namer.grad), "L": Label(namer.loss)})
    for k in range(len(FACTORS.get(op_base(node.op), ()))):  # Q, R = torch.linalg.qr(A)
        env[f"out{k}"] = namer.output_label(node, k)
    if rule is None:
        return env
    for slot, symbol in enumerate(rule.symbols):
        env[symbol] = labels[slot] if slot < len(labels) else Label(namer.generic["const"])
    for symbol, saved_name in rule.saved:
        if symbol in rule.symbols:
            continue
        saved = next((s for s in node.saved if s.name == saved_name), None)
        if saved_name == "result":
            env[symbol] = namer.label(node.id)
        elif saved is None:
            env[symbol] = Label(UNBOUNDED.get(symbol, "…"))
        else:
            env[symbol] = saved_label(saved, "…")
    return env


def _lines(template: str, slot: int | None, env: dict[str, Label], shapes: dict[str, str],
           labels: list[Label], grads: list, namer: Namer, node: GraphNode) -> list[str]:
    """The rule line of ``slot`` (None: always shown), one per input for ``{each}``."""
    if "{each}" in template:
        return [_sum_up(tidy(render(template, {**env, "each": lab, "k": Label(str(k))})),
                        namer.shared(node.id, k))
                for k, lab in enumerate(labels) if grads[k] is not None]
    if slot is not None and (slot >= len(grads) or grads[slot] is None):
        return []
    line = tidy(render(template, env, shapes))
    if slot is None:
        head = line.split(",")[0].split(" = ")
        return [] if len(head) == 2 and head[0] == head[1] else [line]
    return [_sum_up(line, namer.shared(node.id, slot))]


def _sum_up(line: str, shared: bool) -> str:
    """``∂f/∂x = …`` → ``∂f/∂x += …`` where x is used more than once (the uses add up)."""
    return line.replace(" = ", " += ", 1) if shared else line


def is_own_function(op: str) -> bool:
    """A node of a Python ``autograd.Function`` (``SquareBackward``); torch's own nodes carry a
    number (``MulBackward0``)."""
    return op.endswith("Backward") and op != "Backward"


def _numbers(node: GraphNode, rule: NodeRule | None, incoming: TensorData | None,
             env: dict[str, Label], labels: list[Label], grads: list,
             namer: Namer) -> list[str]:
    out = []
    operands = dict(rule.operands) if rule else {}
    g = namer.grad
    for slot, grad in enumerate(grads):
        if grad is None:
            continue
        parts = [f"{g} = {fmt(incoming)}"]
        for symbol in operands.get(slot, ()):
            saved = saved_operand(node, rule, symbol)
            if saved is None or saved.tensor is None:
                continue  # a number: the rule line already shows it
            text = fmt(saved.tensor)
            if env[symbol].text != text:
                parts.append(f"{env[symbol].text} = {text}")
        relation = "+=" if namer.shared(node.id, slot) else "="
        out.append(f"{', '.join(parts)} → {partial(namer.loss, labels[slot])} {relation} "
                   f"{fmt(grad)}")
    if not out and incoming is not None:
        out.append(f"{g} = {fmt(incoming)}")
    return out


def _leaf_card(graph: AutogradGraph, trace: BackwardTrace, node: GraphNode,
               incoming: TensorData | None, namer: Namer) -> StepCard:
    label = namer.label(node.id)
    name, g = label.text, namer.grad
    final = trace.leaf_grads.get(node.id, incoming)
    numbers = [f"{g} = {fmt(incoming)} → {name}.grad = {fmt(final)}"]
    parts = _shared_parts(graph, trace, node.id, namer)
    if parts:  # used several times: the sum is the rule, the note says what is added
        rule = tuple(render(line, {"x": label}) for _, line in RULES["AccumulateGrad"].lines)
        note = f"{name}.grad += {g}; " + _shared_note(graph, trace, node.id, namer)
    else:  # used once: "Σ contributions" of one term would only puzzle
        rule, note = (f"{name}.grad += {g}",), ""
    return StepCard(f"{name} — AccumulateGrad", rule, incoming, (),
                    tuple(numbers), note, node.id, node.op, parts, name, namer.loss, g,
                    partial(namer.loss, label), ())


def _shared_parts(graph: AutogradGraph, trace: BackwardTrace, node_id: str, namer: Namer,
                  output_nr: int | None = None) -> tuple[tuple[str, TensorData], ...]:
    parts = contributions(graph, trace, node_id, namer=namer, output_nr=output_nr)
    return tuple(parts) if len(parts) > 1 else ()


def _shared_note(graph: AutogradGraph, trace: BackwardTrace, node_id: str, namer: Namer,
                 output_nr: int | None = None) -> str:
    parts = contributions(graph, trace, node_id, namer=namer, output_nr=output_nr)
    if len(parts) < 2:
        return ""
    node = graph.node(node_id)
    name = (namer.label(node_id) if output_nr is None else namer.output_label(node, output_nr)).text
    consumers = {e.target for e in graph.consumers_of(node_id)
                 if output_nr is None or e.output_nr == output_nr}
    uses = f"{len(consumers)} ops" if len(consumers) > 1 else \
        f"{len(parts)} inputs of the same op"
    terms = " + ".join(f"{fmt(t)} (from {label})" for label, t in parts)
    return f"{name} is used by {uses}: contributions {terms} are summed into {namer.grad}"


def contributions(graph: AutogradGraph, trace: BackwardTrace, node_id: str,
                  names: Iterable[str] = (), namer: Namer | None = None,
                  output_nr: int | None = None) -> list[tuple[str, TensorData]]:
    """The gradient each consumer sends to ``node_id``; they sum to the node's incoming gradient
    (of its output ``output_nr``, for a node of several: R's of ``Q, R = qr(A)``).

    Labels are the consumer's variable name or expression (``bᵀx``), with the input number when
    a consumer reads the node twice (``x ⊙ x``). Consumers whose step sent no gradient are left
    out.
    """
    namer = namer or namer_for(graph, names)
    edges = sorted((e for e in graph.consumers_of(node_id)
                    if output_nr is None or e.output_nr == output_nr),
                   key=lambda e: (e.target, e.slot))
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
        label = namer.label(e.target).text
        if per_target[e.target] > 1:
            label = f"{label}, input {e.slot + 1}"
        out.append((label, grad))
    return out


def _step_position(trace: BackwardTrace, node_id: str) -> int:
    step = trace.step_of(node_id)
    return step.index if step is not None else len(trace.steps)
