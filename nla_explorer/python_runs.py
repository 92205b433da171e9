"""Run as Python for the window: one warm child process, runs off the GUI thread, Cancel.

The engine's :class:`Runner` does the work (limits, death, plain data); this object only moves
each run to a worker thread and brings its result back as a signal, so the window keeps painting
while a program runs, and Cancel ends it at once.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, Signal

from nla_explorer.engine.runner.result import RunResult
from nla_explorer.engine.runner.supervisor import Runner, RunFailure


class PythonRuns(QObject):
    """Emits ``finished(result, text)`` or ``failed(message)`` for each :meth:`run`."""

    finished = Signal(object, str)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, memory_mb: int = 4096,
                 time_limit_s: float = 60.0) -> None:
        super().__init__(parent)
        self.runner = Runner(memory_mb)
        self.time_limit_s = time_limit_s
        self.started_at: float | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def elapsed(self) -> float:
        return 0.0 if self.started_at is None else time.monotonic() - self.started_at

    def set_limits(self, memory_mb: int, time_limit_s: float) -> None:
        """New limits; a new memory limit takes a fresh child (the namespace starts over)."""
        self.time_limit_s = time_limit_s
        self.runner.set_memory_mb(memory_mb, now=not self.running)

    def run(self, cells: list[tuple[str, int, str]], text: str, fresh: bool = False,
            limit: int = 10_000) -> bool:
        """Run ``cells`` (label, first line, source) in the warm namespace (``fresh``: a new one);
        False when a run is already going."""
        if self.running:
            return False
        self.started_at = time.monotonic()
        self._thread = threading.Thread(target=self._work, args=(cells, text, fresh, limit),
                                        name="python-run", daemon=True)
        self._thread.start()
        return True

    def _work(self, cells, text: str, fresh: bool, limit: int) -> None:
        try:
            if fresh:
                self.runner.reset()
            result = self.runner.run_cells(cells, timeout=self.time_limit_s, limit=limit)
        except RunFailure as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - never let a worker die silently
            self.failed.emit(f"the run failed: {type(exc).__name__}: {exc}")
            return
        if isinstance(result, RunResult):
            self.finished.emit(result, text)

    def cancel(self) -> None:
        if self.running:
            self.runner.cancel()

    def wait(self, seconds: float = 5.0) -> bool:
        """Block until the current run has ended (tests, closing the window)."""
        if self._thread is not None:
            self._thread.join(seconds)
        return not self.running

    def close(self) -> None:
        self.cancel()
        self.wait(2.0)
        self.runner.close()
