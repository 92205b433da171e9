"""How a program's backward calls are named in the window: by their line of code, as Python runs it.

The safe reader and Run as Python name a call the same way (``y.backward(v)``, not a made-up
``y.backward()``), so the two ways to run code show one meaning.
"""

from __future__ import annotations

from dataclasses import replace

from nla_explorer.engine.expression import Expression
from nla_explorer.engine.ops import AUTOGRAD_CALLS

MAX_LABEL = 60


def line_label(line: str) -> str:
    """A line of code as a call's label: stripped, long lines cut with an ellipsis."""
    text = line.strip()
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 3] + "…"


def with_call_texts(expression: Expression, text: str) -> Expression:
    """``expression`` with each backward call block labelled by its line of ``text``."""
    lines = text.splitlines()
    blocks = tuple(
        replace(b, text=line_label(lines[b.line - 1]))
        if b.op in AUTOGRAD_CALLS and b.line and b.line <= len(lines) and lines[b.line - 1].strip()
        else b for b in expression.blocks)
    return replace(expression, blocks=blocks)
