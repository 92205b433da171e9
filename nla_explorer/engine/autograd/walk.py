"""Iterative walk of a ``grad_fn`` chain (no recursion: deep graphs are fine)."""

from __future__ import annotations

import re
import weakref
from collections import deque
from itertools import islice
from functools import lru_cache

import torch

from nla_explorer.engine.autograd.orders import any_marked, origins


def output_node(tensor: torch.Tensor):
    """The autograd Node that produced ``tensor`` (its ``grad_fn``), or its AccumulateGrad for a leaf."""
    if tensor.grad_fn is not None:
        return tensor.grad_fn
    if tensor.requires_grad:
        # A leaf: its AccumulateGrad node is reachable through a view that torch builds on demand.
        return tensor.view_as(tensor).grad_fn.next_functions[0][0]
    return None


def autograd_nodes(root, *more_roots, makers: bool = False) -> list:
    """All Nodes reachable from ``root`` (and ``more_roots``: a backward call on several outputs)
    through ``next_functions``, breadth-first, each once.

    ``makers``: then also the Nodes whose backward made a higher-order Node (and what they reach),
    after all the others, so those keep the same places (and ids) either way."""
    return walk_graph(root, *more_roots, makers=makers)[0]


def walk_graph(root, *more_roots, makers: bool = False) -> tuple[list, list]:
    """:func:`autograd_nodes`, and each Node's ``next_functions`` as read on the way (capture
    needs them again: torch builds that tuple anew on every read)."""
    return walk_marked(root, *more_roots, makers=makers)[:2]


def walk_marked(root, *more_roots, makers: bool = False) -> tuple[list, list, set]:
    """:func:`walk_graph`, and with ``makers`` the Nodes whose ``metadata`` is not empty (those
    a backward with ``create_graph`` made: the others need not be asked again)."""
    order = list(dict.fromkeys((root, *more_roots)))  # also the queue, expanded in order
    marked: set = set()
    seen = set(order)
    nexts: list = []
    add, add_next, mark = order.append, nexts.append, seen.add
    start = 0  # the first Node of this round (the roots, then the makers the last round found)
    while start < len(order):
        for fn in islice(order, start, None):  # a list iterator sees what the loop appends
            children = fn.next_functions
            add_next(children)
            for child, _ in children:
                if child is not None and child not in seen:
                    mark(child)
                    add(child)
        end = len(order)
        if not makers or not any_marked():
            break
        for fn in order[start:end]:
            if type(fn).__name__ == "AccumulateGrad" or not fn.metadata:  # (is_leaf_node)
                continue
            marked.add(fn)
            for origin in origins(fn):
                if origin not in seen:
                    mark(origin)
                    add(origin)
        start = end
    return order, nexts, marked


class _LastWalk:
    """The Nodes of the latest graph captured, for the trace that follows (it walked them
    already: a tenth of a 75,000-node trace). Held while its output tensor lives (the tensor
    holds those Nodes anyway) and for that tensor only, with the same ``grad_fn``. One tuple
    is set and read at once (captures may run in worker threads)."""

    def __init__(self) -> None:
        self._state: tuple | None = None  # (weak ref to the tensor, its output Node, Nodes)

    def remember(self, tensor, root, nodes: list) -> None:
        self._state = None
        try:
            ref = weakref.ref(tensor, self._gone)
        except TypeError:
            return
        self._state = (ref, root, nodes)

    def recall(self, tensor, root) -> list | None:
        """The Nodes remembered for ``tensor`` if its output Node is still ``root``."""
        state = self._state
        if state is None or state[0]() is not tensor or state[1] is not root:
            return None
        return state[2]

    def _gone(self, ref) -> None:
        state = self._state
        if state is not None and state[0] is ref:
            self._state = None


LAST_WALK = _LastWalk()


def iter_nodes(root):
    """The Nodes reachable from ``root``, breadth-first, one at a time (a search that stops at
    the first hit need not walk a whole big graph)."""
    seen = {root}
    queue = deque((root,))
    while queue:
        fn = queue.popleft()
        yield fn
        for child, _ in fn.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                queue.append(child)


def node_ids(nodes: list) -> dict:
    """Stable ids for the walked nodes: ``n0`` is the output."""
    count = len(nodes)
    if len(_ID_NAMES) < count <= _ID_NAMES_KEPT:
        _ID_NAMES.extend(f"n{i}" for i in range(len(_ID_NAMES), count))
    if count <= len(_ID_NAMES):
        return dict(zip(nodes, _ID_NAMES))
    return {fn: f"n{i}" for i, fn in enumerate(nodes)}


#: ``n0``, ``n1`` …, made once for all graphs (formatting them was a tenth of a second per
#: million nodes), for graphs up to ``_ID_NAMES_KEPT`` nodes (at most ~6 MB kept).
_ID_NAMES: list[str] = []
_ID_NAMES_KEPT = 100_000


def torch_name(fn) -> str:
    """Torch's class name for a Node: ``MulBackward0``, ``AccumulateGrad``, ``InvBackward``."""
    return type(fn).__name__


def is_leaf_node(fn) -> bool:
    return torch_name(fn) == "AccumulateGrad"


_READABLE = {
    "Mm": "mm",
    "Mv": "mv",
    "Bmm": "bmm",
    "LinalgVectorNorm": "norm",
    "Norm": "norm",
    "LinalgInvEx": "inverse",
    "LinalgDet": "det",
    "LinalgSolveEx": "solve",
    "NllLoss": "nll_loss",
    "MseLoss": "mse_loss",
    "Addmm": "addmm",
    "Pow": "pow",
    "T": "t",
    "Inv": "inverse (custom)",
}


@lru_cache(maxsize=1024)
def readable_name(torch_op: str) -> str:
    """``MulBackward0`` → ``mul``; ``LogSoftmaxBackward0`` → ``log_softmax``."""
    base = re.sub(r"Backward\d*$", "", torch_op)
    if base in _READABLE:
        return _READABLE[base]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", base).lower() or torch_op
