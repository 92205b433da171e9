"""A big graph is drawn before its gradients: ``explore`` traces the backward pass once the first
picture is on screen. What the window ends with is what it shows when it traces at once, and the
gradients are torch's."""

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPointF

import nla_explorer
from nla_explorer import first_view
from nla_explorer.engine.autograd.trace import trace_backward
from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.recording import capture_tensor
from nla_explorer.graph_view.groups.plan import ALL_DEPTHS, AUTO_DEPTH
from nla_explorer.graph_view.picture import PictureOptions
from tests.engine.test_capture_fast_paths import fingerprint
from tests.helpers import recorded_lstm


def _explore(qtbot, monkeypatch, loss, cell, over: int):
    monkeypatch.setattr(first_view, "GRADIENTS_AFTER_VIEW_OVER", over)
    window = nla_explorer.explore(loss, model=cell)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.graph_pane.picture is not None and not window.busy(),
                    timeout=20_000)
    return window


def _boxes(window):
    picture = window.graph_pane.picture
    return [(n.id, n.title, n.subtitle, n.tooltip, None if n.grad is None else
             n.grad.values.tolist(), picture.layout.positions[n.id])
            for n in picture.display.nodes]


def _viewport(window):
    window.graph_pane.fit()
    return window.graph_pane.view.viewport().grab().toImage()


def test_gradients_after_the_first_picture_are_torchs_and_the_picture_is_the_same(
        qapp, qtbot, monkeypatch):
    cell, loss = recorded_lstm(12)
    at_once = _explore(qtbot, monkeypatch, loss, cell, over=10**9)
    later = _explore(qtbot, monkeypatch, loss, cell, over=10)
    assert len(later.document.graph) > 10
    assert at_once.document.trace is not None and not at_once.document.gradients_pending
    trace = later.document.trace
    assert trace is not None and not later.document.gradients_pending
    # torch's gradients, in torch's order
    reference = trace_backward(loss)
    assert [s.node_id for s in trace.steps] == [s.node_id for s in reference.steps]
    params = list(cell.parameters())
    grads = torch.autograd.grad(loss, params, retain_graph=True)
    graph = later.document.graph
    for param, grad in zip(params, grads):
        leaf = next(n for n in graph.leaves if n.value.shape == tuple(param.shape)
                    and np.array_equal(n.value.values, param.detach().numpy()))
        np.testing.assert_array_equal(trace.node_grad(leaf.id).values, grad.numpy())
    # the values the Nodes saved, read after the first picture, are a one-pass capture's
    assert any(n.saved for n in later.document.graph.nodes)
    assert fingerprint(later.document.graph) == fingerprint(at_once.document.graph)
    # the same boxes (the saved constants among them), with their gradients, the same pixels
    assert any(n.kind == "constant" for n in later.graph_pane.picture.prepared.full.nodes)
    assert _boxes(later) == _boxes(at_once)
    assert any(grad is not None for *_, grad in _boxes(later))
    for window in (later, at_once):  # a call opened: its constant (the step's input) shown
        for group in ("fold:cell@1", "cell@6"):
            window.graph_pane.toggle_group(group)
            qtbot.waitUntil(lambda: not window.busy(), timeout=20_000)
    assert any(n.kind == "constant" for n in later.graph_pane.picture.display.nodes)
    assert _boxes(later) == _boxes(at_once)
    assert _viewport(later) == _viewport(at_once)
    assert "backward steps" in later.statusBar().currentMessage()


