"""``with torch.no_grad():`` (and ``enable_grad()``, ``set_grad_enabled(b)``): the body runs in
that grad mode, as in Python, and the code is written back with its body indented.

The safe reader refused every with block, though course code updates weights by hand inside one
(``w -= lr * w.grad``) and shows that what it makes there has no graph. The oracle is plain
Python: the same values, gradients, steps and errors.
"""

from __future__ import annotations

import pytest
import torch

from nla_explorer.engine import explore_code
from nla_explorer.engine.code.evaluation import evaluate
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.writer import to_code
from nla_explorer.engine.errors import ExpressionError
from tests.engine.app_record import app_record
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

H = "import torch\ntorch.manual_seed(0)\nw = torch.randn(3, requires_grad=True)\n"
PROGRAMS = {
    "no graph inside": "with torch.no_grad():\n    L = (w * 2).sum()\nL.backward()\n",
    "a constant from inside": "with torch.no_grad():\n    y = w * 2\nz = w * 3\n"
                              "L = (y * z).sum()\nL.backward()\n",
    "a step of gradient descent": "L = (w * w).sum()\nL.backward()\nwith torch.no_grad():\n"
                                  "    w -= 0.1 * w.grad\nw.grad = None\nL2 = (w * w).sum()\n"
                                  "L2.backward()\n",
    "enable inside no_grad": "with torch.no_grad():\n    with torch.enable_grad():\n"
                             "        y = w * 2\n    z = w * 3\nL = (y + z).sum()\nL.backward()\n",
    "set_grad_enabled": "with torch.set_grad_enabled(False):\n    y = w * 2\n"
                        "L = (y * w).sum()\nL.backward()\n",
    "empty body": "with torch.no_grad():\n    pass\nL = (w * w).sum()\nL.backward()\n",
    "an error inside": "with torch.no_grad():\n    y = w @ torch.ones(4)\n",
    "a print inside": "with torch.no_grad():\n    print(w * 2)\n    v = w.sum()\n"
                      "L = (w * v).sum()\nL.backward()\n",
    "in place on a leaf outside": "w -= 1\n",  # torch's error: a leaf that requires grad
}


@pytest.mark.parametrize("name", PROGRAMS)
def test_a_with_block_runs_its_body_in_its_grad_mode(oracle, name):
    text = H + PROGRAMS[name]
    assert_same(oracle.run(text), app_record(text), text)


@pytest.mark.parametrize("name", [n for n in PROGRAMS if "with" in PROGRAMS[n]])
def test_the_body_is_written_back_indented_under_its_with(name):
    expression = parse_code(H + PROGRAMS[name])
    written = to_code(expression)
    assert parse_code(written) == expression, written
    assert "\nwith torch." in written and "\n    " in written


def test_the_grad_mode_is_the_callers_again_after_the_program_even_after_an_error():
    assert torch.is_grad_enabled()
    with pytest.raises(ExpressionError):
        explore_code(H + PROGRAMS["an error inside"])
    assert torch.is_grad_enabled()
    evaluate(parse_code(H + "with torch.no_grad():\n    y = w * 2\n"))
    assert torch.is_grad_enabled()


@pytest.mark.parametrize(("code", "says"), [
    ("with torch.no_grad() as g:\n    y = w * 2\n", "a with block is supported for"),
    ("with torch.no_grad(), torch.no_grad():\n    y = w * 2\n", "a with block is supported"),
    ("with torch.set_grad_enabled(w):\n    y = w * 2\n", "needs True or False"),
    ("with torch.no_grad(1):\n    y = w * 2\n", "takes no arguments here"),
])
def test_other_with_blocks_are_refused_by_name(code, says):
    with pytest.raises(ExpressionError, match=says) as raised:
        explore_code(H + code)
    assert raised.value.line == 4
