"""A workspace's restored layout: the graph gets its room back, and no tab bar of hidden docks
stays on screen.

On a 1280×720 screen, back in Time a second time (its saved layout restored), the tab bar of
Graph's tabbed Inspector and Results stayed over the timing table with both docks hidden. The
offscreen screen of the test session is 800×800, where Qt does not leave it: the check runs in
a child with a 1280×720 offscreen screen, as docs/make_screenshots.py renders the README's.
"""

from __future__ import annotations

import pytest

from tests.app.screen_child import run_on_screen

CHILD = """
import sys
from pathlib import Path
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QDockWidget, QTabBar
from nla_explorer.main_window import MainWindow
app = QApplication([])
tmp = Path(sys.argv[1])
settings = QSettings(str(tmp / "s.ini"), QSettings.IniFormat)
settings.setValue("help/tour_done", True)
window = MainWindow(settings, tmp / "r.nla")
window.show()
window.resize(1280, 720)
window.load_example("quadratic")
stray = []
for name in ("time", "graph", "build", "train", "time", "graph", "time"):
    window.workspaces.switch(name)
    for _ in range(20):
        app.processEvents()
    shown = {d.windowTitle() for d in window.findChildren(QDockWidget) if d.isVisible()}
    for bar in window.findChildren(QTabBar):
        if bar.parentWidget() is window and bar.isVisible() and bar.count():
            tabs = {bar.tabText(i) for i in range(bar.count())}
            if not tabs & shown:
                stray.append((name, sorted(tabs)))
print(stray)
"""


def test_no_tab_bar_of_hidden_docks_stays_on_a_720p_screen(tmp_path):
    out = run_on_screen(CHILD, tmp_path, 1280, 720)
    assert out.strip().splitlines()[-1] == "[]", out


@pytest.mark.parametrize("away", ["time", "train", "build"])
def test_coming_back_to_graph_gives_the_graph_its_room_again(window, qtbot, away):
    """Time hides the graph: its docks, restored beside the hidden graph, took all its room,
    and back in Graph the graph was a 70 px strip (saved so for the next start too)."""
    window.resize(1280, 720)
    window.load_example("quadratic")
    qtbot.waitUntil(lambda: not window.graph_pane.busy(), timeout=5000)
    before = window.graph_pane.width()
    assert before > 400
    for _ in range(2):
        window.workspaces.switch(away)
        qtbot.wait(50)
        window.workspaces.switch("graph")
        qtbot.wait(50)
        assert window.graph_pane.width() == pytest.approx(before, abs=8)
