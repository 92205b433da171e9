"""Preferences persist and apply live; themes repaint without a restart; help pages and the tour."""

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.preferences import Preferences, load_preferences, save_preferences
from tests.app.approved import assert_looks_approved, settled

SHOTS = Path(__file__).resolve().parent / "screenshots"


@pytest.fixture(autouse=True)
def _light_again():
    """The Qt palette is application-wide: leave it as the next test expects."""
    yield
    from nla_explorer.themes import apply_theme
    apply_theme("light")


def test_preferences_round_trip_and_corrupt_values_fall_back(tmp_path):
    settings = QSettings(str(tmp_path / "p.ini"), QSettings.IniFormat)
    prefs = Preferences(18, "dark", "builtin", 6, 50_000, 120)
    save_preferences(settings, prefs)
    settings.sync()
    assert load_preferences(QSettings(str(tmp_path / "p.ini"), QSettings.IniFormat)) == prefs
    (tmp_path / "bad.ini").write_text("[view]\nfont_size=huge\ntheme=purple\nprecision=99\n"
                                      "layout_engine=\n[engine]\nfull_value_limit=-5\n"
                                      "[session]\nautosave_s=@Invalid()\n")
    bad = load_preferences(QSettings(str(tmp_path / "bad.ini"), QSettings.IniFormat))
    assert bad == Preferences(11, "system", "auto", 12, 100, 30)


def test_preferences_dialog_applies_and_persists_across_a_restart(window, qtbot, settings,
                                                                   tmp_path):
    window.load_example("quadratic")
    dialog = window.preferences.open_dialog()
    dialog.font_spin.setValue(16)
    dialog.precision_spin.setValue(6)
    dialog.autosave_spin.setValue(45)
    dialog.engine_combo.setCurrentIndex(1)  # builtin
    dialog.accept()
    assert window.toolbar.font_spin.value() == 16
    assert window.toolbar.engine_combo.currentText() == "builtin"
    assert window.sessions.timer.interval() == 45_000
    f = window.document.graph.find("f")
    box = window.graph_pane.picture.display.node_for_graph_id(f.id)
    assert box.value_badge == "9.46745"  # six significant digits
    window.close()
    settings.sync()
    from nla_explorer.main_window import MainWindow
    again = MainWindow(QSettings(settings.fileName(), QSettings.IniFormat), tmp_path / "r2.nla")
    qtbot.addWidget(again)
    assert again.toolbar.font_spin.value() == 16
    assert again.toolbar.engine_combo.currentText() == "builtin"
    assert again.preferences.current().precision == 6
    assert again.sessions.timer.interval() == 45_000


def test_theme_switch_repaints_without_restart(window, qtbot):
    window.load_example("quadratic")
    window.preferences.theme_actions["dark"].trigger()
    qtbot.waitUntil(lambda: not window.busy(), timeout=10_000)
    app = QApplication.instance()
    assert app.palette().color(QPalette.Window).lightness() < 100
    assert window.view_style == ViewStyle.dark() and window.view_style.is_dark
    assert window.graph_pane.view.backgroundBrush().color().name() == ViewStyle.dark().canvas
    edge = window.graph_pane.scene.edge_items[0] if window.graph_pane.scene.edge_items else None
    assert edge is None or edge.base_pen.color().lightness() > 128  # edges drawn light on dark
    assert window.preferences.theme_actions["dark"].isChecked()
    import pyqtgraph as pg
    plot = window.findChildren(pg.PlotWidget)[0]
    assert plot.backgroundBrush().color().lightness() < 100  # the plots follow the theme
    window.document.select(window.document.graph.find("A").id)
    qtbot.wait(200)
    SHOTS.mkdir(exist_ok=True)
    assert_looks_approved(settled(window), "window_dark")
    window.preferences.theme_actions["light"].trigger()
    qtbot.waitUntil(lambda: not window.busy(), timeout=10_000)
    assert app.palette().color(QPalette.Window).lightness() > 200
    assert not window.view_style.is_dark
    assert load_preferences(window.settings).theme == "light"


def test_tour_can_be_skipped_and_reopened(window, qtbot):
    assert window.settings.value("help/tour_done") is None
    tour = window.help.start_tour()
    assert tour.isVisible() and tour.counter.text().startswith("1 /")
    tour.next()
    assert tour.index == 1 and window.workspaces.current == "graph"
    with qtbot.waitSignal(tour.finished) as done:
        tour.skip_button.click()
    assert done.args == [False] and not tour.isVisible()
    assert window.settings.value("help/tour_done") in (True, "true")
    again = window.help.start_tour()  # Help ▸ Tour
    assert again.isVisible() and again.index == 0
    for _ in range(len(again.stops)):
        again.next()
    assert not again.isVisible()


def test_help_pages_list_shortcuts_and_course_examples(window, qtbot):
    from nla_explorer.engine.examples import EXAMPLES
    page = window.help.show_shortcuts()
    keys = {page.table.item(r, 1).text(): page.table.item(r, 0).text()
            for r in range(page.table.rowCount())}
    assert "F11" in keys["Presentation mode"] and "Ctrl+Z" in keys["Undo"]
    assert "Next / previous step of the pass (stepper, graph view)" in keys
    examples = window.help.show_examples()
    assert examples.table.rowCount() == len(EXAMPLES)
    assert examples.table.item(0, 2).text() == next(iter(EXAMPLES.values())).source
    row = list(EXAMPLES).index("norm")
    examples.open_row(row)
    assert window.document.example.name == "norm"


def test_every_toolbar_and_panel_control_has_a_tooltip(window):
    from PySide6.QtWidgets import (
        QAbstractButton, QAbstractScrollArea, QAbstractSlider, QAbstractSpinBox, QComboBox,
        QLineEdit, QTabBar, QToolButton, QWidget,
    )
    kinds = (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit)
    missing = []
    widgets = []
    for dock in (window.block_dock, window.training_dock, window.timing_dock,
                 window.palette_dock, window.code_dock):  # every tab in turn
        dock.raise_()
        widgets += [w for w in window.findChildren(QWidget) if w.isVisibleTo(window)]
    for widget in set(widgets):
        if not isinstance(widget, kinds):
            continue
        parent = widget.parent()
        if isinstance(parent, (QTabBar, QAbstractScrollArea)) or widget.objectName().startswith(
                "qt_") or parent.objectName().startswith("qt_"):
            continue  # Qt's own parts: tab scrollers, scroll bars, dock buttons
        if isinstance(parent, (QAbstractSpinBox, QComboBox, QLineEdit)):
            continue  # the line edit inside a spin box, a line edit's clear button
        action = widget.defaultAction() if isinstance(widget, QToolButton) else None
        if not widget.toolTip() and not (action is not None and action.toolTip()):
            text = widget.text() if hasattr(widget, "text") else ""
            missing.append(f"{type(widget).__name__} '{widget.objectName() or text}' in "
                           f"{type(parent).__name__}")
    assert not missing, missing


def test_value_limit_decides_which_tensors_keep_all_their_values(window):
    code = "import torch\nA = torch.randn(60, 60, requires_grad=True)\ny = (A * A).sum()\n"
    window.document.set_code(code)
    assert window.document.graph.find("A").value.values is not None  # 3,600 ≤ 10,000
    prefs = window.preferences.current()
    window.preferences.apply(prefs.__class__(**{**prefs.__dict__, "value_limit": 1000}))
    window.document.set_code(code.replace("y =", "z ="))
    a = window.document.graph.find("A")
    assert a.value.values is None and a.value.summary["norm"] > 0  # now only a summary
