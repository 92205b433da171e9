"""The step card's local Jacobian: drawn with its numbers, g and gᵀJ with a ✓, the diagonal of an
elementwise op, the size limit from the preferences, and an approved picture at lecture size."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QDialogButtonBox

from nla_explorer.engine import explore_code
from nla_explorer.engine.autograd.step_rules import step_card
from nla_explorer.panels.step_card import StepCardView
from nla_explorer.preferences import Preferences
from nla_explorer.preferences_dialog import PreferencesDialog
from tests.app.approved import assert_looks_approved, settled

CODE = """A = torch.tensor([[1., 2., 0.], [0., 1., -1.]], requires_grad=True)
x = torch.tensor([1., -1., 0.5], requires_grad=True)
y = torch.tanh(A @ x)
f = (y * y).sum()
"""


@pytest.fixture(scope="module")
def exploration():
    return explore_code(CODE)


def card_of(exploration, op: str):
    index = next(i for i, s in enumerate(exploration.trace.steps)
                 if exploration.graph.node(s.node_id).op == op)
    return step_card(exploration.graph, exploration.trace, index)


@pytest.fixture
def view(qtbot):
    view = StepCardView()
    qtbot.addWidget(view)
    view.set_font_size(16)
    view.resize(720, 900)
    view.show()
    return view


def test_the_card_draws_j_g_and_g_transpose_j_with_a_tick(view, exploration):
    card = card_of(exploration, "MvBackward0")
    view.show_backward(card)
    blocks = view.jacobian.blocks
    assert view.jacobian.isVisible() and len(blocks) == 2
    by_label = {b.part.label: b for b in blocks}
    a_block, x_block = by_label["A"], by_label["x"]
    assert "(2×6)" in a_block.caption.text() and "(2×3)" in x_block.caption.text()
    for block in blocks:
        pixmap = block.grid.pixmap()
        assert not pixmap.isNull() and block.grid.isVisible()
        assert pixmap.width() > pixmap.height()  # 6 or 3 columns of numbers, 2 rows
        assert block.product_grid.pixmap() is not None and block.product_row.isVisible()
        assert "✓" in block.product_row.text()
    # the numbers: ∂(Ax)/∂x = A, and gᵀJ is what torch sent to x
    x_part = x_block.part
    np.testing.assert_allclose(x_part.jacobian.values, [[1, 2, 0], [0, 1, -1]])
    sent = dict(card.outgoing)["x"].values
    np.testing.assert_allclose(x_part.product.values, sent, rtol=1e-6)
    assert "−1" in x_block.grid.toolTip()  # every number, in the tooltip too
    assert "gᵀJ  = ∂f/∂x that torch sent ✓" in view.text()


def test_an_elementwise_step_shows_the_diagonal(view, exploration):
    view.show_backward(card_of(exploration, "TanhBackward0"))
    (block,) = view.jacobian.blocks
    assert "is diagonal (elementwise op)" in block.caption.text()
    assert block.part.jacobian.shape == (2,)
    assert "g ⊙ diag J" in block.product_row.text() and "✓" in block.product_row.text()


def test_a_jacobian_above_the_limit_is_not_drawn(view, exploration):
    view.show_backward(card_of(exploration, "MvBackward0"))
    view.set_jacobian_limit(8)  # A's J has 12 entries, x's 6
    by_label = {b.part.label: b for b in view.jacobian.blocks}
    assert "Jacobian not shown: 2×6 entries above the limit (Preferences)" in view.text()
    assert by_label["A"].grid.isHidden() and not by_label["x"].grid.isHidden()
    view.set_jacobian_limit(0)
    assert view.jacobian.isHidden()
    view.show_backward(card_of(exploration, "MvBackward0"))  # the next card keeps the limit
    assert view.jacobian.isHidden()


def test_the_limit_is_a_preference(qtbot):
    assert Preferences().jacobian_limit == 4096
    assert Preferences(jacobian_limit=10 ** 9).checked().jacobian_limit == 16_384
    dialog = PreferencesDialog(Preferences(jacobian_limit=100))
    qtbot.addWidget(dialog)
    assert dialog.jacobian_spin.value() == 100
    dialog.jacobian_spin.setValue(900)
    assert dialog.preferences().jacobian_limit == 900
    dialog.buttons.button(QDialogButtonBox.RestoreDefaults).click()
    assert dialog.preferences().jacobian_limit == 4096


def test_the_card_at_lecture_size_looks_approved(view, exploration, qtbot):
    view.show_backward(card_of(exploration, "MvBackward0"))
    qtbot.wait(100)
    assert_looks_approved(settled(view), "step_card_jacobian_font16")
