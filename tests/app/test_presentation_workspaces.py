"""Presentation mode follows the workspace: Train presents the training panel, Time the timing
panel, full screen with type, lines and markers for the back row; Graph and Build the graph and
the step card as before. Leaving puts the workspace back as it was; Ctrl+1…4 while presenting
present another workspace, and leaving lands there with the first one's layout kept."""

from __future__ import annotations

import json
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QToolBar

from nla_explorer.panels.plot_presenting import LINE_FLOOR, PlotPresenting

from tests.app.screen_child import WINDOW_SETUP, run_on_screen

DATA = Path(__file__).parent / "data" / "timing_matmul_cpu.csv"


def settle(qtbot, window, ms: int = 80) -> None:
    qtbot.waitUntil(lambda: not window.graph_pane.busy(), timeout=5000)
    qtbot.wait(ms)


def visible_docks(window) -> set[str]:
    return {d.objectName() for d in window.findChildren(QDockWidget) if d.isVisible()}


def dock_sizes(window) -> dict[str, tuple[int, int]]:
    return {d.objectName(): (d.width(), d.height()) for d in window.findChildren(QDockWidget)
            if d.isVisible()}


def tick_points(plot: pg.PlotWidget) -> float:
    font = plot.getPlotItem().getAxis("bottom").style.get("tickFont")
    return (font or QApplication.font()).pointSizeF()


def curve_looks(plot: pg.PlotWidget) -> list[tuple[float, float]]:
    """(pen width, marker size) of each curve drawn with a line in ``plot``."""
    return [(item.opts["pen"].widthF(), item.opts["symbolSize"])
            for item in plot.getPlotItem().items if isinstance(item, pg.PlotDataItem)
            and item.opts["pen"] is not None and item.opts["pen"].style() != Qt.PenStyle.NoPen]


def looks(panel) -> dict:
    """Everything presenting changes in ``panel``'s plots, to compare before and after."""
    return {p: (tick_points(p), curve_looks(p), p.getPlotItem().titleLabel.opts.get("size"),
                [label.opts.get("size") for _, label in p.getPlotItem().legend.items])
            for p in panel.findChildren(pg.PlotWidget)}


def trained(qtbot, window) -> None:
    window.workspaces.switch("train")
    settle(qtbot, window)
    window.training.start()
    qtbot.waitUntil(lambda: not window.training.is_running(), timeout=20000)
    settle(qtbot, window, 150)


def timed(qtbot, window) -> None:
    window.workspaces.switch("time")
    assert window.timing.load_csv(DATA)
    settle(qtbot, window, 150)


def assert_only(window, dock_name: str) -> None:
    assert window.presentation.active and window.isFullScreen()
    assert visible_docks(window) == {dock_name}
    assert not window.graph_pane.isVisible()
    assert not any(bar.isVisible() for bar in window.findChildren(QToolBar))
    assert not window.menuBar().isVisible() and not window.statusBar().isVisible()
    dock = window.findChild(QDockWidget, dock_name)
    assert dock.width() >= window.width() - 4 and dock.height() >= window.height() - 4


def test_train_presents_the_training_panel_big_and_leaves_it_as_it_was(window, qtbot):
    trained(qtbot, window)
    panel, plots = window.training, window.training.fit_plots
    before_docks, before_font = dock_sizes(window), window.toolbar.font_spin.value()
    before = looks(panel)
    fit_pen = plots.fit_curve.opts["pen"].widthF()
    window.presentation.action.trigger()
    settle(qtbot, window, 200)
    assert_only(window, "training_dock")
    assert window.presentation.shown == "train"
    # the back row: type, lines and markers bigger than in the workspace
    assert tick_points(plots.fit_plot) >= 20 > tick_points(plots.fit_plot) - 9
    assert tick_points(plots.loss_plot) > before[plots.loss_plot][0]
    assert plots.fit_curve.opts["pen"].widthF() >= max(LINE_FLOOR, 2 * fit_pen)
    assert plots.loss_plot.curve.opts["pen"].widthF() >= LINE_FLOOR
    assert plots.fit_curve.opts["symbolSize"] > 6 and plots.points_scatter.opts["symbolSize"] > 7
    assert all(width >= LINE_FLOOR for p in (plots.fit_plot, plots.loss_plot, plots.norm_plot)
               for width, _ in curve_looks(p))
    # the plots take the room: the sliders beside them, in smaller type, no wider than needed
    assert panel.controls_scroll.width() <= panel.controls_stack.minimumSizeHint().width() + 60
    assert 12 <= panel.controls_stack.font().pointSize() < 20
    # a run while presenting (a slider moved) keeps the thick lines
    window.training.start()
    qtbot.waitUntil(lambda: not window.training.is_running(), timeout=20000)
    settle(qtbot, window, 150)
    assert plots.fit_curve.opts["pen"].widthF() >= LINE_FLOOR
    window.presentation.action.trigger()
    settle(qtbot, window, 200)
    assert not window.presentation.active and window.workspaces.current == "train"
    assert window.toolbar.font_spin.value() == before_font
    assert looks(panel) == before
    assert plots.fit_curve.opts["pen"].widthF() == fit_pen
    assert panel.controls_stack.font().pointSize() == panel.font().pointSize()
    after = dock_sizes(window)
    assert after.keys() == before_docks.keys()
    for name, (width, height) in before_docks.items():
        assert abs(after[name][0] - width) <= 2 and abs(after[name][1] - height) <= 2, name


