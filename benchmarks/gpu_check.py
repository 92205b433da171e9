"""Issue 20's GPU run, prepared as one script: run it on the machine with the GPU, once.

    python3 benchmarks/gpu_check.py --out "$OUT"            # on the device (a few minutes)
    .venv/bin/python benchmarks/gpu_check.py --device cpu    # here: the same checks, CPU vs CPU

It needs no Qt (the device has none): run from the repository root, it imports the package from
there. In ``--out`` it writes:

- ``env.json``: torch, CUDA and the device's name, the date;
- ``parity.json``: every course example traced on the CPU and on the device (torch's default
  device set to it: the program's tensors are made there), and the course's polynomial-fit net
  trained on both (``train --device``): step order, values, gradients and losses compared
  within the dtype's tolerance, each failure named;
- ``gpu_tests.log``: ``pytest -m gpu`` over the engine tests (the Qt test is left out);
- ``timing.json`` and ``reference.csv``: the timing sweep of the issue
  (``--ops matmul,mv,solve,mlp --sizes 256..8192 --devices cpu,cuda --dtypes float32,bfloat16
  --naive --transfer --compare-torch``); the CSV is a reference run as the app ships it in
  ``resources/reference_runs/`` (headed by ``# key: value`` lines: device, torch, CUDA, date;
  each row's source "<device> (reference run, not this machine)").

It prints one JSON summary; every step has a time limit and goes on after a failure.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from nla_explorer.engine.timing.reference import as_reference  # noqa: E402

SWEEP = ["--ops", "matmul,mv,solve,mlp", "--sizes", "256..8192", "--dtypes", "float32,bfloat16",
         "--naive", "--transfer", "--compare-torch"]
QUICK_SIZES = "256..1024"
#: |a - b| <= ATOL + RTOL |b|, by dtype of the values compared
TOLERANCE = {"float64": (1e-9, 1e-12), "float32": (2e-4, 1e-5)}


def environment(device: str) -> dict:
    cuda = torch.cuda.is_available()
    return {"date": datetime.date.today().isoformat(), "torch": torch.__version__,
            "cuda": torch.version.cuda, "device": device,
            "device_name": torch.cuda.get_device_name(device) if device.startswith("cuda")
            and cuda else "cpu", "cuda_available": cuda, "python": sys.version.split()[0]}


def _explored(name: str, device: str):
    from nla_explorer.engine.examples import get_example
    from nla_explorer.engine.pipeline import explore_expression

    with torch.device(device):  # the program's tensors are made there (and no mode is left)
        return explore_expression(get_example(name).expression())


def _close(a, b) -> bool:
    if a is None or b is None or a.values is None or b.values is None:
        return (a is None) == (b is None)
    rtol, atol = TOLERANCE.get(b.dtype, (1e-2, 1e-3))  # (half precision: loose)
    return a.shape == b.shape and bool(np.allclose(a.values, b.values, rtol=rtol, atol=atol,
                                                   equal_nan=True))


def trace_parity(device: str) -> dict:
    """Each course example on the CPU and on ``device``: the same steps in the same order, the
    same values and gradients within tolerance."""
    from nla_explorer.engine.examples import EXAMPLES

    out = {}
    for name in EXAMPLES:
        try:
            cpu, dev = _explored(name, "cpu"), _explored(name, device)
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            out[name] = f"failed: {type(exc).__name__}: {exc}"
            continue
        problems = []
        if [s.node_id for s in cpu.trace.steps] != [s.node_id for s in dev.trace.steps]:
            problems.append("step order differs")
        if device != "cpu" and not any(n.value is not None and n.value.device != "cpu"
                                       for n in dev.graph.nodes):
            problems.append(f"no value was on {device}")
        for node in cpu.graph.nodes:
            other = dev.graph.node(node.id)
            if not _close(other.value, node.value):
                problems.append(f"value of {node.id} ({node.label})")
            if not _close(dev.trace.node_grad(node.id), cpu.trace.node_grad(node.id)):
                problems.append(f"gradient of {node.id} ({node.label})")
        out[name] = "ok" if not problems else "; ".join(problems[:5])
    return out


def train_parity(device: str, epochs: int = 200) -> dict:
    """The course's polynomial-fit net trained on the CPU and on ``device``
    (``nla-explorer train --device``): the losses of every epoch within float32 tolerance."""
    from nla_explorer.engine.training.config import config_from
    from nla_explorer.engine.training.loop import run_to_end

    results = {}
    for where in ("cpu", device):
        try:
            results[where] = run_to_end(config_from({"epochs": epochs}), device=where)
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            return {"status": f"failed on {where}: {type(exc).__name__}: {exc}"}
    a, b = (np.asarray(results[w].losses, dtype=np.float64) for w in ("cpu", device))
    worst = float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-12)))
    return {"status": "ok" if worst <= 1e-3 else f"losses differ by up to {worst:.2e}",
            "final_loss": {"cpu": results["cpu"].final_loss, device: results[device].final_loss},
            "worst_relative_difference": worst,
            "elapsed_s": {w: round(r.elapsed_s, 3) for w, r in results.items()}}


def gpu_tests(out: Path, limit_s: int) -> dict:
    log = out / "gpu_tests.log"
    cmd = [sys.executable, "-m", "pytest", "-q", "-m", "gpu", "-p", "no:cacheprovider",
           "-p", "no:pytest-qt", "tests/engine"]
    return _run(cmd, log, limit_s)


def timing_sweep(out: Path, device: str, quick: bool, limit_s: int,
                 sweep: list[str] | None = None) -> dict:
    """The issue's sweep (``sweep``: other arguments of ``nla-explorer timing``), its JSON and
    its CSV headed with where it was measured; ``ok`` is False without both."""
    sweep = list(SWEEP if sweep is None else sweep)
    if quick and "256..8192" in sweep:
        sweep[sweep.index("256..8192")] = QUICK_SIZES
    devices = "cpu" if device == "cpu" else f"cpu,{device}"
    csv_path = out / "reference.csv"
    cmd = [sys.executable, "-m", "nla_explorer", "timing", *sweep, "--devices", devices,
           "--json", "--csv", str(csv_path)]
    csv_path.unlink(missing_ok=True)  # (a file left by an earlier run is not this one's)
    result = _run(cmd, out / "timing.json", limit_s)
    result["ok"] = result["rc"] == 0 and csv_path.exists()
    if csv_path.exists():  # a reference run, as the app ships it (resources/reference_runs)
        csv_path.write_text(as_reference(csv_path.read_text(), environment(device)))
    return result


def _run(cmd: list[str], log: Path, limit_s: int) -> dict:
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=limit_s)
        log.write_text(done.stdout)
        if done.stderr:
            log.with_name(log.stem + "_stderr.txt").write_text(done.stderr)
        tail = (done.stdout.strip().splitlines() or [""])[-1]
        return {"rc": done.returncode, "last_line": tail[:300],
                "seconds": round(time.perf_counter() - start, 1)}
    except subprocess.TimeoutExpired:
        return {"rc": None, "last_line": f"stopped after {limit_s} s", "seconds": limit_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.environ.get("OUT") or "gpu_run",
                        help="the folder for the files (default: $OUT, else ./gpu_run)")
    parser.add_argument("--device", default="cuda",
                        help="the device compared with the CPU (cpu: a dry run here)")
    parser.add_argument("--quick", action="store_true", help=f"sweep sizes {QUICK_SIZES} only")
    parser.add_argument("--skip", default="", help="comma-separated: tests, timing")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    skip = set(filter(None, args.skip.split(",")))
    summary = {"env": environment(args.device)}
    (out / "env.json").write_text(json.dumps(summary["env"], indent=1))
    if args.device != "cpu" and not torch.cuda.is_available():
        summary["parity"] = f"skipped: torch sees no {args.device}"
    else:
        summary["parity"] = {"trace": trace_parity(args.device),
                             "train": train_parity(args.device)}
    (out / "parity.json").write_text(json.dumps(summary["parity"], indent=1))
    if "tests" not in skip:
        summary["gpu_tests"] = gpu_tests(out, limit_s=240)
    if "timing" not in skip:
        summary["timing"] = timing_sweep(out, args.device, args.quick, limit_s=420)
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
