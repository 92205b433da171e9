"""Every block's name whole in the Build workspace's palette at 1280×720 (about 190 px wide), at
the default font and at projector sizes: what the palette paints for an entry is its full name,
in the list's font, with the room for it inside the list. ("randn sam…", "requires_gr…" and
"randn para…" were cut at 11 pt.)"""

from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QFont, QFontMetricsF, QImage, QPainter
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

from nla_explorer.panels.palette import PalettePanel


class _Recorder(QPainter):
    """A painter that notes each text drawn in a rectangle: (rectangle, text, font)."""

    def __init__(self, device) -> None:
        super().__init__(device)
        self.texts: list[tuple[QRectF, str, QFont]] = []

    def drawText(self, *args):  # noqa: N802 - QPainter's
        if len(args) == 3 and isinstance(args[0], (QRect, QRectF)) and isinstance(args[2], str):
            self.texts.append((QRectF(args[0]), args[2], QFont(self.font())))
        return super().drawText(*args)


def _painted(tree, item) -> list[tuple[QRectF, str, QFont]]:
    """The texts the palette's delegate paints for ``item``, where the tree shows it; the item's
    own text in the room the style gives it where Qt's painting draws that (not a Python call)."""
    option = QStyleOptionViewItem()
    tree.initViewItemOption(option)
    option.rect = tree.visualItemRect(item)
    index = tree.indexFromItem(item)
    delegate = tree.itemDelegateForIndex(index)
    image = QImage(tree.viewport().width(), option.rect.bottom() + 2, QImage.Format_ARGB32)
    painter = _Recorder(image)
    delegate.paint(painter, option, index)
    painter.end()
    if not any(text == item.text(0) for _, text, _ in painter.texts):
        delegate.initStyleOption(option, index)
        room = tree.style().subElementRect(QStyle.SE_ItemViewItemText, option, tree)
        painter.texts.append((QRectF(room), option.text, QFont(option.font)))
    return painter.texts


def _cut_names(panel: PalettePanel) -> list[str]:
    """The names (blocks and categories) not painted whole inside the list, each with what was
    painted instead; empty when every name reads in full."""
    tree, points = panel.tree, panel.tree.font().pointSize()
    room = tree.viewport().width()
    cut = []
    for i in range(tree.topLevelItemCount()):
        header = tree.topLevelItem(i)
        for item in [header] + [header.child(j) for j in range(header.childCount())]:
            name = item.text(0)
            painted = _painted(tree, item)
            whole = [(rect, font) for rect, text, font in painted if text == name]
            if not whole:
                cut.append(f"{name!r} painted as {[text for _, text, _ in painted]}")
                continue
            rect, font = whole[0]
            advance = QFontMetricsF(font).horizontalAdvance(name)
            if font.pointSize() < points:
                cut.append(f"{name!r} shrunk to {font.pointSize()} pt")
            elif rect.width() < advance or rect.left() < 0 or rect.left() + advance > room:
                cut.append(f"{name!r} needs {advance:.1f} px, has {rect.width():.1f} px from "
                           f"{rect.left():.0f} in a list {room} px wide")
    return cut


def test_every_name_whole_in_the_build_workspace_at_720p_and_projector_fonts(window, qtbot):
    window.resize(1280, 720)
    window.workspaces.switch("build")
    qtbot.wait(50)
    panel = window.blocks_palette
    assert window.palette_dock.isVisible() and window.palette_dock.width() <= 195
    assert panel.tree.font().pointSize() == 11  # the default Font 11
    assert len(panel.visible_keys()) > 60
    assert _cut_names(panel) == []
    for points in (16, 24, 40):  # the dock widens as far as the names need
        window.toolbar.font_spin.setValue(points)
        qtbot.wait(50)
        assert panel.tree.font().pointSize() == points
        assert _cut_names(panel) == [], f"at {points} pt"
        assert (window.width(), window.height()) == (1280, 720)  # still on the screen
    window.toolbar.font_spin.setValue(11)  # and gives the room back
    qtbot.wait(50)
    assert window.palette_dock.width() <= 195


def test_every_name_whole_in_a_palette_185_px_wide(qtbot):
    """The palette's width in the Build workspace of a 1920×1080 window after 1280×720 (the
    README's screenshots), searching included."""
    panel = PalettePanel()
    qtbot.addWidget(panel)
    panel.setFixedSize(185, 700)
    panel.show()
    qtbot.waitExposed(panel)
    assert _cut_names(panel) == []
    panel.set_search_text("param")
    assert panel.visible_keys() and _cut_names(panel) == []
