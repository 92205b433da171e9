"""Higher-order graphs: the order of each autograd Node and the Node whose backward made it.

A Node made by the program's forward code has order 1. A backward call with ``create_graph=True``
builds a graph of its own (the backward-of-backward: ``grad(y, x, create_graph=True)`` gives a
gradient with a ``grad_fn``); each Node it creates gets order ``k + 1``, ``k`` the highest order in
the graph the call differentiates, and remembers the Node whose backward formula made it (torch's
``_current_autograd_node()`` while that formula ran). Both are written into the Node's own
``metadata`` dict, so they live exactly as long as the Node, whoever captures it later.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from nla_explorer.engine.autograd.recorder import tensors_in

ORDER_KEY = "nla_explorer.order"
MADE_BY_KEY = "nla_explorer.made_by"
CALL_KEY = "nla_explorer.call_roots"  # the outputs' Nodes of the backward call that made it


def order_of(fn) -> int:
    """1 for a Node of the forward program; 2 for one a create_graph backward made; 3 …"""
    return fn.metadata.get(ORDER_KEY, 1)


def made_by(fn):
    """The Node whose backward formula created ``fn`` (``None`` for a forward Node)."""
    return fn.metadata.get(MADE_BY_KEY)


def origins(fn) -> tuple:
    """The Nodes a picture of ``fn`` shows with it: its maker and the outputs' Nodes of the
    backward call that made it (the whole first-order graph); none for a forward Node."""
    metadata = fn.metadata
    maker = metadata.get(MADE_BY_KEY)
    return ((maker,) if maker is not None else ()) + metadata.get(CALL_KEY, ())


_ever_marked = False  # whether any Node of this process was marked (none: all are order 1)


def any_marked() -> bool:
    """Whether :func:`marking_created` ever ran in this process: else no Node has a maker or
    an order above 1, and a walk need not ask each Node (a tenth of a walk's time)."""
    return _ever_marked


def next_order(fns) -> int:
    """The order of the Nodes a create_graph backward through ``fns`` creates."""
    return 1 + max((order_of(fn) for fn in fns), default=1)


@contextmanager
def marking_created(fns, roots: tuple, recorder=None):
    """While a backward call with ``create_graph=True`` runs inside: mark every Node it creates
    with its order (one above the highest of ``fns``, the graph the call runs through), its
    maker and the call's ``roots`` (its outputs' Nodes). A ``recorder`` that is not recording
    records the new Nodes' values meanwhile."""
    global _ever_marked
    _ever_marked = True
    known = set(fns)
    marks = _Marks(next_order(known), known, tuple(roots))
    with ExitStack() as stack:
        if recorder is not None and not recorder.active:
            stack.enter_context(recorder)
        try:
            with marks:
                yield marks
        finally:
            marks.resolve()


class _Marks(TorchDispatchMode):
    """Sees every op a backward formula runs; its output's ``grad_fn`` is set by autograd after
    the op returns, so each output is resolved to its Node at the next op (or at the end)."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False  # as the recorder's mode: nothing here is compiled

    def __init__(self, order: int, known: set, roots: tuple) -> None:
        super().__init__()
        self.order, self.known, self.roots = order, known, roots
        self._pending: list[tuple[torch.Tensor, object]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.resolve()
        maker = torch._C._current_autograd_node()  # the Node whose backward runs this op
        out = func(*args, **(kwargs or {}))
        for t in tensors_in(out):
            if t.dtype.is_floating_point or t.dtype.is_complex:
                self._pending.append((t, maker))
        return out

    def resolve(self) -> None:
        pending, self._pending = self._pending, []
        for tensor, maker in pending:
            fn = tensor.grad_fn
            if fn is None or fn in self.known:
                continue
            metadata = fn.metadata
            if ORDER_KEY in metadata:
                continue
            metadata[ORDER_KEY] = self.order
            metadata[CALL_KEY] = self.roots
            if maker is not None:
                metadata[MADE_BY_KEY] = maker
