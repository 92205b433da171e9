"""Our timing loop against torch.utils.benchmark, per device; naive vs synchronised on CUDA.

For matmul at a few sizes on every device found (float32; bfloat16 too on CUDA), measures the
median with ``nla_explorer.engine.timing.sweep.measure`` and with ``torch.utils.benchmark`` back to
back and reports the ratio (goal: within 10 %). On CUDA it also shows the naive, unsynchronised
perf_counter time beside the real one. Also: how soon a cancel is answered while a long call
runs, and how soon a size too big for memory is refused. Prints ONE JSON object; runs on a GPU
box without Qt.

    .venv/bin/python benchmarks/bench_timing.py [--min-time 0.2] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from nla_explorer.engine.timing.sweep import (  # noqa: E402
    SweepPlan, TimingCancelled, available_devices, measure, sweep, torch_reference,
)

CPU_SIZES = (256, 512, 1024)
GPU_SIZES = (1024, 4096, 8192)
GOAL = 0.10
#: A cancel pressed while one long call runs is answered within this (the panel's Cancel button).
CANCEL_GOAL_S = 0.3
#: (size, seconds before the cancel) per device kind: a float64 matmul that runs for a while.
CANCEL_CASES = {"cpu": (2048, 0.2), "cuda": (16384, 0.5)}


def cancel_latency(device: str, size: int, after_s: float) -> float | None:
    """Seconds from the moment ``cancel()`` turns True (``after_s`` in) to ``measure`` raising
    TimingCancelled, while float64 matmuls of ``size`` run (None: it ended before the cancel)."""
    pressed = time.perf_counter() + after_s
    try:
        measure("matmul", size, device, "float64", min_time=30,
                cancel=lambda: time.perf_counter() >= pressed)
    except TimingCancelled:
        return round(time.perf_counter() - pressed, 4)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-time", type=float, default=0.2)
    parser.add_argument("--threads", type=int, default=0,
                        help="torch CPU threads (default: torch's choice); 1 steadies the CPU "
                             "figures on a small, busy machine")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    rows = []
    for device in available_devices():
        sizes = GPU_SIZES if device.is_gpu else CPU_SIZES
        dtypes = ("float32", "bfloat16") if device.kind == "cuda" else ("float32",)
        for dtype in dtypes:
            for size in sizes:
                ours = measure("matmul", size, device.name, dtype, min_time=args.min_time,
                               naive=device.kind == "cuda")
                if not ours.ok:
                    rows.append({"device": device.name, "dtype": dtype, "size": size,
                                 "status": ours.status, "error": ours.error})
                    continue
                reference = torch_reference("matmul", size, device.name, dtype, args.min_time)
                ratio = ours.median_s / reference
                row = {"device": device.name, "label": device.label, "dtype": dtype,
                       "size": size, "ours_s": ours.median_s, "iqr_s": ours.iqr_s,
                       "torch_s": reference, "ratio": round(ratio, 4),
                       "within_goal": abs(ratio - 1) <= GOAL,
                       "gflops": round(ours.gflops, 1),
                       "peak_gflops": device.peak_gflops(dtype)}
                if ours.naive_s is not None:
                    row["naive_s"] = ours.naive_s
                    row["synchronised_over_naive"] = round(ours.median_s / ours.naive_s, 1)
                rows.append(row)
    cancels = {device.name: cancel_latency(device.name, *CANCEL_CASES[device.kind])
               for device in available_devices() if device.kind in CANCEL_CASES}
    start = time.perf_counter()
    too_big = measure("matmul", 10 ** 6, "cpu", "float32")
    refusal_s = time.perf_counter() - start
    start = time.perf_counter()
    plan = SweepPlan(ops=["matmul"], sizes=[64, 256, 1024], devices=["cpu"], min_time=0.2)
    count = sum(1 for _ in sweep(plan))
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "min_time_s": args.min_time, "goal_ratio_within": GOAL, "cases": rows,
                      "all_within_goal": all(r.get("within_goal", False) for r in rows),
                      "default_cli_sweep": {"cases": count,
                                            "seconds": round(time.perf_counter() - start, 2)},
                      "cancel_latency_s": cancels, "cancel_goal_s": CANCEL_GOAL_S,
                      "cancel_goal_met": all(s is not None and s <= CANCEL_GOAL_S
                                             for s in cancels.values()),
                      "too_big_refusal_s": round(refusal_s, 4),
                      "too_big_refused": too_big.status == "skipped"},
                     indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
