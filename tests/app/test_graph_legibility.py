"""The graph's boxes read at projector size: the Font setting grows text, not the gaps between
boxes; zoomed out, a box shows its name in large type (never nothing); boxes say the program's
names of intermediates (f = sub); vectors and matrices show their value and gradient as strips of
coloured cells. Asserted from the scene, in view pixels, at the zoom the view gives."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from nla_explorer.document import Document
from nla_explorer.drawing.heatmap import diverging_rgb
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine import explore_code, get_example
from nla_explorer.graph_view.box_content import (
    FULL, NAME, LabelSizes, label_px, legible_zoom, line_size, node_lines, strip_cell, strip_of,
)
from nla_explorer.graph_view import pane as graph_pane_module
from nla_explorer.graph_view.pane import GraphPane
from nla_explorer.graph_view.picture import LAYER_GAP, NODE_GAP, PictureOptions, build_picture
from nla_explorer.graph_view.scene import GraphScene

pytestmark = pytest.mark.usefixtures("qapp")  # fonts are measured by Qt

def _picture(code: str, font: float = 11.0):
    exp = explore_code(code)
    style = ViewStyle.light().with_font(font)
    return exp, build_picture(exp.graph, exp.trace, PictureOptions(engine="builtin", style=style))


def _scene(picture) -> GraphScene:
    scene = GraphScene(view_style=picture.style)
    scene.show_graph(picture.display, picture.layout, picture.style)
    return scene


def _bands(picture) -> list[tuple[float, float]]:
    """(top, bottom) of each layer's boxes, top to bottom."""
    scene = _scene(picture)
    bands: dict[int, list[float]] = {}
    for node_id, layer in picture.layout.layers.items():
        rect = scene.node_items[node_id].rect()
        y = picture.layout.positions[node_id][1]
        top, bottom = bands.setdefault(layer, [np.inf, -np.inf])
        bands[layer] = [min(top, y + rect.top()), max(bottom, y + rect.bottom())]
    return [tuple(bands[k]) for k in sorted(bands)]


def _row_gaps(picture) -> list[float]:
    """Horizontal gaps between neighbouring boxes of a layer."""
    scene = _scene(picture)
    rows: dict[int, list[tuple[float, float]]] = {}
    for node_id, layer in picture.layout.layers.items():
        x = picture.layout.positions[node_id][0]
        half = scene.node_items[node_id].rect().width() / 2
        rows.setdefault(layer, []).append((x - half, x + half))
    gaps = []
    for row in rows.values():
        row.sort()
        gaps += [b[0] - a[1] for a, b in zip(row, row[1:])]
    return gaps


def _fit_zoom(picture, scene: GraphScene, width: int, height: int) -> float:
    rect = scene.sceneRect()
    return min(width / rect.width(), height / rect.height())


def test_a_bigger_font_grows_the_text_not_the_gaps_between_boxes():
    code = get_example("quadratic").code
    _, small = _picture(code, 11)
    _, big = _picture(code, 20)
    small_bands, big_bands = _bands(small), _bands(big)
    assert len(small_bands) == len(big_bands) >= 6
    for bands in (small_bands, big_bands):  # layers are LAYER_GAP apart at every font size
        gaps = [b[0] - a[1] for a, b in zip(bands, bands[1:])]
        assert gaps == pytest.approx([LAYER_GAP] * len(gaps))
    # the centres move apart only by as much as the boxes grew
    for (a0, a1), (b0, b1), (c0, c1), (d0, d1) in zip(small_bands, small_bands[1:], big_bands,
                                                    big_bands[1:]):
        spacing_growth = ((d0 + d1) - (c0 + c1)) / 2 - ((b0 + b1) - (a0 + a1)) / 2
        box_growth = ((d1 - d0) + (c1 - c0)) / 2 - ((b1 - b0) + (a1 - a0)) / 2
        assert spacing_growth == pytest.approx(box_growth)
    assert min(_row_gaps(small)) == pytest.approx(NODE_GAP)
    assert min(_row_gaps(big)) == pytest.approx(NODE_GAP)
    # fitted into the graph view of a 1280×720 window, the text is bigger at the bigger font
    heights = []
    for picture in (small, big):
        scene = _scene(picture)
        zoom = _fit_zoom(picture, scene, 830, 600)
        heights.append((picture.style.fonts.title_metrics.height() * zoom,
                        scene.smallest_label_px(zoom)))
    (title_small, name_small), (title_big, name_big) = heights
    assert title_big > title_small * 1.15 and name_big >= name_small


