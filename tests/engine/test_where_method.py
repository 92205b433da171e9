"""The method form of where, ``x.where(x > 0, y)``, in the safe reader as plain Python runs it.

``x.where(c, y)`` is ``torch.where(c, x, y)``: its block keeps torch.where's argument order (the
ports: condition, a, b) and its form ``.where``; it runs as the method (torch's own errors), the
receiver evaluated first as Python does (random draws, node numbers), and it reads back as written.
"""

from __future__ import annotations

import pytest

from nla_explorer.engine.blocks.templates import port_value
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.writer import to_code
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Ref
from nla_explorer.engine.sessions.nla_file import load_session, save_session
from tests.engine.op_checks import (
    cards_written, raises_on_its_last_line_as_torch, reads_back, runs_as_python,
)

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

H = "import torch\ntorch.manual_seed(0)\n"
X = "x = torch.randn(5, requires_grad=True)\n"

PROGRAMS = {
    "tensor other": "y = x.where(x > 0, torch.zeros(5))\ny.sum().backward()\n",
    "number other": "y = x.where(x > 0, 0.0)\nL = (y * y).sum()\nL.backward()\n",
    "keyword other": "y = x.where(x < 0.5, other=2.0)\ny.sum().backward()\n",
    "computed receiver": "b = torch.randn(5, requires_grad=True)\n"
                         "y = (2 * x).where(b < 0, b * 3)\ny.sum().backward()\n",
    # the receiver is evaluated first: its draws come before the condition's and the other's
    "draws in order": "y = (x + torch.randn(5)).where(torch.rand(5) > 0.5, torch.randn(5) * x)\n"
                      "y.sum().backward()\n",
    "a node in the condition": "y = (x * 2).where(x * 1 > 0, x * 3)\ny.sum().backward()\n",
    "both forms": "y = (x * 2).where(x > 0, x * 3) * torch.where(x < 0, x, x.exp())\n"
                  "z = x.where(x > 0, 0.1 * x).where(x < 1, x.sin())\n"
                  "(y.sum() + z.sum()).backward()\n",
    "a saved condition": "m = x > 0\ny = x.where(m, 0.0)\nm = x < 0\ny.sum().backward()\n",
}

RAISES = {
    "a float condition": "y = x.where(x, 0.0)",
    "shapes that do not broadcast": "y = x.where(x > 0, torch.zeros(4))",
    "a str other": "y = x.where(x > 0, 'a')",
    "no other": "y = x.where(x > 0)",
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_it_runs_as_plain_python_does_and_reads_back(oracle, name):
    runs_as_python(oracle, H + X + PROGRAMS[name])
    reads_back(H + X + PROGRAMS[name])


@pytest.mark.parametrize("name", list(RAISES))
def test_torch_raises_on_the_line_with_its_type_and_words(oracle, name):
    text = H + X + RAISES[name] + "\n"
    raises_on_its_last_line_as_torch(oracle, text)
    runs_as_python(oracle, text)  # the message too: torch's own, inside the explorer's


def test_the_block_keeps_torch_where_order_and_the_method_form():
    expression = parse_code(H + X + "c = x > 0\ny = x.where(c, 0.5)\n")
    block = expression.blocks[-1]
    c = next(b for b in expression.blocks if b.name == "c")
    x = next(b for b in expression.blocks if b.name == "x")
    assert (block.op, block.form) == ("where", ".where")
    assert port_value(block, "condition") == Ref(c.id)
    assert port_value(block, "a") == Ref(x.id)
    assert port_value(block, "b") == 0.5
    assert "y = x.where(c, 0.5)" in to_code(expression)


def test_a_session_keeps_the_method_form(tmp_path):
    text = H + X + "y = (x * 2).where(x > 0, -x)\ny.sum().backward()\n"
    expression = parse_code(text)
    path = tmp_path / "where.nla"
    save_session(path, expression)
    assert load_session(path)[0] == expression


def test_the_step_card_names_the_where_rule():
    cards_written(H + X + PROGRAMS["computed receiver"], {"Where"})


def test_a_condition_given_by_keyword_only_is_refused_saying_how_to_write_it():
    with pytest.raises(ExpressionError) as info:
        parse_code(H + X + "y = x.where(condition=x > 0, other=0.0)\n")
    assert "'.where()' is read here with its first arguments given by position" in str(info.value)
    assert "Run cell" in str(info.value) and info.value.line == 4
