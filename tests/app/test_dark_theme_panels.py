"""The Graph workspace's side panels in the dark theme, read as from the back row of a lecture hall.

Regressions of a visual audit: colours written for the light theme stayed in the dark one (the
stepper's notes a light box, the op name and the verdicts dark grey, green and red on the dark
window, an error in a red that is dark on dark), and presentation mode, which paints the window
white in either theme, kept the dark theme's pale captions on the step card. Each check is made in
the dark theme and again after going back to light.
"""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPalette

from nla_explorer.drawing.style import contrast, luminance
from nla_explorer.engine.timing.results import TimingResult, results_to_csv
from nla_explorer.export_dialog import ExportDialog, ExportOptions

TEXT = 4.5  # WCAG AA for text
THEMES = ("dark", "light", "dark", "light")

UNSEEDED_TWO_CALLS = """import torch
x = torch.randn(3, requires_grad=True)
f = (x ** 2).sum()
f.backward(retain_graph=True)
f.backward(retain_graph=True)
"""


@pytest.fixture(autouse=True)
def _light_again():
    """The Qt palette is application-wide: leave it light for the next test."""
    yield
    from nla_explorer.themes import apply_theme
    apply_theme("light")


def switch(window, qtbot, theme: str) -> None:
    """The theme, once its palette has reached the panels (Qt may hand it on a turn later)."""
    window.preferences.set_theme(theme)
    dark = theme == "dark"
    qtbot.waitUntil(lambda: (window_ground(window.stepper).lightness() < 128) == dark,
                    timeout=3000)
    qtbot.wait(20)


def eventually(qtbot, check, timeout: int = 3000) -> None:
    """``check()`` passes within ``timeout`` ms (panels that restyle a turn after the palette);
    if it never does, its own assertion is the failure."""
    def passes() -> bool:
        try:
            check()
        except AssertionError:
            return False
        return True
    try:
        qtbot.waitUntil(passes, timeout=timeout)
    except Exception:  # noqa: BLE001 - pytest-qt's timeout: report the check's own message
        pass
    check()


def window_ground(widget) -> QColor:
    return widget.palette().color(QPalette.Window)


def colour_in(text: str, prefix: str = "color:") -> str:
    """The first ``#rrggbb`` after ``prefix`` in rich text or a style sheet."""
    match = re.search(re.escape(prefix) + r"\s*(#[0-9a-fA-F]{6})", text)
    assert match, f"no {prefix} in {text!r}"
    return match.group(1)


def as_painted(widget) -> QImage:
    """``widget`` as the window paints it (its parents' background included)."""
    window = widget.window()
    corner = widget.mapTo(window, widget.rect().topLeft())
    return window.grab(QRect(corner, widget.size())).toImage()


def ground_and_ink(image: QImage) -> tuple[QColor, QColor]:
    """The background (the most common colour) and the text (the pixel farthest from it in
    luminance: the core of a glyph, not its anti-aliased edge)."""
    counts: dict[int, int] = {}
    pixels = [image.pixel(x, y) for x in range(2, image.width() - 2)
              for y in range(2, image.height() - 2)]
    for p in pixels:
        counts[p] = counts.get(p, 0) + 1
    ground = QColor(max(counts, key=counts.get))
    ink = max((QColor(p) for p in set(pixels)),
              key=lambda c: abs(luminance(c) - luminance(ground)))
    return ground, ink


def assert_reads(widget, theme: str) -> None:
    """As painted: a background of the theme, and text that contrasts with it."""
    ground, ink = ground_and_ink(as_painted(widget))
    assert (ground.lightness() < 100) == (theme == "dark"), (theme, ground.name())
    assert contrast(ink, ground) >= TEXT, (theme, ink.name(), ground.name())


def fills(checked, other, theme: str) -> tuple[QColor, QColor]:
    """The painted fills of a checked button and an unchecked one; in the dark theme the checked
    one is a coloured fill, not a shade of the other's."""
    on, _ = ground_and_ink(as_painted(checked))
    off, _ = ground_and_ink(as_painted(other))
    if theme == "dark":
        spread = max(abs(a - b) for a, b in zip(on.getRgb()[:3], off.getRgb()[:3]))
        assert spread > 60, (theme, on.name(), off.name())
    return on, off


def test_the_stepper_notes_and_op_name_follow_the_theme(window, qtbot):
    """Regression: the notes were a light blue box in the dark theme, the op name #666 on the
    dark window (2.5:1)."""
    window.code_panel.set_text(UNSEEDED_TWO_CALLS)
    window.code_panel.request_capture()
    stepper = window.stepper
    assert stepper.notes.isVisible() and stepper.notes.text()
    window.document.set_step(0)
    for theme in THEMES:
        switch(window, qtbot, theme)
        assert_reads(stepper.notes, theme)
        sheet = stepper.notes.styleSheet()
        assert contrast(colour_in(sheet, "color:"), colour_in(sheet, "background:")) >= TEXT
        op_name = colour_in(stepper.label.text(), "color:")
        assert contrast(op_name, window_ground(stepper)) >= TEXT, (theme, op_name)


