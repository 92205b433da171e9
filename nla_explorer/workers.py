"""Run a function off the GUI thread with progress, cancel, and results delivered as signals."""

from __future__ import annotations

import traceback
from typing import Callable, Iterator

from PySide6.QtCore import QObject, QThreadPool, Signal


class _Cancellable(QObject):
    """Start in the global thread pool; ``cancel()`` sets a flag the work polls."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel = False
        self.running = False

    def start(self) -> None:
        self.running = True
        QThreadPool.globalInstance().start(self._run)

    def cancel(self) -> None:
        self._cancel = True

    def is_cancelled(self) -> bool:
        return self._cancel

    def _run(self) -> None:
        raise NotImplementedError


class Job(_Cancellable):
    """``fn(progress=..., cancel=...)`` in the global thread pool.

    ``progressed(fraction)``, then exactly one of ``finished(result)`` / ``failed(message)`` /
    ``cancelled()``, all delivered in the GUI thread. Keep a reference while it runs.
    """

    progressed = Signal(float)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, fn: Callable, cancelled_errors: tuple[type[BaseException], ...] = (),
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._cancelled_errors = cancelled_errors

    def _run(self) -> None:
        try:
            result = self._fn(progress=self.progressed.emit, cancel=self.is_cancelled)
        except self._cancelled_errors:
            self.running = False
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - reported to the user, never lost
            self.running = False
            message = str(exc) or type(exc).__name__
            self.failed.emit(message + "\n\n" + traceback.format_exc(limit=4))
        else:
            self.running = False
            if self._cancel:
                self.cancelled.emit()
            else:
                self.finished.emit(result)


class GeneratorJob(_Cancellable):
    """Iterate an engine generator in the thread pool; each item crosses as ``yielded(item)``.

    Items must be plain data (floats, numpy arrays, frozen dataclasses). Then exactly one of
    ``finished()`` / ``failed(message)`` / ``cancelled()`` arrives, in the GUI thread. ``cancel()``
    takes effect at the generator's next ``yield`` (the generator is closed, so its ``finally``
    blocks run in the worker). Keep a reference while it runs.
    """

    yielded = Signal(object)
    finished = Signal()
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, generator_fn: Callable[[], Iterator], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generator_fn = generator_fn

    def _run(self) -> None:
        generator = None
        try:
            generator = self._generator_fn()
            for item in generator:
                if self._cancel:
                    break
                if not _emit(self.yielded, item):
                    self._cancel = True  # nobody is listening any more
                    break
        except Exception as exc:  # noqa: BLE001 - reported to the user, never lost
            self.running = False
            message = str(exc) or type(exc).__name__
            _emit(self.failed, message + "\n\n" + traceback.format_exc(limit=4))
            return
        finally:
            if generator is not None and hasattr(generator, "close"):
                generator.close()
        self.running = False
        _emit(self.cancelled) if self._cancel else _emit(self.finished)


def _emit(signal, *args) -> bool:
    """Emit from a worker; False when the job's QObject was deleted meanwhile (window closed)."""
    try:
        signal.emit(*args)
    except RuntimeError:  # "Signal source has been deleted"
        return False
    return True
