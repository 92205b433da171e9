"""Forward mode: a topological order, values on the edges, forward cards."""

import re

import numpy as np
import pytest
import torch

from nla_explorer.engine import EXAMPLES, explore_code
from nla_explorer.engine.autograd.forward_rules import forward_card
from nla_explorer.engine.autograd.step_rules import step_card
from nla_explorer.engine.autograd.stepper import CURRENT, DONE, FORWARD, forward_order, forward_view

SHARED = {
    "x_times_x": "x = torch.randn(4, requires_grad=True)\ny = (x * x).sum()\n",
    "x_in_two_ops": "x = torch.randn(3, requires_grad=True)\ny = (x.exp() + x.sin()).sum()\n",
    "A_twice": "A = torch.randn(3, 3, requires_grad=True)\ny = (A @ A).trace()\n",
}
ALL = {**{k: e.code for k, e in EXAMPLES.items()}, **SHARED}


@pytest.mark.parametrize("name", list(ALL))
def test_forward_order_is_topological_and_complete(name):
    exp = explore_code(ALL[name])
    order = forward_order(exp.graph, exp.trace)
    assert sorted(order) == sorted(n.id for n in exp.graph.nodes)
    position = {node_id: i for i, node_id in enumerate(order)}
    for edge in exp.graph.edges:  # every input is computed before the op that reads it
        assert position[edge.source] < position[edge.target]
    assert order[-1] == exp.graph.output_id


@pytest.mark.parametrize("name", list(ALL))
def test_forward_steps_carry_the_inputs_values(name):
    exp = explore_code(ALL[name])
    graph = exp.graph
    order = forward_order(graph, exp.trace)
    for k, node_id in enumerate(order):
        view = forward_view(graph, order, k)
        assert view.mode == FORWARD and view.current == node_id
        assert view.states[node_id] == CURRENT
        assert sum(1 for s in view.states.values() if s == DONE) == k
        assert {(e.source, e.slot) for e in view.lit} == {
            (e.source, e.slot) for e in graph.inputs_of(node_id)}
        for lit in view.lit:
            np.testing.assert_array_equal(lit.tensor.values, graph.node(lit.source).value.values)
        card = forward_card(graph, order, k)
        assert card.rule and card.node_id == node_id
        assert card.output is graph.node(node_id).value


def test_forward_card_of_the_quadratic_names_constants_and_values():
    exp = explore_code(EXAMPLES["quadratic"].code)
    order = forward_order(exp.graph, exp.trace)
    cards = [forward_card(exp.graph, order, k) for k in range(len(order))]
    mul = next(c for c in cards if c.op == "MulBackward0")
    assert mul.rule == ("mul = x · ½",)  # the program's names, never a letter of the rule's
    assert [label for label, _ in mul.inputs] == ["x", "½ (constant)"]
    assert float(mul.inputs[1][1].values) == 0.5
    mm = next(c for c in cards if c.op == "MmBackward0")
    assert mm.rule == ("mm = ½xᵀ · A",)
    f = cards[-1]
    assert f.rule == ("f = ½xᵀAx − bᵀx",)
    names = exp.evaluation.names()
    assert float(f.output.values) == pytest.approx(float(names["f"].detach()))


@pytest.mark.parametrize("name", list(SHARED) + ["quadratic"])
def test_accumulation_contributions_sum_to_the_gradient(name):
    exp = explore_code(ALL[name])
    graph, trace = exp.graph, exp.trace
    shared = [n for n in graph.nodes if len(graph.consumers_of(n.id)) > 1 or
              len({e.slot for e in graph.consumers_of(n.id)}) > 1]
    assert shared
    for node in shared:
        card = step_card(graph, trace, trace.step_of(node.id).index)
        assert len(card.contributions) >= 2
        total = sum(np.asarray(part.values, dtype=np.float64) for _, part in card.contributions)
        np.testing.assert_allclose(total, card.incoming.values, rtol=1e-5, atol=1e-6)
    leaf = next(n for n in graph.leaves if n.name in ("x", "A"))
    names = exp.evaluation.names()
    (expected,) = torch.autograd.grad(exp.output, names[leaf.name], retain_graph=True)
    card = step_card(graph, trace, trace.step_of(leaf.id).index)
    np.testing.assert_allclose(card.incoming.values, expected.numpy(), rtol=1e-5, atol=1e-6)


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@pytest.mark.parametrize("name", list(ALL))
def test_forward_cards_use_no_letter_that_means_something_else_in_the_program(name):
    """A name of the program on a forward card is the step's own or one of its inputs'."""
    exp = explore_code(ALL[name])
    graph = exp.graph
    program = {n.name or n.label for n in graph.nodes if n.name or n.kind == "leaf"}
    order = forward_order(graph, exp.trace)
    for k, node_id in enumerate(order):
        card = forward_card(graph, order, k)
        node = graph.node(node_id)
        allowed = {node.name or node.label}
        for label, _ in card.inputs:
            allowed |= set(IDENTIFIER.findall(label))
        for line in card.rule:
            assert set(IDENTIFIER.findall(line)) & program <= allowed, (name, k, line)


def test_renaming_the_programs_variables_renames_the_forward_cards():
    code = "import torch\np = 3\nx = torch.randn(4, requires_grad=True)\ny = x ** p\n" \
        "z = torch.exp(y).sum()\n"
    renamed = re.sub(r"\bx\b", "u", re.sub(r"\by\b", "v", code))
    cards = []
    for text in (code, renamed):
        exp = explore_code(text)
        order = forward_order(exp.graph, exp.trace)
        cards.append([forward_card(exp.graph, order, k).rule for k in range(len(order))])
    assert cards[0][1:] == [("y = x^3",), ("exp = exp(y)",), ("z = Σᵢ exp(y)ᵢ",)]
    assert cards[1][1:] == [("v = u^3",), ("exp = exp(v)",), ("z = Σᵢ exp(v)ᵢ",)]
