"""``parse_code``: course-style PyTorch code → :class:`Expression`, by interpreting a whitelist.

The text is read as a Python syntax tree and walked statement by statement; each constructor or op
becomes a :class:`Block`. Nothing is evaluated here — not even numbers beyond simple folding — and
no ``eval``/``exec`` is ever called on user text.
"""

from __future__ import annotations

import ast
from ast import unparse
from dataclasses import replace
from typing import Iterable

from nla_explorer.engine.code.names import (
    BINOPS, BUILTINS, EXPRESSION_NAMES, IGNORED_CALLS, STATEMENT_NAMES,
    Ignored, PyModule, describe,
)
from nla_explorer.engine.code import (
    comparisons, comprehensions, functions, grad_flags, plain_lines, refusals,
)
from nla_explorer.engine.code.safety import parse_source
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Block, Calc, DType, Expression, Ref, Slice, Var
from nla_explorer.engine.code.backward_lines import closing_backward, with_call_texts
from nla_explorer.engine.code.updates import assign_item, augmented
from nla_explorer.engine.code.unpacking import unpacks
from nla_explorer.engine.code.shown import (
    BUILTIN_READS, reads_a_number, shown_reads, shown_refusal, shows_a_value,
)
from nla_explorer.engine.code.calc import UNARY, calc_value, fold, symbolic
from nla_explorer.engine.code.numbers import checked
from nla_explorer.engine.ops import AUTOGRAD_CALLS, CATALOGUE, DTYPES, FORMS


def parse_code(text: str, output: str | None = None, inputs: Iterable[str] = ()) -> Expression:
    """Read course-style code into an :class:`Expression`.

    ``output`` names the output variable (default: the tensor of ``y.backward()``, else the last
    assigned tensor). ``inputs`` names tensors supplied from outside (manual-gradient formulas).
    Raises :class:`ExpressionError` with the line and the culprit for anything outside the whitelist.
    """
    return with_call_texts(_Parser(inputs).run(parse_source(text), output), text)


