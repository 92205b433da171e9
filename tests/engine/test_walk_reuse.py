"""The trace that follows a capture of the same tensor reuses the capture's walk of the graph,
and only then: what it records is what a trace with its own walk records."""

import gc

import numpy as np
import torch

from nla_explorer.engine import capture, trace_backward
from nla_explorer.engine.autograd import trace as trace_module
from nla_explorer.engine.autograd.walk import LAST_WALK, autograd_nodes


def _program():
    torch.manual_seed(0)
    w = torch.randn(4, 4, requires_grad=True)
    x = torch.randn(4)
    h = x
    for _ in range(5):
        h = torch.tanh(w @ h)
    return w, h.sum()


def _facts(trace):
    return ([(s.node_id, [None if g is None else g.values.tolist() for g in s.grad_outputs])
             for s in trace.steps], {k: v.values.tolist() for k, v in trace.leaf_grads.items()})


def _walks(monkeypatch) -> list:
    calls = []

    def counted(root, *more, **kw):
        calls.append(root)
        return autograd_nodes(root, *more, **kw)
    monkeypatch.setattr(trace_module, "autograd_nodes", counted)
    return calls


def test_a_trace_after_a_capture_reuses_its_walk_and_records_the_same(monkeypatch):
    _, y = _program()
    LAST_WALK._state = None
    own = _facts(trace_backward(y))  # its own walk
    walks = _walks(monkeypatch)
    graph = capture(y)
    reused = trace_backward(y)
    assert walks == []  # the capture's walk served
    assert _facts(reused) == own
    assert {s.node_id for s in reused.steps} <= {n.id for n in graph.nodes}


def test_another_tensor_or_a_changed_one_walks_again(monkeypatch):
    w, y = _program()
    capture(y)
    walks = _walks(monkeypatch)
    z = (w * 3).sum()
    trace_backward(z)  # not the tensor captured
    assert len(walks) == 1
    y2 = y * 1  # a new output Node for the same values
    trace_backward(y2)
    assert len(walks) == 2
    capture(y)
    y.data.add_(0)  # (same Node: reused)
    trace_backward(y)
    assert len(walks) == 2


def test_the_walk_is_let_go_with_its_tensor():
    _, y = _program()
    capture(y)
    assert LAST_WALK.recall(y, y.grad_fn) is not None
    del y
    gc.collect()
    assert LAST_WALK._state is None


def test_a_capture_of_several_outputs_is_not_remembered():
    w, y = _program()
    LAST_WALK._state = None
    z = (w * 2).sum()
    capture(y, more_outputs=(z,))
    assert LAST_WALK._state is None
    np.testing.assert_array_equal(trace_backward(y).leaf_grads[capture(y).leaves[0].id].values,
                                  torch.autograd.grad(y, w, retain_graph=True)[0].numpy())
