"""The window evaluates nothing itself: captures run in a child process, with Cancel and limits.

Issue 16's first point, as a user meets it: a long capture leaves the window painting and Cancel
ends it at once; a child that dies or runs out of memory is a message, the last good graph stays,
and the next capture gets a fresh child.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from PySide6.QtCore import Qt, QTimer

from nla_explorer.engine import pipeline
from nla_explorer.engine.code import evaluation
from nla_explorer.stall_probe import StallProbe

pytestmark = [pytest.mark.timeout(240)]

SMALL = "import torch\ntorch.manual_seed(0)\nx = torch.randn(3, requires_grad=True)\n" \
        "y = (x * x).sum()\n"
#: About a minute of determinants through the whitelist (about 0.5 s each here), little memory.
LONG = "import torch\na = torch.randn(2000, 2000)\n" + \
    "".join(f"d{k} = torch.det(a)\n" for k in range(120)) + \
    "x = torch.randn(3, requires_grad=True)\ny = (x * d0).sum()\n"


def capture(window, text: str) -> bool:
    window.code_panel.set_text(text)
    return window.document.set_code(text)


def test_a_capture_runs_in_the_child_not_in_the_window(window, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("evaluated in the window's process")
    monkeypatch.setattr(evaluation, "evaluate", refuse)
    monkeypatch.setattr(pipeline, "evaluate", refuse)
    assert capture(window, SMALL)
    assert window.document.graph.output.name == "y"
    assert window.document.evaluator.runner.pid != os.getpid()


def test_a_minute_long_capture_paints_and_cancel_ends_it(qtbot, window):
    assert capture(window, SMALL)
    probe = StallProbe()
    probe.start()
    clicked = []

    def cancel():
        clicked.append(time.monotonic())
        qtbot.mouseClick(window.code_panel.cancel_button, Qt.LeftButton)
    QTimer.singleShot(1500, lambda: window.code_panel.cancel_button.isVisible() and cancel())
    assert not capture(window, LONG)
    ended = time.monotonic()
    probe.stop()
    assert clicked and ended - clicked[0] < 0.5
    assert "cancelled" in window.document.error
    assert window.document.graph.output.name == "y"  # the last good graph stays
    assert probe.longest < 0.5, probe.longest
    assert not window.code_panel.cancel_button.isVisible()
    assert capture(window, SMALL.replace("x * x", "x * 3"))  # a fresh child answers


def test_a_dead_child_is_a_message_and_the_next_capture_works(window):
    assert capture(window, SMALL)
    runner = window.document.evaluator.runner
    os.kill(runner.pid, signal.SIGKILL)
    assert capture(window, SMALL.replace("x * x", "x + x"))  # a fresh child, started at once
    assert window.document.graph.output.name == "y"
    assert window.document.evaluator.runner.pid not in (None, os.getpid())


def test_out_of_memory_in_the_child_keeps_the_last_good_graph(window, settings):
    settings.setValue("python/memory_mb", 1600)
    window.document.evaluator.set_limits(1600, 60)
    assert capture(window, SMALL)
    big = ("import torch\n" + "".join(
        f"m{k} = torch.randn(7000, 7000, dtype=torch.float64)\n" for k in range(6)))
    assert not capture(window, big)
    assert "memory" in window.document.error.lower()
    assert window.document.graph.output.name == "y"
    window.document.evaluator.set_limits(4096, 60)
    assert capture(window, SMALL.replace("x * x", "x - 1"))


def test_every_wait_wakes_when_its_answer_arrives(qtbot):
    """An answer that comes while the caller waits always ends the wait (a lost wake-up once hung
    the suite: the caller woke before the answer was marked done and waited again for nobody).

    A rescuer wakes a stuck wait after 10 s so that a regression fails instead of hanging.
    """
    import threading

    from nla_explorer.evaluator import QUIET_WAIT_S, ChildEvaluator
    evaluator = ChildEvaluator()
    rescued = []

    def rescue(stop: threading.Event) -> None:
        while not stop.wait(10):
            rescued.append(time.monotonic())
            QTimer.singleShot(0, evaluator._loop.quit)
            from PySide6.QtCore import QMetaObject
            QMetaObject.invokeMethod(evaluator._loop, "quit", Qt.QueuedConnection)
    try:
        for k in range(12):
            stop = threading.Event()
            threading.Thread(target=rescue, args=(stop,), daemon=True).start()
            try:
                assert evaluator._wait(lambda: time.sleep(QUIET_WAIT_S + 0.05 * (k % 3)) or k) == k
            finally:
                stop.set()
        assert not rescued, "a wait was only ended by the rescuer"
    finally:
        evaluator.close()
