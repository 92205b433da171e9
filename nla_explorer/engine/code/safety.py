"""The first gate of the code form: refuse anything that reaches beyond the whitelist, before reading it.

Nothing in the text is ever executed; this scan only makes sure that code which *tries* to reach
outside (dunder attributes, ``__import__``, ``exec``, ``open``...) is refused as a whole, even
where the interpreter would otherwise ignore the statement (``print(...)``). A ``lambda`` passes this
gate (its body is scanned like any code); the parser accepts it only as the function of a
derivative call (``hessian(lambda x: ..., x)``).
"""

from __future__ import annotations

import ast

from nla_explorer.engine.code.course_classes import without_course_classes
from nla_explorer.engine.code.refusals import (
    CLASS_NAMES, RUN, class_hints, enclosing_class, with_hint,
)
from nla_explorer.engine.errors import ExpressionError

MAX_CODE_CHARS = 200_000

FORBIDDEN_NAMES = frozenset({
    "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals", "vars",
    "__import__", "input", "breakpoint", "exit", "quit", "help", "memoryview", "object", "type",
    "super", "classmethod", "staticmethod", "property",
})

FORBIDDEN_ATTRIBUTES = frozenset({
    "load", "save", "system", "popen", "remove", "unlink", "rmtree", "hub", "from_file", "tofile",
    "fromfile", "storage", "untyped_storage", "data_ptr", "set_",
})

_FORBIDDEN_NODES = {
    ast.Global: "global", ast.Nonlocal: "nonlocal",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield from",
    ast.AsyncFunctionDef: "async def", ast.AsyncFor: "async for", ast.AsyncWith: "async with",
    ast.NamedExpr: "the walrus operator :=",
}


def parse_source(text: str) -> ast.Module:
    """Parse ``text`` as Python and refuse unsafe constructs; never runs anything. The course's
    own Function classes, written as the course writes them, are left out: their names stand for
    the course's classes (:mod:`~nla_explorer.engine.code.course_classes`)."""
    if not isinstance(text, str):
        raise ExpressionError(f"code must be text, not {type(text).__name__}")
    if len(text) > MAX_CODE_CHARS:
        raise ExpressionError(f"the code is {len(text):,} characters long; the limit is "
                              f"{MAX_CODE_CHARS:,}")
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg}", line=exc.lineno) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the code is nested too deeply to read") from None
    except ValueError as exc:  # e.g. null bytes
        raise ExpressionError(f"the code cannot be read: {exc}") from None
    tree = without_course_classes(tree)
    check_safe(tree)
    return tree


#: Modules a cell may import; only torch's are usable, the others are accepted and ignored.
ALLOWED_MODULES = frozenset({
    "torch", "torch.nn", "torch.nn.functional", "torch.autograd", "torch.linalg", "torch.optim",
    "torch.autograd.functional", "torch.func",
    "numpy", "math", "matplotlib", "matplotlib.pyplot", "IPython.display",
})


def check_safe(tree: ast.AST) -> None:
    """Raise :class:`ExpressionError` for the first construct (in reading order) outside the whitelist."""
    problems = [p for node in ast.walk(tree) for p in _problems(node)]
    if problems:
        line, _, message, culprit = min(problems, key=lambda p: (p[0] or 0, p[1]))
        if culprit in CLASS_NAMES or (_dunder(culprit) and _defines(tree, culprit)):
            message = with_hint(message, *class_hints(enclosing_class(tree, line)))
        raise ExpressionError(message, line=line, culprit=culprit)


def _defines(tree: ast.AST, name: str) -> bool:
    """Whether ``name`` is the name of a ``def`` or ``class`` in ``tree`` (``__init__``)."""
    return any(isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name
               for node in ast.walk(tree))


def _problems(node: ast.AST) -> list[tuple[int | None, int, str, str]]:
    at = (getattr(node, "lineno", None), getattr(node, "col_offset", 0))
    found = []
    for kind, what in _FORBIDDEN_NODES.items():
        if isinstance(node, kind):
            found.append((*at, with_hint(f"{what} is not allowed", RUN), what))
    if isinstance(node, ast.Name) and (node.id in FORBIDDEN_NAMES or _dunder(node.id)):
        found.append((*at, f"'{node.id}' is not allowed", node.id))
    if isinstance(node, ast.Attribute) and (
            node.attr.startswith("_") or node.attr in FORBIDDEN_ATTRIBUTES):
        found.append((*at, f"attribute '.{node.attr}' is not allowed", node.attr))
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and _dunder(node.name):
        found.append((*at, f"'{node.name}' is not allowed", node.name))
    if isinstance(node, ast.keyword) and node.arg is not None and _dunder(node.arg):
        found.append((*at, f"keyword '{node.arg}' is not allowed", node.arg))
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _dunder(
            node.value.strip()):
        found.append((*at, f"the string '{node.value.strip()}' is not allowed", node.value))
    modules = []
    if isinstance(node, ast.Import):
        modules = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        modules = [node.module or "."]
    for module in modules:
        if module not in ALLOWED_MODULES:
            found.append((*at, with_hint(f"import {module} is not allowed (only torch, numpy, "
                                         "math, matplotlib and IPython.display are accepted)",
                                         RUN), module))
    return found


def _dunder(name: str) -> bool:
    return name.startswith("__")
