"""Capture and trace speed on big graphs, against the plain forward + backward they explain.

Prints ONE JSON object to stdout (progress goes to stderr)::

    .venv/bin/python benchmarks/bench_capture.py                 # lstm1000, lstm5000, transformer48
    .venv/bin/python benchmarks/bench_capture.py --only lstm1000 --repeats 1
    .venv/bin/python benchmarks/bench_capture.py --clock cpu   # CPU time: steadier on a busy box

Per workload, best of ``--repeats`` (default 3), in seconds:

* ``plain_s``: forward + ``backward()`` in plain torch (a new graph each time).
* ``forward_s`` / ``forward_recorded_s``: the forward alone, and inside ``recording()`` (the forward
  recorder and the module tags).
* ``capture_s`` / ``trace_s``: ``capture(y, names)`` and ``trace_backward(y)`` on a graph made
  without a recording; ``capture_recorded_s`` / ``trace_recorded_s``: the same on a graph made
  inside one, the capture given the recorder, module paths and scopes (what ``explore`` does).
* ``explore_s``: ``capture_tensor(y, names, models)`` on a graph made inside a recording, as
  ``explore(y)`` runs it: the check that the latest recording made it, the capture and the trace.
* ``engine_ratio`` / ``engine_ratio_recorded``: (capture + trace) / plain, and
  (forward recorded + capture + trace) / plain: what the engine adds up to before any drawing.

Product goal (tensor → collapsed interactive view, drawing included): ≤ 1× plain for lstm1000,
≤ 2× plain for lstm5000.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from nla_explorer.engine.autograd.capture import capture  # noqa: E402
from nla_explorer.engine.autograd.module_tags import ModuleLookup  # noqa: E402
from nla_explorer.engine.autograd.trace import trace_backward  # noqa: E402
from nla_explorer.engine.recording import capture_tensor, recording  # noqa: E402


# -- workloads (as benchmarks/workloads.py builds them, with the model kept): setup() → state ------
def lstm(steps: int):
    def setup():
        torch.manual_seed(0)
        cell = torch.nn.LSTMCell(8, 16)
        seq = torch.randn(steps, 1, 8, generator=torch.Generator().manual_seed(1))
        return cell, seq

    def forward(state):
        cell, seq = state
        h, c = torch.zeros(1, 16), torch.zeros(1, 16)
        for t in range(steps):
            h, c = cell(seq[t], (h, c))
        return h.sum()
    return setup, forward, "cell"


def transformer(layers: int = 48):
    def setup():
        torch.manual_seed(0)
        layer = torch.nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
        model = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False).train()
        src = torch.randn(2, 8, 32, generator=torch.Generator().manual_seed(1))
        return model, src

    def forward(state):
        model, src = state
        return model(src).sum()
    return setup, forward, "model"


WORKLOADS = {
    "lstm1000": lambda: lstm(1_000),
    "lstm5000": lambda: lstm(5_000),
    "transformer48": lambda: transformer(48),
}


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = time.perf_counter


def _timed(fn):
    gc.collect()
    t0 = _clock()
    out = fn()
    return _clock() - t0, out


def bench(name: str, repeats: int) -> dict:
    setup, forward, model_name = WORKLOADS[name]()
    state = setup()
    model = state[0]
    names = {**dict(model.named_parameters(prefix=model_name)), model_name: model}
    models = {model_name: model}
    best: dict[str, float] = {}

    def keep(key: str, seconds: float) -> None:
        best[key] = min(best.get(key, float("inf")), seconds)

    nodes = 0
    for _ in range(repeats):
        model.zero_grad(set_to_none=True)
        t, _ = _timed(lambda: forward(state).backward())
        keep("plain_s", t)
        t, y = _timed(lambda: forward(state))
        keep("forward_s", t)
        t, graph = _timed(lambda: capture(y, names))
        keep("capture_s", t)
        nodes = len(graph)
        del graph
        t, trace = _timed(lambda: trace_backward(y))
        keep("trace_s", t)
        del trace, y

        def recorded():
            with recording() as rec:
                out = forward(state)
            return rec, out
        t, (rec, y) = _timed(recorded)
        keep("forward_recorded_s", t)
        t, graph = _timed(lambda: capture(y, names, recorder=rec.recorder,
                                          module_of=ModuleLookup(rec.tags, models)))
        keep("capture_recorded_s", t)
        del graph
        t, trace = _timed(lambda: trace_backward(y))
        keep("trace_recorded_s", t)
        del trace
        t, captured = _timed(lambda: capture_tensor(y, names, models))
        keep("explore_s", t)
        del captured, y, rec
        print(f"{name}: {best}", file=sys.stderr)
    out = {"nodes": nodes, **{k: round(v, 4) for k, v in best.items()}}
    plain = best["plain_s"]
    out["engine_ratio"] = round((best["capture_s"] + best["trace_s"]) / plain, 2)
    out["engine_ratio_recorded"] = round(
        (best["forward_recorded_s"] + best["capture_recorded_s"] + best["trace_recorded_s"])
        / plain, 2)
    return out


def _with_big_stack(fn):
    """Run ``fn`` in a thread with a 512 MiB stack: torch frees a 5,000-step autograd chain
    recursively, deeper than the main thread's 8 MB stack allows (a segfault)."""
    out: dict = {}
    old = threading.stack_size(512 << 20)
    try:
        worker = threading.Thread(target=lambda: out.update(result=fn()))
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old)
    return out["result"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(WORKLOADS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="cpu: the process's CPU time, steadier on a busy machine")
    args = parser.parse_args(argv)
    global _clock
    _clock = CLOCKS[args.clock]
    out: dict[str, object] = {"torch": torch.__version__, "python": platform.python_version(),
                              "threads": torch.get_num_threads(), "repeats": args.repeats,
                              "clock": args.clock}
    for name in args.only or list(WORKLOADS):
        out[name] = _with_big_stack(lambda: bench(name, args.repeats))
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
