"""The oracle of the differential test on its own: plain CPython + torch in a child, observed.

No interpreter here: these tests pin down what :mod:`tests.engine.oracle` reports (the reference the
engine is compared with) and that :func:`tests.engine.differential_programs.differential_programs`
draws programs torch runs (or refuses, when they are meant to fail).
"""

import pytest
import torch
from hypothesis import given

from tests.engine.differential_programs import ERRORS, differential_programs
from tests.engine.oracle import decode
from tests.fuzz_support import fuzz_settings


def run(oracle, text: str) -> dict:
    reply = oracle.run(text)
    assert set(reply) == {"error", "calls", "tensors", "grads"}
    return reply


COURSE_CELL = """import torch
n = 5
torch.manual_seed(0)
A = torch.randn((n, n), requires_grad=True)
b = torch.randn((n,))
x = torch.randn((n,), requires_grad=True)
f = 0.5 * x @ A @ x - b @ x
f.backward()
"""


def test_course_cell_steps_and_gradient(oracle):
    reply = run(oracle, COURSE_CELL)
    assert reply["error"] is None
    (call,) = reply["calls"]  # Tensor.backward -> torch.autograd.backward: recorded once
    assert (call["kind"], call["line"], call["results"]) == ("backward", 8, [])
    nodes, steps = call["nodes"], call["steps"]
    assert nodes[:3] == ["SubBackward0", "DotBackward0", "DotBackward0"]
    assert nodes.count("AccumulateGrad") == 2  # A and x, each once
    assert nodes[steps[0][0]] == "SubBackward0"
    assert nodes[steps[1][0]] == "DotBackward0" and steps[1][0] == 2  # b @ x: Sub's 2nd input
    assert decode(steps[1][1][0]).item() == -1.0  # d f / d (b @ x)
    assert len(steps) == len(nodes)  # every node runs once
    A, b, x = (decode(reply["tensors"][name]) for name in "Abx")
    assert set(reply["tensors"]) == {"A", "b", "x", "f"}  # n is an int: not reported
    assert set(reply["grads"]) == {"A", "x"}
    torch.testing.assert_close(decode(reply["grads"]["x"]), 0.5 * (A + A.T) @ x - b)
    torch.testing.assert_close(decode(reply["grads"]["A"]), 0.5 * torch.outer(x, x))
    assert decode(reply["tensors"]["f"]).dtype == torch.float32


def test_retain_graph_accumulates(oracle):
    reply = run(oracle, "import torch\n"
                        "x = torch.randn(3, dtype=torch.float64, requires_grad=True)\n"
                        "y = (x * x).sum()\n"
                        "y.backward(retain_graph=True)\n"
                        "g1 = x.grad * 1\n"
                        "torch.autograd.backward(y)\n")
    assert reply["error"] is None
    first, second = reply["calls"]
    assert (first["line"], second["line"]) == (4, 6)
    assert first["nodes"] == second["nodes"] == ["SumBackward0", "MulBackward0",
                                                 "AccumulateGrad"]
    assert first["steps"] == second["steps"]  # the same grads flow, bit for bit
    g1, grad = decode(reply["tensors"]["g1"]), decode(reply["grads"]["x"])
    assert torch.equal(grad, 2 * g1)
    torch.testing.assert_close(g1, 2 * decode(reply["tensors"]["x"]))


def test_grad_calls_report_results_and_steps(oracle):
    reply = run(oracle, "import torch\n"
                        "x = torch.randn(3, requires_grad=True)\n"
                        "A = torch.randn(3, 3, requires_grad=True)\n"
                        "y = A @ x\n"
                        "v = torch.ones(3)\n"
                        "gx, gA = torch.autograd.grad(y.sum(), [x, A], retain_graph=True)\n"
                        "g = torch.autograd.grad(y, [x], grad_outputs=v)[0]\n"
                        "_hidden = gx * 2\n")
    assert reply["error"] is None
    first, second = reply["calls"]
    assert first["kind"] == second["kind"] == "grad"
    assert (first["line"], second["line"]) == (6, 7)
    assert first["nodes"][0] == "SumBackward0" and second["nodes"][0] == "MvBackward0"
    assert first["results"] == [reply["tensors"]["gx"], reply["tensors"]["gA"]]
    assert second["results"] == [reply["tensors"]["g"]]
    torch.testing.assert_close(decode(reply["tensors"]["gA"]), torch.outer(
        torch.ones(3), decode(reply["tensors"]["x"])))
    assert reply["grads"] == {"x": None, "A": None}  # grad() leaves .grad alone
    assert "_hidden" not in reply["tensors"]


