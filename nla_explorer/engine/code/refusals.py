"""What a refusal of the safe interpreter suggests instead: Run as Python, or the Training tab.

Each function returns the whole message: the refusal as before, then `` — `` and the hint, so
that messages keep their start (``a for loop is not supported; …``) and only gain an ending.
"""

from __future__ import annotations

import ast
import builtins

RUN = "press Run cell (Shift+Enter) to run it as Python"
CLASSES = "classes need Run as Python: press Run cell (Shift+Enter)"
FUNCTION = ("your own autograd.Function needs Run as Python, which also checks its backward: "
            "press Run cell (Shift+Enter)")
MODULES = "torch.nn modules and optimizers need Run as Python: press Run cell (Shift+Enter)"
TRAINING = "the polynomial fit also lives in the Training tab"
UNDEFINED_CALL = ("if a def or class of your own defines it, press Run cell (Shift+Enter) to run "
                  "the code as Python")

#: Statements that Python runs but the safe interpreter does not (``return`` needs a ``def``).
_NO_HINT_STATEMENTS = (ast.Return,)
#: Names only a class body uses: refusing them means a class is being written.
CLASS_NAMES = frozenset({"super", "classmethod", "staticmethod", "property", "object", "type"})


def with_hint(message: str, *hints: str) -> str:
    """``message — hint; hint`` (the message alone when there is no hint)."""
    parts = [h for h in hints if h]
    return f"{message} — {'; '.join(parts)}" if parts else message


def statement_refusal(stmt: ast.stmt, what: str) -> str:
    """A statement the interpreter does not model (``for``, ``def``, ``class``, ``with``...)."""
    message = (f"{what} is not supported; write the expression with assignments and "
               "whitelisted torch calls")
    if isinstance(stmt, ast.ClassDef):
        return with_hint(message, *class_hints(stmt))
    if isinstance(stmt, _NO_HINT_STATEMENTS):
        return message
    return with_hint(message, RUN)


def class_hints(node: ast.ClassDef | None) -> tuple[str, ...]:
    """The hints for code inside a class (``node``; None: not inside one)."""
    if node is None:
        return (RUN,)
    bases = {_last_name(base) for base in node.bases}
    if "Function" in bases:
        return (FUNCTION,)
    if "Module" in bases:
        return (CLASSES, TRAINING)
    return (CLASSES,)


def call_refusal(path: str) -> str:
    """A torch function outside the whitelist (``torch.nn.Linear``, ``torch.optim.SGD``...)."""
    message = f"'{path}' is not in the whitelist of torch functions"
    if path.startswith(("torch.nn.", "torch.optim.")) and not path.startswith(
            "torch.nn.functional."):
        return with_hint(message, MODULES, TRAINING)
    if path.startswith("torch.autograd.Function"):
        return with_hint(message, FUNCTION)
    return with_hint(message, RUN)


def method_refusal(method: str) -> str:
    """A tensor method outside the whitelist (``.contiguous()``, ``.register_hook()``...)."""
    return with_hint(f"the tensor method '.{method}()' is not in the whitelist", RUN)


_BUILTINS = frozenset(dir(builtins))
#: Python's spelling of the operators the interpreter does not model.
_OPERATORS = {ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<", ast.RShift: ">>",
              ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Invert: "~", ast.Not: "not"}


def operator_refusal(op: ast.operator | ast.unaryop) -> str:
    """An operator outside the interpreter (``//``, ``%``...), as the code writes it."""
    symbol = _OPERATORS.get(type(op), type(op).__name__)
    return with_hint(f"the operator '{symbol}' is not supported", RUN)


def undefined_call(name: str) -> str:
    """A call of a name nothing defined (``Net()`` after a refused class), or of a Python built-in
    the safe reader does not model (``len(X)``: Python defines it, so saying "not defined" would
    be wrong)."""
    if name in _BUILTINS:
        return with_hint(f"the built-in {name}(…) is not supported by the safe reader", RUN)
    return with_hint(f"name '{name}' is not defined", UNDEFINED_CALL)


def attribute_refusal(attr: str) -> str:
    """A tensor attribute the safe reader does not model (``X.shape``)."""
    return with_hint(f"the tensor attribute '.{attr}' is not supported", RUN)


def enclosing_class(tree: ast.AST, line: int | None) -> ast.ClassDef | None:
    """The innermost class whose lines hold ``line``."""
    found = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and line is not None and \
                node.lineno <= line <= (node.end_lineno or node.lineno):
            if found is None or node.lineno >= found.lineno:
                found = node
    return found


def _last_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""
