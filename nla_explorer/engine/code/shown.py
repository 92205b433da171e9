"""What ``print(...)``, a plot call or a bare line only shows: checked, and run for its errors.

The safe reader shows no printed values, so where Python would do more than show one it cannot
follow, and says so instead of showing another program: a draw of random numbers (every later
number would differ), an in-place change, a backward pass, a name nothing defined (Python raises
NameError there). What the line computes and reads from the program's tensors, where torch may
refuse it, is kept as ``shows`` blocks run in its place and then dropped: ``print(W @ x)`` of
mismatched shapes, ``y.item()`` of a vector, ``w.numpy()`` or a plot of a tensor that requires
grad raise on that line, as in Python.
"""

from __future__ import annotations

import ast
import builtins

import torch

from nla_explorer.engine.code.names import IGNORED_CALLS, Ignored, PyModule
from nla_explorer.engine.code.plain_parts import lazy_parts
from nla_explorer.engine.code.plain_values import UNKNOWN, PlainError
from nla_explorer.engine.code.refusals import RUN, with_hint
from nla_explorer.engine.expression import Ref

#: Calls that draw from the random generator (or reseed it).
RANDOM_CALLS = frozenset({
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal",
    "bernoulli", "multinomial", "poisson", "dropout", "manual_seed", "seed"})
#: Calls that run the autograd engine.
AUTOGRAD_FUNCTIONS = frozenset({
    "backward", "grad", "jacobian", "hessian", "vjp", "jvp", "vhp", "hvp"})
#: Tensor methods whose result a line may only show (a number, an array, a list).
SHOWN_METHODS = frozenset({"item", "numpy", "tolist"})
#: Names every cell may use: Python's builtins and the notebook's own (``display``).
_BUILTINS = frozenset(dir(builtins)) | IGNORED_CALLS


def shown_refusal(node: ast.expr, env: dict[str, object], where: str = "print(…)",
                  graded: bool = True) -> tuple[str, str] | None:
    """Why the safe reader cannot pass over ``node`` (message, culprit), or None when it only
    shows values. ``env``: the program's names (tensors are ``Ref``, numpy or matplotlib
    ``Ignored``: their own random draws leave torch's numbers alone); ``graded``: whether a
    backward pass (or ``x.grad =``) came before, else every ``x.grad`` is still None."""
    if not graded:
        found = _use_of_no_grad(node)
        if found is not None:
            return found
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
            isinstance(env.get(node.value.id), Ref) and not hasattr(torch.Tensor, node.attr):
        return f"'Tensor' object has no attribute '{node.attr}'", node.attr  # Python's words
    bound = _bound_inside(node)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and \
                sub.id not in bound and sub.id not in _BUILTINS and sub.id not in env:
            return f"name '{sub.id}' is not defined", sub.id
        if isinstance(sub, ast.NamedExpr):
            return with_hint(f"{where} assigns with :=, which the safe reader does not run",
                             RUN), ":="
        if isinstance(sub, ast.Call) and not isinstance(env.get(_root(sub.func)), Ignored):
            name = _called(sub.func)
            what = ("draws random numbers" if name in RANDOM_CALLS else
                    "runs a backward pass" if name in AUTOGRAD_FUNCTIONS else
                    "changes a tensor in place" if _in_place(name) else None)
            if what is not None:
                return with_hint(f"{where} here {what} ({name}): the safe reader does not run "
                                 "what is only printed or plotted, and every number after it "
                                 "would differ from Python's", RUN), name
    return None


def _use_of_no_grad(node: ast.expr) -> tuple[str, str] | None:
    """``x.grad.norm()`` or ``x.grad[0]`` before any backward: Python's error on None, at the
    innermost use (``x.grad.grad.norm()`` fails at ``.grad``: the last one the walk finds)."""
    found = None
    for sub in ast.walk(node):
        base = sub.value if isinstance(sub, (ast.Attribute, ast.Subscript)) else None
        if isinstance(base, ast.Attribute) and base.attr == "grad":
            found = (f"'NoneType' object has no attribute '{sub.attr}'", sub.attr) \
                if isinstance(sub, ast.Attribute) else \
                ("'NoneType' object is not subscriptable", "grad")
    return found


