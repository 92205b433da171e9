"""Train's graph on demand: the curves get the whole width until Show graph; the graph shown is
the network the sliders train (it follows a new run), never the unrelated code that is loaded."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from nla_explorer.engine.training.loop import build
from nla_explorer.main_window import MainWindow


def parameter_shapes(config) -> list[tuple[int, ...]]:
    net, _data = build(config)
    return sorted(tuple(p.shape) for p in net.parameters)


def leaf_shapes(doc) -> list[tuple[int, ...]]:
    return sorted(n.shape for n in doc.graph.nodes
                  if n.op == "AccumulateGrad" and n.shape is not None)


@pytest.fixture
def yes(monkeypatch):
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.Yes)
    return asked


def test_train_shows_the_curves_alone_until_show_graph(window, qtbot, yes):
    window.resize(1280, 720)
    window.load_example("quadratic")
    window.workspaces.switch("train")
    qtbot.wait(50)
    assert not window.graph_pane.isVisible() and not window.toolbar.isVisible()
    assert window.training_dock.width() >= 0.95 * window.width()
    button = window.training.graph_button
    assert button.text() == "Show graph"
    with qtbot.waitSignal(window.document.graph_changed, timeout=10_000):
        button.click()
    assert yes, "the user's code is replaced only after asking"
    qtbot.wait(50)
    assert window.graph_pane.isVisible() and window.toolbar.isVisible()
    assert 0.25 * window.width() < window.graph_pane.width() < 0.45 * window.width()
    assert button.text() == "Hide graph"
    doc = window.document
    assert doc.title == "training step"
    assert leaf_shapes(doc) == parameter_shapes(window.training.current_config())
    button.click()
    qtbot.wait(50)
    assert not window.graph_pane.isVisible() and button.text() == "Show graph"
    assert window.training_dock.width() >= 0.95 * window.width()
    assert doc.title == "training step", "hiding keeps the graph (Graph still shows it)"


def test_the_graph_follows_the_network_the_sliders_train(window, qtbot, yes):
    window.workspaces.switch("train")
    panel = window.training
    with qtbot.waitSignal(window.document.graph_changed, timeout=10_000):
        panel.graph_button.click()
    before = leaf_shapes(window.document)
    with qtbot.waitSignal(window.document.graph_changed, timeout=10_000):
        panel.poly_controls.slider_widget(panel.hidden_slider).set_value(20)
        panel.throttle.stop()
        panel.start()  # as the released slider does
    after = leaf_shapes(window.document)
    config = panel.current_config()
    assert config.hidden == 20 and after == parameter_shapes(config) != before
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=30_000)


def test_a_refused_question_keeps_the_code_and_the_curves_alone(window, qtbot, monkeypatch):
    window.load_example("quadratic")
    window.workspaces.switch("train")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Cancel)
    window.training.graph_button.click()
    qtbot.wait(50)
    assert window.document.graph.output.name == "f"
    assert not window.graph_pane.isVisible()
    assert window.training.graph_button.text() == "Show graph"


def test_the_shown_graph_is_remembered_per_workspace_and_across_starts(
        window, qtbot, yes, settings, tmp_path):
    window.workspaces.switch("train")
    with qtbot.waitSignal(window.document.graph_changed, timeout=10_000):
        window.training.graph_button.click()
    window.workspaces.switch("time")
    assert not window.graph_pane.isVisible()
    window.workspaces.switch("train")
    assert window.graph_pane.isVisible() and window.training.graph_button.text() == "Hide graph"
    window.workspaces.save()
    second = MainWindow(settings, tmp_path / "second.nla")
    qtbot.addWidget(second)
    second.show()
    second.workspaces.switch("train")
    assert second.graph_pane.isVisible()
    second.workspaces.reset()  # View ▸ Reset layout: the default again, the curves alone
    assert not second.graph_pane.isVisible()
    assert second.training.graph_button.text() == "Show graph"


def test_workspaces_without_the_graph_say_nothing_about_it(window, qtbot):
    window.load_example("quadratic")
    window.workspaces.switch("graph")
    qtbot.waitUntil(lambda: "autograd nodes" in window.statusBar().currentMessage(), timeout=5000)
    for name in ("time", "train"):
        window.workspaces.switch(name)
        assert "autograd nodes" not in window.statusBar().currentMessage()
        assert not window.zoom_label.isVisible() and not window.toolbar.isVisible()
    window.workspaces.switch("graph")
    assert "autograd nodes" in window.statusBar().currentMessage()
    assert window.zoom_label.isVisible()
