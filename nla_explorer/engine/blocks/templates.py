"""Block templates: the input ports and parameters of every catalogue op, and reading/writing them."""

from __future__ import annotations

from dataclasses import dataclass, replace

from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Block, Hole, Ref
from nla_explorer.engine.ops import CATALOGUE, Param, Port

#: Parameter kinds: what ``set_param`` accepts for each (text from an edit field is parsed too).
KINDS = ("shape", "reshape", "int", "float", "number", "bool", "dtype", "dim", "dims", "index",
         "matrix")
#: Names the code form gives a meaning of its own: no block or number may take them.
NAMES_IN_CODE = frozenset({"torch", "F", "nn", "InverseMatrix", "print", "display", "Markdown"})
MAX_MATRIX_TEXT = 100_000  # characters of a typed-in matrix
MAX_DIMS = 16


@dataclass(frozen=True)
class BlockTemplate:
    """How blocks of one op are edited: input ports, parameters, and the palette summary."""

    op: str
    category: str
    summary: str
    ports: tuple[Port, ...]
    params: tuple[Param, ...]
    output: bool = True  # False: the block makes no tensor (manual_seed) and cannot feed others

    def port(self, name: str | int) -> Port:
        if isinstance(name, int) and not isinstance(name, bool) and 0 <= name < len(self.ports):
            return self.ports[name]
        found = next((p for p in self.ports if p.name == name), None)
        if found is None:
            raise KeyError(name)
        return found

    def param(self, name: str) -> Param:
        found = next((p for p in self.params if p.name == name), None)
        if found is None:
            raise KeyError(name)
        return found


# -- the templates ---------------------------------------------------------------------------------
#: op → template, for every op of the catalogue that is a block (not a code-only statement).
TEMPLATES: dict[str, BlockTemplate] = {
    key: BlockTemplate(key, op.category, op.formula, op.ports, op.params, output=op.output)
    for key, op in CATALOGUE.items() if not op.statement
}
#: Ops whose shape may be spelled as separate arguments: ``torch.randn(2, 3)``, ``x.view(2, 3)``.
_VARARGS = frozenset(key for key, op in CATALOGUE.items() if op.varargs)


def template(op: str) -> BlockTemplate:
    """The template of catalogue op ``op``."""
    if op not in TEMPLATES:
        raise ExpressionError(f"'{op}' is not a block kind of the catalogue", culprit=op)
    return TEMPLATES[op]


# -- reading a block through its template ----------------------------------------------------------
def _where(block: Block, index: int | None, kw: str | None) -> tuple[str, object] | None:
    if kw is not None and kw in block.kwarg_dict:
        return ("kw", kw)
    if index is not None and index < len(block.args):
        return ("pos", index)
    return None


def _at(block: Block, where: tuple[str, object]) -> object:
    return block.kwarg_dict[where[1]] if where[0] == "kw" else block.args[where[1]]


def port_value(block: Block, port: str | int) -> object:
    """What a port holds: ``Ref``, ``Hole``, a number, a tuple (list ports), or None when absent."""
    p = template(block.op).port(port)
    where = _where(block, p.index, p.keyword)
    return None if where is None else _at(block, where)


def _items(value: object) -> tuple:
    """The items of a list port (pasted code may hold one tensor instead of a list)."""
    return () if value is None else tuple(value) if isinstance(value, (tuple, list)) else (value,)


def port_values(block: Block) -> tuple[tuple[str, object], ...]:
    """(address, value) of every input: ``("a", Ref("b4"))``, ``("tensors[1]", Ref("b2"))``."""
    out: list[tuple[str, object]] = []
    for p in template(block.op).ports:
        value = port_value(block, p.name)
        if p.many:
            out += [(f"{p.name}[{i}]", v) for i, v in enumerate(_items(value))]
        else:
            out.append((p.name, value))
    return tuple(out)


def code_only_inputs(block: Block) -> tuple[tuple[str, object], ...]:
    """(address, Ref) of each tensor a code-only block reads (``x.sort()``, ``y[0] = v``,
    ``grad(f, [x])``), named as its op's ports are, else by argument: its wires in a picture.
    They are not ports to edit: the code says what they read."""
    op = CATALOGUE.get(block.op)
    names = {p.index: p.name for p in op.ports} if op is not None else {}
    out: list[tuple[str, object]] = []
    for where, value in [*((names.get(i, f"input {i}"), a) for i, a in enumerate(block.args)),
                         *block.kwargs]:
        items = value if isinstance(value, tuple) else (value,)
        refs = [(k, v) for k, v in enumerate(items) if isinstance(v, Ref)]
        out += [(f"{where}[{k}]" if isinstance(value, tuple) else where, v) for k, v in refs]
    return tuple(out)


