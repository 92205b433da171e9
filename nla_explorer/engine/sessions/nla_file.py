"""Session files (``.nla``): an expression as JSON data — never code — read back through validation.

Format (version 1)::

    {"format": "nla-explorer-session", "version": 1,
     "numbers": [["n", 5]], "output": "b8",
     "blocks": [{"id": "b1", "op": "randn", "args": [...], "kwargs": [["requires_grad", true]],
                 "name": "A", "form": "torch.randn"}, ...],
     "layout": {"b1": [x, y], ...}}

Arguments are encoded as JSON values; ``{"ref": id}``, ``{"var": name}``, ``{"dtype": name}``,
``{"slice": [start, stop, step]}``, ``{"tuple": [...]}``, ``{"ellipsis": true}`` and
``{"hole": port}`` (an input the block editor has not connected yet) mark the rest.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from nla_explorer.engine.sessions.atomic import (
    FileTooBigError, NotRegularFileError, check_size, read_limited, write_atomically,
)
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Block, DType, Expression, Hole, Ref, Slice, Var
from nla_explorer.engine.ops import CATALOGUE, DTYPES

FORMAT = "nla-explorer-session"
VERSION = 1
MAX_BYTES = 5_000_000
MAX_BLOCKS = 5_000
_MAX_DEPTH = 8
_MAX_ITEMS = 10_000


def expression_to_json(expression: Expression, layout: dict | None = None) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "numbers": [[k, v] for k, v in expression.numbers],
        "output": expression.output,
        "blocks": [
            {"id": b.id, "op": b.op, "args": [_enc(a) for a in b.args],
             "kwargs": [[k, _enc(v)] for k, v in b.kwargs], "name": b.name, "form": b.form}
            for b in expression.blocks
        ],
        "layout": dict(layout or {}),
    }


def save_session(path: str | os.PathLike, expression: Expression, layout: dict | None = None) -> None:
    """Write atomically and checked: a temporary file in the same folder, then a rename."""
    data = json.dumps(expression_to_json(expression, layout), indent=1,
                      ensure_ascii=False).encode("utf-8")

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
        blocks = data.get("blocks")
        if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
            self.fail("'blocks' must be a list of at most "
                      f"{MAX_BLOCKS:,} blocks")
        parsed = tuple(self.block(b, i) for i, b in enumerate(blocks))
        ids = [b.id for b in parsed]
        if len(set(ids)) != len(ids):
            self.fail("two blocks share an id")
        known = set(ids)
        for b in parsed:
            for ref in b.inputs:
                if ref not in known:
                    self.fail(f"block {b.id} reads block {ref!r}, which does not exist", b.id)
        output = data.get("output")
        if output is not None and (not isinstance(output, str) or output not in known):
            self.fail(f"the output {_short(output)} is not a block")
        return Expression(parsed, numbers, output)

    def numbers(self, raw: object) -> tuple:
        if not isinstance(raw, list):
            self.fail("'numbers' must be a list")
        out = []
        for item in raw:
            if (not isinstance(item, list) or len(item) != 2 or not _identifier(item[0])
                    or not _finite_number(item[1])):
                self.fail(f"bad number entry {str(item)[:60]!r}")
            out.append((item[0], item[1]))
        if len({name for name, _ in out}) != len(out):
            self.fail("two numbers share a name")
        return tuple(out)

    def block(self, raw: object, index: int) -> Block:
        if not isinstance(raw, dict):
            self.fail(f"block #{index + 1} is not an object")
        block_id, op = raw.get("id"), raw.get("op")
        if not isinstance(block_id, str) or not block_id or len(block_id) > 64:
            self.fail(f"block #{index + 1} has no valid id")
        if op != "input" and (not isinstance(op, str) or op not in CATALOGUE):
            self.fail(f"block {block_id} has an unknown kind {str(op)[:40]!r}", block_id)
        form = raw.get("form")
        if form is not None and (op == "input" or form not in CATALOGUE[op].forms):
            self.fail(f"block {block_id}: {str(form)[:40]!r} is not a spelling of {op}", block_id)
        name = raw.get("name")
        if name is not None and not _identifier(name):
            self.fail(f"block {block_id} has an invalid name {str(name)[:40]!r}", block_id)
        args, kwargs = raw.get("args", []), raw.get("kwargs", [])
        if not isinstance(args, list) or not isinstance(kwargs, list):
            self.fail(f"block {block_id}: args and kwargs must be lists", block_id)
        dec_args = tuple(self.arg(a, block_id, 0) for a in args)
        dec_kwargs = []
        for kw in kwargs:
            if not isinstance(kw, list) or len(kw) != 2 or not _identifier(kw[0]):
                self.fail(f"block {block_id} has a bad keyword argument", block_id)
            dec_kwargs.append((kw[0], self.arg(kw[1], block_id, 0)))
        if op == "input" and (len(dec_args) != 1 or not _identifier(dec_args[0])):
            self.fail(f"input block {block_id} needs one name", block_id)
        return Block(block_id, op, dec_args, tuple(dec_kwargs), name, form)

    def arg(self, value: object, block_id: str, depth: int) -> object:
        if depth > _MAX_DEPTH:
            self.fail(f"block {block_id}: arguments are nested too deeply", block_id)
        if value is None or isinstance(value, (bool, str)):
            if isinstance(value, str) and len(value) > 200:
                self.fail(f"block {block_id}: a string argument is too long", block_id)
            return value
        if isinstance(value, (int, float)):
            if not _finite_number(value):
                self.fail(f"block {block_id}: the number {value!r} is not allowed", block_id)
            return value
        if isinstance(value, dict) and len(value) == 1:
            (key, inner), = value.items()
            if key == "ref" and isinstance(inner, str):
                return Ref(inner)
            if key == "var" and _identifier(inner):
                return Var(inner)
            if key == "dtype" and isinstance(inner, str) and inner in DTYPES:
                return DType(inner)
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
                and all(_finite_number(c) for c in v)}


def _enc(value: object) -> object:
    if isinstance(value, Ref):
        return {"ref": value.block}
    if isinstance(value, Var):
        return {"var": value.name}
    if isinstance(value, DType):
        return {"dtype": value.name}
    if isinstance(value, Hole):
        return {"hole": value.port}
    if isinstance(value, Slice):
        return {"slice": [_enc(value.start), _enc(value.stop), _enc(value.step)]}
    if isinstance(value, tuple):
        return {"tuple": [_enc(v) for v in value]}
    if value is Ellipsis:
        return {"ellipsis": True}
    return value


def _short(value: object) -> str:
    """A value from the file for a message: its repr, cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _identifier(value: object) -> bool:
    return isinstance(value, str) and value.isidentifier() and not value.startswith("__") \
        and len(value) <= 64


def _finite_number(value: object) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and abs(value) < 2**62)
