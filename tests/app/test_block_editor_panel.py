"""The block editor panel on a document: New, select all, the code view in step with the blocks,
"unconnected" wording, legible block text at the Build workspace's size, the dark theme."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QLabel, QLineEdit

from nla_explorer.document import Document
from nla_explorer.drawing.style import ViewStyle, contrast
from nla_explorer.engine import EXAMPLES, to_code
from nla_explorer.engine.blocks.edits import Clear
from nla_explorer.panels.palette import PalettePanel
from tests.app.build_gestures import BuildPanels, Hands


@pytest.fixture
def build(qtbot):
    document = Document()
    panels = BuildPanels(document)
    qtbot.addWidget(panels)
    panels.show()
    qtbot.waitExposed(panels)
    assert document.load_example("quadratic")
    return panels


def texts_shown(panels) -> list[str]:
    """Every text a user can read in the block editor: block looks, fields, labels, tooltips."""
    out = []
    for item in panels.editor.canvas.block_items():
        look = item.look
        out += [look.title, look.summary, look.error, item.toolTip()]
        out += [label for _, label in look.inputs]
        out += [port.toolTip() for port in item.ports()]
    for widget in panels.editor.params.findChildren(QLineEdit):
        out += [widget.text(), widget.placeholderText(), widget.toolTip()]
    out += [label.text() for label in panels.editor.params.findChildren(QLabel)]
    return out


def test_new_empties_the_blocks_and_the_code_and_undo_brings_them_back(build, qtbot):
    doc, editor = build.document, build.editor
    before, code = doc.expression, doc.code
    Hands(qtbot, build.palette, editor).button(editor.new_action)
    assert doc.expression.blocks == () and doc.expression.numbers == ()
    assert doc.code == "" and build.editor.canvas.block_items() == []
    assert doc.undo_stack.undoText() == "New blocks"
    doc.undo_stack.undo()
    assert doc.expression == before and doc.code == code
    assert len(editor.canvas.block_items()) == len(before.blocks)


def test_ctrl_a_then_delete_removes_every_block_and_the_code_follows(build, qtbot):
    doc, canvas = build.document, build.editor.canvas
    codes = []
    doc.code_changed.connect(codes.append)
    hands = Hands(qtbot, build.palette, build.editor)
    hands.key(Qt.Key_A, Qt.ControlModifier)
    assert set(canvas.selected_ids()) == set(doc.expression.ids) - {
        b.id for b in doc.expression.blocks if b.op == "backward"}
    assert build.editor.params.block_id() is None  # several selected: no block's fields
    hands.key(Qt.Key_Delete)
    assert doc.expression.blocks == () and canvas.block_items() == []
    assert codes[-1] == doc.code == "import torch\n\nn = 5\n"  # the number n stays; no stale f
    doc.undo_stack.undo()
    assert doc.code == EXAMPLES["quadratic"].code == codes[-1]  # the course's own text


def test_select_all_action_and_canvas_menu(build):
    canvas = build.editor.canvas
    build.editor.select_all_action.trigger()
    assert len(canvas.selected_ids()) == len(canvas.block_items()) > 1
    canvas.select_blocks([])
    menu = canvas.canvas_menu()
    next(a for a in menu.actions() if a.text() == "Select all").trigger()
    assert len(canvas.selected_ids()) == len(canvas.block_items())


def test_unfinished_blocks_show_their_own_code_with_unconnected_inputs(build, qtbot):
    doc = build.document
    hands = Hands(qtbot, build.palette, build.editor)
    hands.button(build.editor.new_action)
    hands.request("randn_parameter")
    hands.type("name", "x")
    hands.request("mul")  # x feeds mul's b; a is left open
    assert "x = torch.randn((3, 3), requires_grad=True)\n" in doc.code
    assert "unconnected * x" in doc.code
    assert doc.code.startswith("# unfinished: block b2 (mul): input 'a' is unconnected\n")
    assert "unconnected" in doc.problem and "Hole(" not in doc.problem
    hands.type("a", "0.5")
    assert doc.code == to_code(doc.expression) and "0.5 * x" in doc.code and not doc.problem


def test_unwired_inputs_read_unconnected_everywhere(build, qtbot):
    doc = build.document
    hands = Hands(qtbot, build.palette, build.editor)
    hands.button(build.editor.new_action)
    hands.request("matmul")
    mm = hands.new_block()
    item = build.editor.canvas.block_item(mm)
    assert [label for _, label in item.look.inputs] == ["a: unconnected", "b: unconnected"]
    assert item.look.error == "input 'a' is unconnected"
    hands.request("mul")  # fed by the matmul; its a takes a number
    params = build.editor.params
    assert params.field("a").text() == "" and "unconnected" in params.field("a").placeholderText()
    assert "wired from" in params.field("b").placeholderText()
    shapes, errors = doc.diagnosis()
    assert errors[mm] == "input 'a' is unconnected"
    shown = texts_shown(build)
    assert any("unconnected" in text for text in shown)
    assert not any("Hole" in text for text in shown), [t for t in shown if "Hole" in t]


def test_block_op_names_are_legible_in_the_build_workspace(build, qtbot):
    canvas = build.editor.canvas
    assert canvas.viewport().width() >= 500  # the parameters sit below the canvas, not beside
    assert canvas.label_px() >= 12  # the quadratic as loaded: fitted at a legible zoom
    for item in canvas.block_items():
        assert item.op_label_px(canvas.zoom()) >= 12
    Hands(qtbot, build.palette, build.editor).button(build.editor.new_action)
    canvas.resetTransform()  # the default zoom
    assert canvas.label_px() >= 12


def test_numbers_field_defines_names_and_refuses_bad_text(build, qtbot):
    doc = build.document
    hands = Hands(qtbot, build.palette, build.editor)
    hands.button(build.editor.new_action)
    hands.type("numbers", "n = 4, m = 2")
    assert doc.expression.numbers == (("n", 4), ("m", 2)) and doc.code.startswith("import torch")
    hands.request("randn")  # its shape follows the first named size
    assert "torch.randn((n, n))" in doc.code
    hands.key(Qt.Key_Escape)
    hands.type("numbers", "m = 2")  # n is used: refused, the field reverts
    params = build.editor.params
    assert "uses it" in params.numbers_error.text() and doc.expression.number_dict["n"] == 4
    assert params.numbers_field.text() == "n = 4, m = 2"
    hands.type("numbers", "n = 4, m")
    assert "'m' is not" in params.numbers_error.text()


def _pixels_contrast(image: QImage, background: QColor) -> float:
    """The strongest contrast of any pixel of ``image`` with ``background``."""
    best = 1.0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            best = max(best, contrast(image.pixelColor(x, y), background))
    return best


def test_dark_theme_search_text_wires_and_ports_are_light_on_dark(build, qtbot):
    dark = ViewStyle.dark()
    build.palette.set_view_style(dark)
    build.editor.set_view_style(dark)
    box = build.palette.search_box
    box.setText("matmul")
    qtbot.wait(10)
    image = box.grab().toImage()
    background = image.pixelColor(image.width() - 6, image.height() // 2)
    assert contrast(background, dark.surface) < 1.2  # the field is dark
    text_area = image.copy(box.width() // 8, 4, box.width() // 2, box.height() - 8)
    assert _pixels_contrast(text_area, background) >= 4.5  # and its text reads on it
    canvas = build.editor.canvas
    wires = canvas.wire_items()
    assert wires and all(contrast(w.pen().color(), dark.canvas) >= 4.5 for w in wires)
    rings = [port.pen().color() for item in canvas.block_items() for port in item.ports()]
    assert rings and all(contrast(c, dark.canvas) >= 4.5 for c in rings)
    build.document.edit_blocks(Clear())
    build.document.undo_stack.undo()  # blocks drawn anew keep the dark style
    assert all(contrast(w.pen().color(), dark.canvas) >= 4.5 for w in canvas.wire_items())


def test_palette_takes_the_style_it_is_given(qtbot):
    panel = PalettePanel(view_style=ViewStyle.dark())
    qtbot.addWidget(panel)
    assert panel.search_box.palette().color(panel.search_box.palette().ColorRole.Text) == \
        QColor(ViewStyle.dark().surface_text)
    panel.set_view_style(ViewStyle.light())
    assert "background-color: #ffffff" in panel.search_box.styleSheet()
