"""A step card says what this node computes: a norm's gradient by its order, a permute by its dims.

``LinalgVectorNormBackward0`` is the node of every vector norm (``torch.linalg.norm``,
``x.norm(p)``, ``vector_norm``); its card showed the 2-norm's ``g · x / ‖x‖`` for ``ord=1`` or
``ord=inf`` too. ``PermuteBackward0`` is ``x.T`` of a matrix, and also every other ``permute``,
which its card called a transpose ``xᵀ``. The programs run as in plain Python (the oracle), and
each card's formula agrees with the gradient torch computed.
"""

from __future__ import annotations

import pytest
import torch

from nla_explorer.engine import explore_code
from nla_explorer.engine.autograd.forward_rules import forward_card
from nla_explorer.engine.autograd.step_rules import step_card
from nla_explorer.engine.autograd.stepper import forward_order
from tests.engine.app_record import app_record
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

H = "import torch\nimport math\ntorch.manual_seed(0)\n"
VECTOR = H + "x = torch.randn(5, requires_grad=True)\n"


def cards(text: str) -> dict[str, object]:
    """Each step's card by its node's torch name (the last one of each)."""
    exploration = explore_code(text)
    graph, trace = exploration.graph, exploration.trace
    out = {}
    for index, step in enumerate(trace.steps):
        card = step_card(graph, trace, index)
        out[graph.node(step.node_id).op] = card
    return out


#: ord as code writes it → what the norm's card must say (and must not).
NORMS = [
    ("", "∂n/∂x = g · x / n", "sign"),  # the 2-norm, by default
    ("ord=2", "∂n/∂x = g · x / n", "sign"),
    ("ord=1", "∂n/∂x = g · sign(x)", "/ n"),
    ("ord=torch.inf", "∂n/∂x = g · sign(x) where |x| is largest (= n;", "/ n"),
    ("ord=-math.inf", "∂n/∂x = g · sign(x) where |x| is smallest (= n;", "/ n"),
    ("ord=3", "∂n/∂x = g · sign(x) ⊙ |x|^2 / n^2,  p = 3", "x / n"),
    ("ord=0.5", "∂n/∂x = g · sign(x) ⊙ |x|^(−0.5) / n^(−0.5),  p = 0.5", "x / n"),
    ("ord=0", "∂n/∂x = 0", "sign"),
]


@pytest.mark.parametrize("order, line, absent", NORMS)
def test_a_norms_card_shows_the_gradient_of_its_order(oracle, order, line, absent):
    call = f"torch.linalg.norm(x, {order})" if order else "torch.linalg.norm(x)"
    text = VECTOR + f"n = {call}\nn.backward()\n"
    assert_same(oracle.run(text), app_record(text), text)
    card = cards(text)["LinalgVectorNormBackward0"]
    assert card.rule[0].startswith(line), card.rule
    assert absent not in card.rule[0], card.rule


@pytest.mark.parametrize("text", [
    "n = x.norm(p=1)", "n = torch.norm(x, p=float('inf'))", "n = torch.linalg.vector_norm(x, 4)",
])
def test_every_spelling_of_a_norm_gets_its_orders_card(oracle, text):
    program = VECTOR + text + "\nn.backward()\n"
    assert_same(oracle.run(program), app_record(program), program)
    rule = cards(program)["LinalgVectorNormBackward0"].rule[0]
    assert "sign(x)" in rule and "x / n" not in rule


@pytest.mark.parametrize("order", ["'fro'", ""])
def test_a_matrixs_frobenius_norm_says_so(oracle, order):
    text = H + "A = torch.randn(3, 2, requires_grad=True)\n" + \
        f"n = torch.linalg.norm(A{', ' + order if order else ''})\nn.backward()\n"
    assert_same(oracle.run(text), app_record(text), text)
    rule = cards(text)["LinalgVectorNormBackward0"].rule[0]
    assert rule.startswith("∂n/∂A = g · A / n") and "Frobenius" in rule


