"""The Results panel: a named Hessian as a labelled heatmap, checked against its closed form."""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtGui import QGuiApplication

from nla_explorer.engine import explore_code, get_example
from nla_explorer.engine.results import named_results
from nla_explorer.engine.runner.safe_run import explore_safe
from nla_explorer.panels.results import ResultsPanel
from tests.app.approved import assert_looks_approved, settled


def test_the_hessian_shows_as_a_labelled_heatmap_with_the_closed_form_checked(qtbot):
    example = get_example("hessian_quadratic")
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.set_results(named_results(explore_code(example.code), example))
    assert panel.current_name() == "H"
    labels = [f"x[{i}]" for i in range(5)]
    assert panel.row_labels() == labels and panel.column_labels() == labels
    namespace: dict = {}
    exec(compile(example.code, "<oracle>", "exec"), namespace)  # noqa: S102 - plain torch
    expected = namespace["H"].numpy()
    shown = np.array([[float(panel.heatmap.item(r, c).data(256)) for c in range(5)]
                      for r in range(5)])
    np.testing.assert_array_equal(shown, expected.astype(np.float64))
    A = namespace["A"].detach()
    np.testing.assert_allclose(expected, (0.5 * (A + A.T)).numpy(), rtol=1e-6)
    assert panel.picker.item(0).text().startswith("✓ H = ∇²f(x)")
    cards = panel.card_texts()
    assert cards == [cards[0]] and cards[0].startswith("✓ agrees with autograd closed form ½(A + Aᵀ)")
    # the diverging colours: the most negative entry bluish, the most positive reddish
    low, high = np.unravel_index(expected.argmin(), expected.shape), \
        np.unravel_index(expected.argmax(), expected.shape)
    blue = panel.heatmap.item(*map(int, low)).background().color()
    red = panel.heatmap.item(*map(int, high)).background().color()
    assert blue.blue() > blue.red() and red.red() > red.blue()
    panel.resize(520, 420)
    panel.show()
    qtbot.waitExposed(panel)
    QGuiApplication.processEvents()
    assert_looks_approved(settled(panel), "results_hessian_quadratic")


def test_a_wrong_closed_form_gets_a_cross_and_the_results_follow_the_program(qtbot):
    code = get_example("tanh_net_jacobian").code
    result = explore_safe(code=code)
    derivative = result.derivatives[0]
    wrong = torch.zeros(2, 3)
    from nla_explorer.engine.tensors import snapshot
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.set_results([(derivative, (("a wrong guess", snapshot(wrong)),))])
    assert panel.row_labels() == ["f[0]", "f[1]"]
    assert panel.column_labels() == ["x[0]", "x[1]", "x[2]"]
    assert panel.card_texts()[0].startswith("✗ differs from autograd a wrong guess")
    assert panel.picker.item(0).text().startswith("✗ J = ∂f/∂x")
    panel.set_results(())
    assert panel.placeholder.isVisibleTo(panel) and not panel.heatmap.isVisibleTo(panel)


def test_the_panel_follows_the_documents_program(qtbot):
    from nla_explorer.document import Document
    document = Document()
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.follow(document)
    assert panel.current_name() is None and panel.placeholder.isVisibleTo(panel)
    example = get_example("tanh_net_jacobian")
    assert document.set_code(example.code, example)
    assert panel.current_name() == "J" and panel.column_labels() == ["x[0]", "x[1]", "x[2]"]
    assert panel.card_texts()[0].startswith("✓ agrees with autograd closed form W₂")
