"""How long the GUI thread was blocked: a timer that notes the gaps between its own ticks.

Used by the tests and benchmarks that promise a responsive window (training, big graphs, soak).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer


class StallProbe:
    """A ``interval_ms`` timer; ``longest`` is the longest gap between ticks (the longest stall).

    ``current`` names the operation running now (``longest_during`` keeps the one that stalled
    most); ``pause()`` / ``resume()`` leave the measurer's own bookkeeping out.
    """

    def __init__(self, interval_ms: int = 10) -> None:
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.longest = 0.0
        self.longest_during = ""
        self.current = ""
        self._last: float | None = None

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            gap = now - self._last
            self.gaps.append(gap)
            if gap > self.longest:
                self.longest, self.longest_during = gap, self.current
        self._last = now

    def pause(self) -> None:
        self._tick()
        self._last = None

    def resume(self) -> None:
        self._last = time.perf_counter()

    def stop(self) -> None:
        self._tick()
        self.timer.stop()
