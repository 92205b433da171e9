"""The inspector at 720p never scrolls sideways: a long node name or module path is elided (the
tooltip says it whole), the four statistics take two rows, and the op/leaf badge stays whole."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from nla_explorer.engine import GraphNode, snapshot
from nla_explorer.engine.autograd.graph import LEAF

LONG_MODULE = "model.encoder.layers.10.self_attention.out_projection.linear_with_a_long_name"
LONG_NAME = "encoder_layers_10_self_attention_output_projection_weight_gradient"


def tensor(seed: int):
    import torch
    values = torch.tensor(np.random.default_rng(seed).normal(size=(2, 8, 32)) * 1e-8)
    return snapshot(values)


@pytest.mark.parametrize("kind, name", [("op", None), (LEAF, LONG_NAME)])
def test_a_long_header_is_elided_and_the_badge_stays_whole_at_720p(window, qtbot, kind, name):
    window.resize(1280, 720)
    window.workspaces.switch("graph")
    qtbot.wait(50)
    panel = window.inspector
    node = GraphNode(id="n0", kind=kind, op="AddBackward0" if kind == "op" else "AccumulateGrad",
                     label=name or "add", name=name, value=tensor(0), n_inputs=2,
                     module=LONG_MODULE)
    panel.show_node(node, tensor(1), 60, step_count=670)
    window.inspector_dock.raise_()
    qtbot.wait(50)
    page = panel.pages.currentWidget()
    assert panel.width() < 500, "the inspector as wide as the Graph workspace gives it at 720p"
    for tab in ("value", "gradient", "saved"):  # every page: the hidden ones size it too
        panel.show_tab(tab)
        qtbot.wait(20)
        assert not page.horizontalScrollBar().isVisible(), f"scrolls sideways on {tab}"
        assert panel.content.width() <= page.viewport().width()
    badge = panel.kind_badge
    corner = badge.mapTo(page.viewport(), badge.rect().bottomRight())
    assert badge.isVisible() and page.viewport().rect().contains(corner), "the badge is whole"
    assert badge.width() >= badge.sizeHint().width()
    subtitle = panel.subtitle
    assert subtitle.is_elided() and "…" in subtitle.text()
    assert subtitle.toolTip() == f"torch: {node.op} · in {LONG_MODULE}"
    assert "AddBackward0" in subtitle.text() or kind == LEAF
    if name:
        assert panel.title.is_elided() and panel.title.toolTip() == LONG_NAME
        assert LONG_NAME in panel.header_text()
    for label in (panel.title, subtitle):  # elided inside the label, not cut off by the dock
        assert label.mapTo(page.viewport(), label.rect().topRight()).x() <= \
            page.viewport().width()


def test_a_short_header_is_shown_whole(qtbot):
    from nla_explorer.panels.inspector import InspectorPanel
    panel = InspectorPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 700)
    panel.show()
    node = replace(GraphNode(id="n0", kind="op", op="MulBackward0", label="mul"),
                   module="net.l1", value=tensor(2))
    panel.show_node(node)
    qtbot.wait(20)
    assert not panel.subtitle.is_elided() and not panel.title.is_elided()
    assert panel.subtitle.text() == "torch: <code>MulBackward0</code> · in <code>net.l1</code>"
    assert panel.title.full_text() == "mul"
