"""The soak driver shared by ``tests/test_soak.py`` (short) and ``benchmarks/soak.py`` (long).

:func:`soak` drives a real :class:`~nla_explorer.main_window.MainWindow` through ``ops`` mixed
operations, the way a lecturer would over a long session: code captures of varied small programs
(and some broken ones), examples, undo/redo, block edits, backward/forward steps with the stepper
keys, training slider moves (debounced restarts, some waited for), small timing sweeps (some
cancelled) and SVG exports. At checkpoints it records RSS, live QObjects, scene items and Python
objects; a 10 ms QTimer probe records the longest gap between event-loop turns (a GUI stall).

Event pumping comes from ``pump``: anything with qtbot's ``wait(ms)`` and
``waitUntil(callback, timeout=ms)`` (qtbot itself, or :class:`Pump` outside pytest).
"""

from __future__ import annotations

import ctypes
import gc
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from shiboken6 import Shiboken

from nla_explorer.engine.blocks import edits as E
from nla_explorer.stall_probe import StallProbe
from nla_explorer.engine.examples import EXAMPLES

EXAMPLE_NAMES = tuple(e if isinstance(e, str) else e.name for e in EXAMPLES)
UNARY = ("tanh", "relu", "sigmoid", "exp", "sin")
STEP_KEYS = (Qt.Key_Right, Qt.Key_Right, Qt.Key_Right, Qt.Key_Left, Qt.Key_Home, Qt.Key_End,
             Qt.Key_F)
#: Warm-up: captures (the undo history fills) and steps (the value-picture cache fills).
WARMUP_MIX = (("code", 1), ("step", 1))
#: The operation mix: (kind, weight).
MIX = (("code", 14), ("example", 3), ("bad_code", 2), ("undo", 6), ("redo", 4), ("blocks", 8),
       ("step", 40), ("slider", 12), ("timing", 3), ("export", 2))


