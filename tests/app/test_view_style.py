"""Style is a value: a ViewStyle (colours, font size, precision) handed to what draws, never module
state. The dark theme reaches what is drawn on the canvases; precision reaches every number."""

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QImage

import nla_explorer.drawing.style as style_module
import nla_explorer.value_text as value_text
from nla_explorer.document import Document
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.graph_view.items import EdgeItem
from nla_explorer.graph_view.pane import GraphPane
from nla_explorer.graph_view.picture import PictureOptions
from nla_explorer.panels.block_items import WireItem


@pytest.fixture(autouse=True)
def _light_again():
    """The Qt palette is application-wide: leave it light for the next test."""
    yield
    from nla_explorer.themes import apply_theme
    apply_theme("light")


def _wires(window) -> list[WireItem]:
    return [i for i in window.block_editor.canvas.scene().items() if isinstance(i, WireItem)]


def _badge(pane, name: str) -> str:
    return pane.scene.display.node(pane.box_of(pane.document.graph.find(name).id)).value_badge


def test_styles_are_values():
    dark = ViewStyle.dark()
    assert dark == ViewStyle.dark() and dark.is_dark and not ViewStyle.light().is_dark
    bigger = dark.with_font(18).with_precision(30)
    assert (bigger.font_size, bigger.precision, bigger.canvas) == (18.0, 12, dark.canvas)
    assert dark.font_size == 11.0 and bigger.fonts.size == 18.0  # the original is unchanged
    with pytest.raises(AttributeError):
        dark.canvas = "#000000"
    assert ViewStyle.light().with_font(18).with_colours_of(dark) == bigger.with_precision(4)


def test_dark_theme_draws_block_wires_light_on_the_dark_canvas(window, qtbot):
    """Regression: the wires copied the light theme's grey at import: dark on dark."""
    window.load_example("quadratic")
    window.workspaces.switch("build")  # the canvas on screen
    canvas = window.block_editor.canvas
    assert all(w.pen().color().lightness() < 100 for w in _wires(window))  # light theme
    window.preferences.theme_actions["dark"].trigger()
    assert canvas.backgroundBrush().color().lightness() < 60
    assert _wires(window) and all(w.pen().color().lightness() > 150 for w in _wires(window))
    window.load_example("norm")  # a new drawing keeps the style
    assert _wires(window) and all(w.pen().color().lightness() > 150 for w in _wires(window))
    wire = _wires(window)[0]  # the pixels where a wire runs are light
    canvas.centerOn(wire)
    qtbot.wait(50)
    image = canvas.viewport().grab().toImage()
    line = wire.path().pointAtPercent(0.4)
    at = canvas.mapFromScene(wire.mapToScene(line))
    pixels = [image.pixelColor(at.x() + dx, at.y() + dy) for dx in range(-2, 3)
              for dy in range(-2, 3)]
    assert max(p.lightness() for p in pixels) > 120
    window.preferences.theme_actions["light"].trigger()
    assert all(w.pen().color().lightness() < 100 for w in _wires(window))


def test_a_theme_switch_repaints_the_graph_in_place(window, qtbot):
    window.load_example("quadratic")
    pane = window.graph_pane
    window.document.set_step(2)
    selected, picture = window.document.selected, pane.picture
    window.preferences.theme_actions["dark"].trigger()
    assert pane.picture is picture and pane.scene.view_style.is_dark  # no new layout
    assert window.document.selected == selected and pane.scene.selected_id() == selected
    edges = [i for i in pane.scene.items() if isinstance(i, EdgeItem)]
    plain = [e for e in edges if not e.edge.constant]
    assert all(e.base_pen.color().name() == ViewStyle.dark().edge for e in plain)
    lit = [i for i in pane.scene.items() if hasattr(i, "text") and i.text().startswith("∇")]
    assert lit and {i.brush().color().name() for i in lit} == {ViewStyle.dark().gradient_flow}
    assert window.document.step == 2


