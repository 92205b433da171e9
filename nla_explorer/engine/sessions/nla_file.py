"""Session files (``.nla``): an expression as JSON data — never code — read back through validation.

Format (version 1)::

    {"format": "nla-explorer-session", "version": 1,
     "numbers": [["n", 5]], "output": "b8",
     "blocks": [{"id": "b1", "op": "randn", "args": [...], "kwargs": [["requires_grad", true]],
                 "name": "A", "form": "torch.randn"}, ...],
     "backward": [10, "f.backward()"],  # the code's closing backward call, if any
     "layout": {"b1": [x, y], ...}}

Arguments are encoded as JSON values; ``{"ref": id}``, ``{"var": name}``, ``{"dtype": name}``,
``{"slice": [start, stop, step]}``, ``{"tuple": [...]}``, ``{"ellipsis": true}`` and
``{"hole": port}`` (an input the block editor has not connected yet) mark the rest. A number JSON
has no literal for (``torch.inf``, ``-math.inf``, ``float('nan')``) is ``{"number": "inf"}``,
``"-inf"`` or ``"nan"``, in ``numbers`` and in arguments alike; the bare ``Infinity`` and ``NaN``
some JSON writers emit are refused, as is any other non-finite number.

A Jacobian or Hessian block (``H = torch.autograd.functional.hessian(lambda x: ..., x)``) holds
its function as data, never as code text: ``{"function": {"kind": "lambda" | "def", "name",
"params", "captured", "numbers", "output", "blocks"}}``, whose ``input`` blocks are the
parameters, then the program's tensors it reads (``captured``, passed as the block's third
argument). It is read back with the same checks as the program's blocks (and counts towards
:data:`MAX_BLOCKS`); its code is written anew from those blocks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from nla_explorer.engine.sessions.atomic import (
    FileTooBigError, NotRegularFileError, check_size, read_limited, write_atomically,
)
from nla_explorer.engine.blocks.values import vars_in
from nla_explorer.engine.code.calc import SYMBOLS, UNARY, symbolic
from nla_explorer.engine.code.functions import KEYWORDS, RESULTS, TRANSFORM_PREFIX, Function
from nla_explorer.engine.code.writer import function_source
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import (
    Block, Calc, DType, Expression, Hole, Ref, Slice, Var,
)
from nla_explorer.engine.ops import CATALOGUE, DTYPES
from nla_explorer.engine.sessions.session_json import (  # noqa: F401 - the writing side
    FORMAT, VERSION, expression_to_json, finite_number,
)

MAX_BYTES = 5_000_000
MAX_BLOCKS = 5_000
_MAX_DEPTH = 8
_MAX_ITEMS = 10_000


def save_session(path: str | os.PathLike, expression: Expression, layout: dict | None = None) -> None:
    """Write atomically and checked: a temporary file in the same folder, then a rename."""
    data = json.dumps(expression_to_json(expression, layout), indent=1, ensure_ascii=False,
                      allow_nan=False).encode("utf-8")  # strict JSON: inf is {"number": "inf"}

    def write(tmp: Path) -> None:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_TRUNC), "wb") as fh:
            fh.write(data)

    write_atomically(path, write, check_size(len(data)))


def load_session(path: str | os.PathLike) -> tuple[Expression, dict]:
    """Read a session file; any problem is an :class:`ExpressionError` naming the culprit.

    Only a regular file of at most :data:`MAX_BYTES` is read (a FIFO or a device is refused
    before reading)."""
    path = Path(path)
    try:
        text = read_limited(path, MAX_BYTES).decode("utf-8")
    except NotRegularFileError:
        raise ExpressionError(f"cannot read {path}: it is not a regular file",
                              culprit=str(path)) from None
    except FileTooBigError as exc:
        size = f"{exc.size:,} bytes" if exc.size is not None else "bigger"
        raise ExpressionError(f"{path.name} is {size}; sessions are at most {MAX_BYTES:,} bytes",
                              culprit=str(path)) from None
    except OSError as exc:
        raise ExpressionError(f"cannot read {path}: {exc.strerror or exc}",
                              culprit=str(path)) from None
    except UnicodeDecodeError:
        raise ExpressionError(f"{path.name} is not a text file", culprit=str(path)) from None
    return session_from_text(text, str(path.name))


def session_from_text(text: str, source: str = "session") -> tuple[Expression, dict]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # ValueError: bad JSON, or a 5,000-digit number
        raise ExpressionError(f"{source} is not valid JSON ({exc})", culprit=source) from None
    return expression_from_json(data, source)


def expression_from_json(data: object, source: str = "session") -> tuple[Expression, dict]:
    reader = _Reader(source)
    return reader.expression(data), reader.layout(data)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.blocks_read = 0  # the program's and its functions' together, at most MAX_BLOCKS
        self.program_numbers: dict[str, int | float] = {}

    def fail(self, message: str, culprit: str | None = None):
        raise ExpressionError(f"{self.source}: {message}", culprit=culprit or self.source)

    def expression(self, data: object) -> Expression:
        if not isinstance(data, dict):
            self.fail("the file does not hold a session object")
        if data.get("format") != FORMAT:
            self.fail(f"not an NLA Explorer session (format is {_short(data.get('format'))})")
        version = data.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= VERSION:
            self.fail(f"session version {_short(version)} is not supported (this app reads up to "
                      f"{VERSION})")
        numbers = self.numbers(data.get("numbers", []))
        self.program_numbers = dict(numbers)
        parsed, output = self.program(data, None)
        line, text = self.closing_backward(data.get("backward"), output)
        return Expression(parsed, numbers, output, line, text)

    def closing_backward(self, raw: object, output: str | None) -> tuple[int | None, str | None]:
        """``[line, label]`` of the code's closing ``f.backward()`` (absent: none)."""
        if raw is None:
            return None, None
        if not (isinstance(raw, list) and len(raw) == 2 and _line_number(raw[0]) and
                (raw[1] is None or (isinstance(raw[1], str) and len(raw[1]) <= 200))):
            self.fail(f"'backward' must be [line, label], not {_short(raw)}")
        if output is None:
            self.fail("'backward' closes the program on its output, and the output is not set")
        return raw[0], raw[1]

    def program(self, data: dict, function: str | None) -> tuple[tuple[Block, ...], str | None]:
        """The blocks and output of the program, or of a function (named for messages)."""
        where = "" if function is None else f"function of block {function}: "
        blocks = data.get("blocks")
        if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS - self.blocks_read:
            self.fail(f"{where}'blocks' must be a list, of at most {MAX_BLOCKS:,} blocks in all",
                      function)
        self.blocks_read += len(blocks)
        parsed = tuple(self.block(b, i, function) for i, b in enumerate(blocks))
        ids = [b.id for b in parsed]
        if len(set(ids)) != len(ids):
            self.fail(f"{where}two blocks share an id", function)
        known = set(ids)
        for b in parsed:
            for ref in b.inputs:
                if ref not in known:
                    self.fail(f"{where}block {b.id} reads block {_short(ref)}, which does not "
                              "exist", function or b.id)
        output = data.get("output")
        if (output is not None or function is not None) and (
                not isinstance(output, str) or output not in known):
            self.fail(f"{where}the output {_short(output)} is not a block", function)
        return parsed, output

    def numbers(self, raw: object) -> tuple:
        if not isinstance(raw, list):
            self.fail("'numbers' must be a list")
        out = []
        for item in raw:
            value = _number(item[1]) if isinstance(item, list) and len(item) == 2 else None
            if value is None or not _identifier(item[0]):
                self.fail(f"bad number entry {str(item)[:60]!r}")
            out.append((item[0], value))
        if len({name for name, _ in out}) != len(out):
            self.fail("two numbers share a name")
        return tuple(out)

    def block(self, raw: object, index: int, function: str | None = None) -> Block:
        where = "" if function is None else f"function of block {function}: "
        if not isinstance(raw, dict):
            self.fail(f"{where}block #{index + 1} is not an object", function)
        block_id, op = raw.get("id"), raw.get("op")
        if not isinstance(block_id, str) or not block_id or len(block_id) > 64:
            self.fail(f"{where}block #{index + 1} has no valid id", function)
        if op != "input" and (not isinstance(op, str) or op not in CATALOGUE):
            self.fail(f"{where}block {block_id} has an unknown kind {str(op)[:40]!r}",
                      function or block_id)
        if function is not None and op != "input" and (
                CATALOGUE[op].statement or CATALOGUE[op].random or op == "manual_seed"):
            self.fail(f"{where}'{op}' is not supported inside a function", function)
        form = raw.get("form")
        if form is not None and (op == "input" or form not in CATALOGUE[op].forms):
            self.fail(f"block {block_id}: {str(form)[:40]!r} is not a spelling of {op}", block_id)
        name = raw.get("name")
        if name is not None and not _identifier(name):
            self.fail(f"block {block_id} has an invalid name {str(name)[:40]!r}", block_id)
        args, kwargs = raw.get("args", []), raw.get("kwargs", [])
        if not isinstance(args, list) or not isinstance(kwargs, list):
            self.fail(f"block {block_id}: args and kwargs must be lists", block_id)
        dec_args = self.derivative_args(args, block_id) if op in RESULTS else \
            tuple(self.arg(a, block_id, 0) for a in args)
        dec_kwargs = []
        for kw in kwargs:
            if not isinstance(kw, list) or len(kw) != 2 or not _identifier(kw[0]):
                self.fail(f"block {block_id} has a bad keyword argument", block_id)
            if op in RESULTS and (kw[0] not in KEYWORDS or (form or "").startswith(
                    TRANSFORM_PREFIX)):
                self.fail(f"block {block_id}: {op} takes no keyword {str(kw[0])!r} here", block_id)
            dec_kwargs.append((kw[0], self.arg(kw[1], block_id, 0)))
        if op == "input" and (len(dec_args) != 1 or not _identifier(dec_args[0])):
            self.fail(f"input block {block_id} needs one name", block_id)
        return Block(block_id, op, dec_args, tuple(dec_kwargs), name, form)

    def derivative_args(self, args: list, block_id: str) -> tuple:
        """``(function, x, (captured tensors...))`` of a Jacobian or Hessian block."""
        if len(args) != 3 or not isinstance(args[0], dict) or set(args[0]) != {"function"}:
            self.fail(f"block {block_id} needs a function, an input tensor and the tensors the "
                      "function reads", block_id)
        function = self.function(args[0]["function"], block_id)
        x, captured = (self.arg(a, block_id, 0) for a in args[1:])
        wired = (Ref, Hole)
        if not isinstance(x, wired) or not isinstance(captured, tuple) or \
                len(captured) != len(function.captured) or \
                not all(isinstance(c, wired) for c in captured):
            self.fail(f"block {block_id}: its input tensor and the {len(function.captured)} "
                      "tensor(s) its function reads must be blocks", block_id)
        return function, x, captured

    def function(self, raw: object, block_id: str) -> Function:
        """A function read as data: its body's blocks checked like the program's."""
        def bad(what: str):
            self.fail(f"the function of block {block_id} {what}", block_id)

        if not isinstance(raw, dict):
            bad("is not an object")
        kind, name = raw.get("kind"), raw.get("name")
        params, captured = raw.get("params"), raw.get("captured")
        if kind not in ("lambda", "def") or (name is None and kind == "def") or \
                (name is not None and not _identifier(name)):
            bad("needs a kind ('lambda' or 'def') and, for a def, a name")
        if not isinstance(params, list) or len(params) != 1 or not _identifier(params[0]):
            bad("must take one argument")
        if not isinstance(captured, list) or len(captured) > MAX_BLOCKS or \
                not all(_identifier(c) for c in captured) or \
                len(set(params + captured)) != len(params) + len(captured):
            bad("has a bad list of the tensors it reads")
        numbers = self.numbers(raw.get("numbers", []))
        blocks, output = self.program(raw, block_id)
        inputs = [b.args[0] for b in blocks if b.op == "input"]
        if inputs != params + captured or any(b.op == "input" for b in blocks[len(inputs):]):
            bad(f"must begin with one input block for each of {', '.join(params + captured)}")
        known = dict(numbers)
        for b in blocks:
            if b.holes:
                bad(f"has an unconnected input in block {b.id}")
            missing = next((v for v in sorted(vars_in(b)) if v not in known), None)
            if missing is not None:
                bad(f"uses the number '{missing}', which it does not define")
        body = Expression(blocks, numbers, output)
        try:
            source = function_source(tuple(params), body, name, kind == "lambda",
                                     self.program_numbers)
        except (ExpressionError, RecursionError) as exc:
            msg = str(exc) if isinstance(exc, ExpressionError) else "is nested too deeply"
            bad(f"cannot be written as code: {msg}")
        text = name if name is not None else source  # as the parser names it
        return Function(tuple(params), body, tuple(captured), text, name, source)

    def arg(self, value: object, block_id: str, depth: int) -> object:
        if depth > _MAX_DEPTH:
            self.fail(f"block {block_id}: arguments are nested too deeply", block_id)
        if value is None or isinstance(value, (bool, str)):
            if isinstance(value, str) and len(value) > 200:
                self.fail(f"block {block_id}: a string argument is too long", block_id)
            return value
        if isinstance(value, (int, float)):
            if not finite_number(value):
                self.fail(f"block {block_id}: the number {value!r} is not allowed", block_id)
            return value
        if isinstance(value, dict) and len(value) == 1:
            (key, inner), = value.items()
            if key == "ref" and isinstance(inner, str):
                return Ref(inner)
            if key == "var" and _identifier(inner):
                return Var(inner)
            if key == "calc" and isinstance(inner, list) and len(inner) == 2 and \
                    isinstance(inner[1], list) and len(inner[1]) == (1 if inner[0] == UNARY else 2) \
                    and inner[0] in (*SYMBOLS, UNARY):
                args = tuple(self.arg(v, block_id, depth + 1) for v in inner[1])
                if all(symbolic(a) or (isinstance(a, (int, float)) and not isinstance(a, bool))
                       for a in args):
                    return Calc(inner[0], args)
            if key == "dtype" and isinstance(inner, str) and inner in DTYPES:
                return DType(inner)
            if key == "number" and (number := _number(value)) is not None:
                return number  # torch.inf, -math.inf, float('nan')
            if key == "ellipsis" and inner is True:
                return ...
            if key == "hole":
                if not _identifier(inner):
                    self.fail(f"block {block_id} has an unconnected input with an invalid port "
                              f"name {str(inner)[:40]!r}", block_id)
                return Hole(inner)
            if key == "slice" and isinstance(inner, list) and len(inner) == 3:
                return Slice(*(self.arg(p, block_id, depth + 1) for p in inner))
            if key == "tuple" and isinstance(inner, list) and len(inner) <= _MAX_ITEMS:
                return tuple(self.arg(v, block_id, depth + 1) for v in inner)
        self.fail(f"block {block_id} has an argument that is not allowed: {str(value)[:60]}",
                  block_id)

    def layout(self, data: dict) -> dict:
        raw = data.get("layout", {})
        if not isinstance(raw, dict):
            return {}
        return {k: (float(v[0]), float(v[1])) for k, v in raw.items()
                if isinstance(k, str) and isinstance(v, list) and len(v) == 2
                and all(finite_number(c) for c in v)}


def _short(value: object) -> str:
    """A value from the file for a message: its repr, cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _line_number(value: object) -> bool:
    """A line number: a positive int (not a bool), at most a million."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 1_000_000


def _identifier(value: object) -> bool:
    return isinstance(value, str) and value.isidentifier() and not value.startswith("__") \
        and len(value) <= 64


#: How a number JSON has no literal for is written: ``{"number": "inf"}``.
_NON_FINITE = ("inf", "-inf", "nan")


def _number(value: object) -> int | float | None:
    """A number entry's value, a plain number or ``{"number": "inf"}``; None if it is neither."""
    if finite_number(value):
        return value
    if isinstance(value, dict) and len(value) == 1:
        text = value.get("number")
        if isinstance(text, str) and text in _NON_FINITE:
            return float(text)  # a new float each time, as Python's float('nan') is
    return None
