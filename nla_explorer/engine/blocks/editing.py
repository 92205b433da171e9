"""Block editing without Qt: a template for every catalogue op and pure edits of an Expression.

Every edit takes an :class:`Expression` and returns a new one (the canvas keeps the old one for
undo); a bad edit raises :class:`ExpressionError` naming the block, the port or parameter and the value.
"""

from __future__ import annotations

import keyword
import re
from collections import Counter, deque
from dataclasses import replace
from typing import Iterable

from nla_explorer.engine.blocks.templates import (  # noqa: F401 - also the reading API (canvas)
    BlockTemplate, KINDS, NAMES_IN_CODE, Param, code_only_inputs, param_value, param_values,
    Port, port_value, port_values, template, TEMPLATES, _append,
    _fail, _items, _param, _VARARGS, _where, _write_param,
    _write_port,
)
from nla_explorer.engine.blocks.values import check_size, clean_value, number_value, uses_var, vars_in
from nla_explorer.engine.expression import Block, Expression, Hole, Ref
from nla_explorer.engine.ops import CATALOGUE


# -- lookups and messages -------------------------------------------------------------------------
def _block(expr: Expression, block_id: str) -> Block:
    for b in expr.blocks:
        if b.id == block_id:
            return b
    raise _fail(f"there is no block '{block_id}'", str(block_id))


def _editable(block: Block) -> BlockTemplate:
    if block.op not in TEMPLATES:
        raise _fail(f"{block.label} cannot be edited: '{block.op}' is not a catalogue op", block.id)
    return TEMPLATES[block.op]


def _address(t: BlockTemplate, block: Block, port: str | int) -> tuple[Port, int | None]:
    """A port by name or position; ``"tensors[1]"`` addresses one item of a list port."""
    match = re.fullmatch(r"(\w+)\[(\d+)\]", port) if isinstance(port, str) else None
    try:
        p = t.port(match.group(1) if match else port)
    except KeyError:
        known = ", ".join(p.name for p in t.ports) or "none"
        raise _fail(f"{block.label} has no input {port!r} (inputs: {known})", block.id) from None
    if match is None:
        return p, None
    if not p.many:
        raise _fail(f"input '{p.name}' of {block.label} is not a list of tensors", block.id)
    item, count = int(match.group(2)), len(_items(port_value(block, p.name)))
    if item >= count:
        raise _fail(f"{block.label} has {count} tensor(s) on '{p.name}'; {port} does not exist",
                    block.id)
    return p, item


def _swap(expr: Expression, block: Block) -> Expression:
    return replace(expr, blocks=tuple(block if b.id == block.id else b for b in expr.blocks))


