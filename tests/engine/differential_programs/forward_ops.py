"""The forward-op builders (elementwise, matmul, views, reductions, linalg, losses) and _OPS."""

from __future__ import annotations

import math
from dataclasses import replace

from hypothesis import strategies as st

from tests.engine.differential_programs.builder import _Builder
from tests.engine.differential_programs.selection_ops import (
    _factor, _item_set, _masked, _picked,
)
from tests.engine.differential_programs.program import (
    ATOM, MUL, NUMBER_EXPRESSIONS, NUMBERS, _broadcast, _num, _V, _wrap,
)


def _unary(b: _Builder) -> _V | None:
    a = b.pick()
    if a is None:
        return None
    key = b.draw(st.sampled_from(["abs", "exp", "sin", "cos", "tanh", "sigmoid", "relu", "neg",
                                  "sqrt", "log", "clamp"]))
    if key == "exp" and a.mag > 5:
        key = "tanh"
    if key in ("sqrt", "log"):
        pos = b.positive(a)
        mag = math.sqrt(pos.mag) if key == "sqrt" else max(0.7, math.log(pos.mag))
        return b.call(key, [pos], a.shape, mag, saves_in=key == "log", saves_out=key == "sqrt")
    if key == "clamp":
        text = f"{_wrap(a, ATOM)}.clamp(min=-0.5, max=0.5)" if b.draw(st.booleans()) else \
            f"torch.clamp({a.text}, -1, 1)"
        return b.result(text, [a], a.shape, min(a.mag, 1.0), saves_in=True)
    mag = math.exp(a.mag) if key == "exp" else \
        {"sin": 1.0, "cos": 1.0, "tanh": 1.0, "sigmoid": 1.0}.get(key, a.mag)
    return b.call(key, [a], a.shape, mag, saves_in=key in ("abs", "sin", "cos"),
                  saves_out=key in ("exp", "tanh", "sigmoid", "relu"))


def _binary(b: _Builder) -> _V | None:
    a = b.pick()
    if a is None:
        return None
    key = b.draw(st.sampled_from(["add", "sub", "mul", "div", "pow", "maximum", "add", "mul"]))
    if b.draw(st.integers(0, 2)) == 0 or key == "pow":  # with a Python number
        return _with_number(b, a, key)
    c = b.pick(lambda v: _broadcast(v.shape, a.shape) is not None)
    if c is None:
        return _with_number(b, a, key)
    if b.draw(st.booleans()):
        a, c = c, a
    shape = _broadcast(a.shape, c.shape)
    if key in ("add", "sub"):
        return b.call(key, [a, c], shape, a.mag + c.mag)
    if key == "mul":
        return b.call(key, [a, c], shape, a.mag * c.mag, saves_in=True)
    if key == "maximum":
        return b.call(key, [a, c], shape, max(a.mag, c.mag), saves_in=True)
    pos = b.positive(c)  # div: by something ≥ 0.5
    return b.call("div", [a, pos], shape, a.mag * 2, saves_in=True)


def _with_number(b: _Builder, a: _V, key: str) -> _V | None:
    if key == "pow":
        exponent = b.draw(st.sampled_from(["2", "3", "0.5", "-1", "2"]))
        if exponent in ("0.5", "-1"):
            a = b.positive(a)
            mag = math.sqrt(a.mag) if exponent == "0.5" else 2.0
        else:
            mag = a.mag ** int(exponent)
        if b.draw(st.booleans()):
            return b.binop(a, "**", _num(exponent), a.shape, mag, saves=True)
        return b.call("pow", [a, _num(exponent)], a.shape, mag, saves_in=True, saves_out=True)
    if key == "maximum":
        key = "mul"
    if b.draw(st.integers(0, 2)) == 0:  # arithmetic on the program's named numbers
        number = _num(*b.draw(st.sampled_from(NUMBER_EXPRESSIONS)))
    else:
        number = _num(b.draw(st.sampled_from(NUMBERS)))
    if key == "div":
        if b.draw(st.booleans()):  # number / positive
            return b.binop(number, "/", b.positive(a), a.shape, number.mag * 2 + 1)
        return b.call("div", [a, number], a.shape, a.mag / number.mag)
    mag = a.mag * number.mag if key == "mul" else a.mag + number.mag
    sym = {"add": "+", "sub": "-", "mul": "*"}[key]
    if b.draw(st.booleans()):
        return b.binop(number, sym, a, a.shape, mag)
    return b.call(key, [a, number], a.shape, mag)


