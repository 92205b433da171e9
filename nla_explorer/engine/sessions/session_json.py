"""Writing a session: the program as JSON data, never code (read back by :mod:`nla_file`)."""

from __future__ import annotations

import math

from nla_explorer.engine.code.functions import Function
from nla_explorer.engine.expression import Calc, DType, Expression, Hole, Ref, Slice, Var

FORMAT = "nla-explorer-session"
VERSION = 1


def expression_to_json(expression: Expression, layout: dict | None = None) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        **_program_json(expression),
        # the code's closing "f.backward()" (its line and label): the written code ends with it
        **({"backward": [expression.backward_line, expression.backward_text]}
           if expression.backward_line is not None else {}),
        "layout": {k: list(v) for k, v in (layout or {}).items()
                   if all(finite_number(c) for c in v)},  # a position off the canvas: dropped
    }


def _program_json(expression: Expression) -> dict:
    """Numbers, output and blocks: the program's, or a function's body."""
    return {
        "numbers": [[k, _enc(v)] for k, v in expression.numbers],
        "output": expression.output,
        "blocks": [
            {"id": b.id, "op": b.op, "args": [_enc(a) for a in b.args],
             "kwargs": [[k, _enc(v)] for k, v in b.kwargs], "name": b.name, "form": b.form}
            for b in expression.blocks if b.form not in ("shows:value", "shows:raise")  # code only
        ],
    }


def _enc(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return {"number": "nan" if value != value else "inf" if value > 0 else "-inf"}
    if isinstance(value, Function):
        kind = "def" if value.name is not None and not value.source.startswith("lambda") \
            else "lambda"
        return {"function": {"kind": kind, "name": value.name, "params": list(value.params),
                             "captured": list(value.captured), **_program_json(value.body)}}
    if isinstance(value, Ref):
        return {"ref": value.block}
    if isinstance(value, Var):
        return {"var": value.name}
    if isinstance(value, Calc):
        return {"calc": [value.symbol, [_enc(v) for v in value.args]]}
    if isinstance(value, DType):
        return {"dtype": value.name}
    if isinstance(value, Hole):
        return {"hole": value.port}
    if isinstance(value, Slice):
        return {"slice": [_enc(value.start), _enc(value.stop), _enc(value.step)]}
    if isinstance(value, tuple):
        return {"tuple": [_enc(v) for v in value]}
    if value is Ellipsis:
        return {"ellipsis": True}
    return value


def finite_number(value: object) -> bool:
    """A number the file may hold as itself: an int of at most 62 bits (as code may write), any
    finite float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return abs(value) < 2**62 if isinstance(value, int) else math.isfinite(value)