def _feed_path(expr: Expression, start: str, goal: str) -> list[str] | None:
    """Ids from ``goal`` to ``start`` along wires when ``start`` reads ``goal``, else None."""
    inputs = {b.id: b.inputs for b in expr.blocks}
    parent: dict[str, str] = {}
    queue, seen = deque([start]), {start}
    while queue:
        node = queue.popleft()
        for i in inputs.get(node, ()):
            if i == goal:
                path = [goal, node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return path
            if i not in seen:
                seen.add(i)
                parent[i] = node
                queue.append(i)
    return None


def _makes_tensor(block: Block) -> bool:
    if block.op in TEMPLATES:
        return TEMPLATES[block.op].output
    spec = CATALOGUE.get(block.op)  # code-only: J of jacobian(), the tuple grad() returns
    return block.op in ("input", "grad") or (spec is not None and spec.output)


# -- edits ------------------------------------------------------------------------------------
def new_block_id(expr: Expression) -> str:
    """``b<k>`` with ``k`` one more than any ``b<number>`` id in use (ids are never reused)."""
    numbers = [int(m.group(1)) for i in expr.ids if (m := re.fullmatch(r"b(\d+)", i))]
    return f"b{max(numbers, default=0) + 1}"


def add_block(expr: Expression, op: str, *, name: str | None = None,
              params: dict[str, object] | None = None) -> tuple[Expression, str]:
    """Append a new ``op`` block: unwired ports, initial parameters, then ``params``, ``name``."""
    t = template(op)
    block_id = new_block_id(expr)
    block = Block(block_id, op)
    for p in t.ports:
        if not p.optional:
            block = _append(block, t, p.index, p.keyword, () if p.many else (
                p.default if p.default is not None else Hole(p.name)), True)
    for p in t.params:
        if p.initial is not None:
            block = _write_param(block, t, p, p.initial)
    out = replace(expr, blocks=expr.blocks + (block,))
    for key, value in (params or {}).items():
        out = set_param(out, block_id, key, value)
    return (rename(out, block_id, name) if name is not None else out), block_id


def remove_blocks(expr: Expression, ids: Iterable[str]) -> Expression:
    """Drop blocks; ports that read them are unwired (list ports lose the item)."""
    gone = {ids} if isinstance(ids, str) else set(ids)
    for block_id in gone:
        _block(expr, block_id)
    kept = []
    for b in expr.blocks:
        if b.id in gone:
            continue
        if gone.intersection(b.inputs):
            b = _unwire(b, gone)
        kept.append(b)
    output = None if expr.output in gone else expr.output
    return replace(expr, blocks=tuple(kept), output=output)


def _unwire(block: Block, gone: set[str]) -> Block:
    if block.op in TEMPLATES:
        t = TEMPLATES[block.op]
        for p in t.ports:
            value = port_value(block, p.name)
            if p.many:
                items = _items(value)
                for i in reversed(range(len(items))):
                    if isinstance(items[i], Ref) and items[i].block in gone:
                        block = _write_port(block, t, p, i, None)
            elif isinstance(value, Ref) and value.block in gone:
                block = _write_port(block, t, p, None, None)

    def scrub(value: object, where: str) -> object:  # refs left elsewhere (a tensor index)
        if isinstance(value, Ref) and value.block in gone:
            return Hole(where)
        return tuple(scrub(v, where) for v in value) if isinstance(value, tuple) else value
    return replace(block, args=tuple(scrub(a, f"arg{i}") for i, a in enumerate(block.args)),
                   kwargs=tuple((k, scrub(v, k)) for k, v in block.kwargs))


def connect(expr: Expression, source_id: str, target_id: str, port: str | int) -> Expression:
    """Wire ``source``'s output into ``target``'s ``port`` (replacing what was there)."""
    source, target = _block(expr, source_id), _block(expr, target_id)
    t = _editable(target)
    p, item = _address(t, target, port)
    if source_id == target_id:
        raise _fail(f"cannot wire {source.label} into itself", source_id)
    if not _makes_tensor(source):
        raise _fail(f"{source.label} makes no tensor, so it cannot feed {target.label}", source_id)
    path = _feed_path(expr, source_id, target_id)
    if path:
        raise _fail(f"wiring {source.label} into {target.label} would make a cycle: "
                    f"{' → '.join(path)} already runs from {target_id} to {source_id}", source_id)
    return _after(_swap(expr, _write_port(target, t, p, item, Ref(source_id))), source_id,
                  target_id)


def _after(expr: Expression, source_id: str, target_id: str) -> Expression:
    """Keep ``source`` before ``target``: move the target and what depends on it (only what lies
    between the two) to just after the source. Constructors never move, so random draws keep
    their order."""
    ids = expr.ids
    s, t = ids.index(source_id), ids.index(target_id)
    if s < t:
        return expr
    moved = {target_id}
    for b in expr.blocks[t + 1:s + 1]:
        if moved.intersection(b.inputs):
            moved.add(b.id)
    window = expr.blocks[t:s + 1]
    blocks = (expr.blocks[:t] + tuple(b for b in window if b.id not in moved)
              + tuple(b for b in window if b.id in moved) + expr.blocks[s + 1:])
    return replace(expr, blocks=blocks)


def disconnect(expr: Expression, target_id: str, port: str | int) -> Expression:
    """Unwire a port: a hole, the default number (pow's exponent 2), or absent when optional."""
    target = _block(expr, target_id)
    t = _editable(target)
    p, item = _address(t, target, port)
    if p.many and item is None:
        raise _fail(f"say which tensor of '{p.name}' to disconnect from {target.label} "
                    f"('{p.name}[0]', ...)", target_id)
    return _swap(expr, _write_port(target, t, p, item, None))


def set_param(expr: Expression, block_id: str, param: str, value: object) -> Expression:
    """Set a parameter (text accepted), or put a number on a number-capable port (``0.5 * x``)."""
    block = _block(expr, block_id)
    t = _editable(block)
    numbers = expr.number_dict
    if any(p.name == param for p in t.ports):
        p = t.port(param)
        if not p.number:
            raise _fail(f"input '{param}' of {block.label} takes a wire, not a value; "
                        "connect a block to it", block_id)
        try:
            stored = None if value is None else number_value(value, numbers)
        except ValueError as exc:
            raise _fail(f"{block.label}: input '{param}' {exc}", block_id) from None
        return _swap(expr, _write_port(block, t, p, None, stored))
    p = _param(t, block, param)
    try:
        stored = clean_value(p, value, numbers)
    except ValueError as exc:
        raise _fail(f"{block.label}: {param} {exc}", block_id) from None
    new = _write_param(block, t, p, stored)
    _check_sizes(new, numbers)
    return _swap(expr, new)


def _check_sizes(block: Block, numbers: dict) -> None:
    """Re-check a block's sizes (named numbers resolved) and what its constructor would allocate."""
    t = TEMPLATES[block.op]
    try:
        for p in t.params:
            if p.kind in ("shape", "reshape", "int") and uses_var(param_value(block, p.name)):
                clean_value(p, param_value(block, p.name), numbers)
        check_size(block, numbers)
    except ValueError as exc:
        raise _fail(f"{block.label}: {exc}", block.id) from None


def _check_name(name: object, what: str, culprit: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or len(name) > 64:
        raise _fail(f"{what}: {str(name)[:40]!r} is not a valid Python name", culprit)
    if name.startswith("__") or keyword.iskeyword(name) or name in NAMES_IN_CODE:
        raise _fail(f"{what}: '{name}' is reserved in the code; choose another name", culprit)


def rename(expr: Expression, block_id: str, name: str | None) -> Expression:
    """Name a block's variable (None or "" removes the name). Names are unique: no rebinding."""
    block = _block(expr, block_id)
    if name in (None, ""):
        return _swap(expr, replace(block, name=None))
    _check_name(name, f"cannot name {block.label}", block_id)
    if not _makes_tensor(block):
        raise _fail(f"{block.label} makes no tensor, so it cannot have a name", block_id)
    if name in expr.number_dict:
        raise _fail(f"cannot name {block.label} '{name}': '{name}' is the number "
                    f"{expr.number_dict[name]}", block_id)
    other = next((b for b in expr.blocks if b.name == name and b.id != block_id), None)
    if other is not None:
        raise _fail(f"cannot name {block.label} '{name}': {other.label} already has that name",
                    block_id)
    return _swap(expr, replace(block, name=name))


def set_output(expr: Expression, block_id: str | None) -> Expression:
    """Mark the output block (None: the last tensor block, as code without ``backward()``)."""
    if block_id is not None:
        block = _block(expr, block_id)
        if not _makes_tensor(block):
            raise _fail(f"{block.label} makes no tensor, so it cannot be the output", block_id)
    return expr.with_output(block_id)


def set_number(expr: Expression, name: str, value: object) -> Expression:
    """Define or change a named number (``n = 5``); blocks using it are re-checked."""
    _check_name(name, "cannot define the number", str(name))
    holder = next((b for b in expr.blocks if b.name == name), None)
    if holder is not None:
        raise _fail(f"cannot define the number '{name}': {holder.label} has that name", name)
    try:
        number = number_value(value, {})
    except ValueError as exc:
        raise _fail(f"the number '{name}' {exc}", name) from None
    numbers = dict(expr.numbers)
    numbers[name] = number
    out = replace(expr, numbers=tuple(numbers.items()))
    for b in out.blocks:
        if b.op in TEMPLATES and name in vars_in(b):
            _check_sizes(b, out.number_dict)
    return out


def remove_number(expr: Expression, name: str) -> Expression:
    """Forget a named number no block uses."""
    if name not in expr.number_dict:
        raise _fail(f"there is no number '{name}'", str(name))
    user = next((b for b in expr.blocks if name in vars_in(b)), None)
    if user is not None:
        raise _fail(f"cannot remove the number '{name}': {user.label} uses it", name)
    return replace(expr, numbers=tuple((k, v) for k, v in expr.numbers if k != name))


# -- structural problems --------------------------------------------------------------------------
def problems(expr: Expression) -> dict[str, str]:
    """Block id → why it cannot evaluate (holes, arity, unknown refs, cycles), without torch.

    Blocks downstream of a problem are listed too, as ``waits on block ..., which cannot evaluate``.
    """
    by_id = {b.id: b for b in expr.blocks}
    repeated = {i for i, n in Counter(expr.ids).items() if n > 1}
    out: dict[str, str] = {}
    for b in expr.blocks:
        reason = "shares its id with another block" if b.id in repeated else \
            _own_problem(b, by_id, expr.number_dict)
        if reason:
            out.setdefault(b.id, reason)
    consumers: dict[str, list[str]] = {}
    waiting = {b.id: 0 for b in expr.blocks}
    for b in expr.blocks:
        for i in dict.fromkeys(b.inputs):
            consumers.setdefault(i, []).append(b.id)
            waiting[b.id] += i in by_id
    ready = deque(i for i, n in waiting.items() if n == 0)
    while ready:  # Kahn: what is never released sits on or behind a cycle
        for c in consumers.get(ready.popleft(), ()):
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
    for b in expr.blocks:
        path = None if b.id in out or not waiting[b.id] else _feed_path(expr, b.id, b.id)
        if path:
            out[b.id] = f"is part of a cycle ({' → '.join(path)})"
    queue = deque(b.id for b in expr.blocks if b.id in out)
    while queue:
        bad = queue.popleft()
        for c in consumers.get(bad, ()):
            if c not in out:
                out[c] = f"waits on {by_id[bad].label}, which cannot evaluate"
                queue.append(c)
    return out


def _own_problem(b: Block, by_id: dict[str, Block], numbers: dict) -> str | None:
    if b.op == "input":
        return None
    code_only = b.op in CATALOGUE and CATALOGUE[b.op].statement  # from code: no palette entry
    if b.op not in TEMPLATES and not code_only:
        return f"unknown block kind '{b.op}'"
    if b.holes:
        return f"input '{b.holes[0]}' is unconnected"
    for i in b.inputs:
        if i not in by_id:
            return f"reads block {i}, which does not exist"
        if not _makes_tensor(by_id[i]):
            return f"reads {by_id[i].label}, which makes no tensor"
    if code_only:  # backward(), jacobian(f, x)...: checked when they run, as Python would
        missing = next((v for v in vars_in(b) if v not in numbers), None)
        return None if missing is None else f"uses the number '{missing}', which is not defined"
    t = TEMPLATES[b.op]
    values = [port_value(b, p.name) for p in t.ports]
    for p, value in zip(t.ports, values):
        if value is None and not p.optional:
            return f"input '{p.name}' is missing"
        if p.many and not value:
            return f"input '{p.name}' has no tensors connected"
    if t.ports and all(p.number for p in t.ports) and not any(isinstance(v, Ref) for v in values):
        return "needs a tensor on at least one input"
    for p in t.params:
        given = param_value(b, p.name) is not None if b.op == "arange" else \
            _where(b, p.index, p.keyword) is not None
        if p.required and not given:
            return f"parameter '{p.name}' is missing"
    slots = [x.index for x in (*t.ports, *t.params) if x.index is not None]
    limit = 3 if b.op == "arange" else None if b.op in _VARARGS else max(slots, default=-1) + 1
    if limit is not None and len(b.args) > limit:
        return f"takes at most {limit} positional arguments, got {len(b.args)}"
    missing = next((v for v in vars_in(b) if v not in numbers), None)
    return None if missing is None else f"uses the number '{missing}', which is not defined"
