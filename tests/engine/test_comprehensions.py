"""List comprehensions (and generators in ``sum``) in the safe reader, as plain Python runs them.

``[x[i] ** 2 for i in range(4)]`` is read as the list of its items, the loop name bound to each
value in turn: the same nodes made in the same order as Python makes them (so the same backward
step order and random draws), the same errors on the same lines. The code written back is the
unrolled form, a program Python runs to the same graph. What the reader cannot unroll (two
``for``, a tensor's truth, a range of a billion) is refused on its line, saying why.
"""

from __future__ import annotations

import time

import pytest

from nla_explorer.engine.code.budget import MAX_UNROLLED
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.writer import to_code
from nla_explorer.engine.errors import ExpressionError
from tests.engine.app_record import app_record
from tests.engine.op_checks import raises_on_its_last_line_as_torch, reads_back, runs_as_python
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

H = "import torch\ntorch.manual_seed(0)\n"
X = "x = torch.randn(6, requires_grad=True)\na = torch.randn(3, requires_grad=True)\n" \
    "b = torch.randn(3, requires_grad=True)\n"

PROGRAMS = {
    "stack over a range": "y = torch.stack([x[i] ** 2 for i in range(4)])\ny.sum().backward()\n",
    "sum of a generator": "s = sum(w.norm() for w in (a, b))\ns.backward()\n",
    "cat over numbers": "y = torch.cat([a * k for k in (1, 2)])\ny.sum().backward()\n",
    "a filter and a named size": "n = 5\ny = torch.stack([x[i] * x[i + 1] for i in range(n) "
                                 "if i % 2 == 0])\nL = y.sum()\nL.backward()\n",
    "range with a step": "y = torch.stack([x[i] for i in range(1, 6, 2)])\ny.sum().backward()\n",
    "the loop name shadows a tensor": "i = torch.ones(2)\ny = torch.stack([x[i] for i in "
                                      "range(3)])\nz = y.sum() + i.sum()\nz.backward()\n",
    "sums in one line": "s = sum(w.norm() for w in (a, b)) + sum(w.sum() for w in [b, a, b])\n"
                        "s.backward()\n",
    "sum with a start": "s = sum((w.sum() for w in (a, b)), torch.zeros(()))\n"
                        "t = sum((x[i] for i in range(3)), start=1.5)\n(s * t).backward()\n",
    "sum of numbers and tensors": "p = a.sum()\nq = a.norm()\n"
                                  "t = sum(v * 2 for v in (0.1, 2, p, 0.5, q, -1))\n"
                                  "t.backward()\n",
    "sum of nothing": "s = sum(x[i] for i in range(0))\ny = x * s\ny.sum().backward()\n",
    "a number sum": "n = sum(i for i in range(4))\ny = x * n\ny.sum().backward()\n",
    "draws in each item": "y = torch.stack([torch.randn(2) * x[i] for i in range(3)])\n"
                          "s = sum(torch.rand(()) * w.sum() for w in (a, b))\n"
                          "(y.sum() + s).backward()\n",
    "rows normalised": "A = torch.randn(3, 3, requires_grad=True)\n"
                       "R = torch.stack([A[i] / A[i].norm() for i in range(3)])\n"
                       "L = (R @ R.T).trace()\nL.backward()\n",
    "in a lambda": "f = lambda t: torch.stack([t[i] ** 2 for i in range(3)])\n"
                   "J = torch.autograd.functional.jacobian(f, a)\n",
    "in a def": "def f(t):\n    return torch.stack([t[i] * t[i] for i in range(3)])\n"
                "y = f(a)\ny.sum().backward()\n",
    "unpacked": "p, q = [w * 2 for w in (a, b)]\n(p * q).sum().backward()\n",
}

#: Programs Python stops on their last line: the same error there.
RAISES = {
    "an item out of range": "y = torch.stack([x[i] for i in range(7)])",
    "a float range": "y = torch.stack([x[i] for i in range(2.5)])",
    "a filter that raises": "y = torch.stack([x[i] for i in range(4) if i / 0])",
    "nothing to stack": "y = torch.stack([x[i] * w for i in range(0)])",
}

