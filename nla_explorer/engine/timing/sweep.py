"""Honest CPU/GPU timings of linear algebra: warm-up, synchronisation, medians, sweeps.

``measure`` times one (op, size, device, dtype) case: one warm-up call, blocks of calls sized so
timer and synchronisation overhead stay small, repeated until ``min_time``; it reports the median
time per call and the spread (IQR) of the blocks. ``sweep`` runs a ``SweepPlan`` and yields one
``TimingResult`` per case, including skipped cases with their reason. Agrees with
``torch.utils.benchmark`` (see ``torch_reference``), which the tests check.

Limits hold before and during a case: with ``max_call_s``, a case whose call (or the making of its
inputs) is estimated to take longer is skipped before it runs; the estimate comes from a smaller
size of the same sweep or from a quick calibration at doubling sizes. Once running, its repeats
stop when they have taken ``max(min_time, max_call_s)``, and the result says how many were timed.
"""

from __future__ import annotations

import gc
import math
import statistics
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Iterator, Sequence

import torch

from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.timing.clock import (
    CALIBRATION_S, BlockClock, Rate, TimingCancelled, too_slow,
)
from nla_explorer.engine.timing.devices import (
    DeviceInfo, available_devices, available_memory, canonical_name, empty_cache, parse_device,
    unavailable_reason,
)
from nla_explorer.engine.timing.ops import (
    DTYPES, OPS, UnknownNameError, check_names, get_dtype, get_op,
)
from nla_explorer.engine.timing.results import (
    TimingCSVError, TimingResult, crossover, results_from_csv, results_to_csv, speedup,
)

__all__ = [
    "DTYPES", "OPS", "DeviceInfo", "SweepPlan", "TimingCSVError", "TimingCancelled",
    "TimingInputError", "TimingResult", "UnknownNameError", "available_devices", "crossover",
    "measure", "parse_sizes", "power_of_two_sizes", "results_from_csv", "results_to_csv",
    "speedup", "sweep", "torch_reference",
]

#: A call that takes longer than this is timed once after its warm-up, not repeated.
LONG_CALL_S = 1.0
#: At least this many timed blocks for a median, unless the calls are long.
MIN_BLOCKS = 3
#: Blocks of calls up to this many (tiny ops on a fast device).
MAX_NUMBER = 100_000
#: Refuse a case whose estimated memory exceeds this share of what is free.
MEMORY_SHARE = 0.9
#: The largest matrix side accepted (a 2^20 × 2^20 float32 matrix is already 4 TB).
MAX_SIZE = 1 << 20


class TimingInputError(EngineError):
    """A bad size, time or other number given to the timing engine."""


@dataclass(frozen=True)
class SweepPlan:
    """Which ops, sizes, devices and dtypes to time, and how (validated when made)."""

    ops: Sequence[str]
    sizes: Sequence[int]
    devices: Sequence[str] = ("cpu",)
    dtypes: Sequence[str] = ("float32",)
    min_time: float = 0.2
    naive: bool = False
    transfer: bool = False
    max_call_s: float | None = 10.0  # skip sizes whose predicted call takes longer

    def __post_init__(self) -> None:
        ops, dtypes = _unique(self.ops), _unique(self.dtypes)
        check_names(ops, dtypes)
        devices = _unique(canonical_name(parse_device(d)) for d in self.devices)
        sizes = sorted(set(check_size(s) for s in self.sizes))
        for name, values in (("ops", ops), ("sizes", sizes), ("devices", devices),
                             ("dtypes", dtypes)):
            if not values:
                raise TimingInputError(f"the sweep has no {name}")
        check_min_time(self.min_time)
        if self.max_call_s is not None and not self.max_call_s > 0:
            raise TimingInputError(f"max_call_s must be positive, got {self.max_call_s!r}")
        for name, value in (("ops", ops), ("sizes", sizes), ("devices", devices),
                            ("dtypes", dtypes)):
            object.__setattr__(self, name, tuple(value))

    @property
    def count(self) -> int:
        """How many results the sweep yields."""
        return len(self.ops) * len(self.sizes) * len(self.devices) * len(self.dtypes)


