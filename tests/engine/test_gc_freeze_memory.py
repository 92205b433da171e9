"""Freezing a big capture out of the collector leaks nothing over a long session.

``gc.freeze()`` (``keep_out_of_collections`` after a big capture or trace, ``no_full_collections``
at the end of a recording) moves everything alive *and* every cycle already dead but not yet
collected into the permanent generation, which the collector never examines again. Anything
that a cycle keeps alive would stay forever, one copy per capture: a lecture re-captures the same
unrolled LSTM (15,000-75,000 nodes) many times in one process. The engine's records, traces and
recordings make no reference cycles, so reference counting frees each capture as soon as it is
dropped, frozen or not (measured: LSTM × 1,000 captured and traced 15 times, resident memory flat
at +90 MB with or without freezing; ×5,000: +320 MB both ways; nothing unreachable after
``gc.unfreeze(); gc.collect()``).

The probe: capture repeatedly, drop everything, watch the permanent generation (flat once the
first round made its lazy caches), then unfreeze and collect with ``DEBUG_SAVEALL`` to list what
the freezes kept that was garbage. ``LONG_LIVED_OVER`` is lowered so that a 2,000-node graph is
frozen as a 15,000-node one is (the same code path, a tenth of the time).
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable

import pytest
import torch

from nla_explorer.engine.autograd import gc_pause
from nla_explorer.engine.autograd.graph import AutogradGraph, GraphEdge, GraphNode, SavedValue
from nla_explorer.engine.autograd.local_jacobian import JACOBIAN_GRAPHS_UP_TO
from nla_explorer.engine.autograd.recorder import ForwardRecorder
from nla_explorer.engine.autograd.trace import BackwardStep, BackwardTrace, trace_backward
from nla_explorer.engine.recording import Recording, TensorCapture, capture_tensor, recording
from nla_explorer.engine.tensors import TensorData
from tests.helpers import recorded_lstm

#: What must never be left in a cycle: the records of a capture, its trace, the recording that
#: ran its forward, and the user's tensors and module they hold.
ENGINE_TYPES = (AutogradGraph, GraphNode, GraphEdge, SavedValue, TensorData, BackwardTrace,
                BackwardStep, Recording, ForwardRecorder, TensorCapture, torch.Tensor,
                torch.nn.Module)
ROUNDS = 6
#: Objects the permanent generation may gain after the first round (lazy caches of torch or
#: the engine filled late); a capture kept by a cycle adds tens of thousands.
SLACK = 200
#: An LSTMCell makes ~15 autograd nodes per step: enough steps to be over the size up to which a
#: trace works out local Jacobians (those run torch.vmap, whose pytree helpers are short-lived
#: cycles: see test_graphs_that_get_local_jacobians_are_never_frozen).
STEPS = JACOBIAN_GRAPHS_UP_TO // 15 + 10


@pytest.fixture
def frozen_big(monkeypatch):
    """A graph of 1,000 nodes counts as big; full collections are due often (so a recording
    holds some back and freezes at its end, as a long one does); every ``gc.freeze()`` is
    counted. The collector is left as found, nothing frozen."""
    before = gc.get_threshold()
    calls: list[int] = []
    real = gc.freeze

    def freeze() -> None:
        calls.append(1)
        real()
    monkeypatch.setattr(gc_pause, "LONG_LIVED_OVER", 1_000)
    monkeypatch.setattr(gc, "freeze", freeze)
    gc.unfreeze()
    gc.collect()
    gc.set_threshold(200, 2, 2)
    try:
        yield calls
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
        gc.collect()


def _frozen_after_rounds(make: Callable[[], int]) -> tuple[list[int], list[int], Counter]:
    """Run ``make`` (a capture, all of it dropped when it returns its graph's size) ``ROUNDS``
    times: the sizes, the permanent generation's size after each round, and the engine objects
    that the freezes kept although they were garbage (found once unfrozen)."""
    sizes, frozen = [], []
    for _ in range(ROUNDS):
        sizes.append(make())
        with recording():  # the latest recording is kept until the next starts: let it go
            pass
        frozen.append(gc.get_freeze_count())
    gc.unfreeze()
    debug = gc.get_debug()
    gc.garbage.clear()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        leaked = Counter(type(o).__name__ for o in gc.garbage if isinstance(o, ENGINE_TYPES))
    finally:
        gc.set_debug(debug)
        gc.garbage.clear()
    return sizes, frozen, leaked


def _explore_capture() -> int:
    """What ``explore`` does for a big recorded graph traced first: capture and trace in one."""
    cell, loss = recorded_lstm(STEPS)
    return len(capture_tensor(loss, models={"cell": cell}).graph)


def _drawn_first_capture() -> int:
    """What ``explore`` does for a big graph drawn before its gradients: the graph without its
    saved values, then the complete graph and the trace, frozen as the picture keeps them
    (first_view.trace_after_first_view)."""
    cell, loss = recorded_lstm(STEPS)
    cap = capture_tensor(loss, models={"cell": cell}, trace=False, saved=False)
    graph, trace = cap.complete(), trace_backward(loss)
    gc_pause.keep_out_of_collections(len(graph))
    assert trace.steps
    return len(graph)


@pytest.mark.parametrize("make", [_explore_capture, _drawn_first_capture])
def test_repeated_big_captures_leave_nothing_frozen(frozen_big, make):
    sizes, frozen, leaked = _frozen_after_rounds(make)
    assert min(sizes) > JACOBIAN_GRAPHS_UP_TO
    assert len(frozen_big) >= 2 * ROUNDS  # (the premise: each round froze: recording, capture)
    assert max(frozen[1:]) - frozen[1] <= SLACK, frozen
    assert not leaked, leaked


def test_the_probe_sees_a_graph_that_a_cycle_keeps(frozen_big):
    """The probe's control: a graph in a reference cycle when a big trace is frozen stays in
    memory once dropped, every round, and the probe says so."""
    def make() -> int:
        cell, loss = recorded_lstm(STEPS)
        graph = capture_tensor(loss, models={"cell": cell}, trace=False, saved=False).complete()
        cycle: list = [graph]
        cycle.append(cycle)  # as if the engine's records made one
        trace_backward(loss)
        gc_pause.keep_out_of_collections(len(graph))
        return len(graph)
    sizes, frozen, leaked = _frozen_after_rounds(make)
    assert frozen[-1] - frozen[1] > (ROUNDS - 2) * sizes[0]
    assert leaked["GraphNode"] >= ROUNDS * sizes[0]


def test_graphs_that_get_local_jacobians_are_never_frozen():
    """A trace of a small graph works out local Jacobians with torch.vmap, whose pytree helpers
    are dead cycles (recursive closures, ~50 objects per vmap call) until the next collection;
    a freeze right after the trace would keep them forever (measured with the two sizes made to
    overlap: 32,000 objects more frozen after each capture of a 1,500-node LSTM). Only a graph
    too big for Jacobians is frozen, so the two sizes must never overlap."""
    assert JACOBIAN_GRAPHS_UP_TO < gc_pause.LONG_LIVED_OVER
