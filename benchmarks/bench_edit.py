"""Edit-to-refreshed-graph latency in the window for a 50-block expression.

Each edit changes a parameter through the block editor (as a user's edit in the parameter panel
does): the document re-evaluates, captures and traces, the graph view is laid out and drawn, the
canvas and the code view refresh. Prints ONE JSON object with the median and worst of 20 edits.

    .venv/bin/python benchmarks/bench_edit.py
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
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QSettings  # noqa: E402

from nla_explorer.app import application  # noqa: E402
from nla_explorer.engine.blocks import edits as E  # noqa: E402
from nla_explorer.main_window import MainWindow  # noqa: E402

EDITS = 20
GOAL_S = 0.1


def fifty_block_code() -> str:
    """A small MLP-like expression: 50 blocks (constructors, matmuls, activations, a loss)."""
    lines = ["torch.manual_seed(0)", "x = torch.randn(8, requires_grad=True)"]
    prev = "x"
    for i in range(12):
        lines.append(f"W{i} = torch.randn(8, 8, requires_grad=True)")
        lines.append(f"h{i} = torch.tanh(W{i} @ {prev} * 0.5)")
        prev = f"h{i}"
    lines.append(f"loss = ({prev} ** 2).sum()")
    return "\n".join(lines) + "\n"


def main() -> int:
    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat),
                            Path(tmp) / "r.nla")
        window.resize(1400, 900)
        window.show()
        window.code_panel.set_text(fifty_block_code())
        window.code_panel.request_capture()
        app.processEvents()
        doc = window.document
        blocks = len(doc.expression.blocks)
        mul = [b.id for b in doc.expression.blocks if b.op == "mul"]
        times = []
        for i in range(EDITS):
            edit = E.SetParam(mul[i % len(mul)], "b", 0.5 + 0.01 * (i + 1))
            start = time.perf_counter()
            assert window.block_editor.apply(edit)
            app.processEvents()
            times.append(time.perf_counter() - start)
            assert not doc.problem
        window.close()
    print(json.dumps({"blocks": blocks, "autograd_nodes": len(doc.graph), "edits": EDITS,
                      "median_s": round(statistics.median(times), 4),
                      "worst_s": round(max(times), 4), "all_s": [round(t, 3) for t in times],
                      "goal_s": GOAL_S,
                      "goal_met": statistics.median(times) <= GOAL_S}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
