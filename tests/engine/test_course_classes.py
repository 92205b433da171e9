"""The course's own autograd.Function in code: written where its block is used, recognised where
pasted, and plain Python either way.

The interpreter never runs a class body. It accepts ``class InverseMatrix(Function)`` only when its
statements are the course's (docstrings and comments aside) and refuses any other, the student's own
backward included, with the hint to run it as Python (which runs the student's class).
"""

from __future__ import annotations

import pytest

from nla_explorer.engine import EXAMPLES, ExpressionError, explore_code, parse_code, to_code
from nla_explorer.engine.code.course_classes import source
from tests.engine.app_record import app_record
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

USE = ("torch.manual_seed(0)\nA = (torch.randn(3, 3) + 3 * torch.eye(3)).requires_grad_()\n"
       "B = InverseMatrix.apply(A)\nL = (B * B).sum()\nL.backward()\n")
#: The notebook's cell (002, exercise 5), solved as the course solves it: other docstrings, the
#: tuple target in parentheses, a comment, the base named through torch.autograd.
AS_THE_NOTEBOOK_WRITES_IT = '''\
import torch
from torch.autograd import grad, Function


class InverseMatrix(torch.autograd.Function):
    """A Function class for computing the inverse matrix, and its gradient."""

    @staticmethod
    def forward(ctx, A):
        """Compute the inverse of matrix A"""
        B = torch.linalg.inv(A)
        ctx.save_for_backward(B)
        return B

    @staticmethod
    def backward(ctx, grad_output):
        """Compute the gradient of the loss with respect to A.

        grad_ouput contains the gradient of the loss with respect to A^-1
        """
        (B,) = ctx.saved_tensors  # B = A^-1
        return -B.mT @ grad_output @ B.mT

'''


def test_code_written_from_the_block_defines_the_class_and_is_plain_python(oracle):
    expression = parse_code("import torch\n" + USE)  # a cell that relies on an earlier class
    written = to_code(expression)
    assert "from torch.autograd import Function\n\n\nclass InverseMatrix(Function):" in written
    assert source("InverseMatrix") in written
    assert written.index("class InverseMatrix") < written.index("InverseMatrix.apply")
    assert parse_code(written) == expression and to_code(parse_code(written)) == written
    expected = oracle.run(written)
    assert expected["error"] is None and [s[0] for s in expected["calls"][0]["steps"]]
    assert_same(expected, app_record(written), written)


def test_the_class_as_the_notebook_writes_it_is_the_course_class(oracle):
    text = AS_THE_NOTEBOOK_WRITES_IT + USE
    graph = explore_code(text).evaluation.backward_calls[0].graph
    assert "InverseMatrixBackward" in [node.op for node in graph.nodes]
    assert_same(oracle.run(text), app_record(text), text)


@pytest.mark.parametrize("change", [
    ("return -B.mT @ grad_output @ B.mT", "return B.mT @ grad_output @ B.mT"),  # a sign lost
    ("B = torch.linalg.inv(A)", "B = torch.inverse(A)"),  # another (right) forward
    ("class InverseMatrix(", "class MyInverse("),  # torch would name its node MyInverseBackward
    ("        B = torch.linalg.inv(A)\n        ctx.save_for_backward(B)\n        return B",
     "        pass"),  # the notebook's blank exercise
])
def test_any_other_class_is_refused_with_the_hint_to_run_it(change):
    text = AS_THE_NOTEBOOK_WRITES_IT.replace(*change) + USE.replace("InverseMatrix", "MyInverse"
                                                                       if "My" in change[1]
                                                                       else "InverseMatrix")
    assert text != AS_THE_NOTEBOOK_WRITES_IT + USE
    with pytest.raises(ExpressionError) as caught:
        explore_code(text)
    assert "your own autograd.Function needs Run as Python" in caught.value.reason
    assert caught.value.line == 8  # the first @staticmethod of the class


def test_the_inverse_matrix_example_is_code_that_defines_its_class():
    code = EXAMPLES["inverse_matrix"].code
    assert code.startswith("import torch\nfrom torch.autograd import Function\n\n\n" +
                           source("InverseMatrix"))
    assert to_code(parse_code(code)) == code


def test_the_course_class_with_its_own_names_for_arguments_and_locals_is_recognised(oracle):
    renamed = (AS_THE_NOTEBOOK_WRITES_IT.replace("forward(ctx, A)", "forward(context, M)")
               .replace("B = torch.linalg.inv(A)", "M_inv = torch.linalg.inv(M)")
               .replace("ctx.save_for_backward(B)\n        return B",
                        "context.save_for_backward(M_inv)\n        return M_inv")
               .replace("(B,) = ctx.saved_tensors", "(Minv,) = ctx.saved_tensors")
               .replace("-B.mT @ grad_output @ B.mT", "-Minv.mT @ grad_output @ Minv.mT"))
    assert renamed.count("M_inv") == 3 and renamed.count("Minv") == 3
    text = renamed + USE
    assert_same(oracle.run(text), app_record(text), text)
    # a name that is not the argument (the global A, not the argument M) is another program
    wrong = renamed.replace("torch.linalg.inv(M)", "torch.linalg.inv(A)") + USE
    with pytest.raises(ExpressionError, match="your own autograd.Function"):
        explore_code(wrong)