def _called(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _root(func: ast.expr) -> str:
    while isinstance(func, (ast.Attribute, ast.Call, ast.Subscript)):
        func = func.func if isinstance(func, ast.Call) else func.value
    return func.id if isinstance(func, ast.Name) else ""


def _in_place(name: str) -> bool:
    return name.endswith("_") and not name.startswith("_")


def _bound_inside(node: ast.expr) -> set[str]:
    """Names a comprehension or a lambda inside ``node`` binds for itself."""
    bound: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.comprehension):
            bound |= {n.id for n in ast.walk(sub.target) if isinstance(n, ast.Name)}
        elif isinstance(sub, ast.Lambda):
            bound |= {a.arg for a in (*sub.args.posonlyargs, *sub.args.args,
                                      *sub.args.kwonlyargs)}
            bound |= {a.arg for a in (sub.args.vararg, sub.args.kwarg) if a is not None}
    return bound


def _as_arrays(module: object, name: str) -> bool:
    """Whether a call of ``module`` turns its tensors into arrays as ``np.asarray`` does (numpy's
    other functions call the tensor's own methods instead: ``np.mean(x)`` is ``x.mean(axis=…)``)."""
    return isinstance(module, Ignored) and (module.what.startswith("matplotlib") or
                                            name in ("array", "asarray"))


def _whole_numbers(index: ast.expr) -> bool:
    """``5``, ``-1`` or ``(0, 2)``: an index the reader can check as Python would (x[5])."""
    try:
        value = ast.literal_eval(index)
    except ValueError:
        return False
    items = value if isinstance(value, tuple) else (value,)
    return bool(items) and all(type(i) is int for i in items)


