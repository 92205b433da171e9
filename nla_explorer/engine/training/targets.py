"""Target functions for the training demo: presets and typed expressions in x, read safely.

A typed target such as ``sin(pi*x) + 0.1*x**2`` is parsed with :mod:`ast` and walked node by node;
only numbers, the name ``x``, ``pi``/``e``, ``+ - * / **``, unary minus and a few whitelisted
functions are accepted. Nothing is ever passed to ``eval``; anything else is refused with a message
naming the offending token.
"""

from __future__ import annotations

import ast
import math
import warnings
from dataclasses import dataclass
from typing import Callable

import torch

from nla_explorer.engine.errors import ExpressionError

MAX_TARGET_CHARS = 300

#: Shown in menus: label → expression (the first is the course's function).
PRESETS: dict[str, str] = {
    "x³ − x": "x**3 - x",
    "sin(πx)": "sin(pi*x)",
    "|x|": "abs(x)",
    "step": "step(x)",
}
DEFAULT_TARGET = PRESETS["x³ − x"]

_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sin": torch.sin, "cos": torch.cos, "exp": torch.exp, "log": torch.log, "tanh": torch.tanh,
    "abs": torch.abs, "sqrt": torch.sqrt, "sigmoid": torch.sigmoid, "relu": torch.relu,
    "step": lambda t: (t > 0).to(t.dtype),
}
#: How each function is written in course code (``parse_code`` knows all but ``step``).
_CODE_FUNCTIONS = {name: f"torch.{name}" for name in _FUNCTIONS if name != "step"}
_CONSTANTS = {"pi": math.pi, "π": math.pi, "e": math.e}
_BINOPS: dict[type, tuple[str, Callable]] = {
    ast.Add: ("+", lambda a, b: a + b), ast.Sub: ("-", lambda a, b: a - b),
    ast.Mult: ("*", lambda a, b: a * b), ast.Div: ("/", lambda a, b: a / b),
    ast.Pow: ("**", lambda a, b: a ** b),
}
_HINTS = {ast.BitXor: "'^' is not a power here: write x**3",
          ast.Lambda: "type only the formula, e.g. x**3 - x"}
_OPERATOR_SYMBOLS = {ast.BitXor: "^", ast.BitAnd: "&", ast.BitOr: "|", ast.Mod: "%",
                     ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
                     ast.Invert: "~", ast.Not: "not"}
_FRIENDLY = str.maketrans({"−": "-", "×": "*", "·": "*"})


@dataclass(frozen=True)
class Target:
    """A checked target expression: ``values(x)`` evaluates it, ``code(x_name)`` writes it."""

    text: str
    tree: ast.expr

    def values(self, x: torch.Tensor) -> torch.Tensor:
        """The target at the points ``x`` (same dtype); refuses non-finite values, naming where."""
        out = _evaluate(self.tree, x)
        if not isinstance(out, torch.Tensor):
            out = torch.full_like(x, float(out))
        bad = ~torch.isfinite(out)
        if bool(bad.any()):
            where = float(x[bad.nonzero()[0, 0]])
            raise ExpressionError(f"the target '{self.text}' is not finite at x = {where:.4g} "
                                  "(the points lie in [-1, 1])", culprit="target")
        return out

    def code(self, x_name: str) -> str | None:
        """The expression as course code over ``x_name``; None if it cannot be written (step)."""
        try:
            return _code(self.tree, x_name)
        except KeyError:
            return None


def parse_target(text: str) -> Target:
    """Check a typed target or a preset label; :class:`ExpressionError` names the culprit."""
    if not isinstance(text, str):
        raise ExpressionError(f"the target must be text, not {type(text).__name__}",
                              culprit="target")
    text = PRESETS.get(text.strip(), text).translate(_FRIENDLY).strip()
    if not text:
        raise ExpressionError("the target is empty: type a formula in x, e.g. x**3 - x",
                              culprit="target")
    if len(text) > MAX_TARGET_CHARS:
        raise ExpressionError(f"the target is {len(text)} characters long; the limit is "
                              f"{MAX_TARGET_CHARS}", culprit="target")
    try:
        with warnings.catch_warnings():  # "2x" warns before it fails: the error says it all
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"the target '{text}' is not a formula: {exc.msg}",
                              culprit="target") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("the target cannot be read (nested too deeply?)",
                              culprit="target") from None
    _check(tree, text)
    if not any(isinstance(n, ast.Name) and n.id == "x" for n in ast.walk(tree)):
        raise ExpressionError(f"the target '{text}' does not use x", culprit="target")
    return Target(text, tree)


def _check(tree: ast.expr, text: str) -> None:
    """Refuse the first problem in reading order; names and attributes before the rest.

    So ``open('f') and x`` is refused for ``open``, the call that reaches outside, not for ``and``.
    """
    callees = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    problems = [p for node in ast.walk(tree) if isinstance(node, ast.expr)
                for p in _problems(node, text, id(node) in callees)]
    if problems:
        _, _, _, message, culprit = min(problems, key=lambda p: p[:3])
        raise ExpressionError(message, culprit=culprit)


