"""_error: the final statement of a program that torch refuses, one per kind of ERRORS."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.engine.differential_programs.backward_calls import _live, _scalar
from tests.engine.differential_programs.builder import _Builder
from tests.engine.differential_programs.program import ATOM, MUL, OUT_NAMES, _num, _wrap


def _error(b: _Builder, kind: str) -> None:
    b.flush()
    if kind == "second_backward":
        t = _live(b)
        out_name = b.name(OUT_NAMES)
        body = b.draw(st.sampled_from([f"({_wrap(t, ATOM)} * {_wrap(t, ATOM)}).sum()",
                                       f"({_wrap(t, ATOM)} ** 2).mean()",
                                       f"torch.norm({t.text} * 2)"]))
        b.lines.append(f"{out_name} = {body}")
        leaf = next((x for x in b.leaves if x in t.graph), None)
        first = b.draw(st.sampled_from(["method", "function", "grad"]))
        b.lines.append(_call(first, out_name, leaf, "_g, = ", leaf))
        second = b.draw(st.sampled_from(["method", "function", "grad"]))
        b.lines.append(_call(second, out_name, leaf, "_g, = ", f"[{leaf}]"))
    elif kind == "non_scalar":
        t = _live(b, lambda v: v.numel > 1)
        if t.numel == 1:
            t = b.leaf((b.draw(st.integers(2, 4)),))
        y = b.assign(b.binop(t, "*", _num("2"), t.shape, t.mag * 2))
        leaf = next((x for x in b.leaves if x in t.graph), None)
        form = b.draw(st.sampled_from(["method", "function", "grad"]))
        b.lines.append(_call(form, y.text, leaf, "_g = ", f"[{leaf}]"))
    elif kind == "leaf_inplace":
        name = b.draw(st.sampled_from(b.leaves)) if b.leaves else b.leaf().text
        if name in b.grad_set and b.draw(st.booleans()):
            b.lines.append(f"{name} -= 0.1 * {name}.grad")  # the classic: no torch.no_grad()
        else:
            b.lines.append(f"{name} {b.draw(st.sampled_from(['+=', '*=', '-=', '/=']))} 2")
    elif kind == "saved_inplace":
        t = _live(b)
        const = b.constant(t.shape)
        if b.draw(st.booleans()) or len(t.shape) != 1:
            product = f"{const.text} * {_wrap(t, MUL + 1)}"
        else:
            product = f"{const.text} @ {_wrap(t, MUL + 1)}"
        out = b.name(OUT_NAMES)
        b.lines.append(f"{out} = ({product}).sum()" if "*" in product else f"{out} = {product}")
        b.lines.append(f"{const.text} {b.draw(st.sampled_from(['+=', '*=', '-=']))} 1")
        b.lines.append(b.draw(st.sampled_from([f"{out}.backward()",
                                               f"torch.autograd.backward({out})"])))
    else:  # grad_of_constant
        out = _scalar(b)
        leaf = next((x for x in b.leaves if x in out.graph), None)
        consts = [v for v in b.pool.values() if not v.grad]
        c = b.draw(st.sampled_from(consts)) if consts else b.constant()
        inputs = [leaf, c.text] if leaf is not None else [c.text]
        if b.draw(st.booleans()):
            inputs.reverse()
        b.lines.append(f"_gs = torch.autograd.grad({out.text}, [{', '.join(inputs)}])")


def _call(form: str, out: str, leaf: str | None, target: str, inputs: str) -> str:
    """One backward call on ``out``: ``grad`` (when a leaf is at hand), the function, the method."""
    if form == "grad" and leaf is not None:
        return f"{target}torch.autograd.grad({out}, {inputs})"
    if form == "function":
        return f"torch.autograd.backward({out})"
    return f"{out}.backward()"
