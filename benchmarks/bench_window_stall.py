"""Open a big graph in the real window and measure the longest GUI stall while it is drawn.

A 10 ms timer records the gaps between event-loop turns from the moment the graph is handed to
the window until the picture is complete, with the groups Auto opens (a plain-code RNN: its
steps folded) and with every group open (all boxes). Prints ONE JSON object.

    .venv/bin/python benchmarks/bench_window_stall.py [--steps 1000 5000]
"""

from __future__ import annotations

import argparse
import json
import resource
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QSettings  # noqa: E402

from nla_explorer.app import application, raise_stack_limit  # noqa: E402
from nla_explorer.engine import capture, trace_backward  # noqa: E402
from nla_explorer.main_window import MainWindow  # noqa: E402
from nla_explorer.stall_probe import StallProbe  # noqa: E402
from workloads import lstm  # noqa: E402


def measure(steps: int, app, settings) -> dict:
    y, names = lstm(steps)
    graph, trace = capture(y, names=names), trace_backward(y)
    window = MainWindow(settings)
    window.resize(1400, 860)
    window.show()
    app.processEvents()
    probe = StallProbe(interval_ms=10)
    probe.start()
    start = time.perf_counter()
    window.document.set_graph(graph, trace, f"lstm{steps}")
    handed = time.perf_counter() - start  # the synchronous part of set_graph
    probe.resume()  # the blocking hand-over is reported on its own
    while window.busy():
        app.processEvents()
        time.sleep(0.002)
    total = time.perf_counter() - start
    probe.stop()
    gaps = probe.gaps
    result = {"nodes": len(graph), "boxes": len(window.graph_pane.picture.display),
              "until_drawn_s": round(total, 3), "set_graph_blocking_s": round(handed, 3),
              "longest_stall_s": round(max(gaps, default=0.0), 3), "ticks": len(gaps),
              "peak_rss_mb_so_far": round(
                  resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    window.close()
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", nargs="*", type=int, default=[1000, 5000])
    args = parser.parse_args(argv)
    raise_stack_limit()
    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat)
        out = {}
        for depth, label in ((-1, "grouped"), (99, "all_open")):  # Auto, and every group open
            settings.setValue("view/group_depth", depth)
            out.update({f"lstm{s}_{label}": measure(s, app, settings) for s in args.steps})
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
