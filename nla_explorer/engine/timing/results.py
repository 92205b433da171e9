"""Timing results: the record, CSV out and in (for runs measured elsewhere), speed-up, crossover."""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterable

from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.sessions.atomic import (
    FileTooBigError, NotRegularFileError, read_limited, write_bytes_atomically,
)
from nla_explorer.engine.timing.ops import OPS

STATUSES = ("ok", "skipped", "failed")
REQUIRED_COLUMNS = ("op", "size", "device", "dtype", "median_s")
#: The largest CSV of results read, in bytes.
MAX_CSV_BYTES = 20_000_000


class TimingCSVError(EngineError):
    """A CSV of timing results that cannot be read; the message names the line."""


@dataclass(frozen=True)
class TimingResult:
    """One measured (or skipped) case; times in seconds per call, throughput from the median."""

    op: str
    size: int
    device: str
    dtype: str
    status: str = "ok"  # "ok", "skipped" (refused before running) or "failed" (e.g. out of memory)
    median_s: float | None = None
    iqr_s: float | None = None  # spread: interquartile range of the per-call times of the blocks
    repeats: int = 0  # calls timed (warm-up and calibration not counted)
    gflops: float | None = None
    gbps: float | None = None
    naive_s: float | None = None  # perf_counter around one unsynchronised call, when asked
    transfer_s: float | None = None  # inputs host→device and back, when asked (0 on the CPU)
    error: str | None = None  # why skipped or failed
    note: str = ""
    device_label: str = ""
    source: str = ""  # where the numbers come from: "" for this run, a file name when loaded

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.median_s is not None

    @property
    def memory_bound(self) -> bool:
        """Its speed is best read in GB/s (elementwise ops, reductions, matrix-vector)."""
        return self.op in OPS and OPS[self.op].memory_bound


COLUMNS = tuple(f.name for f in fields(TimingResult))
_FLOATS = ("median_s", "iqr_s", "gflops", "gbps", "naive_s", "transfer_s")


