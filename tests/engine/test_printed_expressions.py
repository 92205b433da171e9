"""What a printed line computes runs on that line, as in Python: ``print(W @ x)`` of mismatched
shapes stops the program there.

The safe reader used to pass over whatever a print computed, so a shape error inside one went
unsaid and the app showed the rest of a program that Python stops at that line. The oracle is
plain Python (:mod:`tests.engine.oracle`): the same error on the same line, or the same values,
gradients and steps where the print is fine.
"""

from __future__ import annotations

import json

import pytest

from nla_explorer.engine import explore_code
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.writer import to_code
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.sessions.nla_file import expression_to_json, session_from_text
from tests.engine.app_record import app_record
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

HEAD = ("import torch\nimport matplotlib.pyplot as plt\ntorch.manual_seed(0)\n"
        "W = torch.randn(3, 4, requires_grad=True)\nx = torch.randn(4)\n"
        "u = torch.randn(3)\n")  # the printed line is line 7
TAIL = "\nf = (W @ x).sum()\nf.backward()\n"


@pytest.mark.parametrize("line", [
    "print(W @ u)",  # (3×4) @ (3,)
    "print('Wx =', W @ x, W.T @ x)",
    "print(f'{(W @ x - x).norm():.3f}')",  # (3,) − (4,)
    "print((W @ x).item())",  # a vector's item
    "print(f'{(W @ x).sum().item():.3f}', (W @ x).numpy())",  # requires grad: no numpy
    "print(torch.cat([W, x]))",
    "print(torch.inverse(torch.zeros(2, 2)))",  # singular: linalg's error
    "print(W[:, 1:] @ x)",
    "plt.plot(W @ u)",
    "W @ u",  # a bare line, as a notebook shows it
    "print(torch.dot(x, u))",
])
def test_an_error_inside_a_printed_expression_stops_there(oracle, line):
    text = HEAD + line + TAIL
    expected = oracle.run(text)
    assert expected["error"] is not None and expected["error"]["line"] == 7, expected
    assert_same(expected, app_record(text), text)


@pytest.mark.parametrize("line", [
    "print(W @ x)", "print('Wx =', W @ x, (W @ x).sum().item())",
    "print(f'{(W @ x).norm().item():.3f}', W.T @ u)", "print((W @ x).detach().numpy())",
    "print(x[1:3] * 2, x.T, torch.ones(2) @ torch.ones(2))", "print(W.shape[0] * 2)",
    "W.T @ u",
])
def test_a_printed_expression_that_python_computes_changes_nothing(oracle, line):
    text = HEAD + line + TAIL
    expected = oracle.run(text)
    assert expected["error"] is None, expected
    assert_same(expected, app_record(text), text)


def test_a_printed_expression_is_written_back_as_its_line_and_kept_out_of_sessions():
    text = HEAD + "print('Wx =', W @ u, (W @ x).sum().item())" + TAIL
    expression = parse_code(text)
    assert "print('Wx =', W @ u, (W @ x).sum().item())" in to_code(expression)
    assert parse_code(to_code(expression)) == expression
    loaded, _ = session_from_text(json.dumps(expression_to_json(expression)))
    assert not any(b.form == "shows:value" for b in loaded.blocks)
    explore_code(to_code(loaded))  # a session is data: the print is code only, nothing fails


def test_the_message_names_the_shapes_and_torchs_words():
    with pytest.raises(ExpressionError) as raised:
        explore_code(HEAD + "print(W @ u)" + TAIL)
    assert raised.value.line == 7
    assert "(3×4) @ (3,)" in raised.value.reason and "size mismatch" in raised.value.reason


@pytest.mark.parametrize("line", [
    "torch.manual_seed(2, dim=x)", "torch.manual_seed()", "torch.manual_seed(1, 2)",
    "torch.manual_seed(seed=3)", "torch.manual_seed(2.5)",
])
def test_manual_seed_takes_its_argument_as_torch_does(oracle, line):
    """``torch.manual_seed(n, dim=s)`` was run as ``manual_seed(n)`` (and written back so)."""
    text = HEAD + line + "\nv = torch.randn(3, requires_grad=True)" + TAIL
    assert_same(oracle.run(text), app_record(text), text)


