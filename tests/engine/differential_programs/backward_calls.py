"""The backward / autograd.grad call statements (_CALLS) and the grad bookkeeping between them."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from tests.engine.differential_programs.builder import _Builder
from tests.engine.differential_programs.program import ATOM, GRAD_MAG, OUT_NAMES, _num, _V, _wrap


def _live(b: _Builder, want=lambda v: True) -> _V:
    """A named tensor that requires grad and whose graph is intact (a new leaf if none)."""
    b.flush()
    found = [v for v in b.pool.values() if b.live(v) and want(v)]
    if found:
        return b.draw(st.sampled_from(found))
    return b.leaf()


def _scalar(b: _Builder) -> _V:
    """A named live scalar (numel 1): existing, or a new sum of reductions of live tensors."""
    b.flush()
    existing = [v for v in b.pool.values() if b.live(v) and v.numel == 1 and not v.leaf]
    if existing and b.draw(st.integers(0, 2)) == 0:
        return b.draw(st.sampled_from(existing))
    total = None
    for _ in range(b.draw(st.integers(1, 2))):
        t = _live(b)
        kind = b.draw(st.sampled_from(["sum", "torch.sum", "mean", "norm", "square", "exp"]))
        if kind == "exp" and t.mag > 5:
            kind = "square"
        if kind == "square":
            sq = b.binop(t, "**", _num("2"), t.shape, t.mag ** 2, saves=True)
            term = b.result(f"{_wrap(sq, ATOM)}.sum()", [sq], (), sq.mag * t.numel)
        elif kind == "exp":
            e = b.result(f"torch.exp({t.text})", [t], t.shape, math.exp(t.mag), saves_out=True)
            term = b.result(f"{_wrap(e, ATOM)}.mean()", [e], (), e.mag)
        elif kind == "norm":
            term = b.call("norm", [t], (), t.mag * math.sqrt(t.numel), saves_in=True,
                          saves_out=True)
        elif kind == "torch.sum":
            term = b.result(f"torch.sum({t.text})", [t], (), t.mag * t.numel)
        else:
            term = b.result(f"{_wrap(t, ATOM)}.{kind}()", [t], (), t.mag * t.numel)
        if b.draw(st.integers(0, 3)) == 0:
            term = b.binop(_num("0.5"), "*", term, (), term.mag / 2)
        total = term if total is None else b.binop(total, b.draw(st.sampled_from(["+", "-"])),
                                                   term, (), total.mag + term.mag)
    return b.assign(total, OUT_NAMES)


def _vector_seed(b: _Builder, y: _V) -> str:
    """A new constant of ``y``'s shape for ``gradient=`` / ``grad_outputs=``, used only there.

    Only there: torch may hand the very tensor (or a view of it) back, as what grad() returns or
    as a leaf's ``.grad`` (``x.reshape(1, 3).backward(v)`` makes ``x.grad`` a view of ``v``,
    and the next backward accumulates into ``v`` in place), so nothing may save or change it.
    """
    text = b.constant_text(y.shape)[0]
    if b.draw(st.booleans()):
        return text
    name = b.name(("v", "seed", "dy", "G"))
    b.lines.append(f"{name} = {text}")
    return name


def _inputs_of(b: _Builder, out: _V, leaves_only=False, at_most=3) -> list[_V]:
    found = [v for v in b.pool.values() if v.node is not None and v.node in out.graph and
             v.text != out.text and (v.leaf or not leaves_only)]
    found.sort(key=lambda v: not v.leaf)  # leaves first: more likely to be drawn
    if not found:
        return []
    chosen = b.draw(st.lists(st.sampled_from(found), min_size=1, max_size=at_most,
                             unique_by=lambda v: v.text))
    return chosen


def _after_backward(b: _Builder, outs, inputs=None, retain=False) -> None:
    for out in outs:
        for leaf in out.graph:
            if isinstance(leaf, str) and (inputs is None or leaf in inputs):
                b.grad_set.add(leaf)
    if not retain:
        for out in outs:
            b.freed |= out.ops


def _after_grad(b: _Builder, out: _V, retain: bool) -> None:
    if not retain:
        b.freed |= out.ops


def _grad_names(b: _Builder, inputs) -> list[str]:
    names = []
    for v in inputs:
        wanted = f"g{v.text}" if not v.text.startswith("_") else "g"
        names.append(b.name([wanted, f"d{v.text}"]))
    return names


def _bind_grads(b: _Builder, names, inputs) -> None:
    for name, v in zip(names, inputs):
        b.bind(name, _V(name, v.shape, False, GRAD_MAG, group=b.new_group(frozen=True)))
        b.grad_results.append(name)


def _retain(b: _Builder) -> tuple[bool, str]:
    retain = b.draw(st.integers(0, 3)) == 0
    return retain, ", retain_graph=True" if retain else ""


def _backward_plain(b: _Builder) -> None:
    out = _scalar(b)
    retain, kw = _retain(b)
    form = b.draw(st.sampled_from(["method", "method", "function", "list"]))
    if form == "method":
        b.lines.append(f"{out.text}.backward({kw[2:]})")
    elif form == "function":
        b.lines.append(f"torch.autograd.backward({out.text}{kw})")
    else:
        b.lines.append(f"torch.autograd.backward([{out.text}]{kw})")
    _after_backward(b, [out], retain=retain)


def _backward_twice(b: _Builder) -> None:
    out = _scalar(b)
    b.lines.append(f"{out.text}.backward(retain_graph=True)")
    _after_backward(b, [out], retain=True)
    if b.draw(st.booleans()):
        _grad_bookkeeping(b)
    if b.live(out):
        retain, kw = _retain(b)
        b.lines.append(f"{out.text}.backward({kw[2:]})")
        _after_backward(b, [out], retain=retain)


def _backward_vector(b: _Builder) -> None:
    y = _live(b, lambda v: not v.leaf)
    if y.leaf:  # a new leaf: make something of it
        y = b.assign(b.binop(y, "*", _num("2"), y.shape, y.mag * 2))
    seed = _vector_seed(b, y)
    retain, kw = _retain(b)
    form = b.draw(st.sampled_from(["positional", "keyword", "function", "function_kw", "list"]))
    b.lines.append({
        "positional": f"{y.text}.backward({seed}{kw})",
        "keyword": f"{y.text}.backward(gradient={seed}{kw})",
        "function": f"torch.autograd.backward({y.text}, {seed}{kw})",
        "function_kw": f"torch.autograd.backward({y.text}, grad_tensors={seed}{kw})",
        "list": f"torch.autograd.backward([{y.text}], [{seed}]{kw})",
    }[form])
    _after_backward(b, [y], retain=retain)


def _backward_inputs(b: _Builder) -> None:
    out = _scalar(b)
    inputs = _inputs_of(b, out, leaves_only=True, at_most=2)
    if not inputs:
        return _backward_plain(b)
    retain, kw = _retain(b)
    names = [v.text for v in inputs]
    listed = f"[{', '.join(names)}]" if len(names) > 1 or b.draw(st.booleans()) else names[0]
    if b.draw(st.booleans()):
        b.lines.append(f"{out.text}.backward(inputs={listed}{kw})")
    else:
        b.lines.append(f"torch.autograd.backward({out.text}, inputs={listed}{kw})")
    _after_backward(b, [out], inputs=set(names), retain=retain)
    return None


def _grad_call(b: _Builder) -> None:
    out = _scalar(b)
    inputs = _inputs_of(b, out)
    if not inputs:
        return _backward_plain(b)
    retain, kw = _retain(b)
    form = b.draw(st.sampled_from(["unpack", "index", "single"]))
    names = _grad_names(b, inputs[:1] if form == "index" else inputs)
    args = ", ".join(v.text for v in inputs)
    if form == "single" and len(inputs) == 1:
        b.lines.append(f"{names[0]}, = torch.autograd.grad({out.text}, {args}{kw})")
    elif form == "index":
        bracket = f"[{args}]" if b.draw(st.booleans()) else f"({args},)"
        b.lines.append(f"{names[0]} = torch.autograd.grad({out.text}, {bracket}{kw})[0]")
        inputs = inputs[:1]
    else:
        bracket = f"[{args}]" if b.draw(st.booleans()) else f"({args},)"
        b.lines.append(f"{', '.join(names)}{',' if len(names) == 1 else ''} = "
                       f"torch.autograd.grad({out.text}, {bracket}{kw})")
    _bind_grads(b, names, inputs)
    _after_grad(b, out, retain)
    return None


def _grad_vector(b: _Builder) -> None:
    y = _live(b, lambda v: not v.leaf)
    if y.leaf:
        y = b.assign(b.binop(y, "*", _num("3"), y.shape, y.mag * 3))
    inputs = _inputs_of(b, y, at_most=1)
    if not inputs:
        return None
    seed = _vector_seed(b, y)
    retain, kw = _retain(b)
    (name,) = _grad_names(b, inputs)
    form = b.draw(st.sampled_from(["keyword", "positional"]))
    call = f"torch.autograd.grad({y.text}, [{inputs[0].text}], grad_outputs={seed}{kw})" \
        if form == "keyword" else f"torch.autograd.grad({y.text}, {inputs[0].text}, {seed}{kw})"
    b.lines.append(f"{name} = {call}[0]")
    _bind_grads(b, [name], inputs)
    _after_grad(b, y, retain)
    return None


def _backward_shared(b: _Builder) -> None:
    """Two outputs of one subgraph, each with its own backward (the first keeps the graph)."""
    y = _live(b, lambda v: not v.leaf and len(v.shape) >= 1)
    if y.leaf:
        y = b.assign(b.call("mul", [y, y], y.shape, y.mag ** 2, saves_in=True))
    first = b.assign(b.result(f"{y.text}.sum()", [y], (), y.mag * y.numel), OUT_NAMES)
    sq = b.binop(y, "**", _num("2"), y.shape, y.mag ** 2, saves=True)
    second = b.assign(b.result(f"{_wrap(sq, ATOM)}.mean()", [sq], (), sq.mag), OUT_NAMES)
    b.lines.append(f"{first.text}.backward(retain_graph=True)")
    _after_backward(b, [first], retain=True)
    if b.draw(st.booleans()):
        b.lines.append(f"{second.text}.backward()")
    else:
        b.lines.append(f"torch.autograd.backward({second.text})")
    _after_backward(b, [second])


def _backward_roots(b: _Builder) -> None:
    """``torch.autograd.backward([out1, y], [None, v])``: several roots in one call."""
    out = _scalar(b)
    y = _live(b, lambda v: v.text != out.text and not v.leaf)
    if y.leaf or y.text == out.text:
        return _backward_plain(b)
    seed = "None" if y.numel == 1 and b.draw(st.booleans()) else _vector_seed(b, y)
    if b.draw(st.booleans()):
        b.lines.append(f"torch.autograd.backward([{out.text}, {y.text}], [None, {seed}])")
    else:
        b.lines.append(f"torch.autograd.backward([{y.text}, {out.text}], "
                       f"grad_tensors=[{seed}, None])")
    _after_backward(b, [out, y])
    return None


_CALLS = [_backward_plain, _backward_plain, _backward_twice, _backward_vector, _backward_inputs,
          _grad_call, _grad_call, _grad_vector, _backward_shared, _backward_roots]


def _grad_bookkeeping(b: _Builder) -> None:
    """Between calls: zero or drop a grad, or read one into a new tensor."""
    b.flush()
    with_grad = [name for name in b.leaves if name in b.grad_set]
    kind = b.draw(st.sampled_from(["zero", "none", "read", "read", "step", "grad_result"]))
    if kind == "none":
        name = b.draw(st.sampled_from(b.leaves))
        b.lines.append(f"{name}.grad = None")
        b.grad_set.discard(name)
    elif kind == "grad_result":
        if not b.grad_results:
            return
        g = b.pool[b.draw(st.sampled_from(b.grad_results))]
        like = [v for v in b.pool.values() if v.shape == g.shape and v.text != g.text]
        other = b.draw(st.sampled_from(like)) if like else _num("1")
        made = b.binop(g, "-", other, g.shape, g.mag + other.mag)
        b.assign(made)
    elif not with_grad:
        return
    elif kind == "zero":
        name = b.draw(st.sampled_from(with_grad))
        b.lines.append(f"{name}.grad.zero_()")
    else:
        name = b.draw(st.sampled_from(with_grad))
        x = b.pool[name]
        grad = _V(f"{name}.grad", x.shape, False, GRAD_MAG, group=-2)
        if kind == "step":  # a gradient step, out of place
            lr = _num(b.draw(st.sampled_from(["0.1", "0.01", "0.5"])))
            scaled = b.binop(lr, "*", grad, x.shape, GRAD_MAG)
            made = b.binop(x, "-", scaled, x.shape, GRAD_MAG + x.mag)
        else:
            number = _num(b.draw(st.sampled_from(["2", "0.5", "-1"])))
            made = b.binop(grad, b.draw(st.sampled_from(["*", "+", "-"])), number, x.shape,
                           GRAD_MAG * 2)
        b.assign(made)
