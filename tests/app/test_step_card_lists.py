"""A list of numbers on the step card is never broken between its "[" and "]": at a lecture's type
size in a narrow card (presentation mode at 1280×720) each list shows fewer numbers (with "…")
or goes whole to a line of its own. The lines are read back as Qt lays out each label's text at
the label's width, so the test sees what the back row sees."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from PySide6.QtGui import QFont, Qt, QTextDocument, QTextOption  # QtGui's Qt: mightBeRichText
from PySide6.QtWidgets import QApplication, QLabel

from nla_explorer.engine import capture, trace_backward
from nla_explorer.engine.autograd.forward_rules import forward_card
from nla_explorer.engine.autograd.step_rules import step_card
from nla_explorer.engine.tensors import snapshot
from nla_explorer.panels.list_labels import ListLabel, NumbersLabel, WholeListsLabel
from nla_explorer.panels.number_lists import forms, parse_list, words, wrap
from nla_explorer.panels.step_card import StepCardView
from nla_explorer.value_text import list_texts, short_text


@pytest.fixture(scope="module")
def quadratic():
    """The course's quadratic: x is used three times (an accumulation of three 5-lists), and
    the numbers lines hold 1×5 and 5-lists."""
    torch.manual_seed(0)
    A = torch.randn((5, 5), requires_grad=True)
    b = torch.randn((5,))
    x = torch.randn((5,), requires_grad=True)
    f = 0.5 * x @ A @ x - b @ x
    graph, trace = capture(f, names={"A": A, "b": b, "x": x}), trace_backward(f)
    order = [n.id for n in graph.nodes]
    return SimpleNamespace(
        backward=[step_card(graph, trace, i) for i in range(len(trace.steps))],
        forward=[forward_card(graph, order, i) for i in range(len(order))])


def rendered_lines(label: QLabel) -> list[str]:
    """The label's text line by line, as Qt lays it out at the label's width (rich or plain,
    wrapped or not), read from a QTextDocument set up the way QLabel sets up its own."""
    doc = QTextDocument()
    doc.setDocumentMargin(0)
    doc.setDefaultFont(label.font())
    option = QTextOption(label.alignment())
    option.setWrapMode(QTextOption.WordWrap if label.wordWrap() else QTextOption.NoWrap)
    doc.setDefaultTextOption(option)
    rich = label.textFormat() == Qt.RichText or (
        label.textFormat() == Qt.AutoText and Qt.mightBeRichText(label.text()))
    doc.setHtml(label.text()) if rich else doc.setPlainText(label.text())
    doc.setTextWidth(label.contentsRect().width() if label.wordWrap() else -1)
    doc.size()  # laid out now (a document lays its blocks out when asked for its size)
    lines, block = [], doc.begin()
    while block.isValid():
        layout = block.layout()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            lines.append(block.text()[line.textStart():line.textStart() + line.textLength()])
        block = block.next()
    return lines


def broken_lists(view: StepCardView) -> list[str]:
    """Every line in view that holds a "[" without its "]" (or a "]" without its "[")."""
    broken = []
    for label in view.findChildren(QLabel):
        if not label.isVisibleTo(view) or not label.text():
            continue
        for line in rendered_lines(label):
            depth = 0
            for char in line:
                depth += (char == "[") - (char == "]")
                if depth < 0:
                    break
            if depth != 0:
                broken.append(line)
    return broken


def _view(qtbot, points: float, width: int, compact: bool) -> StepCardView:
    view = StepCardView()
    qtbot.addWidget(view)
    view.set_font_size(points)
    view.set_compact(compact)
    view.resize(width, 1600)
    view.show()
    return view


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def test_the_accumulation_rows_at_presentation_size_keep_each_list_whole(qtbot, quadratic):
    """The quadratic's last step as presentation mode shows it at 1280×720 (20 pt, the card two
    fifths of the screen): "from bᵀx [-0.746, 0.246, …]" once broke after "[-0.746,"."""
    view = _view(qtbot, 20, 480, compact=True)
    view.show_backward(quadratic.backward[-1])
    _settle()
    rows = [row for row in view.accumulation if row.isVisible()]
    assert len(rows) == 4
    assert broken_lists(view) == []
    for row in rows:  # each row shows at least one number, and every number it shows is right
        shown = row.values.text()
        assert shown.count("[") == 1 and "\n" not in shown
        assert shown in list_texts(row.data, most=2, digits=view.view_style.precision)
        assert row.values.width() >= row.values.minimumSizeHint().width()


@pytest.mark.parametrize("points, width, compact", [(20, 480, True), (20, 480, False),
                                                    (16, 360, False), (11, 300, False),
                                                    (28, 740, True)])
def test_no_card_breaks_a_list(qtbot, quadratic, points, width, compact):
    """Every backward and forward card of the quadratic, at lecture sizes in narrow cards."""
    view = _view(qtbot, points, width, compact)
    for card in quadratic.backward + quadratic.forward:
        (view.show_backward if hasattr(card, "incoming") else view.show_forward)(card)
        view.jacobian.set_folded(True)  # its grids keep their size: presentation folds them
        _settle()
        assert broken_lists(view) == [], card.title
        for label in view.findChildren(WholeListsLabel):  # nothing cut at the side
            if label.isVisibleTo(view):
                right = label.mapTo(view, label.rect().topRight()).x()
                assert right < width and label.width() >= label.minimumSizeHint().width()


def test_the_numbers_lines_move_a_list_whole_or_show_fewer_numbers(qtbot, quadratic):
    card = next(c for c in quadratic.backward if "[[" in "".join(c.numbers))  # mm: 1×5 lists
    view = _view(qtbot, 16, 360, compact=False)
    view.show_backward(card)
    _settle()
    numbers = view.numbers
    assert numbers.whole_text() == "\n".join(card.numbers)
    assert view.text().count("[[") == "".join(card.numbers).count("[[")  # the card's own text
    shown = numbers.text().split("\n")
    assert len(shown) > len(card.numbers)  # broken between words
    assert numbers.height() == numbers.heightForWidth(numbers.width())
    assert numbers.heightForWidth(numbers.width()) == _plain_height(numbers)
    shortened = "…" in numbers.text()
    assert numbers.toolTip() == (numbers.whole_text() if shortened else "")


def _plain_height(label: QLabel) -> int:
    """What QLabel itself measures for the label's text."""
    plain = QLabel()
    plain.setFont(label.font())
    plain.setTextInteractionFlags(label.textInteractionFlags())
    plain.setText(label.text())
    return plain.sizeHint().height()


