"""Constants torch keeps no trace of are named as the program names them, not "const".

``SubBackward0`` of ``A @ x - y`` saves nothing, so the graph alone cannot say what was
subtracted; the forward recorder notes the constant inputs of ops whose tensor arguments are
their Node's inputs in order, and the step card says "no gradient flows to y" — with the safe
reader and with Run as Python alike. An unnamed constant stays a generic symbol.
"""

from __future__ import annotations

import pytest

from nla_explorer.engine import explore_code
from nla_explorer.engine.autograd.step_rules import step_card
from nla_explorer.engine.runner.supervisor import Runner

HEAD = "import torch\nimport torch.nn.functional as F\ntorch.manual_seed(0)\n" \
       "A = torch.randn(3, 2)\ny = torch.randn(3)\nx = torch.randn(2, requires_grad=True)\n"


def cards(graph, trace) -> dict[str, object]:
    return {graph.node(trace.steps[i].node_id).op: step_card(graph, trace, i)
            for i in range(len(trace.steps))}


def safe(code: str) -> dict[str, object]:
    exploration = explore_code(HEAD + code)
    return cards(exploration.graph, exploration.trace)


@pytest.mark.parametrize(("code", "op", "note", "title"), [
    ("r = A @ x - y\nloss = (r ** 2).sum()\nloss.backward()\n", "SubBackward0",
     "no gradient flows to y", "r"),
    ("loss = ((A @ x - y) ** 2).sum()\nloss.backward()\n", "SubBackward0",
     "no gradient flows to y", "Ax − y"),
    ("r = y - A @ x\nloss = (r ** 2).sum()\nloss.backward()\n", "SubBackward0",
     "no gradient flows to y", "r"),
    ("loss = F.mse_loss(A @ x, y)\nloss.backward()\n", "MseLossBackward0",
     "no gradient flows to y", "loss"),
    ("r = torch.add(A @ x, y)\nloss = r.sum()\nloss.backward()\n", "AddBackward0",
     "no gradient flows to y", "r"),
])
def test_the_constant_is_named_as_the_program_names_it(code, op, note, title):
    card = safe(code)[op]
    assert note in card.note and "flows to const" not in card.note
    assert card.title.startswith(f"{title} — ")


def test_an_unnamed_constant_keeps_a_generic_symbol():
    card = safe("r = A @ x - torch.ones(3)\nloss = (r ** 2).sum()\nloss.backward()\n")
    assert "no gradient flows to const" in card["SubBackward0"].note


def test_run_as_python_names_it_too():
    code = HEAD + "r = A @ x - y\nloss = (r ** 2).sum()\nloss.backward()\n"
    with Runner() as runner:
        result = runner.run_cells([("cell", 1, code)], timeout=120)
    assert result.error is None
    assert "no gradient flows to y" in cards(result.graph, result.trace)["SubBackward0"].note
