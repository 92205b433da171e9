"""_Builder: the autograd bookkeeping, value-making helpers and leaf/constant statements."""

from __future__ import annotations

import math
from dataclasses import replace

from hypothesis import strategies as st

from nla_explorer.engine.ops import CATALOGUE
from tests.engine.differential_programs.program import (
    _PREC, ATOM, CONST_NAMES, LEAF_NAMES, STEP_NAMES, UNARY, _Group, _num, _V, _wrap)
from tests.fuzz_programs import F_PATH


class _Builder:
    """Writes a program's lines while tracking just enough of autograd to stay valid.

    It runs nothing: for each tensor it knows its shape, a bound on its magnitude (exp only of
    small values, no division by something that may be 0, sqrt/log only of ``abs() + 0.5``-like
    positives), its storage group (views share their base's) and whether a node saved that
    storage for backward (no in-place on it then), and its autograd graph (leaf names and op ids)
    so that grad() only asks for inputs that are used and no backward runs through a graph an
    earlier call freed.  The forward-op statements are in
    :class:`~tests.engine.differential_programs.statements._ProgramBuilder`.
    """

    def __init__(self, draw) -> None:
        self.draw = draw
        self.dtype = draw(st.sampled_from(["", ", dtype=torch.float64"]))
        self.lines: list[str] = []
        self.pool: dict[str, _V] = {}  # named tensors
        self.pending: _V | None = None  # an op result kept inline for the next op
        self.groups: dict[int, _Group] = {}
        self.leaves: list[str] = []
        self.grad_set: set[str] = set()  # leaves whose .grad is a tensor
        self.grad_results: list[str] = []  # names bound to what torch.autograd.grad returned
        self.freed: set[int] = set()  # op ids whose saved tensors a backward freed
        self.used: set[str] = {"torch", "F", "print"}
        self.ids = 0
        self.uses_f = False

    # -- bookkeeping ----------------------------------------------------------------------

    def new_id(self) -> int:
        self.ids += 1
        return self.ids

    def new_group(self, **flags) -> int:
        gid = self.new_id()
        self.groups[gid] = _Group(**flags)
        return gid

    def name(self, choices) -> str:
        free = [n for n in choices if n not in self.used]
        if free and self.draw(st.integers(0, 9)) != 5:
            name = self.draw(st.sampled_from(free))
        else:  # (5: hypothesis favours the ends of a range)
            prefix = "_t" if self.draw(st.integers(0, 9)) == 5 else "t"
            name = next(f"{prefix}{i}" for i in range(1000) if f"{prefix}{i}" not in self.used)
        self.used.add(name)
        return name

    def bind(self, name: str, v: _V) -> _V:
        named = replace(v, text=name, prec=ATOM)
        self.pool[name] = named
        if named.group in self.groups:
            self.groups[named.group].members.add(name)
        return named

    def assign(self, v: _V, names=STEP_NAMES) -> _V:
        name = self.name(names)
        self.lines.append(f"{name} = {v.text}")
        return self.bind(name, v)

    def flush(self) -> None:
        """Name the pending inline result (before a statement that is not a plain assignment)."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.assign(pending)

    def save(self, *vs: _V) -> None:
        for v in vs:
            if v.group in self.groups:
                self.groups[v.group].saved = True

    def live(self, v: _V) -> bool:
        """Requires grad and no earlier call freed a node of its graph."""
        return v.grad and not (v.ops & self.freed)

    def candidates(self, want) -> list[_V]:
        found = [v for v in self.pool.values() if want(v)]
        if self.pending is not None and want(self.pending):
            found += [self.pending] * 3  # the pending expression is the likely operand
        return found

    def pick(self, want=lambda v: True) -> _V | None:
        found = self.candidates(want)
        if not found:
            return None
        v = self.draw(st.sampled_from(found))
        if v is self.pending:
            self.pending = None
        return v

    # -- making values --------------------------------------------------------------------

    def result(self, text: str, operands, shape, mag, prec=ATOM, saves_in=False,
               saves_out=False) -> _V:
        """A fresh op result (its own storage) of ``operands``.

        Contiguous only if its operands are: elementwise ops keep their input's strides
        (``(x.t() * 2).view(-1)`` fails).
        """
        tensors = [v for v in operands if v.group != -1]
        grad = any(v.grad for v in tensors)
        nid = self.new_id()
        graph = frozenset().union(*(v.graph for v in tensors)) | {nid} if grad else frozenset()
        if saves_in:
            self.save(*tensors)
        return _V(text, tuple(shape), grad, mag, prec, self.new_group(saved=saves_out), graph,
                  nid if grad else None, contig=all(v.contig for v in tensors))

    def view_of(self, v: _V, text: str, shape, contig: bool, definite: bool = True) -> _V:
        """A view: the same storage (group) as ``v`` (``definite``: surely not a copy)."""
        nid = self.new_id()
        base = v.text if definite and not v.view and self.pool.get(v.text) is v else None
        return _V(text, tuple(shape), v.grad, v.mag, ATOM, v.group,
                  v.graph | {nid} if v.grad else frozenset(), nid if v.grad else None,
                  contig and v.contig, view=True, base=base)

    def binop(self, a: _V, sym: str, c: _V, shape, mag, saves=False) -> _V:
        p = _PREC[sym]
        left = _wrap(a, p + 1 if sym == "**" else p)
        right = _wrap(c, p if sym == "**" else p + 1)
        return self.result(f"{left} {sym} {right}", [a, c], shape, mag, p, saves_in=saves)

    def spell(self, key: str, operands, extra: str = "") -> tuple[str, int]:
        """``key`` applied to ``operands`` in one of its catalogue spellings; text, precedence."""
        form = self.draw(st.sampled_from([  # expression forms (not statements like "+=")
            f for f in CATALOGUE[key].forms
            if f in _PREC or f == "u-" or f.startswith(("attr:", ".", "torch."))]))
        first = operands[0]
        if form in _PREC:
            p = _PREC[form]
            left = _wrap(first, p + 1 if form == "**" else p)
            right = _wrap(operands[1], p if form == "**" else p + 1)
            return f"{left} {form} {right}", p
        if form == "u-":
            return f"-{_wrap(first, UNARY)}", UNARY
        if form.startswith("attr:"):
            return f"{_wrap(first, ATOM)}.{form[5:]}", ATOM
        args = [v.text for v in operands[1:]] + ([extra] if extra else [])
        if form.startswith("."):
            return f"{_wrap(first, ATOM)}{form}({', '.join(args)})", ATOM
        if form.startswith(F_PATH) and self.draw(st.booleans()):
            form = "F." + form[len(F_PATH):]
            self.uses_f = True
        return f"{form}({', '.join([first.text, *args])})", ATOM

    def call(self, key: str, operands, shape, mag, extra="", saves_in=False,
             saves_out=False) -> _V:
        text, prec = self.spell(key, operands, extra)
        return self.result(text, operands, shape, mag, prec, saves_in, saves_out)

    def positive(self, a: _V) -> _V:
        """``a`` made positive (≥ 0.5) for sqrt, log, division and fractional powers."""
        kind = self.draw(st.sampled_from(["abs", "torch.abs", "square", "exp"]))
        if kind == "exp" and a.mag <= 5:
            return self.result(f"{_wrap(a, ATOM)}.exp()", [a], a.shape, math.exp(a.mag),
                               saves_out=True)
        if kind == "square":
            sq = self.binop(a, "**", _num("2"), a.shape, a.mag ** 2, saves=True)
            return self.binop(sq, "+", _num("0.5"), a.shape, a.mag ** 2 + 0.5)
        inner = self.result(f"{_wrap(a, ATOM)}.abs()" if kind == "abs" else f"torch.abs({a.text})",
                            [a], a.shape, a.mag, saves_in=True)
        if self.draw(st.booleans()):
            return self.binop(inner, "+", _num("0.5"), a.shape, a.mag + 0.5)
        return self.binop(_num("1"), "+", inner, a.shape, a.mag + 1)

    def size(self, shape, tuple_only=False) -> str:
        if not shape:
            return "()"
        inner = ", ".join(str(s) for s in shape)
        if len(shape) == 1:
            tup = f"({shape[0]},)"
        else:
            tup = f"({inner})"
        if tuple_only or self.draw(st.booleans()):
            return tup
        return inner

    def shape(self) -> tuple[int, ...]:
        ndim = self.draw(st.sampled_from([1, 2, 1, 2, 0]))
        return tuple(self.draw(st.integers(1, 4)) for _ in range(ndim))

    def inline_constant(self, shape) -> _V:
        text, mag = self.constant_text(shape)
        return _V(text, tuple(shape), False, mag, group=self.new_group())

    def functional(self, name: str) -> str:
        if self.draw(st.integers(0, 3)):
            self.uses_f = True
            return f"F.{name}"
        return f"{F_PATH}{name}"

    def constant_text(self, shape) -> tuple[str, float]:
        """A constructor of a constant of ``shape`` (any dtype kwarg included) and its bound."""
        kinds = ["randn", "ones", "full", "rand", "tensor", "zeros"]
        if len(shape) == 1:
            kinds += ["linspace", "arange"]
        if len(shape) == 2 and shape[0] == shape[1]:
            kinds += ["eye"]
        kind = self.draw(st.sampled_from(kinds))
        if kind in ("randn", "ones", "rand", "zeros"):
            return f"torch.{kind}({self.size(shape)}{self.dtype})", {"randn": 4.0}.get(kind, 1.0)
        if kind == "full":
            value = self.draw(st.sampled_from(["0.5", "2.0", "-1.0"]))
            return f"torch.full({self.size(shape, True)}, {value}{self.dtype})", 2.0
        if kind == "linspace":
            return f"torch.linspace(-1, 1, {shape[0]}{self.dtype})", 1.0
        if kind == "arange":
            return f"torch.arange({shape[0]}{self.dtype or ', dtype=torch.float32'})", shape[0]
        if kind == "eye":
            return f"torch.eye({shape[0]}{self.dtype})", 1.0
        return f"torch.tensor({self.literal(shape)}{self.dtype})", 2.0

    def literal(self, shape) -> str:
        if not shape:
            return self.draw(st.sampled_from(["1.5", "-0.5", "2.0", "0.25"]))
        return "[" + ", ".join(self.literal(shape[1:]) for _ in range(shape[0])) + "]"

    # -- leaf and constant statements -------------------------------------------------------

    def leaf(self, shape=None) -> _V:
        shape = self.shape() if shape is None else shape
        name = self.name(LEAF_NAMES)
        kind = self.draw(st.sampled_from(["randn", "randn", "rand", "method", "full", "tensor",
                                          "linspace"]))
        mag = 4.0
        if kind in ("randn", "rand"):
            text = f"torch.{kind}({self.size(shape)}{self.dtype}, requires_grad=True)"
            mag = 4.0 if kind == "randn" else 1.0
        elif kind == "method":
            text = f"(torch.randn({self.size(shape)}{self.dtype}) * 0.5).requires_grad_()"
            mag = 2.0
        elif kind == "full":
            text = f"torch.full({self.size(shape, True)}, 0.5{self.dtype}, requires_grad=True)"
            mag = 0.5
        elif kind == "tensor":
            text = f"torch.tensor({self.literal(shape)}{self.dtype}, requires_grad=True)"
            mag = 2.0
        else:
            n = shape[0] if len(shape) == 1 else 3
            shape = (n,)
            text = f"torch.linspace(-1, 1, {n}{self.dtype}, requires_grad=True)"
            mag = 1.0
        self.flush()
        self.lines.append(f"{name} = {text}")
        group = self.new_group(leaf_grad=True)
        self.leaves.append(name)
        return self.bind(name, _V(name, shape, True, mag, group=group, graph=frozenset({name}),
                                  node=name, leaf=True))

    def constant(self, shape=None) -> _V:
        shape = self.shape() if shape is None else shape
        text, mag = self.constant_text(shape)
        name = self.name(CONST_NAMES)
        self.flush()
        self.lines.append(f"{name} = {text}")
        return self.bind(name, _V(name, shape, False, mag, group=self.new_group()))
