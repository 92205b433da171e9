"""Lines that only show a value (``print(...)``, a plot, a bare name): the safe reader never runs
them, so it must refuse where Python would do more there, and agree with Python elsewhere.

The oracle is plain Python (:mod:`tests.engine.oracle`). A print that drew random numbers used to
be skipped, and every later number differed from Python's without a word; a print that ran
``mul_`` or ``grad`` changed nothing; a bare ``x.gard`` typo passed.
"""

from __future__ import annotations

import pytest

from nla_explorer.engine import explore_code
from nla_explorer.engine.errors import ExpressionError
from tests.engine.app_record import app_record
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

HEAD = "import torch\nimport numpy as np\nimport matplotlib.pyplot as plt\ntorch.manual_seed(0)\n"
X = HEAD + "x = torch.randn(3, requires_grad=True)\n"  # line 5


@pytest.mark.parametrize("line", [
    "print(x)", "print(x.grad)", "print(f.item())", "print(f'{f.item():.3f}', x.shape)",
    "print('f = {}'.format(f))", "x", "x.grad", "x.shape", "f",
    "print(np.random.rand(2))",  # numpy's own generator: torch's numbers stay
    "plt.plot(x.detach().numpy(), [t for t in range(3)])", "print([v * 2 for v in [1, 2]])",
    "print(len(x), abs(-1), (lambda t: t)(x))",
])
def test_a_line_that_only_shows_is_passed_over_as_python_runs_it(oracle, line):
    text = X + "f = (x * x).sum()\n" + line + "\ny = torch.randn(3)\ng = (f * y).sum()\n" \
        "g.backward()\n"
    assert_same(oracle.run(text), app_record(text), text)


@pytest.mark.parametrize(("line", "culprit", "what"), [
    ("print(torch.randn(3))", "randn", "draws random numbers"),
    ("print(x.sum(), torch.rand(2))", "rand", "draws random numbers"),
    ("plt.plot(torch.randn(3))", "randn", "draws random numbers"),
    ("print(torch.manual_seed(1))", "manual_seed", "draws random numbers"),
    ("print(y.mul_(10))", "mul_", "changes a tensor in place"),
    ("print(torch.autograd.grad(f, x))", "grad", "runs a backward pass"),
    ("print(f.backward())", "backward", "runs a backward pass"),
])
def test_a_line_that_would_change_the_program_is_refused_by_name(oracle, line, culprit, what):
    """Python runs these and every later number (or the graph) changes: the reader cannot
    follow without running them, so it says so (and Run cell runs them)."""
    text = X + "y = x * 2\nf = y.sum()\n" + line + "\nz = torch.randn(3)\ng = (f * z).sum()\n" \
        "g.backward()\n"
    expected = oracle.run(text)
    with pytest.raises(ExpressionError) as raised:
        explore_code(text)
    error = raised.value
    assert (error.line, error.culprit) == (8, culprit)
    assert what in error.reason and "Run cell" in error.reason
    if expected["error"] is None:  # Python ran it: its numbers are not the reader's without it
        skipped = app_record(text.replace(line, "pass"))
        assert (expected["tensors"], expected["grads"]) != (skipped["tensors"], skipped["grads"])


@pytest.mark.parametrize("line", ["print(grad_x)", "grad_x", "print(f'{x} {z}')",
                                  "x.gard", "print(len(w))", "print(x.grad.norm())",
                                  "print(x.grad[0])", "x.grad.shape",
                                  "print(x.grad.grad.norm())"])
def test_a_line_python_stops_at_stops_the_reader_with_pythons_words(oracle, line):
    """An undefined name, a misspelt attribute, ``x.grad`` used before any backward (None)."""
    text = X + "f = (x * x).sum()\n" + line + "\nf.backward()\n"
    expected, actual = oracle.run(text), app_record(text)
    assert expected["error"] is not None and expected["error"]["line"] == 7
    assert_same(expected, actual, text)


def test_after_a_backward_the_grad_a_line_shows_is_there(oracle):
    text = X + "f = (x * x).sum()\nf.backward()\nprint(x.grad.norm(), x.grad[0])\n" \
        "g = (x * 3).sum()\ng.backward()\n"
    assert_same(oracle.run(text), app_record(text), text)


@pytest.mark.parametrize("line", [
    "print(y.item())", "print(f'loss = {y.item():.3f}')", "y.item()", "print(x.numpy())",
    "plt.plot(x, y)", "plt.scatter(w, y)", "print(np.array(y))", "print(np.asarray(x))",
    "print(x[5])", "print(y[-4])", "print(w[0, 1])",
])
def test_what_torch_refuses_to_read_stops_on_that_line(oracle, line):
    """A vector's item, a tensor that requires grad as an array (a plot of it): Python stops on
    the line. The reader used to pass over it and show the rest of the program."""
    text = X + "w = torch.randn(3)\ny = x * 2\n" + line + "\nf = y.sum()\nf.backward()\n"
    expected, actual = oracle.run(text), app_record(text)
    assert expected["error"] is not None and expected["error"]["line"] == 8
    assert_same(expected, actual, text)


@pytest.mark.parametrize("line", [
    "print(f.item())", "f.item()", "print(f'{f.item():.2f}')", "plt.plot(w, w * 2)",
    "plt.plot(x.detach(), y.detach().numpy())", "print(w.numpy(), y.tolist())",
    "y.tolist()", "print(np.array(w))", "print(x[-1], w[2], y[0].item())",
])
def test_what_torch_reads_without_complaint_changes_nothing(oracle, line):
    text = X + "w = torch.randn(3)\ny = x * 2\nf = y.sum()\n" + line + "\nf.backward()\n" \
        "g = (x * w).sum()\ng.backward()\n"
    expected, actual = oracle.run(text), app_record(text)
    assert expected["error"] is None
    assert_same(expected, actual, text)


@pytest.mark.parametrize("program", [
    "f = x * 2\nf.backward()\nprint(f.item())\n",  # the backward's error comes first
    "y = x * 2\nf = y.sum()\nf.backward()\nplt.plot(y)\n",  # then the plot's
    "f = (x * 2).sum()\nf.backward()\nprint(f.item(), x.grad)\n",  # nothing to refuse
])
def test_a_read_after_the_closing_backward_runs_after_it(oracle, program):
    text = X + program
    assert_same(oracle.run(text), app_record(text), text)


@pytest.mark.parametrize("line", [
    "print(y.grad.norm())", "print(y.grad.shape)", "print(y.grad[0])", "y.grad.norm()",
    "print(f'{y.grad.sum():.2f}')",
])
def test_the_grad_of_a_non_leaf_is_none_where_python_uses_it(oracle, line):
    """After a backward, ``y.grad`` of a non-leaf is None: using it raises on the line."""
    text = X + "y = x * 2\nf = y.sum()\nf.backward()\n" + line + "\ng = (x * 3).sum()\n"
    expected, actual = oracle.run(text), app_record(text)
    assert expected["error"] is not None and expected["error"]["line"] == 9
    assert_same(expected, actual, text)