class _Parser:
    def __init__(self, inputs: Iterable[str]) -> None:
        self.blocks: list[Block] = []
        self.positions: dict[str, int] = {}  # block id → index in blocks (long code stays linear)
        self.numbers: dict[str, int | float] = {}
        self.env: dict[str, object] = {k: PyModule(v) for k, v in BUILTINS.items()}
        self.marked: str | None = None
        self.last_assigned: str | None = None
        self.line = 0
        self.graded = False  # a backward call (or x.grad =) came: x.grad may be a tensor
        self.stopped = False  # a line raises in Python (print(1 / 0)): nothing after it runs
        self.unrolled = 0  # items of comprehensions read so far (their number is bounded)
        for name in inputs:
            self.env[name] = self._add("input", (name,), (), name=name)

    # -- statements ------------------------------------------------------------------------------
    def run(self, tree: ast.Module, output: str | None) -> Expression:
        for stmt in tree.body:
            self.line = stmt.lineno
            try:
                self._statement(stmt)
            except RecursionError:
                raise ExpressionError("the expression is nested too deeply", line=self.line) from None
            except ExpressionError:
                if not self.stopped:
                    raise
                break  # a line above raises first in Python: the reader's refusal is not said
        closing = closing_backward(self.blocks)  # f.backward() ends the program: f is the output
        if closing is not None:
            del self.positions[self.blocks.pop().id]
        out = self._output(output)
        return Expression(tuple(self.blocks), tuple(self.numbers.items()), out,
                          closing.line if closing is not None and out == self.marked else None)

    def _output(self, output: str | None) -> str | None:
        if output is not None:
            ref = self.env.get(output)
            if not isinstance(ref, Ref):
                raise ExpressionError(f"the output '{output}' is not a tensor of the code",
                                      culprit=output)
            return ref.block
        return self.marked or self.last_assigned or next(
            (b.id for b in reversed(self.blocks) if b.op not in ("manual_seed", "input")), None)

    def _statement(self, stmt: ast.stmt) -> None:
        if functions.defines(stmt):  # a def or ``f = lambda``: read when passed to a derivative
            self.env.update(functions.definitions(self, stmt))
        elif plain_lines.raising_line(self, stmt):  # print(1 / 0), n = [1, 2][5]
            pass
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                self._import(alias.name, alias.asname or alias.name.split(".")[0],
                             alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(stmt, ast.ImportFrom):
            module = stmt.module or ""
            for alias in stmt.names:
                if alias.name == "*":
                    self._fail("star imports are not supported", module)
                self._import(module, alias.asname or alias.name, f"{module}.{alias.name}")
        elif isinstance(stmt, ast.Expr):
            self._expression_statement(stmt.value)
        elif isinstance(stmt, ast.Assign) and reads_a_number(stmt, self.env):  # v = L.item()
            self._shown(stmt.value, "this line", unparse(stmt))
            self.env.update({t.id: Ignored(f"'{t.id}', a Python number read from a tensor "
                                           f"({unparse(stmt.value)}),", refusals.RUN)
                             for t in stmt.targets})
        elif isinstance(stmt, ast.Assign):
            value = self._expr(stmt.value)
            for target in stmt.targets:
                self._assign(target, value)
        elif isinstance(stmt, ast.AugAssign):
            augmented(self, stmt)
        elif isinstance(stmt, ast.Pass):
            pass
        elif isinstance(stmt, ast.With):
            grad_flags.with_statement(self, stmt)
        else:
            what = STATEMENT_NAMES.get(type(stmt), type(stmt).__name__)
            self._fail(refusals.statement_refusal(stmt, what), what)

    def _import(self, module: str, bound: str, path: str) -> None:
        """Bind an import's name (modules were checked by :func:`check_safe`); nothing is imported."""
        self.env[bound] = plain_lines.bound_import(path)  # from math import pi: a number

    def _expression_statement(self, node: ast.expr) -> None:
        if isinstance(node, ast.Constant):
            return  # a docstring
        if isinstance(node, (ast.Name, ast.Attribute)) or shows_a_value(node):  # loss.item()
            return self._shown(node, "this line")  # a value the notebook shows: nothing to build
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and (func.id in IGNORED_CALLS or func.id in
                                               BUILTIN_READS and func.id not in self.env):
                return self._shown(node, f"{func.id}(…)")  # print(…), a bare float(loss)
            if isinstance(func, ast.Attribute) and func.attr == "requires_grad_":
                return grad_flags.requires_grad_statement(self, func.value, node)
            callee = self._callee(func)  # evaluated once: reading x.T twice would add a node
            if isinstance(callee, Ignored):
                return self._shown(node, "this call")
            value = self._call(node, callee)
        else:
            value = self._expr(node)
        if isinstance(value, Ref) and not CATALOGUE[self.blocks[-1].op].statement \
                and self.blocks[-1].op != "manual_seed":
            self.last_assigned = value.block

    def _shown(self, node: ast.expr, where: str, text: str | None = None) -> None:
        if (refused := shown_refusal(node, self.env, where, self.graded)) is not None:
            self._fail(*refused)
        reads = shown_reads(node, self.env, lambda sub: functions.read_printed(self, sub),
                            plain_lines.plain_reader(self))
        self.stopped = self.stopped or any(form == "shows:raise" for form, _, _ in reads)
        for k, (form, args, kw) in enumerate(reads):  # run on the line: torch checks them
            self._add("shows", args, kw, form=form, text=None if k else text or unparse(node))

    def _assign(self, target: ast.expr, value: object) -> None:
        if isinstance(target, ast.Attribute):
            grad_flags.set_attribute(self, target, value)
            return
        if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, Ref) and \
                unpacks(self, self.blocks[self._index_of(value.block)], len(target.elts)):
            value = tuple(self._add("index", (value, i), (), form="[]")
                          for i in range(len(target.elts)))
        if isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, tuple) or len(value) != len(target.elts):
                self._fail("unpacking needs a tuple of the same length on the right")
            for t, v in zip(target.elts, value):
                self._assign(t, v)
            return
        if isinstance(target, ast.Subscript):
            assign_item(self, target, value)
            return
        if not isinstance(target, ast.Name):
            self._fail("only assignments to plain names are supported")
        name = target.id
        if symbolic(value):  # a named number made of others keeps its value, as Python does
            value = calc_value(value, self.numbers)
        if isinstance(value, bool) or not isinstance(value, (int, float, Ref, Ignored)):
            self._fail(f"'{name}' must be a tensor or a number, not {describe(value)}", name)
        if isinstance(value, (int, float)):
            if name in self.numbers and self.numbers[name] != value:
                self._fail(f"'{name}' is already {self.numbers[name]}; a size name keeps one value",
                           name)
            if isinstance(self.env.get(name), Ref):
                self._fail(f"'{name}' is a tensor above; use another name for the number", name)
            self.numbers[name] = value
            self.env[name] = Var(name)
            return
        if name in self.numbers:
            self._fail(f"'{name}' is the number {self.numbers[name]} above; use another name for "
                       "the tensor", name)
        if isinstance(value, Ref):
            index = self._index_of(value.block)
            if self.blocks[index].name is None:
                self.blocks[index] = replace(self.blocks[index], name=name)
            if self.blocks[index].op not in functions.RESULTS:  # a result is no graph's output
                self.last_assigned = value.block
        self.env[name] = value

    # -- expressions -----------------------------------------------------------------------------
    def _expr(self, node: ast.expr) -> object:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
                try:
                    return checked(node.value)  # refuses huge and infinite literals
                except ValueError as exc:
                    self._fail(str(exc))
            if isinstance(node.value, (bool, str)) or node.value in (None, ...):
                return node.value
            self._fail(f"the literal {node.value!r} is not supported")
        if isinstance(node, ast.Name):
            if node.id not in self.env:
                self._fail(f"name '{node.id}' is not defined", node.id)
            return self.env[node.id]
        if isinstance(node, (ast.Tuple, ast.List)):
            return tuple(self._expr(e) for e in node.elts)
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if comparisons.handles(node):  # x > 0, ~m, m1 & m2 (and what Python makes one bool of)
            return comparisons.read(self, node)
        if comprehensions.handles(node):  # [x[i] ** 2 for i in range(4)]: its items, unrolled
            return comprehensions.read(self, node)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        what = EXPRESSION_NAMES.get(type(node), type(node).__name__)
        self._fail(refusals.with_hint(f"{what} is not supported here", refusals.RUN), what)

    def _attribute(self, node: ast.Attribute) -> object:
        base = self._expr(node.value)
        if (number := plain_lines.constant_of(base, node.attr)) is not None:
            return number  # torch.inf, math.pi
        if isinstance(base, PyModule):
            path = f"{base.path}.{node.attr}"
            if base.path == "torch" and node.attr in DTYPES:
                return DType(node.attr)
            return PyModule(path)
        if isinstance(base, Ignored):
            return base
        if isinstance(base, Ref):
            form = f"attr:{node.attr}"
            if form in FORMS:
                return self._add(FORMS[form], (base,), (), form=form)
            self._fail(refusals.attribute_refusal(node.attr), node.attr)
        self._fail(refusals.with_hint(f"'.{node.attr}' of {describe(base)} is not supported",
                                      refusals.RUN), node.attr)

    def _callee(self, func: ast.expr) -> object:
        if isinstance(func, ast.Name) and func.id in IGNORED_CALLS:
            return Ignored(func.id)
        if isinstance(func, ast.Name) and func.id not in self.env:
            self._fail(refusals.undefined_call(func.id), func.id)
        target = self._expr(func) if not isinstance(func, ast.Attribute) else None
        if isinstance(func, ast.Attribute):
            base = self._expr(func.value)
            if isinstance(base, Ignored):
                return base
            if isinstance(base, PyModule):
                return f"{base.path}.{func.attr}"
            return ("method", base, func.attr)
        if isinstance(target, PyModule):
            return target.path
        return target

    def _call(self, node: ast.Call, callee: object = None) -> object:
        if (number := plain_lines.number_call(self, node)) is not None:
            return number  # float('inf'), math.sqrt(2)
        if comprehensions.is_sum(self, node):  # sum(w.norm() for w in (a, b))
            return comprehensions.read_sum(self, node)
        callee = self._callee(node.func) if callee is None else callee
        if functions.handles(callee):  # jacobian(f, x), torch.func.hessian(f)(x), f(x)
            return functions.read_call(self, node, callee)
        if isinstance(callee, Ignored):
            return callee  # numpy, matplotlib...: not modelled (nor read), unless a tensor needs it
        if any(isinstance(a, ast.Starred) for a in node.args):
            self._fail(refusals.with_hint("'*' argument unpacking is not supported", refusals.RUN))
        args = tuple(self._expr(a) for a in node.args)
        if any(k.arg is None for k in node.keywords):
            self._fail(refusals.with_hint("'**' keyword unpacking is not supported", refusals.RUN))
        kwargs = tuple((k.arg, self._expr(k.value)) for k in node.keywords)
        for value in (*args, *(v for _, v in kwargs)):
            if isinstance(value, Ignored):
                self._fail(refusals.with_hint(f"{value.what} cannot be used in a tensor "
                                              "expression here", value.hint))
        if isinstance(callee, tuple) and callee[0] == "method":
            _, base, method = callee
            if not isinstance(base, Ref):
                self._fail(f"'.{method}()' of {describe(base)} is not supported", method)
            form = f".{method}"
            if form not in FORMS:
                self._fail(refusals.method_refusal(method), method)
            at = CATALOGUE[FORMS[form]].receiver  # x.where(c, y) keeps torch.where's order
            if len(args) < at:
                self._fail(refusals.with_hint(f"'.{method}()' is read here with its first "
                                              "arguments given by position", refusals.RUN), method)
            return self._add(FORMS[form], (*args[:at], base, *args[at:]), kwargs, form=form)
        if isinstance(callee, str):
            path = callee
            if path in FORMS:
                return self._add(FORMS[path], args, kwargs, form=path)
            name = path.split(".")[-1]
            self._fail(refusals.call_refusal(path), name)
        self._fail(f"{describe(callee)} cannot be called")

    def _binop(self, node: ast.BinOp) -> object:
        symbol = BINOPS.get(type(node.op))
        left, right = self._expr(node.left), self._expr(node.right)
        if symbol is None:
            self._fail(refusals.operator_refusal(node.op))
        for side in (left, right):
            if isinstance(side, Ignored):
                self._fail(refusals.with_hint(f"{side.what} cannot be used in a tensor "
                                              "expression here", side.hint))
        if isinstance(left, Ref) or isinstance(right, Ref):
            for side in (left, right):
                if not isinstance(side, (Ref, Var, Calc, int, float)) or isinstance(side, bool):
                    self._fail(f"'{symbol}' between a tensor and {describe(side)}")
            return self._add(FORMS[symbol], (left, right), (), form=symbol)
        return self._fold(symbol, left, right)

    def _unary(self, node: ast.UnaryOp) -> object:
        operand = self._expr(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        if not isinstance(node.op, ast.USub):
            self._fail(refusals.operator_refusal(node.op))
        if isinstance(operand, Ref):
            return self._add("neg", (operand,), (), form="u-")
        return self._fold(UNARY, operand)

    def _fold(self, symbol: str, *values):
        try:
            return fold(symbol, values, self.numbers)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            self._fail(str(exc))

    def _subscript(self, node: ast.Subscript) -> object:
        base = self._expr(node.value)
        if isinstance(base, Ignored):
            return base
        if not isinstance(base, Ref):
            self._fail(refusals.with_hint(f"indexing {describe(base)} is not supported",
                                          refusals.RUN))
        index = self._index_item(node.slice)
        return self._add("index", (base, index), (), form="[]")

    def _index_item(self, node: ast.expr) -> object:
        if isinstance(node, ast.Slice):
            return Slice(*(None if p is None else self._expr(p)
                           for p in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Tuple):
            return tuple(self._index_item(e) for e in node.elts)
        if isinstance(node, ast.List):  # x[[0, 2]] picks rows; a tuple x[0, 2] is another index
            self._fail(refusals.with_hint("a list as an index is not supported here; a tensor "
                                          "is: x[torch.tensor([0, 2])]", refusals.RUN), "[")
        value = self._expr(node)
        if value is None or value is ... or isinstance(value, (int, Var, Ref)) or (
                isinstance(value, Calc) and isinstance(calc_value(value, self.numbers), int)):
            return value
        self._fail(f"an index must be a number, a slice, None or ..., not {describe(value)}")

    # -- helpers ---------------------------------------------------------------------------------
    def _tensor(self, node: ast.expr, what: str) -> Ref:
        value = self._expr(node)
        if not isinstance(value, Ref):
            self._fail(f"{what} needs a tensor, got {describe(value)}")
        return value

    def _add(self, op: str, args: tuple, kwargs: tuple, name: str | None = None,
             form: str | None = None, text: str | None = None) -> Ref:
        block_id = f"b{len(self.blocks) + 1}"
        self.positions[block_id] = len(self.blocks)
        self.blocks.append(Block(block_id, op, args, kwargs, name, form, self.line, text))
        self.graded = self.graded or op in AUTOGRAD_CALLS or op == "set_grad"
        if op in AUTOGRAD_CALLS:  # the graph shown by default: the last backward call's
            named = dict(kwargs)  # grad(outputs=…, inputs=…), autograd.backward(tensors=…)
            outputs = args[0] if args else named.get("outputs", named.get("tensors"))
            first = next(iter(outputs), None) if isinstance(outputs, tuple) else outputs
            if not isinstance(first, Ref):
                self._fail(f"{op}() needs the output tensor as its first argument", op)
            self.marked = first.block
        return Ref(block_id)

    def _index_of(self, block_id: str) -> int:
        return self.positions[block_id]

    def _fail(self, message: str, culprit: str | None = None):
        raise ExpressionError(message, line=self.line or None, culprit=culprit)
