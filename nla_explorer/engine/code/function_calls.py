"""Run a derivative block: the code's function, made callable from its blocks, given to torch.

The function's body runs block by block with the catalogue's callables (the same whitelist as the
program; never ``exec``), on whatever torch passes in (plain tensors for
``torch.autograd.functional``, wrapped ones for ``torch.func``). The result's size is checked from
one evaluation of the function before torch builds the Jacobian or Hessian.
"""

from __future__ import annotations

import torch

from nla_explorer.engine.code.budget import constructor_numel, count_text, result_bound, tensors_in
from nla_explorer.engine.code.calc import calc_value
from nla_explorer.engine.code.functions import TRANSFORM_PREFIX, Function
from nla_explorer.engine.code.order import ordered
from nla_explorer.engine.code.shape_messages import READS, failure, raised, shape_text
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Block, Calc, DType, Ref, Slice, Var
from nla_explorer.engine.ops import CATALOGUE, DTYPES, SHOWN_READS, callable_for


def run_derivative(block: Block, form: str, args: tuple, kwargs: dict,
                   max_elements: int) -> torch.Tensor:
    """``jacobian(f, x)`` / ``hessian(f, x)`` (or torch.func's) of the block's function at ``x``."""
    function, x, captured = args
    name = form.rsplit(".", 1)[-1]
    culprit = block.name or block.id
    if not isinstance(x, torch.Tensor):
        raise ExpressionError(f"{name}() needs an input tensor", block.line, culprit)
    f = as_callable(function, dict(zip(function.captured, captured)), max_elements)
    with torch.no_grad():
        y = f(x.detach())
    if not isinstance(y, torch.Tensor):
        raise ExpressionError(f"the function given to {name}() must return a tensor", block.line,
                              culprit)
    count = x.numel() * (x.numel() if block.op == "hessian" else y.numel())
    if count > max_elements:
        raise ExpressionError(
            f"{name}() of {shape_text(tuple(y.shape))} by {shape_text(tuple(x.shape))} would "
            f"hold {count_text(count)} elements; the limit is {max_elements:,}", block.line,
            culprit)
    try:
        if form.startswith(TRANSFORM_PREFIX):
            return callable_for(form)(f)(x)
        return callable_for(form)(f, x, **kwargs)
    except ExpressionError:
        raise  # a block of the function failed: its own message
    except Exception as exc:  # noqa: BLE001 - whatever torch raises on this function
        raise ExpressionError(f"{name}(): {raised(exc)}", block.line, culprit,
                              type(exc).__name__) from None


def run_shown(block: Block, args: tuple, kwargs: dict, max_elements: int, culprit: str) -> None:
    """What a printed line computes (``W @ x`` of ``print(W @ x)``), run on that line as Python
    runs it, for its errors only; ``then``: the ``.item()`` or ``.numpy()`` the line takes of it."""
    function, captured = args
    try:
        value = as_callable(function, dict(zip(function.captured, captured)), max_elements)()
    except ExpressionError as exc:  # the line's own error, about the tensors it names
        raise ExpressionError(exc.reason, block.line, culprit, exc.python_type) from None
    then = kwargs.pop("then", None)
    if then is not None:
        try:
            SHOWN_READS[then](value, **kwargs)
        except Exception as exc:  # noqa: BLE001 - what torch (or Python) raises on that read
            what = READS[f"shows:{then}"].format(f"a {shape_text(tuple(value.shape))} tensor")
            raise ExpressionError(f"{what} — {raised(exc)}", block.line, culprit,
                                  type(exc).__name__) from None


def as_callable(function: Function, captured: dict[str, torch.Tensor], max_elements: int):
    """A Python callable that runs ``function``'s blocks on its arguments."""
    blocks = ordered(function.body)
    numbers = function.body.number_dict
    label = function.name or "<lambda>"

    def call(*params):
        if len(params) != len(function.params):
            raise TypeError(f"{label}() takes {len(function.params)} positional argument(s) but "
                            f"{len(params)} were given")
        inputs = {**captured, **dict(zip(function.params, params))}
        values: dict[str, object] = {}
        for block in blocks:
            if block.op == "input":
                values[block.id] = inputs[block.args[0]]
                continue
            values[block.id] = _run(block, values, numbers, max_elements)
        return values[function.body.output]

    call.__name__ = call.__qualname__ = label
    return call


def _run(block: Block, values: dict, numbers: dict, max_elements: int) -> object:
    spec = CATALOGUE[block.op]
    form = block.form or spec.forms[0]
    args = tuple(_value(a, values, numbers) for a in block.args)
    kwargs = {k: _value(v, values, numbers) for k, v in block.kwargs}
    try:
        count = constructor_numel(block.op, args, kwargs) if spec.constructor else \
            result_bound(block.op, args, kwargs, tensors_in(args))
    except (TypeError, ValueError, OverflowError):
        count = None  # arguments torch refuses itself, naming them
    if count is not None and count > max_elements:
        raise ExpressionError(f"{block.op} in the function would hold {count_text(count)} "
                              f"elements; the limit is {max_elements:,}", block.line, block.id)
    try:
        out = callable_for(form)(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - whatever torch raises on these arguments
        raise failure(block, form, args, kwargs, exc, block.name or block.id) from None
    if isinstance(out, torch.Tensor) and out.numel() > max_elements:
        raise ExpressionError(f"{block.op} in the function holds {count_text(out.numel())} "
                              f"elements; the limit is {max_elements:,}", block.line, block.id)
    return out


def _value(arg: object, values: dict, numbers: dict) -> object:
    if isinstance(arg, Ref):
        return values[arg.block]
    if isinstance(arg, (Var, Calc)):
        return calc_value(arg, numbers)
    if isinstance(arg, DType):
        return DTYPES[arg.name]
    if isinstance(arg, Slice):
        return slice(*(_value(p, values, numbers) for p in (arg.start, arg.stop, arg.step)))
    if isinstance(arg, tuple):
        return tuple(_value(a, values, numbers) for a in arg)
    return arg

