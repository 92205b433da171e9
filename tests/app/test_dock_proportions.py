"""The lecture hall: arranged on a 1280×720 laptop, maximised on a 1920×1080 projector, the
panels keep their share of the window (QMainWindow alone gives all the new room to the graph:
Build's canvas stayed 540 px wide at 1920 px). A splitter the user drags sets the new share."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from nla_explorer.workspaces import ARRANGEMENTS

from tests.app.screen_child import WINDOW_SETUP, run_on_screen

SMALL, BIG = (1280, 720), (1920, 1080)
WORKSPACES = ["graph", "build", "train", "train_graph", "time"]


CHILD = WINDOW_SETUP + """
def settle():
    for _ in range(30):
        app.processEvents()
def widths(window):
    return {d.objectName(): d.width() / window.width() for d in window.findChildren(QDockWidget)
            if d.isVisible() and window.rect().intersects(d.geometry())}
def sizes(window):
    return {d.objectName(): [d.width(), d.height()] for d in window.findChildren(QDockWidget)
            if d.isVisible() and window.rect().intersects(d.geometry())}
first = MainWindow(settings, tmp / "r.nla")
first.show()
first.resize(1280, 720)
first.workspaces.switch("graph")
first.workspaces.reset()
settle()
out = {"before": widths(first), "sizes_before": sizes(first)}
first.presentation.action.trigger()
settle()
out["card"] = first.stepper_dock.width() / first.width()
first.presentation.action.trigger()
settle()
out["after"], out["size"] = widths(first), [first.width(), first.height()]
out["sizes_after"] = sizes(first)
first.resize(1920, 1080)  # the whole screen: leaving full screen gives no resize
settle()
big = widths(first), sizes(first)
first.presentation.action.trigger()
settle()
first.presentation.action.trigger()
settle()
first.resize(1280, 720)  # at once back on the laptop's size
settle()
out["after_presentation_at_screen_size"] = big, (widths(first), sizes(first)), [
    first.width(), first.height()]
first.workspaces.switch("build")  # dragged on the laptop, left for Graph maximised
settle()
first.resizeDocks([first.block_dock], [first.block_dock.width() + 120], Qt.Horizontal)
settle()
out["build"] = widths(first)
first.workspaces.switch("graph")
first.resize(1920, 1080)
settle()
first.close()
second = MainWindow(settings, tmp / "r2.nla")
second.show()
settle()
out["restarted"] = [second.workspaces.current, second.width(), second.height()]
second.workspaces.switch("build")
settle()
out["build_again"] = widths(second)
print(json.dumps(out))
"""


def settle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.graph_pane.busy(), timeout=5000)
    qtbot.wait(60)


def shown(window) -> list[QDockWidget]:
    """The docks on screen (not a tab parked behind another)."""
    rect = window.rect()
    return sorted((d for d in window.findChildren(QDockWidget) if d.isVisible()
                   and not d.isFloating() and rect.intersects(d.geometry())),
                  key=lambda d: d.objectName())


def shares(window) -> dict[str, float]:
    """Each shown dock's share of the window's width, and of its column's height where docks are
    stacked (``name|``)."""
    docks = shown(window)
    result = {d.objectName(): d.width() / window.width() for d in docks}
    for dock in docks:
        column = [d for d in docks if d.x() == dock.x() and d.width() == dock.width()]
        if len(column) > 1:
            result[dock.objectName() + "|"] = dock.height() / sum(d.height() for d in column)
    return result


def resize(qtbot, window, size) -> dict[str, float]:
    window.resize(*size)
    settle(qtbot, window)
    assert (window.width(), window.height()) == size
    return shares(window)


def assert_kept(before: dict[str, float], after: dict[str, float], what: str) -> None:
    assert before.keys() == after.keys(), what
    for name, share in before.items():
        assert after[name] == pytest.approx(share, abs=0.03), (what, name, before, after)


def arrange(qtbot, window, workspace: str) -> None:
    window.resize(*SMALL)
    settle(qtbot, window)
    window.workspaces.switch(workspace.split("_")[0])
    window.workspaces.reset()
    if workspace == "train_graph":  # Show graph: the curves beside a training step's graph
        window.workspaces.show_graph(True)
    settle(qtbot, window)


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_docks_keep_their_share_as_the_window_grows_and_shrinks(window, qtbot, workspace):
    window.load_example("quadratic")
    arrange(qtbot, window, workspace)
    arranged = shares(window)
    assert arranged, "no dock shown"
    assert_kept(arranged, resize(qtbot, window, BIG), "maximised")
    assert_kept(arranged, resize(qtbot, window, SMALL), "back on the laptop")
    if not window.graph_pane.isVisible():
        return  # the docks fill the window: there is no splitter beside the graph to drag
    # the user drags the splitter beside the graph: the dragged share is the one kept
    first = window.workspaces.docks[ARRANGEMENTS[workspace.split("_")[0]].docks[0][0]]
    resize(qtbot, window, BIG)
    window.resizeDocks([first], [first.width() + 150], Qt.Horizontal)
    settle(qtbot, window)
    dragged = shares(window)
    assert dragged[first.objectName()] > arranged[first.objectName()] + 0.05
    assert_kept(dragged, resize(qtbot, window, SMALL), "dragged, then back on the laptop")
    assert_kept(dragged, resize(qtbot, window, BIG), "dragged, then maximised again")


def test_stacked_docks_keep_their_ratio_and_a_dragged_one(window, qtbot):
    """Graph's stepper above the inspector (and its Results tab)."""
    arrange(qtbot, window, "graph")
    stepper = window.stepper_dock
    assert "stepper_dock|" in shares(window)
    window.resizeDocks([stepper], [stepper.height() - 80], Qt.Vertical)
    settle(qtbot, window)
    dragged = shares(window)
    for size in (BIG, SMALL, BIG):
        assert_kept(dragged, resize(qtbot, window, size), size)