def _matmul(b: _Builder) -> _V | None:
    a = b.pick(lambda v: len(v.shape) in (1, 2))
    if a is None:
        return None
    k = a.shape[-1]
    c = b.pick(lambda v: len(v.shape) in (1, 2) and v.shape[0] == k)
    if c is None:
        shape = (k,) if b.draw(st.booleans()) else (k, b.draw(st.integers(1, 4)))
        c = b.constant(shape) if b.draw(st.booleans()) else b.inline_constant(shape)
    key = {(2, 2): "mm", (2, 1): "mv", (1, 1): "dot", (1, 2): "matmul"}[(len(a.shape),
                                                                       len(c.shape))]
    key = b.draw(st.sampled_from([key, "matmul", "matmul"]))
    if b.draw(st.integers(0, 4)) == 0 and len(a.shape) == 1 and len(c.shape) == 1:
        key = "outer"
        shape = a.shape + c.shape
    else:
        shape = a.shape[:-1] + c.shape[1:]
    return b.call(key, [a, c], shape, k * a.mag * c.mag, saves_in=True)


def _quadratic(b: _Builder) -> _V | None:
    """``0.5 * x @ A @ x - b @ x``: the course's quadratic, inline, in Python's operator order."""
    x = b.pick(lambda v: len(v.shape) == 1 and v.grad and v is not b.pending)  # used twice
    if x is None:
        return None
    n = x.shape[0]
    A = b.pick(lambda v: v.shape == (n, n)) or b.constant((n, n))
    c = b.pick(lambda v: v.shape == (n,) and v.text != x.text) or b.constant((n,))
    half = b.binop(_num(b.draw(st.sampled_from(["0.5", "2", "1"]))), "*", x, (n,), x.mag * 2)
    xa = b.binop(half, "@", A, (n,), n * half.mag * A.mag, saves=True)
    xax = b.binop(xa, "@", x, (), n * xa.mag * x.mag, saves=True)
    cx = b.binop(c, "@", x, (), n * c.mag * x.mag, saves=True)
    return b.binop(xax, b.draw(st.sampled_from(["-", "+"])), cx, (), xax.mag + cx.mag)


def _definite_view(b: _Builder, a: _V) -> _V:
    """A view that surely shares ``a``'s storage (no reshape): to change ``a`` through it."""
    options = ["[None]", ".unsqueeze(0)"]
    if a.contig:
        options.append(f".view({a.numel})" if b.draw(st.booleans()) else ".view(-1)")
    if a.shape:
        options += ["[0]", "[-1]", "[0]"] + (["[1:]"] if a.shape[0] > 1 else [])
    if len(a.shape) == 2:
        options += ["[:, 0]", ".T", ".t()", ".transpose(0, 1)"]
        options += ["[1:, :]"] if a.shape[0] > 1 else []
    if 1 in a.shape:
        options.append(".squeeze()")
    index = b.draw(st.sampled_from(options))
    shape = {"[None]": (1, *a.shape), ".unsqueeze(0)": (1, *a.shape), "[0]": a.shape[1:],
             "[-1]": a.shape[1:], "[1:]": (a.shape[0] - 1, *a.shape[1:]) if a.shape else (),
             "[1:, :]": (a.shape[0] - 1, *a.shape[1:]) if a.shape else (),
             "[:, 0]": a.shape[:1], ".T": a.shape[::-1], ".t()": a.shape[::-1],
             ".transpose(0, 1)": a.shape[::-1],
             ".squeeze()": tuple(s for s in a.shape if s != 1)}.get(index, (a.numel,))
    contig = index not in ("[:, 0]", ".T", ".t()", ".transpose(0, 1)") or \
        sum(s > 1 for s in a.shape) <= 1
    return b.view_of(a, f"{_wrap(a, ATOM)}{index}", shape, contig)