def _edge_labels(window) -> set[str]:
    """The texts on the edges at every step of the backward pass."""
    texts = set()
    for k in range(len(window.document.trace.steps)):
        window.document.set_step(k)
        texts |= {i.text() for i in window.graph_pane.scene.items() if hasattr(i, "text")}
    window.document.set_step(None)
    return texts


def test_precision_reaches_graph_badges_edge_labels_step_card_and_inspector(window, qtbot):
    code = ("import torch\nx = torch.tensor(1.2345678, requires_grad=True)\n"
            "y = x * 3.3333333\nz = y * y\nz.backward()\n")
    assert window.document.set_code(code)
    prefs = window.preferences.current()
    window.preferences.apply(prefs.__class__(**{**prefs.__dict__, "precision": 2}))
    pane = window.graph_pane
    assert _badge(pane, "z") == "17" and _badge(pane, "x") == "1.2"
    assert "∇ 4.1" in _edge_labels(window)  # what z = y * y sends back along each use of y
    window.document.set_step(0)
    assert [t.value_text for t in window.stepper.card.tiles][:2] == ["1", "4.1"]
    window.preferences.apply(prefs.__class__(**{**prefs.__dict__, "precision": 6}))
    assert _badge(pane, "x") == "1.23457"
    assert "∇ 4.11523" in _edge_labels(window)
    window.document.set_step(0)
    assert [t.value_text for t in window.stepper.card.tiles][:2] == ["1", "4.11523"]
    assert window.inspector.saved_view.precision == 6
    window.document.select(window.document.graph.find("z").id)
    qtbot.waitUntil(lambda: window.inspector.current_node_id() is not None, timeout=2000)
    assert "4.11523" in window.inspector.table_text("saved")  # the saved y, six digits


def test_two_windows_hold_two_styles(window, qtbot, tmp_path):
    """No module state: each window draws in the style it was given."""
    dark_settings = QSettings(str(tmp_path / "dark.ini"), QSettings.IniFormat)
    dark_settings.setValue("view/theme", "dark")
    dark_settings.setValue("view/precision", 2)
    from nla_explorer.main_window import MainWindow
    other = MainWindow(dark_settings, tmp_path / "r.nla")
    qtbot.addWidget(other)
    # the application's palette is light again; `other` stays dark
    window.preferences.set_theme("light")
    for w in (window, other):
        w.load_example("quadratic")
    assert not window.view_style.is_dark and other.view_style.is_dark
    light_bg = window.graph_pane.view.backgroundBrush().color()
    dark_bg = other.graph_pane.view.backgroundBrush().color()
    assert light_bg.lightness() > 200 and dark_bg.lightness() < 60
    assert _wires(window)[0].pen().color() != _wires(other)[0].pen().color()
    assert (_badge(window.graph_pane, "f"), _badge(other.graph_pane, "f")) == ("9.467", "9.5")
    assert not hasattr(style_module, "use_dark") and not hasattr(value_text, "set_precision")
    assert not any(isinstance(v, QColor) for v in vars(style_module).values())


def test_panes_with_their_own_documents_and_styles(qtbot):
    panes = []
    for style in (ViewStyle.light().with_precision(3), ViewStyle.dark().with_font(16)):
        document = Document()
        pane = GraphPane(document, PictureOptions(engine="builtin", style=style))
        qtbot.addWidget(pane)
        document.load_example("quadratic")
        panes.append(pane)
    light, dark = panes
    assert (_badge(light, "f"), _badge(dark, "f")) == ("9.47", "9.467")
    assert dark.scene.fonts.size == 16 and light.scene.fonts.size == 11
    assert dark.picture.layout.width > light.picture.layout.width  # bigger boxes


def test_dark_theme_keeps_plot_titles_legends_and_the_palette_search_readable(window, qtbot):
    """Regression: plot titles and legends kept the light theme's black on the dark background;
    the palette's search text was light on a white field."""
    import pyqtgraph as pg
    window.preferences.theme_actions["dark"].trigger()
    for plot in window.training.findChildren(pg.PlotWidget):
        item = plot.getPlotItem()
        background = plot.backgroundBrush().color().lightness()
        if item.titleLabel.text:
            assert QColor(item.titleLabel.opts["color"]).lightness() - background > 120
        if item.legend is not None:
            assert item.legend.labelTextColor().lightness() - background > 120
    window.palette_dock.raise_()
    search = window.blocks_palette.search_box
    search.setText("MMMMMMMM")
    qtbot.wait(50)
    assert _text_contrast(search.grab().toImage()) > 120


