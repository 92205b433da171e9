"""The training and timing panels live in the window: docks, the model's graph, clean shutdown."""

from pathlib import Path

from nla_explorer.engine.code.parser import parse_code
from tests.app.approved import assert_looks_approved, settled

SHOTS = Path(__file__).resolve().parent / "screenshots"


def menu_titled(window, title: str):
    """The menu-bar menu whose title reads ``title`` (without its ``&`` shortcut marker)."""
    return next(action.menu() for action in window.menuBar().actions()
                if action.text().replace("&", "") == title)


def test_training_and_timing_have_their_workspaces_and_toggle_in_view_panels(window):
    view = menu_titled(window, "View")
    panels = next(a.menu() for a in view.actions() if a.text().replace("&", "") == "Panels")
    for dock, workspace in ((window.training_dock, "train"), (window.timing_dock, "time")):
        action = dock.toggleViewAction()
        assert action in panels.actions()
        assert window.workspaces.actions[workspace] in view.actions()
        window.workspaces.switch(workspace)
        assert dock.isVisible() and action.isChecked()
        action.trigger()
        assert not dock.isVisible()
        window.workspaces.reset()
        assert dock.isVisible()


def test_show_graph_puts_one_training_step_in_the_graph_view(window, qtbot):
    window.workspaces.switch("train")
    with qtbot.waitSignal(window.document.graph_changed, timeout=10_000):
        window.training.request_graph()
    doc = window.document
    assert doc.title == "training step"
    ops = {n.op for n in doc.graph.nodes}
    assert "MseLossBackward0" in ops and "SigmoidBackward0" in ops
    parse_code(doc.state.code)  # what the window shows is whitelisted code, editable as text
    assert window.code_panel.text() == doc.state.code


def test_closing_the_window_stops_a_running_training(window, qtbot):
    window.training.start()
    assert window.training.is_running()
    window.close()
    qtbot.waitUntil(lambda: not window.training.busy(), timeout=5_000)  # workers gone


def test_window_screenshot_with_the_training_tab(window, qtbot):
    window.load_example("quadratic")
    window.workspaces.switch("train")
    with qtbot.waitSignal(window.training.run_finished, timeout=30_000):
        window.training.start()
    qtbot.wait(100)
    SHOTS.mkdir(exist_ok=True)
    assert_looks_approved(settled(window), "window_training_tab", max_changed=0.01)


def test_window_screenshot_with_the_timing_tab(window, qtbot):
    timing = window.timing
    window.workspaces.switch("time")
    timing.size_max.setCurrentText("128")
    with qtbot.waitSignal(timing.sweep_finished, timeout=60_000) as done:
        assert timing.start()
    assert done.args == ["done"]
    assert timing.table.rowCount() == len(timing.all_results()) > 0
    # the picture of fixed timings (measured ones differ from run to run): loaded, as from a GPU box
    timing.clear_results()
    assert timing.load_csv(Path(__file__).resolve().parent / "data" / "timing_matmul_cpu.csv")
    assert timing.table.rowCount() == 4
    qtbot.wait(100)
    assert_looks_approved(settled(window), "window_timing_tab", max_changed=0.01)
