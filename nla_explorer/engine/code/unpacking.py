"""``a, b = <call>`` as Python reads it: a call that gives a tuple of tensors, unpacked item by item.

``grad()`` gives one gradient per input; ``x.sort()``, ``x.topk(k)``, ``x.max(dim)`` and the
factorizations (``torch.linalg.qr``, ``eigh``, ``svd``, ``lstsq``) give torch's named tuples (their
records' ``fields``). Each name gets the item ``[k]`` of the call's
result; a count that does not match is Python's ValueError, on the line.
"""

from __future__ import annotations

from nla_explorer.engine.code.backward_lines import check_unpacking
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Block, Ref
from nla_explorer.engine.ops.selection import TUPLES

#: Ops whose result code may unpack (the writer writes them back unpacked).
UNPACKED = frozenset({"grad", *TUPLES})


def unpacks(parser, block: Block, wanted: int) -> bool:
    """Whether ``block``'s result is a tuple that ``wanted`` names unpack (raising Python's error
    where the count is wrong); False where it may be a tensor (``torch.max(a, b)``)."""
    if block.op == "grad":
        check_unpacking(parser, block, wanted)
        return True
    count = item_count(block)
    if count is None:
        if block.op in TUPLES and len(block.args) == 1:  # x.max(): one number, a 0-d tensor
            _raise(parser, block, "TypeError", "iteration over a 0-d tensor")
        return False
    if count < wanted:
        _raise(parser, block, "ValueError",
               f"not enough values to unpack (expected {wanted}, got {count})")
    if count > wanted:
        _raise(parser, block, "ValueError", f"too many values to unpack (expected {wanted})")
    return True


def item_count(block: Block) -> int | None:
    """How many tensors ``block`` gives, where it gives a tuple of them (None: a tensor)."""
    count = TUPLES.get(block.op)
    if block.op in ("max_of", "min_of") and not _along_a_dim(block):
        return None
    return count


def _along_a_dim(block: Block) -> bool:
    """``x.max(1)``, ``torch.max(x, dim=1)``: values and indices; ``torch.max(a, b)``: a tensor."""
    if any(key == "dim" for key, _ in block.kwargs):
        return True
    return len(block.args) > 1 and not isinstance(block.args[1], Ref)


def _raise(parser, block: Block, kind: str, message: str) -> None:
    raise ExpressionError(message, parser.line or None, block.name or block.op, kind)