def test_while_the_gradients_are_computed_the_graph_is_shown_without_them(window, qtbot):
    cell, loss = recorded_lstm(6)
    cap = capture_tensor(loss, models={"model": cell}, trace=False)
    assert cap.trace is None
    with qtbot.waitSignal(window.graph_pane.picture_shown, timeout=20_000) as shown:
        window.document.set_graph(cap.graph, None, "loss")
    qtbot.waitUntil(lambda: not window.busy(), timeout=20_000)
    assert "gradients being computed" in shown.args[0]
    assert window.document.gradients_pending
    assert all(n.grad is None for n in window.graph_pane.picture.display.nodes)
    assert window.stepper.label.text() == "Computing the gradients…"
    window.stepper.next()  # no step to take yet: nothing happens, nothing breaks
    assert window.document.step is None
    view, pane = window.graph_pane.view, window.graph_pane
    view.set_zoom(1.0)
    anchor = sorted(pane.picture.layout.positions)[len(pane.picture.layout.positions) // 2]
    view.center_on_node(anchor)

    def on_screen(box):
        return view.mapFromScene(QPointF(*pane.picture.layout.positions[box]))
    before = on_screen(anchor)

    trace = trace_backward(loss)
    with qtbot.waitSignal(window.graph_pane.picture_shown, timeout=20_000) as shown:
        window.document.set_gradients(trace)
    assert f"{len(trace):,} backward steps" in shown.args[0]
    shown_ids = {n.graph_id for n in window.graph_pane.picture.display.nodes if n.grad is not None}
    assert shown_ids and all(
        np.array_equal(window.graph_pane.picture.display.node_for_graph_id(i).grad.values,
                       trace.node_grad(i).values) for i in shown_ids)
    after = on_screen(anchor)  # the box in the middle of the view stays where it was
    assert abs(after.x() - before.x()) <= 1 and abs(after.y() - before.y()) <= 1
    assert window.stepper.label.text().startswith("Before the backward pass")
    window.stepper.next()
    assert window.document.step == 0


class _Refuses(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("this backward is not written yet")


def test_a_backward_that_fails_after_the_picture_is_reported_and_the_graph_stays(
        qapp, qtbot, monkeypatch):
    x = torch.randn(3, requires_grad=True)
    y = x
    for _ in range(8):
        y = torch.tanh(y) * 1.5
    loss = _Refuses.apply(y).sum()
    with pytest.raises(RuntimeError, match="not written yet"):
        loss.backward(retain_graph=True)  # what torch says
    monkeypatch.setattr(first_view, "GRADIENTS_AFTER_VIEW_OVER", 5)
    window = nla_explorer.explore(loss, names={"x": x})
    qtbot.addWidget(window)
    doc = window.document
    assert doc.trace is None and not doc.gradients_pending
    assert "not written yet" in doc.error
    assert doc.graph is not None and len(window.graph_pane.scene.node_items) >= len(doc.graph)
    assert window.stepper.label.text() == "No backward pass"


def test_when_the_trace_fails_the_saved_values_read_after_the_picture_are_still_shown(
        qapp, qtbot, monkeypatch):
    cell, loss = recorded_lstm(12)

    def broken(*args, **kwargs):
        raise EngineError("the backward broke")
    monkeypatch.setattr(first_view, "trace_backward", broken)
    window = _explore(qtbot, monkeypatch, loss, cell, over=10)
    doc, pane = window.document, window.graph_pane
    assert doc.trace is None and "the backward broke" in doc.error
    assert any(n.saved for n in doc.graph.nodes)  # read after the first picture
    assert pane.picture.prepared.graph is doc.graph  # and drawn: the constants in their groups
    assert any(n.kind == "constant" for n in pane.picture.prepared.full.nodes)


def test_only_a_big_graph_shown_with_its_groups_closed_is_drawn_before_its_gradients():
    over = first_view.GRADIENTS_AFTER_VIEW_OVER
    closed = PictureOptions(group_depth=AUTO_DEPTH)
    assert first_view.gradients_after_view(over + 1, closed)
    assert not first_view.gradients_after_view(over, closed)  # small: traced at once
    # every box shown (all open, or no groups): each would be measured and laid out again
    assert not first_view.gradients_after_view(over + 1, PictureOptions(group_depth=ALL_DEPTHS))
    assert not first_view.gradients_after_view(over + 1, PictureOptions(groups=False))
    # and those are the options that capture a graph in one pass (its saved values at once)
    assert first_view.may_draw_first(closed)
    assert not first_view.may_draw_first(PictureOptions(group_depth=ALL_DEPTHS))
    assert not first_view.may_draw_first(PictureOptions(groups=False))


def test_a_graph_traced_before_its_picture_is_captured_in_one_pass(qapp, qtbot, monkeypatch):
    """With every group open, ``explore`` reads the saved values with the rest of the graph (no
    second pass): what it shows is a one-pass capture and torch's trace."""
    import nla_explorer.app as app_module
    cell, loss = recorded_lstm(8)
    asked = []

    def spy(*args, **kwargs):
        asked.append(dict(kwargs))
        return capture_tensor(*args, **kwargs)
    monkeypatch.setattr(app_module, "capture_tensor", spy)
    monkeypatch.setattr(app_module, "may_draw_first", lambda options: False)
    window = _explore(qtbot, monkeypatch, loss, cell, over=10)
    assert [kwargs["saved"] for kwargs in asked] == [True]
    doc = window.document
    assert doc.trace is not None and not doc.gradients_pending
    two_passes = capture_tensor(loss, **{**asked[0], "saved": False})
    assert two_passes.complete is not None  # (the other way reads them in a second pass)
    assert fingerprint(doc.graph) == fingerprint(two_passes.complete())
    assert [s.node_id for s in doc.trace.steps] == [s.node_id for s in trace_backward(loss).steps]
