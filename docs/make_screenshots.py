"""Render the README's screenshots from the real app (offscreen): python docs/make_screenshots.py

Writes docs/window_*.png: the quadratic example with x inspected, a backward step with its card,
the forward pass, the training and timing tabs, and the dark theme.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from PySide6.QtCore import QSettings  # noqa: E402

from nla_explorer.app import application  # noqa: E402
from nla_explorer.main_window import MainWindow  # noqa: E402


def settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat)
        settings.setValue("help/tour_done", True)
        window = MainWindow(settings, Path(tmp) / "r.nla")
        window.resize(1400, 900)
        window.show()

        def shot(name: str) -> None:
            settle(app)
            window.grab().save(str(HERE / f"window_{name}.png"))
            print(HERE / f"window_{name}.png")

        for example, leaf in (("quadratic", "x"), ("polyfit_net", "W")):
            window.load_example(example)
            window.document.select(window.document.graph.find(leaf).id)
            shot(example)
        window.load_example("quadratic")
        doc = window.document
        doc.set_step(doc.trace.step_of(doc.graph.find("x").id).index)
        shot("backward_step")
        doc.set_step_mode("forward")
        doc.set_step(5)
        shot("forward_step")
        doc.set_step(None)
        doc.set_step_mode("backward")
        window.training_dock.raise_()
        window.training.start()
        settle(app, 2.0)
        shot("training")
        window.timing_dock.raise_()
        window.timing.size_max.setCurrentText("512")
        window.timing.start()
        while window.timing.is_running():
            settle(app, 0.1)
        shot("timing")
        window.block_dock.raise_()
        window.preferences.set_theme("dark")
        settle(app, 1.0)
        shot("dark")
        window.preferences.set_theme("light")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
