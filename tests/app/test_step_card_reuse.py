"""The step card keeps its widgets from step to step (tiles, accumulation rows, Jacobian blocks)
and refills them: a card reached by stepping forwards and backwards shows exactly what a card
built afresh for that step shows (the same labels, texts, fonts, pictures and pixels), and no
tile, row or block of an earlier step stays visible. The step label's box passes a change of the
label's size on to the panel, and only then."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from nla_explorer.engine import capture, trace_backward
from nla_explorer.engine.autograd.forward_rules import forward_card
from nla_explorer.engine.autograd.step_rules import step_card
from nla_explorer.panels.jacobian_view import JacobianBlock
from nla_explorer.panels.step_card import StepCardView, SumRow, TensorTile
from nla_explorer.panels.stepper import QuietBox



def _function() -> tuple[torch.Tensor, dict]:
    """Matrices and vectors (heatmaps) and scalars (numbers); x and y used twice (accumulation
    rows); steps with one to four tiles, with and without a local Jacobian."""
    A = torch.tensor([[1., 2., 0.], [0., 1., -1.]], requires_grad=True)
    x = torch.tensor([1., -1., 0.5], requires_grad=True)
    w = torch.tensor([0.5, 2., -1.], requires_grad=True)
    b = torch.tensor([0.1, 0., -0.2], requires_grad=True)
    y = torch.tanh(A @ x)
    s = (y * y).sum() + (x * x).sum()
    n = torch.nn.functional.layer_norm(A, (3,), w, b)
    f = torch.addmm(n[:, :2], A[:, 1:], A[:, :2].T @ A[:, :2]).sum() * s
    return f, {"A": A, "x": x, "w": w, "b": b}


@pytest.fixture(scope="module")
def exploration():
    f, names = _function()
    return SimpleNamespace(graph=capture(f, names=names), trace=trace_backward(f))


def _view(qtbot, points: float = 12) -> StepCardView:
    view = StepCardView()
    qtbot.addWidget(view)
    view.set_font_size(points)
    view.resize(560, 1400)
    view.show()
    return view


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def _shown(view: StepCardView) -> dict:
    """What the card shows: every visible label in reading order with its text, font, tooltip
    and picture, the tiles, rows and blocks in view, and the card's pixels."""
    _settle()
    labels = []
    for label in view.findChildren(QLabel):
        if not label.isVisibleTo(view):
            continue
        where = label.mapTo(view, label.rect().topLeft())
        pixmap = label.pixmap()
        picture = None if pixmap is None or pixmap.isNull() else pixmap.toImage()
        labels.append(((where.y(), where.x()), label.size().toTuple(), label.text(),
                       label.font().toString(), label.toolTip(), picture))
    labels.sort(key=lambda entry: entry[0])
    visible = {kind: [w for w in view.findChildren(kind) if w.isVisibleTo(view)]
               for kind in (TensorTile, SumRow, JacobianBlock)}
    return {"text": view.text(), "labels": labels,
            "tiles": [t.caption for t in visible[TensorTile]],
            "rows": [r.caption for r in visible[SumRow]],
            "blocks": len(visible[JacobianBlock]),
            "pixels": view.grab().toImage()}


def _assert_same(stepped: dict, fresh: dict, where: str, exact: bool = True) -> None:
    """``exact``: the same places and pixels too. A message card after a step is not: Qt's
    QLabel.setText("") after a text keeps one line's height (17 px, a new empty label 16), as it
    did before the card kept its widgets."""
    for key in ("text", "tiles", "rows", "blocks"):
        assert stepped[key] == fresh[key], f"{where}: {key}"
    assert len(stepped["labels"]) == len(fresh["labels"]), where
    for ours, theirs in zip(stepped["labels"], fresh["labels"]):
        if not exact:
            ours, theirs = ours[2:], theirs[2:]
        assert ours == theirs, f"{where}: {ours[2][:80]!r} vs {theirs[2][:80]!r}"
    if exact:
        assert stepped["pixels"] == fresh["pixels"], where


def _no_stale_widgets(view: StepCardView) -> None:
    """Only the widgets the card lists are in view: nothing left over from an earlier step."""
    shown = [t for t in view.findChildren(TensorTile) if t.isVisibleTo(view)]
    assert sorted(map(id, shown)) == sorted(map(id, view.tiles))
    rows = [r for r in view.findChildren(SumRow) if r.isVisibleTo(view)]
    assert sorted(map(id, rows)) == sorted(map(id, view.accumulation))
    blocks = [b for b in view.findChildren(JacobianBlock) if b.isVisibleTo(view)]
    open_ = view.jacobian.isVisibleTo(view) and not view.jacobian.folded
    expected = view.jacobian.blocks if open_ else []
    assert sorted(map(id, blocks)) == sorted(map(id, expected))


