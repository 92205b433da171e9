"""Forward-op builders for masks and picks: comparisons feeding ``torch.where``, ``masked_fill``
and a float mask, and the values of ``sort``, ``max``/``min`` along a dim and ``topk``."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.engine.differential_programs.builder import _Builder
from tests.engine.differential_programs.program import (
    ATOM, MUL, _broadcast, _num, _V, _wrap,
)


def _masked(b: _Builder) -> _V | None:
    """A bool condition of a tensor (no gradient) that picks, fills or multiplies."""
    a = b.pick()
    if a is None:
        return None
    c = b.pick(lambda v: v is not a and _broadcast(v.shape, a.shape) == a.shape)
    sym = b.draw(st.sampled_from([">", "<", ">=", "<="]))
    threshold = b.draw(st.sampled_from(["0", "0.5", "-0.5"]))
    cond = f"{_wrap(a, ATOM - 1)} {sym} {threshold}"
    kind = b.draw(st.sampled_from(["where", "logical", "masked_fill", "float"]))
    if kind == "where" and c is None:
        kind = "masked_fill"
    if kind == "where":  # WhereBackward0 keeps the condition, not a or c
        return b.result(f"torch.where({cond}, {a.text}, {c.text})", [a, c], a.shape,
                        max(a.mag, c.mag))
    if kind == "masked_fill":  # MaskedFillBackward0 keeps the mask
        value = b.draw(st.sampled_from(["0.0", "1.5", "-2.0"]))
        return b.result(f"{_wrap(a, ATOM)}.masked_fill({cond}, {value})", [a], a.shape,
                        max(a.mag, 2.0))
    if kind == "logical":
        cond = f"({cond}) & ~({_wrap(a, ATOM - 1)} > 1)"
    cast = "double" if "float64" in b.dtype else "float"  # a 0-d operand keeps the mask's
    mask = _V(f"({cond}).{cast}()", a.shape, False, 1.0, ATOM, group=b.new_group())
    other = c if c is not None else a
    return b.binop(other, "*", mask, _broadcast(other.shape, a.shape), other.mag, saves=True)


def _picked(b: _Builder) -> _V | None:
    """Values picked along a dim: sorted, the largest or smallest, the top k."""
    a = b.pick(lambda v: len(v.shape) >= 1)
    if a is None:
        return None
    dim = b.draw(st.integers(-len(a.shape), len(a.shape) - 1))
    d = dim % len(a.shape)
    kind = b.draw(st.sampled_from(["max", "sort", "topk", "min"]))
    if kind == "sort":
        text = b.draw(st.sampled_from([f"{_wrap(a, ATOM)}.sort(dim={dim}).values",
                                       f"torch.sort({a.text}, dim={dim}, descending=True)[0]"]))
        return b.result(text, [a], a.shape, a.mag)  # SortBackward0 keeps the indices only
    if kind == "topk":
        k = b.draw(st.integers(1, a.shape[d]))
        shape = a.shape[:d] + (k,) + a.shape[d + 1:]
        return b.result(f"{_wrap(a, ATOM)}.topk({k}, dim={dim}).values", [a], shape, a.mag)
    keep = b.draw(st.booleans())
    shape = a.shape[:d] + ((1,) if keep else ()) + a.shape[d + 1:]
    text = b.draw(st.sampled_from([f"{_wrap(a, ATOM)}.{kind}(dim={dim}, keepdim={keep})[0]",
                                   f"torch.{kind}({a.text}, {dim}, {keep}).values"]))
    return b.result(text, [a], shape, a.mag)


def _item_set(b: _Builder) -> _V | None:
    """A copy of a tensor with an item or a row set (``c = a * 1.0``, ``c[0] = …``)."""
    a = b.pick(lambda v: len(v.shape) >= 1 and v.shape[0] >= 2)
    if a is None:
        return None
    copy = b.assign(b.result(f"{_wrap(a, MUL)} * 1.0", [a], a.shape, a.mag))
    value = b.pick(lambda v: v.shape == a.shape[1:] and v.group != copy.group)
    text = value.text if value is not None else _num(b.draw(st.sampled_from(["0.5", "-1"]))).text
    b.lines.append(f"{copy.text}[{b.draw(st.integers(-a.shape[0], a.shape[0] - 1))}] = {text}")
    mag = max(a.mag, value.mag if value is not None else 1.0)
    grad = a.grad or (value is not None and value.grad)
    nid = b.new_id()
    graph = copy.graph | (value.graph if value is not None else frozenset()) | {nid}
    b.pool[copy.text] = _V(copy.text, copy.shape, grad, mag, ATOM, copy.group,
                           graph if grad else frozenset(), nid if grad else None, copy.contig)
    return None


def _factor(b: _Builder) -> _V | None:
    """A factorization's values by field: eigenvalues of a a^T, singular values, QR's R of a
    well-conditioned square matrix (their gradients are defined for any such values)."""
    a = b.pick(lambda v: len(v.shape) == 2 and v.numel > 1)
    if a is None:
        return None
    m, n = a.shape
    kind = b.draw(st.sampled_from(["eigh", "svd", "qr"]))
    if kind == "qr" and m == n:
        text = f"torch.linalg.qr({_wrap(a, MUL)} + {n + 2} * torch.eye({n}{b.dtype})).R"
        return b.result(text, [a], (n, n), a.mag + n + 2, saves_out=True)  # Q and R kept
    if kind == "eigh":
        text = f"torch.linalg.eigh({_wrap(a, MUL)} @ {_wrap(a, ATOM)}.mT).eigenvalues"
        # the eigen pair kept for backward, and a twice by the product (a ``+=`` on a then fails)
        return b.result(text, [a], (m,), a.mag ** 2 * n, saves_in=True, saves_out=True)
    text = f"torch.linalg.svd({a.text}, full_matrices=False).S"
    return b.result(text, [a], (min(m, n),), a.mag * (m * n) ** 0.5, saves_out=True)
