"""``recording()``: every op's forward value and its module, for ``explore`` from a notebook."""

from __future__ import annotations

import gc

import pytest
import torch
from torch.nn.modules import module as nn_module

from nla_explorer.engine.autograd.graph import LEAF, OP
from nla_explorer.engine.recording import (
    MISSING_MODULES, MISSING_VALUES, Recording, capture_tensor, latest_recording, model_names,
    recording,
)


def global_hooks() -> int:
    return len(nn_module._global_forward_pre_hooks) + len(nn_module._global_forward_hooks)


def tanh_loss():
    torch.manual_seed(0)
    W = torch.randn(3, 3, requires_grad=True)
    x = torch.randn(3)
    return W, x


def expected_values(W, x) -> dict[str, torch.Tensor]:
    with torch.no_grad():
        mv = W @ x
        tanh = torch.tanh(mv)
        pow_ = tanh.pow(2)
        return {"MvBackward0": mv, "TanhBackward0": tanh, "PowBackward0": pow_,
                "SumBackward0": pow_.sum()}


def test_inside_a_recording_every_op_has_its_value():
    W, x = tanh_loss()
    with recording() as rec:
        loss = torch.tanh(W @ x).pow(2).sum()
    assert isinstance(rec, Recording) and latest_recording() is rec and rec.covers(loss)
    captured = capture_tensor(loss, names={"W": W, "x": x})
    ops = {n.op: n for n in captured.graph.nodes if n.kind == OP}
    expected = expected_values(W, x)
    assert set(ops) == set(expected)
    for op, value in expected.items():
        assert ops[op].value is not None, op
        got = torch.tensor(ops[op].value.values.copy(), dtype=value.dtype).reshape(value.shape)
        torch.testing.assert_close(got, value, rtol=0, atol=0)
    assert captured.recorded and captured.notes == ()
    assert captured.graph.find("W") is not None


def test_without_a_recording_mv_and_pow_have_no_value_and_a_note_says_why():
    W, x = tanh_loss()
    loss = torch.tanh(W @ x).pow(2).sum()  # made after any earlier recording: not covered
    latest = latest_recording()
    assert latest is None or not latest.covers(loss)
    captured = capture_tensor(loss, names={"W": W})
    values = {n.op: n.value for n in captured.graph.nodes if n.kind == OP}
    assert values["MvBackward0"] is None and values["PowBackward0"] is None
    assert values["TanhBackward0"] is not None and values["SumBackward0"] is not None
    assert captured.notes == (MISSING_VALUES,) and not captured.recorded
    assert "with nla_explorer.recording():" in MISSING_VALUES


def test_an_explicit_recorder_is_used_even_when_another_is_latest():
    W, x = tanh_loss()
    with recording() as first:
        loss = torch.tanh(W @ x).pow(2).sum()
    with recording():
        pass
    assert not latest_recording().covers(loss)
    assert capture_tensor(loss).notes == (MISSING_VALUES,)
    captured = capture_tensor(loss, recorder=first)
    assert all(n.value is not None for n in captured.graph.nodes)
    captured = capture_tensor(loss, recorder=first.recorder)  # a plain ForwardRecorder works too
    assert all(n.value is not None for n in captured.graph.nodes)


def test_modules_called_inside_a_recording_tag_their_nodes():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    x = torch.randn(2, 3)
    with recording():
        out = net(x).sum()
    captured = capture_tensor(out, names={"x": x}, models={"net": net})
    by_op = {}
    for node in captured.graph.nodes:
        by_op.setdefault(node.op, set()).add(node.module)
    assert by_op["AddmmBackward0"] == {"net.0", "net.2"}
    assert by_op["TanhBackward0"] == {"net.1"}
    assert by_op["SumBackward0"] == {None}  # made outside the network
    leaves = {n.name for n in captured.graph.nodes if n.kind == LEAF}
    assert leaves == {"net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"}
    assert all(n.value is not None for n in captured.graph.nodes)
    # modules among the names name their parameters as well
    assert {n.name for n in capture_tensor(out, names={"net": net}).graph.nodes
            if n.kind == LEAF} == leaves


def test_a_model_outside_any_recording_is_named_and_the_note_says_how_to_see_modules():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.ReLU())
    out = net(torch.randn(3)).sum()
    captured = capture_tensor(out, models={"net": net})
    assert all(n.module is None for n in captured.graph.nodes)
    assert "net.0.weight" in {n.name for n in captured.graph.nodes}
    assert captured.notes in ((MISSING_VALUES,), (MISSING_MODULES,))


def test_model_names_uses_the_callers_variable():
    net = torch.nn.Linear(2, 2)
    assert model_names(net, {"_": net, "net": net}) == {"net": net}
    assert model_names(net, {}) == {"model": net}
    assert model_names({"enc": net}) == {"enc": net}
    assert model_names(None) == {}
    with pytest.raises(TypeError):
        model_names({"w": torch.zeros(2)})
    with pytest.raises(TypeError):
        model_names(3)


def test_hooks_are_removed_after_nesting_and_after_an_exception():
    before = global_hooks()
    net = torch.nn.Linear(2, 2)
    x = torch.randn(2)
    with recording() as outer:
        with recording() as inner:
            assert global_hooks() == before + 4
            y = net(x).sum()
        assert global_hooks() == before + 2
        z = (net(x) * 2).sum()
    assert global_hooks() == before
    assert latest_recording() is outer and outer.covers(y) and outer.covers(z)
    assert inner.covers(y) and not inner.covers(z)
    with pytest.raises(ZeroDivisionError):
        with recording():
            net(x)
            raise ZeroDivisionError
    assert global_hooks() == before
    with pytest.raises(RuntimeError):
        with recording():
            torch.nn.Linear(3, 3)(x)  # a shape error inside a module's forward
    assert global_hooks() == before
    assert torch.overrides._get_current_function_mode_stack() == []


def test_a_recording_cannot_be_entered_twice_at_once():
    before = global_hooks()
    rec = recording()
    with rec:
        with pytest.raises(RuntimeError, match="already running"):
            rec.__enter__()
    assert global_hooks() == before and not rec.active
    with rec:  # once left, it can record again
        pass


def test_the_latest_recording_is_kept_alive_without_a_name():
    W, x = tanh_loss()
    with recording():
        loss = torch.tanh(W @ x).pow(2).sum()
    gc.collect()
    assert latest_recording() is not None and latest_recording().covers(loss)
    assert all(n.value is not None for n in capture_tensor(loss).graph.nodes)


def test_a_capture_without_its_trace_is_the_same_graph_and_leaves_grads_alone():
    """``trace=False`` (a big graph drawn before its gradients): the same nodes, values and
    modules as with the trace, no backward run (the leaves' ``.grad`` untouched)."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    with recording():
        loss = net(torch.randn(2, 3)).pow(2).sum()
    both = capture_tensor(loss, models={"net": net})
    alone = capture_tensor(loss, models={"net": net}, trace=False)
    assert alone.trace is None and both.trace is not None
    assert all(p.grad is None for p in net.parameters())

    def facts(graph):
        return [(n.id, n.kind, n.op, n.name, n.module, n.scope, n.sequence_nr,
                 None if n.value is None else n.value.values.tolist(),
                 [(s.name, s.role, s.label) for s in n.saved]) for n in graph.nodes]
    assert facts(alone.graph) == facts(both.graph)
    assert alone.notes == both.notes and alone.recorded == both.recorded
