"""Plain-number errors Python raises inside the code's own functions, and on a tensor's sizes.

The safe reader passed over ``print(f(x))`` of ``f = lambda t: t * (1 / 0)`` (and refused
``y = f(x)`` without Python's exception type, on the calling line), let a Hessian of a ``def``
whose ``k = [1][3]`` raises show a result, and showed ``print(len(x) / 0)`` as fine. Each now
stops where Python stops: the lambda's (or the def's) line, Python's type and message, after what
Python evaluates first (``g(W @ u)`` raises the shape error). Where the answer depends on sizes the
reader does not know (``1 / (len(x) - 4)``), the line is refused with a clear message. The oracle
is plain Python (:mod:`tests.engine.oracle`).
"""

from __future__ import annotations

import ast

import pytest

from nla_explorer.engine import explore_code
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.plain_values import UNKNOWN, PlainError, plain_value
from nla_explorer.engine.code.writer import to_code
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Ref
from tests.engine.app_record import app_record
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

HEAD = ("import torch\nimport math\ntorch.manual_seed(0)\n"
        "W = torch.randn(3, 4, requires_grad=True)\nx = torch.randn(4)\n"
        "u = torch.randn(3)\nn = 3\n")  # the tested lines begin on line 8
TAIL = "\nf = (W @ x).sum()\nf.backward()\n"


@pytest.mark.parametrize("lines", [
    "g = lambda t: t * (1/0)\ny = g(x)", "g = lambda t: t * (1/0)\nprint(g(x))",
    "def g(t):\n    return t * (1/0)\ny = g(x)",
    "def g(t):\n    return t * (1/0)\nprint('g:', g(x))",
    "def g(t):\n    k = n / 2\n    m = k / 0\n    return t * 2\ny = g(x)",
    "def g(t):\n    '''doc'''\n    return t * [1, 2][n]\ny = g(x)",
    "g = lambda t, k: t * (k / 0)\ny = g(x, 2)", "g = lambda k: [1, 2][k]\ny = x * g(5)",
    "g = lambda t: t * math.sqrt(-1)\ny = g(x)",
    "g = lambda t: t * (1/0)\nh = lambda t: g(t) + 1\nprint(h(x))",
    "g = lambda t: t * (1/0)\ny = x * 2\ny += g(y)",
    "H = torch.autograd.functional.hessian(lambda t: (t * (1/0)).sum(), x)",
    "def g(t):\n    k = [1][3]\n    return (t * 2).sum()\n"
    "H = torch.autograd.functional.hessian(g, x)",
    "g = lambda t: (t * [1, 2][5]).sum()\nH = torch.func.hessian(g)(x)",
    "J = torch.autograd.functional.jacobian(lambda t: t * (1 / 0), x)",
    "J = torch.func.jacrev(lambda t: t * math.log(0))(x)",
    "print(torch.autograd.functional.hessian(lambda t: (t * (1/0)).sum(), x))",
    # a plain part on a tensor's sizes that raises whatever they are
    "m = len(x) / 0", "y = x * (x.shape[0] / 0)", "print(x.numel() // 0)", "print(x.size(0) % 0)",
    "print(f'{x.dim() / 0}')", "k = x.ndim / 0", "print([1, 2][len(x) + 10])",
    "s = torch.tensor(2.0)\nprint(len(s) / 0)",  # len() of a 0-d tensor raises first
])
def test_a_plain_error_in_a_function_or_on_sizes_stops_where_python_does(oracle, lines):
    text = HEAD + lines + TAIL
    expected = oracle.run(text)
    assert expected["error"] is not None, expected
    actual = app_record(text)
    assert actual["error"] is not None and actual["error"]["type"] == expected["error"]["type"], \
        (actual, expected)
    assert_same(expected, actual, text)


