"""Capture: walk a tensor's ``grad_fn`` chain into an :class:`AutogradGraph`."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch

from nla_explorer.engine.errors import CaptureError
from nla_explorer.engine.autograd.gc_pause import paused_gc
from nla_explorer.engine.autograd.graph import (
    LEAF, OP, AutogradGraph, GraphEdge, GraphNode, ModuleInfo, SavedValue,
)
from nla_explorer.engine.autograd.module_tags import ModuleLookup
from nla_explorer.engine.autograd.orders import made_by, order_of
from nla_explorer.engine.autograd.recorder import ForwardRecorder
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT, SnapshotCache, TensorData
from nla_explorer.engine.autograd.walk import (
    autograd_nodes,
    is_leaf_node,
    node_ids,
    output_node,
    readable_name,
    torch_name,
)

_SAVED_PREFIX = "_saved_"
_saved_names_cache: dict[type, tuple[str, ...]] = {}


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
    if isinstance(module_of, ModuleLookup):
        scope_of = scope_of or module_of.scope_of
        modules = modules or module_of.modules
        module_of = module_of.module_of
    if not isinstance(tensor, torch.Tensor):
        raise CaptureError(f"the output is a {type(tensor).__name__}, not a tensor")
    root = output_node(tensor)
    if root is None:
        raise CaptureError("the output does not require grad: no autograd graph was recorded "
                           "(give a leaf requires_grad=True)")
    with paused_gc():
        more = [output_node(t) for t in more_outputs if isinstance(t, torch.Tensor)]
        return _build(tensor, root, _Naming(names or {}), recorder, SnapshotCache(limit), freed_ok,
                      [fn for fn in more if fn is not None], module_of, scope_of,
                      tuple(modules))


def _build(tensor, root, naming, recorder, snap, freed_ok=False, more_roots=(),
           module_of=None, scope_of=None, modules=()) -> AutogradGraph:
    fns = autograd_nodes(root, *more_roots, makers=True)
    ids = node_ids(fns)
    nodes = []
    edges = []
    for fn in fns:
        node_id = ids[fn]
        for slot, (child, output_nr) in enumerate(fn.next_functions):
            if child is not None:
                edges.append(GraphEdge(ids[child], node_id, slot, output_nr))
        if is_leaf_node(fn):
            variable = fn.variable
            name = naming.name_of(variable)
            nodes.append(GraphNode(node_id, LEAF, "AccumulateGrad", name or "leaf", name,
                                   snap(variable), (), 0))
            continue
        op = torch_name(fn)
        value = recorder.value_of(fn) if recorder is not None else None
        saved = _saved_values(fn, naming, snap, freed_ok)
        if value is None:
            value = _value_fallback(fn, tensor, root, saved, snap)
        name = naming.name_of_node(fn)
        maker = made_by(fn)
        nodes.append(GraphNode(node_id, OP, op, readable_name(op), name, value, saved,
                               len(fn.next_functions), fn._sequence_nr(),
                               module_of(fn) if module_of is not None else None,
                               order_of(fn), ids.get(maker) if maker is not None else None,
                               scope_of(fn) if scope_of is not None else ()))
    return AutogradGraph(tuple(nodes), tuple(edges), ids[root], modules)


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
        for name, value in names.items():
            if not isinstance(value, torch.Tensor):
                continue
            self._by_tensor[id(value)] = name
            if value.grad_fn is not None:
                self._by_fn[value.grad_fn] = name
            elif value.layout == torch.strided and value.device.type != "meta":
                self._by_storage[_storage_key(value)] = name
                self._by_buffer.setdefault(value.untyped_storage().data_ptr(), name)
        self._keep = list(names.values())  # ids stay valid while we look them up

    def name_of(self, tensor: torch.Tensor) -> str | None:
        if not self._by_tensor:
            return None
        hit = self._by_tensor.get(id(tensor))
        if hit is None and tensor.layout == torch.strided and tensor.device.type != "meta":
            hit = self._by_storage.get(_storage_key(tensor))
            if hit is None and not tensor.requires_grad:
                hit = self._by_buffer.get(tensor.untyped_storage().data_ptr())
        return hit

    def name_of_node(self, fn) -> str | None:
        return self._by_fn.get(fn)


def _storage_key(t: torch.Tensor) -> tuple:
    return (t.data_ptr(), tuple(t.shape), tuple(t.stride()), t.dtype)


def _saved_names(fn) -> tuple[str, ...]:
    cls = type(fn)
    names = _saved_names_cache.get(cls)
    if names is None:
        names = tuple(a for a in dir(fn) if a.startswith(_SAVED_PREFIX))
        _saved_names_cache[cls] = names
    return names


def _saved_values(fn, naming: _Naming, snap: SnapshotCache,
                  freed_ok: bool = False) -> tuple[SavedValue, ...]:
    out = []
    for attr in _saved_names(fn):
        try:
            value = getattr(fn, attr)
        except RuntimeError as exc:  # freed by an earlier backward() without retain_graph
            if freed_ok:
                continue
            raise CaptureError(
                "the graph's saved tensors were freed by an earlier backward(); "
                "capture before calling backward(), or call backward(retain_graph=True)"
            ) from exc
        name = attr[len(_SAVED_PREFIX):]
        if isinstance(value, torch.Tensor):
            role = "result" if name.startswith("result") else (
                "input" if value.requires_grad else "constant")
            out.append(SavedValue(name, role, snap(value), None, naming.name_of(value)))
        elif isinstance(value, (tuple, list)) and value and all(
                isinstance(v, torch.Tensor) for v in value):
            for i, v in enumerate(value):
                out.append(SavedValue(f"{name}[{i}]", "input" if v.requires_grad else "constant",
                                      snap(v), None, naming.name_of(v)))
        elif value is not None:
            out.append(SavedValue(name, "attribute", None, _plain(value)))
    return tuple(out)


def _plain(value: object) -> object:
    """Saved attributes as plain Python data (sizes, dims, scalars, strings)."""
    if type(value) in (int, float, bool, str) or value is None:
        return value
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, (torch.SymInt, torch.SymFloat)):
        return int(value) if isinstance(value, torch.SymInt) else float(value)
    return repr(value)
