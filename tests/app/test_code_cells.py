"""The code dock's notebook cells: gutter, ▶, Shift+Enter, Run all, Cancel, error line, output."""

from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPalette, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit

from nla_explorer.panels.run_output import MAX_CHARS, OutputEntry, RunOutput
from tests.app.editor_panel import shown_code_panel

SHOTS = Path(__file__).resolve().parent / "screenshots"
THREE_CELLS = """# %% In[1]
import torch
x = torch.randn(3, requires_grad=True)
print(x)

# %% In[2]
y = (x * x).sum()
y.backward()

# %% In[3]
z = x @ torch.ones(4)
print(z)
"""


@pytest.fixture
def panel(qtbot):
    return shown_code_panel(qtbot, THREE_CELLS, 600, 500)


def put_cursor(panel, line: int) -> None:
    """The text cursor at the start of the 1-based ``line``; the editor has the focus."""
    block = panel.editor.document().findBlockByNumber(line - 1)
    panel.editor.setTextCursor(QTextCursor(block))
    panel.editor.setFocus()


def block_top(editor, line: int) -> int:
    block = editor.document().findBlockByNumber(line - 1)
    return round(editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top())


def png_bytes(width: int = 320, height: int = 200) -> bytes:
    image = QImage(width, height, QImage.Format_RGB32)
    image.fill(QColor("white"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    assert image.save(buffer, "PNG")
    return bytes(data)


def selected_blocks(editor) -> set[int]:
    return {s.cursor.blockNumber() for s in editor.extraSelections()}


def test_shift_enter_asks_to_run_the_cell_at_the_cursor(panel, qtbot):
    put_cursor(panel, 7)
    with qtbot.waitSignal(panel.run_cell_requested, timeout=1000) as run:
        qtbot.keyClick(panel.editor, Qt.Key_Return, Qt.ShiftModifier)
    assert run.args == [7]
    assert panel.text() == THREE_CELLS  # no newline typed


def test_ctrl_shift_enter_asks_to_run_all_and_ctrl_enter_still_captures(panel, qtbot):
    put_cursor(panel, 3)
    with qtbot.assertNotEmitted(panel.capture_requested):
        with qtbot.waitSignal(panel.run_all_requested, timeout=1000):
            qtbot.keyClick(panel.editor, Qt.Key_Return, Qt.ControlModifier | Qt.ShiftModifier)
    with qtbot.assertNotEmitted(panel.run_all_requested):
        with qtbot.waitSignal(panel.capture_requested, timeout=1000) as capture:
            qtbot.keyClick(panel.editor, Qt.Key_Return, Qt.ControlModifier)
    assert capture.args == [THREE_CELLS]


def test_a_click_on_the_gutter_run_mark_asks_to_run_that_cell(panel, qtbot):
    editor, gutter = panel.editor, panel.editor.gutter
    assert set(editor.run_blocks()) == {0, 5, 9}
    y = block_top(editor, 6) + editor.fontMetrics().height() // 2
    with qtbot.waitSignal(panel.run_cell_requested, timeout=1000) as run:
        qtbot.mouseClick(gutter, Qt.LeftButton, pos=QPoint(8, y))
    assert run.args == [6]
    y = block_top(editor, 7) + editor.fontMetrics().height() // 2  # no marker: nothing
    with qtbot.assertNotEmitted(panel.run_cell_requested):
        qtbot.mouseClick(gutter, Qt.LeftButton, pos=QPoint(8, y))


def test_without_markers_the_first_line_has_the_run_mark(panel, qtbot):
    panel.set_text("x = 1\nprint(x)\n")
    assert panel.editor.run_blocks() == (0,)
    y = block_top(panel.editor, 1) + 2
    with qtbot.waitSignal(panel.run_cell_requested, timeout=1000) as run:
        qtbot.mouseClick(panel.editor.gutter, Qt.LeftButton, pos=QPoint(8, y))
    assert run.args == [1]


def test_the_run_buttons_ask_for_the_cursor_cell_and_all(panel, qtbot):
    put_cursor(panel, 11)
    with qtbot.waitSignal(panel.run_cell_requested, timeout=1000) as run:
        panel.run_cell_button.click()
    assert run.args == [11]
    with qtbot.waitSignal(panel.run_all_requested, timeout=1000):
        panel.run_all_button.click()
    assert "separate process" in panel.run_cell_button.toolTip()
    assert "separate process" in panel.run_all_button.toolTip()


def test_cancel_shows_only_while_running_and_asks_to_cancel(panel, qtbot):
    assert not panel.cancel_button.isVisible()
    panel.set_running(True, "Running In[3] as Python… 2.1 s")
    assert panel.cancel_button.isVisible() and panel.is_running()
    assert not panel.run_cell_button.isEnabled() and not panel.run_all_button.isEnabled()
    assert panel.status_label.isVisible()
    assert panel.status_label.text() == "Running In[3] as Python… 2.1 s"
    with qtbot.assertNotEmitted(panel.run_cell_requested):
        put_cursor(panel, 2)
        qtbot.keyClick(panel.editor, Qt.Key_Return, Qt.ShiftModifier)
    with qtbot.waitSignal(panel.cancel_requested, timeout=1000):
        panel.cancel_button.click()
    panel.set_running(False)
    assert not panel.cancel_button.isVisible() and not panel.status_label.isVisible()
    assert panel.run_cell_button.isEnabled() and panel.run_all_button.isEnabled()


def test_markers_are_tinted_full_width(panel):
    assert selected_blocks(panel.editor) == {0, 5, 9}
    panel.set_text("a = 1\n# %% In[2]\nb = 2\n")
    assert selected_blocks(panel.editor) == {1}


def test_the_error_line_is_marked_and_editing_clears_it(panel, qtbot):
    panel.mark_error_line(11)
    editor = panel.editor
    error = [s for s in editor.extraSelections() if s.cursor.blockNumber() == 10]
    assert len(error) == 1
    assert error[0].format.background().color().red() > error[0].format.background().color().blue()
    assert editor.textCursor().blockNumber() == 10
    panel.highlighter.rehighlight()  # recolouring is no edit
    assert 10 in selected_blocks(editor)
    qtbot.keyClick(editor, Qt.Key_A)
    assert 10 not in selected_blocks(editor) and editor.error_block is None
    panel.mark_error_line(2)
    assert 1 in selected_blocks(editor)
    panel.mark_error_line(None)
    assert selected_blocks(editor) == {0, 5, 9}
    panel.mark_error_line(999)  # past the end: nothing to mark
    assert editor.error_block is None


def test_show_error_still_works_beside_the_error_line(panel):
    panel.show_error("line 11: inner sizes 3 and 4 differ")
    panel.mark_error_line(11)
    assert panel.error_label.isVisible() and "inner sizes" in panel.error_label.text()
    panel.show_error("")
    assert not panel.error_label.isVisible()


def test_the_gutter_widens_with_the_digits_and_the_font(panel):
    panel.set_text("\n".join("x = 1" for _ in range(9)))
    narrow = panel.editor.gutter.width()
    panel.set_text("\n".join("x = 1" for _ in range(1000)))
    wide = panel.editor.gutter.width()
    assert wide > narrow
    assert panel.editor.viewportMargins().left() == wide
    panel.set_font_size(22)
    assert panel.editor.gutter.width() > wide


def test_run_output_shows_text_error_and_figure(qtbot):
    output = RunOutput()
    qtbot.addWidget(output)
    output.resize(400, 600)
    output.show()
    output.show_result([OutputEntry("In[1]", "tensor([1., 2.])\n", (png_bytes(800, 400),)),
                        OutputEntry("In[2]", "", error="RuntimeError: size mismatch")])
    headers = [w.text() for w in output.findChildren(QLabel, "output_header")]
    assert headers == ["In[1]", "In[2]"]
    assert output.texts() == ["tensor([1., 2.])", "RuntimeError: size mismatch"]
    error = output.findChild(QPlainTextEdit, "output_error")
    assert error.palette().color(QPalette.Text).red() > 150
    figure = output.findChild(QLabel, "output_figure")
    assert not figure.pixmap().isNull()
    assert figure.pixmap().width() <= output.scroll.viewport().width()  # scaled to fit
    output.set_font_size(20)
    assert error.font().pointSize() == 20
    output.clear()
    assert output.texts() == [] and output.findChildren(QLabel, "output_figure") == []


def test_run_output_caps_long_text(qtbot):
    output = RunOutput()
    qtbot.addWidget(output)
    output.show_result([OutputEntry("Out", "x" * (MAX_CHARS + 12_345))])
    assert len(output.texts()[0]) == MAX_CHARS
    notes = [w.text() for w in output.findChildren(QLabel, "output_note")]
    assert notes == ["… 12,345 more characters not shown"]


def test_the_output_pane_appears_with_the_first_result(panel, qtbot):
    assert panel.output.isHidden()
    panel.output.show_result([])
    assert panel.output.isHidden()
    panel.output.show_result([OutputEntry("In[1]", "hello\n")])
    assert panel.output.isVisible()
    assert min(panel.splitter.sizes()) > 0


def test_screenshot_of_three_cells_and_an_error(panel, qtbot):
    panel.mark_error_line(11)
    printed = "tensor([0.34, 0.13, 0.23], requires_grad=True)\n"
    panel.output.show_result([OutputEntry("In[1]", printed, (png_bytes(),)),
                              OutputEntry("In[3]", "", error="RuntimeError: size mismatch")])
    panel.set_running(True, "Running In[3] as Python… 2.1 s")
    qtbot.wait(50)
    SHOTS.mkdir(exist_ok=True)
    assert panel.grab().save(str(SHOTS / "code_cells.png"))  # to look at; not an approved image
