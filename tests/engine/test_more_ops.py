"""Ops a fidelity audit found refused, now whitelisted: permute, flatten, expand, bmm,
linalg.vector_norm, matrix_power, double/float, .mT, std and var.

Each runs in the safe reader as in plain Python (the oracle): values, gradients, the backward
step order, and torch's own error (line, message, type) where torch raises. The code reads back
as it was read, and every step card and forward card of its nodes is written without a crash.
"""

from __future__ import annotations

import pytest
import torch

from nla_explorer.engine import explore_code
from nla_explorer.engine.autograd.forward_rules import forward_card
from nla_explorer.engine.autograd.rule_table import op_base
from nla_explorer.engine.autograd.step_rules import step_card
from nla_explorer.engine.autograd.stepper import forward_order
from nla_explorer.engine.blocks.editing import param_value, set_param
from nla_explorer.engine.code.budget import result_bound
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.writer import to_code
from tests.engine.op_checks import (
    cards_written, raises_on_its_last_line_as_torch, reads_back, runs_as_python,
)

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

H = "import torch\ntorch.manual_seed(0)\n"

#: op → (a program with a backward, the backward nodes it must make).
GRADIENTS = {
    "permute": (H + "x = torch.randn(2, 3, 4, requires_grad=True)\ny = x.permute(2, 0, 1)\n"
                "z = torch.permute(y, (1, 0, 2))\nw = x.permute((1, 0, 2))\n"
                "f = (z * z.sin()).sum() + w.cos().sum()\nf.backward()\n", {"Permute"}),
    "flatten": (H + "x = torch.randn(2, 3, 4, requires_grad=True)\ny = x.flatten()\n"
                "z = torch.flatten(x, start_dim=1)\nw = x.permute(2, 0, 1).flatten(0, 1)\n"
                "v = torch.randn(3, requires_grad=True)\nu = v.flatten()\n"
                "f = y.sin().sum() + (z ** 2).sum() + w.cos().sum() + (u * u).sum()\n"
                "f.backward()\n", {"View", "UnsafeView", "Clone"}),
    "expand": (H + "v = torch.randn(3, 1, requires_grad=True)\ny = v.expand(3, 4)\n"
               "z = v.expand(2, -1, -1)\nf = (y * y).sum() + z.sin().sum()\nf.backward()\n",
               {"Expand"}),
    "bmm": (H + "A = torch.randn(2, 3, 4, requires_grad=True)\n"
            "B = torch.randn(2, 4, 5, requires_grad=True)\nC = torch.bmm(A, B)\n"
            "D = C.bmm(B.transpose(1, 2))\nf = D.sin().sum()\nf.backward()\n", {"Bmm"}),
    "vector_norm": (H + "x = torch.randn(2, 3, requires_grad=True)\n"
                    "n = torch.linalg.vector_norm(x)\n"
                    "m = torch.linalg.vector_norm(x, ord=3, dim=1, keepdim=True)\n"
                    "k = torch.linalg.vector_norm(x, 1, 0)\nf = n + m.sum() + k.sum()\n"
                    "f.backward()\n", {"LinalgVectorNorm"}),
    "matrix_power": (H + "A = (torch.randn(3, 3) + 3 * torch.eye(3)).requires_grad_()\n"
                     "B = torch.matrix_power(A, 3)\nC = torch.linalg.matrix_power(A, 1)\n"
                     "D = A.matrix_power(2)\nE = torch.linalg.matrix_power(A, -2)\n"
                     "G = A.matrix_power(0)\nf = (B + C + D + E + G).sum()\nf.backward()\n",
                     {"Mm", "Clone", "LinalgInvEx"}),
    "double": (H + "x = torch.randn(3, requires_grad=True)\ny = x.double()\nz = (y * y).float()\n"
               "w = x.float()\nd = torch.randn(2, dtype=torch.float64, requires_grad=True)\n"
               "e = d.double()\nf = z.sum() + w.sum() + (e * e).sum()\nf.backward()\n",
               {"ToCopy"}),
    "mT": (H + "A = torch.randn(2, 3, 4, requires_grad=True)\nB = A.mT\nC = A[0].mT\n"
           "f = B.sin().sum() + (C @ C.mT).sum()\nf.backward()\n", {"Transpose"}),
    "std_var": (H + "x = torch.randn(3, 4, requires_grad=True)\na = x.std()\nb = x.var(1)\n"
                "c = torch.std(x, 0, unbiased=False)\n"
                "d = torch.var(x, dim=1, correction=0, keepdim=True)\ne = x.std(0, True, True)\n"
                "v = x.var(dim=(0, 1))\nf = a + b.sum() + c.sum() + d.sum() + e.sum() + v\n"
                "f.backward()\n", {"Std", "Var"}),
}

