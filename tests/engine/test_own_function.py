"""The student's own ``autograd.Function`` in a Python run: its backward runs, and is checked.

Run in the engine's kernel in-process (the child runs the same code): the node's value is its
forward's output, the step card says the numbers are what ``backward`` returned, and the
finite-difference check of the Function's own forward flags a wrong backward with the difference.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nla_explorer.engine.autograd.step_rules import step_card
from nla_explorer.engine.runner.program import Kernel

SQUARE = """import torch
from torch.autograd import Function

class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return FACTOR * x * g

z = torch.randn(5, dtype=torch.float64, requires_grad=True)
y = Square.apply(z).sum()
y.backward()
"""


def run(factor: int):
    result = Kernel().run([("In[1]", 1, SQUARE.replace("FACTOR", str(factor)))], seed=0)
    assert result.error is None, result.error
    return result


@pytest.mark.parametrize("factor", [2, 3])
def test_the_own_backward_runs_and_is_checked(factor):
    result = run(factor)
    torch.manual_seed(0)
    z = torch.randn(5, dtype=torch.float64)
    checks = result.checks_of_call()
    assert len(checks) == 1 and checks[0].checked
    assert checks[0].ok is (factor == 2)
    np.testing.assert_allclose(checks[0].numerical.values, 2 * z.numpy(), rtol=1e-6)
    np.testing.assert_allclose(checks[0].autograd.values, factor * z.numpy())
    if factor == 3:
        assert checks[0].max_abs_error == pytest.approx(float(z.abs().max()), rel=1e-6)


def test_the_card_says_the_numbers_are_what_backward_returned():
    result = run(3)
    graph, trace = result.graph, result.trace
    index = next(i for i, s in enumerate(trace.steps)
                 if graph.node(s.node_id).op == "SquareBackward")
    card = step_card(graph, trace, index)
    assert card.rule[0] == "∂y/∂z = Square.backward(ctx, g)"  # y = Square.apply(z).sum()
    assert "what it returned" in card.rule[1]
    node = graph.node(trace.steps[index].node_id)
    torch.manual_seed(0)
    z = torch.randn(5, dtype=torch.float64)
    np.testing.assert_array_equal(node.value.values, (z * z).numpy())  # the forward's output
