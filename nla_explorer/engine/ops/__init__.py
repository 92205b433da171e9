"""The op catalogue: one record per op, declared by domain; code, blocks, palette and cards read it.

Adding an op is one ``Op(...)`` in the module of its domain: its key, category, formula and the
spellings (forms) code may use: an operator (``"@"``), a function path (``"torch.matmul"``,
``"torch.nn.functional.relu"``), a method (``".matmul"``) or an attribute (``"attr:T"``); then its
block ports and parameters, its palette look and the cards of the backward nodes it makes. Only
forms listed here can ever be called.
"""

from __future__ import annotations

import builtins
import operator

import torch

from nla_explorer.engine.autograd.custom_functions import CUSTOM_FUNCTIONS
from nla_explorer.engine.ops import (
    activations, arithmetic, autograd, comparisons, elementwise, factorizations, inputs,
    linear_algebra, losses, pooling, reductions, selection, shape,
)
from nla_explorer.engine.ops.record import NodeRule, Op, Param, Port

#: The name the catalogue's records had before they held the whole op.
OpSpec = Op

#: The domains in catalogue order (the palette shows ops in this order within a category).
DOMAINS = (inputs, arithmetic, linear_algebra, shape, reductions, elementwise, comparisons,
           activations, losses, pooling, selection, factorizations, autograd)


def _catalogue() -> dict[str, Op]:
    out: dict[str, Op] = {}
    for domain in DOMAINS:
        for op in domain.OPS:
            if op.key in out:
                raise ValueError(f"op '{op.key}' is declared twice ({domain.__name__})")
            out[op.key] = op
    return out


CATALOGUE: dict[str, Op] = _catalogue()

#: Ops whose block makes no new tensor of the graph: they run the autograd engine.
AUTOGRAD_CALLS = frozenset(key for key, op in CATALOGUE.items() if op.autograd_call)
#: Augmented assignments: Python calls ``__iadd__`` etc., which torch runs in place.
IN_PLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
            "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor}

#: Python operators (``u-`` is unary minus, ``u~`` the bitwise not of a mask).
OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": operator.pow, "@": operator.matmul, "u-": operator.neg,
    ">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le, "==": operator.eq,
    "!=": operator.ne, "&": operator.and_, "|": operator.or_, "u~": operator.invert,
}

#: form → op key, for every spelling.
FORMS: dict[str, str] = {form: op.key for op in CATALOGUE.values() for form in op.forms}

#: dtypes code may name (``torch.float64``, ``torch.double``...), by canonical name.
DTYPES = {
    "float32": torch.float32, "float": torch.float32, "float64": torch.float64,
    "double": torch.float64, "float16": torch.float16, "half": torch.float16,
    "bfloat16": torch.bfloat16, "int64": torch.int64, "long": torch.int64,
    "int32": torch.int32, "bool": torch.bool,
}

__all__ = [
    "AUTOGRAD_CALLS", "CATALOGUE", "DOMAINS", "DTYPES", "FORMS", "IN_PLACE", "NodeRule",
    "OPERATORS", "Op", "OpSpec", "Param", "Port", "callable_for", "canonical_dtype", "categories",
]


def canonical_dtype(name: str) -> str:
    return str(DTYPES[name]).removeprefix("torch.")


def callable_for(form: str):
    """The function that evaluates ``form``; only forms of the catalogue resolve."""
    if form not in FORMS:
        raise KeyError(form)
    if form in OPERATORS:
        return OPERATORS[form]
    if form in IN_PLACE:
        return IN_PLACE[form]
    if form == "attr=:grad":
        return _set_grad
    if form == "attr=:requires_grad":
        return _set_requires_grad
    if form == "[]":
        return operator.getitem
    if form == "[]=":
        return _set_item
    if form.startswith("shows:"):
        return SHOWN_READS[form[6:]]
    if form.startswith("attr:"):
        return operator.attrgetter(form[5:])
    if form.startswith("."):
        return _method(form[1:], CATALOGUE[FORMS[form]].receiver)
    if form.startswith("custom:"):
        cls_name = form[len("custom:"):].split(".")[0]
        return CUSTOM_FUNCTIONS[cls_name].apply
    target = torch
    for part in form.split(".")[1:]:
        target = getattr(target, part)
    return target


def _grad_use(tensor, use: str) -> None:
    """``x.grad.<use>`` (or ``x.grad[…]``) as Python runs it: an error where ``x.grad`` is None."""
    if tensor.grad is None:
        if use == "[]":
            raise TypeError("'NoneType' object is not subscriptable")
        raise AttributeError(f"'NoneType' object has no attribute '{use}'")


def _computed(function, captured, then=None) -> None:
    """``print(W @ x)``: the code's function of the line, which the evaluator runs itself."""
    raise TypeError("a printed expression is run by the evaluator (run_shown)")


def _raise(error: str = "Exception", message: str = "", code: str = "") -> None:
    """``print(1 / 0)``: the exception Python raises on the line's plain part (a built-in one)."""
    kind = getattr(builtins, str(error), None)
    if not (isinstance(kind, type) and issubclass(kind, Exception)):
        kind = Exception
    raise kind(message)


#: What a printed or plotted line reads (numpy's asarray is what matplotlib calls on a tensor).
SHOWN_READS = {"item": torch.Tensor.item, "numpy": torch.Tensor.numpy,
               "array": torch.Tensor.__array__, "grad": _grad_use, "index": lambda t, index: t[index],
               "value": _computed, "float": float, "int": int, "len": len, "bool": bool,
               "format": lambda t, spec: format(t, spec), "concat": lambda t: "" + t,
               "raise": _raise}


def _set_grad(tensor, value):
    """``tensor.grad = value`` as Python runs it (torch checks the value)."""
    tensor.grad = value


def _set_item(tensor, index, value):
    """``tensor[index] = value`` as Python runs it; the tensor (changed in place), bound again."""
    tensor[index] = value
    return tensor


def _set_requires_grad(tensor, value):
    """``tensor.requires_grad = value`` as Python runs it (torch's setter checks the dtype)."""
    tensor.requires_grad = value
    return tensor


def _method(name: str, receiver: int = 0):
    def call(*args, **kwargs):
        tensor, args = args[receiver], args[:receiver] + args[receiver + 1:]
        if not isinstance(tensor, torch.Tensor):  # Python's own words (x.grad.zero_() early,
            getattr(tensor, name)  # x.sort().sum(): 'torch.return_types.sort' object has no …)
            raise AttributeError(f"'{type(tensor).__name__}' object has no attribute '{name}'")
        return getattr(tensor, name)(*args, **kwargs)
    return call


def categories() -> dict[str, list[Op]]:
    """The catalogue grouped by category, in catalogue order (for the palette)."""
    out: dict[str, list[Op]] = {}
    for spec in CATALOGUE.values():
        if spec.statement:
            continue
        out.setdefault(spec.category, []).append(spec)
    return out
