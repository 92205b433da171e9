"""Arithmetic on named numbers (:class:`~nla_explorer.engine.expression.Calc`): its value, its text
as Python writes it, and its reading from a parameter field.

``W = (...) / m ** 0.5`` keeps ``m ** 0.5`` rather than 4.47213595499958, so that the code written
back from the blocks is the code that was read, and changing ``m`` in *Numbers* changes the divisor
as it would in Python. Arithmetic on plain numbers only (``2 ** 0.5``) is still folded.
"""

from __future__ import annotations

import ast

from nla_explorer.engine.code.names import describe
from nla_explorer.engine.code.numbers import checked, fold_binop, fold_unary, number_text
from nla_explorer.engine.expression import Calc, Var

SYMBOLS = ("+", "-", "*", "/", "**")
UNARY = "u-"
_AST_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
# Python precedence: higher binds tighter (the code writer's scale).
ATOM, POWER, NEGATIVE, TERM, SUM, BIT_AND, BIT_OR, COMPARE = 100, 40, 30, 20, 10, 8, 6, 4
#: Comparisons chain in Python (``a < b < c``): neither side of one may be a bare comparison.
COMPARED = (">", "<", ">=", "<=", "==", "!=")
PRECEDENCE = {"**": POWER, "*": TERM, "/": TERM, "@": TERM, "+": SUM, "-": SUM, UNARY: NEGATIVE,
              "u~": NEGATIVE, "&": BIT_AND, "|": BIT_OR, **dict.fromkeys(COMPARED, COMPARE)}
MAX_TEXT = 200  # characters of a typed number expression


def symbolic(value: object) -> bool:
    """Whether ``value`` names a number (a ``Var``, or arithmetic on one)."""
    return isinstance(value, (Var, Calc))


def calc_value(value: object, numbers: dict) -> int | float:
    """The number ``value`` stands for, with ``numbers`` (name → value); :class:`ValueError`
    for an undefined name or a result that is not a usable number."""
    if isinstance(value, Var):
        if value.name not in numbers:
            raise ValueError(f"the number '{value.name}' is not defined")
        return numbers[value.name]
    if isinstance(value, Calc):
        args = [calc_value(a, numbers) for a in value.args]
        return fold_unary(*args) if value.symbol == UNARY else fold_binop(value.symbol, *args)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"arithmetic on {type(value).__name__} is not supported")
    return checked(value, finite=False)  # an infinite literal was refused where it was read


def fold(symbol: str, values: tuple, numbers: dict) -> Calc | int | float:
    """Arithmetic on numbers in code (``symbol`` on ``values``): folded into a number, or kept
    as a :class:`Calc` when it reads a named number (and checked now all the same)."""
    for v in values:
        if not symbolic(v) and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise ValueError(f"arithmetic on {describe(v)} is not supported")
    kept = Calc(symbol, tuple(values))
    value = calc_value(kept, numbers)
    return kept if any(map(symbolic, values)) else value


def calc_names(value: object) -> set[str]:
    """The named numbers ``value`` reads."""
    if isinstance(value, Var):
        return {value.name}
    if isinstance(value, Calc):
        return set().union(*(calc_names(a) for a in value.args))
    return set()


def calc_text(value: object) -> tuple[str, int]:
    """``value`` as Python code, and the precedence of its outermost operator."""
    if isinstance(value, Var):
        return value.name, ATOM
    if not isinstance(value, Calc):
        text = number_text(value) if isinstance(value, (int, float)) else repr(value)
        return text, (NEGATIVE if text.startswith("-") else ATOM)
    prec = PRECEDENCE[value.symbol]
    if value.symbol == UNARY:
        text, inner = calc_text(value.args[0])
        return "-" + (text if inner >= NEGATIVE else f"({text})"), prec
    return join(value.symbol, *(calc_text(a) for a in value.args))


def join(symbol: str, left: tuple[str, int], right: tuple[str, int]) -> tuple[str, int]:
    """``left symbol right`` for operands written with their precedence, parenthesised where
    Python needs it (also for tensors: the code writer's binary ops)."""
    prec = PRECEDENCE[symbol]
    (lt, lp), (rt, rp) = left, right
    if symbol == "**":  # right-associative; binds tighter than a unary minus on its left
        lt = lt if lp > prec else f"({lt})"
        rt = rt if rp >= NEGATIVE else f"({rt})"
    elif symbol in COMPARED:  # (a < b) < c: bare, it would read as a chain
        lt = lt if lp > prec else f"({lt})"
        rt = rt if rp > prec else f"({rt})"
    else:
        lt = lt if lp >= prec else f"({lt})"
        rt = rt if rp > prec else f"({rt})"
    return f"{lt} {symbol} {rt}", prec


def read_calc(text: str, numbers: dict) -> Calc | Var | int | float:
    """A number expression typed in a field (``m ** 0.5``, ``2 * n``): numbers, named numbers,
    ``+ - * / **`` and parentheses only; parsed, never run. :class:`ValueError` says what is
    wrong."""
    if len(text) > MAX_TEXT:
        raise ValueError(f"the expression is longer than {MAX_TEXT} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ValueError(f"must be a number or arithmetic on named numbers, not {text[:40]!r}")\
            from None
    return _read(tree, numbers, 0)  # each step checked as it is read


def _read(node: ast.expr, numbers: dict, depth: int) -> Calc | Var | int | float:
    if depth > 20:
        raise ValueError("the expression is nested too deeply")
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and \
            not isinstance(node.value, bool):
        return checked(node.value)
    if isinstance(node, ast.Name):
        if node.id not in numbers:
            known = f" (the named numbers are {', '.join(numbers)})" if numbers else ""
            raise ValueError(f"'{node.id}' is not a defined number{known}")
        return Var(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _read(node.operand, numbers, depth + 1)
        return inner if isinstance(node.op, ast.UAdd) else fold(UNARY, (inner,), numbers)
    if isinstance(node, ast.BinOp) and type(node.op) in _AST_SYMBOLS:
        sides = tuple(_read(n, numbers, depth + 1) for n in (node.left, node.right))
        return fold(_AST_SYMBOLS[type(node.op)], sides, numbers)
    raise ValueError("only numbers, named numbers, + - * / ** and parentheses are allowed")
