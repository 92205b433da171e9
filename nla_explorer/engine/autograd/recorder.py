"""Forward-value recorder: while an expression runs, map every autograd Node to the value it produced.

Two torch modes cooperate. The dispatch mode sees every aten op, also those inside composite ops
(``matmul`` → ``unsqueeze``/``mm``/``squeeze``), and snapshots its output; the ``grad_fn`` of that output
is only set by autograd after the op returns, so a snapshot is resolved to its Node at the next op.
The function mode sees each top-level call and records its outputs authoritatively.
"""

from __future__ import annotations

import weakref
from contextlib import ExitStack, contextmanager

import torch
from torch.overrides import TorchFunctionMode
from torch._C import _len_torch_dispatch_stack as _len_dispatch_stack
from torch._C import _pop_torch_dispatch_stack as _pop_dispatch_mode
from torch._C import _push_on_torch_dispatch_stack as _push_dispatch_mode
from torch._ops import _len_torch_dispatch_stack_pre_dispatch as _len_pre_dispatch_stack
from torch.utils._python_dispatch import TorchDispatchMode, _disable_current_modes

from nla_explorer.engine.tensors import FULL_VALUE_LIMIT, TensorData, snapshot


def tensors_in(out) -> list[torch.Tensor]:
    """The tensors an op returned (one, or those in a tuple or list)."""
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [o for o in out if isinstance(o, torch.Tensor)]
    return []


class ForwardRecorder:
    """Context manager; afterwards ``value_of(grad_fn)`` gives the snapshot of the Node's output.

    Use it around any code: ``with ForwardRecorder() as rec: y = f(x)``; then ``capture(y, recorder=rec)``.
    """

    def __init__(self, limit: int = FULL_VALUE_LIMIT, on_call=None) -> None:
        """``on_call(func, args, kwargs, out)``: told of every top-level torch call (Run as Python
        watches comparisons with ``.grad`` and random draws through it)."""
        self.limit = limit
        self.on_call = on_call
        self.latest_sequence_nr = -1  # of the newest Node seen: where a module's ops begin
        self._values: dict[object, dict[int, TensorData]] = {}
        #: fn → ((slot, weakref to a constant, its version when read), ...)
        self._operands: dict[object, tuple] = {}
        self._pending: list[tuple[torch.Tensor, TensorData]] = []
        self._stack: ExitStack | None = None

    # -- recording -------------------------------------------------------------------------------
    def __enter__(self) -> "ForwardRecorder":
        self._stack = ExitStack()
        self._stack.enter_context(_FunctionMode(self))
        self._stack.enter_context(_DispatchMode(self))
        return self

    def __exit__(self, *exc) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None
        self.resolve_pending()

    @property
    def active(self) -> bool:
        """Is it recording now (inside its ``with``)?"""
        return self._stack is not None

    def resolve_pending(self) -> None:
        """Attach snapshots whose tensors now have a ``grad_fn`` (set after their op returned)."""
        if not self._pending:  # (called before every op: most often there is nothing)
            return
        pending, self._pending = self._pending, []
        values = self._values
        latest = self.latest_sequence_nr
        for tensor, data in pending:
            fn = tensor.grad_fn
            if fn is not None:
                outputs = values.get(fn)
                if outputs is None:
                    values[fn] = {tensor.output_nr: data}
                else:
                    outputs.setdefault(tensor.output_nr, data)
                number = fn._sequence_nr()
                if number > latest:
                    latest = number
        self.latest_sequence_nr = latest

    def record(self, tensor: torch.Tensor, data: TensorData | None = None) -> None:
        """Record ``tensor`` as the authoritative value of its ``grad_fn`` output."""
        fn = tensor.grad_fn
        if fn is not None:
            self._values.setdefault(fn, {})[tensor.output_nr] = data or snapshot(tensor, self.limit)
            self._seen(fn)

    def _seen(self, fn) -> None:
        number = fn._sequence_nr()
        if number > self.latest_sequence_nr:
            self.latest_sequence_nr = number

    def sequence_mark(self) -> int:
        """A number below every Node made from now on (and above those seen so far)."""
        self.resolve_pending()
        return self.latest_sequence_nr + 1

    def stage(self, tensor: torch.Tensor) -> None:
        """Snapshot ``tensor`` now; attach it to its ``grad_fn`` once autograd has set one."""
        self._pending.append((tensor, snapshot(tensor, self.limit)))

    def note_operands(self, fn, args: tuple) -> None:
        """The constants a binary op read, by input slot (nothing of ``y`` in ``A @ x - y`` is
        kept by torch): their names, not "const", label the op's step card, and the graph draws
        them as constants. Each with its version then: one changed in place since is not what
        the op read."""
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        nexts = fn.next_functions
        if len(tensors) == len(nexts):
            consts = tuple((slot, weakref.ref(t), version_of(t)) for slot, t in enumerate(tensors)
                           if nexts[slot][0] is None and not t.requires_grad)
            if consts:
                self._operands[fn] = consts

    # -- reading ---------------------------------------------------------------------------------
    def value_of(self, fn, output_nr: int = 0) -> TensorData | None:
        values = self._values.get(fn)
        return None if values is None else values.get(output_nr)

    def operand_table(self):
        """``fn`` → its constant inputs as ((slot, weak reference, version), ...), or None."""
        return self._operands.get

    def value_table(self):
        """What :meth:`value_of` reads: ``fn`` → its outputs' snapshots by output number, or
        None (for a caller asking of 75,000 Nodes; the table is not to be changed)."""
        return self._values.get

    @contextmanager
    def paused(self):
        """Nothing is recorded inside (the engine's own work: capture, snapshots, checks), and
        torch runs it without the modes' overhead."""
        self.resolve_pending()
        with _disable_current_modes(), torch._C.DisableTorchFunction():
            yield

    def forget(self, fns) -> None:
        """Drop the values of these Nodes (a long training loop would otherwise keep every
        iteration's graph alive: the map holds its Nodes)."""
        for fn in fns:
            self._values.pop(fn, None)
            self._operands.pop(fn, None)

    def __len__(self) -> int:
        return len(self._values)


