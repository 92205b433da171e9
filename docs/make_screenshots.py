"""Render the README's screenshots from the real app (offscreen): python docs/make_screenshots.py

Writes docs/window_{workspace}_{theme}_{height}p.png: each workspace (Graph at a backward step,
Build, Train after a run, Time after a CPU sweep) and presentation mode, at 1280×720 and
1920×1080, light and dark. The offscreen platform is given two screens of those sizes, so that
presentation mode is full screen on a projector-sized screen, as in the lecture hall.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = ((1280, 720), (1920, 1080))
_SCREENS = Path(tempfile.mkdtemp()) / "screens.json"
_SCREENS.write_text(json.dumps({"screens": [
    {"name": f"{h}p", "x": 2000 * k, "y": 0, "width": w, "height": h, "logicalDpi": 96,
     "logicalBpi": 96, "dpr": 1} for k, (w, h) in enumerate(SIZES)]}))
os.environ.setdefault("QT_QPA_PLATFORM", f"offscreen:configfile={_SCREENS}")
sys.path.insert(0, str(HERE.parent))

from PySide6.QtCore import QSettings  # noqa: E402

from nla_explorer.app import application  # noqa: E402
from nla_explorer.engine.samples import DOUBLE_BACKWARD  # noqa: E402
from nla_explorer.main_window import MainWindow  # noqa: E402


def settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def present_on(window, width: int, height: int) -> None:
    """Presentation mode, full screen on the screen of that size (the window moved there)."""
    from PySide6.QtGui import QGuiApplication

    screen = next((s for s in QGuiApplication.screens()
                   if (s.size().width(), s.size().height()) == (width, height)), None)
    window.showNormal()
    if screen is not None:
        window.windowHandle().setScreen(screen)
        window.move(screen.geometry().topLeft())
    window.presentation.action.trigger()
    if screen is None:  # another platform: a window of that size stands in for the screen
        window.showNormal()
        window.resize(width, height)


def higher_order(window, doc, shot) -> None:
    """The higher-order views at lecture size: a step's local Jacobian, a Hessian, double backward."""
    window.resize(1280, 720)
    window.workspaces.switch("graph")
    window.load_example("quadratic")
    doc.set_step(2)  # dot: J = ∂(½xᵀAx)/∂(½xᵀA) and ∂(½xᵀAx)/∂x, g and gᵀJ = what torch sent
    present_on(window, 1920, 1080)  # the card whole, on a 1080p projector
    shot("jacobian_step_1080p", 1.0)
    window.presentation.action.trigger()
    window.resize(1280, 720)
    doc.set_step(None)
    window.load_example("hessian_quadratic")
    window.results_dock.raise_()
    shot("hessian_720p", 0.8)
    window.inspector_dock.raise_()
    window.code_panel.set_text(DOUBLE_BACKWARD)
    window.code_panel.request_capture()
    shot("double_backward_720p", 0.8)


def real_models(window, doc, shot) -> None:
    """A 12-layer transformer as module groups: folded, stepped into, then a layer opened."""
    import torch

    from nla_explorer.engine.recording import capture_tensor, recording

    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
    model = torch.nn.TransformerEncoder(layer, 12, enable_nested_tensor=False).train()
    with recording():
        loss = model(torch.randn(2, 8, 32, generator=torch.Generator().manual_seed(1))).sum()
    cap = capture_tensor(loss, models={"model": model})
    window.resize(1280, 720)
    window.workspaces.switch("graph")
    window.code_dock.hide()  # as explore(model) opens it: the graph of a script, no code cell
    doc.set_graph(cap.graph, cap.trace, "loss")
    settle(application(), 0.5)
    doc.set_step(60)
    shot("groups_720p", 0.8)
    doc.set_step(None)
    pane = window.graph_pane
    pane.toggle_group("fold:model.layers.1@1")
    settle(application(), 0.5)
    pane.toggle_group("model.layers.3@1")
    settle(application(), 0.5)
    window.resize(1920, 1080)
    pane.find_next("layers.3.linear1")
    shot("groups_open_1080p", 0.8)


def main() -> int:
    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat)
        settings.setValue("help/tour_done", True)
        settings.setValue("view/layout_engine", "builtin")
        window = MainWindow(settings, Path(tmp) / "r.nla")
        window.show()

        def shot(name: str, seconds: float = 0.4) -> None:
            settle(app, seconds)
            path = HERE / f"window_{name}.png"
            window.grab().save(str(path))
            print(path)

        doc = window.document
        if "groups" in sys.argv[1:]:
            real_models(window, doc, shot)
            window.close()
            return 0
        window.load_example("quadratic")
        window.training.start()  # curves to show in the Train workspace
        settle(app, 2.0)
        window.timing.size_max.setCurrentText("512")
        window.timing.start()
        while window.timing.is_running():
            settle(app, 0.1)
        for theme in ("light", "dark"):
            window.preferences.set_theme(theme)
            for width, height in SIZES:
                window.resize(width, height)
                for workspace in ("graph", "build", "train", "time"):
                    window.workspaces.switch(workspace)
                    if workspace == "graph":
                        doc.set_step(doc.trace.step_of(doc.graph.find("x").id).index)
                    shot(f"{workspace}_{theme}_{height}p")
                window.workspaces.switch("graph")
                present_on(window, width, height)
                settle(app, 0.3)
                window.graph_pane.fit()
                shot(f"presentation_{theme}_{height}p", 0.8)
                window.presentation.action.trigger()
                doc.set_step(None)
        window.preferences.set_theme("light")
        for workspace in ("train", "time"):  # presentation follows the workspace
            for width, height in SIZES:
                window.resize(width, height)
                window.workspaces.switch(workspace)
                present_on(window, width, height)
                shot(f"presentation_{workspace}_{height}p", 0.8)
                window.presentation.action.trigger()
                settle(app, 0.3)
        window.workspaces.switch("graph")
        higher_order(window, doc, shot)
        real_models(window, doc, shot)
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