def test_the_pass_being_walked_shows_in_the_dark_theme(window, qtbot):
    """Regression: Fusion drew the checked Backward button a shade darker than Forward on the
    dark palette; the buttons read the same from the back row."""
    window.load_example("quadratic")
    buttons = window.stepper.mode_buttons
    checked = next(b for b in buttons.values() if b.isChecked())
    other = next(b for b in buttons.values() if not b.isChecked())
    for theme in THEMES:
        switch(window, qtbot, theme)
        on, off = fills(checked, other, theme)
        if theme != "dark":  # Fusion's own: pressed in, darker than the other
            assert on.lightness() < off.lightness() - 15, (theme, on.name(), off.name())
        assert_reads(other, theme)
        ground, ink = ground_and_ink(as_painted(checked))
        assert contrast(ink, ground) >= TEXT, (theme, ink.name(), ground.name())


def test_results_placeholder_and_verdicts_read_in_both_themes(window, qtbot):
    """Regression: the placeholder kept the light theme's grey (2.3:1 on the dark window) and the
    ✓ card its dark green (2.5:1)."""
    results = window.results
    window.results_dock.raise_()
    for theme in THEMES:
        switch(window, qtbot, theme)
        window.load_example("hessian_quadratic")
        qtbot.waitUntil(lambda: results.comparisons != (), timeout=10_000)
        qtbot.wait(10)
        cards = [results.cards.itemAt(i).widget() for i in range(results.cards.count())]
        assert cards
        for card in cards:
            verdict = colour_in(card.text())
            assert contrast(verdict, window_ground(results)) >= TEXT, (theme, verdict)
        window.load_example("quadratic")
        qtbot.waitUntil(lambda: results.placeholder.isVisible(), timeout=5000)
        muted = colour_in(results.placeholder.styleSheet())
        assert contrast(muted, window_ground(results)) >= TEXT, (theme, muted)
    switch(window, qtbot, "dark")  # a switch while the cards are shown makes them again
    window.load_example("hessian_quadratic")
    qtbot.waitUntil(lambda: results.comparisons != (), timeout=10_000)
    switch(window, qtbot, "light")
    card = results.cards.itemAt(0).widget()
    assert contrast(colour_in(card.text()), window_ground(results)) >= TEXT


def test_the_manual_tab_reads_in_both_themes(window, qtbot):
    """Regression: ✗ cards in #cc3311 on the dark window (2.7:1), and the differing Δ cells in
    pure red, 4:1 on the light table."""
    window.load_example("quadratic_squared")
    window.document.select(window.document.graph.find("x").id)
    inspector = window.inspector
    qtbot.waitUntil(lambda: inspector.current_node_id() is not None, timeout=3000)
    inspector.show_tab("manual")
    view = inspector.manual_view
    assert any(not c.agrees for c in view.comparisons)
    def check(theme: str) -> None:
        cards = [view.cards.itemAt(i).widget() for i in range(view.cards.count())]
        assert cards
        for card in cards:
            assert contrast(colour_in(card.text()), window_ground(view)) >= TEXT, theme
        table = view.table
        base = table.palette().color(QPalette.Base)
        marked = [table.item(r, 2).foreground().color() for r in range(table.rowCount())
                  if table.item(r, 2).foreground().style() != 0]
        assert marked, "the seminar formula differs: its Δ cells are marked"
        for colour in marked:
            assert contrast(colour, base) >= TEXT, (theme, colour.name(), base.name())

    for theme in THEMES:
        switch(window, qtbot, theme)
        eventually(qtbot, lambda: check(theme))  # the inspector restyles a turn later


def test_presentation_mode_in_the_dark_theme_keeps_a_dark_card_that_reads(window, qtbot):
    """Presentation mode in the dark theme paints the window black beside the graph's dark canvas
    (a white card glared on a projector), and the card's captions read on it; back in the window,
    the theme's own colours again. (It once painted white and kept pale captions: 2:1.)"""
    switch(window, qtbot, "dark")
    window.load_example("quadratic")
    window.document.set_step(3)
    card = window.stepper.card

    def assert_card_reads(expected: str) -> None:
        ground = window_ground(card)
        assert (ground.lightness() < 100) == (expected == "dark")
        heads = [tile.head.text() for tile in card.tiles]
        assert heads
        for head in heads:
            assert contrast(colour_in(head), ground) >= TEXT, (expected, head)

    assert_card_reads("dark")
    window.presentation.action.trigger()
    qtbot.wait(50)
    assert_card_reads("dark")
    assert window.palette().color(QPalette.Window).lightness() < 20  # black, high contrast
    window.presentation.action.trigger()
    qtbot.wait(50)
    assert_card_reads("dark")


