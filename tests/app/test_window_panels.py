"""The training and timing panels live in the window: docks, the model's graph, clean shutdown."""

from pathlib import Path

from nla_explorer.engine.code.parser import parse_code
from tests.app.approved import assert_looks_approved, settled

SHOTS = Path(__file__).resolve().parent / "screenshots"


def menu_titled(window, title: str):
    """The menu-bar menu whose title reads ``title`` (without its ``&`` shortcut marker)."""
    return next(action.menu() for action in window.menuBar().actions()
                if action.text().replace("&", "") == title)


def test_training_and_timing_docks_exist_and_toggle(window):
    for dock in (window.training_dock, window.timing_dock):
        action = dock.toggleViewAction()
        assert action in menu_titled(window, "View").actions()
        dock.raise_()
        assert dock.isVisible() or window.tabifiedDockWidgets(dock)
    assert window.block_dock in window.tabifiedDockWidgets(window.training_dock)


def test_show_graph_puts_one_training_step_in_the_graph_view(window, qtbot):
    window.training_dock.raise_()
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
    window.training_dock.raise_()
    with qtbot.waitSignal(window.training.run_finished, timeout=30_000):
        window.training.start()
    qtbot.wait(100)
    SHOTS.mkdir(exist_ok=True)
    assert_looks_approved(settled(window), "window_training_tab", max_changed=0.01)


def test_window_screenshot_with_the_timing_tab(window, qtbot):
    timing = window.timing
    window.timing_dock.raise_()
    timing.size_max.setCurrentText("128")
    with qtbot.waitSignal(timing.sweep_finished, timeout=60_000) as done:
        assert timing.start()
    assert done.args == ["done"]
    assert timing.table.rowCount() == len(timing.all_results()) > 0
    qtbot.wait(100)
    assert_looks_approved(settled(window), "window_timing_tab", max_changed=0.01)
