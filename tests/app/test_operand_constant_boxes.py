"""A named constant an op reads without saving it (``b1`` of ``x + b1``) is drawn as the saved
ones are: a dashed constant box feeding the op, gone with the toolbar's Constants switch."""

from nla_explorer.graph_view.items import NodeItem

CODE = ("import torch\ntorch.manual_seed(0)\nx = torch.randn(3, requires_grad=True)\n"
        "b1 = torch.randn(3)\nb2 = torch.ones(3)\ny = ((x + b1) * b2).sum()\ny.backward()\n")


def test_the_scene_draws_the_constant_the_add_reads(window, qtbot):
    assert window.document.set_code(CODE)
    pane = window.graph_pane
    qtbot.waitUntil(lambda: "const_b1" in pane.scene.node_items, timeout=10_000)
    item = pane.scene.node_items["const_b1"]
    assert isinstance(item, NodeItem) and item.isVisible()
    box = pane.scene.display.node("const_b1")
    graph = window.document.graph
    add = next(n for n in graph.nodes if n.op == "AddBackward0")
    assert box.kind == "constant" and box.title == "b1" and box.value.shape == (3,)
    assert pane.node_of("const_b1") == add.id  # a click on it selects the add
    assert {"const_b1", "const_b2"} <= set(pane.scene.node_items)
    window.toolbar.constants_action.trigger()  # Constants off: both go
    qtbot.waitUntil(lambda: "const_b1" not in pane.scene.node_items, timeout=10_000)
    assert not any(n.kind == "constant" for n in pane.scene.display.nodes)
    assert set(pane.scene.node_items) >= {n.id for n in graph.nodes}
    window.toolbar.constants_action.trigger()  # and back
    qtbot.waitUntil(lambda: "const_b1" in pane.scene.node_items, timeout=10_000)
