"""Sizes and memory a program may use: results sized from their arguments, the bytes it holds.

A block's result, what autograd saved for backward, the gradients and the backward traces all stay
alive until the capture is dropped, so the sum only grows: the block that would take it past the
limit is refused, naming its line. Room is kept for the gradients of every result that requires
grad (a traced backward pass, the program's or the one the window shows, keeps what flows into
and out of each op).
"""

from __future__ import annotations

import math
import weakref
from typing import Protocol

import torch

from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.tensors import TensorData

#: The most bytes one program's tensors may hold, gradients to come included: 2 GiB.
MAX_PROGRAM_BYTES = 2 * 2**30
#: Bytes of gradients a backward trace keeps per byte of a result that requires grad.
GRADIENT_ROOM = 2
#: Items the reader unrolls from one comprehension, and from all of a program's together.
MAX_UNROLLED, MAX_PROGRAM_UNROLLED = 1_000, 10_000

#: Elementwise ops: the result has the broadcast shape of the tensor arguments.
ELEMENTWISE = frozenset({
    "add", "sub", "mul", "div", "pow", "neg", "abs", "sqrt", "exp", "log", "sin", "cos", "maximum",
    "clamp", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "requires_grad_", "gt", "lt",
    "ge", "le", "eq", "ne", "logical_not", "logical_and", "logical_or", "where", "masked_fill",
    "to"})
#: Products whose result is (…n×m) from (…n×k) and (…k×m) (a vector is a k).
PRODUCTS = frozenset({"matmul", "mm", "bmm", "mv", "dot", "linear", "solve"})

_SAVED_PREFIX = "_saved_"
_saved_names_cache: dict[type, tuple[str, ...]] = {}

__all__ = ["Capture", "CaptureSizes", "ELEMENTWISE", "GRADIENT_ROOM", "MAX_PROGRAM_BYTES",
           "MAX_PROGRAM_UNROLLED", "MAX_UNROLLED",
           "PRODUCTS", "ProgramBudget", "byte_text", "capture_bytes", "constructor_numel",
           "count_text", "result_bound", "tensors_in", "will_require_grad"]


class Capture(Protocol):
    """What the undo history keeps of a capture: an ``Exploration`` or a ``RunResult``."""

    graph: object
    trace: object
    calls: tuple


class ProgramBudget:
    """The bytes a running program holds (each storage once) plus room for gradients to come."""

    def __init__(self, limit: int = MAX_PROGRAM_BYTES) -> None:
        self.limit = limit
        self.held = 0  # bytes of the distinct storages seen
        self.reserve = 0  # room for the gradients of the results that require grad
        self._storages: dict[int, int] = {}  # address → bytes
        self._nodes: set = set()  # autograd Nodes whose saved tensors were counted
        self._reserved: set[int] = set()  # ids of the results given room (the program holds them)

    @property
    def total(self) -> int:
        return self.held + self.reserve

    def check(self, new_bytes: int, what: str, line: int | None, culprit: str | None) -> None:
        """Refuse ``what`` when ``new_bytes`` more would take the program past the limit."""
        if self.total + new_bytes > self.limit:
            raise ExpressionError(
                f"{what} needs {byte_text(new_bytes)} more: the program's tensors would reach "
                f"{byte_text(self.total + new_bytes)}, past the {byte_text(self.limit)} a program "
                "may hold (gradients to come included)", line, culprit)

    def check_held(self, what: str, line: int | None, culprit: str | None) -> None:
        """Refuse ``what`` when what it made took the program past the limit."""
        if self.total > self.limit:
            raise ExpressionError(
                f"{what} took the program's tensors to {byte_text(self.total)}, past the "
                f"{byte_text(self.limit)} a program may hold (gradients to come included)",
                line, culprit)

    def hold(self, value: object, saved: bool = True) -> int:
        """Count the storages of ``value`` (a tensor, or tensors in tuples and lists) and, with
        ``saved``, those autograd saved for the backward of its new Nodes; the bytes added."""
        before = self.held
        for tensor in _tensors(value):
            self._storage(tensor)
            if saved and tensor.grad_fn is not None:
                self._saved(tensor.grad_fn)
        return self.held - before

    def reserve_grad(self, tensor: torch.Tensor) -> None:
        """Room for the gradients a traced backward pass keeps for ``tensor``: what flows into
        the op that made it and what that op sends on, about twice its size."""
        if tensor.requires_grad and id(tensor) not in self._reserved:  # in place: once
            self._reserved.add(id(tensor))
            self.reserve += GRADIENT_ROOM * tensor.numel() * tensor.element_size()

    def _storage(self, tensor: torch.Tensor) -> None:
        if tensor.device.type == "meta" or tensor.layout != torch.strided:
            return
        try:
            storage = tensor.untyped_storage()
            address, size = storage.data_ptr(), storage.nbytes()
        except (RuntimeError, NotImplementedError):
            return
        if not address:
            return  # empty
        old = self._storages.get(address, 0)
        if size > old:  # a storage freed and its address reused counts as the larger one
            self._storages[address] = size
            self.held += size - old

    def _saved(self, root) -> None:
        """The tensors saved by ``root`` and by the Nodes it reaches that were not seen yet."""
        queue = [root]
        while queue:
            fn = queue.pop()
            if fn is None or fn in self._nodes:
                continue
            self._nodes.add(fn)
            for name in _saved_names(fn):
                try:
                    value = getattr(fn, name)
                except (RuntimeError, AttributeError):
                    continue  # freed by a backward pass without retain_graph
                for tensor in _tensors(value):
                    self._storage(tensor)
            variable = getattr(fn, "variable", None)  # a leaf's AccumulateGrad
            if isinstance(variable, torch.Tensor):
                self._storage(variable)
            queue.extend(child for child, _ in fn.next_functions)


