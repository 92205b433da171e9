"""Start-up: launching ``nla-explorer`` until its window's first paint, against a bare
``python -c "import torch, PySide6.QtWidgets, pyqtgraph"`` (goal: at most 1.5× that). Prints ONE JSON
object; ``--importtime`` adds the imports the app makes beyond that baseline, costliest first.

The app has no quit-after-paint switch, so the child runs the real ``nla-explorer`` entry point
(``cli.main``) with its window class wrapped to report the first paint. Both clocks are
CLOCK_MONOTONIC (``time.perf_counter`` on Linux), so the child's stamp minus the parent's launch stamp
is the time from process start to first paint. ``ratio``: medians of first paint over the baseline
process; ``ratio_of_minima``: the least disturbed runs (steadier on a shared machine); ``ratio_cpu``:
CPU seconds of the app (until drawn) over the baseline's.

    .venv/bin/python benchmarks/bench_startup.py [--runs 5] [--importtime]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "import torch, PySide6.QtWidgets, pyqtgraph"
DRIVER_IMPORTS = {"nla_explorer.app", "nla_explorer.cli"}  # what DRIVER imports itself
# runs in the child: the real entry point, with MainWindow timed at its first paint and when drawn
DRIVER = r"""
import json, os, sys, time
sys.argv = ["nla-explorer"]
from PySide6.QtCore import QTimer
import nla_explorer.app as app_module
from nla_explorer.cli import main

stamps = {}

class TimedWindow(app_module.MainWindow):
    def paintEvent(self, event):
        super().paintEvent(event)
        if "first_paint" not in stamps:
            stamps["first_paint"] = time.perf_counter()
            self._poll = QTimer(self)
            self._poll.timeout.connect(self._drawn)
            self._poll.start(2)

    def _drawn(self):
        if getattr(self, "busy", lambda: False)():
            return
        stamps["drawn"] = time.perf_counter()
        print("STAMPS " + json.dumps(stamps), flush=True)
        os._exit(0)  # the exit itself is not part of start-up

app_module.MainWindow = TimedWindow
main([])
"""


def _env(tmp: str) -> dict:
    """Offscreen Qt, the source tree importable, fresh settings (no recovery offer), and cached
    bytecode as an installed package has (pip compiles it; PYTHONDONTWRITEBYTECODE would not)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT),
               PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"),
               XDG_CONFIG_HOME=str(Path(tmp) / "config"), XDG_DATA_HOME=str(Path(tmp) / "data"))
    for name in ("PYTHONSTARTUP", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    return env


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _launch(args: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess, dict]:
    cpu, start = _cpu_of_children(), time.perf_counter()
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=300)
    times = {"wall_s": time.perf_counter() - start, "cpu_s": _cpu_of_children() - cpu}
    if out.returncode != 0:
        raise RuntimeError(f"{args[:2]} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    return start, out, times


def run_app_once(env: dict) -> dict:
    start, out, times = _launch(["-c", DRIVER], env)
    match = re.search(r"^STAMPS (.*)$", out.stdout, re.M)
    if match is None:
        raise RuntimeError(f"the window never painted:\n{out.stdout[-1000:]}{out.stderr[-2000:]}")
    stamps = json.loads(match.group(1))
    return {"first_paint_s": stamps["first_paint"] - start, "drawn_s": stamps["drawn"] - start,
            **times}


def run_baseline_once(env: dict) -> dict:
    start, out, times = _launch(["-c", BASELINE + "; import time; print(time.perf_counter())"],
                                env)
    return {"imported_s": float(out.stdout.split()[-1]) - start, **times}


def import_tree(args: list[str], env: dict) -> list[dict]:
    """``-X importtime`` as a forest: {name, self_us, children} (children print before parents)."""
    out = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=300)
    pending: dict[int, list[dict]] = {}
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \| ( *)(\S+)", line)
        if m:
            depth = len(m.group(2)) // 2
            node = {"name": m.group(3), "self_us": int(m.group(1)),
                    "children": pending.pop(depth + 1, [])}
            pending.setdefault(depth, []).append(node)
    return pending.get(0, [])


def _walk(nodes: list[dict]):
    for node in nodes:
        yield node
        yield from _walk(node["children"])


def extra_imports(env: dict, top: int = 12) -> dict:
    """What the app imports beyond the baseline: each subtree of extra modules with its own cost
    (a depth-0 subtree was imported at run time, not by an import statement), and the app's own
    modules by their own time."""
    base = {n["name"] for n in _walk(import_tree(["-c", BASELINE], env))}
    ours = import_tree(["-c", DRIVER], env)

    def extra_cost(node: dict) -> int:
        return node["self_us"] + sum(extra_cost(c) for c in node["children"]
                                     if c["name"] not in base)

    roots, seen = [], set()

    def find_roots(nodes: list[dict], parent_extra: bool, depth: int) -> None:
        for node in nodes:
            extra = node["name"] not in base
            if extra and not parent_extra and node["name"] not in seen:
                seen.add(node["name"])
                roots.append({"module": node["name"], "ms": round(extra_cost(node) / 1000, 1),
                              "imported_at_run_time": depth == 0 and node["name"] not in
                              DRIVER_IMPORTS})
            find_roots(node["children"], extra, depth + 1)
    find_roots(ours, False, 0)
    roots.sort(key=lambda r: -r["ms"])
    own = sorted((n for n in _walk(ours) if n["name"].startswith("nla_explorer")),
                 key=lambda n: -n["self_us"])
    return {"subtrees": roots[:top],
            "own_modules": [{"module": n["name"], "self_ms": round(n["self_us"] / 1000, 1)}
                            for n in own[:top]],
            "total_extra_ms": round(sum(n["self_us"] for n in _walk(ours)
                                        if n["name"] not in base) / 1000, 1)}


def _median(rows: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in rows), 3)


def _least(rows: list[dict], key: str) -> float:
    """The least disturbed run: on a shared machine the minimum is the steadiest figure."""
    return round(min(r[key] for r in rows), 3)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="launches of each (median reported)")
    parser.add_argument("--importtime", action="store_true",
                        help="also list the imports beyond the baseline, costliest first")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(tmp)
        run_app_once(env), run_baseline_once(env)  # warm the disk cache
        app_runs, base_runs = [], []
        for _ in range(args.runs):  # interleaved, so both see the same load on the machine
            app_runs.append(run_app_once(env))
            base_runs.append(run_baseline_once(env))
        result = {
            "runs": args.runs,
            "app_first_paint_s": _median(app_runs, "first_paint_s"),
            "app_first_paint_min_s": _least(app_runs, "first_paint_s"),
            "app_graph_drawn_s": _median(app_runs, "drawn_s"),
            "app_cpu_s": _median(app_runs, "cpu_s"),
            "baseline_process_s": _median(base_runs, "wall_s"),
            "baseline_process_min_s": _least(base_runs, "wall_s"),
            "baseline_imported_s": _median(base_runs, "imported_s"),
            "baseline_cpu_s": _median(base_runs, "cpu_s"),
        }
        result["ratio"] = round(result["app_first_paint_s"] / result["baseline_process_s"], 2)
        result["ratio_of_minima"] = round(
            result["app_first_paint_min_s"] / result["baseline_process_min_s"], 2)
        result["ratio_cpu"] = round(result["app_cpu_s"] / result["baseline_cpu_s"], 2)
        result["goal_ratio"] = 1.5
        if args.importtime:
            result["extra_imports"] = extra_imports(env)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