def test_the_label_height_is_a_pure_function_of_the_zoom_and_legible_zoom_holds_above():
    sizes = LabelSizes(title_h=17.0, name_h=40.0, detail_zoom=12.0 / 17.0)
    assert label_px(1.0, sizes) == pytest.approx(17.0)  # full detail: the title
    assert label_px(0.5, sizes) == pytest.approx(20.0)  # zoomed out: the large name
    assert label_px(0.05, sizes) == 0.0  # a few pixels tall: no text at all
    for min_px in (8.0, 12.0, 16.0, 30.0):
        z = legible_zoom(sizes, min_px)
        above = np.geomspace(z, 8.0, 400)
        assert all(label_px(k, sizes) >= min_px - 1e-9 for k in above)
        assert label_px(z * 0.98, sizes) < min_px  # and it is the smallest such zoom
    assert legible_zoom(sizes, 12.0) == pytest.approx(12.0 / 40.0)  # the large name suffices
    assert legible_zoom(sizes, 16.0) == pytest.approx(16.0 / 17.0)  # only the title, zoomed in


def _render(scene: GraphScene, zoom: float) -> tuple[QImage, QRectF]:
    source = scene.sceneRect()
    image = QImage(int(source.width() * zoom) + 1, int(source.height() * zoom) + 1,
                   QImage.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
    scene.render(painter, QRectF(0, 0, image.width(), image.height()), source)
    painter.end()
    return image, source


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine())[:, :image.width() * 3].reshape(
        image.height(), image.width(), 3).copy()  # the converted image goes away


def _ink(pixels: np.ndarray, rect: QRectF, source: QRectF, zoom: float) -> int:
    """Dark text pixels inside a box (its border left out)."""
    x0, y0 = (rect.left() - source.left()) * zoom, (rect.top() - source.top()) * zoom
    inset = 4
    box = pixels[int(y0) + inset:int(y0 + rect.height() * zoom) - inset,
                 int(x0) + inset:int(x0 + rect.width() * zoom) - inset]
    return int((box.max(axis=2) < 90).sum())


def test_zoomed_out_boxes_show_their_name_in_large_type_never_nothing():
    _, picture = _picture(get_example("quadratic").code)
    scene = _scene(picture)
    title_h = picture.style.fonts.title_metrics.height()
    zoom = 0.4  # where the old boxes were drawn empty (below 45 %)
    for item in scene.node_items.values():
        assert item.detail_at(zoom) == NAME
        assert item.label_px(zoom) > title_h * zoom * 1.3  # bigger than the title would be
        assert item.detail_at(1.0) == FULL and item.label_px(1.0) == pytest.approx(title_h)
    image, source = _render(scene, zoom)
    pixels = _pixels(image)
    for node_id, item in scene.node_items.items():
        assert _ink(pixels, item.sceneBoundingRect().adjusted(4, 4, -4, -4), source, zoom) > 20, \
            f"box {node_id} ({item.node.label}) is drawn empty at {zoom:.0%}"
    # every name fits its box at 1.5 times the title's size: 12 px from 12 / (1.5 title) on
    assert scene.legible_zoom(12) <= 12 / (1.5 * title_h) + 1e-9
    # 16 px: the titles are 12 px where full boxes take over, so only from 16 px titles on ...
    assert scene.legible_zoom(16) == pytest.approx(16 / title_h)
    scene.set_min_label_px(16)  # ... unless full boxes wait for 16 px titles (presentation)
    assert scene.legible_zoom(16) <= 16 / (1.5 * title_h) + 1e-9
    assert all(item.detail_at(12 / title_h) == NAME for item in scene.node_items.values())


def _quadratic_pane(qtbot, width: int, height: int) -> tuple[Document, GraphPane]:
    document = Document()
    pane = GraphPane(document, PictureOptions(engine="builtin"))
    qtbot.addWidget(pane)
    pane.resize(width, height)
    pane.show()
    assert document.load_example("quadratic")
    return document, pane


def test_a_pane_fitted_at_projector_size_shows_legible_names(qtbot):
    _document, pane = _quadratic_pane(qtbot, 830, 600)  # the graph's part of a 1280×720 window
    pane.fit()
    view, scene = pane.view, pane.scene
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    visible = [i for i in scene.node_items.values() if shown.intersects(i.sceneBoundingRect())]
    assert visible
    assert min(i.label_px(view.zoom()) for i in visible) >= 12


