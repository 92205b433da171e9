"""capture()'s fast paths (per-class plans, the snapshot cache's key, shared attribute values,
cheap naming) give exactly what a plain reading of every Node gives.

The reference below walks the graph breadth-first, reads every ``_saved_*`` attribute of every
Node with ``getattr``, snapshots tensors with :func:`engine.tensors.snapshot` (one snapshot per
storage address, shape, strides, offset, dtype and device, as :class:`SnapshotCache` documents)
and names tensors by identity, then by storage, as :class:`capture`'s docstring says. Both are
reduced to a fingerprint of every field (values as bytes, attribute types included, and which
snapshots are one object), and must be equal.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import nla_explorer
from nla_explorer.engine.autograd.capture import capture
from nla_explorer.engine.autograd.graph import (
    LEAF, OP, GraphEdge, GraphNode, ModuleInfo, SavedValue,
)
from nla_explorer.engine.autograd.module_tags import ModuleLookup
from nla_explorer.engine.autograd.orders import made_by, marking_created, order_of, origins
from nla_explorer.engine.autograd.walk import autograd_nodes, output_node, readable_name
from nla_explorer.engine.errors import CaptureError
from nla_explorer.engine.recording import capture_tensor
from nla_explorer.engine.fast_build import builder
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT, TensorData, snapshot, values_budget
from tests.helpers import Square


# -- the reference: a plain reading of the graph ----------------------------------------------------
class _RefSnapshots:
    """Snapshots shared by storage address, shape, strides, offset, dtype and device."""

    def __init__(self, limit: int) -> None:
        self.limit, self.cache = limit, {}

    def __call__(self, t: torch.Tensor):
        if t.layout != torch.strided or t.is_meta:
            return snapshot(t, self.limit)
        key = (t.data_ptr(), tuple(t.shape), tuple(t.stride()), t.storage_offset(), t.dtype,
               str(t.device))
        if key not in self.cache:
            self.cache[key] = snapshot(t, self.limit)
        return self.cache[key]


def _ref_name(t: torch.Tensor, names: dict) -> str | None:
    """By identity (the last name bound wins); else a named tensor without a grad_fn with the same
    data pointer, shape, strides and dtype (the last wins); else, for a tensor that does not
    require grad, the first such named tensor sharing its storage."""
    tensors = [(k, v) for k, v in names.items() if isinstance(v, torch.Tensor)]
    hit = None
    for k, v in tensors:
        if v is t:
            hit = k
    stored = [(k, v) for k, v in tensors if v.grad_fn is None and v.layout == torch.strided
              and v.device.type != "meta"]
    if hit is not None or not stored or t.layout != torch.strided or t.is_meta:
        return hit
    for k, v in stored:
        if (v.data_ptr(), tuple(v.shape), v.stride(), v.dtype) == (
                t.data_ptr(), tuple(t.shape), t.stride(), t.dtype):
            hit = k
    if hit is None and not t.requires_grad:
        pointer = t.untyped_storage().data_ptr()
        hit = next((k for k, v in stored if v.untyped_storage().data_ptr() == pointer), None)
    return hit


def _ref_plain(v):
    if v is None or type(v) in (int, float, bool, str):
        return v
    if isinstance(v, (tuple, list)):
        return tuple(_ref_plain(x) for x in v)
    if isinstance(v, torch.SymInt):
        return int(v)
    if isinstance(v, torch.SymFloat):
        return float(v)
    return repr(v)


def _ref_saved(fn, names, snap, freed_ok):
    out = []
    for attr in dir(fn):
        if not attr.startswith("_saved_"):
            continue
        name = attr[len("_saved_"):]
        try:
            value = getattr(fn, attr)
        except RuntimeError:
            if freed_ok:
                continue
            raise CaptureError("freed") from None
        if isinstance(value, torch.Tensor):
            role = ("result" if name.startswith("result")
                    else "input" if value.requires_grad else "constant")
            out.append((name, role, snap(value), None, _ref_name(value, names)))
        elif value is None:
            continue
        elif (isinstance(value, (tuple, list)) and value
              and all(isinstance(v, torch.Tensor) for v in value)):
            for i, v in enumerate(value):
                out.append((f"{name}[{i}]", "input" if v.requires_grad else "constant", snap(v),
                            None, _ref_name(v, names)))
        else:
            out.append((name, "attribute", None, _ref_plain(value), None))
    return out


def _ref_walk(roots):
    order = list(dict.fromkeys(roots))
    expanded = 0
    while expanded < len(order):
        start = expanded
        while expanded < len(order):
            for child, _ in order[expanded].next_functions:
                if child is not None and child not in order:
                    order.append(child)
            expanded += 1
        for fn in order[start:expanded]:
            if type(fn).__name__ != "AccumulateGrad" and fn.metadata:
                order.extend(o for o in origins(fn) if o not in order)
    return order


def reference(tensor, names=None, recorder=None, limit=FULL_VALUE_LIMIT, freed_ok=False,
              more_outputs=(), lookup=None):
    """A plain capture, as a fingerprint."""
    names = dict(names or {})
    snap = _RefSnapshots(limit)
    root = output_node(tensor)
    fns = _ref_walk([root, *(output_node(t) for t in more_outputs)])
    ids = {fn: f"n{i}" for i, fn in enumerate(fns)}
    by_fn = {}
    for k, v in names.items():
        if isinstance(v, torch.Tensor) and v.grad_fn is not None:
            by_fn[v.grad_fn] = k
    nodes, edges = [], []
    for fn in fns:
        for slot, (child, nr) in enumerate(fn.next_functions):
            if child is not None:
                edges.append((ids[child], ids[fn], slot, nr))
        op = type(fn).__name__
        if op == "AccumulateGrad":
            name = _ref_name(fn.variable, names)
            nodes.append((ids[fn], LEAF, op, name or "leaf", name, snap(fn.variable), (), 0,
                          None, None, 1, None, ()))
            continue
        value = recorder.value_of(fn) if recorder is not None else None
        saved = _ref_saved(fn, names, snap, freed_ok)
        if value is None:
            value = snap(tensor) if fn is root else next(
                (s[2] for s in saved if s[1] == "result" and s[2] is not None), None)
        maker = ids.get(made_by(fn)) if fn.metadata and made_by(fn) is not None else None
        module, scope = lookup.path_and_scope(fn) if lookup is not None else (None, ())
        nodes.append((ids[fn], OP, op, readable_name(op), by_fn.get(fn), value, tuple(saved),
                      len(fn.next_functions), fn._sequence_nr(), module,
                      order_of(fn) if fn.metadata else 1, maker, scope))
    return _fingerprint(nodes, edges, ids[root])


# -- fingerprints ---------------------------------------------------------------------------------
def _typed(v):
    """A value with its type, floats exactly (-0.0 is not 0.0), tuples item by item."""
    if isinstance(v, tuple):
        return ("tuple", tuple(_typed(x) for x in v))
    if isinstance(v, float):
        return ("float", v.hex())
    return (type(v).__name__, repr(v))


def _fingerprint(nodes, edges, output_id):
    firsts: dict[int, int] = {}

    def data(td):
        if td is None:
            return None
        share = firsts.setdefault(id(td), len(firsts))  # which snapshots are one object
        values = td.values
        arr = None if values is None else (values.dtype.str, values.shape, values.tobytes(),
                                           values.flags.writeable, values.flags.c_contiguous)
        return (type(td).__name__, td.shape, type(td.shape).__name__, td.dtype, td.device,
                arr, td.summary, share)

    out = []
    for n in nodes:
        (nid, kind, op, label, name, value, saved, n_in, seq, module, order, maker, scope) = n
        out.append((nid, kind, op, label, name, data(value),
                    tuple((s[0], s[1], data(s[2]), _typed(s[3]), s[4]) for s in saved),
                    n_in, seq, module, order, maker, scope))
    return tuple(out), tuple(edges), output_id


def fingerprint(graph):
    nodes = [(n.id, n.kind, n.op, n.label, n.name, n.value,
              tuple((s.name, s.role, s.tensor, s.attribute, s.label) for s in n.saved),
              n.n_inputs, n.sequence_nr, n.module, n.order, n.made_by, n.scope)
             for n in graph.nodes]
    return _fingerprint(nodes, [(e.source, e.target, e.slot, e.output_nr) for e in graph.edges],
                        graph.output_id)


def _same(graph, expected):
    # what capture's builders make is exactly the classes' own objects
    assert {type(n) for n in graph.nodes} <= {GraphNode} and {type(e) for e in graph.edges} <= {
        GraphEdge}
    assert all(type(s) is SavedValue and type(s.tensor) in (TensorData, type(None))
               for n in graph.nodes for s in n.saved)
    assert all(type(n.value) in (TensorData, type(None)) for n in graph.nodes)
    got = fingerprint(graph)
    assert got[2] == expected[2]
    assert got[1] == expected[1]
    assert len(got[0]) == len(expected[0])
    for a, b in zip(got[0], expected[0]):
        assert a == b


# -- programs -------------------------------------------------------------------------------------
def _named():
    torch.manual_seed(0)
    w = torch.randn(3, 4, requires_grad=True)
    c = torch.randn(4)
    cv = c[1:3]  # a named view of a named constant
    buf = torch.ones(4)  # a named buffer (no grad)
    h = torch.tanh(w @ c)
    z = (w[:, 1:3] * cv).sum() + (w * buf).sum() + (w[:, :2] * c[:2]).sum()  # c[:2]: c's storage
    z = z + (w * buf[:2].repeat(2)).sum() + h.sum() * 2.0
    return z, {"w": w, "c": c, "cv": cv, "buf": buf, "h": h, "z": z, "n": 3}


def _lists_and_attributes():
    torch.manual_seed(1)
    a = torch.randn(3, requires_grad=True)
    b = torch.randn(2, requires_grad=True)
    x = torch.randn(3, 4, requires_grad=True)
    idx = torch.tensor([0, 2])
    parts = [
        torch.cat(torch._foreach_pow([a, b], [2.0, 1.0])).sum(),  # a float tuple, a tensor list
        torch.cat(torch._foreach_pow([a, b], [2, 1])).sum(),  # an int tuple
        torch.cat(torch._foreach_pow([a, b], [2.0, 1])).sum(),
        x[idx].sum() + x[:, idx].sum() + x[x > 0].sum(),  # index lists (a None, a bool mask)
        torch.gather(x, 1, torch.tensor([[0], [1], [2]])).sum(),  # an int64 index
        torch.where(x > 0, x, 0.0).sum(),
        torch.add(x, x, alpha=-0.0).sum() + torch.add(x, x, alpha=0.0).sum(),
        torch.clamp(x, min=-0.0).sum() + x.pow(2.0).sum() + x.pow(2).sum(),
        F.leaky_relu(x, -0.0).sum() + F.leaky_relu(x, 0.0).sum(),
        torch.stack([x, x * 2], 1).sum(dim=(0, 2)).sum() + x.reshape(2, 6).sum(1).sum(),
        torch.split(x, 2, 0)[1].sum() + x.squeeze().unsqueeze(0).sum(),
        (x.t() @ x).sum() + (x[:, ::2].t() @ x[:, :2]).sum(),  # non-contiguous saved operands
        Square.apply(a).sum(),
        F.interpolate(x[None], scale_factor=2.5, mode="linear").sum(),
    ]
    return sum(parts), {"x": x, "a": a, "idx": idx}


def _in_place_and_dtypes():
    torch.manual_seed(2)
    w = torch.randn(4, 4, requires_grad=True)
    h = w * torch.randn(4, 4)
    h.add_(1.0)
    h = h.exp_()
    z = torch.randn(3, dtype=torch.complex64, requires_grad=True)
    zz = (z * z.conj()).real.sum() + (z * 2j).abs().sum()  # a conjugate view shares z's data
    bf = (w.bfloat16() * w.t().bfloat16()).float().sum()
    empty = torch.zeros(0, 3, requires_grad=True)
    e = (empty * empty).sum() + (empty.t() * 2).sum()
    big = torch.randn(200, 120, requires_grad=True)
    b = (big.sigmoid() * big).sum()  # summaries past the limit
    return h.sum() + zz + bf + e + b, {"w": w, "big": big}


def _meta():
    m = torch.randn(3, 4, device="meta", requires_grad=True)
    return (m * m.t().t()).sum(), {"m": m}


PROGRAMS = {"named": _named, "lists": _lists_and_attributes, "in_place": _in_place_and_dtypes,
            "meta": _meta}


@pytest.mark.parametrize("program", sorted(PROGRAMS))
@pytest.mark.parametrize("limit", [FULL_VALUE_LIMIT, 5])
def test_capture_is_the_plain_reading(program, limit):
    y, names = PROGRAMS[program]()
    _same(capture(y, names, limit=limit), reference(y, names, limit=limit))
    _same(capture(y), reference(y))  # nothing named


def test_a_values_budget_runs_out_at_the_same_snapshots():
    torch.manual_seed(3)
    xs = [torch.randn(150, requires_grad=True) for _ in range(6)]
    y = sum((x.sigmoid() * x.tanh()).sum() for x in xs)
    with values_budget(700):
        graph = capture(y)
    with values_budget(700):
        expected = reference(y)
    _same(graph, expected)
    tensors = [s.tensor for n in graph.nodes for s in n.saved if s.tensor is not None]
    kept = [t for t in tensors if t.values is not None]
    summed = [t for t in tensors if t.summary is not None]
    assert kept and summed  # the budget did run out part way


def test_more_outputs_and_higher_order_nodes():
    torch.manual_seed(4)
    x = torch.randn(3, requires_grad=True)
    y = (x.sin() * x).sum()
    other = (x.exp() * 3).sum()
    root = output_node(y)
    with marking_created(autograd_nodes(root), (root,)):
        (g,) = torch.autograd.grad(y, x, create_graph=True)
    second = (g * g).sum()
    names = {"x": x, "y": y, "g": g}
    graph = capture(second, names, more_outputs=(other,))
    assert graph.highest_order == 2 and graph.made_by_pairs()
    _same(graph, reference(second, names, more_outputs=(other,)))


def test_freed_saved_tensors():
    torch.manual_seed(5)
    x = torch.randn(3, 4, requires_grad=True)
    y = (x.sigmoid() * x).sum() + x.reshape(4, 3).sum(1).mean()
    y.backward()
    with pytest.raises(CaptureError):
        capture(y)
    graph = capture(y, {"x": x}, freed_ok=True)
    assert any(s.role == "attribute" for n in graph.nodes for s in n.saved)
    _same(graph, reference(y, {"x": x}, freed_ok=True))


def test_an_lstm_cell_loop_in_a_recording():
    torch.manual_seed(6)
    cell = torch.nn.LSTMCell(4, 5)
    seq = torch.randn(6, 2, 4)
    with nla_explorer.recording() as rec:
        h, c = torch.zeros(2, 5), torch.zeros(2, 5)
        for t in range(len(seq)):
            h, c = cell(seq[t], (h, c))
        y = h.sum()
    models = {"cell": cell}
    names = {"seq": seq, "h": h, "c": c}
    every = {**names, **dict(cell.named_parameters(prefix="cell"))}
    lookup = ModuleLookup(rec.tags, models)
    expected = reference(y, every, recorder=rec.recorder, lookup=lookup)
    graph = capture(y, every, recorder=rec.recorder, module_of=lookup, modules=lookup.modules)
    _same(graph, expected)
    assert any(n.module == "cell" for n in graph.nodes)
    assert any(s.label == "seq" for n in graph.nodes for s in n.saved)  # seq[t]: seq's storage
    _same(capture_tensor(y, names, models, recorder=rec, trace=False).graph, expected)


# -- the builders of frozen objects -------------------------------------------------------------
_FIELDS = {
    GraphNode: ("n3", OP, "MulBackward0", "mul", "y", None, (), 2, 17, "net.l1", 1, "n0",
                (("net", 1),), ((1, "b"),), (), ("y", None)),
    GraphEdge: ("n1", "n0", 1, 0),
    SavedValue: ("other", "constant", None, 2.5, "b"),
    TensorData: ((2,), "float32", "cpu", np.zeros(2), {"min": 0.0}),
}


@pytest.mark.parametrize("cls", list(_FIELDS), ids=lambda c: c.__name__)
def test_a_builder_makes_what_the_class_makes(cls):
    values = _FIELDS[cls]
    made, plain = builder(cls)(*values), cls(*values)
    assert type(made) is cls
    names = [f.name for f in dataclasses.fields(cls)]
    assert all(getattr(made, k) is getattr(plain, k) is v for k, v in zip(names, values))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, names[0], "changed")
    assert dataclasses.replace(made, **{names[0]: "x"}).__getattribute__(names[0]) == "x"
    assert repr(made) == repr(plain)
    if cls is GraphEdge:  # compared by value, as the class's own
        assert made == plain and hash(made) == hash(plain)
    else:
        assert made != plain and made == made


def test_a_builder_refuses_a_class_it_cannot_build():
    with pytest.raises(TypeError):
        builder(ModuleInfo)  # no slots: its objects have another layout
