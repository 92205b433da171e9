"""Slides: the graph at a step beside its step card, 16:9, from the CLI and the window; one PDF of a
page per step; the export dialog's options; bad input as one line (CLI) or a message (window)."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from nla_explorer.engine import get_example
from nla_explorer.engine.autograd.step_rules import step_card
from nla_explorer.engine.pipeline import explore_expression
from nla_explorer.graph_view.picture import PictureOptions, build_picture
from tests.app.approved import assert_looks_approved

ROOT = Path(__file__).resolve().parents[2]


def pages(pdf: Path) -> int:
    """The page objects of a PDF (``/Type /Page``, not the ``/Pages`` tree)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf.read_bytes()))


def svg_texts(path: Path) -> list[str]:
    return [t.text or "" for t in ET.parse(path).getroot().iter() if t.tag.endswith("text")]


def svg_words(path: Path) -> str:
    """The SVG's text elements joined by spaces: a line the card wrapped reads whole again."""
    return " ".join(svg_texts(path))


@pytest.fixture(scope="module")
def quadratic():
    """The quadratic example as the CLI explores it."""
    return explore_expression(get_example("quadratic").expression())


def cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "nla_explorer", "export", "--example",
                           "quadratic", "--layout", "builtin", *args],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=180)


# -- the CLI --------------------------------------------------------------------------------------
def test_cli_slide_png_is_16_by_9_with_the_card_beside_the_graph(tmp_path):
    out = cli("--slide", "--step", "5", "--scale", "1.5", "-o", "s5.png", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "slide of backward step 5 of 9" in out.stdout
    image = QImage(str(tmp_path / "s5.png"))
    assert (image.width(), image.height()) == (1920, 1080)
    assert image.width() / image.height() == pytest.approx(16 / 9)
    # the card's panel fills the right column (here below its text); the canvas is white
    assert image.pixelColor(round(1200 * 1.5), round(660 * 1.5)).name() == "#f5f5f2"
    assert image.pixelColor(10, 10).name() == "#ffffff"


def test_cli_slide_svg_holds_the_card_as_text(tmp_path, quadratic):
    out = cli("--slide", "--step", "5", "--transparent", "-o", "s5.svg", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    card = step_card(quadratic.graph, quadratic.trace, 4)
    texts = svg_texts(tmp_path / "s5.svg")
    assert "quadratic — backward step 5 of 9" in texts
    words = svg_words(tmp_path / "s5.svg")
    for line in (card.title, *card.rule, *card.numbers):  # the formula and the numbers
        assert line in words, (line, texts)
    assert card.op == "MmBackward0"
    svg = (tmp_path / "s5.svg").read_text()
    assert 'width="1280" height="720"' not in svg  # transparent: no background rectangle


def test_cli_all_steps_is_one_pdf_with_a_page_per_step(tmp_path, quadratic):
    out = cli("--all-steps", "-o", "steps.pdf", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    pdf = tmp_path / "steps.pdf"
    assert pages(pdf) == len(quadratic.trace.steps) == 9
    assert pdf.read_bytes().rstrip().endswith(b"%%EOF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["steps.pdf"]  # no temporary left


def test_cli_all_forward_steps_as_numbered_svgs(tmp_path, quadratic):
    out = cli("--all-steps", "--forward", "-o", "fwd.svg", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"fwd_{k:03d}.svg" for k in range(1, len(names) + 1)]
    assert len(names) == len(quadratic.graph)  # one forward step per node
    assert "quadratic — forward step 1 of" in " ".join(svg_texts(tmp_path / names[0]))


# -- drawing --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def drawn(qapp, quadratic):
    from nla_explorer.graph_view.scene import GraphScene
    from nla_explorer.graph_view.step_overlay import StepOverlay
    pic = build_picture(quadratic.graph, quadratic.trace, PictureOptions(engine="builtin"))
    scene = GraphScene(view_style=pic.style)
    overlay = StepOverlay(scene)
    scene.show_graph(pic.display, pic.layout, pic.style)
    return scene, overlay


def test_slide_screenshot_of_an_accumulation(drawn, quadratic, tmp_path):
    from nla_explorer.graph_view.slide import StepSlides, export_slide
    scene, overlay = drawn
    slides = StepSlides(quadratic.graph, quadratic.trace, title="quadratic")
    x_step = quadratic.trace.step_of(quadratic.graph.find("x").id).index
    path = export_slide(tmp_path / "x.png", scene, overlay, slides[x_step], scale=1.0)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (1280, 720)
    # the running node (x) is outlined on the slide as on screen
    x_box = scene.node_items[scene.display.node_for_graph_id(quadratic.graph.find("x").id).id]
    assert x_box.step_state == "current"
    assert_looks_approved(image, "slide_quadratic_accumulation")


def test_card_content_follows_the_card(quadratic):
    from nla_explorer.graph_view.slide_card import card_content, output_name
    graph, trace = quadratic.graph, quadratic.trace
    x_step = trace.step_of(graph.find("x").id).index
    card = step_card(graph, trace, x_step)
    content = card_content(card)
    assert content.rule == card.rule and content.numbers == card.numbers
    name = output_name(card.title)
    assert [c for _, c, _ in content.sum_rows] == [
        f"from {label}" for label, _ in card.contributions] + [f"g of {name}"]
    assert [op for op, _, _ in content.sum_rows] == ["", "+", "+", "="]
    assert content.sum_rows[-1][2] is card.incoming
    assert "is used by" not in content.note  # the column addition says it
    mm = step_card(graph, trace, 4)
    assert [c for c, _, _ in card_content(mm).tiles] == [
        f"g = ∂L/∂{output_name(mm.title)}",
        *(f"→ ∂L/∂{label}" for label, t in mm.outgoing if t is not None)]


def test_a_big_graph_is_framed_around_the_running_node(qapp):
    from nla_explorer.engine import explore_code
    from nla_explorer.graph_view.scene import GraphScene
    from nla_explorer.graph_view.slide import MIN_GRAPH_ZOOM, graph_frame
    exp = explore_code(get_example("polyfit_net").code)
    pic = build_picture(exp.graph, exp.trace, PictureOptions(engine="builtin"))
    scene = GraphScene(view_style=pic.style)
    scene.show_graph(pic.display, pic.layout, pic.style)
    region = QRectF(36, 90, 700, 590)
    whole_source, whole = graph_frame(scene, region)  # no running node: all of it
    assert whole_source == scene.sceneRect() and region.contains(whole)
    step = exp.trace.steps[len(exp.trace.steps) // 2]
    source, target = graph_frame(scene, region, step.node_id)
    zoom = target.width() / source.width()
    if whole.width() / whole_source.width() < MIN_GRAPH_ZOOM:
        assert zoom == pytest.approx(MIN_GRAPH_ZOOM)
        box = scene.node_items[scene.display.node_for_graph_id(step.node_id).id]
        assert source.contains(box.sceneBoundingRect().center())
    assert region.adjusted(-1, -1, 1, 1).contains(target)


# -- the window -----------------------------------------------------------------------------------
def test_slide_from_the_window_through_the_dialog_options(window, qtbot, tmp_path):
    from nla_explorer.export_dialog import ExportDialog, ExportOptions
    window.load_example("quadratic")
    doc = window.document
    export = window.export
    assert export.slide_action.text().replace("&", "") == "Export slide…"
    dialog = ExportDialog(window, export.default_options(), export.step_count())
    qtbot.addWidget(dialog)
    dialog.path.setText(str(tmp_path / "slide.svg"))
    dialog.step.setValue(5)
    dialog.transparent.setChecked(True)
    assert not dialog.scale.isEnabled()  # the scale is for PNG
    options = dialog.options()
    assert options == ExportOptions(str(tmp_path / "slide.svg"), 2.0, True, True, 5, False)
    assert export.export_with(options) == [str(tmp_path / "slide.svg")]
    card = step_card(doc.graph, doc.trace, 4)
    words = svg_words(tmp_path / "slide.svg")
    assert all(line in words for line in (card.title, *card.rule, *card.numbers))
    assert doc.step is None  # the window's own picture is left as it was
    assert all(item.step_state is None for item in window.graph_pane.scene.node_items.values())


def test_every_step_from_the_window_as_one_pdf(window, tmp_path):
    from nla_explorer.export_dialog import ExportOptions
    window.load_example("quadratic")
    doc = window.document
    doc.set_step(2)
    defaults = window.export.default_options(all_steps=True)
    assert defaults.all_steps and defaults.suffix == ".pdf"
    deck = tmp_path / "deck.pdf"
    assert window.export.export_with(ExportOptions(str(deck), all_steps=True)) == [str(deck)]
    assert pages(deck) == len(doc.trace) == 9
    assert doc.step == 2  # the step shown stays
    assert window.graph_pane.scene.node_items[doc.trace.steps[2].node_id].step_state == \
        "current"


def test_bad_choices_are_messages_in_the_window_and_the_dialog(window, qtbot, tmp_path):
    from nla_explorer.export_dialog import ExportDialog, ExportOptions
    window.load_example("quadratic")
    export, note = window.export, window.notifications
    tmp_path = tmp_path / "out"  # the window's settings and recovery file are in tmp_path
    tmp_path.mkdir()
    assert export.export_with(ExportOptions(str(tmp_path / "s.png"), step=99)) == []
    assert note.text.text().startswith("Export failed") and "step 99" in note.text.text()
    assert "1 to 9" in note.text.text()
    assert export.export_with(ExportOptions(str(tmp_path / "s.gif"))) == []
    assert "extension must be one of" in note.text.text()
    assert export.export_with(ExportOptions(str(tmp_path / "g.dot"), slide=True)) == []
    assert "DOT file holds the graph only" in note.text.text()
    assert list(tmp_path.iterdir()) == []
    dialog = ExportDialog(window, ExportOptions(str(tmp_path / "s.bmp")), export.step_count())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.isVisible() and dialog.result() == 0  # OK refused, the reason shown
    assert "extension must be one of" in dialog.message.text() and dialog.message.isVisible()
    dialog.path.setText(str(tmp_path / "s.png"))
    assert not dialog.message.isVisible() and dialog.problem() is None
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.result() == dialog.DialogCode.Accepted


def test_the_actions_open_the_dialog_with_their_defaults(window, tmp_path, monkeypatch):
    """Export slide… starts at the step shown, Export all steps… at one PDF; OK exports."""
    from nla_explorer.export_dialog import ExportDialog
    window.load_example("quadratic")
    window.document.set_step(3)
    seen = []

    def accept_at(dialog):  # instead of the modal loop: what the user would do, then OK
        seen.append(dialog.options())
        dialog.path.setText(str(tmp_path / f"out{len(seen)}{seen[-1].suffix}"))
        return ExportDialog.DialogCode.Accepted
    monkeypatch.setattr(ExportDialog, "exec", accept_at)
    window.export.slide_action.trigger()
    window.export.steps_action.trigger()
    assert [(o.slide, o.step, o.all_steps, o.suffix) for o in seen] == [
        (True, 4, False, ".png"), (True, None, True, ".pdf")]
    assert QImage(str(tmp_path / "out1.png")).size().toTuple() == (2560, 1440)
    assert pages(tmp_path / "out2.pdf") == 9


def test_every_card_of_the_example_fits_in_full_size_type(qapp, quadratic):
    """Lecture-hall type: the formula at 28 px of a 720 px slide, never shrunk for this example."""
    from nla_explorer.drawing.style import ViewStyle
    from nla_explorer.graph_view.slide_card import SIZES, paint_card
    image = QImage(470, 590, QImage.Format_ARGB32)
    painter = QPainter(image)
    factors = [paint_card(painter, QRectF(0, 0, 470, 590), step_card(
        quadratic.graph, quadratic.trace, k), ViewStyle.light()) for k in range(9)]
    painter.end()
    assert factors == [1.0] * 9 and SIZES["rule"] >= 28


def test_a_long_card_shrinks_to_fit(qapp, quadratic):
    from dataclasses import replace

    from nla_explorer.drawing.style import ViewStyle
    from nla_explorer.graph_view.slide_card import FIT_FACTORS, paint_card
    card = step_card(quadratic.graph, quadratic.trace, 4)
    long = replace(card, numbers=card.numbers * 6)
    image = QImage(470, 590, QImage.Format_ARGB32)
    painter = QPainter(image)
    factor = paint_card(painter, QRectF(0, 0, 470, 590), long, ViewStyle.light())
    painter.end()
    assert FIT_FACTORS[-1] <= factor < 1.0
