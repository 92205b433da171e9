"""Time from a tensor to a fully drawn, interactive graph view, and the torchviz + dot peer.

Prints ONE JSON object. Per graph: nodes, and seconds for capture (+ trace), prepare (display model
and text measurement), layout, scene build, first paint of a 1400×860 view, and the total; plus
the peer: torchviz's ``make_dot`` and Graphviz ``dot -Tsvg`` (when both are installed), and
export of the ~1,000-node picture to SVG and PNG.

    .venv/bin/python benchmarks/bench_view.py [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402  (type of the app argument)

from nla_explorer.engine import capture, trace_backward  # noqa: E402
from nla_explorer.graph_view.export import export_scene  # noqa: E402
from nla_explorer.graph_view.picture import PictureOptions, lay_out, prepare  # noqa: E402
from nla_explorer.graph_view.scene import GraphScene  # noqa: E402
from nla_explorer.graph_view.view import GraphView  # noqa: E402
from workloads import WORKLOADS  # noqa: E402

GOALS_S = {"resnet": 0.3, "transformer48": 1.0, "lstm1000": 3.0}
PEER_MAX_NODES = 3_000
PEER_TIMEOUT_S = 120


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def view_pipeline(name: str, app: QApplication) -> dict:
    y, names = WORKLOADS[name]()
    t_capture, (graph, trace) = timed(lambda: (capture(y, names=names), trace_backward(y)))
    options = PictureOptions(engine="builtin")
    t_prepare, prepared = timed(lambda: prepare(graph, trace, options))
    t_layout, picture = timed(lambda: lay_out(prepared, options))
    scene = GraphScene()
    view = GraphView(scene)
    view.resize(1400, 860)
    t_scene, _ = timed(lambda: scene.show_graph(picture.display, picture.layout, picture.style))

    output = picture.display.node_for_graph_id(graph.output_id)

    def first_paint():  # what the window does: all of it, or the output at a readable zoom
        view.show()
        view.show_start(output.id if output is not None else None)
        view.viewport().grab()
        app.processEvents()
    t_paint, _ = timed(first_paint)
    out = {"nodes": len(graph), "boxes": len(picture.display), "capture_trace_s": t_capture,
           "prepare_s": t_prepare, "layout_s": t_layout, "scene_s": t_scene,
           "first_paint_s": t_paint}
    out["total_s"] = t_capture + t_prepare + t_layout + t_scene + t_paint
    if name in GOALS_S:
        out["goal_s"] = GOALS_S[name]
        out["goal_met"] = out["total_s"] <= GOALS_S[name]
    if 500 <= len(graph) <= 2_000:
        with tempfile.TemporaryDirectory() as tmp:
            out["export_svg_s"], _ = timed(lambda: export_scene(Path(tmp) / "g.svg", scene))
            out["export_png_s"], _ = timed(lambda: export_scene(Path(tmp) / "g.png", scene, 1.0))
    view.close()
    out["peer"] = peer(y, len(graph))
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}


def peer(y: torch.Tensor, nodes: int) -> dict:
    """torchviz's make_dot and Graphviz dot, the static-picture tools people use today."""
    try:
        from torchviz import make_dot
    except ImportError:
        return {"skipped": "torchviz is not installed"}
    t_make, dot = None, None
    try:
        t_make, dot = timed(lambda: make_dot(y))
    except RecursionError:
        return {"make_dot": "RecursionError"}
    out: dict = {"make_dot_s": round(t_make, 4)}
    if shutil.which("dot") is None:
        out["dot"] = "not installed"
    elif nodes > PEER_MAX_NODES:
        out["dot"] = f"skipped above {PEER_MAX_NODES:,} nodes"
    else:
        try:
            t_dot, _ = timed(lambda: subprocess.run(["dot", "-Tsvg"], input=dot.source,
                                                    capture_output=True, text=True, check=True,
                                                    timeout=PEER_TIMEOUT_S))
            out["dot_svg_s"] = round(t_dot, 4)
        except subprocess.TimeoutExpired:
            out["dot_svg_s"] = f"> {PEER_TIMEOUT_S} (timed out)"
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the 75,000-node graph")
    parser.add_argument("--only", nargs="*", choices=list(WORKLOADS))
    args = parser.parse_args(argv)
    names = args.only or [n for n in WORKLOADS if not (args.quick and n == "lstm5000")]
    from nla_explorer.app import application, raise_stack_limit

    raise_stack_limit()  # freeing the 75,000-node graph recurses deeply inside torch
    app = application()
    view_pipeline("quadratic", app)  # warm-up: torch's first ops, Qt's fonts
    results = {}
    for name in names:
        print(f"{name}…", file=sys.stderr)
        results[name] = view_pipeline(name, app)
    print(json.dumps({"torch": torch.__version__, "python": platform.python_version(),
                      "cpus": os.cpu_count(), "graphs": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
