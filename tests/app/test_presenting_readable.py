"""Presentation mode readable from the back row on a 1280×720 projector: Train's sliders never in
smaller type than in the normal window, no label of theirs cut; the plots' keys in one row over
their plots, clear of the data; Time's table in bigger type (as it was after), and the speed-up
plot's crossover label whole inside its plot, presented or not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.app.screen_child import WINDOW_SETUP, run_on_screen
from tests.app.test_crossover_label import gpu_csv

CPU = Path(__file__).parent / "data" / "timing_matmul_cpu.csv"

CHILD = WINDOW_SETUP + """
import pyqtgraph as pg
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QLabel
from nla_explorer.panels.training import LEAST_SQUARES, POLY
from nla_explorer.panels.training_controls import ValueSlider
from tests.app.legend_geometry import covered_data, legend_rect_in_view
def settle(n=40):
    for _ in range(n):
        app.processEvents()
        QTest.qWait(5)
def cut(widget, text):
    return widget.fontMetrics().horizontalAdvance(text) > widget.contentsRect().width()
def controls(p):
    shown = p.poly_controls if p.mode() == POLY else p.ls_controls
    labels = [l for l in shown.findChildren(QLabel) if l.isVisible() and l.text()
              and shown.form.indexOf(l) >= 0]
    values = [s.value_label for s in shown.findChildren(ValueSlider)]
    return {"points": min(l.font().pointSize() for l in labels + values),
            "cut": [l.text() for l in labels + values if cut(l, l.text())],
            "menus cut": [c.currentText() for c in shown.findChildren(QComboBox)
                          if c.width() < c.sizeHint().width()],
            "scroll": p.controls_scroll.verticalScrollBar().isVisible(),
            "width": p.controls_scroll.width(), "plots": p.plots_stack.width()}
def keys(p):
    out = {}
    for plot in (p.fit_plots.fit_plot, p.fit_plots.loss_plot, p.fit_plots.norm_plot):
        item = plot.getPlotItem()
        rect = legend_rect_in_view(plot, clearance=0)
        (x0, x1), (y0, y1) = item.vb.viewRange()
        top = item.vb.sceneBoundingRect().top() - item.sceneBoundingRect().top()
        out[item.titleLabel.text] = {
            "hits": covered_data(plot), "rows": item.legend.rowCount,
            "into view": rect is not None and rect.intersects(QRectF(x0, y0, x1 - x0, y1 - y0)),
            "header": top, "height": plot.height()}
    return out
def crossover(t):
    plot = t.plots.speedup_plot
    box = plot.getPlotItem().vb.sceneBoundingRect().adjusted(-0.5, -0.5, 0.5, 0.5)
    labels = [i.label for i in plot.getPlotItem().items if isinstance(i, pg.InfiniteLine)
              and "crossover" in i.label.textItem.toPlainText()]
    return [[l.textItem.font().pointSizeF(), box.contains(l.mapRectToScene(l.boundingRect()))]
            for l in labels]
def fonts(t):
    return [t.table.font().pointSizeF(), t.results_box.note.font().pointSizeF(),
            t.table.horizontalHeader().font().pointSizeF()]
from PySide6.QtCore import QRectF
w = MainWindow(settings, tmp / "r.nla")
w.show()
w.resize(1280, 720)
w.activateWindow()
w.workspaces.switch("train")
settle()
p, out = w.training, {}
p.start()
while p.is_running():
    settle(5)
settle()
for normal in (11, 16):
    w.toolbar.font_spin.setValue(normal)
    settle()
    out[f"train {normal}"] = controls(p)
    w.presentation.action.trigger()
    settle(80)
    out[f"presented {normal}"] = {**controls(p), "keys": keys(p)}
    p.mode_combo.setCurrentIndex(p.mode_combo.findData(LEAST_SQUARES))
    settle(40)
    out[f"least squares {normal}"] = controls(p)
    p.mode_combo.setCurrentIndex(p.mode_combo.findData(POLY))
    settle(40)
    w.presentation.action.trigger()
    settle(80)
    out[f"after {normal}"] = controls(p)
w.toolbar.font_spin.setValue(11)
w.workspaces.switch("time")
t = w.timing
for path in (CPU, GPU):
    t.load_csv(path)
t.plot_tabs.setCurrentIndex(1)
settle()
out["time"] = {"crossover": crossover(t), "fonts": fonts(t)}
w.presentation.action.trigger()
settle(80)
out["time presented"] = {"crossover": crossover(t), "fonts": fonts(t),
                         "plots": t.plot_tabs.width()}
w.presentation.action.trigger()
settle(80)
out["time after"] = {"crossover": crossover(t), "fonts": fonts(t)}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readable")
    gpu = gpu_csv(folder, 300e-6)  # the GPU wins from 1024 of 16 … 2048: near the right edge
    out = run_on_screen(f"CPU, GPU = {str(CPU)!r}, {str(gpu)!r}\n" + CHILD, folder, 1280, 720)
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("normal", [11, 16])
def test_presented_sliders_are_no_smaller_than_in_the_window_and_none_is_cut(hall, normal):
    before, during = hall[f"train {normal}"], hall[f"presented {normal}"]
    assert before["points"] == normal
    assert during["points"] >= max(normal, 15)  # 15 pt: 20 px type, read from the back row
    for state in (during, hall[f"least squares {normal}"]):
        assert state["cut"] == [] and state["menus cut"] == []
        assert state["points"] >= normal
        assert not state["scroll"]  # every control in sight, none scrolled away
    assert hall[f"after {normal}"] == before


def test_presented_train_plots_keep_the_room(hall):
    during = hall["presented 11"]
    assert during["plots"] >= 0.6 * 1280 and during["width"] <= 0.35 * 1280


def test_presented_keys_sit_in_one_row_above_the_data(hall):
    keys = hall["presented 11"]["keys"]
    for title, key in keys.items():
        assert key["hits"] == [] and not key["into view"], title
        assert key["rows"] == 1, (title, key)  # the title's row and one more at most
        assert key["header"] <= 0.25 * key["height"], (title, key)
    fit = next(key for title, key in keys.items() if title.startswith("Fit"))
    assert fit["header"] <= 0.15 * fit["height"]  # not three rows eating a third of the plot


def test_presented_table_is_bigger_and_as_it_was_after(hall):
    before, during = hall["time"]["fonts"], hall["time presented"]["fonts"]
    assert all(big >= 13 and big > plain for big, plain in zip(during, before))
    assert hall["time after"]["fonts"] == before
    assert hall["time presented"]["plots"] >= 0.55 * 1280


@pytest.mark.parametrize("state", ["time", "time presented", "time after"])
def test_the_crossover_label_stays_inside_the_speedup_plot(hall, state):
    labels = hall[state]["crossover"]
    assert labels and all(inside for _, inside in labels), labels
    if state == "time presented":
        assert all(points == 20 for points, _ in labels)
