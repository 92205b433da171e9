"""Folding of plain-number arithmetic in code (``2 * n``, ``m ** 0.5``), bounded so it cannot hang."""

from __future__ import annotations

import math
import operator

MAX_ABS_INT = 2**62
_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
        "**": operator.pow, "@": None}


def fold_binop(symbol: str, a: int | float, b: int | float) -> int | float:
    """``a <symbol> b`` for numbers; refuses results that are huge or not real."""
    fn = _OPS.get(symbol)
    if fn is None:
        raise ValueError(f"'{symbol}' between numbers is not supported")
    if symbol == "**":
        if abs(b) > 1024 or (isinstance(a, int) and isinstance(b, int) and abs(a) > 1
                             and b * math.log2(abs(a)) > 62):
            raise ValueError(f"{a} ** {b} is too large")
    try:
        result = fn(a, b)
    except OverflowError:
        raise ValueError(f"{a} {symbol} {b} is too large") from None
    except ZeroDivisionError:
        raise ValueError(f"{a} {symbol} {b}: division by zero") from None
    return checked(result, finite=_finite(a, b))


def fold_unary(a: int | float) -> int | float:
    return checked(-a, finite=_finite(a))


def _finite(*values) -> bool:
    return all(not isinstance(v, float) or math.isfinite(v) for v in values)


def number_text(value: int | float) -> str:
    """``value`` as Python code: ``2.5``, and ``float('inf')``, ``-float('inf')``, ``float('nan')``
    for what has no literal (``torch.inf``, ``-math.inf``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "float('nan')" if value != value else \
            ("float('inf')" if value > 0 else "-float('inf')")
    return repr(value)


def checked(value, finite: bool = True):
    """``value`` if it is a real number the explorer can use, else :class:`ValueError`.
    ``finite=False``: ``inf`` and ``nan`` too (``torch.inf``, or arithmetic on it, as in Python;
    a literal such as ``1e400`` or a sum that overflows stays refused)."""
    if isinstance(value, complex):
        raise ValueError("the result is a complex number")
    if isinstance(value, int) and abs(value) > MAX_ABS_INT:
        digits = len(str(abs(value)))  # a pasted 4,000-digit literal is named by its length
        raise ValueError(f"a number of {digits} digits is too large" if digits > 30 else
                         f"the number {value} is too large")
    if finite and isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"the number {value} is not finite")
    return value
