"""The block editor inside the window: palette → canvas → document, live graph, errors, undo."""

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from nla_explorer.engine.blocks import edits as E
from nla_explorer.main_window import MainWindow
from tests.app.approved import assert_looks_approved, settled

SHOTS = Path(__file__).resolve().parent / "screenshots"




def test_example_blocks_appear_on_the_canvas(window):
    window.load_example("relu_layer")
    canvas = window.block_editor.canvas
    assert set(canvas.positions()) == set(window.document.expression.ids)
    assert canvas.expression() == window.document.expression


def test_palette_block_then_wiring_updates_the_graph_live(window):
    window.load_example("relu_layer")
    doc = window.document
    graph_before = doc.graph
    out_id = doc.expression.output
    window.blocks_palette.block_requested.emit("tanh")  # double-click in the palette
    new_id = doc.expression.blocks[-1].id
    assert doc.expression.blocks[-1].op == "tanh"
    assert doc.problem and "unconnected" in doc.problem
    assert doc.graph is graph_before  # the last good graph stays
    assert window.block_editor.canvas.block_item(new_id) is not None
    window.block_editor.apply(E.Connect(out_id, new_id, "x"))
    window.block_editor.apply(E.SetOutput(new_id))
    assert doc.problem == ""
    assert doc.graph is not graph_before
    assert doc.graph.output.op == "TanhBackward0"
    assert "torch.tanh(out)" in window.code_panel.text()


def test_bad_wiring_shows_on_the_block_and_undo_restores(window):
    window.load_example("relu_layer")
    doc = window.document
    before = doc.expression
    a = next(b.id for b in before.blocks if b.name == "A")
    matmul = next(b.id for b in before.blocks if b.op == "matmul")
    window.block_editor.apply(E.Connect(a, matmul, "b"))  # (3×4) @ (3×4)
    assert "inner sizes 4 and 3 differ" in doc.problem
    errors = window.block_editor.canvas.block_item(matmul)
    assert errors is not None
    window.undo_action.trigger()
    assert doc.expression == before and doc.problem == ""


def test_window_with_block_editor_screenshot(window):
    window.load_example("relu_layer")
    window.block_editor.canvas.select_blocks([])
    SHOTS.mkdir(exist_ok=True)
    assert_looks_approved(settled(window), "window_blocks_relu_layer")


def test_block_edits_undo_to_identical_json_and_redo(window):
    import json

    from nla_explorer.engine.sessions.nla_file import expression_to_json

    def snapshot():
        return json.dumps(expression_to_json(window.document.expression,
                                             window.document.positions), sort_keys=True)
    window.load_example("quadratic")
    original = snapshot()
    doc = window.document
    x = next(b.id for b in doc.expression.blocks if b.name == "x")
    steps = [E.AddBlock("exp", (), (10.0, 20.0)), E.MoveBlocks(((x, (300.0, 40.0)),)),
             E.Rename(x, "v")]
    after = []
    for edit in steps:
        assert window.block_editor.apply(edit)
        after.append(snapshot())
    for _ in steps:
        window.undo_action.trigger()
    assert snapshot() == original
    for expected in after:
        window.redo_action.trigger()
        assert snapshot() == expected


@pytest.mark.parametrize("name", ["quadratic", "quadratic_squared", "norm", "relu_layer",
                                  "least_squares", "inverse_matrix", "polyfit_net", "sum_squares"])
def test_code_blocks_code_round_trip_for_every_example(name):
    from nla_explorer.engine import EXAMPLES, parse_code, to_code
    blocks = parse_code(EXAMPLES[name].code)
    code = to_code(blocks)
    assert parse_code(code) == blocks
    assert to_code(parse_code(code)) == code


def test_unfinished_blocks_are_saved_and_reopened(window, qtbot, tmp_path):
    window.load_example("relu_layer")
    window.blocks_palette.block_requested.emit("tanh")  # left unconnected: the work is unfinished
    assert window.document.problem
    path = tmp_path / "unfinished.nla"
    assert window.sessions.save_to(path)
    other = MainWindow(QSettings(str(tmp_path / "o.ini"), QSettings.IniFormat), tmp_path / "o.nla")
    qtbot.addWidget(other)
    other.load_example("norm")
    assert other.open_path(str(path))
    assert other.document.expression == window.document.expression
    assert "unconnected" in other.document.problem
    assert other.document.positions == window.document.positions


def test_auto_arrange_from_the_canvas_menu_is_one_undoable_move(window):
    window.load_example("relu_layer")
    doc = window.document
    before = doc.positions
    menu = window.block_editor.canvas.canvas_menu()
    arrange = next(a for a in menu.actions() if a.text() == "Auto-arrange")
    arrange.trigger()
    assert set(doc.positions) == set(doc.expression.ids)
    assert doc.undo_stack.undoText() == "Move blocks"
    window.undo_action.trigger()
    assert doc.positions == before


def test_build_workspace_at_720p_legible_blocks_that_follow_the_palette(window, qtbot):
    window.resize(1280, 720)
    window.workspaces.switch("build")
    window.load_example("quadratic")
    qtbot.wait(50)
    canvas, params = window.block_editor.canvas, window.block_editor.params
    assert canvas.isVisible() and canvas.label_px() >= 12
    assert all(item.op_label_px(canvas.zoom()) >= 12 for item in canvas.block_items())
    assert all(item.port_label_px(canvas.zoom()) >= 12 for item in canvas.block_items())
    window.block_editor.new_action.trigger()
    assert window.document.code == "" and not canvas.block_items()
    window.blocks_palette.block_requested.emit("randn_parameter")  # as a double-click does
    first = window.document.expression.blocks[-1].id
    assert canvas.selected_ids() == [first] and params.block_id() == first
    assert canvas.visible_rect().contains(canvas.block_item(first).footprint())
    window.blocks_palette.block_requested.emit("relu")  # fed by the selected randn
    relu = window.document.expression.blocks[-1]
    assert relu.inputs == (first,) and params.block_id() == relu.id
    assert not canvas.block_item(first).footprint().intersects(
        canvas.block_item(relu.id).footprint())
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key_A, Qt.ControlModifier)  # the canvas' own, not a window action
    assert set(canvas.selected_ids()) == {first, relu.id}
    qtbot.keyClick(canvas, Qt.Key_Delete)
    assert not window.document.expression.blocks and window.code_panel.text() == ""
    window.undo_action.trigger()
    assert len(window.document.expression.blocks) == 2
    assert "torch.relu(" in window.code_panel.text()

