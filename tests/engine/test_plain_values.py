"""Plain Python values in code behave as in Python: a line whose plain part raises stops there with
Python's exception, and ``torch.inf``, ``math.pi``, ``float('inf')`` are numbers.

The safe reader used to pass over ``print(1 / 0)`` (Python raises ZeroDivisionError there) and
refused ``torch.linalg.norm(x, ord=torch.inf)`` ("got (Tensor, ord=PyModule)"). The oracle is plain
Python (:mod:`tests.engine.oracle`): the same error (type, message, line), or the same values,
gradients and steps.
"""

from __future__ import annotations

import math

import pytest

from nla_explorer.engine import explore_code
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.plain_values import UNKNOWN, PlainError, plain_value
from nla_explorer.engine.code.writer import to_code
from nla_explorer.engine.errors import ExpressionError
from tests.engine.app_record import app_record
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

HEAD = ("import torch\nimport math\ntorch.manual_seed(0)\n"
        "W = torch.randn(3, 4, requires_grad=True)\nx = torch.randn(4)\n"
        "u = torch.randn(3)\nn = 3\n")  # the tested line is line 8
TAIL = "\nf = (W @ x).sum()\nf.backward()\n"
LINE = 8


@pytest.mark.parametrize("line", [
    "print(1/0)", "print(math.sqrt(-1))", "print([1,2][5])", "print(f'{1/0}')",
    "print(f'loss {n / 0:.2f}')", "print('Wx =', W @ x, 1 // 0)", "print(int('x'))",
    "print(math.log(0))", "print((1, 2)[n])", "print(f'{3:q}')", "print(2.0 ** 10000)",
    "print(1 + 'a')", "print(math.factorial(-1))", "print(float('abc'))", "print(torch.pi % 0)",
    "print(f'{(W @ x).sum().item():.3f}', [0][1])", "print(n if 1 > 0 else 2, 5 % 0)",
    "print(True and 1/0)", "print(0 < 1 < 1/0)", "print('{}'.format(1/0))",
    "1/0", "[1, 2][n]", "math.sqrt(-n)", "m = 1 / 0", "k = [1, 2][5]", "y = W @ x * (1 / 0)",
    "y = W @ x; y *= math.log(-1)", "v = float('inf') - int('1.5')",
    "print(1/0)\nfor i in range(3): pass",  # a line the reader refuses, after Python stopped
    "print(1/0)\nz = undefined_name * 2",
])
def test_a_plain_part_that_raises_in_python_stops_the_line(oracle, line):
    text = HEAD + line + TAIL
    expected = oracle.run(text)
    assert expected["error"] is not None and expected["error"]["line"] == LINE, expected
    actual = app_record(text)
    assert actual["error"] is not None and actual["error"]["type"] == expected["error"]["type"]
    assert_same(expected, actual, text)


@pytest.mark.parametrize("line", [
    "print(W @ u, 1/0)",  # the shape error comes first, as Python evaluates left to right
    "print(f'{W @ u}{1/0}')", "y = (W @ u) * (1 / 0)", "print(W.grad.norm(), 1/0)",
    "y = W @ u\nprint(1/0)",  # an error on an earlier line
])
def test_what_python_evaluates_first_raises_first(oracle, line):
    text = HEAD + line + TAIL
    expected = oracle.run(text)
    assert expected["error"] is not None and expected["error"]["type"] != "ZeroDivisionError"
    assert_same(expected, app_record(text), text)


@pytest.mark.parametrize("line", [
    "print(1 if n > 0 else 1/0)", "print(True or 1/0)", "print(1 > 2 > 1/0)",
    "print([1/0 for i in []])", "print(lambda: 1/0)", "print(math.sqrt(2), torch.pi, math.e)",
    "print(f'{math.e:.3f} {n ** 2:>5} {10 ** 1000 > 0}')", "print('a' * 3, [0] * 2, -n // 2)",
    "print(float('inf'), -math.inf, math.tau, abs(-n), round(2.5), max(n, 2))",
    "print(W @ x, 2 ** -n, n / 2, (1, 2)[-1], 'abc'[1:])", "n / 4", "print(0 and 1/0)",
])
def test_plain_parts_python_computes_change_nothing(oracle, line):
    text = HEAD + line + TAIL
    expected = oracle.run(text)
    assert expected["error"] is None, expected
    assert_same(expected, app_record(text), text)