def test_fit_magnifies_a_small_graph_to_fill_a_big_pane_up_to_one_and_a_half(qtbot):
    """At 1920×1080 the quadratic's nine boxes filled half the pane at 100 %; the back row
    reads them magnified. A tiny graph stops at 150 %, not a wall of three boxes."""
    document, pane = _quadratic_pane(qtbot, 1140, 1000)  # the graph's part at 1920×1080
    pane.fit()
    view = pane.view
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    graph = pane.scene.sceneRect()
    assert 1.0 < view.zoom() <= 1.5 and shown.contains(graph)
    assert max(graph.width() / shown.width(), graph.height() / shown.height()) > 0.9
    document.set_code("import torch\nx = torch.randn(3, requires_grad=True)\ny = x.sum()\n"
                      "y.backward()\n")
    qtbot.waitUntil(lambda: len(pane.scene.node_items) == 2, timeout=5000)
    pane.fit()
    assert view.zoom() == pytest.approx(1.5)


def test_boxes_show_the_programs_names_of_intermediates():
    _, relu = _picture(get_example("relu_layer").code)
    titles = {n.title for n in relu.display.nodes}
    assert {"y = relu", "out = norm", "x", "A", "b"} <= titles
    assert "add" in titles  # an unnamed intermediate keeps its op name
    _, quad = _picture(get_example("quadratic_squared").code)
    f = next(n for n in quad.display.nodes if n.title == "f = sub")
    assert f.kind == "op" and f.label == "f"  # zoomed out the box says f
    g = next(n for n in quad.display.nodes if n.kind == "output")
    assert (g.title, g.label) == ("g = mul", "g")


def _cell_colours(scene: GraphScene, item, role: str, zoom: float = 2.0) -> np.ndarray:
    """The colours at the centres of the cells of ``item``'s strip ``role``, as rendered."""
    image, source = _render(scene, zoom)
    pixels = _pixels(image)
    fonts = scene.fonts
    lines = node_lines(item.node)
    index = [r for r, _ in lines].index(role)
    y = item.sceneBoundingRect().top() + 4 + fonts.padding * 0.6
    for r, text in lines[:index]:
        y += line_size(item.node, r, text, fonts)[1]
    strip = strip_of(item.node.value if role == "value_strip" else item.node.grad)
    cell_w, cell_h = strip_cell(strip, fonts)
    height = line_size(item.node, role, "", fonts)[1]
    cx, cy = item.scenePos().x(), y + height / 2
    xs = cx + (np.arange(strip.cols) - (strip.cols - 1) / 2) * cell_w
    px = ((xs - source.left()) * zoom).astype(int)
    py = int((cy - source.top()) * zoom)
    return pixels[py, px].astype(int)


def test_vectors_show_value_and_gradient_strips_with_the_colours_of_torchs_numbers():
    code = ("import torch\ntorch.manual_seed(1)\nx = torch.randn(20, requires_grad=True)\n"
            "W = torch.randn(3, 20, requires_grad=True)\nloss = ((W @ x) ** 2).sum()\n"
            "loss.backward()\n")
    _, picture = _picture(code)
    scene = _scene(picture)
    torch.manual_seed(1)  # the oracle: the same program in plain torch
    x = torch.randn(20, requires_grad=True)
    w = torch.randn(3, 20, requires_grad=True)
    ((w @ x) ** 2).sum().backward()
    box = next(i for i in scene.node_items.values() if i.node.title == "x")
    assert [r for r, _ in node_lines(box.node)] == ["title", "sub", "value_strip", "grad_strip"]
    assert dict(node_lines(box.node))["value_strip"] == "1×16…"  # the first 16 of 20 entries
    for role, tensor in (("value_strip", x.detach()), ("grad_strip", x.grad)):
        values = tensor.numpy()
        expected = diverging_rgb(values[:16].reshape(1, -1), float(np.abs(values).max()))[0]
        got = _cell_colours(scene, box, role)
        assert np.abs(got - expected).max() <= 12, role
    matrix = next(i for i in scene.node_items.values() if i.node.title == "W")
    assert dict(node_lines(matrix.node))["grad_strip"] == "3×10"  # column pairs averaged
    box.set_step_state("current", "forward")  # a forward step: no gradient cells yet
    assert np.abs(_cell_colours(scene, box, "grad_strip") - expected).max() > 60
    value = x.detach().numpy()
    expected = diverging_rgb(value[:16].reshape(1, -1), float(np.abs(value).max()))[0]
    assert np.abs(_cell_colours(scene, box, "value_strip") - expected).max() <= 12


