"""The op record: everything the app knows about one op, in one frozen value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Port:
    """A tensor input: positional argument ``index`` (pasted code may use ``keyword`` instead)."""

    name: str
    index: int
    keyword: str | None = None
    optional: bool = False  # may be left out (linear's bias): unwired means absent
    number: bool = False  # may hold a number instead of a wire (``0.5 * x``)
    default: int | float | None = None  # what an unwired number port holds (None: a hole)
    many: bool = False  # a list of tensors (cat, stack); items are addressed "tensors[i]"


@dataclass(frozen=True)
class Param:
    """A parameter: its kind (``templates.KINDS``), the value a new block gets, where it lives."""

    name: str
    kind: str
    initial: object = None  # what a new block gets (None: left out)
    index: int | None = None  # positional argument, when it can be one
    keyword: str | None = None
    default: object = None  # torch's value when left out; setting it leaves the argument out
    required: bool = False
    positional: bool = True  # added as a positional argument (else as a keyword)
    choices: tuple = ()  # extra values allowed besides the kind's (norm's 'fro', 'nuc')
    minimum: int | float | None = None


@dataclass(frozen=True)
class NodeRule:
    """The cards of one kind of torch backward node, named by its base (``MulBackward0`` → ``Mul``).

    The backward (step) card shows ``lines``, templates in the symbols: ``∂{L}/∂{a} = {g} · {b}``
    (``{L}``: the output differentiated, ``{g}``: the gradient arriving, ``{x:shape}``: the shape
    of ``x``; ``{each}`` / ``{k}``: every input of a node of many, and its position). The step card
    writes the program's names in; the forward card shows ``forward``.
    """

    node: str
    symbols: tuple[str, ...]  # one per input slot, as the backward formula names them
    lines: tuple[tuple[int | None, str], ...]  # (slot, line); slot None: always shown
    operands: tuple[tuple[int, tuple[str, ...]], ...] = ()  # slot → symbols its line reads
    saved: tuple[tuple[str, str], ...] = ()  # symbol → saved name (``_saved_<name>``)
    forward: str | None = None  # the forward formula in the input symbols
    forward_symbols: tuple[str, ...] | None = None  # None: ``x`` for one input, else none


@dataclass(frozen=True)
class Op:
    """One op: its code spellings, block ports and parameters, palette look and cards.

    ``forms[0]`` is how a new block of this kind is written in code. A statement (code only:
    backward calls, in-place updates) gets neither a block template nor a palette entry.
    """

    key: str
    category: str
    formula: str
    forms: tuple[str, ...]
    arity: int = 1  # tensor inputs of a block (-1: a list of tensors)
    constructor: bool = False
    random: bool = False
    statement: bool = False  # code-only (backward calls, in-place updates): not in the palette
    autograd_call: bool = False  # runs the autograd engine: its block makes no tensor of the graph
    #: its result may be no tensor, as in Python: None (``x.grad`` before any backward, what
    #: ``backward()`` returns), a tuple (``grad()``), an item of one (``grads[0]``)
    any_result: bool = False
    #: the fields of the named tuple it gives (``x.sort()``: values, indices), read by field,
    #: by index or by unpacking
    fields: tuple[str, ...] = ()
    # -- the block
    ports: tuple[Port, ...] = ()
    params: tuple[Param, ...] = ()
    output: bool = True  # False: makes no tensor (manual_seed, backward calls, x.grad = None)
    varargs: bool = False  # the shape may be spelled as separate arguments: f(2, 3)
    #: the argument a method form is called on (``x.where(c, y)`` is ``torch.where(c, x, y)``:
    #: 1); a block keeps its arguments in the order of the ports, whatever form the code used
    receiver: int = 0
    # -- the palette
    glyph: str = ""  # 1–3 characters; empty: the key's first two letters
    keywords: str = ""  # extra words a student might type (searched like the formula)
    code: str = ""  # a full example, where form + placeholder arguments would not run
    code_args: str = ""  # extra arguments after the tensor inputs in the example
    arg_names: tuple[str, ...] = ()  # input names of the example, where x / a, b read badly
    parameter_entry: bool = False  # offered again as a trainable leaf (requires_grad=True)
    # -- the cards
    nodes: tuple[NodeRule, ...] = ()  # backward nodes this op makes whose cards it declares

    @property
    def label(self) -> str:
        return self.key
