"""The stepper's view of each backward step matches the trace and torch."""

import numpy as np
import pytest
import torch

from nla_explorer.engine import EXAMPLES, explore_code
from nla_explorer.engine.autograd.stepper import CURRENT, DONE, WAITING, step_view


SHARED = {  # graphs where a tensor is used more than once
    "x_times_x": "x = torch.randn(4, requires_grad=True)\ny = (x * x).sum()\n",
    "x_in_two_ops": "x = torch.randn(3, requires_grad=True)\ny = (x.exp() + x.sin()).sum()\n",
    "A_twice": "A = torch.randn(3, 3, requires_grad=True)\ny = (A @ A).trace()\n",
    "shared_hidden": "x = torch.randn(3, requires_grad=True)\nh = x.tanh()\n"
                     "y = (h * h + h).sum()\n",
}
CASES = {**{k: e.code for k, e in EXAMPLES.items()}, **SHARED}


@pytest.mark.parametrize("name", list(CASES))
def test_steps_follow_the_trace_and_end_with_torch_grads(name):
    exp = explore_code(CASES[name])
    graph, trace = exp.graph, exp.trace
    before = step_view(graph, trace, -1)
    assert before.current is None and set(before.states.values()) == {WAITING}
    for k, step in enumerate(trace.steps):
        view = step_view(graph, trace, k)
        assert view.current == step.node_id and view.states[step.node_id] == CURRENT
        assert sum(1 for s in view.states.values() if s == DONE) == k
        for lit in view.lit:
            assert lit.target == step.node_id
            expected = step.grad_inputs[lit.slot]
            assert (lit.tensor is None) == (expected is None)
            if expected is not None:  # the edge shows exactly the gradient torch sent
                np.testing.assert_array_equal(lit.tensor.values, expected.values)
    last = step_view(graph, trace, len(trace) - 1)
    assert last.finished
    names = exp.evaluation.names()
    leaves = {n.name: n.id for n in graph.leaves}
    tensors = [names[n] for n in leaves]
    if exp.call is None or exp.expression.backward_line is not None:
        # no backward call, or the program's last statement: its graph is kept for the window
        grads = torch.autograd.grad(exp.output, tensors, retain_graph=True, allow_unused=True)
    else:  # the program's own backward freed its graph, as in plain torch (hessian_quadratic's
        # f.backward() runs before H = hessian(...)): what torch left in .grad is the reference
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            torch.autograd.grad(exp.output, tensors, allow_unused=True)
        assert len(exp.calls) == 1
        grads = [t.grad for t in tensors]
    for (name_, node_id), g in zip(leaves.items(), grads):
        np.testing.assert_allclose(last.leaf_grads[node_id].values, g.numpy(), rtol=1e-5,
                                   atol=1e-6)


def test_leaf_gradient_appears_only_when_its_step_runs():
    exp = explore_code("x = torch.randn(3, requires_grad=True)\ny = (x * x).sum()\n")
    x = exp.graph.find("x").id
    k = next(s.index for s in exp.trace.steps if s.node_id == x)
    assert x not in step_view(exp.graph, exp.trace, k - 1).leaf_grads
    assert x in step_view(exp.graph, exp.trace, k).leaf_grads
    mul_step = next(s for s in exp.trace.steps if s.node_id != x and
                    exp.graph.node(s.node_id).op == "MulBackward0")
    view = step_view(exp.graph, exp.trace, mul_step.index)
    assert len(view.lit) == 2 and {e.source for e in view.lit} == {x}  # x used twice