def capture_bytes(capture: Capture) -> int:
    """About how many bytes an ``Exploration`` or a ``RunResult`` keeps alive: its tensors
    (results, gradients, the tensors of its backward traces) and its snapshots' values."""
    count = ProgramBudget()
    evaluation = getattr(capture, "evaluation", None)
    if evaluation is not None:
        for tensor in evaluation.tensors.values():
            count.hold(tensor, saved=False)
            if tensor.is_leaf and tensor.requires_grad:
                count.hold(tensor.grad, saved=False)
    graphs = [capture.graph] + [call.graph for call in capture.calls]
    traces = [capture.trace] + [call.trace for call in capture.calls]
    data: dict[int, TensorData] = {}
    for graph in graphs:
        for node in graph.nodes if graph is not None else ():
            _add_data(data, node.value, *(s.tensor for s in node.saved))
    for trace in traces:
        if trace is None:
            continue
        _add_data(data, trace.grad_output, *trace.leaf_grads.values())
        for step in trace.steps:
            count.hold(step.grad_output_tensors, saved=False)
            count.hold(step.grad_input_tensors, saved=False)
    for call in capture.calls:
        _add_data(data, *call.results)
    for extra in (getattr(capture, "tensors", None), getattr(capture, "final_grads", None)):
        if isinstance(extra, dict):
            _add_data(data, *extra.values())
    _add_data(data, *(c.value for c in getattr(capture, "comparisons", ())))
    return count.held + sum(d.values.nbytes for d in data.values())


class CaptureSizes:
    """:func:`capture_bytes` of each capture, computed once and forgotten with the capture; calls
    of one run re-shown share its evaluation, hence its bytes."""

    def __init__(self) -> None:
        self._cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @staticmethod
    def key(capture: Capture) -> object:
        """What holds the capture's tensors: its evaluation, or the run result itself."""
        return getattr(capture, "evaluation", capture)

    def __call__(self, capture: Capture) -> int:
        key = self.key(capture)
        try:
            size = self._cache.get(key)
            if size is None:
                size = self._cache[key] = capture_bytes(capture)
        except TypeError:  # a capture that cannot be weakly referenced: not cached
            size = capture_bytes(capture)
        return size

    def steps_kept(self, steps: list[tuple], shown: Capture | None, limit: int) -> int:
        """How many of the newest undo ``steps`` (each: the captures it holds, ``None`` for none)
        hold at most ``limit`` bytes together, the capture ``shown`` aside."""
        seen, total, kept = {id(self.key(shown))}, 0, 0
        for held in reversed(steps):
            new = {id(self.key(c)): c for c in held if c is not None}
            new = {k: c for k, c in new.items() if k not in seen}
            total += sum(self(c) for c in new.values())
            if total > limit:
                break
            seen.update(new)
            kept += 1
        return kept


def _add_data(into: dict[int, TensorData], *items: object) -> None:
    for item in items:
        if isinstance(item, TensorData) and item.values is not None:
            into[id(item)] = item


def constructor_numel(op: str, args: tuple, kwargs: dict) -> int | None:
    """How many elements a constructor call would allocate, computed from its arguments alone."""
    def size(values) -> int:
        if len(values) == 1 and isinstance(values[0], (tuple, list)):
            values = values[0]
        dims = [int(v) for v in values if isinstance(v, (int, float))]
        if any(d < 0 for d in dims):
            raise ExpressionError(f"negative size {tuple(values)}")
        return math.prod(dims)

    if op in ("randn", "rand", "zeros", "ones"):
        return size(args) if args or "size" not in kwargs else size((kwargs["size"],))
    if op == "full":
        if args:
            return size(args[:1])
        return size((kwargs["size"],)) if "size" in kwargs else None
    if op == "eye":
        n = args[0] if args else kwargs.get("n", 0)
        m = args[1] if len(args) > 1 else kwargs.get("m", n)
        return int(n) * int(m)
    if op == "linspace":
        return int(args[2]) if len(args) > 2 else int(kwargs.get("steps", 0))
    if op == "arange":
        nums = [float(a) for a in args if isinstance(a, (int, float))]
        if len(nums) == 1:
            nums = [0.0, nums[0]]
        if len(nums) < 2 and "end" in kwargs:
            nums = [float(nums[0] if nums else kwargs.get("start", 0)), float(kwargs["end"])]
        step = nums[2] if len(nums) > 2 else float(kwargs.get("step", 1))
        if len(nums) < 2 or step == 0:
            return None
        return max(0, math.ceil((nums[1] - nums[0]) / step))
    return None


