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
