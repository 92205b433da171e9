"""The window's controls for module groups: the toolbar's Groups box and Fold repeats, the
preferences that store them, and View ▸ Minimap."""

import pytest
import torch
from PySide6.QtCore import QSettings

from nla_explorer.graph_view.groups.plan import ALL_DEPTHS, AUTO_DEPTH
from nla_explorer.preferences import GROUP_DEPTHS, load_preferences


@pytest.fixture(scope="module")
def transformer():
    """A 3-layer TransformerEncoder's loss, captured with its module calls (once: it takes a
    few seconds)."""
    from nla_explorer.engine.recording import capture_tensor, recording
    torch.manual_seed(0)
    with recording():
        layer = torch.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
        model = torch.nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
        y = model(torch.randn(2, 4, 16)).sum()
    return capture_tensor(y, models={"model": model})


def show(window, qtbot, cap) -> None:
    window.document.set_graph(cap.graph, cap.trace, "loss")
    qtbot.waitUntil(lambda: not window.busy() and window.graph_pane.picture is not None,
                    timeout=20_000)


def choose(window, qtbot, text: str) -> None:
    """Pick ``text`` in the toolbar's Groups box, as the user does, and wait for the picture."""
    combo = window.toolbar.groups_combo
    combo.setCurrentIndex(combo.findText(text))
    qtbot.waitUntil(lambda: not window.busy(), timeout=20_000)


def group_boxes(window) -> dict[str, str]:
    """The closed groups on screen: box id → its title."""
    return {n.id: n.title for n in window.graph_pane.picture.display.nodes if n.kind == "group"}


def test_the_groups_box_offers_each_depth_in_order(window):
    combo = window.toolbar.groups_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Auto", "All closed", "1 level", "2 levels", "3 levels", "All open"]
    assert [combo.itemData(i) for i in range(combo.count())] == [
        AUTO_DEPTH, 0, 1, 2, 3, ALL_DEPTHS]
    assert [depth for _, depth in GROUP_DEPTHS] == [AUTO_DEPTH, 0, 1, 2, 3, ALL_DEPTHS]


def test_all_closed_and_all_open(window, qtbot, transformer):
    show(window, qtbot, transformer)
    pane = window.graph_pane
    tree = pane.picture.tree
    assert tree and tree.deepest() == 4  # model ▸ fold of layers ▸ layer ▸ its submodules
    choose(window, qtbot, "All closed")
    assert pane.options.group_depth == 0
    assert set(group_boxes(window)) == set(tree.top_groups) == {"model@1"}
    assert pane.scene.frame_items == {}
    choose(window, qtbot, "All open")
    assert pane.options.group_depth == ALL_DEPTHS
    assert group_boxes(window) == {}
    assert set(pane.scene.frame_items) == set(pane.picture.tree.groups)
    choose(window, qtbot, "1 level")  # the outermost call open: its children are boxes
    assert set(pane.scene.frame_items) == {"model@1"}
    assert set(group_boxes(window)) == set(pane.picture.tree.groups["model@1"].groups)


def test_fold_repeats_off_shows_every_layer(window, qtbot, transformer):
    show(window, qtbot, transformer)
    choose(window, qtbot, "1 level")
    folded = group_boxes(window)
    assert any("×" in title for title in folded.values())  # layers 1–2 ×2: one box
    window.toolbar.fold_action.trigger()
    qtbot.waitUntil(lambda: not window.busy(), timeout=20_000)
    assert window.graph_pane.options.fold is False
    unfolded = group_boxes(window)
    assert not any("×" in title for title in unfolded.values())
    assert sorted(unfolded.values()) == ["layers.0", "layers.1", "layers.2"]


def test_a_font_change_keeps_the_chosen_depth(window, qtbot, transformer):
    show(window, qtbot, transformer)
    choose(window, qtbot, "All closed")
    window.toolbar.font_spin.setValue(14)
    window.toolbar.constants_action.trigger()
    qtbot.waitUntil(lambda: not window.busy(), timeout=20_000)
    assert window.graph_pane.options.group_depth == 0
    assert window.graph_pane.scene.frame_items == {}


