"""``to_code``: an :class:`Expression` written back as course-style PyTorch code.

Named blocks become assignments; an unnamed block used once is written inline where it is used
(so ``f = 0.5 * x @ A @ x - b @ x`` reads back as it was typed); operators get only the
parentheses Python's precedence needs.
"""

from __future__ import annotations

from dataclasses import replace

from nla_explorer.engine.code import course_classes
from nla_explorer.engine.code.calc import ATOM, NEGATIVE, PRECEDENCE, calc_text, join
from nla_explorer.engine.code.functions import RESULTS, TRANSFORM_PREFIX, Function
from nla_explorer.engine.code.grad_flags import END
from nla_explorer.engine.code.numbers import number_text
from nla_explorer.engine.code.unpacking import UNPACKED, item_count
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Block, Calc, DType, Expression, Ref, Slice, Var
from nla_explorer.engine.ops import CATALOGUE

# Python precedence: higher binds tighter (the same scale as number arithmetic's).
_ATOM, _UNARY = ATOM, NEGATIVE
_BINARY_PREC = {s: PRECEDENCE[s] for s in ("**", "*", "/", "@", "+", "-", "&", "|",
                                           ">", "<", ">=", "<=", "==", "!=")}
_PREFIX = {"u-": "-", "u~": "~"}
_F = "torch.nn.functional."
_IN_PLACE = ("+=", "-=", "*=", "/=", "&=", "|=", "^=")
_MAX_INLINE = 100  # blocks nested in one line of code before one gets a name


def to_code(expression: Expression, imports: bool = True) -> str:
    """The expression as runnable PyTorch code (also valid input to ``parse_code``).

    Raises :class:`ExpressionError` naming the block and port of an unconnected input (a hole).
    """
    for block in expression.blocks:
        if block.holes:
            raise ExpressionError(f"{block.label}: input '{block.holes[0]}' is unconnected; code "
                                  "cannot express an unconnected input", culprit=block.id)
    return _Writer(expression).write(imports)


def function_source(params: tuple[str, ...], body: Expression, name: str | None,
                    is_lambda: bool, outer_numbers: dict[str, int | float]) -> str:
    """A function of the code written from its body's blocks (a session keeps no code text): a
    ``lambda``, or a ``def`` whose numbers not among ``outer_numbers`` (the program's) are
    assigned first."""
    for block in body.blocks:
        if block.holes:
            raise ExpressionError(f"{block.label} of the function: input '{block.holes[0]}' is "
                                  "unconnected", culprit=block.id)
    lines, result = _Writer(replace(body, numbers=())).function_body()
    if is_lambda or name is None:
        if lines:
            raise ExpressionError(f"{name or 'the lambda'} is too long to write as a lambda",
                                  culprit=name)
        return f"lambda {', '.join(params)}: {result}"
    local = [f"{k} = {_number(v)}" for k, v in body.numbers if outer_numbers.get(k) != v]
    return "\n".join([f"def {name}({', '.join(params)}):"] +
                     ["    " + line for line in local + lines + [f"return {result}"]])