def _problems(node: ast.expr, text: str, callee: bool) -> list[tuple]:
    """``(rank, line, column, message, culprit)`` for what is wrong with ``node`` itself."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            return [_problem(1, node, text, f"the literal {node.value!r}")]
        if isinstance(node.value, int) and abs(node.value) > 2 ** 53:
            return [_problem(1, node, text, f"the number {node.value}", "it is too large")]
        return []
    if isinstance(node, ast.Name):
        if callee and node.id not in _FUNCTIONS:
            return [_problem(0, node, text, f"the call '{node.id}'",
                             "allowed functions: " + ", ".join(_FUNCTIONS))]
        if not callee and node.id != "x" and node.id not in _CONSTANTS:
            hint = (f"'{node.id}' is a function: write {node.id}(x)" if node.id in _FUNCTIONS
                    else "use x, pi, e and the functions " + ", ".join(_FUNCTIONS))
            return [_problem(0, node, text, f"the name '{node.id}'", hint)]
        return []
    if isinstance(node, ast.Attribute):
        return [_problem(0, node, text, f"the attribute '.{node.attr}'")]
    if isinstance(node, ast.BinOp):
        if type(node.op) in _BINOPS:
            return []
        hint = _HINTS.get(type(node.op), "only + - * / ** are allowed")
        return [_problem(1, node, text, f"the operator '{_symbol(node.op)}'", hint)]
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            return []
        return [_problem(1, node, text, f"the operator '{_symbol(node.op)}'")]
    if isinstance(node, ast.Call):
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            name = _segment(node.func, text)
            return [_problem(1, node, text, f"'{name}(...)'", "it takes exactly one argument")]
        return []
    return [_problem(1, node, text, _describe(node))]


def _problem(rank: int, node: ast.AST, text: str, what: str, hint: str | None = None) -> tuple:
    token = _segment(node, text)
    message = f"{what} is not allowed in the target"
    if token and token not in what:
        message += f" (at '{token}')"
    hint = hint or _HINTS.get(type(node))
    message += f": {hint}" if hint else ""
    return rank, getattr(node, "lineno", 0), getattr(node, "col_offset", 0), message, token or what


def _segment(node: ast.AST, text: str) -> str:
    return (ast.get_source_segment(text, node) or "").strip()


def _symbol(op: ast.AST) -> str:
    return _OPERATOR_SYMBOLS.get(type(op), type(op).__name__)


def _describe(node: ast.AST) -> str:
    return {ast.Lambda: "lambda", ast.Compare: "a comparison", ast.Subscript: "indexing",
            ast.BoolOp: "and/or", ast.IfExp: "if/else", ast.NamedExpr: "the walrus operator :=",
            ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict",
            ast.JoinedStr: "an f-string"}.get(type(node), type(node).__name__)


def _evaluate(node: ast.expr, x: torch.Tensor) -> torch.Tensor | float:
    """Walk the checked tree; numbers stay Python numbers so ``x**3 - x`` matches plain torch."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return x if node.id == "x" else _CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, x)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call):
        value = _evaluate(node.args[0], x)
        if not isinstance(value, torch.Tensor):
            value = torch.tensor(float(value), dtype=x.dtype)
        return _FUNCTIONS[node.func.id](value)
    left, right = _evaluate(node.left, x), _evaluate(node.right, x)
    symbol, fn = _BINOPS[type(node.op)]
    if isinstance(left, torch.Tensor) or isinstance(right, torch.Tensor):
        return fn(left, right)
    try:  # number op number: in floats, so 9**9**9 cannot run away
        result = fn(float(left), float(right))
    except ZeroDivisionError:
        raise ExpressionError(f"division by zero in the target ({left} {symbol} {right})",
                              culprit="target") from None
    except OverflowError:
        return math.inf
    if isinstance(result, complex):
        return math.nan
    return result


def _code(node: ast.expr, x_name: str) -> str:
    if isinstance(node, ast.Constant):
        return repr(node.value)
    if isinstance(node, ast.Name):
        return x_name if node.id == "x" else repr(_CONSTANTS[node.id])
    if isinstance(node, ast.UnaryOp):
        return ("-" if isinstance(node.op, ast.USub) else "") + _wrap(node.operand, x_name)
    if isinstance(node, ast.Call):
        return f"{_CODE_FUNCTIONS[node.func.id]}({_code(node.args[0], x_name)})"
    symbol = _BINOPS[type(node.op)][0]
    return f"{_wrap(node.left, x_name)} {symbol} {_wrap(node.right, x_name)}"


def _wrap(node: ast.expr, x_name: str) -> str:
    text = _code(node, x_name)
    return text if isinstance(node, (ast.Constant, ast.Name, ast.Call)) else f"({text})"
