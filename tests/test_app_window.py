"""The first main window, driven like a user: examples, pasted code, Ctrl+Enter, errors, screenshot."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from nla_explorer.app import MainWindow

SHOTS = Path(__file__).resolve().parent / "screenshots"


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    return w


def rows(w):
    t = w.table
    return [[t.topLevelItem(i).text(c) for c in range(t.columnCount())]
            for i in range(t.topLevelItemCount())]


def test_opens_on_an_example_with_every_node(window):
    window.load_example("quadratic")
    table = rows(window)
    assert len(table) == len(window.exploration.graph) == 9
    assert table[0][2] == "SubBackward0" and table[0][3] == "f"
    assert {r[3] for r in table if r[2] == "AccumulateGrad"} == {"A", "x"}
    assert all(r[5] != "—" for r in table)  # every node shows its forward value
    assert "9 nodes" in window.statusBar().currentMessage()
    assert window.windowTitle().startswith("quadratic")


def test_ctrl_enter_captures_pasted_code(window, qtbot):
    window.editor.setPlainText("x = torch.randn(3, requires_grad=True)\ny = (x * x).sum()\n")
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key_Return, Qt.ControlModifier)
    assert [r[2] for r in rows(window)] == ["SumBackward0", "MulBackward0", "AccumulateGrad"]


def test_bad_code_keeps_the_last_good_graph(window, qtbot):
    window.load_example("norm")
    before = rows(window)
    window.editor.setPlainText("A = torch.randn(3, 4)\nB = torch.randn(5, 5)\nC = A @ B\n")
    assert window.capture_code() is False
    assert window.error_label.isVisible()
    assert "inner sizes 4 and 5 differ" in window.error_label.text()
    assert rows(window) == before
    window.editor.setPlainText("import os\n")
    assert window.capture_code() is False and "import os" in window.error_label.text()
    assert rows(window) == before


def test_details_show_value_gradient_and_manual_formula(window):
    window.load_example("quadratic_squared")
    table = window.table
    x_row = next(i for i in range(table.topLevelItemCount())
                 if table.topLevelItem(i).text(3) == "x")
    table.setCurrentItem(table.topLevelItem(x_row))
    html = window.details.toPlainText()
    assert "forward value" in html and "gradient" in html
    assert "chain rule 2f" in html and "seminar's manual" in html


def test_screenshot(window, qtbot):
    window.load_example("quadratic")
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / "main_window.png"
    image = window.grab()
    assert image.save(str(path))
    assert image.width() == 1280 and image.height() == 800
    # not blank: the table and the code both painted something dark on the light background
    img = image.toImage()
    dark = sum(1 for x in range(0, 1280, 8) for y in range(0, 800, 8)
               if img.pixelColor(x, y).lightness() < 100)
    assert dark > 100
