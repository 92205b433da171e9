"""A big graph on screen before its gradients: the values its Nodes saved are read and its
backward pass is traced once it is drawn.

Tracing runs the backward pass with a hook on every Node: for a 75,000-node graph that takes
longer than capturing it (0.65 s here), and reading what the Nodes saved for backward is two
thirds of a capture. ``explore`` shows the structure and the forward values first, then reads
the saved values and traces right after the first picture is on screen, before it returns to
the caller, so no user code runs in between (the values and gradients are those of the tensors
the picture shows).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from nla_explorer.engine.autograd.gc_pause import keep_out_of_collections
from nla_explorer.engine.autograd.graph import AutogradGraph
from nla_explorer.engine.autograd.trace import trace_backward
from nla_explorer.engine.errors import EngineError
from nla_explorer.graph_view.groups.plan import ALL_DEPTHS
from nla_explorer.graph_view.picture import PictureOptions

#: Graphs with more autograd nodes than this are drawn before their backward pass is traced.
GRADIENTS_AFTER_VIEW_OVER = 5_000
_POLL_MS = 20


def may_draw_first(options: PictureOptions) -> bool:
    """Whether a big graph would be drawn before it is traced with ``options``: if not, it is
    captured in one pass, its saved values with the rest (two passes cost a fifth more)."""
    return options.groups and options.group_depth != ALL_DEPTHS


def gradients_after_view(nodes: int, options: PictureOptions) -> bool:
    """Whether a graph of ``nodes`` autograd nodes is drawn before it is traced: a big one whose
    groups open closed (a few boxes, given their gradients at once when traced). With every
    group open (or none), each of its boxes would be measured and laid out again when the
    gradients come: it is traced first, as a small graph is."""
    return nodes > GRADIENTS_AFTER_VIEW_OVER and may_draw_first(options)


def wait_for_first_picture(window, timeout_s: float = 300.0) -> bool:
    """Run the event loop until ``window``'s graph pane shows its first picture (or the window
    is closed: False)."""
    pane = window.graph_pane
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()

    def check() -> None:
        drawn = pane.picture is not None and not pane.busy()
        if drawn or not window.isVisible() or time.monotonic() > deadline:
            loop.quit()
    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(_POLL_MS)
    if pane.picture is None or pane.busy():
        loop.exec()
    timer.stop()
    return window.isVisible()


def trace_after_first_view(window, tensor: torch.Tensor,
                           complete: Callable[[], AutogradGraph] | None = None) -> bool:
    """Once ``window`` shows ``tensor``'s graph, read the values its Nodes saved (``complete``:
    the complete graph, when the graph shown has none yet), trace its backward pass and hand
    both to the document (a failure is reported there; the graph stays). False: the window
    was closed first, and nothing was read."""
    if not wait_for_first_picture(window):
        return False
    document = window.document
    window.statusBar().showMessage(
        f"Computing the gradients of {len(document.graph):,} autograd nodes…")
    QApplication.processEvents()  # the picture and the message painted before the wait
    graph = None
    try:
        graph = complete() if complete is not None else None
        trace = trace_backward(tensor)
        keep_out_of_collections(len(document.graph))  # the trace lives as long as the picture
    except EngineError as exc:
        document.set_gradients(None, f"no gradients: {exc}", graph)
        return True
    document.set_gradients(trace, graph=graph)
    return True
