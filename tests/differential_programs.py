"""Hypothesis strategy for the differential test: course-style programs that plain torch runs.

``differential_programs()`` draws a :class:`Program`: leaves, constants and ops of the catalogue
(:mod:`nla_explorer.engine.ops`, in its operator / ``torch.f`` / ``.method`` / ``F.`` spellings,
kept inline or named), views, in-place augmented assignments, and several backward / grad calls
with the grad bookkeeping between them (``x.grad.zero_()``, ``x.grad = None``, reading grads).
About one program in ten ends in a statement torch refuses (:attr:`Program.expect_error`).

The builder tracks just enough of autograd to stay valid without running anything: for each
tensor its shape, a bound on its magnitude (exp only of small values, no division by something
that may be 0, sqrt/log only of ``abs() + 0.5``-like positives), its storage group (views share
their base's) and whether a node saved that storage for backward (no in-place on it then), and its
autograd graph (leaf names and op ids) so that grad() only asks for inputs that are used and no
backward runs through a graph an earlier call freed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from hypothesis import strategies as st

from nla_explorer.engine.ops import CATALOGUE
from tests.fuzz_programs import F_PATH, GREEK

ATOM, POWER, UNARY, MUL, ADD = 100, 14, 13, 12, 11
_PREC = {"+": ADD, "-": ADD, "*": MUL, "/": MUL, "@": MUL, "**": POWER}
MAX_MAG = 1e6  # results that might grow past this are not built
GRAD_MAG = 1e3  # what a gradient read back may be (unknown: large enough to rule out exp)

#: The torch errors a program may end in, with a piece of torch's message for each.
ERRORS = {
    "second_backward": "Trying to backward through the graph a second time",
    "non_scalar": "grad can be implicitly created only for scalar outputs",
    "leaf_inplace": "a leaf Variable that requires grad is being used in an in-place operation",
    "saved_inplace": "one of the variables needed for gradient computation has been modified by "
                     "an inplace operation",
    "grad_of_constant": "One of the differentiated Tensors does not require grad",
}


@dataclass(frozen=True)
class Program:
    """A program text; ``expect_error``: torch raises (message piece in ``error_message``)."""

    text: str
    expect_error: bool
    error_kind: str | None = None
    leaves: tuple[str, ...] = ()

    @property
    def error_message(self) -> str | None:
        return ERRORS.get(self.error_kind) if self.error_kind else None


@dataclass(frozen=True)
class _V:
    """A tensor of the program: a name or an expression text, and what the builder knows of it."""

    text: str
    shape: tuple[int, ...]
    grad: bool  # requires grad
    mag: float  # bound on |value|
    prec: int = ATOM  # precedence of the text's outermost operator
    group: int = 0  # storage: views share their base's group
    graph: frozenset = frozenset()  # leaf names and op ids in its autograd graph
    node: object = None  # its grad_fn's op id, or a leaf's name: what grad() can ask for
    contig: bool = True
    view: bool = False  # shares its group's storage with another tensor
    base: str | None = None  # a named view: the name of the (non-view) tensor it views
    leaf: bool = False  # a leaf that requires grad

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def ops(self) -> frozenset:
        return frozenset(i for i in self.graph if isinstance(i, int))


@dataclass
class _Group:
    saved: bool = False  # some node saved this storage for backward
    leaf_grad: bool = False  # the storage of a leaf that requires grad
    # never changed in place: what grad() returned (it may be the grad_outputs tensor itself, or
    # a view made in no_grad mode)
    frozen: bool = False
    members: set = field(default_factory=set)  # names bound to it


def _num(text: str) -> _V:
    return _V(text, (), False, abs(float(text)), UNARY if text.startswith("-") else ATOM,
              group=-1)


def _wrap(v: _V, need: int) -> str:
    return v.text if v.prec >= need else f"({v.text})"


def _broadcast(a: tuple, c: tuple) -> tuple | None:
    out = []
    for i in range(1, max(len(a), len(c)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = c[-i] if i <= len(c) else 1
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(reversed(out))


LEAF_NAMES = ("x", "w", "A", "W", "u", "θ", "p", "q", "V")
CONST_NAMES = ("b", "c", "M", "B", "d", "β", "C", "ones")
STEP_NAMES = ("y", "z", "h", "s", "r", "k", "m", *GREEK)
OUT_NAMES = ("out", "f", "loss", "L", "J", "obj")
NUMBERS = ("2", "0.5", "-1.5", "3", "0.25", "-1", "1", "0.1")


class _Builder:
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

    # -- statements -----------------------------------------------------------------------

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


# -- forward ops ----------------------------------------------------------------------------

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
        return b.result(f"torch.linalg.solve({well.text}, {rhs.text})", [well, rhs], rhs.shape,
                        rhs.mag, saves_in=True, saves_out=True)
    if key == "det":
        return b.call("det", [well], (), (n + 3.0) ** n, saves_in=True, saves_out=True)
    return b.call(key, [well], (n, n), 1.0, saves_out=True)


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
    if kind == "max_pool1d":
        k = b.draw(st.integers(1, 2))
        size = f"kernel_size={k}" if b.draw(st.booleans()) else str(k)
        return b.result(f"{b.functional('max_pool1d')}({a.text}, {size})", [a],
                        (a.shape[0], a.shape[1] // k), a.mag, saves_in=True)
    k = b.draw(st.integers(1, min(a.shape)))
    return b.result(f"{b.functional('max_pool2d')}({_wrap(a, ATOM)}[None], {k})", [a],
                    (1, a.shape[0] // k, a.shape[1] // k), a.mag, saves_in=True)


_OPS = [_unary, _unary, _binary, _binary, _binary, _matmul, _matmul, _quadratic, _view, _view,
        _reduce, _join, _linalg, _loss, _pool]


# -- backward calls -------------------------------------------------------------------------

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


# -- errors ---------------------------------------------------------------------------------

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
        if first == "grad" and leaf is not None:
            b.lines.append(f"_g, = torch.autograd.grad({out_name}, {leaf})")
        elif first == "function":
            b.lines.append(f"torch.autograd.backward({out_name})")
        else:
            b.lines.append(f"{out_name}.backward()")
        second = b.draw(st.sampled_from(["method", "function", "grad"]))
        if second == "grad" and leaf is not None:
            b.lines.append(f"_g, = torch.autograd.grad({out_name}, [{leaf}])")
        elif second == "function":
            b.lines.append(f"torch.autograd.backward({out_name})")
        else:
            b.lines.append(f"{out_name}.backward()")
    elif kind == "non_scalar":
        t = _live(b, lambda v: v.numel > 1)
        if t.numel == 1:
            t = b.leaf((b.draw(st.integers(2, 4)),))
        y = b.assign(b.binop(t, "*", _num("2"), t.shape, t.mag * 2))
        leaf = next((x for x in b.leaves if x in t.graph), None)
        form = b.draw(st.sampled_from(["method", "function", "grad"]))
        if form == "grad" and leaf is not None:
            b.lines.append(f"_g = torch.autograd.grad({y.text}, [{leaf}])")
        elif form == "function":
            b.lines.append(f"torch.autograd.backward({y.text})")
        else:
            b.lines.append(f"{y.text}.backward()")
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


# -- the strategy ---------------------------------------------------------------------------

@st.composite
def differential_programs(draw) -> Program:
    """A program plain torch runs: ops, views, in-place updates, several backward/grad calls."""
    b = _Builder(draw)
    head = ["import torch", f"torch.manual_seed({draw(st.integers(0, 2**31 - 1))})"]
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
