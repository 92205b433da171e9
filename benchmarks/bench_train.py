"""Training panel speed: the engine's 100-epoch default fit, slider release → finished fit drawn,
and the GUI's stalls during a 2,000-epoch run (a 5 ms QTimer probe; the longest, the second
longest, and the slowest garbage collection meanwhile). Prints ONE JSON object.

    .venv/bin/python benchmarks/bench_train.py
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEventLoop  # noqa: E402

from nla_explorer.app import application  # noqa: E402
from nla_explorer.engine.training.loop import run_to_end, warm_up  # noqa: E402
from nla_explorer.engine.training.config import TrainConfig  # noqa: E402
from nla_explorer.stall_probe import StallProbe  # noqa: E402
from nla_explorer.panels.training import TrainingPanel  # noqa: E402

ENGINE_RUNS = 9
RELEASES = 10
RELEASE_GOAL_S = 0.150
STALL_GOAL_S = 0.050
LONG_EPOCHS = 2000


def engine_times() -> list[float]:
    warm_up()
    times = []
    for _ in range(ENGINE_RUNS):
        start = time.perf_counter()
        run_to_end(TrainConfig())
        times.append(time.perf_counter() - start)
    return times


def wait_finished(app, panel: TrainingPanel) -> None:
    loop = QEventLoop()
    panel.run_finished.connect(loop.quit)
    loop.exec()
    panel.run_finished.disconnect(loop.quit)
    app.processEvents()  # the repaint of the finished fit


def release_times(app, panel: TrainingPanel) -> list[float]:
    """Drag the learning-rate slider one step and release; until the finished fit is painted."""
    slider = panel.lr_slider
    base = slider.value()
    times = []
    for k in range(RELEASES):
        slider.setSliderDown(True)
        slider.setValue(base + (1 if k % 2 == 0 else -1))
        panel.throttle.stop()  # measure the release alone, not the drag's throttled run
        start = time.perf_counter()
        slider.setSliderDown(False)  # sliderReleased → restart at once
        wait_finished(app, panel)
        times.append(time.perf_counter() - start)
    return times


def stalls(app, panel: TrainingPanel) -> dict:
    """The GUI's stalls during a long run, and the slowest garbage collection meanwhile (a full
    collection holds the GIL: it is the usual culprit of a long one)."""
    panel.poly_controls.slider_widget(panel.epochs_slider).set_value(LONG_EPOCHS)
    panel.throttle.stop()
    probe = StallProbe(interval_ms=5)
    collections, gc_start = [], [0.0]

    def on_gc(phase, info):
        if phase == "start":
            gc_start[0] = time.perf_counter()
        else:
            collections.append(time.perf_counter() - gc_start[0])

    gc.callbacks.append(on_gc)
    start = time.perf_counter()
    try:
        probe.start()
        panel.start()
        wait_finished(app, panel)
        probe.stop()
    finally:
        gc.callbacks.remove(on_gc)
    gaps = sorted(probe.gaps)
    return {"long_run_s": time.perf_counter() - start, "longest": probe.longest,
            "second_longest": gaps[-2] if len(gaps) > 1 else 0.0, "ticks": len(gaps),
            "slowest_gc": max(collections, default=0.0)}


def main() -> int:
    app = application()
    engine = engine_times()
    panel = TrainingPanel()
    panel.resize(1200, 800)
    panel.show()
    while panel.busy():  # the warm-up job
        app.processEvents()
        time.sleep(0.01)
    panel.start()
    wait_finished(app, panel)
    releases = release_times(app, panel)
    long_run = stalls(app, panel)
    stall = long_run["longest"]
    panel.stop()
    release = statistics.median(releases)
    print(json.dumps({
        "engine_100_epochs_median_s": round(statistics.median(engine), 4),
        "release_to_drawn_median_s": round(release, 4),
        "release_to_drawn_worst_s": round(max(releases), 4),
        "release_goal_s": RELEASE_GOAL_S, "release_goal_met": release <= RELEASE_GOAL_S,
        "long_run_epochs": LONG_EPOCHS, "long_run_s": round(long_run["long_run_s"], 3),
        "longest_gui_stall_s": round(stall, 4),
        "second_longest_gui_stall_s": round(long_run["second_longest"], 4),
        "slowest_gc_during_long_run_s": round(long_run["slowest_gc"], 4),
        "probe_ticks": long_run["ticks"],
        "stall_goal_s": STALL_GOAL_S, "stall_goal_met": stall <= STALL_GOAL_S,
        "cpu_count": os.cpu_count(),
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
