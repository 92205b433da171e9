"""Layout benchmark: built-in layered layout (and Graphviz dot when installed) on autograd graphs.

Prints ONE JSON object to stdout (progress goes to stderr)::

    .venv/bin/python benchmarks/bench_layout.py            # all graphs (~2-3 min on 2 cores)
    .venv/bin/python benchmarks/bench_layout.py --quick    # without the ~75,000-node graph

Per graph: ``nodes``, ``edges``; ``builtin_s`` (median of the repeats) and ``builtin_crossings``;
with dot on PATH and at most ``DOT_MAX_NODES`` nodes: ``dot_s`` and ``dot_crossings`` (or
``dot_error``), and ``crossings_ratio`` = builtin / dot. Crossings are counted by
``count_crossings`` (between adjacent layers, long edges followed along their polylines).
Goals: ~350 nodes <= 0.1 s, ~2,700 <= 0.5 s, ~15,000 <= 2 s, ~75,000 <= 15 s; crossings <= 1.2x dot.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
import workloads as graphs  # noqa: E402

from nla_explorer.engine import capture  # noqa: E402
from nla_explorer.graph_view.layout.dot import dot_available, dot_layout  # noqa: E402
from nla_explorer.graph_view.layout.crossings import count_crossings  # noqa: E402
from nla_explorer.graph_view.layout.layered import layered_layout  # noqa: E402
from nla_explorer.graph_view.layout.model import LayoutError  # noqa: E402

DOT_MAX_NODES = 3_000
DOT_TIMEOUT_S = 60.0
GOALS_S = {"resnet": 0.1, "transformer48": 0.5, "lstm1000": 2.0, "lstm5000": 15.0}


def _graph(build) -> tuple[list[str], list[tuple[str, str]]]:
    g = capture(build()[0])
    return [n.id for n in g.nodes], [(e.source, e.target) for e in g.edges]


# -- workloads (the shared autograd graphs of workloads.py, plus random DAGs) -----------------------
def small():
    x = torch.randn(3, requires_grad=True)
    w = torch.randn(3, 3, requires_grad=True)
    return _graph(lambda: (((w @ x).tanh() * x).sum(), {}))


def random_dag(n: int, m: int, seed: int):
    """Not autograd: a random DAG (edges reach up to 40 nodes ahead), where crossings are
    unavoidable, to compare the crossing reduction with dot's."""
    rnd = random.Random(seed)
    nodes = [f"v{i}" for i in range(n)]
    pick = [rnd.randrange(n - 1) for _ in range(m)]
    return nodes, [(nodes[a], nodes[rnd.randrange(a + 1, min(n, a + 41))]) for a in pick]


WORKLOADS = {"small": small, "resnet": lambda: _graph(graphs.resnet),
             "lstm10": lambda: _graph(lambda: graphs.lstm(10)),
             "lstm100": lambda: _graph(lambda: graphs.lstm(100)),
             "transformer48": lambda: _graph(graphs.transformer),
             "random300": lambda: random_dag(300, 450, 0),
             "random1000": lambda: random_dag(1000, 1500, 1),
             "lstm1000": lambda: _graph(lambda: graphs.lstm(1_000)),
             "lstm5000": lambda: _graph(lambda: graphs.lstm(5_000))}
REPEATS = {"small": 21, "resnet": 7, "lstm10": 7, "lstm100": 5, "transformer48": 5,
           "random300": 5, "random1000": 3, "lstm1000": 3, "lstm5000": 1}


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _with_big_stack(fn):
    """Run ``fn`` in a thread with a 512 MiB stack: freeing a 5,000-step autograd chain
    recurses deeper than the main thread's stack allows (a segfault, measured here)."""
    out: dict = {}
    old = threading.stack_size(512 << 20)
    try:
        worker = threading.Thread(target=lambda: out.update(result=fn()))
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old)
    return out["result"]


def run_one(name: str, quick: bool) -> dict:
    nodes, edges = _with_big_stack(WORKLOADS[name])
    print(f"{name}: {len(nodes)} nodes", file=sys.stderr, flush=True)
    reps = max(1, REPEATS[name] // (2 if quick else 1))
    marks: list[float] = []
    times = []
    for _ in range(reps):
        t, lay = _timed(lambda: layered_layout(nodes, edges, progress=marks.append))
        times.append(t)
    row = {"nodes": len(nodes), "edges": len(edges),
           "builtin_s": round(statistics.median(times), 4),
           "builtin_crossings": count_crossings(lay, edges),
           "width": round(lay.width), "height": round(lay.height),
           "layers": max(lay.layers.values(), default=-1) + 1,
           "progress_calls": len(marks) // reps}
    if dot_available() and len(nodes) <= DOT_MAX_NODES:
        try:
            t, dl = _timed(lambda: dot_layout(nodes, edges, timeout=DOT_TIMEOUT_S))
        except LayoutError as exc:
            row["dot_error"] = str(exc)
        else:
            row["dot_s"] = round(t, 4)
            row["dot_crossings"] = count_crossings(dl, edges)
            b, d = row["builtin_crossings"], row["dot_crossings"]
            row["crossings_ratio"] = round(b / d, 3) if d else (1.0 if b == 0 else None)
    return row


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="skip the ~75,000-node graph")
    ap.add_argument("--only", choices=sorted(WORKLOADS), action="append")
    args = ap.parse_args(argv)
    names = args.only or [n for n in WORKLOADS if not (args.quick and n == "lstm5000")]
    results = {name: run_one(name, args.quick) for name in names}
    goals = {}
    for name, row in results.items():
        if name in GOALS_S:
            goals[f"{name}_time<={GOALS_S[name]}s"] = row["builtin_s"] <= GOALS_S[name]
        if "dot_crossings" in row:
            goals[f"{name}_crossings<=1.2x_dot"] = (row["builtin_crossings"]
                                                    <= 1.2 * row["dot_crossings"])
    print(json.dumps({"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                  "dot": dot_available()},
                      "graphs": results, "goals": goals}, indent=1))


if __name__ == "__main__":
    main()
