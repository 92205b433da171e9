"""Layered layout (built-in and Graphviz dot): geometry guarantees, fallbacks, cancellation."""

from __future__ import annotations

import random
import shutil

import numpy as np
import pytest

from nla_explorer.graph_view.layout import dot as dot_module
from nla_explorer.graph_view.layout.dot import dot_available, dot_layout, dot_source
from nla_explorer.graph_view.layout.crossings import count_crossings
from nla_explorer.graph_view.layout.layered import auto_layout, layered_layout
from nla_explorer.graph_view.layout.model import DEFAULT_SIZE, Layout, LayoutCancelled, LayoutError

needs_dot = pytest.mark.skipif(not dot_available(), reason="Graphviz dot is not installed")


# -- graphs ----------------------------------------------------------------------------------------
def random_dag(n: int, m: int, seed: int, reach: int = 12):
    rnd = random.Random(seed)
    nodes = [f"v{i}" for i in range(n)]
    edges = []
    for _ in range(m):
        a = rnd.randrange(n - 1)
        edges.append((nodes[a], nodes[rnd.randrange(a + 1, min(n, a + 1 + reach))]))
    return nodes, edges


def lstm_like(steps: int):
    """An unrolled LSTM cell as autograd draws it: shared weights feeding every step (long edges),
    gates branching off the h/c chains, a skip edge from c[t-1] into step t."""
    nodes, edges = ["W_ih", "W_hh", "b_ih", "b_hh", "h_init", "c_init"], []
    h, c = "h_init", "c_init"
    for t in range(steps):
        def n(name: str) -> str:
            nodes.append(f"{name}{t}")
            return nodes[-1]
        ti, th, x = n("Tih"), n("Thh"), n("x")
        mi, mh, add, chunk = n("mm_i"), n("mm_h"), n("add"), n("chunk")
        gi, gf, gg, go = n("sig_i"), n("sig_f"), n("tanh_g"), n("sig_o")
        fc, ig, c2, tc, h2 = n("mul_fc"), n("mul_ig"), n("c"), n("tanh_c"), n("h")
        edges += [("W_ih", ti), ("W_hh", th), (x, mi), (ti, mi), ("b_ih", mi), (h, mh), (th, mh),
                  ("b_hh", mh), (mi, add), (mh, add), (add, chunk), (chunk, gi), (chunk, gf),
                  (chunk, gg), (chunk, go), (gf, fc), (c, fc), (gi, ig), (gg, ig), (fc, c2),
                  (ig, c2), (c2, tc), (go, h2), (tc, h2)]
        h, c = h2, c2
    nodes.append("loss")
    edges.append((h, "loss"))
    return nodes, edges


def sized(nodes, seed=0):
    rnd = random.Random(seed)
    return {v: (rnd.choice([40, 90, 120, 200]), rnd.choice([24, 40, 64])) for v in nodes}


# -- invariants ------------------------------------------------------------------------------------
def check_layout(lay: Layout, nodes, edges, sizes=None, node_sep=30.0, tol=1.0):
    """Every node placed, no overlaps, edges strictly downward, one polyline per edge from
    the source's boundary to the target's."""
    sizes = sizes or {}
    assert set(lay.positions) == set(nodes) and set(lay.layers) == set(nodes)
    assert len(lay.edge_points) == len(edges)
    wh = np.array([sizes.get(v, DEFAULT_SIZE) for v in nodes], float)
    xy = np.array([lay.positions[v] for v in nodes], float)
    layer = np.array([lay.layers[v] for v in nodes])
    assert np.isfinite(xy).all()
    # Inside a layer: sorted by x, neighbours keep node_sep apart (dot: at least do not touch).
    gap_needed = node_sep - tol if lay.engine == "builtin" else -tol
    for k in np.unique(layer):
        idx = np.flatnonzero(layer == k)
        idx = idx[np.argsort(xy[idx, 0])]
        gaps = (xy[idx[1:], 0] - wh[idx[1:], 0] / 2) - (xy[idx[:-1], 0] + wh[idx[:-1], 0] / 2)
        assert (gaps >= gap_needed).all(), f"nodes overlap in layer {k}"
        assert np.ptp(xy[idx, 1]) < tol, "a layer's nodes share one centre line"
    # Layers are bands that do not overlap, in order from the top.
    order = np.unique(layer)
    tops = np.array([(xy[layer == k, 1] - wh[layer == k, 1] / 2).min() for k in order])
    bottoms = np.array([(xy[layer == k, 1] + wh[layer == k, 1] / 2).max() for k in order])
    assert (tops[1:] > bottoms[:-1]).all()
    assert ((xy - wh / 2).min(axis=0) >= -tol).all()
    assert (xy + wh / 2 <= np.array([lay.width, lay.height]) + tol).all()
    for (s, t), pts in zip(edges, lay.edge_points):
        assert len(pts) >= 2
        if s != t:
            assert lay.layers[s] < lay.layers[t], f"edge {s}->{t} does not go down"
            assert lay.positions[s][1] < lay.positions[t][1]
        assert near_box(pts[0], lay.positions[s], sizes.get(s, DEFAULT_SIZE), tol + 2)
        assert near_box(pts[-1], lay.positions[t], sizes.get(t, DEFAULT_SIZE), tol + 2)


