"""Evaluate an :class:`Expression`: run each block's whitelisted torch call, in Python's order.

Blocks run in the order CPython runs the code form (:mod:`evaluation_order`), backward calls included
(:mod:`backward_calls`), so sequence numbers, step order, random draws and errors are torch's.

Sizes are checked from the result before anything is allocated: constructors from their arguments
and a call on torch's ``meta`` device; ops from a bound on the result that takes every argument
into account (broadcast shapes, products, diagonal offsets, dtype views) or, when that bound is not
small, on ``meta`` tensors with all their arguments; ``out=`` is refused. A :class:`ProgramBudget`
adds up the bytes the program holds and refuses the block that would pass it. Every failure,
whatever torch raised, names the block, its line and the shapes involved.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nla_explorer.engine.autograd.backward_calls import BackwardCall, run_backward_call
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.code.calc import calc_value
from nla_explorer.engine.code.function_calls import run_derivative, run_shown
from nla_explorer.engine.code.functions import RESULTS, Function
from nla_explorer.engine.code.grad_flags import END
from nla_explorer.engine.code.order import check_connected, ordered, ordered_in_rounds
from nla_explorer.engine.autograd.gc_pause import paused_gc
from nla_explorer.engine.expression import Block, Calc, DType, Expression, Ref, Slice, Var
from nla_explorer.engine.ops import AUTOGRAD_CALLS, CATALOGUE, DTYPES, callable_for
from nla_explorer.engine.autograd.recorder import ForwardRecorder
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT, values_budget
from nla_explorer.engine.code.budget import (
    GRADIENT_ROOM, MAX_PROGRAM_BYTES, ProgramBudget, byte_text, constructor_numel, count_text,
    result_bound, tensors_in, will_require_grad,
)
from nla_explorer.engine.code.shape_messages import describe_call, failure, raised, shape_text

#: The largest tensor an expression may create (elements): 50 M, 200 MB in float32.
MAX_ELEMENTS = 50_000_000
#: The most dimensions a tensor may have (numpy, which holds the snapshots, stops at 32 or 64).
MAX_DIMS = 32
#: Results bounded by this many elements are sized from their arguments, without a ``meta`` call
#: (torch's first one imports its compiler: ~1 s).
_SMALL = 1_000_000

__all__ = ["Evaluation", "MAX_DIMS", "MAX_ELEMENTS", "MAX_PROGRAM_BYTES", "check_connected",
           "constructor_numel", "evaluate", "ordered", "ordered_in_rounds"]


@dataclass(frozen=True, eq=False)
class Evaluation:
    """The tensors of an evaluated expression (by block id) and the recorder that watched it."""

    expression: Expression
    tensors: dict[str, torch.Tensor]
    recorder: ForwardRecorder
    output_id: str
    #: The program's own backward calls, in the order they ran.
    backward_calls: tuple[BackwardCall, ...] = ()
    #: Random numbers were drawn before any ``torch.manual_seed``: each evaluation draws new ones.
    unseeded: bool = False

    @property
    def output(self) -> torch.Tensor:
        return self.tensors[self.output_id]

    @property
    def output_name(self) -> str | None:
        return self.expression.block(self.output_id).name

    def names(self) -> dict[str, torch.Tensor]:
        """Variable name → tensor, for naming graph nodes."""
        return {b.name: self.tensors[b.id] for b in self.expression.blocks
                if b.name and b.id in self.tensors}

    def final_grads(self) -> dict[str, torch.Tensor | None]:
        """``.grad`` of every named leaf that requires grad, after the whole program (``None``
        where no backward call reached it, as in torch)."""
        return {name: t.grad for name, t in self.names().items()
                if t.is_leaf and t.requires_grad}


def evaluate(expression: Expression, inputs: dict[str, torch.Tensor] | None = None,
             max_elements: int = MAX_ELEMENTS, value_limit: int = FULL_VALUE_LIMIT,
             backward: bool = True, max_bytes: int = MAX_PROGRAM_BYTES) -> Evaluation:
    """Run ``expression``; ``inputs`` supplies the tensors of its ``input`` blocks. Recorded
    values of tensors up to ``value_limit`` elements are kept whole (within the snapshots'
    :func:`values_budget`). ``backward=False`` runs the forward blocks only (finite differences
    re-run the forward pass alone). No tensor may pass ``max_elements``, nor the program's tensors
    ``max_bytes`` in all."""
    out_block = expression.output_block()
    if out_block is None:
        raise ExpressionError("the code builds no tensor")
    check_connected(expression)
    runner = _Runner(expression, inputs or {}, max_elements, value_limit, max_bytes)
    blocks = ordered(expression)
    if not backward:
        blocks = [b for b in blocks if b.op not in AUTOGRAD_CALLS]
    # the grad mode the program found is its own again after it, whatever its with blocks did
    with paused_gc(), values_budget(), torch.set_grad_enabled(torch.is_grad_enabled()):
        start = 0
        while start < len(blocks):  # forward runs under the recorder, backward calls outside it
            end = next((i for i in range(start, len(blocks)) if blocks[i].op in AUTOGRAD_CALLS),
                       len(blocks))
            with runner.recorder:
                for block in blocks[start:end]:
                    runner.run(block)
            if end < len(blocks):
                runner.run(blocks[end])
            start = end + 1
        if backward and expression.backward_line is not None:  # "f.backward()" ends the program
            # It is the program's last statement, so keeping the graph changes nothing the program
            # sees, and the window can still trace, check and re-run it.
            runner.run(Block("backward", "backward", (Ref(out_block.id),),
                             (("retain_graph", True),), form=".backward",
                             line=expression.backward_line, text=expression.backward_text))
    if out_block.id not in runner.tensors:
        raise ExpressionError("the output makes no tensor", out_block.line, out_block.name)
    return Evaluation(expression, runner.tensors, runner.recorder, out_block.id,
                      tuple(runner.calls), runner.unseeded)


class _Runner:
    def __init__(self, expression: Expression, inputs: dict, max_elements: int,
                 value_limit: int, max_bytes: int) -> None:
        self.numbers = expression.number_dict
        self.inputs = inputs
        self.max_elements = max_elements
        self.budget = ProgramBudget(max_bytes)
        self.tensors: dict[str, torch.Tensor] = {}
        self.values: dict[str, object] = {}  # every block's result, tensors or not
        self.bound: dict[str, torch.Tensor] = {}  # variable name → the tensor it holds now
        self.generator = torch.Generator()
        self.seeded = False
        self.unseeded = False
        self.calls: list[BackwardCall] = []
        self.value_limit = value_limit
        self.recorder = ForwardRecorder(value_limit)
        self.grad_modes: list[bool] = []  # the modes the with blocks entered put back

    def run(self, block: Block) -> None:
        spec = CATALOGUE.get(block.op)
        if block.op == "input":
            self._input(block)
            return
        if spec is None:
            raise ExpressionError(f"unknown block kind '{block.op}'", block.line,
                                  block.name or block.id)
        if any(key == "out" for key, _ in block.kwargs):
            raise ExpressionError("out= is not supported: assign the result to a variable instead",
                                  block.line, block.name or block.id)
        args = tuple(self._value(a, block) for a in block.args)
        kwargs = {k: self._value(v, block) for k, v in block.kwargs}
        if block.op == "manual_seed":
            self._seed(block, args, kwargs)
            return
        if block.op == "grad_mode":  # with torch.no_grad(): in, then back to the mode before
            if block.form == END:
                torch.set_grad_enabled(self.grad_modes.pop())
            else:
                self.grad_modes.append(torch.is_grad_enabled())
                torch.set_grad_enabled(args[0])
            return
        form = block.form or spec.forms[0]
        fn = callable_for(form)
        with torch._C.DisableTorchFunction():  # the engine's own work: not the program's calls
            what = self._check_size(block, spec, form, fn, args, kwargs)
        if spec.random:
            if not self.seeded:  # as in a notebook: no seed, new numbers each time
                self.generator.seed()
                self.seeded = self.unseeded = True
            kwargs["generator"] = self.generator
        calls = len(self.calls)
        try:
            if block.op in RESULTS:  # the code's function runs inside torch: outside the recorder
                with self.recorder.paused():
                    out = run_derivative(block, form, args, kwargs, self.max_elements)
            elif form == "shows:value":  # what a print computes: run for its errors, dropped
                with self.recorder.paused():
                    out = run_shown(block, args, kwargs, self.max_elements, self._culprit(block))
            elif block.op in AUTOGRAD_CALLS:
                out = self._backward_call(block, form, fn, args, kwargs)
            else:
                out = fn(*args, **kwargs)
        except (MemoryError, ExpressionError):
            raise  # the caller reports "out of memory" and keeps the last good state
        except Exception as exc:  # noqa: BLE001 - whatever torch raises on these arguments
            raise failure(block, form, args, kwargs, exc,
                          block.name or self._culprit(block)) from None
        with torch._C.DisableTorchFunction():
            self._hold(block, out, what, len(self.calls) > calls)
        self.values[block.id] = out
        if spec.any_result and not isinstance(out, torch.Tensor):
            return
        if not isinstance(out, torch.Tensor):
            raise ExpressionError(f"{block.op} gives a {type(out).__name__}, not a tensor",
                                  block.line, block.name or block.id)
        if out.dim() > MAX_DIMS:
            raise ExpressionError(f"{block.op} gives a tensor of {out.dim()} dimensions; at most "
                                  f"{MAX_DIMS} are supported", block.line, block.name or block.id)
        self.recorder.record(out)
        self.tensors[block.id] = out
        if block.name:
            self.bound[block.name] = out

    def _culprit(self, block: Block) -> str:
        """The name of the tensor a failed call was about (``f`` of ``f.backward()``), else the id."""
        first = next(iter(block.inputs), None)
        names = {id(t): n for n, t in self.bound.items()}
        tensor = self.tensors.get(first) if first else None
        return names.get(id(tensor), block.id) if tensor is not None else block.id

    def _backward_call(self, block: Block, form: str, fn, args: tuple, kwargs: dict) -> object:
        self.recorder.resolve_pending()
        culprit = self._culprit(block)
        named = culprit in self.bound
        what = culprit if named else "…"
        # code: the call's line, as Run as Python names it; blocks: a form made of the names
        label = block.text or (f"torch.autograd.backward({what}, …)"
                               if block.form == "torch.autograd.backward" else
                               f"{what}.backward()" if block.op == "backward" else
                               f"grad({what}, …)")
        out, call = run_backward_call(block.op, form, fn, args, kwargs, names=dict(self.bound),
                                      recorder=self.recorder, limit=self.value_limit,
                                      line=block.line, block_id=block.id, label=label,
                                      output_name=culprit if named else None)
        if call is not None:
            self.calls.append(call)
        return out

    def _input(self, block: Block) -> None:
        name = block.args[0]
        if name not in self.inputs:
            raise ExpressionError(f"the input '{name}' was not given", block.line, name)
        self.tensors[block.id] = self.values[block.id] = self.inputs[name]
        self.bound[name] = self.inputs[name]

    def _seed(self, block: Block, args: tuple, kwargs: dict) -> None:
        """``torch.manual_seed(seed)`` as torch takes it (``int(seed)``), with Python's errors."""
        try:
            self.generator.manual_seed(_manual_seed(*args, **kwargs))
        except (TypeError, ValueError, OverflowError, RuntimeError, AttributeError) as exc:
            raise ExpressionError(f"torch.manual_seed: {raised(exc)}", block.line, "manual_seed",
                                  type(exc).__name__) from None
        self.seeded = True

    def _value(self, arg: object, block: Block) -> object:
        if isinstance(arg, Ref):
            if arg.block not in self.values:
                raise ExpressionError(f"block {arg.block} has no tensor", block.line, block.id)
            return self.values[arg.block]
        if isinstance(arg, (Var, Calc)):
            try:
                return calc_value(arg, self.numbers)
            except ValueError as exc:
                culprit = arg.name if isinstance(arg, Var) else block.id
                raise ExpressionError(str(exc), block.line, culprit) from None
        if isinstance(arg, DType):
            if arg.name not in DTYPES:
                raise ExpressionError(f"unknown dtype '{arg.name}'", block.line, arg.name)
            return DTYPES[arg.name]
        if isinstance(arg, Slice):
            return slice(*(self._value(p, block) for p in (arg.start, arg.stop, arg.step)))
        if isinstance(arg, Function):
            return arg  # a derivative's function: run by run_derivative
        if isinstance(arg, tuple):
            return tuple(self._value(a, block) for a in arg)
        return arg

    # -- size checks before allocating ------------------------------------------------------------
    def _check_size(self, block: Block, spec, form: str, fn, args: tuple, kwargs: dict) -> str:
        """Refuse the block if its result is too large or would take the program past its
        budget (with room for the result's gradient); how the call reads in messages."""
        new_bytes = 0
        if spec.constructor:
            new_bytes = self._check_constructor(block, form, fn, args, kwargs)
        elif not spec.statement:
            new_bytes = self._check_meta(block, form, fn, args, kwargs)
        if will_require_grad(args, kwargs):
            new_bytes *= 1 + GRADIENT_ROOM  # and room for its gradients
        what = describe_call(block, args)
        self.budget.check(new_bytes, what, block.line, block.name or block.id)
        return what

    def _check_constructor(self, block: Block, form: str, fn, args: tuple, kwargs: dict) -> int:
        """Sizes from the arguments, then exactly from a shape-only (``meta``) call: the bytes."""
        what = describe_call(block, args)
        try:
            count = constructor_numel(block.op, args, kwargs)
        except (TypeError, ValueError, OverflowError):
            count = None  # arguments torch refuses itself, naming them
        if count is not None:
            self._check_count(block, count, what)
        if block.op == "tensor":
            return 0  # its values are written in the code: already in memory
        meta_kwargs = {**kwargs, "device": "meta"}
        meta_kwargs.pop("generator", None)
        try:
            with self.recorder.paused(), torch.no_grad():
                out = fn(*args, **meta_kwargs)
        except TypeError:  # arguments torch's parser refuses: the real call says which
            return 8 * (count or 0)
        except Exception as exc:  # noqa: BLE001 - the size could not be checked: no real call
            if count is None:
                raise failure(block, form, args, kwargs, exc, block.name or block.id) from None
            return 8 * count
        if not isinstance(out, torch.Tensor):
            return 0
        self._check_count(block, out.numel(), what)
        return out.numel() * out.element_size()

    def _check_meta(self, block: Block, form: str, fn, args: tuple, kwargs: dict) -> int:
        """Size the result before allocating it; the bytes it will add (none for a view).

        Results that an exact or upper bound from the arguments (:func:`result_bound`) keeps small
        are not run on ``meta``; the others run there on shapes only, every argument kept. Where
        the op has no shape-only version, the real call runs only if its result is bounded.
        """
        tensors = tensors_in(args) + tensors_in(tuple(kwargs.values()))
        bound = result_bound(block.op, args, kwargs, tensors)
        dtypes = [v for v in (*args, *kwargs.values()) if isinstance(v, torch.dtype)]
        item = max([4, *(t.element_size() for t in tensors), *(d.itemsize for d in dtypes)])
        if bound is not None and bound <= _SMALL:
            return bound * item
        meta_args = tuple(_to_meta(a) for a in args)
        meta_kwargs = {k: _to_meta(v) for k, v in kwargs.items()}
        try:
            with self.recorder.paused(), torch.no_grad():
                out = fn(*meta_args, **meta_kwargs)
        except Exception as exc:  # noqa: BLE001 - whatever torch raises on these arguments
            if bound is not None and bound <= self.max_elements:
                return bound * item  # the real call runs: torch says what is wrong
            text = str(exc).lower()
            if isinstance(exc, NotImplementedError) or "meta" in text or "data-dependent" in text:
                raise ExpressionError(f"{describe_call(block, args)} — its size cannot be checked "
                                      "before it runs", block.line, block.name or block.id) from None
            raise failure(block, form, args, kwargs, exc, block.name or block.id) from None
        inputs = {id(t) for t in tensors_in(meta_args) + tensors_in(tuple(meta_kwargs.values()))}
        new_bytes = 0
        for t in tensors_in(out if isinstance(out, tuple) else (out,)):
            self._check_count(block, t.numel(), f"{block.op} → {shape_text(tuple(t.shape))}")
            if id(t) not in inputs and not t._is_view():
                new_bytes += t.numel() * t.element_size()
        return new_bytes

    def _check_count(self, block: Block, count: int, what: str) -> None:
        if count > self.max_elements:
            raise ExpressionError(
                f"{what} would hold {count_text(count)} elements ({byte_text(count * 4)} in "
                f"float32); the limit is {self.max_elements:,}", block.line, block.name or block.id)

    # -- what the program holds -------------------------------------------------------------------
    def _hold(self, block: Block, out: object, what: str, called: bool) -> None:
        """Count ``out`` (and, after a backward call, the gradients and the trace it made) in the
        program's budget; refuse the block if that took the program past it."""
        for t in tensors_in(out if isinstance(out, tuple) else (out,)):
            self._check_count(block, t.numel(), f"{block.op} → {shape_text(tuple(t.shape))}")
        self.budget.hold(out)
        if isinstance(out, torch.Tensor):
            self.budget.reserve_grad(out)
        if block.op in AUTOGRAD_CALLS:
            self.budget.hold([t.grad for t in self.tensors.values()
                              if t.is_leaf and t.requires_grad], saved=False)
        if called:
            for step in self.calls[-1].trace.steps:
                self.budget.hold((step.grad_output_tensors, step.grad_input_tensors))
        self.budget.check_held(what, block.line, block.name or block.id)


def _manual_seed(seed):
    """torch.manual_seed's argument as torch reads it (``int(seed)``)."""
    return int(seed)


_manual_seed.__qualname__ = "manual_seed"  # Python's messages name torch's function


def _to_meta(value: object) -> object:
    if isinstance(value, torch.Tensor):
        return torch.empty(value.shape, dtype=value.dtype, device="meta")
    if isinstance(value, tuple):
        return tuple(_to_meta(v) for v in value)
    return value