def version_of(tensor: torch.Tensor) -> int | None:
    """How often ``tensor`` was changed in place; None for an inference tensor (it keeps no
    count)."""
    return None if tensor.is_inference() else tensor._version


_T = torch._C.TensorBase
#: Calls whose tensor arguments are their Node's inputs in order (``a - b``: slot 0 is a).
_IN_ORDER = frozenset({
    _T.add, _T.sub, _T.mul, _T.div, _T.matmul, _T.mm, _T.mv, _T.dot, torch.add, torch.sub,
    torch.mul, torch.div, torch.matmul, torch.mm, torch.mv, torch.dot,
    torch.nn.functional.mse_loss})


class _FunctionMode(TorchFunctionMode):
    def __init__(self, recorder: ForwardRecorder) -> None:
        super().__init__()
        self.recorder = recorder

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if kwargs is None:
            kwargs = {}
        recorder = self.recorder
        if func in _WITHOUT_DISPATCH_MODE or not _builds_graph(args, kwargs):
            with _DispatchModesOff():
                out = func(*args, **kwargs)
        else:
            out = func(*args, **kwargs)
        recorder.resolve_pending()
        made = [t for t in tensors_in(out) if t.grad_fn is not None]
        if made:
            # The recorder's own work (snapshots detach and copy) is no op of the program's:
            # the dispatch mode need not see it.
            with _DispatchModesOff():
                for t in made:
                    recorder.record(t)
        if len(made) == 1 and func in _IN_ORDER:
            recorder.note_operands(made[0].grad_fn, args)
        if recorder.on_call is not None:
            recorder.on_call(func, args, kwargs, out)
        return out


class _DispatchModesOff:
    """``_disable_current_modes()``, without its cost in the usual case (the recorder's mode is
    the only one): a context manager per torch call of the program adds up."""

    __slots__ = ("_mode", "_general")

    def __enter__(self) -> None:
        if _len_dispatch_stack() == 1 and _len_pre_dispatch_stack() == 0:
            self._mode, self._general = _pop_dispatch_mode(None), None
        else:
            self._mode, self._general = None, _disable_current_modes()
            self._general.__enter__()

    def __exit__(self, *exc) -> None:
        if self._general is not None:
            self._general.__exit__(*exc)
        else:
            _push_dispatch_mode(self._mode)


class _DispatchMode(TorchDispatchMode):
    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # torch (2.9+) wraps __torch_dispatch__ in torch._disable_dynamo, whose first call imports
        # torch._dynamo (~1 s); nothing here is ever compiled. This is torch's documented opt-out.
        return False

    def __init__(self, recorder: ForwardRecorder) -> None:
        super().__init__()
        self.recorder = recorder

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        # The previous op's autograd wrapper has returned by now: its outputs carry their grad_fn.
        recorder = self.recorder
        recorder.resolve_pending()
        out = func(*args, **(kwargs or {}))
        packet = func.overloadpacket
        if packet is _DETACH or packet is _LIFT_FRESH or packet is _ALIAS:
            return out
        if type(out) is torch.Tensor:
            if (out.dtype.is_floating_point or out.dtype.is_complex) and not out.is_meta:
                recorder.stage(out)
            return out
        for t in tensors_in(out):
            if (t.dtype.is_floating_point or t.dtype.is_complex) and not t.is_meta:
                recorder.stage(t)
        return out


_DETACH, _LIFT_FRESH, _ALIAS = torch.ops.aten.detach, torch.ops.aten.lift_fresh, torch.ops.aten.alias


def _builds_graph(args: tuple, kwargs: dict | None) -> bool:
    """Whether a call can make autograd Nodes (a tensor argument requires grad)."""
    if not torch.is_grad_enabled():
        return False
    stack = [*args, *(kwargs or {}).values()]
    while stack:
        value = stack.pop()
        if isinstance(value, torch.Tensor):
            if value.requires_grad:
                return True
        elif isinstance(value, (tuple, list)):
            stack.extend(value)
    return False


#: A call that builds no graph runs outside the dispatch mode too: there is no Node to give a value,
#: and some ops take another path while a dispatch mode is active (``max_pool1d`` of a constant
#: returns a view instead of a new tensor, which changes what a later in-place update records).
#: Ops that build another graph while a dispatch mode is active (``reshape`` makes a ViewBackward0
#: instead of torch's ReshapeAliasBackward0): run outside it, so the graph is exactly torch's. Found
#: by the differential test against plain Python (tests/test_differential.py).
_WITHOUT_DISPATCH_MODE = {torch.reshape, torch.Tensor.reshape, torch.Tensor.reshape_as,
                          torch.flatten, torch.Tensor.flatten}
