"""Run as Python: the course's polyfit cells run to their graph, against plain ``python``.

The cells are those of ``basics_of_neural_networks.ipynb`` from In[9] to In[17] after In[1]: the
imports, the data, the ``Net``, its plot and the 100-epoch Adam loop (100 backward calls). Prints
ONE JSON object (progress goes to stderr); figures are medians over the repeats, in seconds:

* ``cold_s``: a new :class:`Runner` (its child imports torch) running the cells, until the result
  with its graph is back; ``cold_start_s`` is the start alone.
* ``warm_s``: the same cells again on the warm runner; ``warm_kernel_s`` the time inside the child
  (``RunResult.seconds``), ``warm_transport_s`` the rest (encode, pipe, decode).
* ``plain_s``: ``python -c`` of the same cells joined (torch imported, an ``IPython.display``
  stand-in as the runner gives; IPython is not a dependency).
* ``ratio_cold_plain``: goal <= 1.5; ``warm_s``: goal <= 0.2. Cold, plain and warm runs are
  interleaved (a shared machine's load hits them alike); ``ratio_of_minima`` compares the least
  disturbed runs and ``ratio_cpu`` the CPU seconds (the runner's child and this process).

``--profile`` adds the costliest functions of one warm ``Kernel().run`` in this process (cProfile,
cumulative and own time) and the in-process encode/decode times of its result::

    .venv/bin/python benchmarks/bench_run.py [--runs 5] [--profile] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nla_explorer.engine.runner.cells import read_program, split_cells  # noqa: E402
from nla_explorer.engine.runner.supervisor import Runner  # noqa: E402

NOTEBOOK = ROOT / "resources" / "notebooks" / "basics_of_neural_networks.ipynb"
LABELS = ("In[1]", *(f"In[{k}]" for k in range(9, 18)))
COLD_RATIO_GOAL = 1.5
WARM_GOAL_S = 0.2
#: What a notebook kernel provides and plain Python lacks (the runner's stand-in does the same).
PLAIN_PRELUDE = """import sys, types
try:
    import IPython.display
except ImportError:
    _display = types.ModuleType("IPython.display")
    _display.display = print
    _display.clear_output = lambda wait=False: None
    _ipython = types.ModuleType("IPython")
    _ipython.get_ipython = lambda: None  # matplotlib asks for the shell it runs in
    _ipython.version_info, _ipython.__version__ = (8, 24, 0, ""), "8.24.0"
    _ipython.display = _display
    sys.modules["IPython"], sys.modules["IPython.display"] = _ipython, _display