def result_bound(op: str, args: tuple, kwargs: dict, tensors: list[torch.Tensor]) -> int | None:
    """An upper bound of the result's size (elements), from the arguments, where one holds; exact
    for elementwise ops (the broadcast shape), diagonals (offsets) and dtype views. ``None`` for an
    index that does more than slice, pick or mask, and for empty tensors (``(n×0) @ (0×m)`` is
    ``n×m``): only a ``meta`` call can size those."""
    sizes = [t.numel() for t in tensors]
    if not sizes:
        return 0
    if 0 in sizes:
        return None
    base = args[0] if args else None
    if op == "expand" and isinstance(base, torch.Tensor):  # a view as large as its sizes say
        return _expanded(base, args[1:], kwargs)
    if op == "index":
        index = args[1] if len(args) > 1 else ()
        parts = index if isinstance(index, tuple) else (index,)
        plain = all(p is None or p is Ellipsis or isinstance(p, (int, slice)) or (
            isinstance(p, torch.Tensor) and p.dtype == torch.bool) for p in parts)
        whole = sum(t.numel() for t in tensors_in((base,)))
        if plain:
            return whole
        picks = [p for p in parts if isinstance(p, torch.Tensor)]  # (torch refuses floats)
        if len(picks) + sum(p is None or p is Ellipsis or isinstance(p, (int, slice))
                            for p in parts) == len(parts):  # x[i], x[idx, 0]: whole rows picked
            return whole * math.prod(p.numel() for p in picks)
        return None
    if op == "diag" and isinstance(base, torch.Tensor):
        offset = args[1] if len(args) > 1 else kwargs.get("diagonal", 0)
        if base.dim() != 1 or isinstance(offset, bool) or not isinstance(offset, int):
            return sizes[0] if base.dim() == 2 else None
        return (sizes[0] + abs(offset)) ** 2
    if op == "view" and isinstance(base, torch.Tensor):
        dtypes = [a for a in (*args[1:], kwargs.get("dtype")) if isinstance(a, torch.dtype)]
        return sizes[0] * base.element_size() // dtypes[0].itemsize if dtypes else sizes[0]
    if op in ELEMENTWISE or op == "mse_loss":
        try:
            return math.prod(torch.broadcast_shapes(*(t.shape for t in tensors)))
        except RuntimeError:
            pass  # torch refuses these shapes before allocating; the bound below holds anyway
    if op in PRODUCTS and len(tensors) == 2 and tensors[0].dim() > 0:
        inner = tensors[0].shape[-1]  # (…n×k) @ (…k×m): n·k · k·m / k² (torch checks the k)
        return sizes[0] * sizes[1] // (inner * inner)
    return max(sum(sizes), math.prod(sizes))


def _expanded(base: torch.Tensor, sizes: tuple, kwargs: dict) -> int | None:
    """The elements of ``base.expand(*sizes)``, at most (-1 keeps a size: at most the largest)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = sizes or tuple(kwargs.get("size", ()))
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in sizes):
        return None
    keep = max(base.shape, default=1)
    return math.prod(keep if s == -1 else abs(s) for s in sizes)


def will_require_grad(args: tuple, kwargs: dict) -> bool:
    """Whether the result will require grad (then a backward pass makes a gradient as large)."""
    if kwargs.get("requires_grad") is True:
        return True
    return torch.is_grad_enabled() and any(
        t.requires_grad for t in tensors_in(args) + tensors_in(tuple(kwargs.values())))


def tensors_in(values: tuple) -> list[torch.Tensor]:
    """The tensors among ``values``, nested tuples included."""
    out = []
    for v in values:
        if isinstance(v, torch.Tensor):
            out.append(v)
        elif isinstance(v, tuple):
            out.extend(tensors_in(v))
    return out


def _tensors(value: object) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return []


def _saved_names(fn) -> tuple[str, ...]:
    cls = type(fn)
    names = _saved_names_cache.get(cls)
    if names is None:
        names = _saved_names_cache[cls] = tuple(  # saved_tensors: a custom Function's
            a for a in dir(fn) if a.startswith(_SAVED_PREFIX) or a == "saved_tensors")
    return names


def count_text(count: int) -> str:
    """``1,000,000`` — or ``more than 10^30`` for numbers too long to read."""
    return f"{count:,}" if count < 10**30 else "more than 10^30"


def byte_text(n: float) -> str:
    """``196.0 MB``: decimal units, one decimal."""
    if n >= 10**30:
        return "more than 10^15 PB"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000:
            return f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"
