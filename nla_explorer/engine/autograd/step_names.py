"""Names on the step card: the program's names for a node's tensors, short expressions for
unnamed intermediates (``½xᵀA``), and symbols (``g``, ``L``...) that mean nothing else there.

A rule line is a template: ``∂{L}/∂{A} = {g} {B}ᵀ``. Each ``{symbol}`` becomes a :class:`Label`;
brackets are added where the text around a placeholder needs them (``(½xᵀ)ᵀ``, ``g · (Ax + b)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from nla_explorer.engine.autograd.card_numbers import fmt
from nla_explorer.engine.autograd.graph import LEAF, AutogradGraph, GraphNode, SavedValue
from nla_explorer.engine.autograd.rule_table import RULES, op_base
from nla_explorer.engine.ops.factorizations import FACTORS
from nla_explorer.engine.autograd.step_variants import norm_mark, permute_mark

#: How tightly a label binds: a name or call, a postfix form (``xᵀ``), a product, a sum.
SUM, PRODUCT, POSTFIX, ATOM = 1, 2, 3, 4
#: Longer expressions of unnamed tensors are cut to ``op(…)`` at some depth.
LABEL_LENGTH = 20
#: Symbols a rule may need that are no tensor of the program, with stand-ins, first free wins.
GENERIC: dict[str, tuple[str, ...]] = {
    "g": ("g", "ḡ", "ĝ", "γ"),  # the gradient arriving at the node (ḡ is one character)
    "L": ("L", "ℒ", "ℓ"),  # the differentiated output, when the program gave it no name
    "I": ("I", "𝕀", "Id"),  # the identity matrix
    "N": ("N", "M", "K", "numel"),  # a count of elements or samples
    "const": ("const", "constant", "C"),  # a constant torch kept no trace of (y in Ax − y)
    # the factors of QR and the SVD the program does not name (ops/factorizations.py)
    "Q": ("Q", "Q̃", "Qf"), "R": ("R", "R̃", "Rf"), "U": ("U", "Ũ", "Uf"), "S": ("S", "S̃", "Sf"),
}
#: Values of saved numbers that may be absent (``clamp(min=0)`` has no max).
UNBOUNDED = {"min": "−∞", "max": "∞"}
_PLACEHOLDER = re.compile(r"\{([^{}:]+)(?::(shape))?\}")
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_NUMBER = re.compile(r"−?[\d.]+(e[-+]?\d+)?|[½¼¾]|−½")
_FRACTIONS = {0.5: "½", 0.25: "¼", 0.75: "¾", -0.5: "−½"}
_POSTFIX_START = ("ᵀ", "⁻", "²", "³", "^", "'s", "ᵢ", "ⱼ", "ₖ", "[")
_FUNCTION_WORDS = ("ln", "sin", "cos", "tanh")
_MARKS = "ᵀ⁻¹²³ᵢⱼₖ"  # marks after a name that are no part of it


@dataclass(frozen=True)
class Label:
    """How the card writes one tensor or number, and how tightly that text binds."""

    text: str
    prec: int = ATOM
    row: bool = False  # a row vector (xᵀ, xᵀA): a dot product with it needs no transpose
    #: a number times a tensor (``½x``): the number and the tensor, so that ``(½x)ᵀ`` is ``½xᵀ``
    scaled: tuple[str, "Label"] | None = None

    def wrapped(self, need: int) -> str:
        return self.text if self.prec >= need else f"({self.text})"

    def transposed(self) -> "Label":
        """``xᵀ``, ``(x + y)ᵀ``, and ``½xᵀ`` for ``½x``: a row vector of a vector."""
        if self.scaled is not None:
            number, inner = self.scaled
            return Label(number + inner.transposed().text, PRODUCT, row=True)
        return Label(self.wrapped(ATOM) + "ᵀ", POSTFIX, row=True)


def number_label(value: object) -> Label:
    """``0.5`` → ``½``; a negative number binds like a sum (``g · (−2)``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return Label(str(value))
    if value in _FRACTIONS:
        text = _FRACTIONS[value]
    else:
        text = f"{value:.4g}".replace("-", "−")
    return Label(text, SUM if text.startswith("−") else ATOM)


def program_names(graph: AutogradGraph, extra: Iterable[str] = ()) -> frozenset[str]:
    """Every variable name the graph shows (nodes, saved constants), and ``extra``."""
    names = {n.name for n in graph.nodes if n.name}
    names |= {s.label for n in graph.nodes for s in n.saved if s.label}
    return frozenset(names | set(extra))


def choose(candidates: tuple[str, ...], taken: frozenset[str]) -> str:
    """The first candidate no program name already is."""
    return next((c for c in candidates if c not in taken), candidates[-1] + "′")


def partial(loss: str, label: Label) -> str:
    """``∂f/∂x``, ``∂f/∂(½xᵀ)``."""
    return f"∂{loss}/∂{label.wrapped(ATOM)}"


# -- labels of nodes ------------------------------------------------------------------------------
def _fn(name: str) -> Callable:
    return lambda a, node: Label(f"{name}({a[0].text})")


def _postfix(mark: str) -> Callable:
    return lambda a, node: Label(a[0].wrapped(ATOM) + mark, POSTFIX)


def _product(a: list[Label], node: GraphNode) -> Label:
    return Label(juxtapose(a[0].wrapped(PRODUCT), a[1].wrapped(POSTFIX)), PRODUCT, a[0].row)


def juxtapose(left: str, right: str) -> str:
    """``x`` ``A`` → ``xA``; ``x_vals`` ``W`` → ``x_vals W`` (longer names keep a space)."""
    end = _name_at(left.rstrip(_MARKS), last=True)
    start = _name_at(right, last=False)
    tight = len(end) <= 1 and len(start) <= 1 and not left.endswith("›")
    return left + right if tight else f"{left} {right}"


def _name_at(text: str, last: bool) -> str:
    """The name ``text`` ends (or starts) with, "" if none: ``½xᵀ`` ends with ``x``."""
    chars = []
    for ch in (reversed(text) if last else text):
        if ch in _MARKS or not (ch.isalnum() or ch == "_"):
            break
        chars.append(ch)
    word = "".join(reversed(chars)) if last else "".join(chars)
    while last and word and not word.isidentifier():
        word = word[1:]  # ½x: the number is no part of the name
    return word if word.isidentifier() else ""


def _mul(a: list[Label], node: GraphNode) -> Label:
    number = next((i for i, lab in enumerate(a) if _NUMBER.fullmatch(lab.text)), None)
    if number is not None:
        factor, other = a[number].wrapped(ATOM), a[1 - number]
        return Label(juxtapose(factor, other.wrapped(PRODUCT)), PRODUCT, other.row,
                     (factor, other))
    op = "·" if node.shape == () else "⊙"
    return Label(f"{a[0].wrapped(PRODUCT)} {op} {a[1].wrapped(POSTFIX)}", PRODUCT)


def _dot(a: list[Label], node: GraphNode) -> Label:
    left = a[0].text if a[0].row and a[0].prec >= PRODUCT else a[0].wrapped(ATOM) + "ᵀ"
    return Label(juxtapose(left, a[1].wrapped(POSTFIX)), PRODUCT)


def _makes_a_row(node: GraphNode, source: GraphNode | None) -> bool:
    """An unsqueeze of a vector at dim 0: the row ``vᵀ`` matmul makes of ``v @ A``."""
    dim = _saved(node, "dim")
    shape = source.shape if source is not None else None
    return shape is not None and len(shape) == 1 and dim is not None and dim.attribute in (0, -2)


def _power(a: list[Label], node: GraphNode) -> Label:
    exponent = _saved(node, "exponent")
    p = exponent.attribute if exponent is not None else None
    mark = {2: "²", 3: "³"}.get(p) if not isinstance(p, bool) else None
    text = number_label(p).wrapped(ATOM) if p is not None else "p"
    return Label(a[0].wrapped(ATOM) + (mark or f"^{text}"), POSTFIX)


_TRANSPOSE = lambda a, n: a[0].transposed()  # noqa: E731 - a table entry like the others
_FORMS: dict[str, Callable[[list[Label], GraphNode], Label]] = {
    "Add": lambda a, n: Label(f"{a[0].text} + {a[1].text}", SUM),
    "Sub": lambda a, n: Label(f"{a[0].text} − {a[1].wrapped(PRODUCT)}", SUM),
    "Mul": _mul,
    "Div": lambda a, n: Label(f"{a[0].wrapped(PRODUCT)} / {a[1].wrapped(ATOM)}", PRODUCT),
    "Neg": lambda a, n: Label("−" + a[0].wrapped(PRODUCT), SUM),
    "Pow": _power,
    "Pow1": lambda a, n: Label(f"{a[0].wrapped(ATOM)}^{a[1].wrapped(ATOM)}", POSTFIX),
    "Mm": _product, "Matmul": _product, "Mv": _product, "Dot": _dot,
    "Addmm": lambda a, n: Label(f"{a[0].text} + {_product(a[1:], n).text}", SUM),
    "T": _TRANSPOSE, "Transpose": _TRANSPOSE,  # permute: xᵀ only for a matrix's (1, 0)
    "Permute": lambda a, n: _postfix(permute_mark(n))(a, n) if permute_mark(n) else _TRANSPOSE(a, n),
    "Inv": _postfix("⁻¹"), "LinalgInvEx": _postfix("⁻¹"), "InverseMatrix": _postfix("⁻¹"),
    "LinalgSolveEx": lambda a, n: Label(f"{a[0].wrapped(ATOM)}⁻¹{a[1].wrapped(PRODUCT)}",
                                        PRODUCT),
    "LinalgDet": _fn("det"), "Trace": _fn("tr"), "Diag": _fn("diag"),
    "LinalgVectorNorm": lambda a, n: Label(f"‖{a[0].text}‖{norm_mark(n)}"),
    "Norm": lambda a, n: Label(f"‖{a[0].text}‖{norm_mark(n)}"),
    "Sum": _fn("sum"), "Mean": _fn("mean"), "Max": _fn("max"),
    "Relu": _fn("relu"), "Sigmoid": _fn("σ"), "Tanh": _fn("tanh"), "Softmax": _fn("softmax"),
    "LogSoftmax": _fn("log_softmax"), "Log": _fn("ln"), "Sin": _fn("sin"), "Cos": _fn("cos"),
    "Exp": _fn("exp"), "NllLoss": _fn("nll"),
    "Sqrt": lambda a, n: Label(f"√{a[0].wrapped(ATOM)}"),
    "Abs": lambda a, n: Label(f"|{a[0].text}|"),
    "Clamp": _fn("clamp"), "ClampMin": _fn("clamp"), "ClampMax": _fn("clamp"),
    "Maximum": lambda a, n: Label(f"max({a[0].text}, {a[1].text})"),
    "MseLoss": lambda a, n: Label(f"mse({a[0].text}, {a[1].text})"),
    "Select": _postfix("[…]"), "Slice": _postfix("[…]"), "Index": _postfix("[…]"),
    "Cat": lambda a, n: Label(f"cat({', '.join(x.text for x in a)})"),
    "Stack": lambda a, n: Label(f"stack({', '.join(x.text for x in a)})"),
}
#: Ops that keep the values and only change the shape: an unnamed input's label goes through.
_SAME_VALUES = frozenset({"Squeeze", "View", "Reshape", "ReshapeAlias", "UnsafeView", "Expand",
                          "Clone", "Unsqueeze"})
#: What an op is called when its inputs are left out (``σ(…)``, ``‖…‖``).
_SHORT = {"Sigmoid": "σ(…)", "LinalgVectorNorm": "‖…‖", "Norm": "‖…‖", "Abs": "|…|",
          "Sqrt": "√(…)", "T": "(…)ᵀ", "Transpose": "(…)ᵀ", "Permute": "(…)ᵀ",
          "Log": "ln(…)", "LinalgDet": "det(…)", "Trace": "tr(…)"}


def _saved(node: GraphNode, name: str) -> SavedValue | None:
    return next((s for s in node.saved if s.name == name), None)


def saved_label(saved: SavedValue | None, fallback: str) -> Label:
    """A saved constant: its variable name, its numbers (small) or shape, or a saved number."""
    if saved is None:
        return Label(fallback)
    if saved.label:
        return Label(saved.label)
    tensor = saved.tensor
    if tensor is not None and tensor.shape == () and tensor.values is not None:
        return number_label(float(tensor.values))  # a number Python wrapped (0.5 * x)
    if tensor is not None:
        return Label(fmt(tensor))
    return number_label(saved.attribute)


class Namer:
    """Names for one graph: each node's label, the output's name, free generic symbols."""

    def __init__(self, graph: AutogradGraph, extra_names: Iterable[str] = ()) -> None:
        self.graph = graph
        self.taken = program_names(graph, extra_names)
        self.generic = {symbol: choose(c, self.taken) for symbol, c in GENERIC.items()}
        self._sources: dict[str, dict[int, str]] = {}
        self._uses: dict[str, int] = {}
        several = {n.id for n in graph.nodes if n.output_names}
        self._picked: dict[tuple[str, int], Label] = {}  # Q of Q, R = qr(A): its own name
        for e in graph.edges:
            self._sources.setdefault(e.target, {})[e.slot] = e.source
            self._uses[e.source] = self._uses.get(e.source, 0) + 1
            if e.source in several:
                self._picked[e.target, e.slot] = self.output_label(graph.node(e.source),
                                                                   e.output_nr)
        roots = sum(1 for n in graph.nodes if n.id not in self._uses)
        output = graph.output
        # several outputs (backward([y, z])): no one name is what is differentiated
        self.loss = output.name if output.name and roots <= 1 else self.generic["L"]
        self._labels: dict[tuple[str, int], Label] = {}

    @property
    def grad(self) -> str:
        return self.generic["g"]

    def label(self, node_id: str) -> Label:
        """The node's variable name, else a short expression of its inputs (``½xᵀA``)."""
        for depth in (4, 3, 2, 1, 0):
            label = self._label(node_id, depth)
            if len(label.text) <= LABEL_LENGTH:
                return label
        return label

    def output_label(self, node: GraphNode, output_nr: int) -> Label:
        """Output ``output_nr`` of a node of several: the program's name, else torch's (``R``)."""
        named, fields = node.output_names, FACTORS.get(op_base(node.op), ())
        name = named[output_nr] if output_nr < len(named) else None
        if not named and output_nr == 0:  # only the first is named (X = lstsq(A, b).solution)
            name = node.name
        field = fields[output_nr] if output_nr < len(fields) else f"{node.label}(…)"
        return Label(name or self.generic.get(field, field))

    def input_labels(self, node: GraphNode) -> list[Label]:
        """A label per input slot: the producer's, else the constant's torch saved."""
        return [self._input(node, slot, None) for slot in range(node.n_inputs)]

    def source(self, node_id: str, slot: int) -> str | None:
        """The node feeding input ``slot`` (None: a constant, or nothing)."""
        return self._sources.get(node_id, {}).get(slot)

    def shared(self, node_id: str, slot: int) -> bool:
        """Whether the tensor at input ``slot`` is used more than once (its gradient sums)."""
        source = self.source(node_id, slot)
        return source is not None and self._uses.get(source, 0) > 1

    def _input(self, node: GraphNode, slot: int, depth: int | None) -> Label:
        """Input ``slot``'s label (``depth`` None: the producer's most readable one)."""
        source = self.source(node.id, slot)
        if source is not None:
            picked = self._picked.get((node.id, slot))
            return picked or (self.label(source) if depth is None else self._label(source, depth))
        rule = RULES.get(op_base(node.op))
        symbol = rule.symbols[slot] if rule and slot < len(rule.symbols) else None
        saved_name = dict(rule.saved).get(symbol) if rule and symbol else None
        return saved_label(_saved(node, saved_name) if saved_name else None,
                           dict(node.operands).get(slot) or self.generic["const"])

    def _label(self, node_id: str, depth: int) -> Label:
        key = (node_id, depth)
        if key not in self._labels:
            self._labels[key] = self._make(self.graph.node(node_id), depth)
        return self._labels[key]

    def _make(self, node: GraphNode, depth: int) -> Label:
        if node.name:
            return Label(node.name)
        if node.kind == LEAF:
            return Label(node.label)
        base = op_base(node.op)
        if base in _SAME_VALUES and node.n_inputs == 1:
            source_id = self.source(node.id, 0)
            source = self.graph.node(source_id) if source_id is not None else None
            inner = self._input(node, 0, depth)
            if base == "Unsqueeze" and _makes_a_row(node, source):
                return inner.transposed()
            # a named tensor reshaped is another tensor: it does not get the name
            named = source is not None and source.name is not None
            return Label(f"{node.label}({inner.text})") if named else inner
        form = _FORMS.get(base)
        if depth <= 0 or form is None:
            return Label(f"(…){permute_mark(node)}" if permute_mark(node) else
                         _SHORT.get(base, f"{node.label}(…)"))
        inputs = [self._input(node, slot, depth - 1) for slot in range(node.n_inputs)]
        if base == "Pow2":
            base_number = saved_label(_saved(node, "self"), "c")
            return Label(f"{base_number.wrapped(ATOM)}^{inputs[0].wrapped(ATOM)}", POSTFIX)
        try:
            return form(inputs, node)
        except IndexError:  # fewer inputs than the form reads (an op torch varied)
            return Label(f"{node.label}(…)")


# -- rendering rule templates ---------------------------------------------------------------------
def _need(before: str, after: str) -> int:
    """How tightly the text around a placeholder binds it."""
    if after.startswith(_POSTFIX_START) or before.endswith(("∂", "√", "/ ", "/")):
        return ATOM
    words = before.rstrip().split()
    if before.endswith(" ") and words and words[-1] in _FUNCTION_WORDS:
        return ATOM
    prev, nxt = before.rstrip()[-1:], after.lstrip()[:1]
    if prev and prev in "·⊙+−}0123456789)¹ᵀ" or nxt and nxt in "·⊙+−/{":
        return PRODUCT
    return 0


def render(template: str, names: Mapping[str, Label],
           shapes: Mapping[str, str] | None = None) -> str:
    """``template`` with each ``{symbol}`` replaced by its label, bracketed where needed;
    ``{symbol:shape}`` says whose shape (``x's shape (1×5)``)."""
    out, last = [], 0
    for m in _PLACEHOLDER.finditer(template):
        symbol, modifier = m.group(1), m.group(2)
        label = names[symbol]
        out.append(template[last:m.start()])
        if modifier == "shape":
            text = label.wrapped(ATOM) + "'s shape"
            shape = (shapes or {}).get(symbol)
            out.append(f"{text} ({shape})" if shape else text)
        elif template.startswith("ᵀ", m.end()) and _transpose_of_name(label):
            out.append(label.text[:-1])  # (Aᵀ)ᵀ is A
            last = m.end() + 1
            continue
        else:
            out.append(label.wrapped(_need(template[:m.start()], template[m.end():])))
        last = m.end()
    out.append(template[last:])
    return "".join(out)


def _transpose_of_name(label: Label) -> bool:
    return label.prec == POSTFIX and label.text.endswith("ᵀ") and is_name(label.text[:-1])


def generic_names(template: str) -> dict[str, Label]:
    """Every placeholder of ``template`` as its own symbol (how the rule tables read)."""
    return {m.group(1): Label(m.group(1)) for m in _PLACEHOLDER.finditer(template)}


def placeholders(template: str) -> list[str]:
    return [m.group(1) for m in _PLACEHOLDER.finditer(template)]


def tidy(line: str) -> str:
    """Drop what a name made redundant: ``g · e^x = g · e^x`` → ``g · e^x``; a clause
    ``σ(x) = σ(x)``; a definition line ``A⁻¹b = A⁻¹b, the solution`` (→ "")."""
    clauses = line.split(",  ")
    kept = []
    for i, clause in enumerate(clauses):
        parts = clause.split(" = ")
        same = [p for j, p in enumerate(parts) if j == 0 or p != parts[j - 1]]
        if len(parts) > 1 and len(same) == 1 and i > 0:
            continue
        kept.append(" = ".join(same))
    return ",  ".join(kept)


def is_name(text: str) -> bool:
    """A plain identifier (as opposed to an expression of names)."""
    return _IDENTIFIER.fullmatch(text) is not None