@pytest.mark.parametrize("order, mark", [("1", "‖x‖₁"), ("torch.inf", "‖x‖∞"),
                                         ("-torch.inf", "‖x‖₋∞"), ("3", "‖x‖₃"),
                                         ("2", "‖x‖ ")])
def test_an_unnamed_norm_is_named_with_its_order(order, mark):
    text = VECTOR + f"f = 2 * torch.linalg.norm(x, ord={order})\nf.backward()\n"
    card = cards(text)["LinalgVectorNormBackward0"]
    assert (card.title + " ").startswith(mark), card.title


@pytest.mark.parametrize("order, formula", [("", "n = ‖x‖"), ("ord=1", "n = ‖x‖₁"),
                                            ("ord=torch.inf", "n = ‖x‖∞"), ("ord=3", "n = ‖x‖₃")])
def test_a_norms_forward_card_writes_its_order(order, formula):
    text = VECTOR + f"n = torch.linalg.norm(x{', ' + order if order else ''})\nn.backward()\n"
    exploration = explore_code(text)
    graph = exploration.graph
    steps = forward_order(graph, exploration.trace)
    (card,) = [forward_card(graph, steps, k) for k in range(len(steps))
               if graph.node(steps[k]).op == "LinalgVectorNormBackward0"]
    assert card.rule == (formula,)


def test_the_infinity_norms_card_matches_torchs_gradient():
    """The card's reading: sign(x) where |x| is largest, 0 elsewhere (g = 1)."""
    text = VECTOR + "n = torch.linalg.norm(x, ord=torch.inf)\nn.backward()\n"
    x = explore_code(text).evaluation.names()["x"]
    largest = x.detach().abs() == x.detach().abs().max()
    assert torch.equal(x.grad, torch.where(largest, x.detach().sign(), torch.zeros(5)))


# -- permute -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dims", [(2, 0, 1), (1, 2, 0), (0, 2, 1), (0, 3, 1, 2)])
def test_a_permute_of_more_than_two_dims_is_named_by_its_dims(oracle, dims):
    shape = (2, 3, 4, 5)[:len(dims)]
    text = H + f"x = torch.randn{shape}.requires_grad_()\n" \
        f"f = (x.permute{dims} * 2).sum()\nf.backward()\n"
    assert_same(oracle.run(text), app_record(text), text)
    card = cards(text)["PermuteBackward0"]
    written = ", ".join(map(str, dims))
    inverse = ", ".join(str(dims.index(k)) for k in range(len(dims)))
    assert card.title.startswith(("x.", "(…).")) and f".permute({written}) — " in card.title
    assert card.rule[0].startswith(f"∂f/∂x = g.permute({inverse})"), card.rule
    assert "ᵀ" not in card.title + card.rule[0]
    y = torch.randn(shape).permute(dims)  # the card's inverse puts the dims back
    assert y.permute(tuple(dims.index(k) for k in range(len(dims)))).shape == shape


@pytest.mark.parametrize("form", ["A.T", "A.permute(1, 0)", "torch.permute(A, (1, 0))"])
def test_a_matrixs_permute_1_0_is_its_transpose(oracle, form):
    text = H + f"A = torch.randn(2, 3, requires_grad=True)\nf = ({form} * 2).sum()\nf.backward()\n"
    assert_same(oracle.run(text), app_record(text), text)
    card = cards(text)["PermuteBackward0"]
    assert card.title.startswith("Aᵀ — ") and card.rule == ("∂f/∂A = gᵀ (transposed back)",)


def test_a_named_permute_keeps_its_name_and_the_inverse_rule():
    text = H + "x = torch.randn(2, 3, 4, requires_grad=True)\ny = x.permute(2, 0, 1)\n" \
        "f = (y * 2).sum()\nf.backward()\n"
    card = cards(text)["PermuteBackward0"]
    assert card.title.startswith("y — ") and "g.permute(1, 2, 0)" in card.rule[0]
    assert "permute(2, 0, 1)" in card.rule[0] and "ᵀ" not in card.rule[0]