def test_controls_are_greyed_without_groups(window, qtbot, transformer):
    tools = window.toolbar
    window.load_example("quadratic")
    qtbot.waitUntil(lambda: window.graph_pane.picture is not None, timeout=10_000)
    assert not window.graph_pane.picture.tree
    assert not tools.groups_combo.isEnabled() and not tools.fold_action.isEnabled()
    assert "no module groups" in tools.groups_combo.toolTip()
    show(window, qtbot, transformer)
    assert tools.groups_combo.isEnabled() and tools.fold_action.isEnabled()
    assert "double-click" in tools.groups_combo.toolTip()
    window.load_example("quadratic")
    qtbot.waitUntil(lambda: not tools.groups_combo.isEnabled(), timeout=10_000)


def test_the_preference_survives_a_new_window(window, qtbot, settings, tmp_path, transformer):
    show(window, qtbot, transformer)
    choose(window, qtbot, "2 levels")
    window.toolbar.fold_action.trigger()
    window.close()
    settings.sync()
    stored = load_preferences(QSettings(settings.fileName(), QSettings.IniFormat))
    assert (stored.group_depth, stored.fold_repeats) == (2, 0)
    from nla_explorer.main_window import MainWindow
    again = MainWindow(QSettings(settings.fileName(), QSettings.IniFormat), tmp_path / "r2.nla")
    qtbot.addWidget(again)
    assert again.toolbar.groups_combo.currentText() == "2 levels"
    assert not again.toolbar.fold_action.isChecked()
    assert (again.graph_pane.options.group_depth, again.graph_pane.options.fold) == (2, False)
    show(again, qtbot, transformer)
    assert set(again.graph_pane.scene.frame_items) == {"model@1", "model.layers.0@1",
                                                       "model.layers.1@1", "model.layers.2@1"}


def test_the_dialog_sets_the_toolbar_and_the_picture(window, qtbot, transformer):
    show(window, qtbot, transformer)
    dialog = window.preferences.open_dialog()
    assert dialog.depth_combo.currentData() == AUTO_DEPTH and dialog.fold_check.isChecked()
    dialog.depth_combo.setCurrentIndex(dialog.depth_combo.findData(0))
    dialog.fold_check.setChecked(False)
    dialog.accept()
    qtbot.waitUntil(lambda: not window.busy(), timeout=20_000)
    assert window.toolbar.groups_combo.currentText() == "All closed"
    assert not window.toolbar.fold_action.isChecked()
    assert window.graph_pane.options.group_depth == 0 and not window.graph_pane.options.fold
    assert window.graph_pane.scene.frame_items == {}
    choose(window, qtbot, "All open")  # the toolbar's change is what the dialog opens with
    again = window.preferences.open_dialog()
    assert again.depth_combo.currentData() == ALL_DEPTHS and not again.fold_check.isChecked()
    again.reject()


def test_minimap_entry_is_remembered(window, qtbot, settings, tmp_path):
    action = window.preferences.minimap_action
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert action in view_menu.actions()
    assert action.isCheckable() and action.isChecked()  # on by default
    calls = []
    view = window.graph_pane.view
    has_minimap = hasattr(view, "set_minimap_enabled")
    if has_minimap:
        real = view.set_minimap_enabled
        view.set_minimap_enabled = lambda on: (calls.append(on), real(on))
    action.trigger()
    assert not action.isChecked()
    assert calls == ([False] if has_minimap else [])  # the view is told, where it has one
    window.close()
    settings.sync()
    from nla_explorer.main_window import MainWindow
    again = MainWindow(QSettings(settings.fileName(), QSettings.IniFormat), tmp_path / "r2.nla")
    qtbot.addWidget(again)
    assert not again.preferences.minimap_action.isChecked()


def test_choosing_the_depth_again_forgets_the_groups_opened_by_hand(window, qtbot, transformer):
    show(window, qtbot, transformer)
    choose(window, qtbot, "All closed")
    pane = window.graph_pane
    pane.toggle_group("model@1")  # opened by hand
    qtbot.waitUntil(lambda: "model@1" in pane.scene.frame_items, timeout=10_000)
    combo = window.toolbar.groups_combo
    combo.activated.emit(combo.currentIndex())  # the user picks "All closed" again
    qtbot.waitUntil(lambda: not window.busy() and not pane.scene.frame_items, timeout=10_000)
    assert set(group_boxes(window)) == {"model@1"}
