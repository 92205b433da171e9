"""QR, eigh and the SVD in the safe reader: what plain Python does, and cards that name each factor.

``Q, R = torch.linalg.qr(A)`` makes one backward node with two outputs. The graph names it
``Q, R``; a reader of ``Q`` is written ``Q`` (not the node's name); the node's card is the general
rule (eigh and the SVD: where the vectors' own gradients arrive) with the program's names for
the factors, and its formula is torch's gradient (checked numerically).
"""

from __future__ import annotations

import pytest
import torch

from nla_explorer.engine import explore_code
from nla_explorer.engine.autograd.forward_rules import forward_card
from nla_explorer.engine.autograd.step_rules import step_card
from nla_explorer.engine.autograd.stepper import forward_order
from nla_explorer.engine.report import graph_json
from tests.engine.op_checks import (
    as_python_tests, cards_written, raises_as_python, reads_back, runs_as_python_to_rounding,
)

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

H = ("import torch\ntorch.manual_seed(0)\n"
     "A = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)\n"
     "M = torch.randn(3, 3, dtype=torch.float64)\nS = (M + M.T).requires_grad_()\n")

PROGRAMS = {
    "qr, both factors": "Q, R = torch.linalg.qr(A)\nf = Q.sum() + (R * R).sum()\nf.backward()\n",
    "qr, R by field": "R = torch.linalg.qr(A).R\nf = R.sum()\nf.backward()\n",
    "qr, Q by index": "Q = torch.linalg.qr(A)[0]\nf = (Q * Q[:, :1]).sum()\nf.backward()\n",
    "eigh, both": "lam, V = torch.linalg.eigh(S)\nf = lam.sum() + V[0].sum()\nf.backward()\n",
    "eigh, values": "lam = torch.linalg.eigh(S).eigenvalues\nf = (lam * lam).sum()\n"
                    "f.backward()\n",
    "eigh, vectors": "V = torch.linalg.eigh(S).eigenvectors\nf = (V[:, 0] ** 2 * V[:, 1]).sum()\n"
                     "f.backward()\n",
    "svd, reduced": "U, s, Vh = torch.linalg.svd(A, full_matrices=False)\n"
                    "f = s.sum() + U[:, 0].sum() + Vh[0].sum()\nf.backward()\n",
    "svd, values of the full one": "s = torch.linalg.svd(A).S\nf = (s * s).sum()\nf.backward()\n",
}
#: lstsq: torch does not repeat its own last bits (two runs in one Python process differ), so
#: these match plain Python to rounding, their nodes and steps exactly
LSTSQ = {
    "lstsq, solution": "b = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)\n"
                       "X = torch.linalg.lstsq(A, b).solution\nf = (X * X).sum()\nf.backward()\n",
    "lstsq, unpacked": "b = torch.randn(4, dtype=torch.float64)\n"
                       "X, res, rank, sv = torch.linalg.lstsq(A, b)\nf = X.sum()\nf.backward()\n",
}


test_it_runs_as_plain_python_does_and_reads_back = as_python_tests(H, PROGRAMS)


@pytest.mark.parametrize("name", list(LSTSQ))
def test_least_squares_runs_as_plain_python_does(oracle, name):
    runs_as_python_to_rounding(oracle, H + LSTSQ[name])
    reads_back(H + LSTSQ[name])


@pytest.mark.parametrize("name, node", [("qr, both factors", "LinalgQr"),
                                        ("eigh, both", "LinalgEigh"),
                                        ("svd, reduced", "LinalgSvd"),
                                        ("lstsq, solution", "LinalgLstsq")])
def test_each_step_has_its_card(name, node):
    cards_written(H + {**PROGRAMS, **LSTSQ}[name], {node}, incoming=True)


def _cards(text: str, prefix: str):
    exploration = explore_code(text)
    graph, trace = exploration.graph, exploration.trace
    (k,) = [k for k, s in enumerate(trace.steps) if graph.node(s.node_id).op.startswith(prefix)]
    order = forward_order(graph, trace)
    return step_card(graph, trace, k), [forward_card(graph, order, i).rule[0]
                                        for i in range(len(order))]


def test_the_qr_node_is_named_by_both_factors_and_each_reader_by_its_own():
    card, forward = _cards(H + PROGRAMS["qr, both factors"], "LinalgQr")
    assert card.title.startswith("Q, R — ")
    assert card.rule[0] == "∂f/∂A = (∂f/∂Q + Q copyltu(R (∂f/∂R)ᵀ − (∂f/∂Q)ᵀ Q)) R⁻ᵀ"
    assert "Q, R = the QR factors of A" in forward and "sum = Σᵢ Qᵢ" in forward


