"""One training run as the panel sees it: the worker-side batching and the GUI-side numbers."""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterator

import numpy as np

from nla_explorer.engine.training.least_squares import (
    LeastSquaresProgress, LeastSquaresResult, LeastSquaresStart,
)
from nla_explorer.engine.training.loop import TrainProgress, TrainResult, TrainStart

#: Epochs cross to the GUI thread in batches at most this often.
BATCH_S = 0.015
PROGRESS = (TrainProgress, LeastSquaresProgress)


class RunFailed:
    """An unexpected error inside a run, carried to the GUI thread as an item."""

    def __init__(self, message: str) -> None:
        self.message = message


class Run:
    """A run's state in the GUI thread: the numbers of every epoch so far and the latest fit.

    ``gate`` pauses the worker (cleared = hold at the next epoch); ``job`` is its
    :class:`GeneratorJob`, set by the panel.
    """

    def __init__(self, run_id: int, mode: str, config: object) -> None:
        self.id, self.mode, self.config = run_id, mode, config
        self.start = self.latest = self.result = None
        self.begun = False  # whether the plots show this run's data yet
        self.count = 0
        self.columns = np.zeros((3, config.epochs))  # loss, grad/distance, weight/to-limit
        self.gate = threading.Event()
        self.gate.set()
        self.job = None

    def column(self, i: int) -> np.ndarray:
        return self.columns[i, :self.count]

    def take(self, item: object) -> str:
        """Record one item; says what it was: progress, start, result, failed (or other)."""
        if isinstance(item, PROGRESS):
            values = ((item.loss, item.grad_norm, item.weight_norm)
                      if isinstance(item, TrainProgress)
                      else (item.loss, item.distance, item.distance_to_limit))
            self.columns[:, self.count] = values
            self.count += 1
            self.latest = item
            return "progress"
        if isinstance(item, (TrainStart, LeastSquaresStart)):
            self.start = item
            return "start"
        if isinstance(item, (TrainResult, LeastSquaresResult, RunFailed)):
            self.result = item
            return "failed" if isinstance(item, RunFailed) else "result"
        return "other"

    def cancel(self) -> None:
        if self.job is not None and self.result is None:
            self.job.cancel()
            self.gate.set()  # a paused worker must wake up to see the cancel

    def batches(self, generator_fn: Callable[[], Iterator]) -> Iterator[tuple[int, list]]:
        """In the worker: ``(run id, [items])`` at most every ``BATCH_S``; waits while paused.

        Each signal that crosses threads costs both threads a hand-over of Python's GIL; one
        per epoch made a 100-epoch run 3× slower. Errors become a :class:`RunFailed` item.
        """
        generator = generator_fn()
        batch: list = []
        sent = time.perf_counter()
        try:
            for item in generator:
                while not self.gate.is_set():
                    if batch:
                        yield self.id, batch
                        batch = []
                    if self.job.is_cancelled():
                        return
                    self.gate.wait(0.05)
                batch.append(item)
                now = time.perf_counter()
                if now - sent >= BATCH_S or not isinstance(item, PROGRESS):
                    yield self.id, batch
                    batch, sent = [], now
        except Exception as exc:  # noqa: BLE001 - shown in the status line, never lost
            yield self.id, [*batch, RunFailed(str(exc) or type(exc).__name__)]
        finally:
            generator.close()
