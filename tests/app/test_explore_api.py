"""``nla_explorer.explore``: names from the caller, non-blocking inside a running application."""

import torch

import nla_explorer


def test_explore_picks_up_local_names_and_returns_inside_a_running_app(qapp, qtbot):
    weights = torch.randn(3, 3, requires_grad=True)
    inputs = torch.randn(3)
    loss = torch.tanh(weights @ inputs).sum()
    window = nla_explorer.explore(loss)  # names from this function's locals
    qtbot.addWidget(window)
    assert window.isVisible()
    graph = window.document.graph
    assert graph.find("weights") is not None and graph.find("loss") is not None
    assert "loss" in window.windowTitle()
    assert len(window.graph_pane.scene.node_items) >= len(graph)
    x = torch.randn(2, requires_grad=True)
    window2 = nla_explorer.explore((x * 2).sum(), names={"input": x})
    qtbot.addWidget(window2)
    assert window2.document.graph.find("input") is not None


def test_explore_refuses_a_tensor_without_graph(qapp):
    import pytest
    with pytest.raises(ValueError, match="does not require grad"):
        nla_explorer.explore(torch.randn(3))


def test_model_names_parameters_and_a_recording_gives_every_value_and_module(qapp, qtbot):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    x = torch.randn(3)
    with nla_explorer.recording():
        loss = net(x).pow(2).sum()
    window = nla_explorer.explore(loss, model=net)  # named "net" from this function's locals
    qtbot.addWidget(window)
    graph = window.document.graph
    assert graph.find("net.0.weight") is not None and graph.find("net.2.bias") is not None
    assert all(node.value is not None for node in graph.nodes)
    assert {node.module for node in graph.nodes if node.op == "AddmmBackward0"} == {"net.0",
                                                                                   "net.2"}
    assert not window.stepper.notes.isVisibleTo(window)
    window2 = nla_explorer.explore(loss, model={"mlp": net}, names={})
    qtbot.addWidget(window2)
    assert window2.document.graph.find("mlp.0.weight") is not None
    # the window draws the modules as groups: a course-sized net with every group open
    qtbot.waitUntil(lambda: window.graph_pane.picture is not None, timeout=5000)
    assert set(window.graph_pane.scene.frame_items) == {"net@1", "net.0@1", "net.1@1", "net.2@1"}
    assert "Sequential" in window.graph_pane.scene.frame_items["net@1"].title


def test_without_a_recording_the_view_says_how_to_see_the_missing_values(qapp, qtbot):
    W = torch.randn(3, 3, requires_grad=True)
    x = torch.randn(3)
    loss = torch.tanh(W @ x).pow(2).sum()
    window = nla_explorer.explore(loss)
    qtbot.addWidget(window)
    values = {n.op: n.value for n in window.document.graph.nodes}
    assert values["MvBackward0"] is None and values["PowBackward0"] is None
    note = "wrap the forward in `with nla_explorer.recording():`"
    assert note in window.stepper.notes.text() and window.stepper.notes.isVisibleTo(window)
    assert any(note in n for n in window.document.notes)
    with nla_explorer.recording():
        loss = torch.tanh(W @ x).pow(2).sum()
    window2 = nla_explorer.explore(loss)  # the latest recording made it: picked up
    qtbot.addWidget(window2)
    assert all(node.value is not None for node in window2.document.graph.nodes)
    assert not any(note in n for n in window2.document.notes)
    assert note not in window2.stepper.notes.text()
