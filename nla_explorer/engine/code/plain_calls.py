"""Calls of the code's own functions in a plain walk (:mod:`plain_values`), as Python runs them.

``f(x)`` of ``f = lambda t: t * (1 / 0)`` (or of a ``def`` of assignments and a ``return``) raises
ZeroDivisionError inside ``f``, on the lambda's (or the return's) line; so do
``torch.autograd.functional.jacobian(f, x)``, ``hessian(f, x)`` and ``torch.func.jacrev(f)(x)``,
which call ``f``. The body is walked with the call's arguments bound to its parameters (one that
is no plain value, a tensor, is unknown): its value where all of it is plain, else the first plain
part Python evaluates that raises (:class:`PlainError`, with the line), else unknown.
"""

from __future__ import annotations

import ast

from nla_explorer.engine.code.names import Defined, PyModule
from nla_explorer.engine.code.plain_parts import Bound, NotPlain, PlainError, in_order, lazy_parts
from nla_explorer.engine.ops import CATALOGUE

#: The calls that call the function they are given (torch.func's return a function of ``x``).
DERIVATIVE_FORMS = frozenset(form for key in ("jacobian", "hessian")
                             for form in CATALOGUE[key].forms)
_TRANSFORM_PREFIX = "torch.func."
_MAX_DEPTH = 16  # a function of the code calling another, and so on (deeper: not computed)
_MAX_CALLS = 400  # calls followed in one walk (``f(x) + f(x)`` in ``g``, ``g`` twice in ``h``...)
_UNKNOWN_ARGUMENT = object()  # a parameter or local name whose value is no plain one (a tensor)


class FunctionCalls:
    """The part of a plain walk that follows calls into the code's functions."""

    env: dict[str, object]
    numbers: dict[str, object]
    size: object  # how the walk reads a tensor's size (None: as unknown)
    depth: int
    calls: list[int]  # the calls followed so far, shared by the walks of one expression

    def value(self, node: ast.AST) -> object:
        raise NotImplementedError

    def called_function(self, node: ast.Call) -> ast.Lambda | ast.FunctionDef | None:
        """The code's function ``node`` runs: ``f(x)``, ``jacobian(f, x)``, ``jacrev(f)(x)``."""
        func = node.func
        if isinstance(func, ast.Name) and isinstance(self.env.get(func.id), Defined):
            return self.env[func.id].node
        if isinstance(func, ast.Call) and self._dotted(func.func).startswith(_TRANSFORM_PREFIX) \
                and self._dotted(func.func) in DERIVATIVE_FORMS and len(func.args) == 1:
            return self._function_of(func.args[0])  # torch.func.hessian(f)(x)
        path = self._dotted(func)
        if path in DERIVATIVE_FORMS and not path.startswith(_TRANSFORM_PREFIX) and node.args:
            return self._function_of(node.args[0])  # jacobian(f, x)
        return None

    def _function_of(self, node: ast.expr) -> ast.Lambda | ast.FunctionDef | None:
        if isinstance(node, ast.Lambda):
            return node
        bound = self.env.get(node.id) if isinstance(node, ast.Name) else None
        return bound.node if isinstance(bound, Defined) else None

    def _dotted(self, node: ast.expr) -> str:
        """``torch.autograd.functional.hessian`` for the dotted name ``node`` spells, else ''."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        bound = self.env.get(node.id) if isinstance(node, ast.Name) else None
        return ".".join([bound.path, *reversed(parts)]) if isinstance(bound, PyModule) else ""

    def call_function(self, node: ast.Call, function: ast.Lambda | ast.FunctionDef) -> object:
        """What calling ``function`` as ``node`` does: a derivative call's arguments are read
        for their errors, and its function called with one unknown tensor."""
        args = function.args
        direct = isinstance(node.func, ast.Name) and isinstance(self.env.get(node.func.id),
                                                                Defined)
        if node.keywords and direct or any(isinstance(a, ast.Starred) for a in node.args) or \
                len(args.args) != (len(node.args) if direct else 1) or args.vararg or \
                args.kwarg or args.posonlyargs or args.kwonlyargs or args.defaults or \
                self.depth >= _MAX_DEPTH or self.calls[0] >= _MAX_CALLS:
            raise NotPlain
        self.calls[0] += 1
        given = node.args if direct or isinstance(node.func, ast.Call) else node.args[1:]
        values = []
        for arg in given:  # evaluated before the call, as Python does
            try:
                values.append(Bound(self.value(arg)))
            except NotPlain:
                values.append(_UNKNOWN_ARGUMENT)
        if not direct:
            values = [_UNKNOWN_ARGUMENT]  # torch calls the function on a tensor of its own
        body = type(self)({**self.env, **{a.arg: v for a, v in zip(args.args, values)}},
                          self.numbers, {}, self.size, self.depth + 1)
        body.calls = self.calls
        if isinstance(function, ast.Lambda):
            found = body.returned([], function.body)
        else:
            statements = [s for s in function.body if isinstance(s, ast.Assign)]
            found = body.returned(statements, function.body[-1].value)
        if not direct:
            raise NotPlain  # a Jacobian or Hessian: a tensor
        return found

    def returned(self, statements: list[ast.Assign], result: ast.expr) -> object:
        """What a function's body returns; :class:`PlainError` (on its line) where it raises."""
        found = None
        for part in (*(s.value for s in statements), result):
            try:
                found = self.value(part)
            except (PlainError, NotPlain):
                error = next((e for sub in in_order(part, lazy_parts(part))
                              if (e := self.raised(sub)) is not None), None)
                if error is not None:
                    raise error from None
                found = _UNKNOWN_ARGUMENT
            for target in (t for s in statements if s.value is part for t in s.targets):
                self._bind(target, found)
        if found is _UNKNOWN_ARGUMENT:
            raise NotPlain
        return found

    def _bind(self, target: ast.expr, value: object) -> None:
        """``a = …`` or ``a, b = …`` in a function's body: the names' values (or unknown)."""
        if isinstance(target, ast.Name):
            self.env[target.id] = _UNKNOWN_ARGUMENT if value is _UNKNOWN_ARGUMENT else Bound(value)
        elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (tuple, list)) and \
                len(value) == len(target.elts) and \
                not any(isinstance(e, ast.Starred) for e in target.elts):
            for part, item in zip(target.elts, value):
                self._bind(part, item)
        else:
            self.env.update({t.id: _UNKNOWN_ARGUMENT for t in ast.walk(target)
                             if isinstance(t, ast.Name)})

    def raised(self, node: ast.expr) -> PlainError | None:
        """The error ``node`` raises, with its line where it has none yet, else None."""
        try:
            self.value(node)
        except PlainError as error:
            if error.line is None:
                error.line = getattr(node, "lineno", None)
            return error
        except NotPlain:
            pass
        return None
