"""``y[i] = v``: an item of a tensor set in place, as plain Python runs it.

torch makes a ``CopySlices`` node (the gradient of the entries set goes to ``v``, the rest to
the old ``y``) and raises its in-place errors: on a leaf that requires grad, on a tensor whose
old value backward still needs, on an index or shape that does not fit. The programs run as in
plain Python (the oracle), read back from the code the writer writes, and get a card per step.
"""

from __future__ import annotations

import pytest

from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.writer import to_code
from nla_explorer.engine.errors import ExpressionError
from tests.engine.op_checks import as_python_tests, cards_written, raises_as_python

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

H = ("import torch\ntorch.manual_seed(0)\nx = torch.randn(5, requires_grad=True)\n"
     "A = torch.randn(3, 4, requires_grad=True)\n")

PROGRAMS = {
    "a number": "y = x * 2\ny[0] = 5.0\nz = y.sum()\nz.backward()\n",
    "a slice from the graph": "y = x * 2\ny[1:3] = x[:2] ** 2\nz = (y * y).sum()\nz.backward()\n",
    "a column and a row": "B = A.clone()\nB[:, 0] = 0.0\nB[1] = A[0] * 3\nz = B.sum()\n"
                          "z.backward()\n",
    "into a constant": "c = torch.zeros(5)\nc[2] = x[1]\nz = (c * x).sum()\nz.backward()\n",
    "a broadcast value": "B = A * 1.0\nB[0:2] = x[:4]\nz = (B * B).sum()\nz.backward()\n",
}


test_it_runs_as_plain_python_does_and_reads_back = as_python_tests(H, PROGRAMS)


@pytest.mark.parametrize("name", ["a number", "a column and a row"])
def test_the_written_code_assigns_the_item(name):
    written = to_code(parse_code(H + PROGRAMS[name])).splitlines()
    assert [line for line in written if "] = " in line] == [
        line for line in PROGRAMS[name].splitlines() if "] = " in line]


@pytest.mark.parametrize("name", ["a slice from the graph", "into a constant"])
def test_each_step_has_its_card(name):
    cards_written(H + PROGRAMS[name], {"CopySlices"})


ERRORS = [  # the error, on the line Python meets it
    ("x[0] = 1.0\n", "RuntimeError", "a leaf Variable that requires grad"),
    ("y = x.exp()\ny[0] = 2.0\nz = y.sum()\nz.backward()\n", "RuntimeError",
     "modified by an inplace operation"),
    ("y = x * 2\ny[9] = 1.0\n", "IndexError", "out of bounds"),
    ("y = x * 2\ny[0] = torch.ones(3)\n", "RuntimeError", "expand"),
]


@pytest.mark.parametrize("code, kind, message", ERRORS)
def test_its_errors_are_pythons_on_the_same_line(oracle, code, kind, message):
    raises_as_python(oracle, H + code, kind, message)


@pytest.mark.parametrize("code", ["x.grad[0] = 1.0\n", "[1, 2][0] = 3\n"])
def test_an_item_of_anything_but_a_named_tensor_is_refused_with_the_way_out(code):
    with pytest.raises(ExpressionError, match="Run cell"):
        parse_code(H + code)
