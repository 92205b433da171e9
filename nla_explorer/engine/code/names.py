"""What names in parsed code can stand for, and the words messages use for Python constructs.

The parser (:mod:`code_parser`) binds each name to a ``Ref`` (a block's tensor), a ``Var`` (a named
number), a :class:`PyModule` (``torch``, ``F``...), an :class:`Ignored` value (numpy, matplotlib) or
a :class:`Defined` function (a ``def`` or a ``lambda``, for jacobian and hessian).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from nla_explorer.engine.expression import Calc, Ref, Var

IGNORED_CALLS = {"print", "display", "Markdown"}
#: Constructors whose tensor is always floating (no dtype given): ``x.requires_grad_()`` on the
#: next line may fold into them (an int tensor must fail on that line, as in Python)
FLOAT_MAKERS = frozenset({"randn", "rand", "zeros", "ones", "eye", "linspace"})
#: Names a cell may use without importing them (earlier notebook cells usually did).
BUILTINS = {"InverseMatrix": "custom:InverseMatrix", "torch": "torch",
             "F": "torch.nn.functional", "nn": "torch.nn"}
#: Augmented assignments Python runs in place on a tensor (``__iadd__`` ...); others rebind.
IN_PLACE = {ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/=", ast.BitAnd: "&=",
            ast.BitOr: "|=", ast.BitXor: "^="}


@dataclass(frozen=True)
class PyModule:
    """A module or a dotted path inside one (``torch``, ``torch.linalg``, ``F``...)."""

    path: str

    def __repr__(self) -> str:  # messages show ``torch.strided``, not the wrapper
        return self.path


class Ignored:
    """A value the explorer does not model (matplotlib, a gradient handle, a number read from a
    tensor): only print/ignore it; ``hint``: the way out where the code computes with it."""

    def __init__(self, what: str, hint: str = "") -> None:
        self.what, self.hint = what, hint


class Defined:
    """A ``def`` (or ``f = lambda ...``) of the code, read when it is passed to a derivative."""

    def __init__(self, name: str, node: ast.FunctionDef | ast.Lambda) -> None:
        self.name, self.node = name, node


class Transformed:
    """``torch.func.hessian(f)``: a function of ``x`` still to be called."""

    def __init__(self, path: str, function: object) -> None:
        self.path, self.function = path, function


def describe(value: object) -> str:
    if isinstance(value, Defined):
        return f"the function '{value.name}'"
    if isinstance(value, Transformed):
        return f"{value.path}(...)"
    if isinstance(value, Ref):
        return "a tensor"
    if isinstance(value, PyModule):
        return f"'{value.path}'"
    if isinstance(value, Ignored):
        return f"'{value.what}'"
    if isinstance(value, tuple):
        return "a tuple"
    if isinstance(value, Var):
        return f"the number '{value.name}'"
    if isinstance(value, Calc):
        return "a number"
    return f"{type(value).__name__} {value!r}"


BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
           ast.MatMult: "@"}
STATEMENT_NAMES = {
    ast.FunctionDef: "a function definition (def)", ast.ClassDef: "a class definition",
    ast.For: "a for loop", ast.While: "a while loop", ast.If: "an if statement",
    ast.With: "a with block", ast.Try: "a try block", ast.Delete: "del", ast.Return: "return",
    ast.Raise: "raise", ast.Assert: "assert", ast.AnnAssign: "an annotated assignment",
}
EXPRESSION_NAMES = {
    ast.Compare: "a comparison", ast.BoolOp: "and/or", ast.IfExp: "a conditional expression",
    ast.ListComp: "a list comprehension", ast.GeneratorExp: "a generator expression",
    ast.DictComp: "a dict comprehension", ast.SetComp: "a set comprehension",
    ast.Dict: "a dict", ast.Lambda: "a lambda (outside jacobian and hessian)", ast.Set: "a set", ast.JoinedStr: "an f-string", ast.Starred: "'*'",
}
