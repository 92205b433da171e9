"""An open fold of 40 LSTM calls on screen: its ends and a gap box; double-clicking the gap shows
every call (the first it hid stays in view); stepping into a hidden call lights the gap with how
far the pass is."""

from __future__ import annotations

import pytest
import torch
from PySide6.QtCore import Qt

from nla_explorer.engine.recording import capture_tensor
from nla_explorer.graph_view.groups.fold_window import ENDS, gap_fold
from tests.app.approved import assert_looks_approved, settled
from tests.app.panes import pane_showing
from tests.helpers import recorded_lstm

STEPS = 40


@pytest.fixture
def lstm_pane(qtbot):
    cell, loss = recorded_lstm(STEPS, torch.Generator().manual_seed(1))
    cap = capture_tensor(loss, models={"cell": cell})
    pane = pane_showing(qtbot, cap)
    fold = next(g for g in pane.picture.tree.groups if g.startswith("fold:"))
    pane.toggle_group(fold)
    qtbot.waitUntil(lambda: fold in pane.picture.opened and not pane.busy(), timeout=10_000)
    return pane, fold


def _gaps(pane, fold):
    return [i for i in pane.picture.prepared.shown.levels[fold] if gap_fold(i) == fold]


def _visible(pane, box):
    seen = pane.view.mapToScene(pane.view.viewport().rect()).boundingRect()
    return seen.contains(pane.scene.node_items[box].sceneBoundingRect().center())


def test_double_clicking_the_gap_shows_every_call_and_keeps_the_first_it_hid_in_view(
        lstm_pane, qtbot):
    pane, fold = lstm_pane
    calls = pane.picture.tree.groups[fold].groups
    (gap,) = _gaps(pane, fold)
    assert len(pane.picture.prepared.shown.levels[fold]) == 2 * ENDS + 1
    item = pane.scene.node_items[gap]
    pane.view.centerOn(item.sceneBoundingRect().center())
    pos = pane.view.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseDClick(pane.view.viewport(), Qt.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: not _gaps(pane, fold) and not pane.busy(), timeout=10_000)
    assert pane.picture.prepared.shown.levels[fold] == calls
    assert _visible(pane, calls[ENDS])
    pane.toggle_group(fold)  # closing the fold forgets that it showed every call
    qtbot.waitUntil(lambda: fold not in pane.picture.opened, timeout=10_000)
    pane.toggle_group(fold)
    qtbot.waitUntil(lambda: fold in pane.picture.opened and not pane.busy(), timeout=10_000)
    assert len(_gaps(pane, fold)) == 1


def test_stepping_into_a_hidden_call_lights_the_gap_with_how_far_the_pass_is(lstm_pane):
    pane, fold = lstm_pane
    document = pane.document
    (gap,) = _gaps(pane, fold)
    inside = set(pane.picture.display.node(gap).members)
    trace = document.trace
    index = next(i for i, s in enumerate(trace.steps) if s.node_id in inside) + 3
    document.set_step(index)
    assert pane.scene.node_items[gap].step_state == "current"
    done = sum(1 for s in trace.steps[:index] if s.node_id in inside)
    view = document.step_view(index)
    text = pane.overlay.running_text(gap, view)
    call = pane.picture.tree.group_of[view.current]  # the hidden call that runs: named
    number = pane.picture.tree.groups[call].call
    assert call == f"cell@{number}" and 3 < number < 5000
    assert text == f"running cell (call {number:,}) · step {done + 1:,} of {len(inside):,}"
    assert _visible(pane, gap)


def test_the_open_fold_with_its_gap_looks_approved(lstm_pane):
    pane, _ = lstm_pane
    pane.fit()
    assert_looks_approved(settled(pane), "fold_window_lstm")


def test_the_menus_open_everything_shows_every_call(lstm_pane, qtbot):
    pane, fold = lstm_pane
    header = pane.scene.frame_items[fold].header_rect().center()
    actions = dict(pane.group_menu.actions_at(header))
    actions["Open all groups"]()
    qtbot.waitUntil(lambda: not _gaps(pane, fold) and not pane.busy(), timeout=10_000)
    calls = pane.picture.tree.groups[fold].groups
    assert pane.picture.prepared.shown.levels[fold] == calls
    assert set(calls) <= set(pane.scene.frame_items)  # every call open


def test_a_gap_that_is_not_there_changes_nothing(lstm_pane):
    pane, fold = lstm_pane
    before = pane.picture
    for bad in ("gap:no.such.fold#x", "gap:", f"gap:{fold}#not.a.call"):
        pane.toggle_group(bad)
        assert pane.picture is before and not pane.busy()
