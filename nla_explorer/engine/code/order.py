"""The order in which an expression's blocks run: the order CPython evaluates its code form.

Torch numbers every autograd Node as it is created, and the backward pass runs ready Nodes highest
number first; random constructors draw in call order. So the forward order decides both the step
order and the values: it must be Python's. The code form (:mod:`code_writer`) writes each named or
reused block as a statement, in block order, and every other block inline where it is read; Python
evaluates a statement's inline blocks operands first, left to right (post-order), then the block.
"""

from __future__ import annotations

from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Block, Expression, iter_refs
from nla_explorer.engine.ops import CATALOGUE


def check_connected(expression: Expression) -> None:
    """Refuse unconnected inputs (block editor holes), naming the first block that has one."""
    for block in expression.blocks:
        if block.holes:
            raise ExpressionError(f"{block.label}: input '{block.holes[0]}' is unconnected",
                                  block.line, block.id)


def ordered(expression: Expression) -> list[Block]:
    """Blocks in the order Python runs the code form (each after its inputs).

    Where the blocks' own order reads a block before it is made (possible in the block editor), the
    blocks run in rounds instead (:func:`ordered_in_rounds`).
    """
    blocks = expression.blocks
    position = {b.id: i for i, b in enumerate(blocks)}
    if len(position) < len(blocks):  # repeated ids (a damaged session): each runs once, in rounds
        return ordered_in_rounds(expression)
    uses: dict[str, int] = {}
    for i, block in enumerate(blocks):
        for source in block.inputs:
            if position.get(source, len(blocks)) >= i:
                return ordered_in_rounds(expression)
            uses[source] = uses.get(source, 0) + 1
    inline = {b.id for b in blocks if b.name is None and uses.get(b.id, 0) == 1}

    def operands(block: Block):
        return iter([blocks[position[s]] for s in evaluated_inputs(block) if s in inline])

    order: list[Block] = []
    for block in blocks:
        if block.id in inline:
            continue
        stack = [(block, operands(block))]
        while stack:  # post-order, iteratively: deep inline chains are fine
            current, pending = stack[-1]
            nxt = next(pending, None)
            if nxt is None:
                stack.pop()
                order.append(current)
            else:
                stack.append((nxt, operands(nxt)))
    return order


def evaluated_inputs(block: Block) -> tuple[str, ...]:
    """The blocks ``block`` reads, in the order its code form evaluates them: a method's
    receiver first (``x.where(c, y)`` keeps torch.where's order, ``(c, x, y)``, in its block)."""
    op = CATALOGUE.get(block.op)
    at = op.receiver if op is not None and (block.form or "").startswith(".") else 0
    if not at or at >= len(block.args):
        return block.inputs
    args = (block.args[at], *block.args[:at], *block.args[at + 1:])
    return tuple(r.block for r in iter_refs((args, tuple(v for _, v in block.kwargs))))


def ordered_in_rounds(expression: Expression) -> list[Block]:
    """Blocks in an order where each comes after its inputs (program order where possible).

    Rounds: each releases, in program order, every block whose inputs earlier rounds released.
    Linear in the number of blocks and wires (a long chain of edits must not take quadratic time).
    """
    blocks = expression.blocks
    waiting = [len(set(b.inputs)) for b in blocks]
    readers: dict[str, list[int]] = {}
    for index, block in enumerate(blocks):
        for source in set(block.inputs):
            readers.setdefault(source, []).append(index)
    done: set[str] = set()
    order: list[int] = []
    batch = [i for i, count in enumerate(waiting) if count == 0]
    while batch:
        batch.sort()  # program order within a round
        order.extend(batch)
        released = []
        for index in batch:
            block_id = blocks[index].id
            if block_id in done:
                continue
            done.add(block_id)
            for reader in readers.get(block_id, ()):
                waiting[reader] -= 1
                if waiting[reader] == 0:
                    released.append(reader)
        batch = released
    if len(order) < len(blocks):
        placed = set(order)
        culprit = next(b for i, b in enumerate(blocks) if i not in placed)
        known = set(expression.ids)
        missing = [i for i in culprit.inputs if i not in known]
        reason = (f"reads a block that does not exist ({', '.join(missing)})" if missing
                  else "is part of a cycle")
        raise ExpressionError(f"block {culprit.id} {reason}", culprit.line, culprit.id)
    return [blocks[i] for i in order]


