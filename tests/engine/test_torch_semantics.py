"""Each departure from torch the explorer used to make, as a regression test against plain Python.

Every case runs the same text in the oracle child (plain CPython + torch, :mod:`tests.engine.oracle`) and
through the explorer (:mod:`tests.engine.app_record`); both must agree bit for bit (values, step order,
gradients, ``.grad`` after the program) or raise torch's own message on the same line.
"""

from __future__ import annotations

import pytest
import torch

from nla_explorer.engine import explore_code
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.pipeline import UNSEEDED_NOTE
from tests.engine.app_record import app_record
from tests.engine.oracle import decode
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

HEAD = "import torch\nn = 5\ntorch.manual_seed(0)\n"
COURSE = HEAD + """A = torch.randn((n, n), requires_grad=True)
b = torch.randn((n,))
x = torch.randn((n,), requires_grad=True)

f = 0.5 * x @ A @ x - b @ x
f.backward()
"""


def same(oracle, text: str) -> tuple[dict, dict]:
    expected, actual = oracle.run(text), app_record(text)
    assert_same(expected, actual, text)
    return expected, actual


def test_course_cell_runs_b_at_x_second_as_torch_does(oracle):
    expected, _ = same(oracle, COURSE)
    call = expected["calls"][0]
    order = [call["nodes"][index] for index, _ in call["steps"]]
    assert order[:2] == ["SubBackward0", "DotBackward0"]
    index, (grad,) = call["steps"][1]
    assert decode(grad).item() == -1.0  # the b @ x branch: ∂f/∂(b·x) = −1
    shown = explore_code(COURSE)
    assert [shown.graph.node(s.node_id).op for s in shown.trace.steps] == order
    assert shown.graph.node(shown.trace.steps[1].node_id).saved[0].label == "b"


def test_backward_with_a_vector_gradient_is_honoured(oracle):
    text = HEAD + ("x = torch.randn(3, requires_grad=True)\ny = x * x\n"
                   "v = torch.tensor([1.0, 10.0, 100.0])\ny.backward(v)\n")
    expected, _ = same(oracle, text)
    x = decode(expected["tensors"]["x"])
    v = torch.tensor([1.0, 10.0, 100.0])
    assert torch.equal(decode(expected["grads"]["x"]), 2 * x * v)
    same(oracle, text.replace("y.backward(v)", "y.backward(gradient=v)"))


def test_grad_outputs_are_honoured(oracle):
    text = HEAD + ("x = torch.randn(3, requires_grad=True)\ny = x.sin()\n"
                   "v = torch.tensor([1.0, -2.0, 3.0])\ngx, = torch.autograd.grad(y, x, "
                   "grad_outputs=v)\n")
    expected, actual = same(oracle, text)
    x = decode(expected["tensors"]["x"])
    assert torch.equal(decode(actual["tensors"]["gx"]), torch.cos(x) * torch.tensor([1.0, -2.0, 3.0]))
    assert actual["grads"]["x"] is None  # grad() leaves .grad alone


def test_a_second_backward_accumulates_into_grad(oracle):
    text = HEAD + ("x = torch.randn(3, requires_grad=True)\nf = (x * x).sum()\n"
                   "f.backward(retain_graph=True)\nf.backward()\n")
    expected, _ = same(oracle, text)
    x = decode(expected["tensors"]["x"])
    assert torch.equal(decode(expected["grads"]["x"]), 4 * x)
    shown = explore_code(text)
    assert shown.call_index == 1 and len(shown.calls) == 2
    first = shown.with_call(0)
    leaf = first.graph.find("x").id  # x.grad right after the first call, then after both
    assert torch.equal(torch.from_numpy(first.trace.leaf_grads[leaf].values.copy()), 2 * x)
    assert torch.equal(torch.from_numpy(shown.trace.leaf_grads[leaf].values.copy()), 4 * x)
    assert torch.equal(shown.evaluation.final_grads()["x"], 4 * x)


@pytest.mark.parametrize("text, message, line", [
    (HEAD + "x = torch.randn(3, requires_grad=True)\nf = (x * x).sum()\nf.backward()\n"
     "f.backward()\n", "Trying to backward through the graph a second time", 7),
    (HEAD + "x = torch.randn(3, requires_grad=True)\ny = x * 2\ny.backward()\n",
     "grad can be implicitly created only for scalar outputs", 6),
    (HEAD + "x = torch.randn(3, requires_grad=True)\nx += 1\n",
     "a leaf Variable that requires grad is being used in an in-place operation.", 5),
    (HEAD + "x = torch.randn(3, requires_grad=True)\nb = torch.randn(3)\nf = b @ x\nb += 1\n"
     "f.backward()\n", "modified by an inplace operation", 8),
    (HEAD + "A = torch.randn(3, 3, requires_grad=True)\nb = torch.randn(3)\n"
     "out = (A @ b).sum()\ngA, gb = torch.autograd.grad(out, [A, b])\n",
     "One of the differentiated Tensors does not require grad", 7),
    (HEAD + "x = torch.randn(3, requires_grad=True)\ny = x.grad * 2\n",
     "unsupported operand type(s) for *: 'NoneType' and 'int'", 5),
])
def test_where_torch_raises_the_explorer_raises_torchs_message(oracle, text, message, line):
    expected, actual = same(oracle, text)
    assert message in expected["error"]["message"] and expected["error"]["line"] == line
    with pytest.raises(ExpressionError) as raised:
        explore_code(text)
    assert message in str(raised.value) and raised.value.line == line