def test_errors_and_warnings_read_in_both_themes(window, qtbot, tmp_path):
    """Regression: the status bar's error in #c0392b and the export dialog's in #b3261e, dark red
    on the dark window; the timing panel's no-GPU banner a light yellow box; skipped timing
    rows in a grey of 3.3:1 on the light table."""
    timing = window.timing
    csv = tmp_path / "skipped.csv"
    csv.write_text(results_to_csv([TimingResult("matmul", 64, "cuda", "float32",
                                                status="skipped", error="no GPU here")]))
    assert timing.load_csv(csv)
    for theme in THEMES:
        switch(window, qtbot, theme)
        window.notifications.notify("layout failed", error=True)
        red = colour_in(window.notifications.text.styleSheet())
        assert contrast(red, window_ground(window.statusBar())) >= TEXT, (theme, red)
        dialog = ExportDialog(window, ExportOptions("picture.png"), 3)
        qtbot.addWidget(dialog)
        red = colour_in(dialog.message.styleSheet())
        assert contrast(red, window_ground(dialog)) >= TEXT, (theme, red)
        sheet = timing.banner.styleSheet()
        if "background" in sheet:  # no GPU here: the banner warns
            fill = QColor(colour_in(sheet, "background:"))
            assert (fill.lightness() < 100) == (theme == "dark"), (theme, fill.name())
            assert contrast(colour_in(sheet, "color:"), fill) >= TEXT
        assert timing.table.rowCount() == 1
        grey = timing.table.item(0, 0).foreground().color()
        base = timing.table.palette().color(QPalette.Base)
        assert contrast(grey, base) >= TEXT, (theme, grey.name(), base.name())


def test_the_course_examples_page_shows_every_column_with_rows_that_fit(window, qtbot):
    """Regression: the page opened with its "What it shows" column off to the right (a sideways
    scroll) and rows as tall as that squeezed column's text needed: mostly blank space."""
    page = window.help.show_examples()
    qtbot.addWidget(page)
    qtbot.waitExposed(page)
    for width in (page.width(), 1040):
        page.resize(width, 600)
        qtbot.wait(30)
        table = page.table
        assert table.horizontalHeader().length() <= table.viewport().width(), width
        for row in range(table.rowCount()):
            assert abs(table.rowHeight(row) - table.sizeHintForRow(row)) <= 2, (width, row)


@pytest.mark.parametrize("example, points", [("relu_layer", 11), ("quadratic", 18)])
def test_the_step_card_is_never_wider_than_its_dock(window, qtbot, example, points):
    """Regression: a wide local Jacobian (relu_layer's 3×12 at the default type) or a projector's
    18 pt made the card wider than the dock at 1280×720; with no sideways scrolling, the grid and
    the text beside it were cut off at the dock's edge."""
    window.resize(1280, 720)
    window.toolbar.font_spin.setValue(points)
    window.load_example(example)
    stepper = window.stepper
    viewport = stepper.card_area.viewport()
    window.presentation.card_room.details = True  # the user opened the local Jacobian: kept open
    widest = 0
    for step in range(window.document.step_count()):
        window.document.set_step(step)
        qtbot.wait(10)
        assert stepper.card.width() <= viewport.width(), (step, stepper.card.width())
        widest = max(widest, stepper.card.jacobian.sizeHint().width())
    assert widest > viewport.width()  # a picture that needed shrinking was shown


def test_the_shown_workspace_and_the_toggles_that_are_on_show_in_the_dark_theme(window, qtbot):
    """The toolbars' checked buttons (the workspace shown, Constants) were a faint frame on the
    dark palette, as the stepper's pass buttons were."""
    from PySide6.QtWidgets import QToolBar, QToolButton

    window.load_example("quadratic")
    bar = window.findChild(QToolBar, "workspace_bar")
    buttons = [b for b in bar.findChildren(QToolButton) if b.defaultAction() is not None
               and b.defaultAction().isCheckable()]
    checked = next(b for b in buttons if b.isChecked())
    other = next(b for b in buttons if not b.isChecked())
    constants = window.toolbar.widgetForAction(window.toolbar.constants_action)
    assert constants.isChecked()
    for theme in THEMES:
        switch(window, qtbot, theme)
        on, _ = fills(checked, other, theme)
        if theme == "dark":
            lit, _ = ground_and_ink(as_painted(constants))
            assert lit == on, (lit.name(), on.name())
        for button in (checked, constants):
            ground, ink = ground_and_ink(as_painted(button))
            assert contrast(ink, ground) >= TEXT, (theme, ink.name(), ground.name())


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_an_unticked_check_box_shows_its_box_in_both_themes(window, qtbot, theme):
    """The Time workspace's unticked boxes (float64, mv, …) were dark squares on the dark window
    (and 1.7:1 in the light one): each box is framed at 3:1 or more."""
    from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton
    switch(window, qtbot, theme)
    window.workspaces.switch("time")
    qtbot.wait(20)
    box = next(b for b in window.timing.findChildren(QCheckBox)
               if b.isVisible() and not b.isChecked())
    option = QStyleOptionButton()
    box.initStyleOption(option)
    rect = box.style().subElementRect(QStyle.SE_CheckBoxIndicator, option, box)
    image = box.grab(rect).toImage()
    ground = box.palette().window().color()
    frame = max(contrast(QColor(image.pixel(x, y)), ground)
                for x in range(image.width()) for y in range(image.height()))
    assert frame >= 3.0
