"""Inside a Python run: Jacobians and Hessians of whole functions, remembered as named results.

``torch.autograd.functional.jacobian``/``hessian`` and ``torch.func.jacrev``/``jacfwd``/``hessian``
are wrapped while the program runs: each call runs outside the forward recorder and the backward
hooks (its inner ``autograd.grad`` calls are torch's, not the program's backward calls, and
torch.func's wrapped tensors have no values to snapshot), and its result is remembered with the
function's text and its input. After the run the results are named by the program's variables.
"""

from __future__ import annotations

import ast
import sys
from contextlib import contextmanager

import torch
import torch.autograd.functional as autograd_functional
import torch.func as torch_func

from nla_explorer.engine.derivatives import HESSIAN, JACOBIAN, Derivative
from nla_explorer.engine.runner.watch import program_frame
from nla_explorer.engine.tensors import snapshot

_FUNCTIONAL = (("jacobian", JACOBIAN), ("hessian", HESSIAN))
_TRANSFORMS = (("jacrev", JACOBIAN), ("jacfwd", JACOBIAN), ("hessian", HESSIAN))


class DerivativeWatch:
    """Wraps the derivative calls of one run; :meth:`results` names what they returned."""

    def __init__(self, recorder, line_text) -> None:
        self.recorder, self.line_text = recorder, line_text
        self._calls: list[tuple[str, str, str, object, object, int | None]] = []
        self._undo: list = []

    def install(self) -> None:
        """Before the backward hooks: the entry points saved here are torch's own."""
        plain = (torch.autograd.grad, torch.autograd.backward, torch.Tensor.backward)
        for name, kind in _FUNCTIONAL:
            self._patch(autograd_functional, name, self._functional(
                getattr(autograd_functional, name), kind, f"torch.autograd.functional.{name}",
                plain))
        for name, kind in _TRANSFORMS:
            self._patch(torch_func, name, self._transform(
                getattr(torch_func, name), kind, f"torch.func.{name}", plain))

    def uninstall(self) -> None:
        for module, name, original in reversed(self._undo):
            setattr(module, name, original)
        self._undo = []

    def _patch(self, module, name: str, wrapper) -> None:
        original = getattr(module, name)
        wrapper.__name__, wrapper.__qualname__ = original.__name__, original.__qualname__
        wrapper.__doc__ = original.__doc__
        self._undo.append((module, name, original))
        setattr(module, name, wrapper)

    @contextmanager
    def _plain(self, plain):
        """torch's own backward entry points and no recorder: the call is torch's business."""
        hooked = (torch.autograd.grad, torch.autograd.backward, torch.Tensor.backward)
        torch.autograd.grad, torch.autograd.backward, torch.Tensor.backward = plain
        try:
            with self.recorder.paused():
                yield
        finally:
            torch.autograd.grad, torch.autograd.backward, torch.Tensor.backward = hooked

    def _functional(self, original, kind: str, call: str, plain):
        watch = self

        def derivative(func, inputs, *args, **kwargs):
            with watch._plain(plain):
                out = original(func, inputs, *args, **kwargs)
            watch._remember(kind, call, func, inputs, out)
            return out
        return derivative

    def _transform(self, original, kind: str, call: str, plain):
        watch = self

        def transform(func, *targs, **tkwargs):
            inner = original(func, *targs, **tkwargs)

            def applied(*args, **kwargs):
                with watch._plain(plain):
                    out = inner(*args, **kwargs)
                watch._remember(kind, call, func, args[0] if args else None, out)
                return out
            return applied
        return transform

    def _remember(self, kind: str, call: str, func, inputs, out) -> None:
        frame = program_frame(sys._getframe(2))  # noqa: SLF001 - the program's line
        line = frame.f_lineno if frame is not None else None
        self._calls.append((kind, call, (func, self.line_text(line)), inputs, out, line))

    def results(self, namespace: dict, limit: int) -> tuple[Derivative, ...]:
        """Each remembered tensor result that a variable of the program holds, by that name."""
        names = {id(v): k for k, v in namespace.items()
                 if isinstance(v, torch.Tensor) and not k.startswith("_")}
        out = []
        for kind, call, (func, line_text), inputs, value, line in self._calls:
            if not isinstance(value, torch.Tensor) or id(value) not in names:
                continue
            text = next((k for k, v in namespace.items() if v is func and not k.startswith("_")),
                        None) or _function_text(func, line_text)
            shape = tuple(inputs.shape) if isinstance(inputs, torch.Tensor) else ()
            out.append(Derivative(names[id(value)], kind, call, text, names.get(id(inputs)),
                                  shape, snapshot(value.detach(), limit), line))
        return tuple(out)


def _function_text(func, line: str) -> str:
    """A lambda's text as the program wrote it on its line, else the function's name (a function
    the program holds in a variable is named by that variable, as the safe interpreter does)."""
    name = getattr(func, "__name__", type(func).__name__)
    if name != "<lambda>":
        return name
    try:
        tree = ast.parse(line.strip().rstrip("…"))
    except SyntaxError:
        return "lambda"
    found = next((n for n in ast.walk(tree) if isinstance(n, ast.Lambda)), None)
    return ast.unparse(found) if found is not None else "lambda"
