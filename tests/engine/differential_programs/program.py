"""The generated Program, the builder's records of tensors and storage, text helpers, name pools."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tests.fuzz_programs import GREEK

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


def _num(text: str, value: float | None = None, prec: int | None = None) -> _V:
    """A number: a literal, or arithmetic on named numbers (its ``value`` and ``prec`` given)."""
    value = float(text) if value is None else value
    prec = (UNARY if text.startswith("-") else ATOM) if prec is None else prec
    return _V(text, (), False, abs(value), prec, group=-1)


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
#: Named numbers every program defines, and arithmetic on them (text, value, precedence): the
#: interpreter keeps such arithmetic as written (``x / n ** 0.5``) rather than folding it.
NAMED_NUMBERS = {"n": 3, "lr": 0.5}
NUMBER_EXPRESSIONS = (("n", 3, ATOM), ("n * 0.5", 1.5, MUL), ("(n - 1) ** 0.5", 2 ** 0.5, POWER),
                      ("-n", -3, UNARY), ("lr ** 2", 0.25, POWER), ("n / lr", 6.0, MUL),
                      ("2 * n - 5", 1, ADD), ("-lr * n", -1.5, MUL))