def test_a_list_label_shows_the_most_numbers_that_fit(qtbot):
    data = snapshot(torch.tensor([0.2628, 1.638, 1.769, 6.079, -4.673]))
    label = ListLabel()
    qtbot.addWidget(label)
    label.set_look(18, mono=True)
    texts = list_texts(data, most=3)
    label.show_list(texts, prefix="5")
    label.show()
    widths = [label.measure(f"5 {t}") for t in texts]
    for width, expected in ((widths[0] + 2, f"5 {texts[0]}"), (widths[1] + 2, f"5 {texts[1]}"),
                            (widths[2] + 2, f"5 {texts[2]}")):
        label.resize(round(width), 40)
        assert label.text() == expected
        assert label.heightForWidth(label.width()) == _plain_height(label)
    label.resize(round(label.measure(texts[-1]) + 2), 40)  # the shape over its list
    assert label.text() == f"5\n{texts[-1]}"
    assert label.heightForWidth(label.width()) == _plain_height(label)
    assert label.minimumSizeHint().width() <= label.width()


def test_list_texts_keep_short_text():
    data = snapshot(torch.tensor([[1.0, -2.5], [3.25, 4.0]]))
    texts = list_texts(data, most=3, digits=4)
    assert texts == tuple(short_text(data, width=k, digits=4) for k in (3, 2, 1))
    assert texts[-1] == "[1, …]"
    scalar = snapshot(torch.tensor(2.5))
    assert list_texts(scalar) == (short_text(scalar),)


def test_lists_are_words_and_shorten_whole():
    assert parse_list("[[1, -2.5e-05], [nan, inf]]") == [["1", "-2.5e-05"], ["nan", "inf"]]
    assert parse_list("[x, y]") is None and parse_list("[1, 2") is None
    assert forms("[[1, 2, 3], [4, 5, 6]],") == (
        "[[1, 2, 3], [4, 5, 6]],", "[[1, 2, 3], [4, 5, …]],", "[[1, 2, 3], [4, …]],",
        "[[1, 2, 3], …],", "[[1, 2, …], …],", "[[1, …], …],")
    line = "g = [1, 2, 3] → x.grad = [4, 5, 6]"
    assert [w[0] for w in words(line)] == ["g =", "[1, 2, 3]", "→ x.grad =", "[4, 5, 6]"]
    assert wrap([words(line)], 20, len) == ("g = [1, 2, 3]", "→ x.grad = [4, 5, 6]")
    assert wrap([words(line)], 16, len) == ("g = [1, 2, 3]", "→ x.grad =", "[4, 5, 6]")
    assert wrap([words(line)], 8, len) == ("g =", "[1, …]", "→ x.grad =", "[4, …]")
    assert wrap([words(line)], 100, len) == (line,)


def test_the_card_font_reaches_the_lists(qtbot, quadratic):
    """A new type size: the lists are measured and laid out again in it."""
    view = _view(qtbot, 11, 420, compact=False)
    view.show_backward(quadratic.backward[-1])
    _settle()
    small = view.accumulation[0].values.font().pointSizeF()
    view.set_font_size(22)
    _settle()
    assert view.accumulation[0].values.font().pointSizeF() == pytest.approx(22 * 0.9)
    assert small == pytest.approx(11 * 0.9)
    assert isinstance(view.numbers, NumbersLabel)
    assert view.numbers.font().family() == QFont("DejaVu Sans Mono").family()
    assert broken_lists(view) == []


@pytest.mark.parametrize("width", [300, 380, 480, 700])
def test_a_narrow_row_puts_its_list_whole_under_its_caption(qtbot, quadratic, width):
    """An accumulation row too narrow for caption, heatmap and list side by side (the caption
    unbroken) shows the list on a line of its own under them, so the card asks for no more
    width than the wider of the two: presentation mode keeps the card's type."""
    view = _view(qtbot, 20, width, compact=True)
    view.show_backward(quadratic.backward[-1])
    _settle()
    for row in view.accumulation:
        head, heat, values = row.head, row.heat, row.values
        beside = row.layout().one_line(row.width())
        if beside:  # on one line: the list right of the heatmap, at the same height
            assert values.x() >= heat.geometry().right() and values.y() == head.y()
        else:
            assert values.y() > max(head.geometry().bottom(), heat.geometry().bottom())
            assert values.x() == head.x()
        assert row.minimumSizeHint().width() <= row.width()
        assert values.width() >= values.minimumSizeHint().width()
        assert row.height() >= row.layout().heightForWidth(row.width())
    rows = {row.layout().one_line(row.width()) for row in view.accumulation}
    assert rows == ({True} if width >= 700 else {False} if width <= 380 else {True, False})
    assert broken_lists(view) == []