def _view(b: _Builder) -> _V | None:
    kind = b.draw(st.sampled_from(["reshape", "view", "transpose", "index", "unsqueeze",
                                   "squeeze", "reshape", "index", "transpose"]))
    want = {"transpose": lambda v: len(v.shape) == 2, "view": lambda v: v.contig,
            "index": lambda v: len(v.shape) >= 1}.get(kind, lambda v: True)
    a = b.pick(want) or b.pick()
    if a is None:
        return None
    if kind == "view" and not a.contig:
        kind = "reshape"
    numel = a.numel
    if kind in ("reshape", "view"):
        pairs = [(i, numel // i) for i in range(1, numel + 1) if numel % i == 0]
        shape = b.draw(st.sampled_from([(numel,), (-1,), *pairs, *(((),) if numel == 1 else ())]))
        real = (numel,) if shape == (-1,) else shape
        args = ", ".join(str(s) for s in shape) if shape else "()"
        if kind == "view":
            text = f"{_wrap(a, ATOM)}.view({args})"
        elif b.draw(st.booleans()):
            text = f"{_wrap(a, ATOM)}.reshape({args})"
        else:
            text = f"torch.reshape({a.text}, {b.size(shape, True)})"
        # reshape copies what it cannot view: only a view of a contiguous tensor is sure
        return b.view_of(a, text, real, True, definite=kind == "view" or a.contig)
    if kind == "transpose" and len(a.shape) == 2:
        key = b.draw(st.sampled_from(["t", "T", "transpose"]))
        text, _ = b.spell(key, [a] + ([_num("0"), _num("1")] if key == "transpose" else []))
        return b.view_of(a, text, a.shape[::-1], sum(s > 1 for s in a.shape) <= 1)
    if kind == "unsqueeze":
        dim = b.draw(st.sampled_from([0, -1]))
        text, _ = b.spell("unsqueeze", [a, _num(str(dim))])
        return b.view_of(a, text, (1, *a.shape) if dim == 0 else (*a.shape, 1), True)
    if kind == "squeeze":
        text, _ = b.spell("squeeze", [a])
        return b.view_of(a, text, tuple(s for s in a.shape if s != 1), True)
    if not a.shape:
        return b.view_of(a, f"{_wrap(a, ATOM)}[None]", (1,), True)
    options = ["[0]", "[None]", "[-1]"]
    if a.shape[0] > 1:
        options += ["[1:]", "[:-1]"]
    if len(a.shape) == 2:
        options += ["[:, 0]", "[:, None]"]
    index = b.draw(st.sampled_from(options))
    shape = {"[0]": a.shape[1:], "[-1]": a.shape[1:], "[None]": (1, *a.shape),
             "[1:]": (a.shape[0] - 1, *a.shape[1:]), "[:-1]": (a.shape[0] - 1, *a.shape[1:]),
             "[:, 0]": a.shape[:1], "[:, None]": (a.shape[0], 1, *a.shape[1:])}[index]
    contig = index != "[:, 0]" or 1 in a.shape
    return b.view_of(a, f"{_wrap(a, ATOM)}{index}", shape, contig)


def _copy(b: _Builder) -> _V | None:
    """``clone`` (a copy in the graph) or ``detach`` (the same storage, cut from the graph)."""
    a = b.pick()
    if a is None:
        return None
    key = b.draw(st.sampled_from(["clone", "detach"]))
    text, _ = b.spell(key, [a])
    if key == "clone":  # clone keeps the strides: a copy of a transposed tensor is no view
        return b.result(text, [a], a.shape, a.mag)
    return replace(b.view_of(a, text, a.shape, True), grad=False, graph=frozenset(), node=None,
                   base=None)


def _reduce(b: _Builder) -> _V | None:
    a = b.pick()
    if a is None:
        return None
    key = b.draw(st.sampled_from(["sum", "mean", "max", "softmax", "log_softmax", "norm", "sum",
                                  "trace", "diag"]))
    if key in ("trace", "diag"):
        if len(a.shape) != 2:
            key = "diag" if len(a.shape) == 1 else "sum"
        else:
            shape = () if key == "trace" else (min(a.shape),)
            return b.call(key, [a], shape, a.mag * min(a.shape) if key == "trace" else a.mag)
        if key == "diag":
            return b.call("diag", [a], a.shape * 2, a.mag)
    if key == "norm":
        return b.call("norm", [a], (), a.mag * math.sqrt(a.numel), saves_in=True,
                      saves_out=True)
    if not a.shape or (key in ("sum", "mean", "max") and b.draw(st.integers(0, 2)) == 0):
        if key in ("softmax", "log_softmax"):
            key = "sum"
        return b.call(key, [a], (), a.mag * (a.numel if key == "sum" else 1),
                      saves_in=key == "max", saves_out=key == "max")
    dim = b.draw(st.integers(-len(a.shape), len(a.shape) - 1))
    if key in ("softmax", "log_softmax"):
        mag = 1.0 if key == "softmax" else 2 * a.mag + math.log(a.shape[dim])
        return b.call(key, [a], a.shape, mag, extra=f"dim={dim}", saves_out=True)
    keep = b.draw(st.integers(0, 3)) == 0
    d = dim % len(a.shape)
    shape = a.shape[:d] + ((1,) if keep else ()) + a.shape[d + 1:]
    extra = f"dim={dim}" + (", keepdim=True" if keep else "")
    return b.call(key, [a], shape, a.mag * (a.shape[d] if key == "sum" else 1), extra=extra,
                  saves_in=key == "max", saves_out=key == "max")


def _join(b: _Builder) -> _V | None:
    a = b.pick(lambda v: len(v.shape) >= 1)
    if a is None:
        return None
    c = b.pick(lambda v: v.shape == a.shape) or a
    if c is a:
        c = b.inline_constant(a.shape)
    if b.draw(st.booleans()):
        dim = b.draw(st.integers(0, len(a.shape) - 1))
        shape = tuple(2 * s if i == dim else s for i, s in enumerate(a.shape))
        text = f"torch.cat([{a.text}, {c.text}]" + (f", dim={dim})" if dim else ")")
    else:
        text = f"torch.stack(({a.text}, {c.text}), dim=0)" if b.draw(st.booleans()) else \
            f"torch.stack([{a.text}, {c.text}])"
        shape = (2, *a.shape)
    return b.result(text, [a, c], shape, max(a.mag, c.mag))


def _linalg(b: _Builder) -> _V | None:
    square = lambda v: len(v.shape) == 2 and v.shape[0] == v.shape[1]  # noqa: E731
    a = b.pick(lambda v: square(v) and v.mag <= 1)
    if a is None:
        a = b.pick(square)
        if a is None:
            return None
        a = b.call(b.draw(st.sampled_from(["tanh", "sin", "sigmoid"])), [a], a.shape, 1.0,
                   saves_in=True, saves_out=True)
    n = a.shape[0]
    shift = _V(f"{n + 2} * torch.eye({n}{b.dtype})", (n, n), False, n + 2, MUL,
               group=b.new_group())
    well = b.binop(a, "+", shift, (n, n), a.mag + n + 2)  # diagonally dominant
    key = b.draw(st.sampled_from(["det", "inverse", "inv", "solve"]))
    if key == "solve":
        rhs = b.pick(lambda v: v.shape in ((n,), (n, 1))) or b.constant((n,))
        solved = b.result(f"torch.linalg.solve({well.text}, {rhs.text})", [well, rhs],
                          rhs.shape, rhs.mag, saves_in=True, saves_out=True)
        return replace(solved, contig=False)  # LAPACK's column-major result
    if key == "det":
        return b.call("det", [well], (), (n + 3.0) ** n, saves_in=True, saves_out=True)
    # LAPACK returns the inverse column-major: s.view(4) fails, as torch says
    return replace(b.call(key, [well], (n, n), 1.0, saves_out=True), contig=False)


def _loss(b: _Builder) -> _V | None:
    a = b.pick()
    if a is None:
        return None
    if b.draw(st.booleans()) and len(a.shape) in (1, 2):
        k = a.shape[-1]
        w = b.pick(lambda v: len(v.shape) == 2 and v.shape[1] == k)
        if w is None:
            return None
        bias = b.pick(lambda v: v.shape == (w.shape[0],)) if b.draw(st.booleans()) else None
        args = [a, w] + ([bias] if bias is not None else [])
        return b.result(f"{b.functional('linear')}({', '.join(v.text for v in args)})", args,
                        a.shape[:-1] + w.shape[:1], k * a.mag * w.mag + (bias.mag if bias else 0),
                        saves_in=True)
    c = b.pick(lambda v: v.shape == a.shape) or b.constant(a.shape)
    return b.result(f"{b.functional('mse_loss')}({a.text}, {c.text})", [a, c], (),
                    (a.mag + c.mag) ** 2, saves_in=True)


def _pool(b: _Builder) -> _V | None:
    """``F.cross_entropy`` with class indices, ``F.max_pool1d`` / ``F.max_pool2d``."""
    kind = b.draw(st.sampled_from(["cross_entropy", "max_pool1d", "max_pool2d"]))
    if kind == "cross_entropy":
        z = b.pick(lambda v: len(v.shape) in (1, 2))
        if z is None:
            return None
        classes = z.shape[-1]
        picks = [str(b.draw(st.integers(0, classes - 1))) for _ in range(z.shape[0])]
        target = f"torch.tensor([{', '.join(picks)}])" if len(z.shape) == 2 else \
            f"torch.tensor({picks[0]})"
        return b.result(f"{b.functional('cross_entropy')}({z.text}, {target})", [z], (),
                        2 * z.mag + math.log(classes), saves_in=True)
    a = b.pick(lambda v: len(v.shape) == 2 and v.shape[-1] >= 2)
    if a is None:
        return None
    # an unbatched pool squeezes its pooled batch of one: the result is a view of a tensor no
    # name holds, so an in-place change through it rebases its grad_fn (never modify it)
    if kind == "max_pool1d":
        k = b.draw(st.integers(1, 2))
        size = f"kernel_size={k}" if b.draw(st.booleans()) else str(k)
        pooled = b.result(f"{b.functional('max_pool1d')}({a.text}, {size})", [a],
                          (a.shape[0], a.shape[1] // k), a.mag, saves_in=True)
    else:
        k = b.draw(st.integers(1, min(a.shape)))
        pooled = b.result(f"{b.functional('max_pool2d')}({_wrap(a, ATOM)}[None], {k})", [a],
                          (1, a.shape[0] // k, a.shape[1] // k), a.mag, saves_in=True)
    return replace(pooled, view=True)


_OPS = [_unary, _unary, _binary, _binary, _binary, _matmul, _matmul, _quadratic, _view, _view,
        _copy, _reduce, _join, _linalg, _loss, _pool, _masked, _picked, _item_set, _factor]