class _Writer:
    def __init__(self, expression: Expression) -> None:
        self.expr = expression
        self.blocks = {b.id: b for b in expression.blocks}
        uses: dict[str, int] = {}
        for b in expression.blocks:
            for i in b.inputs:
                uses[i] = uses.get(i, 0) + 1
        self.uses = uses
        self.unpacked = _unpacked_grads(expression, uses)
        self.names = _unique_names(expression, uses, set(self.unpacked))
        _name_deep_chains(expression, self.names)
        self.unpacked_items = {i for items in self.unpacked.values() for i in items}
        self.uses_f = False
        self.classes: list[str] = []  # course Functions used (their definitions go first)
        self.defined: set[str] = set()  # defs already written

    def write(self, imports: bool) -> str:
        lines: list[str] = [f"{name} = {_number(value)}" for name, value in self.expr.numbers]
        out_block = self.expr.output_block()
        lines += self._statements(None)
        if out_block is not None and out_block.id in self.names and \
                self.expr.backward_line is not None:
            lines.append(f"{self.names[out_block.id]}.backward()")
        header = ["import torch"] + (["import torch.nn.functional as F"] if self.uses_f else [])
        if self.classes:  # defined as the course does, so that the code is plain Python
            header += [course_classes.IMPORT, ""] + [
                f"\n{course_classes.source(name)}" for name in self.classes]
        body = "\n".join(lines)
        return ("\n".join(header) + "\n\n" + body + "\n") if imports else body + "\n"

    def function_body(self) -> tuple[list[str], str]:
        """A function's body: its statements, and what it returns (its output block)."""
        out = self.expr.output_block()
        if out is None:
            raise ExpressionError("the function returns nothing")
        if out.id in self.names:
            return self._statements(None), self.names[out.id]
        return self._statements(out.id), self._render(out)[0]

    def _statements(self, skip: str | None) -> list[str]:
        """A line of code per statement, leaving out block ``skip`` (a function's result); the
        body of a ``with torch.no_grad():`` indented under it."""
        lines: list[str] = []
        opened: list[int] = []  # where the body of each with block still open begins
        for block in self.expr.blocks:
            depth = len(opened)
            if block.form == END:
                if opened and opened.pop() == len(lines):  # an empty body
                    lines.append("    " * depth + "pass")
            elif block.op == "grad_mode":
                mode = self._arg(block.args[0]) if block.form.endswith("set_grad_enabled") else ""
                lines.append(f"{'    ' * depth}with {block.form[5:]}({mode}):")
                opened.append(len(lines))
            else:
                lines.extend("    " * depth + line for text in self._statement(block, skip)
                             for line in text.split("\n"))
        return lines

    def _statement(self, block: Block, skip: str | None) -> list[str]:
        """The lines of code ``block`` writes as a statement (none where it is written inline)."""
        lines: list[str] = []
        if block.op == "shows" and block.text:  # a print or plot that reads a tensor
            lines.append(block.text)
        if block.op in ("input", "shows") or block.id == skip or block.id in self.unpacked_items:
            return lines
        if block.op == "manual_seed":
            lines.append(f"torch.manual_seed({self._arg(block.args[0])})")
        elif block.id in self.unpacked:  # gx, gA = torch.autograd.grad(f, [x, A])
            targets = [self.names[i] for i in self.unpacked[block.id]]
            left = targets[0] + "," if len(targets) == 1 else ", ".join(targets)
            lines.append(f"{left} = {self._render(block)[0]}")
        elif block.form in _IN_PLACE and block.id in self.names:
            target, value = block.args
            lines.append(f"{self._arg(target)} {block.form} {self._operand(value)[0]}")
            if self._arg(target) != self.names[block.id]:
                lines.append(f"{self.names[block.id]} = {self._arg(target)}")
        elif block.form == "[]=":  # y[0] = 5.0
            target, index, value = block.args
            lines.append(f"{self._postfix_base(target)}[{_index(index, self._arg)}] = "
                         f"{self._arg(value)}")
            if block.id in self.names and self._arg(target) != self.names[block.id]:
                lines.append(f"{self.names[block.id]} = {self._arg(target)}")
        elif block.form == "attr=:grad":
            lines.append(f"{self._postfix_base(block.args[0])}.grad = "
                         f"{self._arg(block.args[1])}")
        elif block.form == "attr=:requires_grad" and \
                self._postfix_base(block.args[0]) == self.names.get(block.id):
            lines.append(f"{self.names[block.id]}.requires_grad = {self._arg(block.args[1])}")
        elif block.id in self.names:
            lines.extend(self._definitions(block))
            lines.append(f"{self.names[block.id]} = {self._render(block)[0]}")
        elif self.uses.get(block.id, 0) == 0:  # a bare expression (the output, if unnamed)
            closing = block.id == self.expr.output and self.expr.backward_line is not None
            lines.append(f"{self._postfix_base(Ref(block.id))}.backward()" if closing else
                         self._render(block)[0])  # (m * x).sum().backward() ends the program
        return lines

    # -- rendering: (text, precedence) ------------------------------------------------------------
    def _ref(self, ref: Ref) -> tuple[str, int]:
        if ref.block in self.names:
            return self.names[ref.block], _ATOM
        return self._render(self.blocks[ref.block])

    def _definitions(self, block: Block) -> list[str]:
        """The defs a derivative block passes, written once before their first use."""
        function = block.args[0] if block.op in RESULTS and block.args else None
        if not isinstance(function, Function) or function.name is None or \
                function.name in self.defined:
            return []
        self.defined.add(function.name)
        self._uses_f_in(function)
        if function.source.startswith("lambda"):
            return [f"{function.name} = {function.source}"]
        return function.source.splitlines()

    def _uses_f_in(self, function: Function) -> None:
        """A function whose body calls ``F.relu``... needs the ``F`` import too."""
        self.uses_f |= any((b.form or "").startswith(_F) for b in function.body.blocks)

    def _render(self, block: Block) -> tuple[str, int]:
        form = block.form or CATALOGUE[block.op].forms[0] if block.op in CATALOGUE else block.op
        args = block.args
        if block.op in RESULTS and len(args) == 3:  # (function, x, captured tensors)
            function, x = self._arg(args[0]), self._arg(args[1])
            if form.startswith(TRANSFORM_PREFIX):
                return f"{form}({function})({x})", _ATOM
            return f"{form}({self._call_args((args[0], args[1]), block.kwargs)})", _ATOM
        if form in _BINARY_PREC and len(args) == 2:
            return self._binary(form, args[0], args[1])
        if form in _PREFIX:
            text, prec = self._operand(args[0])
            return _PREFIX[form] + (text if prec >= _UNARY else f"({text})"), _UNARY
        if form == "[]":
            base = self._postfix_base(args[0])
            return f"{base}[{_index(args[1], self._arg)}]", _ATOM
        if form == "attr=:requires_grad":  # under another name: the method does the same
            form = ".requires_grad_"
        if form.startswith("attr:"):
            return f"{self._postfix_base(args[0])}.{form[5:]}", _ATOM
        if form.startswith("."):  # x.where(c, y): the receiver is torch.where's second argument
            at = CATALOGUE[block.op].receiver if block.op in CATALOGUE else 0
            base = self._postfix_base(args[at])
            base = f"({base})" if isinstance(args[at], (int, float)) else base  # (2).where: no 2.w
            rest = args[:at] + args[at + 1:]
            return f"{base}{form}({self._call_args(rest, block.kwargs)})", _ATOM
        if form.startswith("custom:"):
            name = form[7:].split(".")[0]
            if name not in self.classes:
                self.classes.append(name)
            return f"{form[7:]}({self._call_args(args, block.kwargs)})", _ATOM
        if form.startswith(_F):
            self.uses_f = True
            form = "F." + form[len(_F):]
        return f"{form}({self._call_args(args, block.kwargs)})", _ATOM

    def _binary(self, symbol: str, left: object, right: object) -> tuple[str, int]:
        return join(symbol, self._operand(left), self._operand(right))

    def _operand(self, value: object) -> tuple[str, int]:
        if isinstance(value, Ref):
            return self._ref(value)
        if isinstance(value, Calc):
            return calc_text(value)  # the same precedence scale as this writer's
        text = self._arg(value)
        return text, (_UNARY if text.startswith("-") else _ATOM)

    def _postfix_base(self, value: object) -> str:
        text, prec = self._operand(value)
        return text if prec >= _ATOM else f"({text})"

    def _call_args(self, args: tuple, kwargs: tuple) -> str:
        parts = [self._arg(a) for a in args]
        parts += [f"{k}={self._arg(v)}" for k, v in kwargs]
        return ", ".join(parts)

    def _arg(self, value: object) -> str:
        if isinstance(value, Ref):
            return self._ref(value)[0]
        if isinstance(value, Function):
            self._uses_f_in(value)
            return value.name or value.text
        if isinstance(value, Var):
            return value.name
        if isinstance(value, Calc):
            return calc_text(value)[0]
        if isinstance(value, DType):
            return f"torch.{value.name}"
        if isinstance(value, tuple):
            inner = ", ".join(self._arg(v) for v in value)
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        if value is Ellipsis:
            return "..."
        if isinstance(value, float):
            return _number(value)
        return repr(value)


