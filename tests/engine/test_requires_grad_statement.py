"""``x.requires_grad_(…)`` on its own line, against plain Python (:mod:`tests.engine.oracle`).

The safe reader used to move a bare ``x.requires_grad_()`` back into the constructor that made
x, so what x had already made joined the graph (A.grad doubled; a backward through constants
ran instead of raising), an int tensor failed on the constructor's line, and
``x.requires_grad_(False)`` was read as ``requires_grad_()`` (a frozen leaf still got a .grad).
"""

from __future__ import annotations

import pytest

from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.writer import to_code
from tests.engine.app_record import app_record
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

HEAD = "import torch\ntorch.manual_seed(0)\n"

PROGRAMS = {
    "used before": "A = torch.randn(2, 2)\nx = torch.randn(2)\ny = A @ x\nA.requires_grad_()\n"
                   "z = A @ x\nloss = z.sum() + y.sum()\nloss.backward()\n",
    "backward of what came before": "x = torch.randn(3)\ns = (x ** 2).sum()\n"
                                    "x.requires_grad_()\ns.backward()\n",
    "product before and after": "w = torch.randn(3)\nv = w * 2\nw.requires_grad_()\n"
                                "f = (v * w).sum()\nf.backward()\n",
    "int tensor": "n = torch.arange(4)\nn.requires_grad_()\nf = n.sum()\n",
    "int ones": "n = torch.ones(3, dtype=torch.int64)\nn.requires_grad_()\nf = n.sum()\n",
    "freeze a leaf": "w = torch.randn(3, requires_grad=True)\nb = torch.randn(3, "
                     "requires_grad=True)\nb.requires_grad_(False)\nloss = (w * b).sum()\n"
                     "loss.backward()\n",
    "freeze the only leaf": "b = torch.randn(3, requires_grad=True)\nb.requires_grad_(False)\n"
                            "loss = (b * b).sum()\nloss.backward()\n",
    "freeze by keyword": "b = torch.randn(3, requires_grad=True)\nw = torch.randn(3, "
                         "requires_grad=True)\nb.requires_grad_(requires_grad=False)\n"
                         "loss = (w * b).sum()\nloss.backward()\n",
    "freeze a result": "x = torch.randn(3, requires_grad=True)\ny = x * 2\n"
                       "y.requires_grad_(False)\n",
    "fresh leaf, folded": "x = torch.randn(3)\nx.requires_grad_()\nf = (x * x).sum()\n"
                          "f.backward()\n",
    "literal tensor": "t = torch.tensor([1.0, 2.0])\nu = t * 3\nt.requires_grad_()\n"
                      "f = (t * u).sum()\nf.backward()\n",
    # the attribute, as course code sets it (the reader refused it)
    "attribute": "x = torch.tensor([1.0, 2.0, 3.0])\nx.requires_grad = True\n"
                 "L = (x ** 2).sum()\nL.backward()\n",
    "attribute, int tensor": "x = torch.tensor([1, 2, 3])\nx.requires_grad = True\n",
    "attribute of a result": "x = torch.randn(3, requires_grad=True)\ny = x * 2\n"
                             "y.requires_grad = False\n",
    "attribute after a use": "x = torch.randn(3)\ny = x * 2\nx.requires_grad = True\n"
                             "L = (x * y).sum()\nL.backward()\n",
    "attribute freezes": "x = torch.randn(3, requires_grad=True)\nx.requires_grad = False\n"
                         "L = (x * 2).sum()\nL.backward()\n",
    "attribute of two": "W = torch.randn(2, 3)\nb = torch.zeros(2)\nW.requires_grad = True\n"
                        "b.requires_grad = True\nx = torch.randn(3)\nL = (W @ x + b).sum()\n"
                        "L.backward()\n",
    "attribute not a bool": "x = torch.randn(3)\nx.requires_grad = 1\n",
}


@pytest.mark.parametrize("name", PROGRAMS)
def test_requires_grad_on_its_own_line_is_what_python_does(oracle, name):
    text = HEAD + PROGRAMS[name]
    assert_same(oracle.run(text), app_record(text), text)


@pytest.mark.parametrize("name", [n for n in PROGRAMS if n.startswith("attribute")])
def test_the_attribute_is_written_back_as_it_was_set(name):
    """As the code set it (a fresh float constructor takes it as its keyword, as before)."""
    expression = parse_code(HEAD + PROGRAMS[name])
    written = to_code(expression)
    folded = name == "attribute of two"  # W = torch.randn(2, 3, requires_grad=True)
    assert (".requires_grad = " in written) != folded and ".requires_grad_(" not in written
    assert parse_code(written) == expression
