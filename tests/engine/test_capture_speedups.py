"""The fast paths of capture, trace and recording give what plain torch gives.

Each speed-up (one shared post-hook per trace, the walk's kept ``next_functions``, the recorder's
cheap mode switches, no full collections while recording) is checked against torch itself.
"""

from __future__ import annotations

import gc

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import nla_explorer
from nla_explorer.engine.autograd.capture import capture
from nla_explorer.engine.autograd.module_tags import ModuleTags
from nla_explorer.engine.autograd.recorder import ForwardRecorder
from nla_explorer.engine.autograd.trace import record_steps, trace_backward
from nla_explorer.engine.autograd.walk import autograd_nodes, iter_nodes, output_node, walk_graph
from nla_explorer.engine.recording import capture_tensor
from tests.helpers import Square


def _program():
    torch.manual_seed(0)
    w = torch.randn(3, 4, requires_grad=True)
    x = torch.randn(4)
    h = torch.tanh(w @ x)
    parts = torch.split(h, 2)
    y = (Square.apply(parts[0]).sum() + parts[1].exp().sum()) * 2
    return w, y


def _reference_steps(y):
    """Torch's own post-hooks, one closure per Node: (Node, grads in, grads out) in run order."""
    seen = []
    fns = autograd_nodes(output_node(y))
    handles = [fn.register_hook(lambda gi, go, fn=fn: seen.append((fn, gi, go))) for fn in fns]
    try:
        torch.autograd.backward(y, retain_graph=True)
    finally:
        for h in handles:
            h.remove()
    return fns, seen


def _same(a, b) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and torch.equal(a, b))


def test_one_shared_hook_records_the_same_steps_as_a_hook_per_node():
    w, y = _program()
    fns, want = _reference_steps(y)
    w.grad = None
    got = record_steps(fns, lambda: torch.autograd.backward(y, retain_graph=True))
    assert [fn for fn, _, _ in got] == [fn for fn, _, _ in want]  # the custom Function's Node too
    for (_, gi, go), (_, wgi, wgo) in zip(got, want):
        assert all(_same(a, b) for a, b in zip(gi, wgi)) and len(gi) == len(wgi)
        assert all(_same(a, b) for a, b in zip(go, wgo)) and len(go) == len(wgo)


def test_trace_keeps_gradients_as_torch_computes_them_and_leaves_no_hook():
    w, y = _program()
    w.grad = torch.full_like(w, 7.0)  # the user's own gradient stays
    trace = trace_backward(y)
    (want,) = torch.autograd.grad(y, w, retain_graph=True)
    ids = {fn: f"n{i}" for i, fn in enumerate(autograd_nodes(output_node(y)))}
    leaf = next(i for fn, i in ids.items() if type(fn).__name__ == "AccumulateGrad")
    np.testing.assert_array_equal(trace.leaf_grads[leaf].values, want.numpy())
    assert torch.equal(w.grad, torch.full_like(w, 7.0))
    # no hook left: a second backward runs no hook of ours (the step list stays as it was)
    steps = len(trace.steps)
    torch.autograd.backward(y, retain_graph=True)
    assert len(trace.steps) == steps == len(ids)


def test_copied_steps_keep_the_gradients_of_that_moment():
    w, y = _program()
    (want,) = torch.autograd.grad(y, w, retain_graph=True)
    fns = autograd_nodes(output_node(y))
    raw = record_steps(fns, lambda: torch.autograd.backward(y, retain_graph=True), copies=True)
    (arrived,) = next(go for fn, _, go in raw if type(fn).__name__ == "AccumulateGrad")
    w.grad.zero_()  # the program changes its gradient afterwards
    assert torch.equal(arrived, want) and want.abs().sum() > 0


def test_walk_keeps_each_nodes_next_functions_in_walk_order():
    x = torch.randn(3, requires_grad=True)
    y = (x ** 3).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    z = (g * x).sum()
    for makers in (False, True):
        fns, nexts = walk_graph(output_node(z), makers=makers)
        assert fns == autograd_nodes(output_node(z), makers=makers)
        assert [tuple(n) for n in nexts] == [tuple(fn.next_functions) for fn in fns]
    assert set(iter_nodes(output_node(z))) == set(autograd_nodes(output_node(z)))


def test_covers_a_graph_made_inside_and_not_one_made_outside():
    lin = torch.nn.Linear(2, 2)
    x = torch.randn(2)
    outside = (lin(x) * 2).sum()
    with nla_explorer.recording() as rec:
        inside = lin(x).sum()
    mixed = inside + outside
    assert rec.covers(inside) and rec.covers(mixed) and not rec.covers(outside)


