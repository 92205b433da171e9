"""``h.retain_grad()``: a non-leaf keeps its ``.grad`` after backward, as in Python.

The safe reader refused it, though course code calls it to print an intermediate gradient. It
runs on its line (torch's own method on the real tensor), so what follows reads what Python
reads: the gradient after a later backward, None before one or where it came after the backward,
and torch's error on a tensor that requires no grad. The oracle is plain Python.
"""

from __future__ import annotations

import pytest

from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.writer import to_code
from tests.engine.app_record import app_record
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

H = ("import torch\ntorch.manual_seed(0)\nx = torch.randn(3, requires_grad=True)\n"
     "W = torch.randn(2, 3, requires_grad=True)\nh = W @ x\n")

PROGRAMS = [
    H + "h.retain_grad()\nf = (h * h).sum()\nf.backward()\ng = h.grad * 1\n",
    H + "f = (h * h).sum()\nh.retain_grad()\nf.backward()\nprint(h.grad.norm())\ng = h.grad + 0\n",
    H + "f = (h * h).sum()\nf.backward()\nh.retain_grad()\nprint(h.grad.norm())\n",  # None
    H + "h.retain_grad()\nf = (h * h).sum()\nf.backward(retain_graph=True)\nf.backward()\n"
        "g = h.grad * 1\n",  # accumulated twice
    H + "x.retain_grad()\nf = (h * h).sum()\nf.backward()\n",  # a leaf: no-op
    H + "c = torch.ones(3)\nc.retain_grad()\n",  # torch's error
    H + "h.retain_grad()\nh.retain_grad()\nf = h.sum()\nf.backward()\ng = h.grad * 2\n",
]


@pytest.mark.parametrize("text", PROGRAMS)
def test_retain_grad_keeps_what_python_keeps(oracle, text):
    assert_same(oracle.run(text), app_record(text), text)


@pytest.mark.parametrize("text", PROGRAMS[:5])
def test_retain_grad_is_written_back_on_its_line(text):
    expression = parse_code(text)
    assert "h.retain_grad()" in to_code(expression) or "x.retain_grad()" in to_code(expression)
    assert parse_code(to_code(expression)) == expression
