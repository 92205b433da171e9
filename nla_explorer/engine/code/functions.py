"""Functions in the safe interpreter: a ``lambda`` or a small ``def`` passed to a derivative call.

``torch.autograd.functional.jacobian(f, x)`` / ``hessian(f, x)`` and ``torch.func.jacrev(f)(x)``,
``jacfwd``, ``hessian``: ``f`` is a ``lambda`` (or a name bound to one) or a ``def`` whose body holds
only assignments and a ``return``. Nothing is executed: the body is read by the same whitelist
parser into an :class:`Expression` whose ``input`` blocks are the parameters and the outer tensors
it reads, and :mod:`function_calls` runs it block by block with the catalogue's callables.
The derivative's block holds ``(Function, x, (captured tensors...))``: the captured tensors are
ordinary arguments, so ordering and wiring see them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from nla_explorer.engine.code.names import Defined, Ignored, PyModule, Transformed
from nla_explorer.engine.code.refusals import RUN, with_hint
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Expression, Ref, Var
from nla_explorer.engine.ops import CATALOGUE, FORMS

#: The calls that take a function: autograd.functional's take ``(f, x)``, torch.func's ``(f)``
#: and return a function of ``x``.
DERIVATIVE_FORMS = frozenset(form for key in ("jacobian", "hessian")
                             for form in CATALOGUE[key].forms)
TRANSFORM_PREFIX = "torch.func."
#: Ops whose block holds a derivative: a named result, not a tensor of the graph shown.
RESULTS = frozenset({"jacobian", "hessian"})
#: Keywords of torch.autograd.functional's calls passed on to torch (it checks their values).
KEYWORDS = frozenset({"create_graph", "strict", "vectorize", "strategy",
                       "outer_jacobian_strategy"})
_BODY_STATEMENTS = (ast.Assign, ast.Pass)


@dataclass(frozen=True)
class Function:
    """A function of the code: its parameters, its body's blocks, the outer tensors it reads."""

    params: tuple[str, ...]
    body: Expression  # ``input`` blocks: the parameters, then the captured tensors
    captured: tuple[str, ...]  # outer tensors the body reads, by name
    # how the code spells it: ``lambda x: 0.5 * x @ A @ x - b @ x``, or the def's name (like a
    # block's form, no part of equality: a session writes it anew from the body's blocks)
    text: str = field(compare=False)
    name: str | None = None  # the def's (or the assigned lambda's) name
    #: a def's code, written back before its first use (a lambda: its text)
    source: str = field(default="", compare=False)


def defines(stmt: ast.stmt) -> bool:
    """Whether ``stmt`` defines a function (``def f``, ``f = lambda x: ...``)."""
    return isinstance(stmt, ast.FunctionDef) or (
        isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Lambda)
        and all(isinstance(t, ast.Name) for t in stmt.targets))


def definitions(parser, stmt: ast.stmt) -> dict[str, Defined]:
    """The names ``stmt`` binds; a def's body is checked now (only assignments and a return)."""
    if isinstance(stmt, ast.FunctionDef):
        _check_def(parser, stmt)
        return {stmt.name: Defined(stmt.name, stmt)}
    return {t.id: Defined(t.id, stmt.value) for t in stmt.targets}


def handles(callee: object) -> bool:
    """Whether calling ``callee`` is a derivative call (or a call of the code's own function)."""
    return isinstance(callee, (Defined, Transformed)) or (
        isinstance(callee, str) and callee in DERIVATIVE_FORMS)


def read_call(parser, node: ast.Call, callee: object) -> object:
    """The block of a derivative call, or the :class:`Transformed` of ``torch.func.hessian(f)``."""
    if isinstance(callee, Defined):
        return _inline(parser, node, callee)
    if isinstance(callee, str) and callee.startswith(TRANSFORM_PREFIX):
        name = callee.rsplit(".", 1)[-1]
        if len(node.args) != 1 or node.keywords:
            parser._fail(with_hint(f"{name}(f) takes the function alone here (argnums and has_aux "
                                   "need Run as Python)", RUN), name)
        return Transformed(callee, read_function(parser, node.args[0], name))
    if isinstance(callee, Transformed):
        path, function, rest = callee.path, callee.function, node.args
        if node.keywords:
            parser._fail(f"{path}(f)(x) takes no keyword arguments", path.rsplit(".", 1)[-1])
    else:
        path, rest = callee, node.args[1:]
        name = path.rsplit(".", 1)[-1]
        if not node.args:
            parser._fail(f"{name}() needs a function and an input tensor", name)
        function = read_function(parser, node.args[0], name)
    name = path.rsplit(".", 1)[-1]
    kwargs = []
    for keyword in node.keywords:
        if keyword.arg not in KEYWORDS:
            parser._fail(f"the keyword '{keyword.arg}' of {name}() is not supported here",
                         keyword.arg)
        kwargs.append((keyword.arg, parser._expr(keyword.value)))
    if len(rest) != 1:
        parser._fail(with_hint(f"{name}() of one input tensor only here (several inputs need Run "
                               "as Python)", RUN), name)
    x = parser._tensor(rest[0], f"{name}()")
    if len(function.params) != 1:
        parser._fail(f"the function given to {name}() must take one argument, not "
                     f"{len(function.params)}", function.name or name)
    captured = tuple(parser.env[n] for n in function.captured)
    return parser._add(FORMS[path], (function, x, captured), tuple(kwargs), form=path)


