"""Layered layout by Graphviz ``dot`` (a subprocess), in the built-in layout's pixel coordinates."""

from __future__ import annotations

import bisect
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence

from nla_explorer.graph_view.layout.model import DEFAULT_SIZE, Layout, LayoutCancelled, LayoutError

PX_PER_INCH = 72.0  # dot works in inches and points; 1 px == 1 pt at 72 px per inch
_POLL_S = 0.1


def dot_available() -> bool:
    """Whether the Graphviz ``dot`` program is on PATH."""
    return shutil.which("dot") is not None


def dot_quote(text: str) -> str:
    """A DOT double-quoted string holding ``text`` literally."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot_source(nodes: Sequence[str], edges: Sequence[tuple[str, str]],
               sizes: Mapping[str, tuple[float, float]] | None = None, *,
               node_sep: float = 30, layer_sep: float = 60) -> str:
    """DOT text for the graph. Nodes are named by index (the caller's ids never reach dot, so
    no id can break the syntax); each edge carries its input index as ``id``."""
    index: dict[str, int] = {}
    for i, v in enumerate(nodes):
        if v in index:
            raise LayoutError(f"node {v!r} is listed twice")
        index[v] = i
    sizes = sizes or {}
    inch = PX_PER_INCH
    lines = ["digraph G {",
             f"  graph [rankdir=TB, nodesep={max(node_sep / inch, 0.02):.4f}, "
             f"ranksep={max(layer_sep / inch, 0.02):.4f}];",
             '  node [shape=box, fixedsize=true, label=""];',
             "  edge [arrowhead=none];"]
    for i, v in enumerate(nodes):
        w, h = sizes.get(v, DEFAULT_SIZE)
        w, h = max(w / inch, 0.01), max(h / inch, 0.01)
        lines.append(f"  n{i} [width={w:.5f}, height={h:.5f}];")
    for k, (s, t) in enumerate(edges):
        for v in (s, t):
            if v not in index:
                raise LayoutError(f"an edge refers to the unknown node {v!r}")
        lines.append(f"  n{index[s]} -> n{index[t]} [id={dot_quote(f'e{k}')}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _run_dot(text: str, timeout: float, cancel: Callable[[], bool] | None) -> str:
    """``dot -Tjson0`` with a deadline; the process is killed on timeout or cancellation."""
    exe = shutil.which("dot")
    if exe is None:
        raise LayoutError("the Graphviz 'dot' program was not found on PATH")
    try:
        proc = subprocess.Popen([exe, "-Tjson0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        raise LayoutError(f"could not start Graphviz dot: {exc}") from exc
    deadline = time.monotonic() + timeout
    data: str | None = text
    try:
        while True:
            try:
                wait = max(0.01, min(_POLL_S, deadline - time.monotonic()))
                out, err = proc.communicate(data, timeout=wait)
                break
            except subprocess.TimeoutExpired:
                data = None  # the input is already being sent; retries must not resend it
                if cancel is not None and cancel():
                    raise LayoutCancelled("layout cancelled") from None
                if time.monotonic() >= deadline:
                    raise LayoutError(f"Graphviz dot did not finish within {timeout:g} s") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if proc.returncode != 0:
        why = err.strip()[:300] or f"exit code {proc.returncode}"
        raise LayoutError(f"Graphviz dot failed: {why}")
    return out


def _spline(pos: str) -> list[tuple[float, float]]:
    """Control points of a dot edge ``pos`` ('s,x,y e,x,y x,y ...'), tail to head."""
    start = end = None
    pts = []
    for tok in pos.replace(";", " ").split():
        parts = tok.split(",")
        if parts[0] in ("s", "e"):
            pt = (float(parts[1]), float(parts[2]))
            start, end = (pt, end) if parts[0] == "s" else (start, pt)
        else:
            pts.append((float(parts[0]), float(parts[1])))
    return ([start] if start else []) + pts + ([end] if end else [])


def dot_layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]],
               sizes: Mapping[str, tuple[float, float]] | None = None, timeout: float = 10.0, *,
               node_sep: float = 30, layer_sep: float = 60,
               cancel: Callable[[], bool] | None = None,
               progress: Callable[[float], None] | None = None) -> Layout:
    """Lay the graph out with ``dot``: raises LayoutError if dot is missing, fails or times out."""
    nodes, edges = list(nodes), list(edges)
    if progress is not None:
        progress(0.0)
    text = dot_source(nodes, edges, sizes, node_sep=node_sep, layer_sep=layer_sep)
    out = _run_dot(text, timeout, cancel)
    try:
        graph = json.loads(out)
        llx, lly, urx, ury = (float(v) for v in graph["bb"].split(","))
        centre: dict[int, tuple[float, float]] = {}
        for obj in graph.get("objects", []):
            name = obj.get("name", "")
            if name.startswith("n") and "pos" in obj:
                x, y = (float(v) for v in obj["pos"].split(",")[:2])
                centre[int(name[1:])] = (round(x - llx, 3), round(ury - y, 3))  # y grows down
        splines: dict[int, list[tuple[float, float]]] = {}
        for edge in graph.get("edges", []):
            if "pos" in edge and str(edge.get("id", "")).startswith("e"):
                splines[int(edge["id"][1:])] = [(round(x - llx, 3), round(ury - y, 3))
                                                for x, y in _spline(edge["pos"])]
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise LayoutError(f"could not read Graphviz dot's output: {exc}") from exc
    if len(centre) != len(nodes):
        raise LayoutError("Graphviz dot's output is missing some nodes")
    index = {v: i for i, v in enumerate(nodes)}
    sizes = sizes or {}
    polylines = []
    for k, (s, t) in enumerate(edges):
        (sx, sy), (tx, ty) = centre[index[s]], centre[index[t]]
        pts = splines.get(k)
        if not pts:  # no spline came back: a straight line between the boundaries
            hs, ht = sizes.get(s, DEFAULT_SIZE)[1], sizes.get(t, DEFAULT_SIZE)[1]
            down = 1 if ty >= sy else -1
            pts = [(sx, sy + down * hs / 2), (tx, ty - down * ht / 2)]
        elif _d2(pts[0], (tx, ty)) + _d2(pts[-1], (sx, sy)) < \
                _d2(pts[0], (sx, sy)) + _d2(pts[-1], (tx, ty)):
            pts = pts[::-1]  # make it run from the source to the target
        polylines.append(tuple(pts))
    ranks = sorted({round(y, 3) for _, y in centre.values()})
    layers = {v: bisect.bisect_left(ranks, round(centre[i][1], 3)) for i, v in enumerate(nodes)}
    if progress is not None:
        progress(1.0)
    return Layout({v: centre[i] for i, v in enumerate(nodes)}, tuple(polylines),
                  urx - llx, ury - lly, "dot", layers)


def _d2(a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2