@pytest.mark.parametrize("lines", [
    "g = lambda t: t * (1/0)\ny = g(W @ u)", "g = lambda t: t * (1/0)\nprint(g(W @ u))",
    "g = lambda t: t * (1/0)\ny = (W @ u) + g(x)", "g = lambda t: t * (1/0)\ny = W @ u\ny2 = g(x)",
    "g = lambda t: W @ t\ny = g(u)",  # torch's error inside a lambda: on the lambda's line
    "H = torch.autograd.functional.hessian(lambda t: (t * (1/0)).sum(), W @ u)",
])
def test_what_python_evaluates_first_raises_first(oracle, lines):
    text = HEAD + lines + TAIL
    expected = oracle.run(text)
    assert expected["error"] is not None and expected["error"]["type"] == "RuntimeError"
    assert_same(expected, app_record(text), text)


@pytest.mark.parametrize("lines", [
    "g = lambda t: t * (1/2)\ny = g(x)", "def g(t):\n    k = n / 2\n    return t * k\ny = g(x)",
    "g = lambda k: k * 2\ny = x * g(2)", "g = lambda t: t * (1/0)",  # never called
    "g = lambda t: t * 2\nh = lambda t: g(t) / 0\ny = h(x)",  # a tensor / 0 is inf in torch
    "g = lambda t: t if n > 5 else 1 / 0\nprint(g)",
    "print(1 / len(x), 100 // x.numel(), f'{x.shape[0] / 2:.1f}', x.ndim + 1, len(W) * 2)",
    "g = lambda t: (t * 2).sum()\nH = torch.func.hessian(g)(x)",
    "H = torch.autograd.functional.jacobian(lambda t: t * n, x, create_graph=True)",
    "def g(t):\n    k = n * 2\n    return (t * k).sum()\n"
    "H = torch.autograd.functional.hessian(g, x)",
])
def test_correct_programs_of_these_shapes_keep_working(oracle, lines):
    text = HEAD + lines + TAIL
    expected = oracle.run(text)
    assert expected["error"] is None, expected
    assert_same(expected, app_record(text), text)


@pytest.mark.parametrize("line", ["print(1 / (len(x) - 4))", "m = 1 / (x.numel() - 4)",
                                  "print([1, 2, 3][len(x)])"])
def test_an_error_that_depends_on_sizes_is_refused_clearly(line):
    with pytest.raises(ExpressionError) as raised:
        explore_code(HEAD + line + TAIL)
    error = raised.value
    assert error.python_type is None and error.line == 8  # a refusal, on its line
    assert "for some sizes of its tensors" in error.reason and "Run" in error.reason


def test_the_written_code_of_a_raising_call_defines_its_function():
    text = HEAD + "g = lambda t: t * (1/0)\nh = lambda t: g(t) + 1\ny = h(x)" + TAIL
    code = to_code(parse_code(text))
    assert "g = lambda t: t * (1 / 0)" in code and "h = lambda t: g(t) + 1" in code
    with pytest.raises(ExpressionError) as raised:
        explore_code(code)
    assert raised.value.python_type == "ZeroDivisionError"


def test_the_message_names_the_call_and_pythons_words():
    with pytest.raises(ExpressionError) as raised:
        explore_code(HEAD + "def g(t):\n    return t * (n / 0)\ny = g(x)" + TAIL)
    error = raised.value
    assert error.line == 9 and error.python_type == "ZeroDivisionError"
    assert error.reason == "g(x) — ZeroDivisionError: division by zero"


def value(text: str, env: dict | None = None) -> object:
    return plain_value(ast.parse(text, mode="eval").body, env or {}, {})


def test_sizes_are_numbers_the_reader_does_not_know():
    tensors = {"x": Ref("b1"), "W": Ref("b2")}
    for text in ("len(x) + 1", "x.shape[0] * 2", "1 / len(x)", "len(x) - len(W)", "x.size()"):
        assert value(text, tensors) is UNKNOWN, text
    for text, words in [("len(x) / 0", "division by zero"),
                        ("x.numel() // 0", "integer division or modulo by zero"),
                        ("[0][x.dim() + 5]", "list index out of range")]:
        with pytest.raises(PlainError, match=words):
            value(text, tensors)
    assert value("len(x) / 0") is UNKNOWN  # x is no tensor of the program: not a size
