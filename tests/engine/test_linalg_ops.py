"""Linear-algebra ops a fidelity audit found refused, now whitelisted: logdet, eigvalsh, svdvals,
cholesky, pinv, tril/triu, cumsum and kron.

Each runs in the safe reader as in plain Python (the oracle): values, gradients, the backward
step order, and torch's own error (line, message, type) where torch raises. The code reads back
as it was read, and every step card names the op's own formula.
"""

from __future__ import annotations

import pytest

from nla_explorer.engine import explore_code
from tests.engine.op_checks import (
    card_rules, cards_written, raises_on_its_last_line_as_torch, reads_back, runs_as_python,
)

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

H = "import torch\ntorch.manual_seed(0)\n"
#: A symmetric positive definite S from a leaf A (every program below differentiates through it).
SPD = ("A = torch.randn(3, 3, dtype=torch.float64, requires_grad=True)\n"
       "S = A @ A.T + torch.eye(3, dtype=torch.float64)\n")

#: The words these ops' cards use around their symbols (see ``test_step_card_names``).
CARD_WORDS = (
    "condition", "holds", "fails", "in", "logdet", "NaN", "log", "eigvec", "unit", "eigenvector",
    "eigenvalue", "so", "left", "right", "singular", "vectors", "lower", "triangle",
    "mirror", "onto", "upper", "well", "as", "pseudo", "inverse", "below", "above", "main",
    "is", "positive", "reversed", "cumulative", "along", "dim", "its", "own", "running",
    "later", "and",
)
#: Code making each of their nodes from the leaves of ``test_step_card_names`` (B invertible).
CARD_PROGRAMS = {
    "LinalgSlogdet": "torch.logdet(B)", "Where": "B.logdet()",
    "LinalgEigh": "torch.linalg.eigvalsh(B)", "LinalgSvd": "torch.linalg.svdvals(B)",
    "LinalgCholeskyEx": "torch.linalg.cholesky(B @ B.T)", "LinalgPinv": "torch.linalg.pinv(B)",
    "Tril": "B.tril()", "Triu": "torch.triu(B, 1)", "Cumsum": "g.cumsum(0)",
}

#: op → (a program with a backward, the backward nodes it must make).
GRADIENTS = {
    "logdet": (H + SPD + "d = torch.logdet(S)\ne = S.logdet()\nf = d + 2 * e\nf.backward()\n",
               {"LinalgSlogdet", "Where"}),
    "eigvalsh": (H + SPD + "lam = torch.linalg.eigvalsh(S)\nmu = torch.linalg.eigvalsh(A, UPLO='U')\n"
                 "f = (lam * torch.arange(3.0, dtype=torch.float64)).sum() + mu[-1]\n"
                 "f.backward()\n", {"LinalgEigh"}),
    "svdvals": (H + "A = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)\n"
                "s = torch.linalg.svdvals(A)\nt = torch.linalg.svdvals(A.T @ A)\n"
                "f = (s ** 3).sum() + t[0]\nf.backward()\n", {"LinalgSvd"}),
    "cholesky": (H + SPD + "C = torch.linalg.cholesky(S)\nD = torch.linalg.cholesky(S, upper=True)\n"
                 "f = (C * C.cos()).sum() + D.sum()\nf.backward()\n", {"LinalgCholeskyEx"}),
    "pinv": (H + "A = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)\n"
             "P = torch.linalg.pinv(A)\nQ = torch.linalg.pinv(A @ A.T, hermitian=True)\n"
             "f = (P * P.sin()).sum() + (Q @ A).sum()\nf.backward()\n", {"LinalgPinv"}),
    "tril_triu": (H + "A = torch.randn(3, 4, requires_grad=True)\nL = torch.tril(A)\n"
                  "U = A.triu(1)\nV = torch.triu(A, diagonal=-1)\nW = A.tril(diagonal=2)\n"
                  "f = (L * L).sum() + U.sin().sum() + (V * W).sum()\nf.backward()\n",
                  {"Tril", "Triu"}),
    "cumsum": (H + "x = torch.randn(3, 4, requires_grad=True)\nc = torch.cumsum(x, 0)\n"
               "d = x.cumsum(dim=1)\ne = x.cumsum(-1)\nf = (c * d).sum() + e.exp().sum()\n"
               "f.backward()\n", {"Cumsum"}),
    "kron": (H + "A = torch.randn(2, 2, requires_grad=True)\n"
             "B = torch.randn(3, 2, requires_grad=True)\nK = torch.kron(A, B)\nJ = B.kron(A)\n"
             "v = torch.randn(3, requires_grad=True)\nw = torch.kron(v, v)\n"
             "f = (K * K).sum() + J.sin().sum() + w.sum()\nf.backward()\n",
             {"Mul", "UnsafeView"}),
}