def _inline(parser, node: ast.Call, callee: Defined) -> object:
    """``poly(x_vals)``: the body's blocks join the program, its parameters bound to the
    arguments, as Python runs the call; the function's local names do not outlive it."""
    function = callee.node
    args = function.args
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args) or \
            len(node.args) != len(args.args) or args.vararg or args.kwonlyargs or args.defaults:
        parser._fail(with_hint(f"{callee.name}() is called here with {len(node.args)} "
                               f"argument(s); the safe interpreter calls a function of the code "
                               "with its plain parameters only", RUN), callee.name)
    values = [parser._expr(a) for a in node.args]
    saved, last, line = dict(parser.env), parser.last_assigned, parser.line
    try:
        parser.env.update({a.arg: v for a, v in zip(args.args, values)})
        if isinstance(function, ast.Lambda):
            parser.line = function.lineno  # where Python's traceback ends on an error inside
            return parser._expr(function.body)
        body = _without_docstring(function.body)
        for stmt in body[:-1]:
            parser.line = stmt.lineno
            parser._statement(stmt)
        parser.line = body[-1].lineno
        return parser._expr(body[-1].value)
    finally:
        parser.env.clear()
        parser.env.update(saved)
        parser.last_assigned, parser.line = last, line


def read_function(parser, node: ast.expr, call: str) -> Function:
    """The function argument of a derivative call: a lambda, or the name of a def or lambda."""
    if isinstance(node, ast.Lambda):
        return _read(parser, node, None)
    value = parser._expr(node) if isinstance(node, ast.Name) else None
    if isinstance(value, Defined):
        return _read(parser, value.node, value.name)
    parser._fail(f"the first argument of {call}() must be a lambda or a function defined in the "
                 "code", call)


def read_printed(parser, node: ast.expr) -> Function | None:
    """What a printed or plotted line computes (``W @ x`` of ``print(W @ x)``) as a function of
    no parameters, run on its line for Python's errors and shown nowhere; None where the safe
    reader cannot read it (the line is then only checked, as before)."""
    empty = ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                          kwarg=None, defaults=[])
    try:
        return _read(parser, ast.copy_location(ast.Lambda(args=empty, body=node), node), None)
    except (ExpressionError, RecursionError):
        return None


def _check_def(parser, stmt: ast.FunctionDef) -> None:
    if stmt.decorator_list:
        parser._fail(with_hint("decorators are not supported", RUN), stmt.name)
    body = _without_docstring(stmt.body)
    for inner in body[:-1]:
        if not isinstance(inner, _BODY_STATEMENTS):
            parser.line = inner.lineno
            what = type(inner).__name__.lower()
            parser._fail(with_hint(f"a function definition (def) may hold only assignments and a "
                                   f"return here; '{what}' is not supported", RUN), stmt.name)
    last = body[-1] if body else None
    if not isinstance(last, ast.Return) or last.value is None:
        parser._fail(with_hint("a function definition (def) must end with 'return <tensor "
                               "expression>' here", RUN), stmt.name)


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
            isinstance(first.value.value, str):
        return body[1:]
    return body


def _read(parser, node: ast.FunctionDef | ast.Lambda, name: str | None) -> Function:
    """Read the body with a parser of its own: parameters and captured tensors as inputs."""
    args = node.args
    if args.posonlyargs or args.vararg or args.kwonlyargs or args.kwarg or args.defaults:
        parser._fail(with_hint("a function given to a derivative takes plain parameters only "
                               "(no defaults, *args or keywords)", RUN), name)
    params = tuple(a.arg for a in args.args)
    if isinstance(node, ast.FunctionDef):
        body = _without_docstring(node.body)
        statements, result = body[:-1], body[-1].value
    else:
        statements, result = [], node.body
    local = set(params) | {t.id for s in statements for target in s.targets
                           for t in ast.walk(target) if isinstance(t, ast.Name)} \
        if statements else set(params)
    loaded = dict.fromkeys(n.id for s in (*statements, result) for n in ast.walk(s)
                           if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))
    captured = tuple(n for n in loaded if n not in local and isinstance(parser.env.get(n), Ref))
    sub = type(parser)(params + captured)
    sub.env.update({k: v for k, v in parser.env.items() if k not in sub.env and
                    isinstance(v, (PyModule, Ignored, Var, Defined))})
    sub.numbers.update(parser.numbers)
    sub.line = parser.line
    for stmt in statements:
        sub.line = stmt.lineno
        sub._statement(stmt)
    sub.line = getattr(result, "lineno", parser.line)
    value = sub._expr(result)
    label = name or "the lambda"
    if not isinstance(value, Ref):
        sub._fail(f"{label} must return a tensor", name)
    sub.blocks = [b for b in sub.blocks if b.op != "shows"]  # a print in a body: passed over
    for block in sub.blocks:
        spec = CATALOGUE.get(block.op)
        if spec is not None and (spec.statement or spec.random or block.op == "manual_seed"):
            sub._fail(with_hint(f"'{block.form or block.op}' is not supported inside {label}",
                                RUN), block.op)
    text = name if name is not None else ast.unparse(node)
    body = Expression(tuple(sub.blocks), tuple(sub.numbers.items()), value.block)
    return Function(params, body, captured, text, name, ast.unparse(node))
