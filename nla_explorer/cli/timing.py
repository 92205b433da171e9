"""``nla-explorer timing``: CPU/GPU timings of linear algebra without a window (no Qt).

Devices asked for but absent here (``--devices cuda`` on a machine without a GPU) are not an
error: a note goes to stderr and their cases come back as skipped results, so the same command
runs on a laptop and on a GPU box. Unknown op, dtype or device names, and numbers out of range,
exit with status 2 and one line (listing the valid names).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

DEFAULT_OPS = "matmul"
DEFAULT_SIZES = "64,256,1024"
DEFAULT_DTYPES = "float32"
#: The largest --max-call-time, in seconds (a day).
MAX_CALL_TIME_S = 86400.0


def add_timing_parser(subparsers) -> None:
    """Add the ``timing`` subcommand to an ``argparse`` subparsers object."""
    from nla_explorer.engine.timing.ops import DTYPES, OPS

    p = subparsers.add_parser(
        "timing", help="time linear algebra on CPU and GPU, synchronised (the honest way)",
        description="Time operations on each device: warm-up, synchronisation, repeats until a "
                    "minimum time, median and spread. Devices asked for but absent are "
                    "reported as skipped (with a note), not an error.")
    p.add_argument("--ops", default=DEFAULT_OPS, metavar="LIST",
                   help=f"comma-separated ops, or 'all': {', '.join(OPS)} "
                        f"(default: {DEFAULT_OPS})")
    p.add_argument("--sizes", default=DEFAULT_SIZES, metavar="LIST",
                   help="matrix sides n, comma-separated, or a range of powers of two like "
                        f"16..4096 (default: {DEFAULT_SIZES})")
    p.add_argument("--devices", default="all", metavar="LIST",
                   help="comma-separated: cpu, cuda, cuda:N, mps; 'all' = every device found "
                        "here (default)")
    p.add_argument("--dtypes", default=DEFAULT_DTYPES, metavar="LIST",
                   help=f"comma-separated: {', '.join(DTYPES)} (half precision is meant for "
                        f"GPUs; default: {DEFAULT_DTYPES})")
    p.add_argument("--min-time", type=float, default=0.2, metavar="S",
                   help="measure each case for at least S seconds, up to 3600 (default: 0.2)")
    p.add_argument("--max-call-time", type=float, default=10.0, metavar="S",
                   help="skip sizes where one call (or making its inputs) is estimated to take "
                        "over S seconds, and stop a case's repeats after max(S, min-time) "
                        "seconds (default: 10)")
    p.add_argument("--naive", action="store_true",
                   help="also time one call without synchronising (the pitfall: on a GPU it "
                        "measures only the launch)")
    p.add_argument("--transfer", action="store_true",
                   help="also time copying the inputs host→device and back")
    p.add_argument("--compare-torch", action="store_true",
                   help="also time each case with torch.utils.benchmark and report the ratio")
    p.add_argument("--csv", metavar="FILE", help="also save the results as CSV (the timing "
                                                 "panel can load it to compare)")
    p.add_argument("--list", action="store_true",
                   help="list the ops, dtypes and the devices found here, then exit")
    p.add_argument("--json", action="store_true", help="print the results as JSON")


def _names(text: str, every: list[str]) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    return list(every) if names == ["all"] else names


def _error(message: str) -> int:
    print(f"nla-explorer: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def run_timing(args: argparse.Namespace) -> int:
    """Run the sweep the arguments describe; print a table or JSON. Returns the exit status."""
    import torch

    from nla_explorer.cli.args import output_problem
    from nla_explorer.engine.errors import EngineError
    from nla_explorer.engine.timing.sweep import (
        OPS, DTYPES, SweepPlan, available_devices, crossover, parse_sizes,
        sweep, torch_reference,
    )
    from nla_explorer.engine.timing.results import save_results_csv
    from nla_explorer.engine.timing.devices import parse_device, unavailable_reason

    devices = available_devices()
    if args.list:
        return _list(args, devices)
    if not 0 < args.max_call_time <= MAX_CALL_TIME_S:  # also NaN
        return _error(f"--max-call-time must be over 0 and at most {MAX_CALL_TIME_S:g} seconds, "
                      f"got {args.max_call_time!r}")
    problem = output_problem(args.csv) if args.csv else None
    if problem:  # before the sweep, not after it
        return _error(problem)
    try:
        plan = SweepPlan(ops=_names(args.ops, list(OPS)), sizes=parse_sizes(args.sizes),
                         devices=_names(args.devices, [d.name for d in devices]),
                         dtypes=_names(args.dtypes, list(DTYPES)), min_time=args.min_time,
                         naive=args.naive, transfer=args.transfer,
                         max_call_s=args.max_call_time)
    except EngineError as exc:
        return _error(str(exc))
    for name in plan.devices:
        reason = unavailable_reason(parse_device(name))
        if reason:
            print(f"nla-explorer timing: note: {name}: {reason}; its cases are reported as "
                  "skipped", file=sys.stderr)
    rows, results = [], []
    progress = sys.stderr.isatty() and not args.json
    try:
        for k, result in enumerate(sweep(plan), 1):
            row = asdict(result)
            if args.compare_torch and result.ok:
                reference = torch_reference(result.op, result.size, result.device,
                                            result.dtype, min_time=plan.min_time)
                row["torch_median_s"] = reference
                row["ratio_vs_torch"] = result.median_s / reference
            results.append(result)
            rows.append(row)
            if progress:
                print(f"[{k}/{plan.count}] {_line(row)}", file=sys.stderr)
    except KeyboardInterrupt:
        print("nla-explorer timing: interrupted; results so far follow", file=sys.stderr)
    crossings = [{"op": op, "dtype": dtype, "device": d.name,
                  "size": crossover(results, op, dtype, d.name)}
                 for op in plan.ops for dtype in plan.dtypes for d in devices
                 if d.is_gpu and d.name in plan.devices]
    if args.csv:
        try:
            save_results_csv(args.csv, results)  # atomic: a full disk keeps the old file
        except OSError as exc:
            return _error(f"cannot write {args.csv}: {exc.strerror or exc}")
    if args.json:
        print(json.dumps({
            "torch": torch.__version__, "threads": torch.get_num_threads(),
            "float32_matmul_precision": torch.get_float32_matmul_precision(),
            "devices": [asdict(d) for d in devices],
            "plan": {"ops": plan.ops, "sizes": plan.sizes, "devices": plan.devices,
                     "dtypes": plan.dtypes, "min_time": plan.min_time, "naive": plan.naive,
                     "transfer": plan.transfer, "max_call_s": plan.max_call_s},
            "results": rows, "crossovers": crossings}, indent=1))
        return 0
    for d in devices:
        print(f"{d.name}: {d.label}")
    for row in rows:
        print(_line(row))
    for c in crossings:
        where = f"from n={c['size']}" if c["size"] else "not within these sizes"
        print(f"{c['device']} beats cpu for {c['op']} {c['dtype']} {where}")
    return 0


def _line(row: dict) -> str:
    head = f"{row['op']:<8} {row['dtype']:<9} {row['device']:<7} n={row['size']:<6}"
    if row["status"] != "ok":
        return f"{head} {row['status']}: {row['error']}"
    from nla_explorer.engine.timing.ops import OPS

    memory_bound = row["op"] in OPS and OPS[row["op"]].memory_bound
    rate = f"{row['gbps']:.3g} GB/s" if memory_bound else f"{row['gflops']:.4g} GFLOP/s"
    text = f"{head} {_secs(row['median_s'])} ± {_secs(row['iqr_s'])}  {rate}"
    if row.get("naive_s") is not None:
        text += f"  naive {_secs(row['naive_s'])}"
    if row.get("transfer_s") is not None:
        text += f"  transfer {_secs(row['transfer_s'])}"
    if "ratio_vs_torch" in row:
        text += f"  torch {_secs(row['torch_median_s'])} (ratio {row['ratio_vs_torch']:.3f})"
    return text + (f"  [{row['note']}]" if row.get("note") else "")


def _list(args: argparse.Namespace, devices) -> int:
    from nla_explorer.engine.timing.sweep import DTYPES, OPS

    if args.json:
        print(json.dumps({"ops": {name: op.description for name, op in OPS.items()},
                          "dtypes": list(DTYPES), "devices": [asdict(d) for d in devices]},
                         indent=1))
        return 0
    print("ops:")
    for name, op in OPS.items():
        print(f"  {name:<8} {op.description}")
    print("dtypes: " + ", ".join(DTYPES))
    print("devices here:")
    for d in devices:
        print(f"  {d.name:<7} {d.label}")
    return 0


def _secs(value: float | None) -> str:
    from nla_explorer.engine.timing.results import seconds_text  # lazily, like the others

    return seconds_text(value, missing="-")
