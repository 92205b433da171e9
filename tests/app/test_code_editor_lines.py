"""The code editor numbers its lines, and marks the line an error names ("line 9: …"): tinted in
the gutter and the text, scrolled into view, gone with the error."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette

from nla_explorer.panels.code_messages import line_named_in
from nla_explorer.panels.code_gutter import EditorColours
from tests.app.editor_panel import shown_code_panel

LONG = "".join(f"x{i} = torch.ones(3)\n" for i in range(1, 201))


@pytest.fixture
def panel(qtbot):
    return shown_code_panel(qtbot, LONG, 500, 400)


def row_top(editor, line: int) -> int:
    block = editor.document().findBlockByNumber(line - 1)
    return round(editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top())


def visible_lines(editor) -> range:
    first = editor.firstVisibleBlock().blockNumber() + 1
    rows = editor.viewport().height() // editor.fontMetrics().height()
    return range(first, first + rows)


def same(a, b, tolerance: int = 2) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a.getRgb()[:3], b.getRgb()[:3]))


def ink_columns(image, top: int, height: int, background) -> set[int]:
    """x positions in a row band whose pixels differ from ``background`` (drawn digits)."""
    return {x for x in range(image.width() - 2) for y in range(top + 2, top + height - 2)
            if not same(image.pixelColor(x, y), background, 24)}


def test_the_gutter_shows_a_number_for_each_visible_line(panel):
    editor = panel.editor
    gutter = editor.gutter
    image = gutter.grab().toImage()
    colours = EditorColours.of(editor.palette())
    height = editor.fontMetrics().height()
    digit = editor.fontMetrics().horizontalAdvance("9")
    right = gutter.width() - 2 * gutter.PAD  # the numbers end here, right-aligned
    widths = {}
    for line in (2, 9, 10, 11):
        ink = ink_columns(image, row_top(editor, line), height, colours.gutter)
        ink = {x for x in ink if right - 3 * digit <= x <= right}  # the numbers' column
        assert ink, f"no number drawn on line {line}"
        widths[line] = max(ink) - min(ink)
    assert widths[10] > widths[9] + digit / 2 and widths[11] > widths[2] + digit / 2
    assert gutter.width() >= 3 * digit  # room for "200"


def test_an_error_naming_a_line_marks_and_reveals_it(panel, qtbot):
    editor = panel.editor
    assert 150 not in visible_lines(editor)
    panel.show_error("line 150: inner sizes 3 and 4 differ (torch.mm)")
    assert panel.error_label.isVisible()
    assert editor.error_block == 149
    assert 150 in visible_lines(editor)  # scrolled to it
    tinted = [s for s in editor.extraSelections() if s.cursor.blockNumber() == 149]
    colours = EditorColours.of(editor.palette())
    assert len(tinted) == 1 and tinted[0].format.background().color() == colours.error_line
    qtbot.wait(20)
    image = editor.gutter.grab().toImage()
    top = row_top(editor, 150)
    assert same(image.pixelColor(2, top + 2), colours.error_line)  # the gutter's row too
    other = row_top(editor, 149)
    assert not same(image.pixelColor(2, other + 2), colours.error_line)
    viewport = editor.viewport().grab().toImage()
    assert same(viewport.pixelColor(viewport.width() - 3, top + 2), colours.error_line)
    panel.show_error("")  # the error went away
    assert editor.error_block is None and not panel.error_label.isVisible()
    assert 149 not in {s.cursor.blockNumber() for s in editor.extraSelections()}


def test_another_error_moves_the_mark_and_one_without_a_line_clears_it(panel):
    panel.show_error("line 3: the input 'w' was not given")
    assert panel.editor.error_block == 2
    panel.show_error("line 7: unknown dtype 'float'")
    assert panel.editor.error_block == 6
    panel.show_error("the output makes no tensor")
    assert panel.editor.error_block is None
    panel.show_error("line 999: past the end")
    assert panel.editor.error_block is None


@pytest.mark.parametrize("message, line", [
    ("line 9: inner sizes differ", 9), ("  line 12: x", 12), ("no line here", None),
    ("see line 4: not at the start", None), ("", None)])
def test_the_line_an_error_names(message, line):
    assert line_named_in(message) == line


def test_a_capture_error_in_the_window_marks_its_line(window, qtbot):
    code = window.code_panel
    code.set_text("import torch\na = torch.ones(2, 3)\nb = torch.ones(4, 5)\nc = a @ b\n")
    code.request_capture()
    qtbot.waitUntil(lambda: bool(window.document.error), timeout=30_000)
    assert window.document.error.startswith("line 4:")
    assert code.editor.error_block == 3
    code.set_text("import torch\na = torch.ones(2, 3, requires_grad=True)\nc = a.sum()\n")
    code.request_capture()
    qtbot.waitUntil(lambda: not window.document.error and window.document.graph is not None,
                    timeout=30_000)
    assert code.editor.error_block is None
    palette = code.editor.palette()
    assert palette.color(QPalette.Base) != palette.color(QPalette.Text)


def test_a_long_line_wraps_in_a_narrow_dock_and_keeps_its_number(qtbot):
    """At 1280×720 the Code dock is narrow: the Hessian example's key line ran off the edge
    ("…functional.hessi"). It wraps; the next line's number follows the wrapped rows."""
    long = ("H = torch.autograd.functional.hessian(lambda x: 0.5 * x @ A @ x - b @ x, x)\n"
            "y = H.sum()\n")
    panel = shown_code_panel(qtbot, long, 300, 300)
    editor = panel.editor
    assert editor.horizontalScrollBar().maximum() == 0  # nothing hidden to the right
    height = editor.fontMetrics().height()
    assert row_top(editor, 2) - row_top(editor, 1) >= 2 * height  # line 1 took two rows or more
    image = editor.gutter.grab().toImage()
    colours = EditorColours.of(editor.palette())
    assert ink_columns(image, row_top(editor, 2), height, colours.gutter)  # "2" beside line 2
    assert not ink_columns(image, row_top(editor, 1) + height, height, colours.gutter)  # no
    # number beside the wrapped row: it is still line 1


def test_the_error_box_is_in_the_codes_type_size(window, qtbot):
    """The red box under the code was 9 pt beside 11 pt code (its style sheet kept it from the
    panel's font), and stayed so when the Font box grew the code for a projector."""
    code = window.code_panel
    code.set_text("import torch\na = torch.ones(2, 3)\nb = torch.ones(4, 5)\nc = a @ b\n")
    code.request_capture()
    qtbot.waitUntil(lambda: bool(window.document.error), timeout=30_000)
    for points in (11, 20):
        window.toolbar.font_spin.setValue(points)
        qtbot.wait(20)
        editor_px = code.editor.fontInfo().pixelSize()
        assert code.error_label.fontInfo().pixelSize() >= 0.9 * editor_px, points
