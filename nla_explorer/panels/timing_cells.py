"""What the timing results table writes: compact cells (for a narrow table on a 720p projector),
each row's full detail (its tooltip), and which columns give way first when room is short."""

from __future__ import annotations

from nla_explorer.engine.timing.results import TimingResult, seconds_text

COLUMNS = ("op", "dtype", "device", "n", "median", "IQR", "repeats", "GFLOP/s", "GB/s",
           "naive", "transfer", "status", "source")
#: Shown first when the table is narrow (lower: sooner); the others give way, right to left.
#: Up to ``ESSENTIAL`` the table always shows them (it asks for the room): they tell the rows
#: apart (this run's cpu row from a loaded file's) and say why a row has no time.
PRIORITY = {"op": 0, "n": 0, "median": 0, "device": 1, "dtype": 1, "source": 1, "status": 1,
            "GFLOP/s": 2, "naive": 3, "IQR": 3, "GB/s": 4, "transfer": 5, "repeats": 6}
ESSENTIAL = 1
#: Right-aligned (numbers).
NUMERIC = frozenset(("n", "median", "IQR", "repeats", "GFLOP/s", "GB/s", "naive", "transfer"))
_DTYPES = {"float32": "f32", "float64": "f64", "float16": "f16", "bfloat16": "bf16"}
_REFERENCE = " (reference run, not this machine)"
HEADER_TIPS = {
    "op": "Operation timed", "dtype": "Data type (f32 = float32, bf16 = bfloat16, …)",
    "device": "Where it ran (hover a row for the device's full name)", "n": "Matrix size n",
    "median": "Median time per call", "IQR": "Spread: interquartile range of the times per call",
    "repeats": "Calls timed", "GFLOP/s": "Arithmetic throughput (from the median)",
    "GB/s": "Memory throughput (from the median)",
    "naive": "One unsynchronised call timed with perf_counter (on a GPU: the launch only)",
    "transfer": "Copying the inputs to the device and back", "status": "ok, skipped or failed",
    "source": "Where the numbers come from: this run, or the file they were loaded from"}


def _rate(value: float | None) -> str:
    """``6.41``, ``226``, ``4051``, ``42.1k``: compact, about three significant digits."""
    if value is None:
        return ""
    if value >= 1e4:
        return f"{value / 1e3:.3g}k" if value < 9.995e5 else f"{value / 1e3:.0f}k"
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def short_source(r: TimingResult, most: int = 16) -> str:
    """``this run``, ``h100.csv``, ``ref: NVIDIA H1…`` or ``timing_…_cpu.csv``: at most
    ``most`` characters (a file name keeps its end, where runs of one sweep differ)."""
    if not r.source:
        return "this run"
    if r.source.endswith(_REFERENCE):
        text = "ref: " + r.source[:-len(_REFERENCE)]
        return text if len(text) <= most else text[:most - 1] + "…"
    text = r.source
    if len(text) <= most:
        return text
    tail = (most - 1) // 2 + 1
    return text[:most - 1 - tail] + "…" + text[-tail:]


def result_cells(r: TimingResult) -> list[str]:
    """The display text of one row, compact: the full detail is :func:`row_details`."""
    return [r.op, _DTYPES.get(r.dtype, r.dtype), r.device, str(r.size), seconds_text(r.median_s),
            seconds_text(r.iqr_s), str(r.repeats) if r.repeats else "", _rate(r.gflops),
            _rate(r.gbps), seconds_text(r.naive_s), seconds_text(r.transfer_s),
            r.status + (" *" if r.ok and r.note else ""), short_source(r)]


def row_details(r: TimingResult) -> str:
    """Every value of a row, in words: each cell's tooltip (the narrow table hides columns)."""
    device = f"{r.device} ({r.device_label})" if r.device_label else r.device
    lines = [f"{r.op} · {r.dtype} · {device} · n = {r.size}"]
    if r.ok:
        spread = f", IQR {seconds_text(r.iqr_s)}" if r.iqr_s is not None else ""
        calls = f" over {r.repeats:,} calls" if r.repeats else ""
        lines.append(f"median {seconds_text(r.median_s)} per call{spread}{calls}")
        rates = [f"{value:.4g} {unit}" for value, unit in ((r.gflops, "GFLOP/s"),
                                                            (r.gbps, "GB/s")) if value is not None]
        if rates:
            lines.append(", ".join(rates))
    for value, what in ((r.naive_s, "naive (unsynchronised)"), (r.transfer_s, "transfer")):
        if value is not None:
            lines.append(f"{what}: {seconds_text(value)}")
    status = r.status + (f": {r.error}" if r.error else "") + (f" ({r.note})" if r.note else "")
    lines.append(f"status: {status}")
    lines.append(f"source: {r.source or 'this run'}")
    return "\n".join(lines)


def relevant(results: list[TimingResult], show_naive: bool) -> set[str]:
    """The columns with something to say for these results (an all-"ok" status column, an empty
    transfer column or a source column of "this run" only are left out)."""
    wanted = {"op", "dtype", "device", "n", "median"}
    for column, field in (("IQR", "iqr_s"), ("GFLOP/s", "gflops"), ("GB/s", "gbps"),
                          ("transfer", "transfer_s")):
        if any(getattr(r, field) is not None for r in results):
            wanted.add(column)
    if any(r.repeats for r in results):
        wanted.add("repeats")
    if show_naive:
        wanted.add("naive")
    if any(not r.ok or r.note for r in results):
        wanted.add("status")
    if any(r.source for r in results):
        wanted.add("source")
    return wanted
