"""The window's evaluations, in a child process: the safe interpreter never runs in the window.

:class:`ChildEvaluator` sends code or blocks to a warm child (the runner's safe mode) and waits for
the answer while the window goes on painting: the call blocks its caller (the document's edits stay
simple, one after the other) but spins a local event loop once the answer takes longer than a
moment, so a long program shows "Evaluating…" and can be cancelled. One child serves every window
of the application; a child that dies is a message, and the next evaluation starts a fresh one.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication, QEventLoop, QMetaObject, QObject, Qt, Signal

from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.runner.supervisor import MEMORY_MB, TIME_LIMIT_S, Runner, RunFailure

#: Answers quicker than this arrive without a local event loop (no re-entrancy for a block edit).
QUIET_WAIT_S = 0.12


class EvaluationFailed(EngineError):
    """The child gave no answer: it ran out of time, was cancelled, crashed or is busy."""


class ChildEvaluator(QObject):
    """``explore(...)``/``check(...)`` as :class:`Runner` has them, answered without freezing."""

    busy_changed = Signal(bool)
    _shared: "ChildEvaluator | None" = None

    def __init__(self, parent: QObject | None = None, memory_mb: int = MEMORY_MB,
                 time_limit_s: float = TIME_LIMIT_S) -> None:
        super().__init__(parent)
        self.runner = Runner(memory_mb)
        self.time_limit_s = time_limit_s
        self.busy = False
        self._loop = QEventLoop(self)  # the local loop of every wait (see :meth:`_wait`)

    @classmethod
    def shared(cls) -> "ChildEvaluator":
        """The application's evaluator (its child ends when the application quits)."""
        if cls._shared is None:
            app = QCoreApplication.instance()
            cls._shared = cls(app)
            if app is not None:
                app.aboutToQuit.connect(cls._shared.close)
        return cls._shared

    def set_limits(self, memory_mb: int, time_limit_s: float) -> None:
        self.time_limit_s = time_limit_s
        self.runner.set_memory_mb(memory_mb, now=not self.busy)

    def explore(self, **request):
        """The safe interpreter's answer for ``request`` (see :meth:`Runner.explore`)."""
        return self._wait(lambda: self.runner.explore(timeout=self.time_limit_s, **request))

    def check(self, expression, call: int | None = None, limit: int = 10_000) -> tuple:
        return self._wait(lambda: self.runner.check(expression, call, limit,
                                                    timeout=self.time_limit_s))

    def cancel(self) -> None:
        if self.busy:
            self.runner.cancel()

    def close(self) -> None:
        self.cancel()
        self.runner.close()

    def _wait(self, work):
        if self.busy:
            raise EvaluationFailed("still evaluating the previous edit: wait for it or Cancel")
        self.busy = True
        box: dict[str, object] = {}
        done = threading.Event()
        loop = self._loop

        def run() -> None:
            try:
                box["result"] = work()
            except RunFailure as exc:
                box["failure"] = str(exc)
            except Exception as exc:  # noqa: BLE001 - never leave the caller waiting
                box["failure"] = f"the evaluation failed: {type(exc).__name__}: {exc}"
            finally:  # ``done`` first, then the wake-up: a caller woken before ``done`` is set
                # would wait again with nobody left to wake it. The loop is the evaluator's own,
                # so it outlives this call; a late quit only makes a later wait look once more.
                done.set()
                try:
                    QMetaObject.invokeMethod(loop, "quit", Qt.QueuedConnection)
                except RuntimeError:  # the evaluator was deleted meanwhile: nobody waits
                    pass

        threading.Thread(target=run, name="evaluation", daemon=True).start()
        try:
            if not done.wait(QUIET_WAIT_S):
                self.busy_changed.emit(True)
                while not done.is_set():
                    loop.exec()
                self.busy_changed.emit(False)
        finally:
            self.busy = False
        if "failure" in box:
            raise EvaluationFailed(str(box["failure"]))
        return box["result"]
