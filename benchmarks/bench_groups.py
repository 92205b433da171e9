"""Real models in the explorer: tensor → interactive grouped view, against plain torch and the peer.

Prints ONE JSON object. Per model, in the same run:
- ``plain_fwd_bwd_s``: the model's forward and backward in plain torch (the yardstick);
- ``recorded_forward_s``: the same forward inside ``nla_explorer.recording()`` (module calls and
  values noted; the user runs it, not the explorer, but it is part of the price);
- ``view``: tensor → interactive view at the default depth (groups closed, repeats folded):
  capture (+ trace for a graph of up to ``GRADIENTS_AFTER_VIEW_OVER`` nodes), prepare, layout,
  scene, first paint, total, and ``ratio`` = total / plain; a bigger graph is drawn first and
  traced after, as ``explore`` does: ``gradients_s`` (trace + the boxes shown given their
  gradients, laid out and drawn again) and ``with_gradients_s`` / ``ratio_with_gradients``;
- ``expanded``: the same with every group open (all 75,000 boxes of the LSTM), and ``flat``:
  without groups at all;
- ``open_group_s``: opening one closed group of the default view (measure + lay out + draw);
- ``peer``: torchviz ``make_dot`` and Graphviz ``dot -Tsvg`` on the same tensor;
- ``peak_rss_mb`` after the model (the window's process holds all of it);
- ``page_faults`` and ``system_s`` of each view (up to its first picture): the memory it
  touched first (on this VM, first-touch memory is most of the system time).

    .venv/bin/python benchmarks/bench_groups.py [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench_view import peer  # noqa: E402
from nla_explorer.engine import capture, trace_backward  # noqa: E402
from nla_explorer.engine.recording import capture_tensor, recording  # noqa: E402
from nla_explorer.graph_view.groups.plan import ALL_DEPTHS  # noqa: E402
from nla_explorer.engine.autograd.gc_pause import LONG_LIVED_OVER  # noqa: E402
from nla_explorer.first_view import GRADIENTS_AFTER_VIEW_OVER  # noqa: E402
from nla_explorer.graph_view.groups.fold_window import fully_open  # noqa: E402
from nla_explorer.graph_view.picture import (  # noqa: E402
    PictureOptions, completed, lay_out, prepare, reshow,
)
from nla_explorer.graph_view.scene import GraphScene  # noqa: E402
from nla_explorer.graph_view.view import GraphView  # noqa: E402


def _transformer(layers: int):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
    model = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False).train()
    src = torch.randn(2, 8, 32, generator=torch.Generator().manual_seed(1))
    return model, lambda: model(src).sum()


def _lstm(steps: int):
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(8, 16)
    seq = torch.randn(steps, 1, 8, generator=torch.Generator().manual_seed(1))

    def run():
        h, c = torch.zeros(1, 16), torch.zeros(1, 16)
        for t in range(steps):
            h, c = cell(seq[t], (h, c))
        return h.sum()
    return cell, run


#: name → (model builder, with modules?): "plain" runs the same code without a recording, so
#: the explorer sees plain code and finds the repeats itself.
MODELS = {
    "transformer48": (lambda: _transformer(48), True),
    "lstm1000": (lambda: _lstm(1000), True),
    "lstm5000": (lambda: _lstm(5000), True),
    "lstm5000_plain": (lambda: _lstm(5000), False),
}


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def to_view(make_graph, options: PictureOptions, app, opened=None) -> tuple[dict, object, object]:
    first = options.groups and opened is None  # as explore does (first_view.may_draw_first)
    before = resource.getrusage(resource.RUSAGE_SELF)
    t_capture, (graph, trace, trace_later) = timed(lambda: make_graph(first))
    if trace is None and (not options.groups or opened is not None):  # traced first, as
        t_trace, (graph, trace) = timed(trace_later)  # explore does without groups or with
        t_capture += t_trace  # all open (the saved values read too)
    t_prepare, prepared = timed(lambda: prepare(graph, trace, options, opened))
    t_layout, picture = timed(lambda: lay_out(prepared, options))
    scene = GraphScene()
    view = GraphView(scene)
    view.resize(1400, 860)
    t_scene, _ = timed(lambda: scene.show_graph(picture.display, picture.layout, picture.style,
                                                picture.frames_with_titles(), picture.sizes))

    def first_paint():
        view.show()
        view.show_start(None)
        view.viewport().grab()
        app.processEvents()
    t_paint, _ = timed(first_paint)
    out = {"nodes": len(graph), "boxes_shown": len(picture.display),
           "capture_trace_s": t_capture, "prepare_s": t_prepare, "layout_s": t_layout,
           "scene_s": t_scene, "first_paint_s": t_paint}
    out["total_s"] = t_capture + t_prepare + t_layout + t_scene + t_paint
    out.update(_memory_faults(before))
    if trace is None:  # drawn first; saved values read, traced after (first_view)
        t_trace, (graph, trace) = timed(trace_later)
        t_grads, picture = timed(lambda: with_gradients(graph, picture, trace, options, scene,
                                                        view, app))
        out.update({"trace_s": t_trace, "gradients_s": t_trace + t_grads,
                    "with_gradients_s": out["total_s"] + t_trace + t_grads})
    whole = picture.prepared.full if picture.prepared is not None else None
    if len(whole or picture.display) >= LONG_LIVED_OVER and not gc.get_freeze_count():
        gc.freeze()  # as the window's graph pane does once a big picture is shown
    return out, picture, (scene, view)


def _memory_faults(before) -> dict:
    """The page faults of the process since ``before`` and its system time: memory the
    process touches for the first time (this machine is a VM, where that costs ~7 µs per 4 KB
    page when the host has not backed it yet, against ~1 µs for memory it had)."""
    now = resource.getrusage(resource.RUSAGE_SELF)
    return {"page_faults": now.ru_minflt - before.ru_minflt,
            "system_s": now.ru_stime - before.ru_stime}


def with_gradients(graph, picture, trace, options, scene, view, app):
    """What the graph pane does when the gradients arrive: a grouped picture gives the boxes
    shown their gradients (measured, laid out and drawn again; the saved constants join
    their groups); a flat one is drawn again."""
    if picture.tree is not None:
        prepared = replace(picture.prepared, grad_of=trace.node_grad)
        if prepared.graph is not graph:
            prepared = completed(prepared, graph, trace, options)
        again = reshow(prepared, picture.opened)
        keep = True
    else:
        again, keep = prepare(graph, trace, options), False
    done = lay_out(again, options)
    scene.show_graph(done.display, done.layout, done.style, done.frames_with_titles(),
                     done.sizes, keep_boxes=keep)
    view.viewport().grab()
    app.processEvents()
    return done


def open_one(picture, options, scene) -> dict:
    """Open the first closed group of ``picture`` (a fold: its calls; a call: its ops)."""
    closed = [n.id for n in picture.display.nodes if n.kind == "group"]
    if not closed:
        return {}
    target = closed[0]
    tree = picture.tree
    start = time.perf_counter()
    again = reshow(picture.prepared, picture.opened | set(tree.ancestors(target)))
    bigger = lay_out(again, options)
    scene.show_graph(bigger.display, bigger.layout, bigger.style, bigger.frames_with_titles(),
                     bigger.sizes, keep_boxes=True)  # as the window redraws a regrouping
    out = {"group": target, "boxes_after": len(bigger.display),
           "open_group_s": round(time.perf_counter() - start, 4)}
    inner = tree.groups[target].groups
    if tree.groups[target].fold and inner:  # then one call inside the opened fold
        call = inner[len(inner) // 2]
        start = time.perf_counter()
        again = reshow(bigger.prepared, bigger.opened | {call})
        inside = lay_out(again, options)
        scene.show_graph(inside.display, inside.layout, inside.style, inside.frames_with_titles(),
                         inside.sizes, keep_boxes=True)
        out.update({"then_open": call, "its_boxes": len(tree.members(call)),
                    "then_open_s": round(time.perf_counter() - start, 4)})
    return out


def measure(name: str, app) -> dict:
    build, modules = MODELS[name]
    model, run = build()
    plain = best(lambda: run().backward(), repeat=5)
    out: dict = {"plain_fwd_bwd_s": plain}
    if modules:
        t_rec, y = timed(lambda: _recorded(run))
        out["recorded_forward_s"] = t_rec

        def make_graph(first: bool = True):  # (first: drawn before traced, when big)
            cap = capture_tensor(y, models={"model": model}, trace=False, saved=not first)
            return traced_now(cap.graph, y, cap.complete)
    else:
        y = run()

        def make_graph(first: bool = True):
            return traced_now(capture(y), y)
    options = PictureOptions(engine="builtin")
    view, picture, (scene, widget) = to_view(make_graph, options, app)
    _ratios(view, plain)
    out["view"] = view
    everything = None
    if picture.tree:
        out["open"] = open_one(picture, options, scene)
        everything = fully_open(picture.tree, picture.tree.groups)  # every call of each fold
    _drop(widget, app)
    del picture, scene, widget
    _let_go()  # each view below starts as explore would: no other picture held
    if everything is not None:
        expanded, picture, (scene, widget) = to_view(make_graph, options, app, everything)
        _ratios(expanded, plain)
        out["expanded"] = expanded
        _drop(widget, app)
        del picture, scene, widget
        _let_go()
    flat, picture, (scene, widget) = to_view(
        make_graph, PictureOptions(engine="builtin", groups=False), app)
    _ratios(flat, plain)
    out["flat"] = flat
    _drop(widget, app)
    del picture, scene, widget
    out["peer"] = peer(y, out["view"]["nodes"])
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gc.unfreeze()  # the next model starts as a fresh window would
    gc.collect()
    return _rounded(out)


def _drop(widget, app) -> None:
    """Close a view and delete it now (its scene lives on a while: a view left to the
    collector was sent the scene's signals after its C++ side was gone)."""
    widget.close()
    widget.deleteLater()
    app.processEvents()


def _let_go() -> None:
    """Free the pictures dropped (frozen out of the collector while shown, as the graph pane
    does), as closing a window would."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _ratios(out: dict, plain: float) -> None:
    out["ratio"] = out["total_s"] / plain
    if "with_gradients_s" in out:
        out["ratio_with_gradients"] = out["with_gradients_s"] / plain


def traced_now(graph, y, complete=None) -> tuple:
    """``(graph, trace, None)``, or for a graph drawn before its gradients ``(graph, None,
    how to read its saved values and trace it)``, as ``explore`` does."""
    def later():
        return (complete() if complete is not None else graph), trace_backward(y)
    if len(graph) <= GRADIENTS_AFTER_VIEW_OVER:
        whole, trace = later()
        return whole, trace, None
    return graph, None, later


def _recorded(run):
    with recording():
        return run()


def _rounded(obj):
    if isinstance(obj, float):
        return round(obj, 4)
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return obj


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the 75,000-node graphs")
    parser.add_argument("--only", nargs="*", choices=list(MODELS))
    args = parser.parse_args(argv)
    names = args.only or [n for n in MODELS if not (args.quick and "5000" in n)]
    from nla_explorer.app import application, raise_stack_limit

    raise_stack_limit()
    app = application()
    gc.freeze()  # what start-up made, as the app does (app._freeze_after_start)
    measure("transformer48", app) if "transformer48" in names else None  # warm-up
    with recording():
        pass
    gc.collect()
    gc.freeze()
    results = {}
    for name in names:
        print(f"{name}…", file=sys.stderr)
        results[name] = measure(name, app)
        with recording():  # the latest recording is kept until the next: let the model's go
            pass
        gc.collect()  # the model gone (its views deleted), start-up frozen again, as in a
        gc.freeze()  # fresh app
    print(json.dumps({"torch": torch.__version__, "python": platform.python_version(),
                      "cpus": os.cpu_count(), "depth": "default", "expanded_depth": ALL_DEPTHS,
                      "models": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
