"""What the graph view draws, as plain data: nodes by kind with their labels and badges, and edges.

The boxes of the engine's :class:`AutogradGraph` (and its trace): autograd nodes, plus the constants
torch saved on them, and the named constants they read without saving them (``b`` of ``W @ x + b``),
as small nodes of their own (made by :mod:`graph_view.box_table`). Qt-free, so layout and DOT export
can use it headless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from nla_explorer.engine.fast_build import builder
from nla_explorer.engine.tensors import TensorData
from nla_explorer.value_text import DEFAULT_PRECISION, short_text

# Display kinds
PARAMETER = "leaf"  # a leaf variable that requires grad (AccumulateGrad)
OPERATION = "op"
OUTPUT = "output"
CONSTANT = "constant"  # a tensor an op saved or read that does not require grad (b, 0.5...)
GROUP = "group"  # a closed module group, a fold of repeats, or a collapsed chain of ops
#: The ids of collapsed chains start so (module groups are ``path@call`` or ``fold:…``).
CHAIN_PREFIX = "group_"

#: Badges show values of tensors up to this many elements.
BADGE_LIMIT = 4


@dataclass(frozen=True, eq=False, slots=True)
class DisplayNode:
    """One box of the picture (a picture makes 100,000 of them: see :data:`make_box`)."""

    id: str
    kind: str
    title: str  # "mul", "x", "b", "0.5", "f = sub" (an op the program named)
    subtitle: str  # the shape: "5×5", "scalar"
    #: the tooltip, or how to write it (75,000 boxes: only those hovered or searched need one)
    hint: "str | Callable[[], str]"
    value: TensorData | None = None
    grad: TensorData | None = None
    graph_id: str | None = None  # the autograd node it shows (constants: the node that saved them)
    members: tuple[str, ...] = ()  # for a collapsed group: the autograd node ids inside
    proxy_of: str | None = None  # one use of a widely shared leaf, drawn beside its consumer
    precision: int = DEFAULT_PRECISION  # significant digits of the badges
    name: str | None = None  # the program's variable name ("f", "y"), when it named the tensor
    #: 1: made by the forward program; 2: made by a backward with create_graph=True; 3 …
    order: int = 1

    @property
    def tooltip(self) -> str:
        hint = self.hint
        if isinstance(hint, str):
            return hint
        text = hint()
        object.__setattr__(self, "hint", text)  # written once
        return text

    def with_grad(self, grad: TensorData | None) -> "DisplayNode":
        """The same box showing ``grad`` (a shallow copy: 100,000 of them when every group of
        an unrolled RNN opens, where ``dataclasses.replace`` took 8 µs each)."""
        return make_box(self.id, self.kind, self.title, self.subtitle, self.hint, self.value,
                        grad, self.graph_id, self.members, self.proxy_of, self.precision,
                        self.name, self.order)

    @property
    def label(self) -> str:
        """What the box says when there is room for one word only: the program's name, else
        the title (the op, a constant's value)."""
        return self.name or self.title

    @property
    def value_badge(self) -> str | None:
        return _badge(self.value, self.precision)

    @property
    def grad_badge(self) -> str | None:
        return _badge(self.grad, self.precision)


#: A :class:`DisplayNode` from all its fields, positionally (a third of the time)
make_box = builder(DisplayNode)


@dataclass(frozen=True, slots=True)
class DisplayEdge:
    source: str
    target: str
    constant: bool = False  # a saved constant feeding the node that saved it
    made_by: bool = False  # from a node to a higher-order node its backward made (no data flows)
    count: int = 1  # edges between closed groups are drawn as one, with how many they stand for


make_edge = builder(DisplayEdge)  # (all fields, positionally)


@dataclass(frozen=True, eq=False)
class DisplayGraph:
    nodes: tuple[DisplayNode, ...]
    edges: tuple[DisplayEdge, ...]
    _by_id: dict[str, DisplayNode] = field(default_factory=dict, repr=False)
    _by_graph_id: dict[str, DisplayNode] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({n.id: n for n in self.nodes})

    def __len__(self) -> int:
        return len(self.nodes)

    def node(self, node_id: str) -> DisplayNode:
        return self._by_id[node_id]

    def get(self, node_id: str) -> DisplayNode | None:
        """The box ``node_id``, or None when the graph has none."""
        return self._by_id.get(node_id)

    def box_columns(self) -> tuple[list[str], list[str], list[str | None], list[str | None]]:
        """Every box's id, kind, autograd node and ``proxy_of``, as four lists."""
        nodes = self.nodes
        return ([n.id for n in nodes], [n.kind for n in nodes], [n.graph_id for n in nodes],
                [n.proxy_of for n in nodes])

    def edge_ends(self) -> tuple[list[str], list[str]]:
        """The sources and the targets of the edges, as two lists."""
        return [e.source for e in self.edges], [e.target for e in self.edges]

    def edge(self, i: int) -> DisplayEdge:
        return self.edges[i]

    def search_text(self, box: str) -> str:
        """What a search reads of ``box``: its title and tooltip, in lower case."""
        n = self.node(box)
        return f"{n.title}\n{n.tooltip}".lower()

    def graph_ids_of(self, boxes) -> tuple[str, ...]:
        """The autograd nodes ``boxes`` show, each once, in order (a fold holds 100,000)."""
        ids = dict.fromkeys(self.graph_id_list(boxes))
        ids.pop(None, None)
        return tuple(ids)

    def graph_id_list(self, boxes) -> list[str | None]:
        """The autograd node of each of ``boxes`` (None for one that shows none)."""
        return [n.graph_id for n in map(self._by_id.__getitem__, boxes)]

    def node_for_graph_id(self, graph_id: str) -> DisplayNode | None:
        """The box showing autograd node ``graph_id`` (its own box, or the group holding it)."""
        hit = self._by_id.get(graph_id)
        if hit is not None and hit.kind != CONSTANT:
            return hit
        if self._by_graph_id is None:  # built once: a group may hold 75,000 nodes
            index: dict[str, DisplayNode] = {}
            for n in self.nodes:
                for member in n.members:
                    index.setdefault(member, n)
                if n.proxy_of is not None:
                    index.setdefault(n.proxy_of, n)
            object.__setattr__(self, "_by_graph_id", index)
        return self._by_graph_id.get(graph_id)


def with_grad_of(node: DisplayNode, grad_of: Callable[[str], TensorData | None]) -> DisplayNode:
    """``node`` showing the gradient ``grad_of(its autograd node)`` (constants have none; a box
    that shows one already, or whose node has none, stays as it is)."""
    if node.grad is not None or node.kind == CONSTANT or node.graph_id is None:
        return node
    grad = grad_of(node.graph_id)
    return node.with_grad(grad) if grad is not None else node


def is_chain(node: DisplayNode) -> bool:
    """A collapsed chain of ops (View ▸ Collapse chains), not a module group that opens."""
    return node.kind == GROUP and node.id.startswith(CHAIN_PREFIX)


def shape_text(shape: tuple[int, ...] | None) -> str:
    """``5×5``, ``scalar``, ``?``; shapes repeat a lot (75,000 nodes of a few shapes)."""
    if shape is None:
        return "?"
    try:
        return _shape_text(tuple(shape))
    except TypeError:  # an unhashable size: worked out each time
        return "×".join(str(s) for s in shape)


@lru_cache(maxsize=4096)
def _shape_text(shape: tuple[int, ...]) -> str:
    return "scalar" if shape == () else "×".join(str(s) for s in shape)


def _badge(data: TensorData | None, digits: int) -> str | None:
    if data is None or data.values is None or data.numel > BADGE_LIMIT:
        return None
    return short_text(data, width=BADGE_LIMIT, digits=digits)


def order_text(order: int) -> str:
    """What a higher-order box says of itself (``"order 2"``); nothing for a forward node."""
    return f"order {order}" if order > 1 else ""


def shape_and_order(shape: tuple[int, ...] | None, order: int) -> str:
    """A box's subtitle: its shape, and its order when a backward made it (``3 · order 2``)."""
    text = shape_text(shape)
    return f"{text} · {order_text(order)}" if order > 1 else text