@pytest.mark.parametrize("workspace", ["graph", "build"])
def test_graph_and_build_still_present_the_graph_and_the_card(window, qtbot, workspace):
    window.load_example("quadratic")
    window.workspaces.switch(workspace)
    settle(qtbot, window)
    window.presentation.action.trigger()
    settle(qtbot, window, 150)
    assert visible_docks(window) == {"stepper_dock"}
    assert window.graph_pane.isVisible() and window.presentation.shown == workspace
    assert window.stepper.card.isVisible() and window.isFullScreen()
    window.presentation.action.trigger()
    settle(qtbot, window)
    assert window.workspaces.current == workspace and not window.presentation.active


def test_f11_and_esc_leave_with_the_menu_bar_hidden(window, qtbot):
    trained(qtbot, window)
    window.activateWindow()
    for leave in (Qt.Key.Key_F11, Qt.Key.Key_Escape):
        qtbot.keyClick(window, Qt.Key.Key_F11)
        settle(qtbot, window)
        assert window.presentation.active and not window.menuBar().isVisible()
        qtbot.keyClick(window, leave)
        settle(qtbot, window)
        assert not window.presentation.active, leave


def test_plot_presenting_restores_what_its_panel_restyled_meanwhile(qtbot):
    """A panel that restyles its curves while presenting gets them big again, and plain ones
    (its new style) back when presenting ends."""
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    panel = QWidget()
    qtbot.addWidget(panel)
    plot = pg.PlotWidget()
    QVBoxLayout(panel).addWidget(plot)
    panel.show()
    qtbot.waitExposed(panel)
    curve = plot.plot([1, 2, 3], [1, 4, 9], pen=pg.mkPen("#0072b2", width=1), symbol="o",
                      symbolSize=6)
    line = pg.InfiniteLine(pos=2, angle=90, pen=pg.mkPen("#555555", width=1), label="crossover")
    plot.addItem(line)
    label_points = line.label.textItem.font().pointSizeF()
    presenting = PlotPresenting(panel)
    presenting.set_presenting(True, 18)
    assert curve.opts["pen"].widthF() == LINE_FLOOR and curve.opts["symbolSize"] > 6
    assert tick_points(plot) == 18
    assert line.pen.widthF() >= 3 and line.label.textItem.font().pointSizeF() == 18
    plot.clear()  # a redraw: new curves, drawn big
    curve = plot.plot([1, 2, 3], [1, 4, 9], pen=pg.mkPen("#0072b2", width=1), symbol="o",
                      symbolSize=6)
    plot.addItem(line)
    plot.viewport().update()  # big before it is painted
    qtbot.waitUntil(lambda: curve.opts["pen"].widthF() == LINE_FLOOR, timeout=2000)
    curve.setPen(pg.mkPen("#d55e00", width=3))  # the panel's new style
    presenting.refresh(plot)
    assert curve.opts["pen"].widthF() == 6 and curve.opts["pen"].color().name() == "#d55e00"
    presenting.set_presenting(False)
    assert curve.opts["pen"].widthF() == 3 and curve.opts["symbolSize"] == 6
    assert tick_points(plot) == QApplication.font().pointSizeF()
    assert line.pen.widthF() == 1 and line.label.textItem.font().pointSizeF() == label_points