class Pump:
    """qtbot's ``wait`` / ``waitUntil`` for scripts that run outside pytest."""

    def wait(self, ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def waitUntil(self, callback, timeout: int = 5000) -> None:  # noqa: N802 - qtbot's name
        deadline = time.perf_counter() + timeout / 1000
        while not callback():
            if time.perf_counter() > deadline:
                raise TimeoutError("waitUntil timed out")
            self.wait(5)


def rss_mb() -> float:
    """Resident set size of this process (from /proc: psutil is not a dependency)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def python_objects() -> tuple[int, int]:
    """(live Python objects, wrappers of deleted Qt objects), after a full collection.

    Counting QObjects with ``findChildren`` makes wrappers of every child, and PySide keeps the
    wrapper of a child that C++ later deletes (a rich-text label's QTextFrame): the measurement
    itself would add objects, so dead wrappers are counted apart.
    """
    gc.collect()
    objects = gc.get_objects()
    dead = sum(1 for o in objects
               if issubclass(type(o), Shiboken.Object) and not Shiboken.isValid(o))
    return len(objects) - dead, dead


def _malloc_trim() -> None:
    """Give freed heap pages back to the OS so RSS follows live memory, not fragmentation."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


@dataclass(frozen=True)
class Checkpoint:
    ops: int
    rss_mb: float
    qobjects: int  # QObjects under the window
    widgets: int  # every QWidget of the application (parentless dialogs included)
    scene_items: int
    gc_objects: int  # live Python objects (Qt wrappers of deleted C++ objects left out)
    dead_wrappers: int  # wrappers whose C++ object is gone (see python_objects)


@dataclass
class SoakReport:
    ops: int = 0
    seconds: float = 0.0
    checkpoints: list[Checkpoint] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    longest_stall_s: float = 0.0
    longest_stall_during: str = ""
    errors_seen: int = 0  # broken programs answered with a message (expected)
    warmup: int = 0  # operations before the first checkpoint

    def growth_per_1000(self, what: str) -> float:
        """Least-squares slope of ``what`` against ops over the second half, per 1,000 ops."""
        half = self.checkpoints[len(self.checkpoints) // 2:]
        xs = [c.ops for c in half]
        ys = [getattr(c, what) for c in half]
        n = len(xs)
        if n < 2:
            return 0.0
        mx, my = sum(xs) / n, sum(ys) / n
        sxx = sum((x - mx) ** 2 for x in xs)
        return 1000 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0

    def summary(self) -> dict:
        first, last = self.checkpoints[0], self.checkpoints[-1]
        return {
            "ops": self.ops, "warmup_ops": self.warmup, "seconds": round(self.seconds, 1),
            "rss_start_mb": round(first.rss_mb, 1), "rss_end_mb": round(last.rss_mb, 1),
            "rss_growth_mb_per_1000_ops": round(self.growth_per_1000("rss_mb"), 2),
            "qobjects_start": first.qobjects, "qobjects_end": last.qobjects,
            "qobject_growth_per_1000_ops": round(self.growth_per_1000("qobjects"), 2),
            "widgets_start": first.widgets, "widgets_end": last.widgets,
            "scene_items_max": max(c.scene_items for c in self.checkpoints),
            "gc_objects_start": first.gc_objects, "gc_objects_end": last.gc_objects,
            "gc_objects_growth_per_1000_ops": round(self.growth_per_1000("gc_objects"), 1),
            "dead_wrappers_end": last.dead_wrappers,
            "longest_stall_s": round(self.longest_stall_s, 3),
            "longest_stall_during": self.longest_stall_during,
            "counts": dict(sorted(self.counts.items())),
        }


def program(rng: random.Random) -> str:
    """A small course-style program: a random shape, a random op, one of a few forms."""
    n, m = rng.choice((2, 3, 4, 5, 6)), rng.choice((2, 3, 4))
    op = rng.choice(UNARY)
    seed = rng.randrange(100)
    head = f"import torch\n\ntorch.manual_seed({seed})\n"
    form = rng.randrange(4)
    if form == 0:
        body = (f"A = torch.randn({m}, {n}, requires_grad=True)\n"
                f"x = torch.randn({n}, requires_grad=True)\n"
                f"b = torch.randn({m}, requires_grad=True)\n"
                f"y = torch.{op}(A @ x + b)\nout = torch.norm(y)\nout.backward()\n")
    elif form == 1:
        body = (f"x = torch.randn({n}, requires_grad=True)\n"
                f"f = torch.{op}(x * x).sum()\nf.backward()\n")
    elif form == 2:
        body = (f"n = {n}\nA = torch.randn((n, n), requires_grad=True)\n"
                f"b = torch.randn((n,))\nx = torch.randn((n,), requires_grad=True)\n"
                f"f = 0.5 * x @ A @ x - b @ x\nf.backward()\n")
    else:
        body = (f"W = torch.randn({n}, {n}, requires_grad=True)\n"
                f"v = torch.randn({n}, requires_grad=True)\n"
                f"h = torch.{op}(W @ v)\nh2 = torch.{op}(W @ h)\n"
                f"loss = (h2 * h2).sum()\nloss.backward()\n")
    return head + body


def bad_program(rng: random.Random) -> str:
    """A program that must be refused with a message (inner sizes differ)."""
    n = rng.choice((2, 3, 4))
    return (f"import torch\n\nA = torch.randn({n}, {n + 1}, requires_grad=True)\n"
            f"x = torch.randn({n}, requires_grad=True)\nf = (A @ x).sum()\nf.backward()\n")


class Soaker:
    """One soak run over ``window``; see :func:`soak`."""

    def __init__(self, window, pump, tmp: Path, seed: int = 0, mix=MIX) -> None:
        self.window, self.pump, self.tmp = window, pump, Path(tmp)
        self.rng = random.Random(seed)
        self.report = SoakReport()
        self.probe = StallProbe()
        kinds, weights = zip(*mix)
        self._kinds, self._weights = kinds, weights

    # -- set-up ------------------------------------------------------------------------------
    def prepare(self) -> None:
        w = self.window
        w.load_example("quadratic")
        training = w.training
        controls = training.poly_controls
        controls.slider_widget(training.epochs_slider).set_value(20)  # short runs
        timing = w.timing
        for name, box in timing.device_boxes.items():
            box.setChecked(name == "cpu")
        timing.size_min.setCurrentText("16")
        timing.size_max.setCurrentText("32")
        timing.min_time.setValue(0.01)
        w.graph_pane.view.setFocus()
        self.idle()

    def idle(self, timeout_ms: int = 60_000) -> None:
        """Wait until no training, timing or layout work is left."""
        w = self.window
        self.pump.wait(100)  # a debounced slider restart fires within THROTTLE_MS
        self.pump.waitUntil(lambda: not (w.training.is_running() or w.training.busy()
                                         or w.timing.is_running() or w.busy()),
                            timeout=timeout_ms)

    # -- operations --------------------------------------------------------------------------
    def op_code(self) -> None:
        w = self.window
        w.code_panel.set_text(program(self.rng))
        w.code_panel.request_capture()

    def op_example(self) -> None:
        self.window.load_example(self.rng.choice(EXAMPLE_NAMES))

    def op_bad_code(self) -> None:
        w = self.window
        graph = w.document.graph
        w.code_panel.set_text(bad_program(self.rng))
        w.code_panel.request_capture()
        if not w.document.error or w.document.graph is not graph:
            raise AssertionError("a broken program replaced the last good graph")
        self.report.errors_seen += 1

    def op_undo(self) -> None:
        self.window.undo_action.trigger()

    def op_redo(self) -> None:
        self.window.redo_action.trigger()

    def op_blocks(self) -> None:
        """One block gesture through the block editor: add, wire, output, rename or move."""
        w = self.window
        doc, editor = w.document, w.block_editor
        expr = doc.expression
        if expr is None or not expr.blocks:
            w.load_example("quadratic")
            return
        choice = self.rng.randrange(4)
        out = expr.output
        if choice == 0 and out is not None:  # a new unary block after the output, made output
            editor.apply(E.AddBlock(self.rng.choice(UNARY), position=(
                self.rng.uniform(0, 400), self.rng.uniform(0, 400))))
            new_id = doc.expression.blocks[-1].id
            self.pump.wait(1)  # three gestures: the event loop turns between them
            editor.apply(E.Connect(out, new_id, "x"))
            self.pump.wait(1)
            editor.apply(E.SetOutput(new_id))
        elif choice == 1:
            block = self.rng.choice(expr.blocks)
            editor.apply(E.Rename(block.id, f"v{self.rng.randrange(1000)}"))
        elif choice == 2:
            moves = tuple((b.id, (self.rng.uniform(-300, 300), self.rng.uniform(-300, 300)))
                          for b in expr.blocks[:3])
            editor.apply(E.MoveBlocks(moves))
        else:
            editor.apply(E.SetOutput(None))

    def op_step(self) -> None:
        QTest.keyClick(self.window.graph_pane.view, self.rng.choice(STEP_KEYS))

    def op_slider(self) -> None:
        training = self.window.training
        controls = training.poly_controls
        slider = self.rng.choice((training.hidden_slider, training.noise_slider,
                                  training.lr_slider, training.seed_spin))
        if slider is training.seed_spin:
            slider.setValue(self.rng.randrange(1, 50))
        elif slider is training.hidden_slider:
            controls.slider_widget(slider).set_value(self.rng.choice((2, 4, 8, 10, 16, 32)))
        elif slider is training.lr_slider:
            controls.slider_widget(slider).set_value(self.rng.choice((1e-3, 3e-3, 1e-2, 3e-2)))
        else:
            controls.slider_widget(slider).set_value(self.rng.choice((0.0, 0.01, 0.05, 0.1)))
        if self.rng.random() < 0.3:  # sometimes see it through
            self.pump.wait(120)
            self.pump.waitUntil(lambda: not training.is_running(), timeout=60_000)

    def op_timing(self) -> None:
        timing = self.window.timing
        if timing.is_running():
            timing.cancel()
        self.pump.waitUntil(lambda: not timing.is_running(), timeout=30_000)
        if not timing.start():
            raise AssertionError(f"timing did not start: {timing.status_label.text()}")
        if self.rng.random() < 0.4:
            self.pump.wait(self.rng.choice((0, 5, 20)))
            timing.cancel()

    def op_export(self) -> None:
        if not self.window.export.export_to(str(self.tmp / "soak.svg")):
            raise AssertionError("export to SVG failed")

    # -- the run -----------------------------------------------------------------------------
    def checkpoint(self) -> None:
        self.probe.pause()
        self.idle()
        # the same view at every checkpoint: no step, nothing selected (the inspector's widgets
        # depend on the node shown), so counts differ only by what was leaked
        self.window.document.set_step(None)
        self.window.document.select(None)
        self.pump.wait(150)
        live, dead = python_objects()
        _malloc_trim()
        w = self.window
        self.report.checkpoints.append(Checkpoint(
            self.report.ops, rss_mb(), len(w.findChildren(QObject)),
            len(QApplication.allWidgets()), len(w.graph_pane.scene.items()), live, dead))
        self.probe.resume()

    def one(self, mix=None) -> None:
        """One random operation, then one event-loop turn (timers, worker signals, repaints)."""
        kinds, weights = zip(*mix) if mix else (self._kinds, self._weights)
        kind = self.rng.choices(kinds, weights)[0]
        self.probe.current = kind
        getattr(self, f"op_{kind}")()
        self.report.counts[kind] = self.report.counts.get(kind, 0) + 1
        self.pump.wait(1)

    def run(self, ops: int, checkpoints: int = 20, warmup: int = 0) -> SoakReport:
        """``warmup`` operations of :data:`WARMUP_MIX` first (unmeasured: the undo history and
        the caches fill up), then ``ops`` with a checkpoint every ``ops / checkpoints``."""
        self.prepare()
        self.report.warmup = warmup
        for _ in range(warmup):
            self.one(WARMUP_MIX)
        every = max(1, ops // checkpoints)
        start = time.perf_counter()
        self.checkpoint()
        self.probe.start()
        for i in range(ops):
            self.one()
            self.report.ops = i + 1
            if (i + 1) % every == 0 or i + 1 == ops:
                self.checkpoint()
        self.probe.stop()
        self.report.seconds = time.perf_counter() - start
        self.report.longest_stall_s = self.probe.longest
        self.report.longest_stall_during = self.probe.longest_during
        return self.report

    def finish(self) -> None:
        """Stop every worker (before the window closes)."""
        self.window.training.stop()
        self.window.timing.cancel()
        self.pump.waitUntil(lambda: not (self.window.training.busy()
                                         or self.window.timing.is_running()), timeout=30_000)


def soak(window, pump, tmp: Path, ops: int, checkpoints: int = 20, seed: int = 0,
         mix=MIX, warmup: int = 0) -> SoakReport:
    """Drive ``window`` through ``ops`` mixed operations; the report has the figures.
    ``mix``: (kind, weight) pairs, default :data:`MIX` (one kind alone finds which one leaks)."""
    soaker = Soaker(window, pump, tmp, seed, mix)
    try:
        return soaker.run(ops, checkpoints, warmup)
    finally:
        soaker.finish()
