"""Hypothesis strategies for valid whitelisted programs (garbage is in :mod:`tests.fuzz_garbage`).

``programs()`` builds course-style code from the catalogue (leaves, constants, a chain of ops on
small compatible shapes, a scalar at the end) with what :func:`reference` needs to run it in
plain torch and take torch's gradients.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import torch
from hypothesis import strategies as st

from nla_explorer.engine.autograd.custom_functions import CUSTOM_FUNCTIONS
from nla_explorer.engine.ops import CATALOGUE

F_PATH = "torch.nn.functional."
GREEK = ("α", "β", "γ", "δ", "λ", "μ", "σ", "ω", "θ_1")


@dataclass(frozen=True)
class Program:
    """Generated code, its leaves (tensors that require grad) and the scalar output's name."""

    text: str
    leaves: tuple[str, ...]
    output: str


def reference(program: Program) -> dict[str, torch.Tensor | None]:
    """Run the program with plain torch (the test generated it from the whitelist): leaf grads."""
    torch.manual_seed(0)  # the engine's default seed
    scope = {"torch": torch, "F": torch.nn.functional, **CUSTOM_FUNCTIONS}
    text = "\n".join(line for line in program.text.splitlines()
                     if not line.endswith(".backward()"))  # grad() below differentiates instead
    with contextlib.redirect_stdout(io.StringIO()):  # the program may print its output
        exec(text, scope)  # noqa: S102 - generated from the whitelist by this module
    leaves = [scope[name] for name in program.leaves]
    grads = torch.autograd.grad(scope[program.output], leaves, allow_unused=True)
    return dict(zip(program.leaves, grads))


@dataclass(frozen=True)
class _T:
    text: str  # a name, or a parenthesised expression
    shape: tuple[int, ...]
    grad: bool


def _spell(draw, key: str, operands: list[str], extra: str = "") -> str:
    """``key`` applied to ``operands`` in one of its catalogue spellings."""
    form = draw(st.sampled_from([f for f in CATALOGUE[key].forms if not f.startswith("custom:")]))
    if form in ("+", "-", "*", "/", "**", "@"):
        return f"({operands[0]} {form} {operands[1]})"
    if form == "u-":
        return f"(-{operands[0]})"
    if form.startswith("attr:"):
        return f"{operands[0]}.{form[5:]}"
    if form.startswith("."):
        return f"{operands[0]}{form}({', '.join([*operands[1:], extra] if extra else operands[1:])})"
    if form.startswith(F_PATH) and draw(st.booleans()):
        form = "F." + form[len(F_PATH):]
    return f"{form}({', '.join([*operands, extra] if extra else operands)})"


class _Builder:
    def __init__(self, draw) -> None:
        self.draw = draw
        self.lines: list[str] = []
        self.tensors: list[_T] = []
        self.leaves: list[str] = []
        self.names = iter([*draw(st.permutations(GREEK)), *(f"t{i}" for i in range(100))])
        self.dtype = draw(st.sampled_from(["", ", dtype=torch.float64"]))

    def name(self) -> str:
        return next(self.names)

    def shape(self) -> tuple[int, ...]:
        return tuple(self.draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))

    def size_text(self, shape: tuple[int, ...]) -> str:
        if not shape:
            return "()"
        if len(shape) == 1 and self.draw(st.booleans()):
            return f"({shape[0]},)"
        inner = ", ".join(str(s) for s in shape)
        return inner if self.draw(st.booleans()) else f"({inner})"

    def leaf(self) -> None:
        shape, name = self.shape(), self.name()
        size = self.size_text(shape)
        kind = self.draw(st.sampled_from(["randn", "rand", "method", "statement", "full",
                                          "late"]))
        if kind in ("randn", "rand"):
            self.lines.append(f"{name} = torch.{kind}({size}{self.dtype}, requires_grad=True)")
        elif kind == "method":
            self.lines.append(f"{name} = (torch.randn({size}{self.dtype}) * 0.5).requires_grad_()")
        elif kind == "statement":
            self.lines += [f"{name} = torch.randn({size}{self.dtype})", f"{name}.requires_grad_()"]
        elif kind == "late":  # what it made before requires_grad_() stays a constant
            self.lines += [f"{name} = torch.randn({size}{self.dtype})", f"{name}_c = {name} * 2",
                           f"{name}.requires_grad_()"]
            self.tensors.append(_T(f"{name}_c", shape, False))
        else:
            size = "(" + "".join(f"{s}, " for s in shape).rstrip(" ") + ")"
            self.lines.append(f"{name} = torch.full({size}, 0.5{self.dtype}, requires_grad=True)")
        self.leaves.append(name)
        self.tensors.append(_T(name, shape, True))

    def constant(self) -> None:
        name = self.name()
        kind = self.draw(st.sampled_from(["randn", "ones", "eye", "linspace", "arange"]))
        n = self.draw(st.integers(1, 4))
        if kind in ("randn", "ones"):
            shape = self.shape()
            self.lines.append(f"{name} = torch.{kind}({self.size_text(shape)}{self.dtype})")
        elif kind == "eye":
            shape = (n, n)
            self.lines.append(f"{name} = torch.eye({n}{self.dtype})")
        elif kind == "linspace":
            shape = (n,)
            self.lines.append(f"{name} = torch.linspace(-1, 1, {n}{self.dtype})")
        else:
            shape = (n,)
            self.lines.append(f"{name} = torch.arange({n}{self.dtype or ', dtype=torch.float32'})")
        self.tensors.append(_T(name, shape, False))

    def pick(self, want=lambda t: True) -> _T | None:
        choices = [t for t in self.tensors if want(t)]
        return self.draw(st.sampled_from(choices)) if choices else None

    def step(self) -> None:
        """One op on existing tensors; the result is assigned or kept inline for the next op."""
        made = self.draw(st.sampled_from(_OPS))(self)
        if made is None:
            return
        if self.draw(st.integers(0, 3)) == 0:  # inline: the next op may read the expression
            self.tensors.append(made)
            return
        name = self.name()
        self.lines.append(f"{name} = {made.text}")
        self.tensors.append(_T(name, made.shape, made.grad))

    def finish(self) -> str:
        parts = [t for t in self.tensors if t.grad]
        chosen = self.draw(st.lists(st.sampled_from(parts), min_size=1, max_size=3))
        reducers = [lambda t: f"{t.text}.sum()", lambda t: f"torch.sum({t.text})",
                    lambda t: f"{t.text}.mean()", lambda t: f"torch.norm({t.text})"]
        terms = [self.draw(st.sampled_from(reducers))(t) for t in chosen]
        out = self.name()
        self.lines.append(f"{out} = {' + '.join(terms)}")
        if self.draw(st.booleans()):
            self.lines.append(f"{out}.backward()")
        if self.draw(st.booleans()):
            self.lines.append(self.draw(st.sampled_from([f"print({out})", f"print({out}.item())",
                                                         f"{out}.item()"])))
        return out


