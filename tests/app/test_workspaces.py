"""Workspaces and the lecture hall: one job big at a time, a window that fits the screen, names
legible from the back row, presentation mode with the graph and the step card only."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractScrollArea, QApplication, QDockWidget, QLabel, QToolBar, QWidget,
)

from nla_explorer.main_window import MainWindow
from nla_explorer.workspaces import ARRANGEMENTS

SIZES = [(1280, 720), (1920, 1080)]
SHOWN = {
    "graph": {"code_dock", "stepper_dock", "inspector_dock", "results_dock"},
    "build": {"palette_dock", "block_dock"},
    "train": {"training_dock"},
    "time": {"timing_dock"},
}


def visible_docks(window) -> set[str]:
    return {d.objectName() for d in window.findChildren(QDockWidget) if d.isVisible()}


def settle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.graph_pane.busy(), timeout=5000)
    qtbot.wait(120)


def outside(window) -> list[str]:
    """Visible widgets that reach outside the window (cut off at this size)."""
    frame = QRect(0, 0, window.width(), window.height())
    bad = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.isWindow() or widget.width() <= 1:
            continue
        if widget.visibleRegion().isEmpty():
            continue  # nothing of it on screen: a tab behind another (Qt parks it off screen)
        if isinstance(widget.parent(), QAbstractScrollArea) or widget.objectName().startswith(
                "qt_scrollarea"):
            continue  # the inside of a scroll area scrolls: its size is not cut off
        scroll = widget.parent()
        while scroll is not None and not isinstance(scroll, QAbstractScrollArea):
            scroll = scroll.parent()
        if scroll is not None:
            continue
        top_left = widget.mapTo(window, widget.rect().topLeft())
        rect = QRect(top_left, widget.size())
        if not frame.adjusted(-1, -1, 1, 1).contains(rect):
            bad.append(f"{type(widget).__name__} {widget.objectName()} {rect}")
    return bad


def test_a_new_window_opens_within_the_screen(qtbot, settings, tmp_path):
    window = MainWindow(settings, tmp_path / "recovery.nla")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    available = window.screen().availableGeometry()
    assert window.frameGeometry().width() <= available.width()
    assert window.frameGeometry().height() <= available.height()
    for name in ARRANGEMENTS:
        window.workspaces.switch(name)
        hint = window.minimumSizeHint()
        assert hint.width() <= 1280 and hint.height() <= 700, (name, hint)


def test_keys_switch_workspaces_each_with_its_own_panels(window, qtbot):
    window.load_example("quadratic")
    for number, name in enumerate(ARRANGEMENTS, start=1):
        qtbot.keyClick(window, Qt.Key(Qt.Key_0 + number), Qt.ControlModifier)
        assert window.workspaces.current == name
        assert visible_docks(window) == SHOWN[name]
        assert window.workspaces.actions[name].isChecked()
        assert window.graph_pane.isVisible() == (name in ("graph", "build"))  # Train: on demand


def test_each_workspace_remembers_its_layout_and_reset_restores_it(window, qtbot):
    workspaces = window.workspaces
    workspaces.switch("build")
    qtbot.wait(50)
    default = window.block_dock.width()
    window.resizeDocks([window.block_dock], [default + 200], Qt.Horizontal)
    qtbot.wait(50)
    moved = window.block_dock.width()
    assert moved > default + 100
    window.code_dock.show()  # a panel the user added to this workspace
    workspaces.switch("graph")
    assert not window.block_dock.isVisible()
    workspaces.switch("build")
    qtbot.wait(50)
    assert window.block_dock.width() == pytest.approx(moved, abs=4)
    assert window.code_dock.isVisible()
    workspaces.reset_action.trigger()
    qtbot.wait(50)
    assert not window.code_dock.isVisible()
    assert window.block_dock.width() == pytest.approx(default, abs=30)


def test_layouts_survive_a_restart_and_bad_settings_give_the_defaults(qtbot, settings, tmp_path):
    first = MainWindow(settings, tmp_path / "recovery.nla")
    qtbot.addWidget(first)
    first.show()
    first.workspaces.switch("train")
    first.timing_dock.show()
    first.close()
    second = MainWindow(settings, tmp_path / "recovery2.nla")
    qtbot.addWidget(second)
    second.show()
    assert second.workspaces.current == "train"
    assert second.timing_dock.isVisible() and second.training_dock.isVisible()
    second.close()
    settings.setValue("workspaces/train", "not a layout")
    settings.setValue("workspaces/current", "nowhere")
    third = MainWindow(settings, tmp_path / "recovery3.nla")
    qtbot.addWidget(third)
    third.show()
    assert third.workspaces.current == "graph"
    third.workspaces.switch("train")
    assert visible_docks(third) == SHOWN["train"]


@pytest.mark.parametrize("width, height", SIZES)
def test_every_workspace_fits_the_screen_and_names_stay_legible(window, qtbot, width, height):
    window.load_example("quadratic")
    window.resize(width, height)
    for name in ARRANGEMENTS:
        window.workspaces.switch(name)
        settle(qtbot, window)
        assert (window.width(), window.height()) == (width, height), name
        assert outside(window) == [], name
    window.workspaces.switch("graph")
    settle(qtbot, window)
    window.graph_pane.fit()
    view = window.graph_pane.view
    assert view.label_px() >= 12, f"op names {view.label_px():.1f} px tall after Fit"
    # a larger font makes the names larger on screen, never smaller
    before = view.label_px()
    window.toolbar.font_spin.setValue(18)
    settle(qtbot, window)
    window.graph_pane.fit()
    assert view.label_px() >= before - 0.5


@pytest.mark.parametrize("width, height", SIZES)
def test_presentation_mode_is_the_graph_and_the_card_only(window, qtbot, width, height):
    window.load_example("quadratic")
    window.resize(1280, 720)
    workspace = "graph" if width < 1500 else "build"  # Graph or Build: the graph and the card
    for name in ("build", "train", "time", "graph", "build", workspace):
        window.workspaces.switch(name)  # tabs made and moved on the way
        qtbot.wait(100)
    window.presentation.action.trigger()
    window.showNormal()  # a screen of this size (the offscreen one is 800×800)
    window.resize(width, height)
    settle(qtbot, window)
    window.document.set_step(3)
    window.graph_pane.fit()
    qtbot.wait(50)
    assert visible_docks(window) == {"stepper_dock"}
    assert not any(bar.isVisible() for bar in window.findChildren(QToolBar))
    assert not window.menuBar().isVisible() and not window.statusBar().isVisible()
    assert window.graph_pane.isVisible()
    from PySide6.QtWidgets import QTabBar
    stray = [bar for bar in window.findChildren(QTabBar) if bar.isVisible()
             and not bar.visibleRegion().isEmpty() and not window.stepper.isAncestorOf(bar)]
    assert stray == [], "tabs of hidden panels over the presentation"
    view = window.graph_pane.view
    assert view.label_px() >= 16, f"op names {view.label_px():.1f} px tall in presentation"
    current = window.graph_pane.box_of(window.document.step_view(3).current)
    item = window.graph_pane.scene.node_items[current]
    assert view.viewport().rect().contains(view.mapFromScene(item.sceneBoundingRect()).boundingRect())
    scroll = window.stepper.findChild(QAbstractScrollArea)
    for step in range(len(window.document.trace)):  # every card readable without scrolling
        window.document.set_step(step)
        qtbot.waitUntil(lambda: not window.presentation._fit_timer.isActive(), timeout=3000)
        qtbot.wait(30)
        assert scroll.verticalScrollBar().maximum() == 0, f"the card of step {step} scrolls"
        assert not scroll.horizontalScrollBar().isVisible()
        assert scroll.widget().minimumSizeHint().width() <= scroll.viewport().width() + 1, step
    assert window.toolbar.font_spin.value() >= 11
    assert outside(window) == []
    window.presentation.action.trigger()
    assert window.workspaces.current == workspace
    assert visible_docks(window) == SHOWN[workspace]
    assert window.menuBar().isVisible() and not window.graph_pane.view.min_label_px > 12


def test_stepping_follows_the_running_node(window, qtbot):
    window.load_example("quadratic")
    settle(qtbot, window)
    view = window.graph_pane.view
    view.set_zoom(3.0)  # only a few boxes in view
    doc = window.document
    for index in range(len(doc.trace)):
        doc.set_step(index)
        box = window.graph_pane.box_of(doc.step_view(index).current)
        item = window.graph_pane.scene.node_items[box]
        shown = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
        assert view.viewport().rect().intersects(shown), index


def test_after_ctrl_enter_the_arrow_keys_step(window, qtbot):
    window.load_example("quadratic")
    editor = window.code_panel.editor
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key_Return, Qt.ControlModifier)
    assert window.document.step is None
    focused = QApplication.focusWidget()
    qtbot.keyClick(focused, Qt.Key_Right)
    assert window.document.step == 0


def test_redo_keys_redo(window, qtbot):
    window.load_example("quadratic")
    doc = window.document
    window.code_panel.set_text("x = torch.ones(2, requires_grad=True)\ny = (x * 3).sum()\n")
    window.code_panel.request_capture()
    assert doc.graph.output.name == "y"
    window.undo_action.trigger()
    assert doc.graph.output.name == "f"
    for key in ("Ctrl+Shift+Z", "Ctrl+Y"):
        assert key in [s.toString() for s in window.redo_action.shortcuts()]
    window.activateWindow()
    window.graph_pane.view.setFocus()
    qtbot.keyClick(window.graph_pane.view, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert doc.graph.output.name == "y"


def test_show_graph_asks_before_replacing_the_users_code(window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox
    window.load_example("quadratic")
    answers = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: answers.append(a[2]) or QMessageBox.Cancel)
    window.training.request_graph()
    assert answers and window.document.graph.output.name == "f"
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    window.training.request_graph()
    assert window.document.title == "training step"
    window.undo_action.trigger()
    assert window.document.graph.output.name == "f"


def test_no_key_is_bound_twice(window):
    """A key bound twice is ambiguous and Qt triggers neither (Ctrl+Shift+Z once did nothing)."""
    from PySide6.QtGui import QAction, QShortcut
    seen: dict[str, str] = {}
    clashes = []
    for action in window.findChildren(QAction):
        keys = [k.toString() for k in action.shortcuts() if not k.isEmpty()]
        if len(set(keys)) != len(keys):
            clashes.append(f"{action.text()} lists a key twice: {keys}")
        for key in set(keys):
            if key in seen and seen[key] != action.text():
                clashes.append(f"{key}: {seen[key]!r} and {action.text()!r}")
            seen[key] = action.text()
    for shortcut in window.findChildren(QShortcut):
        if shortcut.context() == Qt.WindowShortcut and shortcut.key().toString() in seen:
            clashes.append(f"{shortcut.key().toString()}: a shortcut and {seen[shortcut.key().toString()]!r}")
    assert clashes == []


@pytest.mark.parametrize("width, height", SIZES)
def test_the_tour_shows_every_stop_on_top_beside_its_target(window, qtbot, width, height):
    window.resize(width, height)
    tour = window.help.start_tour()
    seen = []
    for index in range(len(tour.stops)):
        assert tour.index == index and tour.isVisible()
        qtbot.wait(30)
        geometry = tour.geometry()
        assert QRect(0, 0, window.width(), window.height()).contains(geometry), index
        for point in (geometry.center(), geometry.topLeft() + tour.rect().center() / 2):
            on_top = window.childAt(point)
            assert on_top is tour or tour.isAncestorOf(on_top), (index, on_top)
        target = tour.stops[index].target()
        if target is not None:
            assert target.isVisible(), index
            if target.width() < window.width() * 0.6:  # beside a narrow target, not over it
                centre = target.mapTo(window, target.rect().center())
                assert not geometry.contains(centre), index
        seen.append((window.workspaces.current, tour.title.text()))
        if index < len(tour.stops) - 1:
            assert tour.next_button.text() == "Next"
        else:
            assert tour.next_button.text() == "Done"
        qtbot.keyClick(tour, Qt.Key_Return)
    assert not tour.isVisible() and len(seen) == len(tour.stops)
    assert {w for w, _ in seen} == set(ARRANGEMENTS)  # the tour visits every workspace


def test_a_fresh_start_offers_nothing_to_undo(window, tmp_path):
    from nla_explorer.app import open_start
    assert open_start(window, None, "quadratic")
    assert not window.undo_action.isEnabled() and window.document.graph.output.name == "f"
    code = tmp_path / "cell.py"
    code.write_text("import torch\nx = torch.ones(2, requires_grad=True)\ny = (x * 2).sum()\n")
    assert open_start(window, str(code), None)
    assert not window.undo_action.isEnabled()


def test_after_presentation_mode_the_theme_still_reaches_every_widget(window, qtbot):
    """Leaving presentation once pinned the light palette on the window: dark text on dark."""
    window.preferences.set_theme("light")  # an explicit theme: a palette with every colour set
    window.load_example("quadratic")
    window.document.select(window.document.graph.find("x").id)
    window.presentation.action.trigger()
    window.presentation.action.trigger()
    window.preferences.set_theme("dark")
    qtbot.wait(150)
    title = window.inspector.title

    def text_and_ground() -> tuple[int, int]:
        corner = title.mapTo(window, title.rect().topLeft())  # as the window paints it
        image = window.grab(QRect(corner, title.size())).toImage()
        values = sorted(QColor(image.pixel(x, y)).lightness()
                        for x in range(0, image.width(), 2) for y in range(0, image.height(), 2))
        return values[0], values[len(values) // 2]  # the darkest pixel and the background

    darkest, ground = text_and_ground()
    assert ground < 90, "the dark theme's background did not reach the inspector"
    window.preferences.set_theme("light")
    qtbot.wait(50)
    darkest, ground = text_and_ground()
    assert ground > 170 and darkest < 90


def test_inspector_captions_are_readable_in_both_themes(window, qtbot):
    from nla_explorer.drawing.style import contrast
    window.load_example("quadratic")
    window.document.select(window.document.graph.find("x").id)
    qtbot.wait(120)
    def unreadable(theme):
        inspector = window.inspector
        ground = inspector.palette().color(inspector.backgroundRole()).name()
        for label in (inspector.subtitle, *inspector.findChildren(QLabel)):
            if not label.isVisible() or not label.text() or "background" in label.styleSheet():
                continue
            colour = label.palette().color(label.foregroundRole()).name()
            if contrast(colour, ground) < 4.5:
                return (theme, label.text(), colour, ground)
        return None

    for theme, tab in (("dark", 0), ("light", 2), ("dark", 3), ("dark", 2)):
        window.preferences.set_theme(theme)
        window.inspector.tabs.setCurrentIndex(tab)  # value, saved tensors, manual gradient
        # the captions follow the theme on the next event-loop turn (other windows repaint
        # first): wait for that, then nothing may stay unreadable
        try:
            qtbot.waitUntil(lambda: unreadable(theme) is None, timeout=3000)
        except qtbot.TimeoutError:
            pass
        assert unreadable(theme) is None, unreadable(theme)


def test_a_fitted_graph_fits_again_when_the_window_changes_size(window, qtbot):
    window.load_example("quadratic")
    settle(qtbot, window)
    view = window.graph_pane.view
    for width, height in SIZES:
        window.resize(width, height)
        qtbot.wait(60)
        shown = view.mapToScene(view.viewport().rect()).boundingRect()
        assert shown.contains(window.graph_pane.scene.itemsBoundingRect()) or \
            view.zoom() == pytest.approx(view.legible_zoom(), rel=0.01)
    view.zoom_by(2.0)  # the user's zoom is kept
    zoom = view.zoom()
    window.resize(1280, 720)
    qtbot.wait(60)
    assert view.zoom() == pytest.approx(zoom)


def test_every_style_sheet_parses(window, qtbot, qtlog):
    """Qt only warns about a style sheet it cannot read (and draws the widget unstyled)."""
    for example in ("quadratic", "hessian_quadratic", "polyfit_net"):
        window.load_example(example)
        for theme in ("light", "dark"):
            window.preferences.set_theme(theme)
            for name in ARRANGEMENTS:
                window.workspaces.switch(name)
                qtbot.wait(20)
    unread = [r.message for r in qtlog.records if "Could not parse stylesheet" in r.message]
    assert unread == []