def test_a_window_resized_just_after_presentation_mode_keeps_the_panels_shares(lecture_hall):
    """Leaving presentation, the layout waits a second for the window's own size to come back
    from the platform. A window as big as the screen gets no resize then, and a resize to another
    size in that second put back the big window's pixels (the README's 1080p screenshot had the
    step card 350 px tall, of a 1080 px column). It is put back only at the window's own size."""
    (big_shares, big), (shares, small), size = lecture_hall["after_presentation_at_screen_size"]
    assert size == list(SMALL)
    assert_kept(big_shares, shares, "resized just after presentation mode")
    for name in ("stepper_dock", "inspector_dock"):
        assert small[name][1] < big[name][1] / 1.3, (name, big, small)


def test_a_layout_saved_at_another_size_comes_back_in_proportion(window, qtbot):
    """Build arranged on the laptop, Graph maximised, Build again: its canvas is as wide a
    share as it was, not its laptop pixels."""
    arrange(qtbot, window, "build")
    before = shares(window)
    window.workspaces.switch("graph")
    settle(qtbot, window)
    resize(qtbot, window, BIG)
    window.workspaces.switch("build")
    settle(qtbot, window)
    assert_kept(before, shares(window), "Build restored at 1920×1080")


@pytest.fixture(scope="module")
def lecture_hall(tmp_path_factory):
    """The offscreen screen of the test session is 800×800, smaller than the window (full
    screen and a restored geometry shrink to it): these checks run in a child with a 1920×1080
    one, as test_workspace_layouts does."""
    out = run_on_screen(CHILD, tmp_path_factory.mktemp("lecture_hall"), 1920, 1080)
    return json.loads(out.strip().splitlines()[-1])


def test_presentation_mode_and_back_leaves_the_widths_alone(lecture_hall):
    """Full screen is presentation mode's own (the graph, and the card with two fifths of the
    width); leaving it, the layout comes back as it was, not scaled down from the screen's."""
    assert lecture_hall["card"] == pytest.approx(2 / 5, abs=0.01)
    assert lecture_hall["size"] == list(SMALL)
    assert_kept(lecture_hall["before"], lecture_hall["after"], "after presentation mode")


def test_presentation_mode_and_back_gives_every_panel_its_size_again(lecture_hall):
    """The stepper above the inspector came back 24 px shorter: the layout was put back while
    the card still had presentation's fonts. Now it is put back last, to the pixel."""
    before, after = lecture_hall["sizes_before"], lecture_hall["sizes_after"]
    assert before.keys() == after.keys()
    for name, (width, height) in before.items():
        assert abs(after[name][0] - width) <= 2 and abs(after[name][1] - height) <= 2, (
            name, before, after)


def test_a_layout_saved_at_another_size_comes_back_in_proportion_after_a_restart(lecture_hall):
    """Build dragged on the laptop, the window closed maximised in Graph: at the next start
    Build comes back with the share it was left with (its layout's size is saved with it)."""
    current, width, _height = lecture_hall["restarted"]
    assert current == "graph" and width > 1800  # the geometry back, within the screen's frame
    assert_kept(lecture_hall["build"], lecture_hall["build_again"], "Build after a restart")