LOSS = ("import torch\ntorch.manual_seed(0)\nx = torch.randn(3, requires_grad=True)\n"
        "L = (x * 2).sum()\n")  # the printed line is line 5


@pytest.mark.parametrize("line", [
    'print(f"{x:.3f}")', 'print(f"{(x * 2):.2f}")',  # a vector has no number format
    "print(float(x))", "print(float(x * 2))", "print(int(x))",  # only one element converts
    'print("loss: " + L)', 'print("loss: " + L * 2)',  # str + Tensor
    "print(len(L))", "print(len(L * 2))", "print(bool(x))",
    'print(f"{L.item():.4f}", "loss: " + L)',
])
def test_what_python_refuses_to_show_stops_the_line(oracle, line):
    """The classic slips of a print: Python raises there, and the app used to show the rest."""
    text = LOSS + line + "\nL.backward()\n"
    expected = oracle.run(text)
    assert expected["error"] is not None and expected["error"]["line"] == 5, expected
    assert_same(expected, app_record(text), text)


@pytest.mark.parametrize("line", [
    'print(f"{L:.3f}")', "print(float(L), int(x[0]), len(x), bool(L))",
    'print(f"{x!r:>10}")', 'print("a" + f"{L:.2f}" + str(L))', 'print(f"{L:{3}}")',
    'print(f"{(x * 2).sum():.2f}", float(x @ x))', 'print("n = " + str(len(x)))',
])
def test_what_python_shows_without_complaint_changes_nothing(oracle, line):
    text = LOSS + line + "\nL.backward()\n"
    expected = oracle.run(text)
    assert expected["error"] is None, expected
    assert_same(expected, app_record(text), text)


@pytest.mark.parametrize("line", ["len(L)", "float(x)", "bool(x)", "float(L)", "len(x * 2)",
                                  "int(L)"])
def test_a_bare_builtin_line_shows_as_a_notebook_does(oracle, line):
    """A cell's last line ``float(loss)`` shows a number in a notebook; the reader refused it by
    name. Now it runs on its line: the same value, or Python's error there."""
    text = LOSS + line + "\nL.backward()\n"
    assert_same(oracle.run(text), app_record(text), text)


@pytest.mark.parametrize("line", [
    "v = L.item()\nprint(v)", "v = (x * 2).item()", "v = float(L)\nprint(f'{v:.3f}')",
    "v = x.item()", "v = u = L.item()\nprint(u)", "v = int(x[0])\nprint(v)",
])
def test_a_number_read_from_a_tensor_is_kept_for_prints(oracle, line):
    """``v = loss.item()`` was refused ('.item()' is not in the whitelist); it runs on its line
    (a vector's item raises there) and v serves prints, as in a notebook."""
    text = LOSS + line + "\nL.backward()\n"
    assert_same(oracle.run(text), app_record(text), text)
    expression = parse_code(text)
    assert line.split("\n")[0] in to_code(expression)
    assert parse_code(to_code(expression)) == expression


def test_a_number_read_from_a_tensor_is_refused_in_a_tensor_expression_by_name():
    with pytest.raises(ExpressionError, match="'v', a Python number read from a tensor "
                                              r"\(L.item\(\)\), cannot be used") as raised:
        explore_code(LOSS + "v = L.item()\ny = x * v\n")
    assert raised.value.line == 6 and "Run cell" in raised.value.reason


def test_a_line_python_stops_on_is_kept_out_of_sessions():
    """``print(1 / 0)``: the block that raises is the line's, code only, as a printed value's."""
    text = HEAD + "print(1 / 0)\n"
    expression = parse_code(text)
    assert any(b.form == "shows:raise" for b in expression.blocks)
    loaded, _ = session_from_text(json.dumps(expression_to_json(expression)))
    assert not any(b.form.startswith("shows:") for b in loaded.blocks)