def near_box(p, centre, size, tol):
    """Whether ``p`` lies on (or within ``tol`` of) the box's boundary."""
    dx, dy = abs(p[0] - centre[0]) - size[0] / 2, abs(p[1] - centre[1]) - size[1] / 2
    return max(dx, dy) <= tol and (dx >= -tol or dy >= -tol)


# -- built-in layout -------------------------------------------------------------------------------
def test_empty_and_single_node():
    assert layered_layout([], []).positions == {}
    lay = layered_layout(["a"], [])
    check_layout(lay, ["a"], [])
    assert (lay.width, lay.height) == DEFAULT_SIZE


def test_multi_edges_isolated_nodes_and_sizes():
    nodes = ["x", "w", "mul", "mm", "out", "lonely", "alone"]
    edges = [("x", "mul"), ("x", "mul"), ("w", "mm"), ("mul", "mm"), ("mm", "out"), ("x", "out")]
    sizes = {"x": (60, 30), "mm": (200, 80), "lonely": (10, 10)}
    lay = layered_layout(nodes, edges, sizes, node_sep=20)
    check_layout(lay, nodes, edges, sizes, node_sep=20)
    assert lay.engine == "builtin"
    assert lay.edge_points[0] != lay.edge_points[1], "the two copies of x*x are told apart"
    assert lay.layers["lonely"] == lay.layers["alone"] == 0


def test_chain_is_straight_and_long_edges_bend_through_layers():
    nodes = [f"n{i}" for i in range(8)]
    chain = [(a, b) for a, b in zip(nodes, nodes[1:])]
    lay = layered_layout(nodes, chain)
    check_layout(lay, nodes, chain)
    assert len({lay.positions[v][0] for v in nodes}) == 1
    edges = chain + [("n0", "n7")]
    lay = layered_layout(nodes, edges)
    check_layout(lay, nodes, edges)
    assert [lay.layers[v] for v in nodes] == list(range(8))
    assert len({lay.positions[v][0] for v in nodes[1:-1]}) == 1, "the chain stays straight"
    long_edge = lay.edge_points[-1]
    assert len(long_edge) >= 2 + 6, "one bend per layer crossed"
    assert len({x for x, _ in long_edge[1:-1]}) == 1, "and runs straight between them"
    assert count_crossings(lay, edges) == 0


def test_leaves_sit_next_to_their_consumer():
    # x -> a -> b -> c -> out, with the leaf w used only by out: w belongs just above out.
    nodes = ["x", "a", "b", "c", "w", "out"]
    edges = [("x", "a"), ("a", "b"), ("b", "c"), ("c", "out"), ("w", "out")]
    lay = layered_layout(nodes, edges)
    check_layout(lay, nodes, edges)
    assert lay.layers["w"] == lay.layers["out"] - 1


def test_tree_has_no_crossings_and_parents_sit_over_children():
    nodes, edges = ["root"], []
    for i in range(3):
        nodes.append(f"a{i}")
        edges.append((f"a{i}", "root"))
        for j in range(3):
            nodes.append(f"b{i}{j}")
            edges.append((f"b{i}{j}", f"a{i}"))
    lay = layered_layout(nodes, edges)
    check_layout(lay, nodes, edges)
    assert count_crossings(lay, edges) == 0
    for i in range(3):
        kids = [lay.positions[f"b{i}{j}"][0] for j in range(3)]
        assert min(kids) <= lay.positions[f"a{i}"][0] <= max(kids)


def test_forced_crossing_is_counted():
    nodes = ["u1", "u2", "v1", "v2"]
    edges = [("u1", "v1"), ("u1", "v2"), ("u2", "v1"), ("u2", "v2")]
    assert count_crossings(layered_layout(nodes, edges), edges) == 1