# -- on a 1280×720 screen (the test session's offscreen one is 800×800: Time does not fit) -------
CHILD = WINDOW_SETUP + """
import pyqtgraph as pg
from PySide6.QtTest import QTest
def settle(n=40):
    for _ in range(n):
        app.processEvents()
        QTest.qWait(5)
def docks(w):
    return {d.objectName(): [d.width(), d.height()] for d in w.findChildren(QDockWidget)
            if d.isVisible()}
def ticks(plot):
    font = plot.getPlotItem().getAxis("bottom").style.get("tickFont")
    return (font or QApplication.font()).pointSizeF()
def pens(plot):
    return [[i.opts["pen"].widthF(), i.opts["symbolSize"]] for i in plot.getPlotItem().items
            if isinstance(i, pg.PlotDataItem) and i.opts["pen"] is not None
            and i.opts["pen"].style() != Qt.PenStyle.NoPen]
def looks(panel):
    return [[ticks(p), pens(p), [l.opts.get("size") for _, l in p.getPlotItem().legend.items]]
            for p in sorted(panel.findChildren(pg.PlotWidget), key=lambda p: id(p))]
def state(w):
    return {"docks": docks(w), "full": w.isFullScreen(), "size": [w.width(), w.height()],
            "shown": w.presentation.shown, "current": w.workspaces.current,
            "graph": w.graph_pane.isVisible(), "menu": w.menuBar().isVisible()}
def key(w, k):
    QTest.keyClick(w, k, Qt.KeyboardModifier.ControlModifier)
    settle()
w = MainWindow(settings, tmp / "r.nla")
w.show()
w.resize(1280, 720)
w.activateWindow()
w.workspaces.switch("train")
settle()
w.training.start()
while w.training.is_running():
    settle(5)
settle()
train = docks(w)
w.workspaces.switch("time")
w.timing.load_csv(DATA)
settle()
t, out = w.timing, {"train": train}
out["time_before"] = {**state(w), "looks": looks(t), "table": t.table.font().pointSizeF()}
w.presentation.action.trigger()
settle(80)
out["time_during"] = {**state(w), "looks": looks(t), "table": t.table.font().pointSizeF(),
                      "controls": t.controls_scroll.isVisible(), "plots": t.plot_tabs.width()}
w.presentation.action.trigger()
settle(80)
out["time_after"] = {**state(w), "looks": looks(t), "table": t.table.font().pointSizeF(),
                     "controls": t.controls_scroll.isVisible()}
w.workspaces.switch("train")
settle()
w.presentation.action.trigger()
settle(80)
p = w.training
out["train_during"] = {**state(w), "titles": [
    [plot.getPlotItem().titleLabel.item.boundingRect().width(),
     plot.getPlotItem().getAxis("left").width(), plot.width()]
    for plot in (p.fit_plots.fit_plot, p.fit_plots.loss_plot, p.fit_plots.norm_plot)],
    "controls": p.controls_scroll.width(), "plots": p.plots_stack.width()}
key(w, Qt.Key.Key_4)
out["ctrl4"] = {**state(w), "ticks": ticks(t.plots.time_plot)}
key(w, Qt.Key.Key_1)
out["ctrl1"] = {**state(w), "ticks": ticks(t.plots.time_plot)}
key(w, Qt.Key.Key_4)
w.presentation.action.trigger()
settle(120)
out["left"] = {**state(w), "enabled": all(a.isEnabled() for a in w.workspaces.actions.values()),
               "controls": t.controls_scroll.isVisible()}
w.workspaces.switch("train")
settle()
out["train_again"] = docks(w)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    out = run_on_screen(f"DATA = {str(DATA)!r}\n" + CHILD, tmp_path_factory.mktemp("present"),
                        1280, 720)
    return json.loads(out.strip().splitlines()[-1])


def test_time_presents_the_plots_and_the_table_big_and_leaves_them_as_they_were(hall):
    before, during, after = hall["time_before"], hall["time_during"], hall["time_after"]
    assert during["full"] and during["size"] == [1280, 720]
    assert during["docks"] == {"timing_dock": [1280, 720]} and not during["graph"]
    assert not during["controls"] and not during["menu"]
    assert during["plots"] > 1280 * 0.55  # the plots first, the table beside them
    assert during["table"] > before["table"]
    for (points, pens, legend), (plain, _, _) in zip(during["looks"], before["looks"]):
        assert points >= 20 > plain
        assert all(width >= LINE_FLOOR and size > 7 for width, size in pens)
        assert all(size == "20pt" for size in legend)
    assert any(pens for _, pens, _ in during["looks"]), "no curve presented"
    assert after["looks"] == before["looks"] and after["table"] == before["table"]
    assert after["docks"] == before["docks"] and after["size"] == before["size"]
    assert after["controls"] and after["current"] == "time" and after["menu"]


def test_train_presentation_at_720p_gives_the_plots_the_room(hall):
    during = hall["train_during"]
    assert during["docks"] == {"training_dock": [1280, 720]} and during["full"]
    assert during["plots"] >= 0.6 * 1280 and during["controls"] <= 0.35 * 1280
    for title, axis, width in during["titles"]:  # no title cut off at the plot's edge
        assert title + axis <= width, (title, axis, width)


def test_ctrl_number_presents_another_workspace_and_leaving_lands_there(hall):
    assert hall["ctrl4"]["shown"] == "time" and hall["ctrl4"]["full"]
    assert hall["ctrl4"]["docks"] == {"timing_dock": [1280, 720]} and hall["ctrl4"]["ticks"] >= 20
    assert hall["ctrl4"]["current"] == "train"  # the workspace bar's layout is not touched
    assert hall["ctrl1"]["shown"] == "graph" and hall["ctrl1"]["graph"]
    assert set(hall["ctrl1"]["docks"]) == {"stepper_dock"}
    assert hall["ctrl1"]["ticks"] < 20  # the timing plots plain again, off screen
    left = hall["left"]
    assert left["current"] == "time" and not left["full"] and left["menu"] and left["enabled"]
    assert set(left["docks"]) == {"timing_dock"} and left["controls"]
    assert hall["train_again"] == hall["train"]  # Train's layout as it was, not presentation's