#: Code the reader refuses on its line: what the message says.
REFUSED = {
    "y = torch.stack([a[i] * a[j] for i in range(2) for j in range(2)])":
        "a list comprehension with more than one 'for' is not supported here",
    "y = torch.stack([w * i for i, w in enumerate((a, b))])":
        "with one name after 'for' and at most one 'if' (not: for i, w in …)",
    "y = torch.stack([w.sum() for w in (a, b) if w.requires_grad])":
        "the condition 'if w.requires_grad' is read here only on plain numbers",
    "s = sum(v for v in (a.sum(), a.norm()))":
        "over names or numbers ((a, b), (1, 2)), not over (a.sum(), a.norm()): name its items",
    "y = torch.stack([x[i] for i in x])": "over range(…) or a tuple written out",
    "y = torch.stack(x[i] for i in range(4))":  # Python raises: torch.stack takes no generator
        "a generator expression is not supported here",
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_it_runs_as_plain_python_does_and_reads_back(oracle, name):
    runs_as_python(oracle, H + X + PROGRAMS[name])
    reads_back(H + X + PROGRAMS[name])


@pytest.mark.parametrize("name", [n for n in PROGRAMS if "lambda" not in n and "def" not in n])
def test_the_unrolled_code_runs_in_python_to_the_same_graph(oracle, name):
    text = H + X + PROGRAMS[name]
    written = to_code(parse_code(text))
    assert " for " not in written  # unrolled
    expected, actual = oracle.run(text), oracle.run(written)
    assert expected["error"] is None and actual["error"] is None, written
    keep = ("nodes", "steps", "results")  # the lines differ: the written code has its own
    assert [{k: c[k] for k in keep} for c in actual["calls"]] == \
        [{k: c[k] for k in keep} for c in expected["calls"]], written
    assert (actual["tensors"], actual["grads"]) == (expected["tensors"], expected["grads"])


def test_the_unrolled_code_reads_as_python_would_write_it():
    text = H + X + PROGRAMS["stack over a range"] + PROGRAMS["sum of a generator"]
    lines = to_code(parse_code(text)).splitlines()
    assert "y = torch.stack((x[0] ** 2, x[1] ** 2, x[2] ** 2, x[3] ** 2))" in lines
    assert "s = 0 + a.norm() + b.norm()" in lines


@pytest.mark.parametrize("name", list(RAISES))
def test_python_errors_come_on_the_same_line_with_the_same_words(oracle, name):
    text = H + X + RAISES[name] + "\n"
    raises_on_its_last_line_as_torch(oracle, text)
    runs_as_python(oracle, text)


@pytest.mark.parametrize("body, line", [
    ("y = torch.stack([x[i] * w for i in range(3)])", 6),
    ("y = torch.stack([x[i] for i in range(3)])\nz = i + 1", 7),  # the loop name is the list's
])
def test_an_undefined_name_is_python_s_name_error_on_its_line(oracle, body, line):
    text = H + X + body + "\n"
    expected, actual = oracle.run(text), app_record(text)
    assert expected["error"]["type"] == "NameError" and expected["error"]["line"] == line
    assert_same(expected, actual, text)


@pytest.mark.parametrize("code, words", list(REFUSED.items()))
def test_what_is_not_unrolled_is_refused_on_its_line_saying_why(code, words):
    with pytest.raises(ExpressionError) as info:
        parse_code(H + X + code + "\n")
    assert words in str(info.value)
    assert "Run cell" in str(info.value) and info.value.line == 6


def test_a_huge_range_is_refused_at_once_naming_the_line():
    started = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        parse_code(H + X + "s = 0\ny = torch.stack([x[0] for i in range(10 ** 9)])\n")
    assert time.perf_counter() - started < 5  # counted, not unrolled
    assert info.value.line == 7
    assert "range(10 ** 9) runs 1,000,000,000 times" in str(info.value)
    assert f"unrolls at most {MAX_UNROLLED:,}" in str(info.value)


def test_the_program_s_comprehensions_share_one_bound():
    line = "y = torch.stack([x[0] for i in range(1000)])\n"
    parse_code(H + X + line)  # one at the bound is read
    with pytest.raises(ExpressionError) as info:
        parse_code(H + X + line * 11)
    assert info.value.line == 5 + 11 and "in a program" in str(info.value)
