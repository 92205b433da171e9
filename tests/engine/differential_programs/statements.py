"""_ProgramBuilder: _Builder plus the forward statements, ``y = op(...)`` and ``y op= ...``."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from tests.engine.differential_programs.builder import _Builder
from tests.engine.differential_programs.forward_ops import _OPS, _definite_view
from tests.engine.differential_programs.program import (
    ADD, MAX_MAG, MUL, NUMBERS, _broadcast, _num, _V, _wrap)


class _ProgramBuilder(_Builder):
    """The builder the strategy uses: forward ops and in-place updates on top of the bookkeeping."""

    def step(self) -> None:
        """One forward op; its result is named or kept inline for the next op."""
        before = self.pending
        made = self.draw(st.sampled_from(_OPS))(self)
        if before is not None and self.pending is before:  # the op did not take it: name it
            self.pending = None
            self.assign(before)
            self.pending = None
        if made is None or not made.mag <= MAX_MAG:
            return  # nothing to add, or values that might overflow: not written
        if self.pending is None and self.draw(st.integers(0, 2)) == 0:
            self.pending = made
        else:
            self.assign(made)

    def inplace(self) -> None:
        """``y op= expr`` on a named tensor that autograd lets change in place (or a view of it)."""
        self.flush()
        sym = self.draw(st.sampled_from(["+=", "-=", "*=", "/=", "+="]))
        targets = [v for v in self.pool.values() if self.can_modify(v)]
        if not targets:
            return
        target = self.draw(st.sampled_from(targets))
        if target.grad and not target.view and self.draw(st.integers(0, 2)) == 0:
            target = self.assign(_definite_view(self, target))  # v = y[0]; v += ...
        if sym == "/=" or (sym == "*=" and self.draw(st.booleans())) or \
                self.draw(st.integers(0, 3)) == 0:
            number = self.draw(st.sampled_from(["2", "0.5", "-1.5", "4"] if sym in ("*=", "/=")
                                               else NUMBERS))
            expr = _num(number)
        else:
            expr = self.operand_for(target)
            if expr is None:
                return
        if sym == "*=" and expr.group != -1:
            self.save(expr)  # mul_ keeps the factor (and a copy of the old target, if needed)
        if not self.can_modify(target):
            # building the expression saved the target (y += y * x): an assignment instead
            self.assign(self.result(f"{target.text} {sym[0]} {_wrap(expr, MUL + 1)}",
                                    [target, expr], target.shape, target.mag + expr.mag,
                                    MUL if sym[0] in "*/" else ADD, saves_in=sym == "*="))
            return
        self.lines.append(f"{target.text} {sym} {expr.text}")
        if sym in ("+=", "-="):
            mag = target.mag + expr.mag
        elif sym == "*=":
            mag = target.mag * expr.mag
        else:
            mag = target.mag / abs(float(expr.text))
        grad = target.grad or expr.grad
        extra = expr.graph if expr.group != -1 else frozenset()
        if target.view:
            base = self.pool[target.base]
            cs, nv = self.new_id(), self.new_id()
            new_base = replace(base, graph=base.graph | extra | {cs}, node=cs,
                               mag=max(base.mag, mag))
            self.pool[base.text] = new_base
            self.pool[target.text] = replace(target, graph=new_base.graph | {nv}, node=nv,
                                             mag=mag, grad=True)
        else:
            nid = self.new_id()
            self.pool[target.text] = replace(
                target, mag=mag, grad=grad, graph=target.graph | extra | {nid} if grad else
                frozenset(), node=nid if grad else None)

    def operand_for(self, target: _V) -> _V | None:
        """The right side of ``target op= ...``: a named tensor or a new expression that
        broadcasts to ``target``'s shape and does not overlap its storage."""
        def fits(v: _V) -> bool:
            return (v.group != target.group and v.text != target.text and
                    _broadcast(v.shape, target.shape) == target.shape)
        if self.draw(st.booleans()):
            made = self.draw(st.sampled_from(_OPS))(self)
            if made is not None and made.mag <= MAX_MAG:
                if fits(made):
                    return made
                self.assign(made)
        return self.pick(fits)

    def can_modify(self, v: _V) -> bool:
        group = self.groups.get(v.group)
        if group is None or v.leaf or group.leaf_grad or group.saved or group.frozen:
            return False
        if v.view:
            base = self.pool.get(v.base) if v.base else None
            return (base is not None and base.grad and not base.view and
                    group.members <= {v.text, base.text})
        return group.members <= {v.text}
