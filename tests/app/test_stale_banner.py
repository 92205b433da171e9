"""A graph that is not the code's says so: the banner above it, in the lecture's type size.

After an error (or with unfinished blocks) the last good graph stays on screen, as it should,
but beside other code; without a word on the graph itself a lecture hall takes it for the new
code's graph.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

BAD = "import torch\n\nx = torch.randn(3, requires_grad=True)\ny = (x * 2).sum(\ny.backward()\n"
GOOD = "import torch\n\nx = torch.ones(3, requires_grad=True)\ny = (x * 2).sum()\ny.backward()\n"


def test_an_error_marks_the_graph_kept_and_a_good_capture_clears_it(window, qtbot):
    window.load_example("quadratic")
    banner = window.graph_pane.banner
    assert not banner.isVisible()
    graph = window.document.graph
    window.code_panel.editor.setPlainText(BAD)
    qtbot.keyClick(window.code_panel.editor, Qt.Key_Return, Qt.ControlModifier)  # Capture
    qtbot.waitUntil(lambda: window.document.error != "", timeout=5000)
    assert window.document.graph is graph  # the last good graph is kept...
    assert banner.isVisible() and "last graph that ran" in banner.text()  # ...and says so
    assert "line 4" in banner.text() and "never closed" in banner.text()
    window.code_panel.editor.setPlainText(GOOD)
    qtbot.keyClick(window.code_panel.editor, Qt.Key_Return, Qt.ControlModifier)
    qtbot.waitUntil(lambda: window.document.graph is not graph, timeout=5000)
    assert not banner.isVisible()


def test_new_blocks_mark_the_graph_of_the_old_ones(window, qtbot):
    window.workspaces.switch("build")
    window.load_example("quadratic")
    banner = window.graph_pane.banner
    window.block_editor.new_action.trigger()
    assert window.document.problem and banner.isVisible()
    window.document.undo_stack.undo()
    assert not window.document.problem and not banner.isVisible()


def test_presenting_the_banner_is_as_big_as_the_graphs_type(window, qtbot):
    window.load_example("quadratic")
    window.code_panel.editor.setPlainText(BAD)
    qtbot.keyClick(window.code_panel.editor, Qt.Key_Return, Qt.ControlModifier)
    qtbot.waitUntil(lambda: window.document.error != "", timeout=5000)
    banner = window.graph_pane.banner
    small = banner.fontInfo().pixelSize()
    window.presentation.action.trigger()
    qtbot.wait(50)
    assert banner.isVisible()
    assert banner.fontInfo().pixelSize() >= max(24, 1.6 * small)


SHAPES = ("import torch\nA = torch.randn(3, 4, requires_grad=True)\nx = torch.randn(3)\n"
          "f = (A @ x).sum()\nf.backward()\n")  # a (3×4) @ (3,): the error names A


def test_the_kept_graph_fades_stays_fitted_and_the_same_example_brings_its_code_back(
        window, qtbot):
    """The audit's 720p picture: after a shape error the old graph stayed at full strength, A was
    centred (scroll bars, the minimap over the graph), and Examples ▸ the same example again left
    the broken code in the editor beside the example's graph."""
    window.resize(1280, 720)
    window.load_example("quadratic")
    view = window.graph_pane.view
    qtbot.waitUntil(lambda: view.fitted, timeout=5000)
    window.code_panel.set_text(SHAPES)
    window.code_panel.request_capture()
    qtbot.waitUntil(lambda: window.document.error != "", timeout=5000)
    assert view._faded and view.fitted  # washed out, and still the whole graph
    qtbot.waitUntil(lambda: not view.horizontalScrollBar().isVisible() and  # the banner's room
                    not view.verticalScrollBar().isVisible(), timeout=3000)  # taken: a new Fit
    faded = view.grab().toImage()
    window.load_example("quadratic")
    assert window.code_panel.text() == window.document.code and "n = 5" in window.document.code
    assert not view._faded and window.document.error == ""
    clear = view.grab().toImage()
    # the fade is visible: the boxes' dark outlines and text are gone from the faded picture
    assert darkest(faded) > darkest(clear) + 60


def darkest(image) -> int:
    return min(image.pixelColor(x, y).lightness() for x in range(0, image.width(), 3)
               for y in range(0, image.height(), 3))


def test_file_new_leaves_a_canvas_that_says_how_to_start(window, qtbot):
    """After New the block canvas was a blank white box; and New was only in the block editor's
    toolbar, where a lecturer looking in File would not find it."""
    window.workspaces.switch("build")
    window.load_example("quadratic")
    canvas = window.block_editor.canvas
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    new = next(a for a in file_menu.actions() if a.text() == "New")
    assert new.shortcut().toString() == "Ctrl+N"
    new.trigger()
    qtbot.waitUntil(lambda: not canvas._items, timeout=5000)
    empty = canvas.viewport().grab().toImage()
    middle = [empty.pixelColor(x, empty.height() // 2).lightness()
              for x in range(empty.width() // 4, 3 * empty.width() // 4)]
    assert min(middle) < 180  # the hint's text, across the middle of the blank canvas
