"""Next-step response of the stepper on a ~1,000-node graph (median and worst over 200 steps).

Each step updates the picture (the nodes whose state changes, the lit edges and their labels),
the stepper panel and the inspector; nothing is laid out again. Prints ONE JSON object.

    .venv/bin/python benchmarks/bench_step.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QSettings  # noqa: E402

from nla_explorer.app import application  # noqa: E402
from nla_explorer.engine import capture, trace_backward  # noqa: E402
from nla_explorer.main_window import MainWindow  # noqa: E402
from workloads import transformer  # noqa: E402

STEPS = 200
GOAL_S = 0.016


def main() -> int:
    app = application()
    y, names = transformer(layers=18)
    graph, trace = capture(y, names=names), trace_backward(y)
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat),
                            Path(tmp) / "r.nla")
        window.resize(1400, 900)
        window.show()
        window.document.set_graph(graph, trace, "transformer18")
        while window.busy():
            app.processEvents()
        app.processEvents()
        start = time.perf_counter()
        window.stepper.next()  # entering step mode: every box changes state once
        app.processEvents()
        enter = time.perf_counter() - start
        times = []
        for k in range(STEPS):
            start = time.perf_counter()
            window.stepper.next()
            app.processEvents()  # includes the repaint of the window
            times.append(time.perf_counter() - start)
        window.close()
    ordered = sorted(times)
    print(json.dumps({"nodes": len(graph), "steps": STEPS,
                      "enter_step_mode_s": round(enter, 4),
                      "median_s": round(statistics.median(times), 4),
                      "p95_s": round(ordered[int(0.95 * len(ordered))], 4),
                      "worst_s": round(max(times), 4), "goal_s": GOAL_S,
                      "slowest_steps": sorted(range(1, len(times) + 1),
                                              key=lambda k: -times[k - 1])[:5],
                      "goal_met": max(times) <= GOAL_S}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
