"""The course's own ``autograd.Function`` classes, as text: written into code, recognised in it.

A block of a course Function (``InverseMatrix.apply(A)``) is written as code that defines the class
before using it, so that the code runs as plain Python too. The safe interpreter never runs a class
body; it accepts a class only when its statements are those of the course's class
(:data:`~nla_explorer.engine.autograd.custom_functions.CUSTOM_FUNCTIONS`, compared as syntax trees,
docstrings, comments and the names of arguments and local variables aside), and then uses that
class. Any other class of the same name (the
student's own backward) is refused with the hint to run it as Python, which runs the student's.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache

from nla_explorer.engine.autograd.custom_functions import CUSTOM_FUNCTIONS

#: The import the class definitions need, written before them.
IMPORT = "from torch.autograd import Function"


@cache
def source(name: str) -> str:
    """The definition of course Function ``name``, as the code form writes it."""
    return textwrap.dedent(inspect.getsource(CUSTOM_FUNCTIONS[name]))


@cache
def _shape(name: str) -> str:
    (node,) = ast.parse(source(name)).body
    return _dump(node)


def _dump(node: ast.ClassDef) -> str:
    """The class's syntax tree without docstrings, its methods' arguments and local variables
    named by their order (``forward(ctx, M)`` is ``forward(ctx, A)``), and
    ``torch.autograd.Function`` as ``Function``."""
    node = _without_docstrings(ast.parse(ast.unparse(node)).body[0])
    bases = [ast.unparse(base) for base in node.bases]
    if bases == ["torch.autograd.Function"]:  # the same base, imported another way
        node.bases = [ast.Name("Function", ast.Load())]
    for method in node.body:
        if isinstance(method, ast.FunctionDef):
            _number_locals(method)
    return ast.dump(node, annotate_fields=False)


def _number_locals(method: ast.FunctionDef) -> None:
    """Rename the method's arguments and the names it assigns to ``_0``, ``_1``... in order."""
    names: dict[str, str] = {}
    arguments = method.args
    for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                arguments.vararg, arguments.kwarg):
        if arg is not None:
            arg.arg = names.setdefault(arg.arg, f"_{len(names)}")
    for inner in ast.walk(method):
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
            names.setdefault(inner.id, f"_{len(names)}")
    for inner in ast.walk(method):
        if isinstance(inner, ast.Name) and inner.id in names:
            inner.id = names[inner.id]


def _without_docstrings(node: ast.AST) -> ast.AST:
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if isinstance(inner, (ast.ClassDef, ast.FunctionDef)) and body and \
                isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and \
                isinstance(body[0].value.value, str):
            inner.body = body[1:] or [ast.Pass()]
    return node


def is_course_class(node: ast.stmt) -> bool:
    """Whether ``node`` defines one of the course's Functions exactly as the course writes it."""
    return (isinstance(node, ast.ClassDef) and node.name in CUSTOM_FUNCTIONS
            and _dump(node) == _shape(node.name))


def without_course_classes(tree: ast.Module) -> ast.Module:
    """``tree`` without its top-level definitions of course Functions (their names stay bound to
    the course's classes); nothing else changes."""
    tree.body = [stmt for stmt in tree.body if not is_course_class(stmt)]
    return tree
