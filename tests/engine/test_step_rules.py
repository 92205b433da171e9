"""Step cards: formulas, numbers and gradient contributions of each backward step."""

import numpy as np
import pytest
import torch

from nla_explorer.engine import EXAMPLES, capture, explore_code, trace_backward
from nla_explorer.engine.autograd.step_rules import (
    RULES,
    StepCard,
    contributions,
    fmt,
    op_base,
    rule_for,
    step_card,
)
from nla_explorer.engine.tensors import snapshot

X_TIMES_X = "import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\ny = (x * x).sum()\n"


def _steps_of(exploration, op):
    g = exploration.graph
    return [s for s in exploration.trace.steps if g.node(s.node_id).op == op]


@pytest.fixture(scope="module")
def explorations():
    return {name: explore_code(ex.code) for name, ex in EXAMPLES.items()}


def test_op_base():
    assert op_base("MulBackward0") == "Mul"
    assert op_base("InverseMatrixBackward") == "InverseMatrix"
    assert op_base("PowBackward0") == "Pow"
    assert op_base("PowBackward1") == "Pow1"
    assert op_base("AccumulateGrad") == "AccumulateGrad"
    assert rule_for("MulBackward0") == ("∂L/∂a = g · b", "∂L/∂b = g · a")
    assert rule_for("LinalgInvExBackward0") == rule_for("InverseMatrixBackward")
    assert rule_for("CumprodBackward0") == ()


def test_table_covers_the_brief():
    for base in ("Add", "Sub", "Mul", "Div", "Pow", "Pow1", "Exp", "Log", "Sin", "Cos", "Tanh",
                 "Sigmoid", "Relu", "Sum", "Mean", "Mm", "Mv", "Dot", "Matmul", "Squeeze",
                 "Unsqueeze", "View", "Reshape", "T", "Transpose", "LinalgInvEx",
                 "InverseMatrix", "LinalgDet", "LinalgSolveEx", "LinalgVectorNorm", "Softmax",
                 "LogSoftmax", "MseLoss", "NllLoss", "AccumulateGrad"):
        assert RULES[base].lines, base
    assert "−A⁻ᵀ g A⁻ᵀ" in rule_for("LinalgInvExBackward0")[0]
    assert rule_for("LinalgDetBackward0") == ("∂L/∂A = g · det(A) · A⁻ᵀ",)
    assert rule_for("LinalgVectorNormBackward0") == ("∂L/∂x = g · x / ‖x‖",)


def test_every_example_step_has_a_card_with_a_formula(explorations):
    for name, e in explorations.items():
        for step in e.trace.steps:
            card = step_card(e.graph, e.trace, step.index)
            node = e.graph.node(step.node_id)
            assert isinstance(card, StepCard)
            assert card.rule, f"{name}: no formula for {node.op}"
            assert card.numbers, f"{name}: no numbers for {node.op}"
            assert node.op in card.title
            assert len(card.outgoing) == node.n_inputs
            for (_, sent), got in zip(card.outgoing, step.grad_inputs):
                assert sent is got


def test_mul_numbers_and_incoming():
    code = ("import torch\na = torch.tensor(2.0, requires_grad=True)\n"
            "b = torch.tensor(0.5, requires_grad=True)\nc = a * b\ny = c * 2.5\n")
    e = explore_code(code)
    step = next(s for s in _steps_of(e, "MulBackward0") if e.graph.node(s.node_id).name == "c")
    card = step_card(e.graph, e.trace, step.index)
    assert card.title == "c — MulBackward0"  # the variable name, then the op
    assert card.rule == ("∂y/∂a = g · b", "∂y/∂b = g · a")  # the program's names, y's gradient
    assert card.incoming.item() == pytest.approx(2.5)
    assert [label for label, _ in card.outgoing] == ["a", "b"]
    assert card.outgoing[0][1].item() == pytest.approx(1.25)
    assert card.numbers[0] == "g = 2.5, b = 0.5 → ∂y/∂a = 1.25"
    assert card.numbers[1] == "g = 2.5, a = 2 → ∂y/∂b = 5"