#: Where torch raises: the same line, message and exception type.
ERRORS = [
    H + "x = torch.randn(2, 3)\ny = torch.logdet(x)\n",
    H + "x = torch.arange(4).reshape(2, 2)\ny = x.logdet()\n",
    H + "x = torch.randn(2, 3)\ny = torch.linalg.eigvalsh(x)\n",
    H + "x = torch.randn(3, 3)\ny = torch.linalg.eigvalsh(x, UPLO='X')\n",
    H + "x = torch.randn(3)\ny = torch.linalg.svdvals(x)\n",
    H + "x = -torch.eye(3)\ny = torch.linalg.cholesky(x)\n",
    H + "x = torch.randn(2, 3)\ny = torch.linalg.cholesky(x)\n",
    H + "x = torch.arange(4).reshape(2, 2)\ny = torch.linalg.pinv(x)\n",
    H + "x = torch.randn(3)\ny = torch.tril(x)\n",
    H + "x = torch.randn(3)\ny = x.triu(1.5)\n",
    H + "x = torch.randn(3, 3)\ny = x.cumsum(2)\n",
    H + "x = torch.randn(3, 3)\ny = torch.cumsum(x)\n",
    H + "x = torch.randn(3, 3)\ny = torch.kron(x, 2)\n",
]

#: A program whose values plain Python prints as NaN: the same NaN, the same gradients.
NAN = [
    H + "A = torch.tensor([[0.0, 1.0], [1.0, 0.0]], requires_grad=True)\nd = torch.logdet(A)\n"
        "f = d * 1.0\nf.backward()\n",
]

PROGRAMS = [text for text, _ in GRADIENTS.values()] + ERRORS + NAN


@pytest.mark.parametrize("text", PROGRAMS)
def test_the_new_ops_run_as_python_runs_them(oracle, text):
    runs_as_python(oracle, text)


@pytest.mark.parametrize("text", ERRORS)
def test_torch_raises_on_the_line_with_its_type(oracle, text):
    raises_on_its_last_line_as_torch(oracle, text)


@pytest.mark.parametrize("text", PROGRAMS)
def test_the_code_reads_back(text):
    reads_back(text)


@pytest.mark.parametrize("op", GRADIENTS)
def test_every_step_card_and_forward_card_is_written(op):
    cards_written(*GRADIENTS[op], incoming=True)


def test_the_cards_name_each_ops_formula():
    rules = card_rules(H + SPD + "d = torch.logdet(S)\nf = d * 1.0\n")
    assert rules["LinalgSlogdet"] == [("∂f/∂S = g · S⁻ᵀ",)]
    assert rules["Where"][0][0].endswith("= g where the condition fails, 0 elsewhere")
    rules = card_rules(H + SPD + "lam = torch.linalg.eigvalsh(S)\nC = torch.linalg.cholesky(S)\n"
                   "P = torch.linalg.pinv(A)\ns = torch.linalg.svdvals(A)\n"
                   "f = lam.sum() + C.sum() + P.sum() + s.sum()\n")
    assert rules["LinalgEigh"] == [("∂f/∂S += Σᵢ gᵢ · eigvecᵢ eigvecᵢᵀ",
                                    "eigvecᵢ: the unit eigenvector of eigenvalueᵢ, so "
                                    "∂eigenvalueᵢ/∂S = eigvecᵢ eigvecᵢᵀ")]
    assert rules["LinalgSvd"][0][0] == "∂f/∂A += Σᵢ gᵢ · leftᵢ rightᵢᵀ"
    assert rules["LinalgSvd"][0][1].endswith("so ∂σᵢ/∂A = leftᵢ rightᵢᵀ")
    assert rules["LinalgCholeskyEx"][0][0] == "∂f/∂S += ½ C⁻ᵀ mirror(lower(Cᵀ g)) C⁻¹"
    rules2 = card_rules(H + "x = torch.randn(3, 3, requires_grad=True)\nL = x.tril()\nU = x.triu()\n"
                    "c = x.cumsum(0)\nf = L.sum() + U.sum() + c.sum()\n")
    assert rules2["Tril"][0][0] == "∂f/∂x += g on and below the diagonal, 0 above"
    assert rules2["Triu"][0][0] == "∂f/∂x += g on and above the diagonal, 0 below"
    assert rules2["Cumsum"][0][0] == "∂f/∂x += the reversed cumulative sum of g along the dim"
    assert rules["LinalgPinv"][0] == (
        "∂f/∂A += −Pᵀ g Pᵀ + (I − A P) gᵀ P Pᵀ + Pᵀ P gᵀ (I − P A)", "P = A⁺, the pseudo-inverse")