def _text_contrast(image: QImage) -> int:
    """How far the text's pixels are from the field's background (its most common colour)."""
    counts: dict[int, int] = {}
    w, h = image.width(), image.height()
    values = [image.pixelColor(x, y).lightness() for x in range(w // 8, w - 8, 2)
              for y in range(4, h - 4)]
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    background = max(counts, key=counts.get)
    return max(abs(v - background) for v in values)


def test_the_step_card_takes_the_dark_colours(window):
    window.load_example("quadratic")
    window.document.set_step(0)
    window.preferences.theme_actions["dark"].trigger()
    card = window.stepper.card
    assert ViewStyle.dark().card_grad in card.tiles[0].head.text()
    window.preferences.theme_actions["light"].trigger()
    assert ViewStyle.light().card_grad in card.tiles[0].head.text()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_waiting_box_fades_but_its_names_and_values_still_read(theme):
    """A box the backward pass has not reached fades its fill to ``waiting_opacity`` over the
    canvas; its text is drawn whole on that and keeps 4.5:1 (the whole box at 0.35 left its
    name at 2.3:1, gone from the back row)."""
    from nla_explorer.drawing.style import contrast
    from nla_explorer.graph_view.kind_styles import KIND_STYLES

    style = ViewStyle.for_theme(theme)
    alpha = style.waiting_opacity
    assert alpha < 1  # it does fade
    canvas = style.colour("canvas")
    for kind in KIND_STYLES.values():
        fill = QColor(*(round(alpha * a + (1 - alpha) * b) for a, b in zip(
            QColor(kind.fill).getRgb()[:3], canvas.getRgb()[:3])))
        for role in ("text", "value", "muted"):
            assert contrast(style.colour(role), fill) >= 4.5, (kind, role)


def test_no_view_module_keeps_a_colour_of_its_own():
    """Colours come from the style handed to what draws: a QColor at module level (the block
    editor's fills were) would not follow the theme nor a style of the caller's."""
    import importlib
    import pkgutil

    import nla_explorer

    held = []
    for info in pkgutil.walk_packages(nla_explorer.__path__, "nla_explorer."):
        if ".engine" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        held += [f"{info.name}.{name}" for name, value in vars(module).items()
                 if isinstance(value, QColor)
                 or isinstance(value, tuple) and any(isinstance(v, QColor) for v in value)]
    assert not held, held


def test_a_block_paints_in_the_colours_of_its_style(qtbot):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QGraphicsScene

    from nla_explorer.panels.block_items import BlockItem, BlockLook

    style = ViewStyle.light().with_font(11)
    looks = {"plain": BlockLook("b1", "b1", "relu"),
             "failing": BlockLook("b2", "b2", "matmul", error="inner sizes differ")}
    for fill in ("#123456", "#345612"):
        custom = ViewStyle(block_fill=fill, error_fill="#561234")
        for name, look in looks.items():
            scene = QGraphicsScene()
            block = BlockItem(look, style)
            scene.addItem(block)
            block.set_view_style(custom)  # a theme switch: the same box, new colours
            rect = block.box()
            image = QImage(int(rect.width()) + 4, int(rect.height()) + 80, QImage.Format_RGB32)
            image.fill(QColor("#ffffff"))
            painter = QPainter(image)
            painter.translate(QPointF(-rect.left() + 2, 2))
            scene.render(painter, image.rect().translated(int(rect.left()) - 2, -2),
                         image.rect().translated(int(rect.left()) - 2, -2))
            painter.end()
            inside = image.pixelColor(3 + 2, int(rect.height()) - 4).name()
            assert inside == fill, (name, inside)
            if look.error:
                assert block.error_item.defaultTextColor() == custom.colour("error")
                assert block.error_item.parentItem().brush().color().name() == "#561234"