#: A program per error kind of the drawn programs, and the backward calls it completes first.
ERROR_PROGRAMS = {
    "second_backward": ("x = torch.randn(3, requires_grad=True)\ny = (x * x).sum()\n"
                        "y.backward()\ny.backward()\n", 1),
    "non_scalar": ("x = torch.randn(3, requires_grad=True)\ny = x * 2\ny.backward()\n", 0),
    "leaf_inplace": ("x = torch.randn(3, requires_grad=True)\nx += 1\n", 0),
    "saved_inplace": ("x = torch.randn(3, requires_grad=True)\nb = torch.randn(3)\n"
                      "out = (b * x).sum()\nb += 1\nout.backward()\n", 0),
    "grad_of_constant": ("x = torch.randn(3, requires_grad=True)\nc = torch.randn(3)\n"
                         "out = (x * c).sum()\ng = torch.autograd.grad(out, [x, c])\n", 0),
}


@pytest.mark.parametrize("kind", sorted(ERROR_PROGRAMS))
def test_torch_errors(oracle, kind):
    program, completed = ERROR_PROGRAMS[kind]
    text = "import torch\n" + program
    reply = run(oracle, text)
    error = reply["error"]
    assert error["type"] == "RuntimeError"
    assert error["message"].startswith(ERRORS[kind]) and "\n" not in error["message"]
    assert error["line"] == len(text.splitlines())  # the last statement raised
    assert len(reply["calls"]) == completed  # calls before the error, not the failing one
    assert "x" in reply["tensors"] and set(reply["grads"]) == {"x"}


def test_error_line_and_partial_state(oracle):
    reply = run(oracle, "import torch\nx = torch.ones(2, requires_grad=True)\n"
                        "x.sum().backward()\ny = x + undefined_name\nz = x * 3\n")
    assert reply["error"] == {"type": "NameError", "message": "name 'undefined_name' is not "
                                                              "defined", "line": 4}
    assert len(reply["calls"]) == 1 and "z" not in reply["tensors"]
    assert torch.equal(decode(reply["grads"]["x"]), torch.ones(2))


def test_print_does_not_break_the_channel(oracle):
    reply = run(oracle, 'import os\nimport sys\nimport torch\nx = torch.arange(3.0)\n'
                        'print(x)\nprint(\'{"error": "fake"}\\n\\n{\')\n'
                        'sys.stdout.write("no newline")\nos.write(1, b"raw fd 1\\n")\n'
                        'print("to stderr", file=sys.stderr)\n'
                        'try:\n    input()\nexcept EOFError:\n    eof = torch.ones(1)\n')
    assert reply["error"] is None
    assert torch.equal(decode(reply["tensors"]["x"]), torch.arange(3.0))
    assert "eof" in reply["tensors"]  # stdin is /dev/null, not the request channel
    assert run(oracle, "import torch\ny = torch.zeros(1)\n")["tensors"].keys() == {"y"}


def test_fresh_globals_seed_and_independence(oracle):
    first = run(oracle, "import sys\nimport torch\nleft = torch.randn(2)\n"
                        "engine = torch.tensor(float('nla_explorer' in sys.modules))\n")
    second = run(oracle, "import torch\nright = torch.randn(2)\n"
                         "seen = torch.tensor(float('left' in globals()))\n")
    assert decode(first["tensors"]["engine"]).item() == 0.0  # the child never imports the app
    assert decode(second["tensors"]["seen"]).item() == 0.0
    assert first["tensors"]["left"] == second["tensors"]["right"]  # seeded 0 before each


def test_bytes_are_exact_for_any_dtype(oracle):
    reply = run(oracle, "import torch\nh = torch.tensor([1.5, -2.0], dtype=torch.float16)\n"
                        "i = torch.arange(4).reshape(2, 2).t()\n"
                        "flag = torch.tensor([True, False])\n"
                        "s = torch.tensor(3.0).expand(1, 1)\n")
    assert reply["tensors"]["h"] == ["torch.float16", [2], "003e00c0"]
    assert torch.equal(decode(reply["tensors"]["i"]), torch.arange(4).reshape(2, 2).t())
    assert torch.equal(decode(reply["tensors"]["flag"]), torch.tensor([True, False]))
    assert reply["tensors"]["s"] == ["torch.float32", [1, 1], "00004040"]  # stride 0


def test_timeout_restarts_the_child(oracle):
    oracle.timeout, saved = 1.0, oracle.timeout
    try:
        reply = oracle.run("while True:\n    pass\n")
    finally:
        oracle.timeout = saved
    assert reply["error"]["type"] == "Timeout" and reply["calls"] == []
    assert run(oracle, "import torch\nok = torch.ones(1)\n")["error"] is None


@fuzz_settings(short=50, long=2000)
@given(differential_programs())
def test_drawn_programs_run_in_torch(oracle, program):
    reply = run(oracle, program.text)
    if program.expect_error:
        assert reply["error"] is not None, program.text
        assert program.error_message in reply["error"]["message"], program.text
    else:
        assert reply["error"] is None, (reply["error"], program.text)
        assert reply["calls"], program.text  # every valid program calls backward or grad
