"""Synchronised, cancellable timing of blocks of calls on the CPU, a CUDA GPU or Apple MPS.

A CUDA block is timed with CUDA events and awaited by polling the end event, so a cancel is seen
while a long kernel runs. CPU and MPS blocks run on the caller's thread (the timing worker's), and
a cancel is seen between blocks; the per-call limit (``too_slow``) keeps each block short. (They
ran on a helper thread that the caller polled; that crashed the window's process now and then.)

``too_slow`` estimates a case's call (and the making of its inputs) before it runs, from a rate a
sweep learnt or one ``calibrate`` measures at small sizes, so that a limit holds before a call
that would break it starts.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import torch

from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.timing.devices import synchronize
from nla_explorer.engine.timing.ops import TimingOp

#: How often a waiting caller asks ``cancel()`` (seconds).
POLL_S = 0.05
#: Below these rates (flop/s or bytes/s for a call, input bytes/s for making the inputs) no
#: machine runs; a case that takes under QUICK_S even at these rates is not estimated first.
FLOOR_RATE, FLOOR_SETUP_RATE, QUICK_S = 2e9, 1e8, 0.5
#: The calibration starts at this size and doubles it, timing the fastest of CALIBRATION_CALLS
#: calls at each; a rate from calls of CALIBRATION_S or more is steady (it holds for any n).
CALIBRATION_START, CALIBRATION_S, CALIBRATION_CALLS = 128, 0.03, 3
#: A calibration step (inputs and calls) expected to take longer than this is not made.
CALIBRATION_STEP_S = 2.5


class TimingCancelled(EngineError):
    """The cancel callable answered True while a measurement ran."""




def _timed_calls(fn: Callable, inputs: Sequence, number: int, device: torch.device) -> float:
    synchronize(device)
    start = time.perf_counter()
    for _ in range(number):
        fn(*inputs)
    synchronize(device)
    return time.perf_counter() - start


def _naive_call(fn: Callable, inputs: Sequence, device: torch.device) -> float:
    synchronize(device)
    start = time.perf_counter()
    fn(*inputs)
    elapsed = time.perf_counter() - start  # the pitfall: no synchronisation before reading
    synchronize(device)
    return elapsed


class BlockClock:
    """Times ``number`` calls of ``fn(*inputs)`` on one device, synchronised, checking cancel."""

    def __init__(self, device: torch.device, cancel: Callable[[], bool] | None = None) -> None:
        self.device = device
        self.cancel = cancel

    def check(self) -> None:
        """Raise TimingCancelled when the cancel callable says so."""
        if self.cancel is not None and self.cancel():
            raise TimingCancelled("timing cancelled")

    def run(self, fn: Callable[[], object]) -> object:
        """``fn()``, here: a helper thread for CPU blocks crashed the window's process
        intermittently (a segfault in the soak test), and the per-call limit bounds a block."""
        self.check()
        return fn()

    def block(self, fn: Callable, inputs: Sequence, number: int) -> float:
        """Seconds for ``number`` back-to-back calls, from a drained queue to their end."""
        self.check()
        if self.device.type == "cuda":
            return self._cuda_block(fn, inputs, number)
        return _timed_calls(fn, inputs, number, self.device)

    def naive(self, fn: Callable, inputs: Sequence) -> float:
        """perf_counter around one call without synchronising: only the launch on a GPU."""
        self.check()
        if self.device.type == "cuda":
            with torch.cuda.device(self.device):
                torch.cuda.synchronize(self.device)
                start = time.perf_counter()
                fn(*inputs)
                elapsed = time.perf_counter() - start
                self._wait_event(self._record())
            return elapsed
        return _naive_call(fn, inputs, self.device)

    def transfer(self, inputs: Sequence[torch.Tensor], repeats: int = 3) -> float:
        """Median seconds to copy the inputs host→device and back (pageable memory); 0 on CPU."""
        if self.device.type == "cpu":
            return 0.0
        host = [t.detach().cpu() for t in inputs]
        times = []
        for k in range(repeats + 1):  # the first round is a warm-up
            self.check()
            synchronize(self.device)
            start = time.perf_counter()
            moved = [h.to(self.device) for h in host]
            synchronize(self.device)
            back = [m.cpu() for m in moved]
            times.append(time.perf_counter() - start)
            del moved, back
            if k == 0 and times[0] > 1.0:
                break
        return statistics.median(times[1:] or times)

    def _record(self) -> torch.cuda.Event:
        event = torch.cuda.Event(enable_timing=True)
        event.record()
        return event

    def _cuda_block(self, fn: Callable, inputs: Sequence, number: int) -> float:
        with torch.cuda.device(self.device):
            torch.cuda.synchronize(self.device)
            start = self._record()
            for _ in range(number):
                fn(*inputs)
            end = self._record()
            self._wait_event(end)
            return start.elapsed_time(end) / 1e3  # milliseconds → seconds

    def _wait_event(self, event: torch.cuda.Event) -> None:
        # poll instead of event.synchronize(), so that a cancel is seen while a kernel runs
        pause, waited = 2e-5, 0.0
        while not event.query():
            time.sleep(pause)
            waited += pause
            pause = min(pause * 2, 2e-3)
            if waited >= POLL_S:
                waited = 0.0
                self.check()


@dataclass(frozen=True)
class Rate:
    """How fast an (op, device, dtype) ran at size ``size``: its work (``TimingOp.work``) per
    second, input bytes made per second (None when not measured), and whether it holds for any
    larger size (``steady``; otherwise only up to 16 × ``size``)."""

    size: int
    work_per_s: float
    setup_bytes_per_s: float | None = None
    steady: bool = False

    def better(self, other: Rate | None) -> Rate:
        """The faster of the two (a steady one first), keeping a known input rate."""
        if other is None:
            return self
        best = max((self, other), key=lambda r: (r.steady, r.work_per_s))
        return replace(best, setup_bytes_per_s=best.setup_bytes_per_s or
                       (other if best is self else self).setup_bytes_per_s)


def too_slow(spec: TimingOp, key: tuple[str, str, str], size: int, dtype: torch.dtype,
             clock: BlockClock, max_call_s: float, rates: dict | None) -> str | None:
    """Why (op, device, dtype) ``key`` at ``size`` would break ``max_call_s``, estimated before
    any input of that size exists: from ``rates[key]`` when it reaches, else by ``calibrate``
    (whose rate goes into ``rates``); None when it fits, or is too small to need an estimate."""
    itemsize = dtype.itemsize
    rate = rates.get(key) if rates is not None else None
    if rate is None or not (rate.steady or rate.size * 16 >= size):
        quick = min(QUICK_S, max_call_s)
        if spec.work(size, itemsize) <= FLOOR_RATE * quick \
                and spec.memory(size, itemsize) <= FLOOR_SETUP_RATE * quick:
            return None
        rate = calibrate(spec, size, dtype, clock, min(CALIBRATION_STEP_S, max_call_s / 4)
                         ).better(rate)
        if rates is not None:
            rates[key] = rate
    call_s = spec.work(size, itemsize) / rate.work_per_s
    if call_s > max_call_s:
        return (f"too slow: one call would take about {call_s:.3g} s, over the limit of "
                f"{max_call_s:g} s per call")
    if rate.setup_bytes_per_s:
        setup_s = spec.memory(size, itemsize) / rate.setup_bytes_per_s
        if setup_s > max_call_s:
            return (f"too slow: making its inputs would take about {setup_s:.3g} s, over the "
                    f"limit of {max_call_s:g} s")
    return None


def calibrate(spec: TimingOp, size: int, dtype: torch.dtype, clock: BlockClock,
              step_s: float = CALIBRATION_STEP_S) -> Rate:
    """The rate of warm calls at doubling sizes from CALIBRATION_START up to ``size``, stopping
    before a step expected to take over ``step_s``; also how fast the inputs were made. Steady
    (good for any larger size) unless it reached ``size`` with calls under CALIBRATION_S.

    Compute-bound ops get the best rate seen (a stall only ever slows a call down, and a larger
    n only speeds BLAS up), memory-bound ones the rate at the largest n (small ones fit in cache).
    """
    n, best, itemsize = min(size, CALIBRATION_START), 0.0, dtype.itemsize
    while True:
        def make(n=n):
            synchronize(clock.device)
            start = time.perf_counter()
            made = spec.setup(n, clock.device, dtype)
            synchronize(clock.device)
            return made, time.perf_counter() - start

        inputs, setup_s = clock.run(make)
        clock.block(spec.call, inputs, 1)  # warm-up
        # the fastest of a few: one call can lose a whole scheduler slice to a stalled thread
        call_s = min(clock.block(spec.call, inputs, 1) for _ in range(CALIBRATION_CALLS))
        del inputs
        rate = spec.work(n, itemsize) / max(call_s, 1e-9)
        best = rate if spec.memory_bound else max(best, rate)
        bigger = min(size, 2 * n)
        next_s = ((CALIBRATION_CALLS + 1) * spec.work(bigger, itemsize) / best
                  + setup_s * spec.memory(bigger, itemsize) / spec.memory(n, itemsize))
        if n >= size or next_s > step_s:
            break
        n = bigger
    # as far as the step limit lets it go (a later, larger size would stop there too), or long
    steady = n < size or spec.work(n, itemsize) / best >= CALIBRATION_S
    return Rate(n, best, spec.memory(n, itemsize) / max(setup_s, 1e-9), steady)
