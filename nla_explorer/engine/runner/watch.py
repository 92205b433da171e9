"""Inside a Python run: the hooks that watch the program (backward calls, modules, own Functions).

:class:`Watch` patches torch's three backward entry points so each call runs through
:func:`run_backward_call` (torch's own function with the program's arguments, its graph captured
first and every step recorded), tags each op Node with the ``nn.Module`` that made it (global
module hooks), and remembers the inputs of each ``autograd.Function`` the program applies so that
the student's own ``backward`` can be checked by finite differences. Everything is undone by
:meth:`Watch.uninstall`. The module tags are :class:`ModuleTags`, shared with ``recording()``.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext

import torch

from nla_explorer.engine.autograd.backward_calls import (
    BackwardCall, call_arguments, run_backward_call,
)
from nla_explorer.engine.autograd.module_tags import ModuleLookup, ModuleTags
from nla_explorer.engine.autograd.recorder import ForwardRecorder
from nla_explorer.engine.autograd.walk import autograd_nodes, node_ids, output_node
from nla_explorer.engine.runner.calls_kept import CallsKept
from nla_explorer.engine.runner.function_check import check_function

PROGRAM = "<program>"  # the file name the cells are compiled with
#: Inputs of an applied ``autograd.Function`` are kept for its check up to this many elements.
CHECK_INPUT_LIMIT = 10_000


def program_frame(frame):
    while frame is not None and frame.f_code.co_filename != PROGRAM:
        frame = frame.f_back
    return frame


class Watch:
    """The hooks of one run; ``names_at(frame)`` gives the program's names at a point."""

    def __init__(self, recorder: ForwardRecorder, kept: CallsKept, limit: int,
                 names_at, line_text, models_now) -> None:
        self.recorder, self.kept, self.limit = recorder, kept, limit
        self.names_at, self.line_text, self.models_now = names_at, line_text, models_now
        self.tags = ModuleTags(recorder)  # grad_fn → the module invocations that made it
        self.lookup = ModuleLookup(self.tags, {})  # the tags by module path: refresh_modules()
        self._applied: dict[object, tuple] = {}  # grad_fn → (Function class, input copies)
        self._depth = 0
        self._undo: list = []

    # -- install / uninstall ---------------------------------------------------------------------
    def install(self) -> None:
        tensor_backward = torch.Tensor.backward
        autograd_backward = torch.autograd.backward
        autograd_grad = torch.autograd.grad
        apply = torch.autograd.Function.__dict__["apply"]
        watch = self

        def backward(self, *args, **kwargs):
            return watch.call("backward", ".backward", tensor_backward, (self, *args), kwargs)

        def functional_backward(*args, **kwargs):
            return watch.call("backward", "torch.autograd.backward", autograd_backward, args,
                              kwargs)

        def grad(*args, **kwargs):
            return watch.call("grad", "torch.autograd.grad", autograd_grad, args, kwargs)

        def applied(cls, *args, **kwargs):
            out = apply.__func__(cls, *args, **kwargs)
            watch.remember_application(cls, args, out)
            return out

        for wrapper, original in ((backward, tensor_backward),
                                  (functional_backward, autograd_backward),
                                  (grad, autograd_grad), (applied, apply.__func__)):
            wrapper.__name__, wrapper.__qualname__ = original.__name__, original.__qualname__
            wrapper.__doc__ = original.__doc__
        torch.Tensor.backward = backward
        torch.autograd.backward = functional_backward
        torch.autograd.grad = grad
        torch.autograd.Function.apply = classmethod(applied)
        self.tags.install()
        self._undo = [self.tags.uninstall, lambda: self._restore(
            tensor_backward, autograd_backward, autograd_grad, apply)]

    @staticmethod
    def _restore(tensor_backward, autograd_backward, autograd_grad, apply) -> None:
        torch.Tensor.backward = tensor_backward
        torch.autograd.backward = autograd_backward
        torch.autograd.grad = autograd_grad
        torch.autograd.Function.apply = apply

    def uninstall(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo = []

    # -- modules ---------------------------------------------------------------------------------
    def refresh_modules(self) -> None:
        """Read the program's modules (and their paths) as they are now."""
        self.lookup = ModuleLookup(self.tags, self.models_now())

    # -- the student's own Functions -------------------------------------------------------------
    def remember_application(self, cls, args: tuple, out) -> None:
        outs = out if isinstance(out, tuple) else (out,)
        for o in outs:  # torch's function mode does not see apply(): record its value here
            if isinstance(o, torch.Tensor) and o.grad_fn is not None:
                self.recorder.record(o)
        fn = next((o.grad_fn for o in outs if isinstance(o, torch.Tensor)
                   and o.grad_fn is not None), None)
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        if fn is None or sum(t.numel() for t in tensors) > CHECK_INPUT_LIMIT:
            return
        copies = tuple(a.detach().clone() if isinstance(a, torch.Tensor) else a for a in args)
        self._applied[fn] = (cls, copies, [a.requires_grad if isinstance(a, torch.Tensor)
                                           else False for a in args])

    # -- backward calls --------------------------------------------------------------------------
    def call(self, kind: str, form: str, original, args: tuple, kwargs: dict):
        if self._depth:  # Tensor.backward calls torch.autograd.backward: record it once
            return original(*args, **kwargs)
        self._depth += 1
        # the engine's own capture and snapshots are not the program's: nothing to record there
        # (a graph made by create_graph=True is the program's, and its values are recorded)
        creates = bool(call_arguments(kind, form, args, kwargs).get("create_graph"))
        try:
            with nullcontext() if creates else self.recorder.paused():
                return self._recorded(kind, form, original, args, kwargs)
        finally:
            self._depth -= 1

    def _recorded(self, kind: str, form: str, original, args: tuple, kwargs: dict):
        frame = program_frame(sys._getframe(2))  # noqa: SLF001 - the program's frame, for names
        line = frame.f_lineno if frame is not None else None
        names = self.names_at(frame)
        self.refresh_modules()
        first = args[0] if args else kwargs.get("tensors" if kind == "backward" else "outputs")
        first = first[0] if isinstance(first, (tuple, list)) and first else first
        output_name = next((n for n, v in names.items() if v is first), None)
        root = output_node(first) if isinstance(first, torch.Tensor) else None
        fns = autograd_nodes(root) if root is not None else []
        number = self.kept.next_number()
        returned, record = run_backward_call(
            kind, form, original, args, kwargs, names=names, recorder=self.recorder,
            limit=self.limit, line=line, block_id=f"call{number}",
            label=self.line_text(line) or f"{kind} call {number}", output_name=output_name,
            module_of=self.lookup, jacobians=self.kept.would_keep(number))
        if record is not None:
            self.kept.offer(number, record, self._checks(record, fns))
        bound = call_arguments(kind, form, args, kwargs)
        retained = bound.get("retain_graph") or bound.get("create_graph")
        if fns and not retained:  # a training loop would otherwise keep every iteration's graph
            self.recorder.forget(fns)
            self.tags.forget(fns)
            for fn in fns:
                self._applied.pop(fn, None)
        return returned

    def _checks(self, record: BackwardCall, fns: list) -> tuple:
        applied = [fn for fn in fns if fn in self._applied]
        if not applied:
            return ()
        ids = node_ids(fns)
        checks = []
        for fn in applied:
            step = record.trace.step_of(ids[fn])
            if step is None:
                continue
            cls, inputs, wanted = self._applied[fn]
            checks += check_function(cls, inputs, wanted, step, ids[fn])
        return tuple(checks)
