"""The block palette panel: search, signals, drag data, tooltips and a screenshot."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QTextDocument

from nla_explorer.engine.blocks.palette_entries import palette_entries
from nla_explorer.panels.palette import MIME_TYPE, PalettePanel, block_icon, tooltip_html
from tests.app.approved import assert_looks_approved, settled

SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture
def panel(qtbot):
    widget = PalettePanel()
    qtbot.addWidget(widget)
    widget.resize(300, 700)
    return widget


def test_panel_shows_everything_expanded(panel):
    assert panel.visible_keys() == [entry.key for entry in palette_entries()]
    tree = panel.tree
    assert all(tree.topLevelItem(i).isExpanded() for i in range(tree.topLevelItemCount()))
    assert panel.search_box.placeholderText() == "Search blocks…"
    assert panel.search_box.isClearButtonEnabled()
    assert panel.entry("randn_parameter").preset == (("requires_grad", True),)


def test_search_filters_and_hints(panel, qtbot):
    panel.show()
    qtbot.keyClicks(panel.search_box, "mat")
    assert panel.visible_keys()[0] == "matmul"
    assert "add" not in panel.visible_keys()
    assert panel.current_key() == "matmul"
    panel.set_search_text("1 / (1")
    assert panel.visible_keys()[0] == "sigmoid"
    panel.set_search_text("qwertz")
    assert panel.visible_keys() == []
    assert panel.hint.isVisible() and "No block matches" in panel.hint.text()
    panel.search_box.clear()
    assert not panel.hint.isVisible()
    assert len(panel.visible_keys()) == len(palette_entries())


def test_enter_in_search_requests_first_match(panel, qtbot):
    panel.show()
    qtbot.keyClicks(panel.search_box, "sigm")
    with qtbot.waitSignal(panel.block_requested, timeout=1000) as blocker:
        qtbot.keyClick(panel.search_box, Qt.Key_Return)
    assert blocker.args == ["sigmoid"]
    panel.set_search_text("nothing like this")
    with qtbot.assertNotEmitted(panel.block_requested):
        qtbot.keyClick(panel.search_box, Qt.Key_Return)


def test_escape_clears_search(panel, qtbot):
    panel.show()
    qtbot.keyClicks(panel.search_box, "relu")
    qtbot.keyClick(panel.search_box, Qt.Key_Escape)
    assert panel.search_box.text() == ""
    assert len(panel.visible_keys()) == len(palette_entries())


def test_down_then_enter_in_tree(panel, qtbot):
    panel.show()
    qtbot.keyClicks(panel.search_box, "relu")
    qtbot.keyClick(panel.search_box, Qt.Key_Down)
    assert panel.current_key() == "relu"
    with qtbot.waitSignal(panel.block_requested, timeout=1000) as blocker:
        qtbot.keyClick(panel.tree, Qt.Key_Return)
    assert blocker.args == ["relu"]


def _double_click(qtbot, tree, pos):
    # QAbstractItemView only honours a double-click on the index pressed before it
    qtbot.mouseClick(tree.viewport(), Qt.LeftButton, pos=pos)
    qtbot.mouseDClick(tree.viewport(), Qt.LeftButton, pos=pos)


def test_double_click_requests_block(panel, qtbot):
    panel.show()
    qtbot.waitExposed(panel)
    header = panel.tree.topLevelItem(1)  # parameters
    item = header.child(0)
    rect = panel.tree.visualItemRect(item)
    with qtbot.waitSignal(panel.block_requested, timeout=1000) as blocker:
        _double_click(qtbot, panel.tree, rect.center())
    assert blocker.args == ["randn_parameter"]
    with qtbot.assertNotEmitted(panel.block_requested):  # a header only folds
        _double_click(qtbot, panel.tree, panel.tree.visualItemRect(header).center())


def test_drag_mime_data(panel):
    mime = panel.mime_data("matmul")
    assert MIME_TYPE in mime.formats()
    assert bytes(mime.data(MIME_TYPE)).decode("utf-8") == "matmul"
    assert mime.text() == "matmul"
    item = panel.tree.topLevelItem(0).child(0)
    from_tree = panel.tree.mimeData([item])
    assert bytes(from_tree.data(MIME_TYPE)).decode("utf-8") == "randn"
    assert MIME_TYPE in panel.tree.mimeTypes()
    header = panel.tree.topLevelItem(0)
    assert not header.flags() & Qt.ItemIsDragEnabled and item.flags() & Qt.ItemIsDragEnabled


def test_tooltips_contain_formula_and_code(panel):
    tree = panel.tree
    for i in range(tree.topLevelItemCount()):
        header = tree.topLevelItem(i)
        for j in range(header.childCount()):
            item = header.child(j)
            entry = panel.entry(item.data(0, Qt.UserRole + 1))
            document = QTextDocument()
            document.setHtml(item.toolTip(0))
            text = document.toPlainText()
            assert entry.formula in text and entry.code in text
    assert "requires_grad=True" in tooltip_html(panel.entry("ones_parameter"))


def test_collapse_is_remembered_but_search_expands(panel):
    header = panel.tree.topLevelItem(0)
    header.setExpanded(False)
    panel.set_font_size(14)  # rebuilds the tree
    assert not panel.tree.topLevelItem(0).isExpanded()
    panel.set_search_text("rand")
    assert panel.tree.topLevelItem(0).isExpanded()
    panel.set_search_text("")
    assert not panel.tree.topLevelItem(0).isExpanded()


def test_icons_and_font_size(panel):
    icon = block_icon("Σ", "reductions", 22)
    assert not icon.isNull() and not icon.pixmap(22, 22).isNull()
    panel.set_font_size(18)
    assert panel.tree.font().pointSize() == 18
    assert panel.tree.iconSize().width() >= 30


def test_screenshot(panel, qtbot):
    panel.show()
    qtbot.waitExposed(panel)
    QGuiApplication.processEvents()
    SCREENSHOTS.mkdir(exist_ok=True)
    image = settled(panel)
    assert (image.width(), image.height()) == (300, 700)
    assert_looks_approved(image, "palette")
    panel.set_search_text("mat")
    QGuiApplication.processEvents()
    assert_looks_approved(settled(panel), "palette_search")
    panel.set_search_text("qwertz")
    QGuiApplication.processEvents()
    assert_looks_approved(settled(panel), "palette_no_match")
    panel.set_search_text("")
    panel.set_font_size(16)
    QGuiApplication.processEvents()
    assert_looks_approved(settled(panel), "palette_large_font")
    assert (SCREENSHOTS / "palette.png").stat().st_size > 10_000