def test_the_message_is_pythons_on_its_line():
    with pytest.raises(ExpressionError) as raised:
        explore_code(HEAD + "print('loss', 1 / 0)" + TAIL)
    assert raised.value.line == LINE and raised.value.python_type == "ZeroDivisionError"
    assert "ZeroDivisionError: division by zero" in raised.value.reason


def test_a_raising_line_reads_back_as_it_was_written():
    text = HEAD + "print('loss', W @ x, 1 / 0)\nm = [1, 2][5]" + TAIL
    expression = parse_code(text)
    assert "print('loss', W @ x, 1 / 0)" in to_code(expression)
    assert parse_code(to_code(expression)) == expression


@pytest.mark.parametrize("text", [
    "10 ** 10 ** 10", "'a' * 10 ** 12", "[[0] * 10 ** 5] * 10 ** 5", "math.factorial(10 ** 9)",
    "sum([[0]] * 10 ** 5, [])", "f'{1:999999999}'", "'%0999999999d' % 1", "1 << 10 ** 12",
    "pow(3, 10 ** 12)", "str([[1] * 1000] * 1000)",
])
def test_what_would_not_end_quickly_is_not_computed(text):
    import ast
    assert plain_value(ast.parse(text, mode="eval").body, {}, {}) is UNKNOWN


def test_plain_values_are_pythons():
    import ast

    def value(text, env=None, numbers=None):
        return plain_value(ast.parse(text, mode="eval").body, env or {}, numbers or {})
    assert value("1 + 2 * 3") == 7 and value("f'{2.5:.2f}'") == "2.50"
    assert value("[1, 2][-1]") == 2 and value("abs(-3)") == 3
    with pytest.raises(PlainError) as raised:
        value("(1, 2)[5]")
    assert (raised.value.python_type, raised.value.message) == \
        ("IndexError", "tuple index out of range")
    assert value("x + 1") is UNKNOWN  # a name the program does not define as a number


# -- torch.inf, math.pi, float('inf'): numbers ---------------------------------------------------
NORM = "import torch\nimport math\ntorch.manual_seed(0)\nx = torch.randn(5, requires_grad=True)\n"


@pytest.mark.parametrize("line", [
    "y = torch.linalg.norm(x, ord=torch.inf)", "y = torch.linalg.norm(x, ord=math.inf)",
    "y = torch.linalg.norm(x, ord=float('inf'))", "y = torch.linalg.norm(x, ord=-torch.inf)",
    "y = torch.linalg.norm(x, ord=-math.inf)", "y = torch.linalg.vector_norm(x, float('-inf'))",
    "y = x.norm(p=float('inf'))", "y = (x * torch.pi).sum()", "y = (x * math.pi + math.e).sum()",
    "y = (x / (2 * torch.pi)).sum() * torch.e", "y = (x * math.sqrt(2)).sum()",
    "y = (x ** abs(-2)).sum() + float(3)", "p = torch.inf\ny = torch.linalg.norm(x, ord=p)",
    "p = math.inf\ny = torch.linalg.norm(x, ord=-p)",
    "from math import pi, inf\ny = torch.linalg.norm(x * pi, ord=inf)",
    "y = torch.linalg.norm(x.reshape(1, 5), ord=torch.inf)",  # a matrix's ∞-norm
    "y = (x.clamp(min=-math.inf, max=0.5) * math.tau).sum()",
])
def test_named_numbers_are_numbers_as_in_python(oracle, line):
    text = NORM + line + "\ny.backward()\n"
    expected = oracle.run(text)
    assert expected["error"] is None, expected
    assert_same(expected, app_record(text), text)


@pytest.mark.parametrize("line", [
    "y = torch.linalg.norm(x, ord=torch.inf)", "y = (x * torch.pi).sum()",
    "p = torch.inf\ny = torch.linalg.norm(x, ord=-p)", "y = torch.linalg.norm(x, -math.inf)",
])
def test_an_infinite_number_is_written_back_as_code_that_reads_the_same(line):
    expression = parse_code(NORM + line + "\ny.backward()\n")
    code = to_code(expression)
    assert parse_code(code) == expression
    explore_code(code)


def test_an_infinite_literal_is_still_refused_by_name():
    with pytest.raises(ExpressionError, match="the number inf is not finite"):
        parse_code(NORM + "y = x * 1e400\n")


def test_a_norm_of_infinite_order_has_its_gradient():
    evaluation = explore_code(NORM + "y = torch.linalg.norm(x, ord=torch.inf)\ny.backward()\n")
    x = evaluation.evaluation.names()["x"]
    assert math.isclose(float(x.grad.abs().sum()), 1.0)
