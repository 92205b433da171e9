"""``x.mul_(3)``, ``x.add_(g, alpha=-lr)``, ``x.sub_(…)``, ``x.div_(…)``: torch's in-place
methods run as ``x *= 3`` does (the reader took the operators and refused the methods), with
torch's errors (a leaf that requires grad, a tensor saved for backward). The oracle is plain
Python."""

from __future__ import annotations

import pytest

from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.writer import to_code
from tests.engine.app_record import app_record
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

H = "import torch\ntorch.manual_seed(0)\nw = torch.randn(3, requires_grad=True)\n"
PROGRAMS = [
    "y = w * 2\ny.mul_(3)\nL = y.sum()\nL.backward()\n",
    "y = w * 2\ny.add_(w, alpha=2)\nL = y.sum()\nL.backward()\n",
    "w.mul_(2)\n",  # a leaf that requires grad
    "L = (w * w).sum()\nL.backward()\nwith torch.no_grad():\n    w.add_(w.grad, alpha=-0.1)\n"
    "w.grad.zero_()\nL2 = (w * w).sum()\nL2.backward()\n",
    "y = w.exp()\ny.div_(2)\nL = y.sum()\nL.backward()\n",  # exp saved its result
    "y = w * 2\nz = y.sub_(3)\nL = (z * y).sum()\nL.backward()\n",
]


@pytest.mark.parametrize("program", PROGRAMS)
def test_an_in_place_method_is_what_python_does(oracle, program):
    text = H + program
    assert_same(oracle.run(text), app_record(text), text)
    expression = parse_code(text)
    assert parse_code(to_code(expression)) == expression
