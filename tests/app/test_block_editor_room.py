"""The Build workspace at 720p: below the canvas, the parameters take a line and the numbers
when an expression is loaded, and grow for a selected block's fields without moving the blocks;
while the user edits, they keep that room (the canvas does not jump at every click)."""

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
    compact = editor.params.minimumSizeHint().height()
    assert area.height() <= compact + 2 and not area.verticalScrollBar().isVisible()
    assert canvas.height() >= 0.8 * (editor.height() - editor.toolbar.height())
    before = on_screen(canvas, "b6")
    canvas.select_blocks(["b6"])
    qtbot.wait(50)
    assert editor.params.block_id() == "b6"
    assert area.height() >= compact + 60, "a selected block's fields get room"
    after = on_screen(canvas, "b6")
    assert abs(after.x() - before.x()) <= 2 and abs(after.y() - before.y()) <= 2, \
        "the block clicked stays where it was"
    assert canvas.viewport().rect().contains(
        canvas.mapFromScene(canvas.block_item("b6").sceneBoundingRect()).boundingRect())
    canvas.select_blocks([])
    qtbot.wait(50)
    assert area.height() >= compact + 60, "editing: the room stays"
    window.load_example("least_squares")
    qtbot.wait(100)
    assert area.height() <= compact + 2, "a new expression: the canvas gets the room again"