def test_full_boxes_at_100_percent_at_any_font_and_in_vector_files_at_any_scale():
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtSvg import QSvgGenerator
    _, small = _picture(get_example("quadratic").code, font=6)
    scene = _scene(small)
    assert all(i.detail_at(1.0) == FULL for i in scene.node_items.values())  # the user's size
    assert all(i.detail_at(0.5) == NAME for i in scene.node_items.values())
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    source = scene.sceneRect()
    generator.setViewBox(QRectF(0, 0, source.width() * 0.3, source.height() * 0.3))
    scene.set_caching(False)  # as the exporter does: text stays text
    painter = QPainter(generator)
    scene.render(painter, QRectF(0, 0, source.width() * 0.3, source.height() * 0.3), source)
    painter.end()
    svg = bytes(data).decode("utf-8")
    assert "5×5" in svg and "scalar" in svg  # the shapes: every line is there at 30 %


def _visible_label_px(pane) -> float:
    view, scene = pane.view, pane.scene
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    visible = [i for i in scene.node_items.values() if shown.intersects(i.sceneBoundingRect())]
    assert visible
    return min(i.label_px(view.zoom()) for i in visible)


def test_the_window_at_1280x720_shows_names_12px_tall_and_16px_when_presenting(window, qtbot):
    window.resize(1280, 720)
    window.load_example("quadratic")
    qtbot.waitUntil(lambda: not window.graph_pane.busy(), timeout=5000)
    window.graph_pane.fit()
    assert _visible_label_px(window.graph_pane) >= 12
    window.presentation.action.trigger()
    qtbot.wait(100)
    qtbot.waitUntil(lambda: not window.graph_pane.busy(), timeout=5000)
    window.graph_pane.fit()
    assert window.graph_pane.scene.fonts.size >= 20
    assert _visible_label_px(window.graph_pane) >= 16
    window.presentation.action.trigger()


def _step_labels(pane) -> list:
    from PySide6.QtWidgets import QGraphicsSimpleTextItem
    return [item for item in pane.overlay._extra if isinstance(item, QGraphicsSimpleTextItem)]


def test_the_gradient_on_a_lit_edge_stays_legible_zoomed_out(window, qtbot, tmp_path):
    """The running step's edge label (∇ shape and heatmap) is 1.4 times the scene's legible size
    on screen however far the view is zoomed out (the gradient is what the step is about), and
    never smaller than the boxes' titles (it was 7 px beside 30 px names); in an exported step
    it is as tall as the titles at the file's scale."""
    window.load_example("polyfit_net")
    pane = window.graph_pane
    qtbot.waitUntil(lambda: not pane.busy(), timeout=5000)
    qtbot.wait(300)  # the first fit done
    window.document.set_step(6)  # the gradient into view: ∇ [10] and a heatmap
    for zoom in (0.2, 0.45, 0.8, 2.0, 4.0):
        pane.view.zoom_by(zoom / pane.view.zoom())  # as the wheel does
        qtbot.wait(10)
        (label,) = _step_labels(pane)
        assert label.text().startswith("∇ [10]")
        natural = label.boundingRect().height() * pane.view.zoom()  # unmagnified, on screen
        title = pane.scene.fonts.title_metrics.height() * pane.view.zoom()
        wanted = max(1.4 * 12, title)
        assert label.scale() * natural >= wanted - 1e-6, zoom
        assert label.scale() == 1.0 or label.scale() * natural <= wanted * 1.05, zoom  # no more
    pane.set_presentation(True)
    pane.view.zoom_by(0.3 / pane.view.zoom())
    (label,) = _step_labels(pane)
    assert label.boundingRect().height() * label.scale() * pane.view.zoom() >= 1.4 * 16
    scales = []
    real_export = graph_pane_module.export_scene
    graph_pane_module.export_scene = lambda path, scene, scale: scales.append(
        _step_labels(pane)[0].scale()) or real_export(path, scene, scale=scale)
    try:
        assert pane.export_step(6, str(tmp_path / "step.png")).exists()
        pane.show_current_step()
        assert pane.export(str(tmp_path / "shown.svg")).exists()
    finally:
        graph_pane_module.export_scene = real_export
    # in the files: as tall as the titles at the file's own scale, not the view's magnification
    assert scales[0] == scales[1] and 1.0 <= scales[0] < 1.5
    assert _step_labels(pane)[0].scale() > 2.0  # the view's labels again after the exports
    pane.set_presentation(False)
