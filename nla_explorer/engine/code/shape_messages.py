"""Readable messages about shapes: ``matmul: (3×4) @ (5×5) — inner sizes 4 and 5 differ``."""

from __future__ import annotations

import torch

from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Block

_MATMUL_OPS = {"matmul", "mm", "mv", "dot"}


def shape_text(shape: tuple[int, ...]) -> str:
    if len(shape) == 0:
        return "scalar"
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + "×".join(str(s) for s in shape) + ")"


def _arg_text(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return shape_text(tuple(value.shape))
    if isinstance(value, tuple) and value and all(isinstance(v, torch.Tensor) for v in value):
        return "[" + ", ".join(_arg_text(v) for v in value) + "]"
    return repr(value)


def describe_call(block: Block, args: tuple) -> str:
    """``torch.randn((100000, 100000))`` or ``matmul: (3×4) @ (5×5)``."""
    form = block.form or block.op
    if block.op in ("randn", "rand", "zeros", "ones", "full", "eye", "linspace", "arange"):
        return f"{form}({', '.join(repr(a) for a in args)})"
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if form == "shows:raise":  # print(1 / 0), n = [1, 2][5]: the part Python stops on
        return str(block.kwarg("code") or "the line")
    if form == "shows:value":  # print(W @ x): its function, the line's own code
        return f"what line {block.line} prints" if block.line else "what the line prints"
    if block.op == "shows":  # what a print or plot read: ``.item() of a (3,) tensor``
        return READS.get(form, form + " of {}").format(f"a {_arg_text(args[0])} tensor")
    if len(form) <= 2 and len(args) == 2:  # an operator
        return f"{block.op}: {_arg_text(args[0])} {form} {_arg_text(args[1])}"
    return f"{block.op}: " + ", ".join(_arg_text(a) for a in (tensors or args))


READS = {"shows:item": ".item() of {}", "shows:numpy": ".numpy() of {}",
         "shows:array": "{} made an array (as a plot does)", "shows:grad": "the .grad of {}",
         "shows:index": "an element of {}", "shows:float": "float() of {}",
         "shows:int": "int() of {}", "shows:len": "len() of {}", "shows:bool": "bool() of {}",
         "shows:format": "{} formatted", "shows:concat": "a str + {}"}


def _inner_sizes(op: str, a: torch.Tensor, b: torch.Tensor) -> tuple[int, int] | None:
    if a.dim() == 0 or b.dim() == 0:
        return None
    left = a.shape[-1]
    right = b.shape[0] if b.dim() == 1 else b.shape[-2]
    return (left, right) if left != right else None


def raised(exc: Exception) -> str:
    """``RuntimeError: size mismatch, …``: the exception as Python's traceback ends (first line;
    torch's ``_LinAlgError`` by its public name)."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__.lstrip("_")
    return f"{name}: {first}" if first else name


def explain_failure(block: Block, form: str, args: tuple, kwargs: dict, exc: Exception) -> str:
    """One line saying which op failed, on which shapes, and why; where that is said in the
    shapes' words, the exception Python would show follows."""
    call = describe_call(block, args)
    why = _why(block, args)
    return f"{call} — {why}; {raised(exc)}" if why else f"{call} — {raised(exc)}"


def failure(block: Block, form: str, args: tuple, kwargs: dict, exc: Exception,
            culprit: str | None) -> ExpressionError:
    """The error of a call that torch (or Python) refused, as the code meets it."""
    return ExpressionError(explain_failure(block, form, args, kwargs, exc), block.line, culprit,
                           type(exc).__name__)


def _why(block: Block, args: tuple) -> str | None:
    """The shapes' reason a product or an elementwise op failed, if it is one of those."""
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if block.op in _MATMUL_OPS and len(tensors) == 2:
        a, b = tensors
        if block.op == "mm" and (a.dim() != 2 or b.dim() != 2):
            return "mm needs two matrices"
        if block.op == "mv" and (a.dim() != 2 or b.dim() != 1):
            return "mv needs a matrix and a vector"
        if block.op == "dot" and (a.dim() != 1 or b.dim() != 1):
            return "dot needs two vectors"
        if block.op == "matmul" and (a.dim() == 0 or b.dim() == 0):
            return "matmul needs tensors of at least one dimension (use * for scalars)"
        sizes = _inner_sizes(block.op, a, b)
        if sizes is not None:
            return f"inner sizes {sizes[0]} and {sizes[1]} differ"
    if block.op in _ELEMENTWISE and len(tensors) == 2:
        return _broadcast_clash(tensors[0].shape, tensors[1].shape)
    return None


_ELEMENTWISE = {"add", "sub", "mul", "div", "pow", "maximum", "mse_loss"}


def _broadcast_clash(a: tuple[int, ...], b: tuple[int, ...]) -> str | None:
    """Why two shapes do not broadcast, or ``None`` when they do."""
    for dim in range(1, min(len(a), len(b)) + 1):
        x, y = a[-dim], b[-dim]
        if x != y and x != 1 and y != 1:
            return f"sizes {x} and {y} do not broadcast (dimension {-dim})"
    return None
