"""The lines of a program that call the autograd engine: their labels, and the closing one.

The safe reader and Run as Python name a call the same way, by its line of code
(``y.backward(v)``, not a made-up ``y.backward()``), so the two ways to run code show one
meaning. A program that ends with its only backward call, ``f.backward()``, marks ``f`` as the
output (:func:`closing_backward`).
"""

from __future__ import annotations

from dataclasses import replace

from nla_explorer.engine.expression import Block, Expression
from nla_explorer.engine.ops import AUTOGRAD_CALLS

MAX_LABEL = 60


def line_label(line: str) -> str:
    """A line of code as a call's label: stripped, long lines cut with an ellipsis."""
    text = line.strip()
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 3] + "…"


def closing_backward(blocks: list[Block]) -> Block | None:
    """The last block when it is the program's only autograd call and a plain ``f.backward()``:
    the expression a block editor builds with "Set as output", evaluated the same way."""
    calls = [b for b in blocks if b.op in AUTOGRAD_CALLS]
    last = blocks[-1] if blocks else None
    if len(calls) == 1 and last is calls[0] and last.form == ".backward" and \
            len(last.args) == 1 and not last.kwargs:
        return last
    return None


def with_call_texts(expression: Expression, text: str) -> Expression:
    """``expression`` with each backward call block (the closing one too) labelled by its line
    of ``text``."""
    lines = text.splitlines()

    def label(line: int | None) -> str | None:
        ok = line is not None and 0 < line <= len(lines) and lines[line - 1].strip()
        return line_label(lines[line - 1]) if ok else None

    blocks = tuple(replace(b, text=label(b.line) or b.text) if b.op in AUTOGRAD_CALLS else b
                   for b in expression.blocks)
    return replace(expression, blocks=blocks, backward_text=label(expression.backward_line))


def check_unpacking(parser, grad: Block, wanted: int) -> None:
    """``gx, gA = grad(f, [x])``: Python's own ValueError, as torch returns one per input."""
    inputs = grad.args[1] if len(grad.args) > 1 else grad.kwarg("inputs")
    count = len(inputs) if isinstance(inputs, tuple) else 1 if inputs is not None else None
    if count is not None and count < wanted:
        parser._fail(f"not enough values to unpack (expected {wanted}, got {count})", "grad")
    if count is not None and count > wanted:
        parser._fail(f"too many values to unpack (expected {wanted})", "grad")