def test_constant_input_gets_no_formula_line(explorations):
    e = explorations["quadratic"]
    step = next(s for s in _steps_of(e, "DotBackward0") if s.grad_inputs[0] is None)
    card = step_card(e.graph, e.trace, step.index)
    assert card.rule == ("∂f/∂x += g · b",)  # x is also used elsewhere: its gradients add up
    assert card.outgoing[0] == ("b", None)
    assert "no gradient flows to b" in card.note


def test_leaf_card_and_accumulation_note():
    e = explore_code(X_TIMES_X)
    leaf = e.graph.find("x")
    card = step_card(e.graph, e.trace, e.trace.step_of(leaf.id).index)
    assert card.title == "x — AccumulateGrad"
    assert card.rule == ("x.grad = Σ contributions",)
    assert card.outgoing == ()
    assert "x.grad += g" in card.note
    assert "used by 2 inputs of the same op" in card.note
    assert card.numbers == ("g = [2, 4] → x.grad = [2, 4]",)


def test_a_leaf_used_once_accumulates_its_one_gradient_without_a_sum():
    """"b.grad = Σ contributions" for a b used once puzzled: one term, no sum."""
    e = explore_code("import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\n"
                     "b = torch.tensor([0.5, 0.5], requires_grad=True)\n"
                     "y = (x * x + b).sum()\ny.backward()\n")
    card = step_card(e.graph, e.trace, e.trace.step_of(e.graph.find("b").id).index)
    assert card.rule == ("b.grad += g",) and card.contributions == () and card.note == ""


def _assert_contributions_sum(e, name, count):
    leaf = e.graph.find(name)
    parts = contributions(e.graph, e.trace, leaf.id)
    assert len(parts) == count
    total = sum(np.asarray(t.values, dtype=np.float64) for _, t in parts)
    np.testing.assert_allclose(total, e.trace.leaf_grads[leaf.id].values, rtol=1e-5, atol=1e-6)
    return parts


def test_contributions_x_times_x():
    e = explore_code(X_TIMES_X)
    parts = _assert_contributions_sum(e, "x", 2)
    assert [label for label, _ in parts] == ["x ⊙ x, input 1", "x ⊙ x, input 2"]
    np.testing.assert_allclose(parts[0][1].values, [1.0, 2.0])


def test_contributions_quadratic(explorations):
    e = explorations["quadratic"]
    parts = _assert_contributions_sum(e, "x", 3)  # two dots and the 0.5 * x
    assert sorted(label for label, _ in parts) == ["bᵀx", "½x", "½xᵀAx"]
    _assert_contributions_sum(e, "A", 1)


def test_contributions_of_an_op_node_sum_to_its_incoming_gradient(explorations):
    e = explorations["quadratic_squared"]
    f = e.graph.find("f")
    parts = contributions(e.graph, e.trace, f.id)
    assert len(parts) == 2
    total = sum(float(t.item()) for _, t in parts)
    assert total == pytest.approx(e.trace.node_grad(f.id).item(), rel=1e-6)
    card = step_card(e.graph, e.trace, e.trace.step_of(f.id).index)
    assert "f is used by" in card.note


def test_unknown_op_has_numbers_but_no_formula():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = torch.cumprod(x, 0).sum()  # cumprod has no card (cumsum has one)
    graph, trace = capture(y, names={"x": x}), trace_backward(y)
    step = next(s for s in trace.steps if graph.node(s.node_id).op.startswith("Cumprod"))
    card = step_card(graph, trace, step.index)
    assert card.rule == ()
    assert card.numbers == ("g = [1, 1, 1] → ∂L/∂x = [9, 4, 2]",)


def test_fmt_small_and_large():
    assert fmt(snapshot(torch.tensor(2.5))) == "2.5"
    assert fmt(snapshot(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))) == "[[1, 2], [3, 4]]"
    assert fmt(snapshot(torch.zeros(5, 5))) == "‹5×5›"
    assert fmt(None) == "None"


def test_a_product_of_a_tensor_with_itself_tells_its_two_lines_apart():
    """g = f * f: "∂g/∂f += ḡ · f" twice read as a repeated line; each says which input it is."""
    e = explore_code("import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\n"
                     "f = x.sum()\ng = f * f\ng.backward()\n")
    card = step_card(e.graph, e.trace, 0)
    assert card.rule == ("∂g/∂f += ḡ · f   (as input 1)", "∂g/∂f += ḡ · f   (as input 2)")