def test_non_scalar_backward_names_the_tensor():
    text = HEAD + "x = torch.randn(3, requires_grad=True)\ny = x * 2\ny.backward()\n"
    with pytest.raises(ExpressionError) as raised:
        explore_code(text)
    assert raised.value.culprit == "y"


def test_grad_is_none_until_a_backward_reaches_it(oracle):
    text = HEAD + ("x = torch.randn(3, requires_grad=True)\nw = torch.randn(3, requires_grad=True)"
                   "\nf = (x * 3).sum()\nf.backward()\n")
    expected, actual = same(oracle, text)
    assert actual["grads"]["w"] is None and actual["grads"]["x"] is not None
    no_backward = explore_code(HEAD + "x = torch.randn(3, requires_grad=True)\nf = x.sum()\n")
    assert no_backward.evaluation.final_grads() == {"x": None}
    assert any("calls no backward" in note for note in no_backward.notes)


def test_inputs_zero_and_grad_none(oracle):
    same(oracle, HEAD + ("x = torch.randn(3, requires_grad=True)\nA = torch.randn(3, 3, "
                         "requires_grad=True)\nf = (A @ x).sum()\nf.backward(inputs=[x], "
                         "retain_graph=True)\nd = x.grad * 2\nx.grad.zero_()\nf.backward()\n"
                         "A.grad = None\n"))


def test_unseeded_code_draws_new_numbers_and_says_so():
    text = "import torch\nx = torch.randn(4, requires_grad=True)\nf = (x * x).sum()\n"
    first, second = explore_code(text), explore_code(text)
    assert first.unseeded and UNSEEDED_NOTE in first.notes
    assert not torch.equal(first.evaluation.names()["x"], second.evaluation.names()["x"])
    seeded = "import torch\ntorch.manual_seed(0)\n" + text.split("\n", 1)[1]
    a, b = explore_code(seeded), explore_code(seeded)
    assert not a.unseeded and UNSEEDED_NOTE not in a.notes
    assert torch.equal(a.evaluation.names()["x"], b.evaluation.names()["x"])
    torch.manual_seed(0)
    assert torch.equal(a.evaluation.names()["x"], torch.randn(4))  # the numbers Python draws


@pytest.mark.parametrize("text", [
    # reshape under a dispatch mode made ViewBackward0 instead of torch's ReshapeAliasBackward0
    HEAD + "x = torch.randn(2, 3, requires_grad=True)\nz = torch.reshape(x.T, (3, 2))\n"
           "out = z.sum()\nout.backward()\n",
    # max_pool1d of a constant returned a view under the dispatch mode: s += x then recorded
    # AsStridedBackward0 where torch records AddBackward0
    HEAD + "x = torch.randn(1, requires_grad=True)\nc = torch.randn(1, 2)\n"
           "s = torch.nn.functional.max_pool1d(c, 1)\ns += x\nout = 0.5 * s.sum()\nout.backward()\n",
], ids=["reshape-alias", "max_pool1d-constant-in-place"])
def test_the_value_recorder_leaves_torchs_graph_alone(oracle, text):
    """Found by the long differential run: the recorder's dispatch mode changed the graph."""
    same(oracle, text)


@pytest.mark.parametrize("targets, message, line", [
    ("a, b", "not enough values to unpack (expected 2, got 1)", 6),
    ("a,", "too many values to unpack (expected 1)", 6),
])
def test_unpacking_grads_raises_pythons_message(oracle, targets, message, line):
    text = HEAD + (f"x = torch.randn(3, requires_grad=True)\nf = (x * x).sum()\n"
                   f"{targets} = torch.autograd.grad(f, [x{', x' if targets == 'a,' else ''}])\n")
    expected, _ = same(oracle, text)
    assert expected["error"]["message"] == message and expected["error"]["line"] == line


def test_without_a_backward_the_graph_is_the_last_tensor_that_has_one(oracle):
    """``L = (x * 2).sum()`` then ``A = torch.randn(2)``: Python runs it; the reader used to
    refuse it ("the output 'A' does not require grad") because A came last. L is drawn."""
    text = HEAD + "x = torch.randn(3, requires_grad=True)\nL = (x * 2).sum()\nA = torch.randn(2)\n"
    expected, actual = same(oracle, text)
    assert expected["error"] is None
    exploration = explore_code(text)
    assert exploration.output_name == "L" and exploration.graph.output.name == "L"
    assert [n.op for n in exploration.graph.nodes] == ["SumBackward0", "MulBackward0",
                                                       "AccumulateGrad"]
    assert any("A requires no grad" in note for note in exploration.notes)
    with pytest.raises(ExpressionError, match="does not require grad"):  # no graph anywhere
        explore_code(HEAD + "x = torch.randn(3)\ny = x + 1\n")


@pytest.mark.parametrize("call", [
    "g = torch.autograd.grad(outputs=[y], inputs=[x], grad_outputs=[torch.eye(2)])",
    "g = torch.autograd.grad(outputs=y, inputs=x, grad_outputs=torch.ones(2, 2))",
    "gx, = torch.autograd.grad(outputs=y.sum(), inputs=[x])\nz = gx * 2",
    "g = torch.autograd.grad(inputs=x, outputs=y)",  # a non-scalar without grad_outputs
    "torch.autograd.backward(tensors=[y], grad_tensors=[torch.ones(2, 2)])",
])
def test_autograd_calls_take_their_tensors_by_keyword(oracle, call):
    """``grad(outputs=…, inputs=…)`` was refused: "grad() needs the output tensor as its first
    argument", though the output was given, by keyword."""
    same(oracle, HEAD + "x = torch.randn(2, 2, requires_grad=True)\ny = x @ x\n" + call + "\n")
