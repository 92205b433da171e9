"""Engine benchmark: capture, recorded forward and traced backward on three graph sizes.

Prints ONE JSON object to stdout (progress goes to stderr)::

    .venv/bin/python benchmarks/bench_engine.py            # full run (~1-2 min on 2 cores)
    .venv/bin/python benchmarks/bench_engine.py --quick    # fewer repeats
    .venv/bin/python benchmarks/bench_engine.py --only lstm1000

Figures are medians over the repeats, in seconds:

* ``nodes``: autograd Nodes in the graph (``len(capture(y))``).
* ``forward_s`` / ``forward_recorded_s``: building the graph without / inside a ``ForwardRecorder``.
* ``capture_s``: ``capture(y)`` on an already-built graph, no recorder.
* ``capture_recorded_s``: ``capture(y, recorder=rec)`` with the recorder that watched the forward.
* ``backward_s``: plain ``y.backward(retain_graph=True)``.
* ``traced_backward_s``: ``trace_backward(y)``; ``trace_ratio`` = traced / plain.
* ``trace_read_all_steps_s``: then reading every step's gradients (snapshots are made on first read).

Goals (product issue): capture of the ~15,000-node graph <= 0.5 s; traced backward <= 3x a plain
one from 1,000 nodes up. ``goals`` in the output says whether each is met.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from nla_explorer.engine import ForwardRecorder, capture, trace_backward  # noqa: E402

CAPTURE_GOAL_S = 0.5
TRACE_RATIO_GOAL = 3.0
TRACE_RATIO_FROM_NODES = 1_000


# -- workloads: each returns (setup() -> state, forward(state) -> scalar tensor, leaves(state)) ----
def quadratic():
    def setup():
        g = torch.Generator().manual_seed(0)
        n = 5
        m = torch.randn(n, n, generator=g, dtype=torch.float64)
        A = (m @ m.T + n * torch.eye(n, dtype=torch.float64)).requires_grad_()
        x = torch.randn(n, generator=g, dtype=torch.float64).requires_grad_()
        b = torch.randn(n, generator=g, dtype=torch.float64)
        return {"A": A, "x": x, "b": b}

    def forward(s):
        A, x, b = s["A"], s["x"], s["b"]
        return 0.5 * x @ A @ x - b @ x

    return setup, forward, lambda s: [s["A"], s["x"]]


def transformer48():
    def setup():
        torch.manual_seed(0)
        layer = torch.nn.TransformerEncoderLayer(
            d_model=32, nhead=4, dim_feedforward=64, dropout=0.0, batch_first=True)
        model = torch.nn.TransformerEncoder(layer, num_layers=48, enable_nested_tensor=False)
        model.train()  # training mode: no fast path / nested tensors
        src = torch.randn(2, 8, 32, generator=torch.Generator().manual_seed(1))
        return {"model": model, "src": src}

    def forward(s):
        return s["model"](s["src"]).sum()

    return setup, forward, lambda s: list(s["model"].parameters())


def lstm1000():
    steps = 1_000

    def setup():
        torch.manual_seed(0)
        cell = torch.nn.LSTMCell(8, 16)
        seq = torch.randn(steps, 1, 8, generator=torch.Generator().manual_seed(1))
        return {"cell": cell, "seq": seq}

    def forward(s):
        cell, seq = s["cell"], s["seq"]
        h = torch.zeros(1, 16)
        c = torch.zeros(1, 16)
        for t in range(steps):
            h, c = cell(seq[t], (h, c))
        return h.sum()

    return setup, forward, lambda s: list(s["cell"].parameters())


WORKLOADS = {"quadratic": quadratic, "transformer48": transformer48, "lstm1000": lstm1000}
#: (repeats, quick repeats) per workload; the small graph is cheap, so time it more often.
REPEATS = {"quadratic": (21, 7), "transformer48": (5, 3), "lstm1000": (5, 2)}


# -- helpers ---------------------------------------------------------------------------------------
def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _median(xs):
    return statistics.median(xs)


def _clear_grads(leaves):
    for p in leaves:
        p.grad = None


def _graph_depth(root) -> int:
    """Longest path (in Nodes) from the output to a leaf, computed iteratively."""
    order, seen, queue = [], {root}, deque([root])
    while queue:
        fn = queue.popleft()
        order.append(fn)
        for child, _ in fn.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                queue.append(child)
    # Kahn's order from the root: a node's depth = 1 + max depth of its consumers.
    indeg = {fn: 0 for fn in order}
    for fn in order:
        for child, _ in fn.next_functions:
            if child is not None:
                indeg[child] += 1
    depth = {root: 1}
    ready = deque([root])
    while ready:
        fn = ready.popleft()
        for child, _ in fn.next_functions:
            if child is None:
                continue
            depth[child] = max(depth.get(child, 0), depth[fn] + 1)
            indeg[child] -= 1
            if indeg[child] == 0:
                ready.append(child)
    return max(depth.values())


def bench(name: str, repeats: int) -> dict:
    setup, forward, leaves_of = WORKLOADS[name]()
    state = setup()
    leaves = leaves_of(state)

    # warm-up (allocator, dispatcher caches, the capture's saved-names cache)
    y = forward(state)
    capture(y)
    y.backward(retain_graph=True)
    trace_backward(y)
    with ForwardRecorder() as rec:
        y_rec = forward(state)
    capture(y_rec, recorder=rec)
    del y, y_rec, rec
    _clear_grads(leaves)

    fw, fw_rec, cap, cap_rec, bw, tbw, snaps = [], [], [], [], [], [], []
    nodes = None
    for _ in range(repeats):
        gc.collect()
        t, y = _timed(lambda: forward(state))
        fw.append(t)
        t, graph = _timed(lambda: capture(y))
        cap.append(t)
        nodes = len(graph)
        del graph
        _clear_grads(leaves)
        t, _ = _timed(lambda: y.backward(retain_graph=True))
        bw.append(t)
        _clear_grads(leaves)
        t, trace = _timed(lambda: trace_backward(y))
        tbw.append(t)
        # the trace copies gradients into TensorData lazily; this is the cost of reading them all
        t, _ = _timed(lambda: [(s.grad_outputs, s.grad_inputs) for s in trace.steps])
        snaps.append(t)
        del trace, y

        gc.collect()
        rec = ForwardRecorder()

        def recorded_forward():
            with rec:
                return forward(state)

        t, y = _timed(recorded_forward)
        fw_rec.append(t)
        t, graph = _timed(lambda: capture(y, recorder=rec))
        cap_rec.append(t)
        del graph, y, rec
        _clear_grads(leaves)

    out = {
        "nodes": nodes,
        "repeats": repeats,
        "forward_s": _median(fw),
        "forward_recorded_s": _median(fw_rec),
        "capture_s": _median(cap),
        "capture_recorded_s": _median(cap_rec),
        "backward_s": _median(bw),
        "traced_backward_s": _median(tbw),
        "trace_read_all_steps_s": _median(snaps),
    }
    out["trace_ratio"] = out["traced_backward_s"] / out["backward_s"]
    return {k: (float(f"{v:.4g}") if isinstance(v, float) else v) for k, v in out.items()}


def recursion_check() -> dict:
    """Capture the deep LSTM graph under the default recursion limit; it must not raise."""
    setup, forward, _ = lstm1000()
    y = forward(setup())
    depth = _graph_depth(y.grad_fn)
    limit = sys.getrecursionlimit()
    try:
        n = len(capture(y))
        ok, error = True, None
    except RecursionError as exc:  # pragma: no cover - the walk is iterative
        n, ok, error = None, False, str(exc)[:200]
    return {"nodes": n, "graph_depth": depth, "recursion_limit": limit,
            "depth_exceeds_limit": depth > limit, "ok": ok, "error": error}


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats")
    p.add_argument("--only", choices=sorted(WORKLOADS), action="append",
                   help="run only this workload (repeatable)")
    args = p.parse_args(argv)

    names = args.only or list(WORKLOADS)
    t_start = time.perf_counter()
    results = {}
    for name in names:
        repeats = REPEATS[name][1 if args.quick else 0]
        print(f"[bench] {name} x{repeats} ...", file=sys.stderr, flush=True)
        results[name] = bench(name, repeats)
        print(f"[bench] {name}: {results[name]}", file=sys.stderr, flush=True)

    goals = {}
    if "lstm1000" in results:
        goals["capture_15k_le_0.5s"] = results["lstm1000"]["capture_s"] <= CAPTURE_GOAL_S
        goals["capture_recorded_15k_le_0.5s"] = (
            results["lstm1000"]["capture_recorded_s"] <= CAPTURE_GOAL_S)
    goals["trace_ratio_le_3x_from_1k_nodes"] = all(
        r["trace_ratio"] <= TRACE_RATIO_GOAL for r in results.values()
        if r["nodes"] >= TRACE_RATIO_FROM_NODES)

    out = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": {
            "processor": platform.processor() or platform.machine(),
            "cpu_model": _cpu_model(),
            "machine": platform.machine(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "platform": platform.platform(),
        },
        "quick": args.quick,
        "workloads": results,
        "recursion_check": recursion_check(),
        "goals": goals,
        "total_s": None,
    }
    out["total_s"] = round(time.perf_counter() - t_start, 2)
    json.dump(out, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
