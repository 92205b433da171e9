"""Capture and backward trace against torch itself: node sets, values, gradients, order, hygiene."""

import numpy as np
import pytest
import torch

from nla_explorer.engine import (
    CaptureError, ForwardRecorder, capture, trace_backward,
)
from nla_explorer.engine.autograd.custom_functions import InverseMatrix
from tests.helpers import assert_consumers_first, op_names, walk_next_functions


def quadratic(n=5):
    A = torch.randn((n, n), requires_grad=True)
    b = torch.randn((n,))
    x = torch.randn((n,), requires_grad=True)
    with ForwardRecorder() as rec:
        f = 0.5 * x @ A @ x - b @ x
    return A, b, x, f, rec


def test_node_set_matches_next_functions_walk():
    A, b, x, f, rec = quadratic()
    graph = capture(f, names=dict(A=A, b=b, x=x, f=f), recorder=rec)
    fns = walk_next_functions(f)
    assert len(graph) == len(fns)
    assert sorted(n.op for n in graph) == [
        "AccumulateGrad" if o == "AccumulateGrad" else o for o in op_names(fns)]
    assert {n.kind for n in graph} == {"op", "leaf"}
    # edges: one per non-None next_functions entry, in data-flow direction
    assert len(graph.edges) == sum(
        1 for fn in fns for child, _ in fn.next_functions if child is not None)
    assert graph.output.op == "SubBackward0" and graph.output.name == "f"


def test_names_and_saved_constants():
    A, b, x, f, rec = quadratic()
    graph = capture(f, names=dict(A=A, b=b, x=x, f=f), recorder=rec)
    leaves = {n.name: n for n in graph.leaves}
    assert set(leaves) == {"A", "x"}
    np.testing.assert_array_equal(leaves["A"].value.values, A.detach().numpy())
    # b does not require grad: torch saved it on the dot node, where it shows as a named constant
    constants = [s for n in graph for s in n.constants]
    assert any(s.label == "b" and np.array_equal(s.tensor.values, b.numpy()) for s in constants)
    # the Python scalar 0.5 is saved by the mul node
    mul = next(n for n in graph if n.op == "MulBackward0")
    assert any(s.tensor is not None and s.tensor.values.item() == 0.5 for s in mul.constants)


def test_every_op_node_has_its_forward_value():
    A, b, x, f, rec = quadratic()
    graph = capture(f, recorder=rec)
    by_op = {n.op: n for n in graph}
    assert all(n.value is not None for n in graph)
    expected_mm = ((0.5 * x).unsqueeze(0) @ A).detach().numpy()
    np.testing.assert_allclose(by_op["MmBackward0"].value.values, expected_mm, rtol=1e-6)
    assert by_op["MmBackward0"].shape == (1, 5)
    assert by_op["SubBackward0"].value.item() == pytest.approx(f.item())


def test_without_recorder_only_output_and_saved_results_have_values():
    x = torch.randn(4, requires_grad=True)
    y = torch.exp(x * 2).sum()
    graph = capture(y)
    exp_node = next(n for n in graph if n.op == "ExpBackward0")
    np.testing.assert_allclose(exp_node.value.values, torch.exp(x * 2).detach().numpy())
    assert graph.output.value.item() == pytest.approx(y.item())


def test_trace_gradients_equal_autograd_grad():
    A, b, x, f, _ = quadratic()
    trace = trace_backward(f)
    graph = capture(f, names=dict(A=A, x=x))
    gA, gx = torch.autograd.grad(f, [A, x], retain_graph=True)
    np.testing.assert_allclose(trace.leaf_grads[graph.find("A").id].values, gA.numpy())
    np.testing.assert_allclose(trace.leaf_grads[graph.find("x").id].values, gx.numpy(),
                               rtol=1e-6)
    assert len(trace) == len(graph)
    assert_consumers_first(graph, trace)