def test_count_crossings_on_a_hand_made_layout():
    pos = {"a": (0.0, 0.0), "b": (100.0, 0.0), "c": (0.0, 100.0), "d": (100.0, 100.0),
           "e": (0.0, 200.0)}
    edges = [("a", "d"), ("b", "c"), ("a", "e"), ("b", "e")]
    lines = ((pos["a"], pos["d"]), (pos["b"], pos["c"]),
             (pos["a"], (50.0, 100.0), pos["e"]), (pos["b"], (150.0, 100.0), pos["e"]))
    lay = Layout(pos, lines, 100, 200, "builtin", {})
    # a-d x b-c, and a's long edge (through x=50 on the middle layer) crosses b-c
    assert count_crossings(lay, edges) == 2


def test_deterministic():
    nodes, edges = random_dag(120, 200, seed=3)
    sizes = sized(nodes)
    first = layered_layout(nodes, edges, sizes)
    again = layered_layout(list(nodes), list(edges), dict(sizes))
    assert first == again


@pytest.mark.parametrize("seed", range(6))
def test_random_dags(seed):
    rnd = random.Random(seed)
    n = rnd.randrange(2, 160)
    nodes, edges = random_dag(n, rnd.randrange(0, 3 * n), seed, reach=rnd.choice([2, 8, 40]))
    rnd.shuffle(nodes)
    sizes = sized(nodes, seed) if seed % 2 else None
    node_sep = rnd.choice([10, 30])
    lay = layered_layout(nodes, edges, sizes, node_sep=node_sep, layer_sep=rnd.choice([20, 60]))
    check_layout(lay, nodes, edges, sizes, node_sep=node_sep)


def test_cycles_and_self_loops_do_not_hang():
    nodes = ["a", "b", "c", "d"]
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "d"), ("b", "a")]
    lay = layered_layout(nodes, edges)
    assert set(lay.positions) == set(nodes) and len(lay.edge_points) == len(edges)
    for (s, t), pts in zip(edges, lay.edge_points):
        assert near_box(pts[0], lay.positions[s], DEFAULT_SIZE, 3)
        assert near_box(pts[-1], lay.positions[t], DEFAULT_SIZE, 3)
    nodes, edges = random_dag(300, 900, seed=5)
    rnd = random.Random(1)
    edges += [(t, s) for s, t in rnd.sample(edges, 60)]  # many cycles
    lay = layered_layout(nodes, edges)
    assert len(lay.positions) == 300
    downward = sum(lay.layers[s] < lay.layers[t] for s, t in edges)
    assert downward >= len(edges) - 120


def test_bad_input_is_a_clear_error():
    with pytest.raises(LayoutError, match="unknown node 'zz'"):
        layered_layout(["a"], [("a", "zz")])
    with pytest.raises(LayoutError, match="listed twice"):
        layered_layout(["a", "a"], [])
    with pytest.raises(LayoutError, match="unknown layout engine"):
        auto_layout(["a"], [], engine="neato")


def test_cancel_and_progress():
    nodes, edges = lstm_like(60)
    seen: list[float] = []
    lay = layered_layout(nodes, edges, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen) and len(seen) >= 5
    check_layout(lay, nodes, edges)
    with pytest.raises(LayoutCancelled):
        layered_layout(nodes, edges, cancel=lambda: True)
    calls = []
    with pytest.raises(LayoutCancelled):  # cancelled in the middle of the work
        layered_layout(nodes, edges, cancel=lambda: len(calls) > 5 or calls.append(1))
    assert issubclass(LayoutCancelled, LayoutError)


def test_lstm_like_15000_nodes():
    nodes, edges = lstm_like(1_000)
    assert len(nodes) > 15_000
    marks: list[float] = []
    lay = layered_layout(nodes, edges, progress=marks.append)
    check_layout(lay, nodes, edges)
    assert len(marks) >= 5
    # Shared weights go through side lanes: the drawing stays a narrow ribbon.
    assert lay.width < 3_000
    # 5,996 crossings: about six per step (routed through dummies, as at 50 steps, it is ~56)
    assert count_crossings(lay, edges) <= 6 * 1_000