def test_recorded_values_are_torchs_at_that_moment_even_after_in_place_changes():
    torch.manual_seed(1)
    a = torch.randn(3, 4, requires_grad=True)
    v = torch.randn(4, requires_grad=True)
    with nla_explorer.recording():
        m = a @ v  # composite: matmul → mv
        s = torch.sigmoid(m)
        top, idx = torch.max(a, dim=1)
        y = (s * top).sum()
    want = {"m": m.detach().clone(), "s": s.detach().clone(), "top": top.detach().clone()}
    s.data.mul_(0)  # behind autograd's back: the snapshot must not follow
    top.data.add_(5)
    graph = capture_tensor(y, {"a": a, "v": v, "m": m, "s": s, "top": top}).graph
    for name, tensor in want.items():
        np.testing.assert_array_equal(graph.find(name).value.values, tensor.numpy())


class _Counting(TorchDispatchMode):
    """A program's own dispatch mode: it must keep seeing every op."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.append(str(func.overloadpacket))
        return func(*args, **(kwargs or {}))


def test_recording_inside_a_programs_own_dispatch_mode():
    x = torch.randn(3, requires_grad=True)
    with _Counting() as counting:
        with ForwardRecorder() as rec:
            h = x.exp()
            y = (h * 2).sum()
    g = capture(y, {"x": x, "h": h}, recorder=rec)
    assert "aten.exp" in counting.ops and "aten.mul" in counting.ops
    np.testing.assert_array_equal(g.find("h").value.values, x.detach().exp().numpy())
    np.testing.assert_array_equal(g.output.value.values, (x.detach().exp() * 2).sum().numpy())


def test_module_hooks_reads_are_not_the_programs_calls():
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh())
    calls = []
    rec = ForwardRecorder(on_call=lambda func, args, kwargs, out: calls.append(func))
    tags = ModuleTags(rec)
    with rec:
        tags.install()
        try:
            y = net(torch.randn(2)).sum()
        finally:
            tags.uninstall()
    names = [getattr(f, "__name__", "") for f in calls]
    assert "__get__" not in names and "sum" in names
    assert tags.module_of(y.grad_fn.next_functions[0][0]) is net[1]


def test_recording_pauses_full_collections_only_while_it_records():
    before = gc.get_threshold()
    with nla_explorer.recording():
        inside = gc.get_threshold()
        junk = []
        junk.append(junk)  # a young cycle is still collected
        del junk
        assert gc.collect(0) >= 0
    assert inside[:2] == before[:2] and inside[2] > 10 ** 6
    assert gc.get_threshold() == before
    with nla_explorer.recording():
        gc.set_threshold(500, 5, 5)  # the program's own setting wins
    assert gc.get_threshold() == (500, 5, 5)
    gc.set_threshold(*before)


def test_a_scalars_implicit_ones_give_the_steps_of_explicit_ones():
    w, y = _program()
    implicit, explicit = trace_backward(y), trace_backward(y, torch.ones_like(y))
    assert [s.node_id for s in implicit.steps] == [s.node_id for s in explicit.steps]
    for a, b in zip(implicit.steps, explicit.steps):
        for got, want in ((a.grad_output_tensors, b.grad_output_tensors),
                          (a.grad_input_tensors, b.grad_input_tensors)):
            assert len(got) == len(want) and all(_same(g, h) for g, h in zip(got, want))
    assert implicit.grad_output.item() == explicit.grad_output.item() == 1.0


def test_a_big_capture_is_frozen_out_of_the_collector_and_a_small_one_is_not(monkeypatch):
    """explore's capture of a graph of LONG_LIVED_OVER nodes or more freezes it (it lives as long
    as it is shown), with the same graph and trace as without; a smaller one is left alone."""
    import gc

    from nla_explorer.engine.autograd import gc_pause
    from nla_explorer.engine.recording import capture_tensor
    x = torch.randn(3, requires_grad=True)
    y = (x.sin() * x).exp().sum()
    gc.unfreeze()
    try:
        small = capture_tensor(y)
        assert gc.get_freeze_count() == 0
        monkeypatch.setattr(gc_pause, "LONG_LIVED_OVER", len(small.graph))
        big = capture_tensor(y)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert [n.id for n in big.graph.nodes] == [n.id for n in small.graph.nodes]
    assert [s.node_id for s in big.trace.steps] == [s.node_id for s in small.trace.steps]


def test_capture_inside_a_programs_own_dispatch_mode_reads_as_outside_and_unseen():
    """A saved Python scalar (``h * 2``) once broke snapshots under the program's own mode; the
    explorer's reads are not the program's ops: its mode sees none of them."""
    x = torch.randn(3, requires_grad=True)
    with _Counting() as counting:
        h = x.exp()
        y = (h * 2).sum()
        before = len(counting.ops)
        inside = capture(y, {"x": x, "h": h})
        assert len(counting.ops) == before
    outside = capture(y, {"x": x, "h": h})

    def facts(g):
        return [(n.id, n.op, n.name, None if n.value is None else n.value.values.tolist(),
                 [(s.name, s.role, s.attribute,
                   None if s.tensor is None else s.tensor.values.tolist()) for s in n.saved])
                for n in g.nodes]
    assert facts(inside) == facts(outside)
    np.testing.assert_array_equal(inside.find("h").value.values, x.detach().exp().numpy())
