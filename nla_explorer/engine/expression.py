"""The expression model shared by the block editor and the code form: blocks wired by references.

A :class:`Block` is one constructor or op. Its arguments are plain data: numbers, strings, tuples,
``Ref`` (the output of another block), ``Var`` (a named size such as ``n``), ``Calc`` (arithmetic on
named sizes, ``m ** 0.5``), ``Slice``, ``DType``,
``Ellipsis`` and ``None``; ``Hole`` marks an input port the block editor has not wired yet.
Nothing in here executes code; :mod:`evaluate` interprets it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator, Union

from nla_explorer.engine.ops import CATALOGUE


@dataclass(frozen=True)
class Ref:
    """The output tensor of block ``block``."""

    block: str


@dataclass(frozen=True)
class Var:
    """A named number (``n = 5``), kept by name so the code form reads like the course."""

    name: str


@dataclass(frozen=True)
class Calc:
    """Arithmetic on named numbers (``m ** 0.5``, ``2 * n``, ``-n``; ``symbol`` ``u-`` is the
    unary minus), kept as written so that the code form reads like the course and a changed
    number changes it too (:mod:`~nla_explorer.engine.code.calc` evaluates and writes it)."""

    symbol: str
    args: tuple


@dataclass(frozen=True)
class Slice:
    """``start:stop:step`` inside an index."""

    start: "Arg" = None
    stop: "Arg" = None
    step: "Arg" = None


@dataclass(frozen=True)
class DType:
    """A whitelisted torch dtype by name (``float32``, ``float64``, ``int64``...)."""

    name: str


@dataclass(frozen=True)
class Hole:
    """An unconnected input port (named by the port) of a block built in the block editor."""

    port: str


Arg = Union[Ref, Var, Calc, Slice, DType, Hole, int, float, bool, str, None, tuple,
            type(Ellipsis)]


@dataclass(frozen=True)
class Block:
    """One constructor or op: ``op`` is a key of the catalogue (:mod:`ops`).

    ``form`` is how the code spells it (``"@"``, ``"torch.matmul"``, ``".matmul"``); it changes the code
    view only, so it takes no part in equality: building by hand and pasting code give equal blocks.
    """

    id: str
    op: str
    args: tuple = ()
    kwargs: tuple[tuple[str, object], ...] = ()
    name: str | None = None
    form: str | None = field(default=None, compare=False)
    line: int | None = field(default=None, compare=False)
    #: How the code writes a backward call (``y.backward(v)``): its label in the window.
    text: str | None = field(default=None, compare=False)

    @property
    def kwarg_dict(self) -> dict[str, object]:
        return dict(self.kwargs)

    def kwarg(self, key: str, default: object = None) -> object:
        return self.kwarg_dict.get(key, default)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Ids of the blocks this block reads, in argument order (repeats kept)."""
        return tuple(r.block for r in iter_refs((self.args, tuple(v for _, v in self.kwargs))))

    @property
    def holes(self) -> tuple[str, ...]:
        """Ports of this block left unconnected (``Hole`` markers), in argument order."""
        return tuple(h.port for h in iter_holes((self.args, tuple(v for _, v in self.kwargs))))

    @property
    def label(self) -> str:
        """``block b5 (matmul)``, or ``block b9 'f' (sub)`` when named: for messages."""
        return f"block {self.id} '{self.name}' ({self.op})" if self.name else \
            f"block {self.id} ({self.op})"

    def with_kwarg(self, key: str, value: object) -> "Block":
        kw = dict(self.kwargs)
        kw[key] = value
        return replace(self, kwargs=tuple(kw.items()))


def _find(arg: object, kind: type) -> Iterator:
    """Every instance of ``kind`` inside an argument, in order (tuples and slices searched)."""
    stack, found = [arg], []
    while stack:
        a = stack.pop()
        if isinstance(a, kind):
            found.append(a)
        elif isinstance(a, (tuple, list)):
            stack.extend(reversed(a))
        elif isinstance(a, Slice):
            stack.extend((a.step, a.stop, a.start))
    return iter(found)


def iter_refs(arg: object) -> Iterator[Ref]:
    """Every ``Ref`` inside an argument."""
    return _find(arg, Ref)


def iter_holes(arg: object) -> Iterator[Hole]:
    """Every ``Hole`` inside an argument."""
    return _find(arg, Hole)


@dataclass(frozen=True)
class Expression:
    """Blocks in program order, the named numbers they use, and the output block."""

    blocks: tuple[Block, ...] = ()
    numbers: tuple[tuple[str, int | float], ...] = ()
    output: str | None = None
    #: The line of the code's closing ``output.backward()`` (code form only: not part of equality).
    backward_line: int | None = field(default=None, compare=False)
    backward_text: str | None = field(default=None, compare=False)  # that line, as a label

    def block(self, block_id: str) -> Block:
        for b in self.blocks:
            if b.id == block_id:
                return b
        raise KeyError(block_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(b.id for b in self.blocks)

    @property
    def number_dict(self) -> dict[str, int | float]:
        return dict(self.numbers)

    def consumers(self, block_id: str) -> list[str]:
        return [b.id for b in self.blocks if block_id in b.inputs]

    def output_block(self) -> Block | None:
        """The marked output, else the last block that makes a tensor."""
        if self.output is not None:
            return self.block(self.output)
        tensors = [b for b in self.blocks if b.op not in CATALOGUE or CATALOGUE[b.op].output]
        return tensors[-1] if tensors else None

    def named(self) -> dict[str, str]:
        """Variable name → id of the block that holds it last."""
        return {b.name: b.id for b in self.blocks if b.name}

    def with_output(self, block_id: str | None) -> "Expression":
        same = block_id == self.output
        return replace(self, output=block_id, backward_line=self.backward_line if same else None,
                       backward_text=self.backward_text if same else None)