def _index(index: object, render) -> str:
    def item(v: object) -> str:
        if isinstance(v, Slice):
            parts = ["" if p is None else render(p) for p in (v.start, v.stop, v.step)]
            return ":".join(parts[:2]) + (f":{parts[2]}" if v.step is not None else "")
        return render(v)
    if isinstance(index, tuple):
        return ", ".join(item(v) for v in index) if len(index) != 1 else item(index[0]) + ","
    return item(index)


def _number(value: int | float) -> str:
    return number_text(value)


def _unpacked_grads(expression: Expression, uses: dict[str, int]) -> dict[str, list[str]]:
    """``grad()`` (or ``x.sort()``…) blocks read only by the named ``[0]``, ``[1]``... blocks
    right after them: written back unpacked, ``gx, gA = grad(…)``."""
    blocks = expression.blocks
    found: dict[str, list[str]] = {}
    for i, block in enumerate(blocks):
        if block.op not in UNPACKED or block.name is not None:
            continue
        count = uses.get(block.id, 0)
        if block.op != "grad" and count != item_count(block):  # min(0)[0]: one item, kept so
            continue
        items = blocks[i + 1:i + 1 + count]
        if count and len(items) == count and all(
                b.op == "index" and b.args == (Ref(block.id), k) and b.name
                for k, b in enumerate(items)):
            found[block.id] = [b.id for b in items]
    return found


