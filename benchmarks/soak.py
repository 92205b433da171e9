"""Soak the real window: thousands of mixed operations, then memory and Qt object growth.

The long version of tests/app/test_soak.py, with the same driver (tests/app/soak_driver.py):
code captures, examples, broken code, undo/redo, block edits, backward/forward steps with the
stepper keys, training slider moves (debounced restarts), small timing sweeps (some cancelled)
and SVG exports. Growth per 1,000 operations is the least-squares slope over the second half of the
checkpoints, after an unmeasured warm-up (the undo history and the caches fill up). The longest
stall is the longest gap of a 10 ms timer while the operations run. Prints ONE JSON object.

    .venv/bin/python benchmarks/soak.py [--ops 6000] [--warmup 300] [--checkpoints 30]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QSettings, QStandardPaths  # noqa: E402

from nla_explorer.app import application  # noqa: E402
from nla_explorer.main_window import MainWindow  # noqa: E402
from tests.app.soak_driver import MIX, Pump, soak  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=6000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--checkpoints", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="comma-separated kinds of operation "
                        f"(default: the mix of {', '.join(k for k, _ in MIX)})")
    parser.add_argument("--checkpoint-list", action="store_true",
                        help="also print every checkpoint")
    args = parser.parse_args(argv)
    app = application()
    QStandardPaths.setTestModeEnabled(True)  # never touch the user's recovery file
    mix = [(k, w) for k, w in MIX if k in args.only.split(",")] if args.only else MIX
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.IniFormat)
        window = MainWindow(settings, Path(tmp) / "recovery.nla")
        window.resize(1400, 900)
        window.show()
        app.processEvents()
        report = soak(window, Pump(), Path(tmp), args.ops, args.checkpoints, args.seed, mix,
                      args.warmup)
        window.close()
    out = report.summary()
    if args.checkpoint_list:
        out["checkpoints"] = [vars(c) for c in report.checkpoints]
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
