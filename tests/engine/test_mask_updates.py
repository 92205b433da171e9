"""In-place updates of masks, ``m &= x < 1``, ``m |= …``, ``m ^= …``, as plain Python runs them.

Python runs ``m &= v`` as ``m.__iand__(v)``: torch changes ``m`` in place (its version counter
bumps), so a mask an op saved for backward (masked_fill's mask, where's condition) makes the
backward pass raise torch's in-place error on the backward line; on a float tensor torch raises
itself. The reader does the same, on the same lines, and writes the update back as it was typed.
"""

from __future__ import annotations

import pytest
import torch

from nla_explorer.engine import explore_code
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.writer import to_code
from nla_explorer.engine.errors import ExpressionError
from tests.engine.op_checks import raises_on_its_last_line_as_torch, reads_back, runs_as_python

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

H = "import torch\ntorch.manual_seed(0)\n"
X = "x = torch.randn(5, requires_grad=True)\n"

PROGRAMS = {
    "and": "m = x > 0\nm &= x < 1\ny = x.masked_fill(m, 0.0)\ny.sum().backward()\n",
    "or then xor": "m = x > 0\nm |= x < -1\nm ^= x > 0.5\ny = torch.where(m, x, x * 2)\n"
                   "y.sum().backward()\n",
    "with True and False": "m = x > 0\nm &= True\nm |= False\nm ^= True\ny = x.where(m, 0.0)\n"
                           "y.sum().backward()\n",
    "a mask of masks": "m = x > 0\nm &= (x < 1) | (x > 2)\nm |= ~m\n"
                       "y = (x * m.float()).sum()\ny.backward()\n",
    "integers": "k = torch.arange(5)\nk &= 2\nk |= torch.arange(5)\nk ^= 1\ny = x * k\n"
                "y.sum().backward()\n",
    "the update after a backward": "m = x > 0\ny = x.masked_fill(m, 0.0)\ny.sum().backward()\n"
                                   "m &= x < 1\nz = x.masked_fill(m, 1.0)\nz.sum().backward()\n",
}

#: The update of a mask an op saved: torch raises at the backward, on its line.
SAVED = {
    "masked_fill's mask": "m = x > 0\ny = x.masked_fill(m, 0.0)\nm &= x < 1\ny.sum().backward()",
    "where's condition": "m = x > 0\ny = torch.where(m, x, 0.0)\nm |= x < 1\nL = y.sum()\n"
                         "L.backward()",
    "the method's condition": "m = x > 0\ny = x.where(m, 2 * x)\nm ^= x < 1\n"
                              "y.sum().backward()",
}

RAISES = {
    "a leaf that requires grad": "x &= x < 1",
    "a float tensor": "w = torch.randn(5)\nw &= w < 1",
    "a float non-leaf": "y = x * 2\ny |= x > 1",
    "a float value": "m = x > 0\nm &= 1.5",
    "shapes that do not broadcast": "m = x > 0\nm ^= torch.ones(4) > 0",
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_it_runs_as_plain_python_does_and_reads_back(oracle, name):
    runs_as_python(oracle, H + X + PROGRAMS[name])
    reads_back(H + X + PROGRAMS[name])


@pytest.mark.parametrize("name", list(SAVED))
def test_a_saved_mask_changed_in_place_raises_at_backward_as_torch(oracle, name):
    text = H + X + SAVED[name] + "\n"
    raises_on_its_last_line_as_torch(oracle, text)
    runs_as_python(oracle, text)
    with pytest.raises(ExpressionError) as info:
        explore_code(text)
    assert "modified by an inplace operation" in info.value.reason


@pytest.mark.parametrize("name", list(RAISES))
def test_torch_raises_on_the_update_line_with_its_type_and_words(oracle, name):
    text = H + X + RAISES[name] + "\n"
    raises_on_its_last_line_as_torch(oracle, text)
    runs_as_python(oracle, text)


def test_the_mask_changes_in_place_its_version_bumped():
    text = H + X + "m = x > 0\nn = m.float()\nm &= x < 1\nm |= x < -1\ny = (x * n).sum()\n"
    tensors = explore_code(text).evaluation.names()
    plain = torch.randn(5, generator=torch.Generator().manual_seed(0))
    mask = plain > 0
    mask &= plain < 1
    mask |= plain < -1
    assert torch.equal(tensors["m"], mask)
    assert tensors["m"]._version == 2


def test_the_code_writes_the_update_back_as_typed():
    text = H + X + "m = x > 0\nm &= x < 1\nm |= True\nm ^= (x > 2) | (x < -2)\n" \
        "y = x.masked_fill(m, 0.0)\ny.sum().backward()\n"
    code = to_code(parse_code(text))
    for line in ("m &= x < 1", "m |= True", "m ^= (x > 2) | (x < -2)"):
        assert line in code.splitlines()


def test_a_number_name_is_still_refused_as_before():
    with pytest.raises(ExpressionError) as info:
        parse_code(H + "n = 3\nn &= 1\n")
    assert "the operator '&' is not supported" in str(info.value)
