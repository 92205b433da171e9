"""The undo history is bounded in bytes, not only in steps (issue 16).

Each step keeps its capture's tensors alive: re-capturing a 7000×7000 cell held ~600 MB more each
time, so 100 steps were no memory bound. Past ``UNDO_BYTES`` the oldest steps go; what is kept
still undoes and redoes, and the saved (clean) state follows the steps kept.
"""

from __future__ import annotations

import gc
import weakref

import pytest

from nla_explorer import document as document_module
from nla_explorer.document import UNDO_LIMIT, Document
from nla_explorer.engine.code.budget import CaptureSizes

MB = 10**6
#: A cell whose capture holds ~28 MB: x, y, x.grad and four gradients of its trace, 4 MB each.
CELL = ("import torch\nx = torch.randn(1000, 1000, requires_grad=True)\ny = x.sin()\n"
        "f = y.sum()\nf.backward()\n")


@pytest.fixture
def doc(qtbot):
    return Document()


def history_bytes(doc: Document) -> int:
    """Bytes of the captures the undo steps hold besides the one shown."""
    stack, sizes = doc.undo_stack, CaptureSizes()
    held = {}
    for command in map(stack.command, range(stack.count())):
        for state in (command.before, command.after):
            if state is not None:
                held[id(CaptureSizes.key(state.exploration))] = state.exploration
    held.pop(id(CaptureSizes.key(doc.exploration)), None)
    return sum(sizes(e) for e in held.values())


def recapture(doc: Document, times: int, text: str = CELL) -> None:
    for _ in range(times):
        assert doc.set_code(text), doc.error


def test_recaptures_keep_at_most_the_byte_budget(doc, monkeypatch):
    monkeypatch.setattr(document_module, "UNDO_BYTES", 60 * MB)  # two captures of ~28 MB
    recapture(doc, 1)
    first = weakref.ref(doc.exploration.evaluation)
    recapture(doc, 9)
    assert history_bytes(doc) <= 60 * MB
    assert doc.undo_stack.count() == 2  # the last two steps hold two captures besides the shown
    gc.collect()
    assert first() is None  # what fell off is freed
    shown = doc.exploration
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.exploration is not shown and not doc.undo_stack.canUndo()
    doc.undo_stack.redo()
    doc.undo_stack.redo()
    assert doc.exploration is shown  # what is kept redoes too


def test_small_captures_keep_every_step(doc):
    recapture(doc, 30, "import torch\nx = torch.randn(3, requires_grad=True)\nf = x.sum()\n")
    assert doc.undo_stack.count() == 30 < UNDO_LIMIT


def test_a_capture_larger_than_the_budget_leaves_no_history(doc, monkeypatch):
    monkeypatch.setattr(document_module, "UNDO_BYTES", 10 * MB)
    recapture(doc, 3)
    assert doc.undo_stack.count() == 0 and not doc.undo_stack.canUndo()
    assert doc.graph is not None and doc.exploration is not None  # still shown


def test_trimming_restores_nothing_and_keeps_the_view(doc, qtbot, monkeypatch):
    monkeypatch.setattr(document_module, "UNDO_BYTES", 60 * MB)
    recapture(doc, 3)
    changes = []
    doc.graph_changed.connect(lambda: changes.append(doc.exploration))
    recapture(doc, 1)  # trims: the kept steps are pushed again without being restored
    assert changes == [doc.exploration]


def test_the_clean_state_follows_the_steps_kept(doc, monkeypatch):
    monkeypatch.setattr(document_module, "UNDO_BYTES", 60 * MB)
    recapture(doc, 3)  # three steps (the first has nothing before it), all kept
    doc.undo_stack.setClean()  # saved here
    saved = doc.exploration
    recapture(doc, 1)  # the oldest two steps would hold a third capture: they go
    assert doc.undo_stack.count() == 2 and not doc.undo_stack.isClean()
    doc.undo_stack.undo()
    assert doc.exploration is saved and doc.undo_stack.isClean()
    doc.undo_stack.redo()
    recapture(doc, 2)  # now the saved state itself falls off
    assert doc.undo_stack.cleanIndex() == -1
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
        assert not doc.undo_stack.isClean()


def test_re_capturing_a_large_cell_stays_bounded(doc, monkeypatch):
    """The finding at a smaller scale: a 2000×2000 cell (~112 MB a capture), 12 re-captures."""
    monkeypatch.setattr(document_module, "UNDO_BYTES", 300 * MB)
    big = CELL.replace("1000, 1000", "2000, 2000")
    recapture(doc, 12, big)
    assert history_bytes(doc) <= 300 * MB
    assert doc.undo_stack.count() == 2
