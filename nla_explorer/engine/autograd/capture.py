"""Capture: walk a tensor's ``grad_fn`` chain into an :class:`AutogradGraph`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import NamedTuple

import torch
from torch.utils._python_dispatch import _disable_current_modes

from nla_explorer.engine.errors import CaptureError
from nla_explorer.engine.fast_build import builder
from nla_explorer.engine.autograd.gc_pause import paused_gc
from nla_explorer.engine.autograd.graph import (
    LEAF, OP, AutogradGraph, GraphEdge, GraphNode, ModuleInfo, SavedValue,
)
from nla_explorer.engine.autograd.module_tags import ModuleLookup
from nla_explorer.engine.autograd.orders import made_by, order_of
from nla_explorer.engine.autograd.recorder import ForwardRecorder, version_of
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT, SnapshotCache, TensorData
from nla_explorer.engine.autograd.walk import (
    LAST_WALK, node_ids, output_node, readable_name, walk_marked,
)

_SAVED_PREFIX = "_saved_"


def capture(
    tensor: torch.Tensor,
    names: Mapping[str, object] | None = None,
    recorder: ForwardRecorder | None = None,
    limit: int = FULL_VALUE_LIMIT,
    freed_ok: bool = False,
    more_outputs: tuple[torch.Tensor, ...] = (),
    module_of: Callable[[object], str | None] | ModuleLookup | None = None,
    scope_of: Callable[[object], tuple[tuple[str, int], ...]] | None = None,
    modules: tuple[ModuleInfo, ...] = (),
    _later=None,  # a saved_later.SavedLater: the saved values read later (capture_first)
) -> AutogradGraph:
    """Walk ``tensor.grad_fn`` into a graph model.

    ``names`` maps variable names to tensors (``locals()`` works: non-tensors are ignored); named
    tensors label the node that produced them, leaves and saved constants included. ``recorder``, a
    :class:`ForwardRecorder` that was active while the expression ran, gives every op node its value.
    ``freed_ok``: a node whose saved tensors an earlier ``backward()`` freed shows none (else an error).
    ``more_outputs``: the other outputs of a backward call on several (their graphs join this one).
    ``module_of(grad_fn)``: the path of the ``nn.Module`` that made a node (Run as Python's hooks);
    ``scope_of(grad_fn)``: the module invocations that made it, ``(path, call number)`` outermost
    first; ``modules``: the named modules, kept in the graph. A :class:`ModuleLookup` as
    ``module_of`` gives all three (for callers that only pass ``module_of`` on).
    """
    where = _where(module_of, scope_of)
    if isinstance(module_of, ModuleLookup):
        modules = modules or module_of.modules
    if not isinstance(tensor, torch.Tensor):
        raise CaptureError(f"the output is a {type(tensor).__name__}, not a tensor")
    root = output_node(tensor)
    if root is None:
        raise CaptureError("the output does not require grad: no autograd graph was recorded "
                           "(give a leaf requires_grad=True)")
    # The program's own dispatch modes (and torch functions) do not see the explorer read the
    # graph: snapshots are not the program's ops (a mode handed a saved scalar broke them).
    with engine_reads():
        more = [output_node(t) for t in more_outputs if isinstance(t, torch.Tensor)]
        return _build(tensor, root, _Naming(names or {}), recorder, SnapshotCache(limit), freed_ok,
                      [fn for fn in more if fn is not None], where, tuple(modules), _later)


def engine_reads():
    """The explorer reading a graph: no collections midway, and the program's modes do not see
    it."""
    stack = ExitStack()
    stack.enter_context(paused_gc())
    stack.enter_context(_disable_current_modes())
    stack.enter_context(torch._C.DisableTorchFunction())
    return stack


def _build(tensor, root, naming, recorder, snap, freed_ok=False, more_roots=(),
           where=None, modules=(), later=None) -> AutogradGraph:
    # One tight loop: a 75,000-node graph spends microseconds per node, so the per-node work
    # that only depends on the Node's class (names, saved attributes) is looked up once.
    fns, all_nexts, marked = walk_marked(root, *more_roots, makers=True)
    if not more_roots and not marked:  # (the walk a trace of ``tensor`` makes: it is spared)
        LAST_WALK.remember(tensor, root, fns)
    ids = node_ids(fns)
    nodes = []
    edges = []
    add_node, add_edge = nodes.append, edges.append
    outputs_of = recorder.value_table() if recorder is not None else None
    operands_of = recorder.operand_table() if recorder is not None else None
    name_of, name_of_node = naming.tensor_namer(), naming.node_namer()
    outputs_named = naming.outputs_namer()
    snap = snap.__call__  # a bound method: cheaper to call than the instance, 75,000 times
    saved_of = _SavedReader(name_of, snap, freed_ok).read
    pending = None
    if later is not None:  # the saved values read later (saved_later.capture_first)
        later.read, pending = saved_of, later.pending.append
    kinds, class_info = _kinds, _class_info
    for (fn, node_id), nexts in zip(ids.items(), all_nexts):  # (ids: in the walk's order)
        slot = 0
        for child, output_nr in nexts:
            if child is not None:
                add_edge(_Edge(ids[child], node_id, slot, output_nr))
            slot += 1
        kind = kinds.get(type(fn)) or class_info(fn)
        if kind.leaf:
            variable = fn.variable
            name = name_of(variable) if name_of is not None else None
            add_node(_Node(node_id, LEAF, "AccumulateGrad", name or "leaf", name,
                           snap(variable), (), 0, None, None, 1, None, (), (), (), ()))
            continue
        if outputs_of is not None:  # (recorder.value_of, inline)
            value = outputs_of(fn)
            if value is not None:
                value = value.get(0)
        else:
            value = None
        if not kind.saved:
            saved = ()
        elif pending is None:
            saved = saved_of(fn, kind.saved)
        else:
            saved = ()
            pending((len(nodes), fn, kind.saved))
        if value is None:
            value = _value_fallback(fn, tensor, root, saved, snap)
        if marked and fn in marked:  # only a higher-order Node has an order and a maker
            maker, order = made_by(fn), order_of(fn)
            maker_id = ids.get(maker) if maker is not None else None
        else:
            maker_id, order = None, 1
        module, scope = where(fn) if where is not None else _NOWHERE
        consts = operands_of(fn) if operands_of is not None and name_of is not None else None
        names, operand_values = _operands(consts, name_of, snap) if consts else _NO_OPERANDS
        add_node(_Node(node_id, OP, kind.op, kind.label,
                       name_of_node(fn) if name_of_node is not None else None, value, saved,
                       len(nexts), fn._sequence_nr(), module, order, maker_id, scope,
                       names, operand_values,
                       (outputs_named(fn) or ()) if outputs_named is not None else ()))
    return AutogradGraph(tuple(nodes), tuple(edges), ids[root], modules)


def _operands(consts: tuple, name_of, snap) -> tuple[tuple, tuple]:
    """A node's constant inputs the recorder noted, by slot: their names, and their values as
    saved constants are (unnamed ones left out; the value too of one changed in place since)."""
    names, values = [], []
    for slot, ref, version in consts:
        tensor = ref()
        if tensor is None or (name := name_of(tensor)) is None:
            continue
        names.append((slot, name))
        if version is not None and version_of(tensor) == version:
            values.append(_Saved(f"input {slot}", "constant", snap(tensor), None, name))
    return tuple(names), tuple(values)


_NO_OPERANDS: tuple[tuple, tuple] = ((), ())


_NOWHERE: tuple[None, tuple] = (None, ())
#: GraphNode, GraphEdge and SavedValue from all their fields, positionally (a third of the time)
_Node, _Edge, _Saved = builder(GraphNode), builder(GraphEdge), builder(SavedValue)


def _where(module_of, scope_of):
    """One function giving a Node's ``(module path, scope)``, or None when neither is asked."""
    if isinstance(module_of, ModuleLookup):
        if scope_of is None:
            return module_of.path_and_scope
        module_of = module_of.module_of
    if module_of is None and scope_of is None:
        return None
    return lambda fn: (module_of(fn) if module_of is not None else None,
                       scope_of(fn) if scope_of is not None else ())


def _value_fallback(fn, tensor, root, saved, snap) -> TensorData | None:
    """Without a recorded value: the output tensor itself, or what the node saved as its result."""
    if fn is root:
        return snap(tensor)
    for s in saved:
        if s.role == "result" and s.tensor is not None:
            return s.tensor
    return None


class _Naming:
    """Find the variable name of a tensor or of the node that produced it."""

    def __init__(self, names: Mapping[str, object]) -> None:
        self._by_tensor: dict[int, str] = {}
        self._by_fn: dict[object, str] = {}
        self._by_storage: dict[tuple, str] = {}
        self._by_buffer: dict[int, str] = {}  # a view of a named tensor shows that name
        outputs: dict[object, dict[int, str]] = {}
        for name, value in names.items():
            if not isinstance(value, torch.Tensor):
                continue
            self._by_tensor[id(value)] = name
            if value.grad_fn is not None:
                self._by_fn[value.grad_fn] = name
                outputs.setdefault(value.grad_fn, {})[value.output_nr] = name
            elif value.layout == torch.strided and value.device.type != "meta":
                self._by_storage[_storage_key(value)] = name
                self._by_buffer.setdefault(value.untyped_storage().data_ptr(), name)
        self._outputs = {fn: tuple(named.get(k) for k in range(max(named) + 1))
                         for fn, named in outputs.items() if len(named) > 1 or max(named) > 0}
        for fn, named in self._outputs.items():  # Q, R = torch.linalg.qr(A): the node "Q, R"
            self._by_fn[fn] = ", ".join(n for n in named if n)
        self._pointers = {key[0] for key in self._by_storage}  # most tensors miss: ask cheaply
        self._keep = list(names.values())  # ids stay valid while we look them up
        self._namer = self._make_namer()

    def name_of(self, tensor: torch.Tensor) -> str | None:
        return None if self._namer is None else self._namer(tensor)

    def name_of_node(self, fn) -> str | None:
        return self._by_fn.get(fn)

    def tensor_namer(self):
        """:meth:`name_of`, or None when no tensor is named (nothing to ask)."""
        return self._namer

    def _make_namer(self):
        """The name of a tensor, by identity, else by its data (a view of a named tensor): a
        closure over the tables (a capture asks once per saved tensor: 70,000 times for a long
        loop); None when no tensor is named."""
        if not self._by_tensor:
            return None
        by_tensor = self._by_tensor.get
        if not self._by_storage:
            return lambda tensor: by_tensor(id(tensor))
        by_storage, by_buffer, pointers = self._by_storage.get, self._by_buffer.get, self._pointers

        def name_of(tensor: torch.Tensor) -> str | None:
            hit = by_tensor(id(tensor))
            if hit is not None or tensor.layout != _STRIDED or tensor.is_meta:
                return hit
            pointer = tensor.data_ptr()
            if pointer in pointers:
                hit = by_storage((pointer, tuple(tensor.shape), tuple(tensor.stride()),
                                  tensor.dtype))
            if hit is None and not tensor.requires_grad:
                hit = by_buffer(tensor.untyped_storage().data_ptr())
            return hit
        return name_of

    def node_namer(self):
        """:meth:`name_of_node`, or None when no Node is named."""
        return self._by_fn.get if self._by_fn else None

    def outputs_namer(self):
        """A node's output names (``GraphNode.output_names``), or None when no node has several."""
        return self._outputs.get if self._outputs else None


def _storage_key(t: torch.Tensor) -> tuple:
    return (t.data_ptr(), tuple(t.shape), tuple(t.stride()), t.dtype)


class _Kind(NamedTuple):
    """What capture needs of a Node class: torch's name, the readable label, whether it is a
    leaf's AccumulateGrad, and its saved attributes as ``(attribute, name, is_result)``."""

    op: str
    label: str
    leaf: bool
    saved: tuple[tuple[str, str, bool], ...]


_kinds: dict[type, _Kind] = {}


def _class_info(fn) -> _Kind:
    """``fn``'s :class:`_Kind`, worked out for its class once (from this first instance)."""
    op = type(fn).__name__
    saved = tuple((attr, attr[len(_SAVED_PREFIX):], attr.startswith(_SAVED_PREFIX + "result"))
                  for attr in dir(fn) if attr.startswith(_SAVED_PREFIX))
    kind = _kinds[type(fn)] = _Kind(op, readable_name(op), op == "AccumulateGrad", saved)
    return kind


class _SavedReader:
    """Reads a Node's saved values; equal attributes (sizes, dims, alphas) of different Nodes
    share one :class:`SavedValue` (a long unrolled loop repeats them thousands of times).
    ``name_of`` is None when no tensor can have a name."""

    def __init__(self, name_of, snap: Callable[[torch.Tensor], TensorData], freed_ok: bool) -> None:
        self.name_of, self.snap, self.freed_ok = name_of, snap, freed_ok
        self._attributes: dict[tuple, SavedValue] = {}

    def read(self, fn, plan: tuple[tuple[str, str, bool], ...]) -> tuple[SavedValue, ...]:
        # The hot loop of a capture (a saved value takes about a microsecond): the common types
        # are told apart by exact type first, everything else as it always was.
        out = []
        add = out.append
        name_of, snap, shared = self.name_of, self.snap, self._attributes
        for attr, name, is_result in plan:
            try:
                value = getattr(fn, attr)
            except RuntimeError as exc:  # freed by an earlier backward() without retain_graph
                if self.freed_ok:
                    continue
                raise CaptureError(
                    "the graph's saved tensors were freed by an earlier backward(); "
                    "capture before calling backward(), or call backward(retain_graph=True)"
                ) from exc
            kind = type(value)
            if kind is _TENSOR:
                add(_Saved(name, "result" if is_result else "input" if value.requires_grad
                           else "constant", snap(value), None,
                           None if name_of is None else name_of(value)))
            elif kind is int or kind is tuple and _INT_ONLY.issuperset(map(type, value)):
                key = (name, kind, value)
                hit = shared.get(key)
                if hit is None:
                    hit = shared[key] = _Saved(name, "attribute", None, _plain(value), None)
                add(hit)
            elif isinstance(value, torch.Tensor):
                role = "result" if is_result else ("input" if value.requires_grad else "constant")
                add(_Saved(name, role, snap(value), None, self._name(value)))
            elif value is None:
                continue
            elif isinstance(value, (tuple, list)) and value and isinstance(
                    value[0], torch.Tensor) and all(isinstance(v, torch.Tensor) for v in value):
                for i, v in enumerate(value):
                    add(_Saved(f"{name}[{i}]", "input" if v.requires_grad else "constant",
                               snap(v), None, self._name(v)))
            else:
                add(self._attribute(name, value))
        return tuple(out)

    def _name(self, tensor: torch.Tensor) -> str | None:
        return None if self.name_of is None else self.name_of(tensor)

    def _attribute(self, name: str, value: object) -> SavedValue:
        kind = type(value)
        # not floats (0.0 == -0.0), and only exact ints in a tuple ((1, 2) == (1.0, 2))
        if kind in _SHARED or kind is tuple and _INT_ONLY.issuperset(map(type, value)):
            key = (name, kind, value)
            hit = self._attributes.get(key)
            if hit is None:
                hit = self._attributes[key] = _Saved(name, "attribute", None, _plain(value), None)
            return hit
        return _Saved(name, "attribute", None, _plain(value), None)


_TENSOR = torch.Tensor
_PLAIN = frozenset((int, float, bool, str))
_SHARED = frozenset((int, bool, str))
_INT_ONLY = frozenset((int,))
_STRIDED = torch.strided


def _plain(value: object) -> object:
    """Saved attributes as plain Python data (sizes, dims, scalars, strings)."""
    if type(value) in _PLAIN or value is None:
        return value
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, (torch.SymInt, torch.SymFloat)):
        return int(value) if isinstance(value, torch.SymInt) else float(value)
    return repr(value)