def _unary(b: _Builder) -> _T:
    t = b.pick()
    key = b.draw(st.sampled_from(["abs", "exp", "sin", "cos", "tanh", "sigmoid", "relu", "neg",
                                  "sqrt", "log"]))
    return _T(_spell(b.draw, key, [t.text]), t.shape, t.grad)


def _binary(b: _Builder) -> _T:
    a = b.pick()
    other = b.pick(lambda t: t.shape == a.shape)
    key = b.draw(st.sampled_from(["add", "sub", "mul", "div", "pow", "maximum"]))
    if key in ("add", "sub", "mul", "div") and b.draw(st.booleans()):
        number = b.draw(st.sampled_from(["2", "0.5", "-1.5", "3"]))
        text = f"({number} {_SYMBOL[key]} {a.text})" if b.draw(st.booleans()) else \
            f"({a.text} {_SYMBOL[key]} {number})"
        return _T(text, a.shape, a.grad)
    if key == "pow":
        return _T(f"({a.text} ** {b.draw(st.sampled_from(['2', '3', '0.5', '-1']))})", a.shape,
                  a.grad)
    return _T(_spell(b.draw, key, [a.text, other.text]), a.shape, a.grad or other.grad)


_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _matmul(b: _Builder) -> _T | None:
    a = b.pick(lambda t: len(t.shape) in (1, 2))
    if a is None:
        return None
    k = a.shape[-1]
    other = b.pick(lambda t: len(t.shape) in (1, 2) and t.shape[0] == k)
    if other is None:
        return None
    key = {(2, 2): "mm", (2, 1): "mv", (1, 1): "dot", (1, 2): "matmul"}[(len(a.shape),
                                                                       len(other.shape))]
    key = b.draw(st.sampled_from([key, "matmul"]))
    shape = (a.shape[:-1] + other.shape[1:])
    return _T(_spell(b.draw, key, [a.text, other.text]), shape, a.grad or other.grad)


def _outer(b: _Builder) -> _T | None:
    a, c = b.pick(lambda t: len(t.shape) == 1), b.pick(lambda t: len(t.shape) == 1)
    if a is None:
        return None
    return _T(_spell(b.draw, "outer", [a.text, c.text]), a.shape + c.shape, a.grad or c.grad)


def _transpose(b: _Builder) -> _T | None:
    a = b.pick(lambda t: len(t.shape) == 2)
    if a is None:
        return None
    key = b.draw(st.sampled_from(["t", "T", "transpose"]))
    text = _spell(b.draw, key, [a.text] + (["0", "1"] if key == "transpose" else []))
    return _T(text, a.shape[::-1], a.grad)


def _reduce(b: _Builder) -> _T | None:
    a = b.pick(lambda t: len(t.shape) >= 1)
    if a is None:
        return None
    key = b.draw(st.sampled_from(["sum", "mean", "max", "softmax", "log_softmax"]))
    dim = b.draw(st.integers(-len(a.shape), len(a.shape) - 1))
    shape = a.shape if key in ("softmax", "log_softmax") else \
        a.shape[:dim % len(a.shape)] + a.shape[dim % len(a.shape) + 1:]
    return _T(_spell(b.draw, key, [a.text], extra=f"dim={dim}"), shape, a.grad)