def param_value(block: Block, name: str) -> object:
    """A parameter's value (its default when left out; shapes always as a tuple)."""
    t = template(block.op)
    p = _param(t, block, name)
    if t.op == "arange":
        return _arange_read(block)[name]
    where = _where(block, p.index, p.keyword)
    if where is None:
        return p.default
    value = _at(block, where)
    if _spread(block, p) and where[0] == "pos" and not isinstance(value, tuple):
        return tuple(block.args[p.index:]) if block.op in _VARARGS else (value,)
    return value


def _spread(block: Block, p: Param) -> bool:
    """Sizes (or a varargs op's dims: ``x.permute(1, 0)``) that may be separate arguments."""
    return p.kind in ("shape", "reshape") or (p.kind == "dims" and block.op in _VARARGS)


def param_values(block: Block) -> dict[str, object]:
    return {p.name: param_value(block, p.name) for p in template(block.op).params}


def _arange_read(block: Block) -> dict[str, object]:
    pos = block.args[:3]
    values = dict(zip(("start", "end", "step"), (0, *pos) if len(pos) == 1 else pos))
    values = {"start": 0, "end": None, "step": 1, **values}
    values.update({k: v for k, v in block.kwargs if k in values})
    return {**values, "requires_grad": block.kwarg("requires_grad", False),
            "dtype": block.kwarg("dtype")}


# -- writing -----------------------------------------------------------------------------------
def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def _put(block: Block, where: tuple[str, object], value: object) -> Block:
    if where[0] == "kw":
        return block.with_kwarg(where[1], value)
    args = list(block.args)
    args[where[1]] = value
    return replace(block, args=tuple(args))


def _drop(block: Block, where: tuple[str, object], filler: object) -> Block:
    if where[0] == "kw":
        return replace(block, kwargs=tuple((k, v) for k, v in block.kwargs if k != where[1]))
    if where[1] == len(block.args) - 1:
        return replace(block, args=block.args[:-1])
    return _put(block, where, filler)


def _append(block: Block, t: BlockTemplate, index: int | None, kw: str | None, value: object,
            positional: bool) -> Block:
    if kw is not None and (not positional or index is None or index > len(block.args)):
        return block.with_kwarg(kw, value)
    args = list(block.args)
    while len(args) < index:  # fill a gap with the defaults of the arguments in between
        j = len(args)
        args.append(next((Hole(p.name) for p in t.ports if p.index == j),
                         next((p.default for p in t.params if p.index == j), None)))
    return replace(block, args=(*args, value))


def _write_param(block: Block, t: BlockTemplate, p: Param, value: object) -> Block:
    if t.op == "arange" and p.name in ("start", "end", "step"):
        values = {**_arange_read(block), p.name: value}
        start, end, step = values["start"], values["end"], values["step"]
        args = (end,) if _same(start, 0) and _same(step, 1) else \
            (start, end) if _same(step, 1) else (start, end, step)
        kwargs = tuple((k, v) for k, v in block.kwargs if k not in ("start", "end", "step"))
        return replace(block, args=args, kwargs=kwargs)
    omit = (value is None and not p.required) or (p.default is not None
                                                   and _same(value, p.default))
    where = _where(block, p.index, p.keyword)
    if (_spread(block, p) and where is not None and where[0] == "pos"
            and not isinstance(block.args[p.index], tuple) and block.op in _VARARGS):
        return replace(block, args=block.args[:p.index] + (tuple(value) if value else ((),)))
    if where is None:
        return block if omit else _append(block, t, p.index, p.keyword, value, p.positional)
    return _drop(block, where, p.default) if omit else _put(block, where, value)


def _write_port(block: Block, t: BlockTemplate, p: Port, item: int | None, value: object) -> Block:
    """Put ``value`` on a port; ``None`` unwires it (a hole, the default number, or absent)."""
    where = _where(block, p.index, p.keyword)
    if p.many:
        items = _items(_at(block, where) if where else None)
        if item is None:
            items = items + (value,)
        elif value is None:
            items = items[:item] + items[item + 1:]
        else:
            items = items[:item] + (value,) + items[item + 1:]
        return _put(block, where, items) if where else _append(block, t, p.index, p.keyword,
                                                               items, True)
    if value is None:
        if where is None:
            return block
        if p.optional:
            return _drop(block, where, None)
        value = p.default if p.default is not None else Hole(p.name)
    return _put(block, where, value) if where else _append(block, t, p.index, p.keyword, value,
                                                           True)


def _fail(message: str, culprit: str | None) -> ExpressionError:
    return ExpressionError(message, culprit=culprit)


def _param(t: BlockTemplate, block: Block, name: str) -> Param:
    try:
        return t.param(name)
    except KeyError:
        known = ", ".join(p.name for p in t.params) or "none"
        raise _fail(f"{block.label} has no parameter '{name}' (parameters: {known})",
                    block.id) from None