"""


def polyfit_cells() -> list[tuple[str, int, str]]:
    cells = {c.label: c for c in split_cells(read_program(NOTEBOOK))}
    missing = [label for label in LABELS if label not in cells]
    if missing:
        raise SystemExit(f"{NOTEBOOK.name} has no {', '.join(missing)}")
    return [(label, cells[label].first_line, cells[label].source) for label in LABELS]


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _checked(result) -> None:
    if result.error is not None:
        raise SystemExit(f"the cells failed: {result.error}")
    if result.graph is None or result.total_calls != 100:
        raise SystemExit(f"expected 100 backward calls and a graph, got {result.total_calls}")


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (a closed runner's child, too)."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                          resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cold_once(cells) -> tuple[float, float, float, int]:
    """Wall seconds to the result, CPU seconds (start, run and close), start seconds, kept calls."""
    cpu, began = _cpu(), time.perf_counter()
    with Runner() as runner:
        result = runner.run_cells(cells, timeout=300)
        wall = time.perf_counter() - began
        start = runner.start_seconds
    _checked(result)
    return wall, _cpu() - cpu, start, len(result.calls)


def warm_once(runner: Runner, cells) -> tuple[float, float]:
    """Wall seconds to the result and the seconds inside the child."""
    began = time.perf_counter()
    result = runner.run_cells(cells, timeout=300)
    wall = time.perf_counter() - began
    _checked(result)
    return wall, result.seconds


def plain_once(program: str, env: dict) -> tuple[float, float]:
    cpu, began = _cpu(), time.perf_counter()
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=300)
    wall = time.perf_counter() - began
    if out.returncode != 0:
        raise SystemExit(f"plain python failed:\n{out.stderr[-2000:]}")
    return wall, _cpu() - cpu


def measure(cells, runs: int) -> dict:
    """Cold, plain and warm runs interleaved, so that each round sees the same machine load."""
    program = PLAIN_PRELUDE + "\n".join(source for _, _, source in cells) + "\n"
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH="")
    cold, cold_cpu, start, plain, plain_cpu, warm, kernel = ([] for _ in range(7))
    with Runner() as warm_runner:
        warm_once(warm_runner, cells)  # first-use costs in the child out of the way
        for _ in range(runs):
            wall, cpu, started, kept = cold_once(cells)
            cold.append(wall)
            cold_cpu.append(cpu)
            start.append(started)
            wall, cpu = plain_once(program, env)
            plain.append(wall)
            plain_cpu.append(cpu)
            wall, inside = warm_once(warm_runner, cells)
            warm.append(wall)
            kernel.append(inside)
            _log(f"cold {cold[-1]:.2f} s, plain {plain[-1]:.2f} s, warm {warm[-1]:.3f} s")
    med = statistics.median
    return {
        "cold_s": med(cold), "cold_start_s": med(start), "plain_s": med(plain),
        "ratio_cold_plain": med(cold) / med(plain), "ratio_of_minima": min(cold) / min(plain),
        "ratio_cpu": med(cold_cpu) / med(plain_cpu), "cold_cpu_s": med(cold_cpu),
        "plain_cpu_s": med(plain_cpu), "warm_s": med(warm), "warm_min_s": min(warm),
        "warm_kernel_s": med(kernel),
        "warm_transport_s": med([w - k for w, k in zip(warm, kernel)]), "kept_calls": kept,
        "runs": {"cold_s": cold, "plain_s": plain, "warm_s": warm},
        "load_average": os.getloadavg()[0], "cpus": os.cpu_count()}


def profile(cells, top: int) -> dict:
    """One warm run of the child's work in this process, under cProfile."""
    from nla_explorer.engine.runner import wire
    from nla_explorer.engine.runner.program import Kernel

    kernel = Kernel()
    kernel.run(cells)  # imports and first-use costs out of the way
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    result = kernel.run(cells)
    profiler.disable()
    run_s = time.perf_counter() - began
    _checked(result)
    began = time.perf_counter()
    frame = wire.encode({"result": result})
    encode_s = time.perf_counter() - began
    began = time.perf_counter()
    wire.decode(frame)
    decode_s = time.perf_counter() - began
    stats = pstats.Stats(profiler, stream=io.StringIO())

    def rows(key: str) -> list[dict]:
        stats.sort_stats(key)
        out = []
        for func in stats.fcn_list[:top]:
            calls, _, own, cumulative, _ = stats.stats[func]
            name = f"{Path(func[0]).name}:{func[1]}({func[2]})" if func[0] != "~" else func[2]
            out.append({"function": name, "calls": calls, "own_s": round(own, 4),
                        "cumulative_s": round(cumulative, 4)})
        return out
    return {"in_process_run_s": run_s, "encode_s": encode_s, "decode_s": decode_s,
            "frame_bytes": len(frame), "by_cumulative": rows("cumulative"),
            "by_own_time": rows("tottime")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    cells = polyfit_cells()
    report = {"cells": list(LABELS), **measure(cells, args.runs)}
    report["goals"] = {"cold_ratio_le_1_5": report["ratio_cold_plain"] <= COLD_RATIO_GOAL,
                       "warm_le_0_2_s": report["warm_s"] <= WARM_GOAL_S}
    if args.profile:
        report["profile"] = profile(cells, args.top)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