def shows_a_value(node: ast.expr) -> bool:
    """A line that only shows a tensor's number or array (``loss.item()``, ``w.tolist()``)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
        node.func.attr in SHOWN_METHODS and not node.args and not node.keywords


def shown_reads(node: ast.expr, env: dict[str, object], computed=None,
                plain=None) -> list[tuple[str, object, tuple]]:
    """What a shown line reads from the program's tensors that torch (or Python) may refuse, in
    Python's order, as (form, arguments, keywords): ``y.item()``, ``w.numpy()``, every tensor a
    matplotlib call or ``np.array`` turns into an array (``plt.plot(x, y)``), and a use of
    ``h.grad`` (None for a non-leaf, or before any backward: ``h.grad.norm()`` raises).

    ``computed(sub)``: the function of a tensor expression the line computes (``W @ x`` in
    ``print(W @ x)``), or None where the safe reader cannot read it; each one it gives is read as
    ``("shows:value", function, keywords)``, with ``("then", "item")`` where the line takes the
    result's ``.item()`` (or another of :func:`_python_read`'s reads), so that a shape error
    there raises on the line.

    ``plain(sub)``: :func:`plain_value` of a part of the line; where Python raises on one
    (``print(1 / 0)``) the read is ``("shows:raise", (), (("error", type), ("message", …),
    ("code", "1 / 0")))``,
    and nothing after it is read (Python stops there)."""
    out: list[tuple[str, object, tuple]] = []
    lazy = lazy_parts(node)  # what Python may not evaluate: no error of its own is said

    def tensor(sub: ast.expr) -> bool:
        return isinstance(sub, ast.Name) and isinstance(env.get(sub.id), Ref)

    def value(sub: ast.expr, then: tuple = ()) -> bool:
        function = computed(sub) if computed is not None and _computes(sub, env) else None
        if function is not None:
            out.append(("shows:value", (function, tuple(env[n] for n in function.captured)),
                        then))
        return function is not None

    def visit(sub: ast.AST) -> None:
        if isinstance(sub, ast.expr) and plain is not None and id(sub) not in lazy:
            try:
                if plain(sub) is not UNKNOWN:
                    return  # a plain value Python computes without complaint
            except PlainError as error:
                for child in ast.iter_child_nodes(sub):  # what Python evaluates first, inside
                    if id(child) not in lazy:  # (g(W @ u), len(x) / 0): its errors come first
                        visit(child)
                out.append(("shows:raise", (), (("error", error.python_type),
                                                ("message", error.message),
                                                ("code", ast.unparse(sub)[:60]))))
                raise _Raised from None
        if isinstance(sub, ast.expr) and value(sub):
            return
        read = _python_read(sub)
        if read is not None:
            name, operand, kw = read
            if name == "concat":  # "loss: " + L: the text first, as Python runs it
                visit(sub.left)
            if value(operand, (("then", name), *kw)):
                return
            visit(operand)
            if tensor(operand):
                out.append((f"shows:{name}", (env[operand.id],), kw))
            return
        for child in ast.iter_child_nodes(sub):  # arguments before the call, as Python runs
            visit(child)
        base = sub.value if isinstance(sub, (ast.Attribute, ast.Subscript)) else None
        if isinstance(base, ast.Attribute) and base.attr == "grad" and tensor(base.value):
            use = sub.attr if isinstance(sub, ast.Attribute) else "[]"
            out.append(("shows:grad", (env[base.value.id],), (("use", use),)))
        elif isinstance(sub, ast.Subscript) and tensor(base) and _whole_numbers(sub.slice):
            index = ast.literal_eval(sub.slice)
            out.append(("shows:index", (env[base.id],), (("index", index),)))
        elif isinstance(sub, ast.Call) and _as_arrays(env.get(_root(sub.func)), _called(sub.func)):
            out.extend(("shows:array", (env[a.id],), ()) for a in sub.args if tensor(a))
    try:
        visit(node)
    except _Raised:
        pass
    return out


class _Raised(Exception):
    """A plain part of a shown line raised: what comes after it is not run."""


def _computes(node: ast.expr, env: dict[str, object]) -> bool:
    """Whether ``node`` computes with the program's tensors or torch's (``W @ x``, ``x.T``,
    ``torch.inverse(A)``), not only names one or reads what a backward pass left (``x.grad``)."""
    if not isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Call, ast.Subscript, ast.Attribute)):
        return False
    if isinstance(node, ast.Attribute) and node.attr == "grad":
        return False
    return any(isinstance(sub, ast.Name) and isinstance(env.get(sub.id), Ref) or
               isinstance(sub, ast.Call) and isinstance(env.get(_root(sub.func)), PyModule)
               for sub in ast.walk(node))


#: Builtins a line may apply to a tensor, where Python (or torch) refuses some: ``float(x)`` of
#: a vector, ``len(L)`` of a scalar, ``bool(x)`` of several values.
BUILTIN_READS = ("float", "int", "len", "bool")


def _python_read(sub: ast.AST) -> tuple[str, ast.expr, tuple] | None:
    """The read a shown line applies to one operand, as ``(read, operand, keywords)``:
    ``y.item()``, ``w.numpy()``, ``float(y)``, ``f"{y:.3f}"`` (``format``, its spec) and
    ``"loss: " + L`` (``concat``, Python's TypeError); None for anything else."""
    if isinstance(sub, ast.Call) and not sub.keywords:
        func = sub.func
        if isinstance(func, ast.Attribute) and func.attr in ("item", "numpy") and not sub.args:
            return func.attr, func.value, ()
        if isinstance(func, ast.Name) and func.id in BUILTIN_READS and len(sub.args) == 1 and \
                not isinstance(sub.args[0], ast.Starred):
            return func.id, sub.args[0], ()
    if isinstance(sub, ast.FormattedValue) and sub.conversion == -1 and \
            isinstance(sub.format_spec, ast.JoinedStr) and \
            all(isinstance(v, ast.Constant) for v in sub.format_spec.values):  # not {x!r:>9}
        spec = "".join(str(v.value) for v in sub.format_spec.values)
        return "format", sub.value, (("spec", spec),)
    if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Add) and (
            isinstance(sub.left, ast.JoinedStr) or
            isinstance(sub.left, ast.Constant) and isinstance(sub.left.value, str)):
        return "concat", sub.right, ()
    return None


def reads_a_number(stmt: ast.Assign, env: dict[str, object]) -> bool:
    """``v = loss.item()`` (or ``float(…)``, ``int(…)`` of a tensor expression): a Python number
    for prints; a use in a tensor expression is refused there, by name."""
    read = _python_read(stmt.value)
    return read is not None and read[0] in ("item", "float", "int") and \
        all(isinstance(t, ast.Name) for t in stmt.targets) and (
            isinstance(read[1], ast.Name) and isinstance(env.get(read[1].id), Ref) or
            _computes(read[1], env))