def test_real_autograd_graph():
    torch = pytest.importorskip("torch")
    from nla_explorer.engine import capture

    x = torch.randn(4, requires_grad=True)
    w = torch.randn(4, 4, requires_grad=True)
    g = capture(((w @ x).tanh() * x * x).sum())
    nodes = [n.id for n in g.nodes]
    edges = [(e.source, e.target) for e in g.edges]
    lay = layered_layout(nodes, edges)
    check_layout(lay, nodes, edges)
    assert max(lay.layers.values()) == lay.layers[g.output_id]  # the output at the bottom


# -- engines: auto and dot -------------------------------------------------------------------------
def test_auto_falls_back_without_dot(monkeypatch):
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    assert not dot_available()
    nodes, edges = random_dag(30, 50, seed=1)
    lay = auto_layout(nodes, edges)
    assert lay.engine == "builtin"
    check_layout(lay, nodes, edges)
    with pytest.raises(LayoutError, match="Graphviz"):
        auto_layout(nodes, edges, engine="dot")


def test_auto_uses_builtin_for_big_graphs_or_when_asked():
    nodes, edges = random_dag(40, 60, seed=2)
    assert auto_layout(nodes, edges, engine="builtin").engine == "builtin"
    assert auto_layout(nodes, edges, dot_max_nodes=10).engine == "builtin"


def test_dot_source_escapes_nothing_from_the_ids():
    nodes = ['a "quoted" id', "back\\slash", "new\nline", "ünï", "-> ;{}"]
    edges = [(nodes[0], nodes[1]), (nodes[1], nodes[2]), (nodes[3], nodes[4])]
    text = dot_source(nodes, edges, {nodes[0]: (144, 72)})
    assert "quoted" not in text and "width=2.00000, height=1.00000" in text
    assert '[id="e2"]' in text


@needs_dot
def test_dot_layout_guarantees():
    nodes = ['a "quoted" id', "back\\slash", "new\nline", "ünï", "x", "w", "mul"]
    edges = [(nodes[0], nodes[1]), (nodes[1], nodes[2]), (nodes[3], nodes[2]), ("x", "mul"),
             ("x", "mul"), ("w", "mul"), ("mul", nodes[2]), ("x", nodes[2])]
    sizes = {"mul": (200, 60), nodes[0]: (50, 30)}
    lay = dot_layout(nodes, edges, sizes, 20.0)
    assert lay.engine == "dot"
    check_layout(lay, nodes, edges, sizes, tol=2.0)
    assert lay.edge_points[3] != lay.edge_points[4], "multi-edges keep their own splines"


@needs_dot
@pytest.mark.parametrize("seed", range(3))
def test_dot_random_dags_and_crossings(seed):
    nodes, edges = random_dag(70, 110, seed + 10)
    sizes = sized(nodes, seed)
    dl = auto_layout(nodes, edges, sizes)
    assert dl.engine == "dot"
    check_layout(dl, nodes, edges, sizes, tol=2.0)
    bl = layered_layout(nodes, edges, sizes)
    assert count_crossings(bl, edges) <= 1.5 * count_crossings(dl, edges) + 5


@needs_dot
def test_dot_timeout_and_failure(monkeypatch):
    nodes, edges = lstm_like(40)
    with pytest.raises(LayoutError, match="did not finish"):
        dot_layout(nodes, edges, timeout=0.01)
    assert auto_layout(nodes, edges, dot_timeout=0.01).engine == "builtin"
    with pytest.raises(LayoutCancelled):
        dot_layout(nodes, edges, timeout=30, cancel=lambda: True)
    with pytest.raises(LayoutCancelled):  # auto does not fall back when the user cancels
        auto_layout(nodes, edges, dot_timeout=30, cancel=lambda: True)
    false = shutil.which("false")
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: false)
    with pytest.raises(LayoutError, match="dot failed"):
        dot_layout(["a"], [])
    assert auto_layout(["a", "b"], [("a", "b")]).engine == "builtin"


@needs_dot
def test_dot_cycle():
    nodes = ["a", "b", "c"]
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "c")]
    lay = dot_layout(nodes, edges)
    assert set(lay.positions) == set(nodes) and len(lay.edge_points) == 4
    for (s, t), pts in zip(edges, lay.edge_points):
        assert near_box(pts[0], lay.positions[s], DEFAULT_SIZE, 3)
        assert near_box(pts[-1], lay.positions[t], DEFAULT_SIZE, 3)


def test_layout_modules_do_not_import_qt():
    import subprocess
    import sys

    code = ("import sys, nla_explorer.graph_view.layout.layered, nla_explorer.graph_view.layout.dot; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