def results_to_csv(results: Iterable[TimingResult], delimiter: str = ",") -> str:
    """A CSV (header + one row per result) that ``results_from_csv`` reads back exactly."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in results:
        writer.writerow(["" if getattr(r, c) is None else
                         repr(getattr(r, c)) if c in _FLOATS else getattr(r, c) for c in COLUMNS])
    return out.getvalue()


def save_results_csv(path: str | os.PathLike, results: Iterable[TimingResult],
                     delimiter: str = ",") -> Path:
    """Write ``results_to_csv`` to ``path`` atomically: on any failure (a full disk too) the
    OSError propagates and the file that was there is left as it was."""
    return write_bytes_atomically(path, results_to_csv(results, delimiter).encode("utf-8"))


def load_results_csv(path: str | os.PathLike) -> list[TimingResult]:
    """The results in the CSV file ``path`` (labelled by its name). A file that is not regular
    (a FIFO, a device) or over :data:`MAX_CSV_BYTES` is refused before reading; every problem is
    a :class:`TimingCSVError`."""
    path = Path(path)
    try:
        text = read_limited(path, MAX_CSV_BYTES).decode("utf-8")
    except NotRegularFileError:
        raise TimingCSVError(f"{path.name} is not a regular file") from None
    except FileTooBigError:
        raise TimingCSVError(f"{path.name} is over {MAX_CSV_BYTES:,} bytes: too big to "
                             "read") from None
    except OSError as exc:
        raise TimingCSVError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TimingCSVError(f"{path.name} is not a UTF-8 text file") from None
    return results_from_csv(text, source=path.name)


def _number(text: str, column: str, line: int, whole: bool = False) -> float | int | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise TimingCSVError(f"line {line}: {column} {text!r} is not {kind}") from None
    if not whole and (not math.isfinite(value) or value < 0):
        raise TimingCSVError(f"line {line}: {column} {text!r} must be a finite number ≥ 0")
    return value


def _row(values: dict[str, str], line: int, source: str) -> TimingResult:
    for column in ("op", "device", "dtype"):
        if not values.get(column, "").strip():
            raise TimingCSVError(f"line {line}: the {column} is empty")
    size = _number(values["size"], "size", line, whole=True)
    if size is None or size < 1:
        raise TimingCSVError(f"line {line}: size {values['size']!r} is not a positive whole number")
    numbers = {c: _number(values.get(c, ""), c, line) for c in _FLOATS}
    status = values.get("status", "").strip() or ("ok" if numbers["median_s"] else "skipped")
    if status not in STATUSES:
        raise TimingCSVError(f"line {line}: status {status!r} is not one of {', '.join(STATUSES)}")
    if status == "ok" and not numbers["median_s"]:
        raise TimingCSVError(f"line {line}: an ok result needs a median_s above 0")
    repeats = _number(values.get("repeats", ""), "repeats", line, whole=True)
    return TimingResult(
        op=values["op"].strip(), size=size, device=values["device"].strip(),
        dtype=values["dtype"].strip(), status=status, repeats=repeats or 0,
        error=values.get("error", "").strip() or None, note=values.get("note", "").strip(),
        device_label=values.get("device_label", "").strip(),
        source=values.get("source", "").strip() or source, **numbers)


def results_from_csv(text: str, source: str = "") -> list[TimingResult]:
    """Results from a CSV written by ``results_to_csv`` (or by hand: op,size,device,dtype,median_s).

    ``source`` labels rows without one (e.g. the file name). Tab-separated text is accepted too.
    A malformed file raises TimingCSVError naming the line.
    """
    lines = text.lstrip("\ufeff").splitlines()
    first = next((k for k, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise TimingCSVError("the CSV is empty: expected a header line naming "
                             + ", ".join(REQUIRED_COLUMNS))
    delimiter = "\t" if "\t" in lines[first] and "," not in lines[first] else ","
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    header: list[str] | None = None
    results = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise TimingCSVError(f"line {line}: the header lacks {', '.join(missing)} "
                                     f"(it must name {', '.join(REQUIRED_COLUMNS)})")
            continue
        if len(row) > len(header):
            raise TimingCSVError(f"line {line}: {len(row)} fields, the header has {len(header)}")
        values = dict(zip(header, row + [""] * (len(header) - len(row))))
        results.append(_row(values, line, source))
    if not results:
        raise TimingCSVError("the CSV has a header but no results")
    return results


def speedup(results: Iterable[TimingResult], op: str, dtype: str, device: str,
            baseline: str = "cpu") -> list[tuple[int, float]]:
    """(size, baseline time / device time) where both were measured; later duplicates win."""
    times: dict[str, dict[int, float]] = {device: {}, baseline: {}}
    for r in results:
        if r.ok and r.op == op and r.dtype == dtype and r.device in times:
            times[r.device][r.size] = r.median_s
    common = sorted(set(times[device]) & set(times[baseline]))
    return [(n, times[baseline][n] / times[device][n]) for n in common]


def crossover(results: Iterable[TimingResult], op: str, dtype: str,
              device: str | None = None) -> int | None:
    """The smallest measured size from which ``device`` (default: the first GPU) beats the CPU.

    "From which" means at that size and at every larger size both measured; None when the GPU
    does not win at the largest common size, or when nothing can be compared.
    """
    results = list(results)
    if device is None:
        device = next((r.device for r in results if r.ok and r.device != "cpu"
                       and r.op == op and r.dtype == dtype), None)
        if device is None:
            return None
    answer = None
    for size, ratio in reversed(speedup(results, op, dtype, device)):
        if ratio <= 1.0:
            break
        answer = size
    return answer


def seconds_text(value: float | None, missing: str = "") -> str:
    """``12.3 ms``, ``4.56 µs``, ``0``; ``missing`` for None."""
    if value is None:
        return missing
    if value == 0:
        return "0"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-9:.3g} ns"
