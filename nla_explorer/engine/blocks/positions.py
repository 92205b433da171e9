"""Where blocks stay on the canvas when the code changes: positions kept by name, else by op."""

from __future__ import annotations

from nla_explorer.engine.expression import Expression


def kept_positions(old: Expression | None, positions: dict, new: Expression
                   ) -> tuple[tuple[str, tuple[float, float]], ...]:
    """Positions for ``new``'s blocks, kept from ``old``'s equal blocks (by name, else by op and
    order), so editing the code does not rearrange the canvas."""
    if old is None or not positions:
        return ()
    def keys(expr: Expression) -> dict[str, tuple]:
        seen: dict[str, int] = {}
        out = {}
        for b in expr.blocks:
            if b.name:
                out[b.id] = ("name", b.name)
            else:
                seen[b.op] = seen.get(b.op, 0) + 1
                out[b.id] = ("op", b.op, seen[b.op])
        return out
    old_by_key = {k: i for i, k in keys(old).items()}
    kept = []
    for block_id, key in keys(new).items():
        old_id = old_by_key.get(key)
        if old_id in positions:
            kept.append((block_id, positions[old_id]))
    return tuple(kept)
