"""Edits of the block editor as plain data, and ``apply_edit`` that performs one (Qt-free).

The canvas emits these descriptions; the document applies them inside undo commands.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nla_explorer.engine.blocks import editing as B
from nla_explorer.engine.blocks.feeding import feed
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Block, Expression, Ref

PASTE_OFFSET = 40.0
Position = tuple[float, float]


# -- edit descriptions -----------------------------------------------------------------------------
@dataclass(frozen=True)
class AddBlock:
    """Add an ``op`` block with ``preset`` parameters ((name, value), ...) at ``position``; the
    blocks of ``inputs`` (in order) feed its unconnected inputs."""
    op: str
    preset: tuple = ()
    position: Position = (0.0, 0.0)
    name: str | None = None
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoveBlocks:
    """Remove blocks (wires into their consumers become holes)."""
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Connect:
    """Wire ``source_id``'s output into ``target_id``'s input ``port``."""
    source_id: str
    target_id: str
    port: str


@dataclass(frozen=True)
class Disconnect:
    """Unwire ``target_id``'s input ``port``."""
    target_id: str
    port: str


@dataclass(frozen=True)
class MoveBlocks:
    """New positions ((id, (x, y)), ...): emitted when a drag ends, not while dragging."""
    positions: tuple[tuple[str, Position], ...]


@dataclass(frozen=True)
class SetParam:
    """Set a parameter (or a number on a number input such as mul's ``a``); text is accepted."""
    block_id: str
    name: str
    value: object


@dataclass(frozen=True)
class Rename:
    """Name a block's variable ("" removes the name)."""
    block_id: str
    name: str


@dataclass(frozen=True)
class SetOutput:
    """Mark the output block (None: the last tensor block)."""
    block_id: str | None


@dataclass(frozen=True)
class SetNumber:
    """Define a named number (``n = 5``)."""
    name: str
    value: object


@dataclass(frozen=True)
class SetNumbers:
    """Make the named numbers exactly ``numbers`` ((name, value), ...): new ones are defined,
    changed ones re-checked, missing ones forgotten (refused while a block uses them)."""
    numbers: tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class Clear:
    """Empty the expression: no blocks, no numbers (New)."""


@dataclass(frozen=True)
class Paste:
    """Copies of ``blocks`` with fresh ids and no names; wires among them kept, others dropped."""
    blocks: tuple[Block, ...]
    positions: tuple[tuple[str, Position], ...] = ()


def apply_edit(expr: Expression, positions: dict[str, Position], edit: object
               ) -> tuple[Expression, dict[str, Position]]:
    """Perform ``edit``: the new expression and positions; a bad edit raises ExpressionError."""
    positions = dict(positions)
    if isinstance(edit, AddBlock):
        expr, new_id = B.add_block(expr, edit.op, name=edit.name, params=dict(edit.preset))
        expr = feed(expr, new_id, edit.inputs)
        positions[new_id] = tuple(edit.position)
    elif isinstance(edit, RemoveBlocks):
        expr = B.remove_blocks(expr, edit.ids)
        positions = {k: v for k, v in positions.items() if k not in edit.ids}
    elif isinstance(edit, Connect):
        expr = B.connect(expr, edit.source_id, edit.target_id, edit.port)
    elif isinstance(edit, Disconnect):
        expr = B.disconnect(expr, edit.target_id, edit.port)
    elif isinstance(edit, MoveBlocks):
        positions.update({k: tuple(v) for k, v in edit.positions})
    elif isinstance(edit, SetParam):
        expr = B.set_param(expr, edit.block_id, edit.name, edit.value)
    elif isinstance(edit, Rename):
        expr = B.rename(expr, edit.block_id, edit.name)
    elif isinstance(edit, SetOutput):
        expr = B.set_output(expr, edit.block_id)
    elif isinstance(edit, SetNumber):
        expr = B.set_number(expr, edit.name, edit.value)
    elif isinstance(edit, SetNumbers):
        expr = _set_numbers(expr, edit.numbers)
    elif isinstance(edit, Clear):
        expr, positions = Expression(), {}
    elif isinstance(edit, Paste):
        expr, positions = _paste(expr, positions, edit)
    else:
        raise ExpressionError(f"unknown edit {type(edit).__name__}")
    return expr, positions


def _set_numbers(expr: Expression, numbers: tuple) -> Expression:
    wanted = dict(numbers)
    for name in [k for k in expr.number_dict if k not in wanted]:
        expr = B.remove_number(expr, name)
    for name, value in wanted.items():
        expr = B.set_number(expr, name, value)
    return expr


def parse_numbers(text: str) -> tuple[tuple[str, str], ...]:
    """``"n = 5, d = 3"`` (commas, semicolons or new lines between) as ((name, value text), ...);
    a part without ``=`` raises ExpressionError quoting it."""
    out = []
    for part in text.replace(";", ",").replace("\n", ",").split(","):
        if not part.strip():
            continue
        name, equals, value = part.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise ExpressionError(f"named numbers are written 'n = 5'; {part.strip()!r} is not",
                                  culprit=part.strip())
        out.append((name.strip(), value.strip()))
    return tuple(out)


def _paste(expr: Expression, positions: dict, edit: Paste) -> tuple[Expression, dict]:
    where = dict(edit.positions)
    new_ids: dict[str, str] = {}
    for block in edit.blocks:
        new_id = B.new_block_id(expr)
        new_ids[block.id] = new_id

        def remap(value: object) -> object:
            if isinstance(value, Ref) and value.block in new_ids:
                return Ref(new_ids[value.block])
            return tuple(remap(v) for v in value) if isinstance(value, tuple) else value
        copy = replace(block, id=new_id, name=None, line=None, args=remap(block.args),
                       kwargs=tuple((k, remap(v)) for k, v in block.kwargs))
        expr = replace(expr, blocks=expr.blocks + (copy,))
        for address, value in reversed(B.port_values(copy)):
            if isinstance(value, Ref) and value.block not in new_ids.values():
                expr = B.disconnect(expr, new_id, address)
        x, y = where.get(block.id, (0.0, 0.0))
        positions[new_id] = (x + PASTE_OFFSET, y + PASTE_OFFSET)
    return expr, positions