def test_the_cards_use_the_programs_names_for_the_factors():
    text = H + "q, r = torch.linalg.qr(A)\nf = q.sum() + r.sum()\nf.backward()\n"
    card, _ = _cards(text, "LinalgQr")
    assert card.rule[0] == "∂f/∂A = (∂f/∂q + q copyltu(r (∂f/∂r)ᵀ − (∂f/∂q)ᵀ q)) r⁻ᵀ"
    card, forward = _cards(H + PROGRAMS["eigh, both"], "LinalgEigh")
    assert card.rule[0] == "∂f/∂S = V (diag(∂f/∂lam) + gaps ⊙ Vᵀ ∂f/∂V) Vᵀ, made symmetric"
    assert "lam, V = eigenvalues and eigenvectors of S" in forward


def test_eigenvalues_alone_keep_the_simpler_rule():
    card, _ = _cards(H + PROGRAMS["eigh, values"], "LinalgEigh")
    assert card.rule[0] == "∂f/∂S = Σᵢ gᵢ · eigvecᵢ eigvecᵢᵀ"
    card, _ = _cards(H + PROGRAMS["eigh, vectors"], "LinalgEigh")
    assert card.rule[0] == "∂f/∂S = V (diag(∂f/∂eigenvalues) + gaps ⊙ Vᵀ ∂f/∂V) Vᵀ, made symmetric"


def test_the_qr_and_eigh_cards_are_torchs_gradients():
    """What the cards write, computed, is what torch's backward gives."""
    torch.manual_seed(0)
    A = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    Q, R = torch.linalg.qr(A)
    dQ, dR = torch.randn_like(Q), torch.randn_like(R)
    (want,) = torch.autograd.grad((Q * dQ).sum() + (R * dR).sum(), A)
    Q, R = Q.detach(), R.detach()
    m = R @ dR.T - dQ.T @ Q
    copyltu = m.tril(-1) + m.tril(-1).T + torch.diag(m.diagonal())
    assert torch.allclose((dQ + Q @ copyltu) @ torch.linalg.inv(R).T, want)
    S = torch.randn(3, 3, dtype=torch.float64)
    S = (S + S.T).requires_grad_()
    lam, V = torch.linalg.eigh(S)
    dlam, dV = torch.randn_like(lam), torch.randn_like(V)
    (want,) = torch.autograd.grad((lam * dlam).sum() + (V * dV).sum(), S)
    lam, V = lam.detach(), V.detach()
    gaps = 1 / (lam[None, :] - lam[:, None])
    gaps.fill_diagonal_(0)
    made = V @ (torch.diag(dlam) + gaps * (V.T @ dV)) @ V.T
    assert torch.allclose((made + made.T) / 2, want)


@pytest.mark.parametrize("code, kind, message", [
    ("Q, R, X = torch.linalg.qr(A)\n", "ValueError", "not enough values to unpack (expected 3"),
    ("U, s = torch.linalg.svd(A)\n", "ValueError", "too many values to unpack (expected 2)"),
    ("lam, V = torch.linalg.eigh(A)\n", "RuntimeError", "square"),
])
def test_its_errors_are_pythons_on_the_same_line(oracle, code, kind, message):
    raises_as_python(oracle, H + code, kind, message)


def test_the_gradient_arriving_is_each_factors_own_and_uses_are_summed_per_factor():
    """torch adds what Q's uses send into ∂f/∂Q, and R's into ∂f/∂R: never Q's into R's."""
    text = H + "Q, R = torch.linalg.qr(A)\nf = (Q * Q).sum() + R.sum()\nf.backward()\n"
    card, _ = _cards(text, "LinalgQr")
    assert card.gradient_of == "∂f/∂Q" and card.name == "Q"
    assert [label for label, _ in card.contributions] == ["Q ⊙ Q, input 1", "Q ⊙ Q, input 2"]
    torch.manual_seed(0)
    A = torch.randn(4, 3, dtype=torch.float64)
    Q, _ = torch.linalg.qr(A)
    assert torch.allclose(torch.tensor(card.incoming.values), 2 * Q)  # not Q's and R's summed
    ((gradient, tensor),) = card.arrived  # R's, summed from its own use, a tile of its own
    assert gradient == "∂f/∂R" and torch.equal(torch.tensor(tensor.values),
                                               torch.ones(3, 3, dtype=torch.float64))


def test_trace_json_names_each_output():
    data = graph_json(explore_code(H + PROGRAMS["qr, both factors"]).graph)
    qr = next(n for n in data["nodes"] if n["op"] == "LinalgQrBackward0")
    assert qr["name"] == "Q, R" and qr["output_names"] == ["Q", "R"]
    assert all("output_names" not in n for n in data["nodes"] if n is not qr)


def test_the_least_squares_card_is_the_pseudo_inverses():
    card, forward = _cards(H + LSTSQ["lstsq, solution"], "LinalgLstsq")
    assert card.title.startswith("X — ") and card.gradient_of == "∂f/∂X"
    assert card.rule[0] == "∂f/∂b = (A⁺)ᵀ g" and "X = least squares: A⁺ b" in forward
    torch.manual_seed(0)
    A = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
    X = torch.linalg.lstsq(A, b).solution
    g = torch.randn_like(X)
    (want,) = torch.autograd.grad((X * g).sum(), b)
    assert torch.allclose(torch.linalg.pinv(A.detach()).T @ g, want)