#: Where torch raises: the same line, message and exception type.
ERRORS = [
    H + "x = torch.randn(2, 3, requires_grad=True)\ny = x.permute(0)\n",
    H + "x = torch.randn(2, 3)\ny = torch.permute(x, 1, 0)\n",
    H + "x = torch.randn(2, 3)\ny = x.flatten(3)\n",
    H + "x = torch.randn(2, 3)\ny = torch.flatten(x, start_dim=1, end_dim=0)\n",
    H + "x = torch.randn(2, 3)\ny = x.expand(3, 3)\n",
    H + "x = torch.randn(2, 3)\ny = x.expand(4)\n",
    H + "x = torch.randn(2, 3, 4)\ny = torch.bmm(x, x)\n",
    H + "x = torch.randn(3, 4)\ny = x.bmm(x.t())\n",
    H + "x = torch.arange(3)\ny = torch.linalg.vector_norm(x)\n",
    H + "x = torch.randn(3)\ny = torch.linalg.vector_norm(x, ord='fro')\n",
    H + "x = torch.randn(2, 3)\ny = torch.linalg.matrix_power(x, 2)\n",
    H + "x = torch.randn(2, 2)\ny = torch.matrix_power(x, 1.5)\n",
    H + "x = torch.randn(2, 3)\ny = x.double(1)\n",
    H + "x = torch.randn(2, 3)\ny = x.float(torch.float64)\n",
    H + "x = torch.randn(3)\ny = x.mT\n",
    H + "x = torch.randn(2, 3)\ny = x.std(dim=5)\n",
    H + "x = torch.randn(2, 3)\ny = x.var(correction=0, unbiased=True)\n",
]

PROGRAMS = [text for text, _ in GRADIENTS.values()] + ERRORS


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
    cards_written(*GRADIENTS[op])


def test_the_cards_read_in_the_lectures_notation():
    text = (H + "A = torch.randn(2, 3, 3, requires_grad=True)\nC = torch.bmm(A, A)\n"
            "y = A.double()\ns = A.std()\nv = A.var(2)\nf = C.sum() + y.sum() + s + v.sum()\n")
    exploration = explore_code(text)
    graph, trace = exploration.graph, exploration.trace
    rules = {op_base(graph.node(s.node_id).op): step_card(graph, trace, i).rule
             for i, s in enumerate(trace.steps)}
    assert rules["Bmm"] == ("∂f/∂A += g Aᵀ (batch by batch)", "∂f/∂A += Aᵀ g (batch by batch)")
    assert rules["ToCopy"] == ("∂f/∂A += g converted back to A's dtype",)
    assert rules["Std"][0] == "∂f/∂Aᵢ += g · (Aᵢ − mean) / ((N − correction) · s)"
    assert rules["Var"][0] == "∂f/∂Aᵢ += 2 g · (Aᵢ − mean) / (N − correction)"
    order = forward_order(graph, trace)
    forward = {op_base(graph.node(node_id).op): forward_card(graph, order, i).rule
               for i, node_id in enumerate(order)}
    assert forward["Bmm"] == ("C = A · A (batch by batch)",)
    assert forward["Var"] == ("v = Σᵢ (Aᵢ − mean)² / (N − correction)",)


def test_a_permute_block_keeps_its_dims_spelled_out():
    expression = parse_code("import torch\nx = torch.randn(2, 3, 4)\ny = x.permute(2, 0, 1)\n")
    block = next(b for b in expression.blocks if b.op == "permute")
    assert param_value(block, "dims") == (2, 0, 1)
    edited = set_param(expression, block.id, "dims", "1, 2, 0")
    assert "y = x.permute(1, 2, 0)" in to_code(edited)
    assert param_value(next(b for b in edited.blocks if b.op == "permute"), "dims") == (1, 2, 0)


def test_an_expand_is_sized_from_its_sizes_not_from_its_input():
    """A view as large as its sizes say (-1 keeps a size): the input's size would be too small."""
    v = torch.ones(3, 1)
    assert result_bound("expand", (v, 1000, 1000), {}, [v]) == 10**6
    assert result_bound("expand", (v, (2, -1, 5)), {}, [v]) == 2 * 3 * 5
    assert result_bound("expand", (v,), {"size": (4, 3, 2)}, [v]) == 24
    assert result_bound("bmm", (torch.ones(2, 3, 4), torch.ones(2, 4, 5)), {},
                        [torch.ones(2, 3, 4), torch.ones(2, 4, 5)]) >= 2 * 3 * 5