def _reshape(b: _Builder) -> _T:
    a = b.pick()
    numel = 1
    for s in a.shape:
        numel *= s
    kind = b.draw(st.sampled_from(["flat", "row", "unsqueeze", "squeeze", "index"]))
    if kind == "flat":
        return _T(f"{a.text}.reshape(-1)" if b.draw(st.booleans()) else
                  f"torch.reshape({a.text}, ({numel},))", (numel,), a.grad)
    if kind == "row":
        return _T(f"{a.text}.reshape(1, {numel})", (1, numel), a.grad)
    if kind == "unsqueeze":
        return _T(_spell(b.draw, "unsqueeze", [a.text, "0"]), (1,) + a.shape, a.grad)
    if kind == "squeeze":
        return _T(f"{a.text}.squeeze()", tuple(s for s in a.shape if s != 1), a.grad)
    if not a.shape:
        return _T(f"{a.text}[None]", (1,), a.grad)
    if a.shape[0] > 1 and b.draw(st.booleans()):
        return _T(f"{a.text}[1:]", (a.shape[0] - 1,) + a.shape[1:], a.grad)
    return _T(f"{a.text}[0]", a.shape[1:], a.grad)


def _join(b: _Builder) -> _T | None:
    a = b.pick(lambda t: len(t.shape) >= 1)
    if a is None:
        return None
    c = b.pick(lambda t: t.shape == a.shape)
    if b.draw(st.booleans()):
        return _T(f"torch.cat([{a.text}, {c.text}])", (2 * a.shape[0],) + a.shape[1:],
                  a.grad or c.grad)
    return _T(f"torch.stack(({a.text}, {c.text}), dim=0)", (2,) + a.shape, a.grad or c.grad)


def _square(b: _Builder) -> _T | None:
    a = b.pick(lambda t: len(t.shape) == 2 and t.shape[0] == t.shape[1])
    if a is None:
        return None
    n = a.shape[0]
    well = f"({a.text} + {n + 3} * torch.eye({n}{b.dtype}))"  # well conditioned
    key = b.draw(st.sampled_from(["trace", "diag", "det", "inverse", "inv", "custom", "solve"]))
    if key == "custom":
        return _T(f"InverseMatrix.apply({well})", a.shape, a.grad)
    if key == "solve":
        rhs = b.pick(lambda t: t.shape == (n,)) or _T(f"torch.ones({n}{b.dtype})", (n,), False)
        return _T(f"torch.linalg.solve({well}, {rhs.text})", (n,), a.grad or rhs.grad)
    shape = {"trace": (), "diag": (n,), "det": ()}.get(key, (n, n))
    return _T(_spell(b.draw, key, [well if key in ("det", "inverse", "inv") else a.text]), shape,
              a.grad)


def _misc(b: _Builder) -> _T | None:
    a = b.pick()
    key = b.draw(st.sampled_from(["norm", "clamp", "mse_loss", "linear", "diag1"]))
    if key == "norm":
        return _T(_spell(b.draw, "norm", [a.text]), (), a.grad)
    if key == "clamp":
        return _T(f"{a.text}.clamp(min=-0.5, max=0.5)" if b.draw(st.booleans()) else
                  f"torch.clamp({a.text}, -1, 1)", a.shape, a.grad)
    if key == "mse_loss":
        c = b.pick(lambda t: t.shape == a.shape)
        return _T(f"F.mse_loss({a.text}, {c.text})", (), a.grad or c.grad)
    if key == "diag1" and len(a.shape) == 1:
        return _T(_spell(b.draw, "diag", [a.text]), a.shape * 2, a.grad)
    if key == "linear" and len(a.shape) in (1, 2):
        w = b.pick(lambda t: len(t.shape) == 2 and t.shape[1] == a.shape[-1])
        if w is not None:
            return _T(f"F.linear({a.text}, {w.text})", a.shape[:-1] + w.shape[:1],
                      a.grad or w.grad)
    return None


_OPS = [_unary, _binary, _matmul, _outer, _transpose, _reduce, _reshape, _join, _square, _misc]


@st.composite
def programs(draw) -> Program:
    """A valid program of the whitelist with a scalar output that depends on a leaf."""
    b = _Builder(draw)
    # Always seeded: unseeded code draws new numbers at each evaluation, as in a notebook.
    b.lines.append(f"torch.manual_seed({draw(st.sampled_from([0, draw(st.integers(0, 2**31))]))})")
    if draw(st.booleans()):
        b.lines.append("import torch")
    for _ in range(draw(st.integers(1, 3))):
        b.leaf()
    for _ in range(draw(st.integers(0, 2))):
        b.constant()
    for _ in range(draw(st.integers(1, 8))):
        b.step()
    out = b.finish()
    return Program("\n".join(b.lines) + "\n", tuple(b.leaves), out)
