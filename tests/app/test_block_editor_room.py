"""The Build workspace at 720p: a loaded expression leaves the whole dock below the toolbar to the
canvas (no parameter panel until a block is selected; the numbers are in the toolbar); a
selected block's fields get room without moving the blocks, and while the user edits they keep
it (the canvas does not jump at every click)."""

from __future__ import annotations

from nla_explorer.panels.block_editor import BlockEditorPanel


def on_screen(canvas, block_id: str):
    return canvas.mapFromScene(canvas.block_item(block_id).sceneBoundingRect().topLeft())


def test_the_parameters_take_what_the_selection_needs(window, qtbot):
    window.resize(1280, 720)
    window.load_example("quadratic")
    window.workspaces.switch("build")
    qtbot.wait(100)
    editor = window.findChild(BlockEditorPanel)
    canvas, area = editor.canvas, editor.params_area
    assert not area.isVisible() and editor.params.numbers_field.isVisible()
    assert canvas.height() >= editor.height() - editor.toolbar.height() - 4
    before = on_screen(canvas, "b6")
    canvas.select_blocks(["b6"])
    qtbot.wait(50)
    assert editor.params.block_id() == "b6"
    assert area.isVisible() and area.height() >= 120, "a selected block's fields get room"
    after = on_screen(canvas, "b6")
    assert abs(after.x() - before.x()) <= 2 and abs(after.y() - before.y()) <= 2, \
        "the block clicked stays where it was"
    assert canvas.viewport().rect().contains(
        canvas.mapFromScene(canvas.block_item("b6").sceneBoundingRect()).boundingRect())
    canvas.select_blocks([])
    qtbot.wait(50)
    assert area.isVisible() and area.height() >= 120, "editing: the room stays"
    window.load_example("least_squares")
    qtbot.wait(100)
    assert not area.isVisible(), "a new expression: the canvas gets the room again"
    assert canvas.height() >= editor.height() - editor.toolbar.height() - 4


def test_refused_numbers_say_why_below_the_toolbar(window, qtbot):
    window.resize(1280, 720)
    window.load_example("polyfit_net")
    window.workspaces.switch("build")
    qtbot.wait(50)
    editor = window.block_editor
    field, error = editor.params.numbers_field, editor.params.numbers_error
    assert not error.isVisible()
    field.setText("m = 20, n = 20")  # p is used by the blocks
    field.editingFinished.emit()
    qtbot.wait(20)
    assert error.isVisible() and "p" in error.text() and error.text().startswith("Numbers")
    assert error.geometry().top() >= editor.toolbar.geometry().bottom()
    assert field.text() == "m = 20, n = 20, p = 10"  # the last good numbers
    field.setText("m = 20, n = 20, p = 12")
    field.editingFinished.emit()
    qtbot.wait(20)
    assert not error.isVisible() and window.document.expression.number_dict["p"] == 12