def test_leaf_used_twice_gets_both_contributions():
    x = torch.randn(3, requires_grad=True)
    y = (x * x).sum()
    graph, trace = capture(y, names={"x": x}), trace_backward(y)
    mul = next(n for n in graph if n.op == "MulBackward0")
    step = trace.step_of(mul.id)
    contributions = [g.values for g in step.grad_inputs]
    np.testing.assert_allclose(sum(contributions), 2 * x.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(trace.leaf_grads[graph.find("x").id].values,
                               2 * x.detach().numpy(), rtol=1e-6)


def test_trace_restores_grad_and_leaves_no_hooks():
    A, b, x, f, _ = quadratic()
    sentinel = torch.full((5,), 7.0)
    x.grad = sentinel
    fns = walk_next_functions(f)
    handles = [fn.register_hook(lambda gi, go: None) for fn in fns]
    trace_backward(f)
    trace_backward(f)
    assert x.grad is sentinel and torch.equal(x.grad, torch.full((5,), 7.0))
    assert A.grad is None
    assert all(len(h.hooks_dict_ref()) == 1 for h in handles)
    for h in handles:
        h.remove()


def test_non_scalar_output_uses_ones():
    x = torch.randn(3, requires_grad=True)
    y = x ** 2
    trace = trace_backward(y)
    graph = capture(y, names={"x": x})
    np.testing.assert_allclose(trace.leaf_grads[graph.find("x").id].values,
                               2 * x.detach().numpy(), rtol=1e-6)
    np.testing.assert_array_equal(trace.grad_output.values, np.ones(3))


def test_custom_grad_output():
    x = torch.randn(3, requires_grad=True)
    y = x * 3
    v = torch.tensor([1.0, -2.0, 0.5])
    trace = trace_backward(y, grad_output=v)
    leaf = capture(y).leaves[0]
    np.testing.assert_allclose(trace.leaf_grads[leaf.id].values, 3 * v.numpy())
    with pytest.raises(CaptureError, match="shape"):
        trace_backward(y, grad_output=torch.ones(4))


def test_views_and_inplace_ops():
    x = torch.randn(4, 3, requires_grad=True)
    with ForwardRecorder() as rec:
        y = x * 2
        y.add_(1)           # in-place: AddBackward0 replaces y's grad_fn
        z = y[1:3, :].t()   # views
        out = (z ** 2).sum()
    graph = capture(out, names={"x": x}, recorder=rec)
    ops = {n.op for n in graph}
    assert {"AddBackward0", "MulBackward0", "SliceBackward0", "TBackward0"} <= ops
    mul = next(n for n in graph if n.op == "MulBackward0")
    np.testing.assert_allclose(mul.value.values, (x * 2).detach().numpy())  # before the add_
    trace = trace_backward(out)
    (g,) = torch.autograd.grad(out, [x], retain_graph=True)
    np.testing.assert_allclose(trace.leaf_grads[graph.find("x").id].values, g.numpy(), rtol=1e-6)
    assert_consumers_first(graph, trace)


def test_custom_function_inverse_matrix():
    A = (torch.randn(4, 4) + 4 * torch.eye(4)).requires_grad_()
    with ForwardRecorder() as rec:
        B = InverseMatrix.apply(A)
        rec.record(B)
        loss = (B * torch.arange(16.0).reshape(4, 4)).sum()
    graph = capture(loss, names={"A": A, "B": B}, recorder=rec)
    inv = graph.find("B")
    assert inv.op == "InverseMatrixBackward"
    np.testing.assert_allclose(inv.value.values, torch.linalg.inv(A).detach().numpy(), rtol=1e-5)
    trace = trace_backward(loss)
    A2 = A.detach().clone().requires_grad_()
    (expected,) = torch.autograd.grad((torch.linalg.inv(A2) * torch.arange(16.0).reshape(4, 4))
                                      .sum(), [A2])
    np.testing.assert_allclose(trace.leaf_grads[graph.find("A").id].values, expected.numpy(),
                               rtol=1e-4, atol=1e-6)


def test_deep_graph_has_no_recursion_limit():
    x = torch.randn(2, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    out = y.sum()
    graph = capture(out)
    assert len(graph) == 5002
    trace = trace_backward(out)
    assert len(trace) == 5002


def test_bad_inputs_are_clear_errors():
    with pytest.raises(CaptureError, match="not a tensor"):
        capture(3.0)
    with pytest.raises(CaptureError, match="does not require grad"):
        capture(torch.randn(3))
    x = torch.randn(3, requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(CaptureError, match="freed"):
        capture(y)