def _cards(exploration) -> list[tuple[str, object]]:
    graph, trace = exploration.graph, exploration.trace
    backward = [("backward", step_card(graph, trace, i)) for i in range(len(trace.steps))]
    order = [n.id for n in graph.nodes]
    forward = [("forward", forward_card(graph, order, i)) for i in range(len(order))]
    return backward + forward


def _show(view: StepCardView, kind: str, card) -> None:
    if kind == "message":
        view.show_message(card)
    elif kind == "backward":
        view.show_backward(card)
    else:
        view.show_forward(card)


def test_the_cards_vary(exploration):
    """The walk below meets cards with different numbers of tiles, rows and Jacobian blocks."""
    cards = [card for kind, card in _cards(exploration) if kind == "backward"]
    outgoing = {sum(t is not None for _, t in c.outgoing) for c in cards}
    assert len(outgoing) >= 3 and any(c.contributions for c in cards)
    assert any(c.jacobians for c in cards) and any(not c.jacobians for c in cards)


def test_a_stepped_card_shows_what_a_fresh_card_shows(qtbot, exploration):
    cards = _cards(exploration)
    backward = [c for c in cards if c[0] == "backward"]
    walk = backward + backward[::-1] + [("message", "Press → to run the first step.")]
    walk += [c for c in cards if c[0] == "forward"] + backward[len(backward) // 2:]
    walk += backward[::-1]
    stepped = _view(qtbot)
    for number, (kind, card) in enumerate(walk):
        _show(stepped, kind, card)
        fresh = _view(qtbot)
        _show(fresh, kind, card)
        where = f"step {number} ({kind})"
        _assert_same(_shown(stepped), _shown(fresh), where, exact=kind != "message")
        _no_stale_widgets(stepped)
        fresh.close()


def test_a_folded_jacobian_and_a_new_type_size_match_a_fresh_card(qtbot, exploration):
    """Presentation mode folds the Jacobian and changes the type size of the card shown."""
    backward = [c for c in _cards(exploration) if c[0] == "backward"]
    stepped = _view(qtbot)
    for number, (kind, card) in enumerate(backward):
        folded, points = number % 3 == 1, (12, 18, 9)[number % 3]
        _show(stepped, kind, card)
        stepped.jacobian.set_folded(folded)
        stepped.set_font_size(points)
        fresh = _view(qtbot, points)
        fresh.jacobian.set_folded(folded)
        _show(fresh, kind, card)
        _assert_same(_shown(stepped), _shown(fresh), f"step {number}")
        _no_stale_widgets(stepped)
        fresh.close()
        stepped.jacobian.set_folded(False)


def test_the_step_labels_box_takes_the_labels_size(qtbot):
    """A longer text that wraps makes the box taller and a short one shorter again, exactly as
    the label itself in the same layout."""
    def panel(boxed: bool):
        widget = QWidget()
        qtbot.addWidget(widget)
        layout = QVBoxLayout(widget)
        label = QLabel()
        label.setWordWrap(True)
        layout.addWidget(QuietBox(label) if boxed else label)
        below = QLabel("below")
        layout.addWidget(below)
        layout.addStretch(1)
        widget.resize(220, 400)
        widget.show()
        kept.append(widget)
        return label, below

    kept = []
    boxed, boxed_below = panel(True)
    plain, plain_below = panel(False)
    texts = ["<b>backward step 1 of 9</b>: x", "<b>backward step 2 of 9</b>: " + "long " * 30,
             "<b>backward step 3 of 9</b>: y", "<b>backward step 4 of 9</b>: z"]
    for text in texts:
        boxed.setText(text)
        plain.setText(text)
        _settle()
        assert boxed.parentWidget().geometry() == plain.geometry(), text
        assert boxed.size() == plain.size()
        assert boxed_below.geometry() == plain_below.geometry(), text
    font = boxed.font()
    font.setPointSize(font.pointSize() * 2)
    boxed.setFont(font)
    plain.setFont(font)
    _settle()
    assert boxed.parentWidget().geometry() == plain.geometry()
    assert boxed_below.geometry() == plain_below.geometry()