def _unique_names(expression: Expression, uses: dict[str, int],
                  unnamed: set[str] = frozenset()) -> dict[str, str]:
    """A code name for each block that needs one (named, or unnamed but used more than once)."""
    taken = {b.name for b in expression.blocks if b.name} | {n for n, _ in expression.numbers}
    names: dict[str, str] = {}
    counter = 0
    bound: dict[str, str] = {}  # name → id of the block that holds it now
    for block in expression.blocks:
        if block.op in ("manual_seed", "input"):
            if block.op == "input":
                names[block.id] = block.args[0]
            continue
        name = block.name
        if name is None and uses.get(block.id, 0) > 1 and block.id not in unnamed:
            counter += 1
            while f"t{counter}" in taken:
                counter += 1
            name = f"t{counter}"
            taken.add(name)
        if name is None:
            continue
        # A rebound name whose old block is still read later needs a name of its own.
        previous = bound.get(name)
        if previous is not None and _read_after(expression, previous, block.id):
            suffix = 1
            while f"{name}_{suffix}" in taken:
                suffix += 1
            names[previous] = f"{name}_{suffix}"
            taken.add(names[previous])
        names[block.id] = name
        bound[name] = block.id
    return names


def _name_deep_chains(expression: Expression, names: dict[str, str]) -> None:
    """Name every ``_MAX_INLINE``-th block of a long inline chain (``x + x + ... + x``).

    Inline blocks are written recursively and read back by a recursive parser: a chain of
    hundreds would overflow both, so it is cut into named steps (``t1 = ...``).
    """
    taken = set(names.values()) | {b.name for b in expression.blocks if b.name} | {
        n for n, _ in expression.numbers}
    depth: dict[str, int] = {}
    counter = 0
    for block in expression.blocks:
        inline = [depth.get(i, 0) for i in block.inputs if i not in names]
        depth[block.id] = 0 if block.id in names else 1 + max(inline, default=0)
        if depth[block.id] >= _MAX_INLINE:
            counter += 1
            while f"t{counter}" in taken:
                counter += 1
            names[block.id] = f"t{counter}"
            taken.add(names[block.id])
            depth[block.id] = 0


def _read_after(expression: Expression, block_id: str, after_id: str) -> bool:
    seen = False
    for b in expression.blocks:
        if b.id == after_id:
            seen = True
        elif seen and block_id in b.inputs:
            return True
    return False
