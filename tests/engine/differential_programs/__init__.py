"""The differential test's Hypothesis strategy: course-style programs that plain torch runs."""

# ``differential_programs()`` draws a :class:`Program`: leaves, constants and ops of the catalogue
# (:mod:`nla_explorer.engine.ops`, in its operator / ``torch.f`` / ``.method`` / ``F.`` spellings,
# kept inline or named), views, in-place augmented assignments, and several backward / grad calls
# with the grad bookkeeping between them (``x.grad.zero_()``, ``x.grad = None``, reading grads).
# About one program in ten ends in a statement torch refuses (:attr:`Program.expect_error`).
# How the builder stays valid without running anything: :class:`builder._Builder`.

from __future__ import annotations

from hypothesis import strategies as st

from tests.engine.differential_programs.backward_calls import _CALLS, _grad_bookkeeping
from tests.engine.differential_programs.errors import _error
from tests.engine.differential_programs.program import ERRORS, NAMED_NUMBERS, Program
from tests.engine.differential_programs.statements import _ProgramBuilder

__all__ = ["ERRORS", "Program", "differential_programs"]


@st.composite
def differential_programs(draw) -> Program:
    """A program plain torch runs: ops, views, in-place updates, several backward/grad calls."""
    b = _ProgramBuilder(draw)
    head = ["import torch", f"torch.manual_seed({draw(st.integers(0, 2**31 - 1))})",
            *(f"{name} = {value}" for name, value in NAMED_NUMBERS.items())]
    expect_error = 45 <= draw(st.integers(0, 99)) < 55  # hypothesis favours the ends of a range
    for _ in range(draw(st.integers(1, 3))):
        b.leaf()
    for _ in range(draw(st.integers(0, 2))):
        b.constant()
    segments = draw(st.integers(1, 3))
    for segment in range(segments):
        for _ in range(draw(st.integers(1, 6))):
            if draw(st.integers(0, 4)) == 0:
                b.inplace()
            else:
                b.step()
        b.flush()
        if segment < segments - 1 or not expect_error or draw(st.booleans()):
            draw(st.sampled_from(_CALLS))(b)
        if draw(st.integers(0, 2)) == 0:
            _grad_bookkeeping(b)
    kind = draw(st.sampled_from(sorted(ERRORS))) if expect_error else None
    if kind:
        _error(b, kind)
    if draw(st.integers(0, 3)) == 0:
        printable = [name for name in b.pool if not name.startswith("_")]
        if printable:
            b.lines.append(f"print({draw(st.sampled_from(printable))})")
    if b.uses_f:
        head.append("import torch.nn.functional as F")
    return Program("\n".join(head + b.lines) + "\n", expect_error, kind, tuple(b.leaves))