def _unique(names: Iterable[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if name not in out:
            out.append(name)
    return out


def check_size(size: object) -> int:
    """``size`` as a positive int up to MAX_SIZE; TimingInputError naming it otherwise."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise TimingInputError(f"size {size!r} is not a positive whole number")
    if size > MAX_SIZE:
        raise TimingInputError(f"size {size} is over the largest, {MAX_SIZE:,}")
    return size


def check_min_time(min_time: object) -> float:
    """``min_time`` as positive seconds (at most an hour); TimingInputError otherwise."""
    if isinstance(min_time, bool) or not isinstance(min_time, (int, float)) \
            or not 0 < min_time <= 3600:
        raise TimingInputError(f"min_time must be between 0 and 3600 seconds, got {min_time!r}")
    return float(min_time)


def power_of_two_sizes(smallest: int, largest: int) -> list[int]:
    """The powers of two from ``smallest`` to ``largest`` (both included when they are ones)."""
    lo, hi = check_size(smallest), check_size(largest)
    if lo > hi:
        raise TimingInputError(f"the smallest size {lo} is larger than the largest {hi}")
    sizes = [2 ** k for k in range(hi.bit_length()) if lo <= 2 ** k <= hi]
    return sizes or [lo]


def parse_sizes(text: str) -> list[int]:
    """``"256,1024,4096"`` or ``"16..4096"`` (powers of two) as a list of sizes."""
    text = text.strip()
    try:
        if ".." in text:
            lo, hi = text.split("..", 1)
            return power_of_two_sizes(int(lo), int(hi))
        return sorted({check_size(int(part)) for part in text.split(",") if part.strip()})
    except ValueError:
        raise TimingInputError(
            f"sizes {text!r}: give whole numbers like 256,1024,4096 or a range 16..4096"
        ) from None


def _format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} PB"


def _memory_refusal(op: str, size: int, device: torch.device, itemsize: int,
                    transfer: bool) -> str | None:
    need = OPS[op].memory(size, itemsize)
    free = available_memory(device)
    if free is not None and need > MEMORY_SHARE * free:
        return (f"too big: {op} at n={size} needs about {_format_bytes(need)}, "
                f"{canonical_name(device)} has {_format_bytes(free)} free")
    if transfer and device.type != "cpu":
        host_free = available_memory(torch.device("cpu"))
        if host_free is not None and need > MEMORY_SHARE * host_free:
            return f"too big to copy: needs {_format_bytes(need)} of host memory"
    return None


def _is_out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, (MemoryError, torch.cuda.OutOfMemoryError)):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text
                                              or "not enough memory" in text)


def _label(device: torch.device) -> str:
    name = canonical_name(device)
    return next((d.label for d in available_devices() if d.name == name), "")


def measure(op: str, size: int, device: str = "cpu", dtype: str = "float32", *,
            min_time: float = 0.2, naive: bool = False, transfer: bool = False,
            cancel: Callable[[], bool] | None = None, max_call_s: float | None = None,
            rates: dict[tuple[str, str, str], Rate] | None = None) -> TimingResult:
    """Time ``op`` at ``size`` on ``device`` in ``dtype``; a skipped/failed result says why.

    With ``max_call_s``, a case estimated to take longer per call (or to make its inputs) is
    skipped before it runs, and its repeats stop after ``max(min_time, max_call_s)`` seconds;
    ``rates`` (op, device, dtype) → :class:`Rate` carries what a sweep learnt between sizes.
    Raises UnknownNameError for unknown names, TimingInputError for a bad size or time, and
    TimingCancelled when ``cancel()`` turns True (checked at least every ~50 ms).
    """
    spec, torch_dtype, dev = get_op(op), get_dtype(dtype), parse_device(device)
    check_size(size)
    check_min_time(min_time)
    base = TimingResult(op, size, canonical_name(dev), dtype)
    reason = unavailable_reason(dev) or spec.unsupported(dev.type, dtype)
    if reason is None:
        base = replace(base, device_label=_label(dev))
        reason = _memory_refusal(op, size, dev, torch_dtype.itemsize, transfer)
    if reason is not None:
        return replace(base, status="skipped", error=reason)
    failure = None
    clock = BlockClock(dev, cancel)
    try:
        if max_call_s is not None:
            reason = too_slow(spec, (op, base.device, dtype), size, torch_dtype, clock,
                              max_call_s, rates)
            if reason is not None:
                return replace(base, status="skipped", error=reason)
        return _measure(base, dev, torch_dtype, min_time, naive, transfer, clock, max_call_s)
    except TimingCancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - reported in the result, the sweep goes on
        if _is_out_of_memory(exc):
            failure = f"out of memory on {base.device} at n={size} ({dtype}); memory freed"
        else:
            lines = str(exc).strip().splitlines()
            failure = f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    # outside the except block, so the traceback (and the tensors its frames hold) is gone
    gc.collect()
    empty_cache(dev)
    return replace(base, status="failed", error=failure)


def _measure(base: TimingResult, dev: torch.device, torch_dtype: torch.dtype, min_time: float,
             naive: bool, transfer: bool, clock: BlockClock,
             max_call_s: float | None) -> TimingResult:
    spec = OPS[base.op]
    inputs = clock.run(lambda: spec.setup(base.size, dev, torch_dtype))
    warm = clock.block(spec.call, inputs, 1)
    note = ""
    if max_call_s is not None and warm > max_call_s:
        times, number = [warm], 1
        note = f"one cold run: a call takes over the limit of {max_call_s:g} s"
    elif warm >= LONG_CALL_S:
        times, number = [clock.block(spec.call, inputs, 1)], 1
        note = f"a single run after the warm-up (one call takes over {LONG_CALL_S:g} s)"
    else:
        budget = None if max_call_s is None else max(min_time, max_call_s)
        times, number = _repeat(clock, spec.call, inputs, min_time, budget)
        if len(times) < MIN_BLOCKS:
            note = (f"stopped after {len(times)} of {MIN_BLOCKS} repeats: they took over the "
                    f"limit of {budget:g} s")
    median = statistics.median(times)
    quartiles = statistics.quantiles(times, n=4) if len(times) >= 2 else [median] * 3
    itemsize = torch_dtype.itemsize
    result = replace(base, median_s=median, iqr_s=quartiles[2] - quartiles[0],
                     repeats=number * len(times), note=note,
                     gflops=spec.flops(base.size) / median / 1e9,
                     gbps=spec.bytes_moved(base.size, itemsize) / median / 1e9)
    if naive:
        result = replace(result, naive_s=clock.naive(spec.call, inputs))
    if transfer:
        result = replace(result, transfer_s=clock.transfer(inputs))
    return result


def _repeat(clock: BlockClock, fn: Callable, inputs: Sequence, min_time: float,
            budget: float | None = None) -> tuple[list[float], int]:
    """Per-call times of blocks of ``number`` calls, until ``min_time`` and MIN_BLOCKS; timed one
    block at a time, they stop early once they have taken ``budget`` seconds."""
    target = max(min_time / 10, 1e-3)  # a block long enough that sync/timer cost is < ~1 %
    number = 1
    elapsed = clock.block(fn, inputs, number)  # calibration; it is also a second warm-up
    while elapsed < target and number < MAX_NUMBER:
        guess = math.ceil(number * target / max(elapsed, 1e-9))
        number = min(MAX_NUMBER, max(2 * number, guess))
        elapsed = clock.block(fn, inputs, number)
    times, total = [], 0.0
    while total < min_time or len(times) < MIN_BLOCKS:
        elapsed = clock.block(fn, inputs, number)
        times.append(elapsed / number)
        total += elapsed
        if budget is not None and total >= budget:
            break
    return times, number


def sweep(plan: SweepPlan, cancel: Callable[[], bool] | None = None) -> Iterator[TimingResult]:
    """Yield one result per (op, dtype, size, device) of ``plan``, sizes ascending.

    Stops (without yielding a partial result) soon after ``cancel()`` returns True. A size whose
    call is estimated, from the best speed at smaller sizes or a quick calibration, to exceed
    ``plan.max_call_s`` is skipped with that reason before anything of its size is made.
    """
    rates: dict[tuple[str, str, str], Rate] = {}
    for op in plan.ops:
        spec = OPS[op]
        for dtype in plan.dtypes:
            itemsize = DTYPES[dtype].itemsize
            for size in plan.sizes:
                for device in plan.devices:
                    if cancel is not None and cancel():
                        return
                    try:
                        result = measure(op, size, device, dtype, min_time=plan.min_time,
                                         naive=plan.naive, transfer=plan.transfer,
                                         cancel=cancel, max_call_s=plan.max_call_s, rates=rates)
                    except TimingCancelled:
                        return
                    if result.ok:
                        key = (op, result.device, dtype)
                        rates[key] = Rate(size, spec.work(size, itemsize) / result.median_s,
                                          steady=result.median_s >= CALIBRATION_S
                                          ).better(rates.get(key))
                    yield result


def torch_reference(op: str, size: int, device: str = "cpu", dtype: str = "float32",
                    min_time: float = 0.2) -> float:
    """Median seconds per call by ``torch.utils.benchmark`` (same inputs, same thread count)."""
    from torch.utils import benchmark

    spec, torch_dtype, dev = get_op(op), get_dtype(dtype), parse_device(device)
    reason = unavailable_reason(dev) or spec.unsupported(dev.type, dtype)
    if reason is not None:
        raise TimingInputError(f"cannot time {op} on {device} in {dtype}: {reason}")
    check_size(size)
    threads = torch.get_num_threads()

    def run() -> float:
        inputs = spec.setup(size, dev, torch_dtype)
        timer = benchmark.Timer(stmt="fn(*inputs)", globals={"fn": spec.call, "inputs": inputs},
                                num_threads=threads)
        if dev.type == "cuda":
            with torch.cuda.device(dev):  # its timer synchronises the current device
                return timer.blocked_autorange(min_run_time=min_time).median
        return timer.blocked_autorange(min_run_time=min_time).median

    # on the thread our CPU timings use, so that both see the same OpenMP team
    return BlockClock(dev).run(run)
