"""A factorization's step card, on screen and on a slide: g is the first factor's gradient, and
each other factor's gradient that arrived with it has a tile of its own (Q, R = qr(A))."""

from __future__ import annotations

from nla_explorer.engine.autograd.step_rules import step_card
from nla_explorer.graph_view.slide_card import card_content

CODE = ("import torch\ntorch.manual_seed(0)\nA = torch.randn(4, 3, requires_grad=True)\n"
        "Q, R = torch.linalg.qr(A)\nf = Q.sum() + (R * R).sum()\nf.backward()\n")


def test_each_factors_gradient_has_its_tile(window, qtbot):
    window.code_panel.set_text(CODE)
    window.code_panel.request_capture()
    qtbot.waitUntil(lambda: window.document.trace is not None and not window.busy(),
                    timeout=20_000)
    doc = window.document
    qr = next(n for n in doc.graph.nodes if n.op == "LinalgQrBackward0")
    doc.set_step(doc.trace.step_of(qr.id).index)
    captions = [tile.caption for tile in window.stepper.card.tiles]
    assert captions[:2] == ["g = ∂f/∂Q", "∂f/∂R"] and captions[2] == "→ ∂f/∂A"
    slide = card_content(step_card(doc.graph, doc.trace, doc.step))
    assert [caption for caption, _, _ in slide.tiles] == ["g = ∂L/∂Q", "∂L/∂R", "→ ∂L/∂A"]
