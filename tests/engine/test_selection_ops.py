"""max and min along a dim, sort, topk, argmax, and indexing by their indices: what plain Python does.

They give torch's named tuples (values, indices) or index tensors, read by unpacking, by index or
by field; the programs run as in plain Python (the oracle: values, gradients, step order, errors
on the same line), read back from the code the writer writes, and each backward step has a card.
"""

from __future__ import annotations

import pytest

from nla_explorer.engine import explore_code
from nla_explorer.engine.autograd.step_rules import step_card
from tests.engine.op_checks import as_python_tests, cards_written, raises_as_python

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

H = ("import torch\ntorch.manual_seed(0)\nx = torch.randn(5, requires_grad=True)\n"
     "A = torch.randn(3, 4, requires_grad=True)\n")

#: Code making each of their nodes from the leaves of ``test_step_card_names``, and the words
#: their cards use around the symbols.
CARD_PROGRAMS = {"Sort": "g.sort()[0]", "Topk": "g.topk(2).values", "Min": "B.min()",
                 # y[0] = b (the item assignment of test_item_assignment) as an expression
                 "CopySlices": "(lambda t: [t.__setitem__(0, b), t][1])(B * 1.0)",
                 "LinalgQr": "torch.linalg.qr(B).R", "LinalgLstsq": "torch.linalg.lstsq(B, B)[0]"}
CARD_WORDS = ("put", "back", "where", "each", "sorted", "value", "came", "from", "indices", "say",
              "which", "chosen", "positions", "position", "minimum", "with", "entries", "that",
              "were", "summed", "broadcast",
              "copyltu", "mirrored", "gradients", "do", "not", "arrive", "count",  # QR's
              "rule", "solution")  # lstsq's

PROGRAMS = {
    "sort unpacked": "v, i = torch.sort(x)\nz = (v * torch.arange(5.)).sum()\nz.backward()\n",
    "sort descending": "v, i = x.sort(descending=True)\nz = v[0] - v[4]\nz.backward()\n",
    "sort a matrix's rows": "s = A.sort(dim=1)\nz = (s.values[:, 0] * 3).sum()\nz.backward()\n",
    "sort by field and index": "s = x.sort()\nz = (s.values + s[0] * 2).sum()\nk = s.indices\n"
                               "z.backward()\n",
    "max along a dim": "m, i = A.max(dim=1)\nz = m.sum()\nz.backward()\n",
    "max kept dim": "m = torch.max(A, 1, keepdim=True)\nz = (m.values * A).sum()\n"
                    "z.backward()\n",
    "max of all": "m = x.max()\nz = m * m\nz.backward()\n",
    "max of two": "m = torch.max(x, torch.zeros(5)).sum()\nm.backward()\n",
    "min by index": "m = A.min(0)[0]\nz = m.sum()\nz.backward()\n",
    "min of all": "z = A.min() + A.max()\nz.backward()\n",
    "topk": "t, idx = x.topk(2)\nz = t.sum()\nz.backward()\n",
    "topk smallest": "t = torch.topk(x, 3, largest=False).values\nz = (t * t).sum()\n"
                     "z.backward()\n",
    "argmax and argmin": "i = x.argmax()\nj = A.argmin(dim=0)\nz = (x * 2).sum()\nz.backward()\n",
    "pick by argmax": "i = x.argmax()\ny = x[i] * 3\ny.backward()\n",
    "pick per row": "i = A.argmax(dim=1)\ny = A[torch.arange(3), i].sum()\ny.backward()\n",
    "pick rows twice": "idx = torch.tensor([0, 2, 2])\ny = (A[idx] * 2).sum()\ny.backward()\n",
    "undo a sort": "v, i = x.sort()\ny = (x[i] - v).abs().sum()\ny.backward()\n",
    "a tie shares the max": "t = torch.tensor([1., 3., 3.], requires_grad=True)\nz = t.max()\n"
                            "z.backward()\n",
}


test_it_runs_as_plain_python_does_and_reads_back = as_python_tests(H, PROGRAMS)


@pytest.mark.parametrize("name, nodes", [
    ("sort unpacked", {"Sort"}), ("max along a dim", {"Max"}), ("max of all", {"Max"}),
    ("min by index", {"Min"}), ("topk", {"Topk"}), ("topk smallest", {"Topk"}),
])
def test_each_step_has_its_card(name, nodes):
    cards_written(H + PROGRAMS[name], nodes, incoming=True)


def test_the_sort_card_says_where_the_gradient_goes():
    text = H + PROGRAMS["sort unpacked"]
    exploration = explore_code(text)
    graph, trace = exploration.graph, exploration.trace
    (k,) = [k for k, s in enumerate(trace.steps) if graph.node(s.node_id).op == "SortBackward0"]
    card = step_card(graph, trace, k)
    assert card.title.startswith("v — ") and "where each sorted value came from" in card.rule[0]


#: The errors Python meets, on the line it meets them: a count that does not match, a
#: dimension or k out of range, a method of the tuple, a bound method in arithmetic.
ERRORS = [
    ("a, b, c = x.sort()\n", "ValueError", "not enough values to unpack (expected 3, got 2)"),
    ("(a,) = x.topk(2)\n", "ValueError", "too many values to unpack (expected 1)"),
    ("a, b = x.max()\n", "TypeError", "iteration over a 0-d tensor"),
    ("v, i = x.sort(dim=3)\n", "IndexError", "Dimension out of range"),
    ("t = x.topk(7)\n", "RuntimeError", "selected index k out of range"),
    ("s = x.sort()\nz = s.sum()\n", "AttributeError",
     "'torch.return_types.sort' object has no attribute 'sum'"),
    ("y = x.values * 2\n", "TypeError", "unsupported operand type(s) for *"),
    ("i = torch.tensor([7])\ny = x[i]\n", "IndexError", "out of bounds"),
    ("i = torch.tensor(1.0)\ny = x[i]\n", "IndexError", "tensors used as indices must be"),
]


@pytest.mark.parametrize("code, kind, message", ERRORS)
def test_its_errors_are_pythons_on_the_same_line(oracle, code, kind, message):
    raises_as_python(oracle, H + code, kind, message)
