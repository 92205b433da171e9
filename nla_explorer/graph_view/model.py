"""What the graph view draws, as plain data: nodes by kind with their labels and badges, and edges.

Built from the engine's :class:`AutogradGraph` (and its trace): autograd nodes, plus the constants
torch saved on them as small nodes of their own. Qt-free, so layout and DOT export can use it
headless.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

from nla_explorer.engine.autograd.graph import LEAF, AutogradGraph, GraphNode
from nla_explorer.engine.tensors import TensorData
from nla_explorer.engine.autograd.trace import BackwardTrace
from nla_explorer.value_text import DEFAULT_PRECISION, short_text

# Display kinds
PARAMETER = "leaf"  # a leaf variable that requires grad (AccumulateGrad)
OPERATION = "op"
OUTPUT = "output"
CONSTANT = "constant"  # a tensor torch saved that does not require grad (b, 0.5...)
GROUP = "group"  # a closed module group, a fold of repeats, or a collapsed chain of ops
#: The ids of collapsed chains start so (module groups are ``path@call`` or ``fold:…``).
CHAIN_PREFIX = "group_"

#: Badges show values of tensors up to this many elements.
BADGE_LIMIT = 4


@dataclass(frozen=True, eq=False)
class DisplayNode:
    """One box of the picture."""

    id: str
    kind: str
    title: str  # "mul", "x", "b", "0.5", "f = sub" (an op the program named)
    subtitle: str  # the shape: "5×5", "scalar"
    tooltip: str
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


@dataclass(frozen=True)
class DisplayEdge:
    source: str
    target: str
    constant: bool = False  # a saved constant feeding the node that saved it
    made_by: bool = False  # from a node to a higher-order node its backward made (no data flows)
    count: int = 1  # edges between closed groups are drawn as one, with how many they stand for


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


def _subtitle(node: GraphNode) -> str:
    shape = shape_text(node.shape)
    return f"{shape} · {order_text(node.order)}" if node.order > 1 else shape


def _tooltip(node: GraphNode, kind: str, graph: AutogradGraph) -> str:
    lines = [f"{node.name + ' = ' if node.name else ''}{node.label}",
             f"torch: {node.op}", f"shape {shape_text(node.shape)} · {node.dtype or '?'}"]
    if kind == PARAMETER:
        lines.append("leaf variable, requires grad")
    elif kind == OUTPUT:
        lines.append("the output")
    if node.order > 1:
        maker = graph.node(node.made_by).label if node.made_by is not None else None
        lines.append(f"{order_text(node.order)}: made by a backward with create_graph=True"
                     + (f" (the backward of {maker})" if maker else ""))
    return "\n".join(lines)


def _made_by_edges(graph: AutogradGraph) -> list[DisplayEdge]:
    """A higher-order node after the node whose backward made it (unless data flows there too)."""
    flows = {(e.source, e.target) for e in graph.edges}
    return [DisplayEdge(maker, made, made_by=True) for maker, made in graph.made_by_pairs()
            if (maker, made) not in flows]


def build_display_graph(graph: AutogradGraph, trace: BackwardTrace | None = None,
                        show_constants: bool = True,
                        precision: int = DEFAULT_PRECISION, grads: bool = True) -> DisplayGraph:
    """Boxes for every autograd node (and saved constants), edges in data-flow direction;
    numbers in badges and constant titles with ``precision`` significant digits. ``grads``:
    False leaves the gradients out (a grouped picture adds those of the boxes it shows)."""
    nodes: list[DisplayNode] = []
    edges: list[DisplayEdge] = [DisplayEdge(e.source, e.target) for e in graph.edges]
    named_constants: dict[str, str] = {}
    for node in graph.nodes:
        kind = PARAMETER if node.kind == LEAF else (
            OUTPUT if node.id == graph.output_id else OPERATION)
        title = node.name if node.kind == LEAF else node.label
        if node.kind != LEAF and node.name:  # an intermediate the program named: f = sub
            title = f"{node.name} = {node.label}"
        grad = trace.node_grad(node.id) if trace is not None and grads else None
        nodes.append(DisplayNode(node.id, kind, title, _subtitle(node),
                                 _tooltip(node, kind, graph), node.value, grad, node.id,
                                 precision=precision, name=node.name, order=node.order))
        if not show_constants:
            continue
        for saved in node.constants:
            if saved.tensor is None:
                continue
            key = saved.label and f"const_{saved.label}"
            if key and key in named_constants:
                edges.append(DisplayEdge(named_constants[key], node.id, True))
                continue
            const_id = key or f"{node.id}_{saved.name}"
            if key:
                named_constants[key] = const_id
            title = saved.label or (short_text(saved.tensor, digits=precision)
                                    if saved.tensor.numel == 1 else saved.name)
            nodes.append(DisplayNode(
                const_id, CONSTANT, title, shape_text(saved.tensor.shape),
                f"constant {saved.label or saved.name} saved by {node.op}\n"
                f"shape {shape_text(saved.tensor.shape)} · {saved.tensor.dtype}",
                saved.tensor, None, node.id, precision=precision, name=saved.label))
            edges.append(DisplayEdge(const_id, node.id, True))
    edges += _made_by_edges(graph)  # after the data edges: those keep their indices
    return DisplayGraph(tuple(nodes), tuple(edges))


def split_shared(display: DisplayGraph, min_uses: int = 8) -> DisplayGraph:
    """Draw a leaf or constant read by ``min_uses`` or more ops once beside each reader.

    In an unrolled RNN the weights feed every step: one box at the top with hundreds of edges
    down the whole picture makes it unreadable (and very wide). Each copy keeps the leaf's id
    in ``proxy_of``, so selecting any copy selects the leaf.
    """
    uses: dict[str, list[int]] = {}
    for i, e in enumerate(display.edges):
        uses.setdefault(e.source, []).append(i)
    shared = {n.id for n in display.nodes
              if n.kind in (PARAMETER, CONSTANT) and len(uses.get(n.id, ())) >= min_uses}
    if not shared:
        return display
    nodes = [n for n in display.nodes if n.id not in shared]
    edges = list(display.edges)
    for node_id in sorted(shared):
        node = display.node(node_id)
        count = len(uses[node_id])
        for k, index in enumerate(uses[node_id]):
            copy_id = f"{node_id}_use{k}"
            nodes.append(DisplayNode(
                copy_id, node.kind, node.title, node.subtitle,
                f"{node.tooltip}\nread by {count} ops: drawn beside each of them",
                node.value, node.grad, node.graph_id, (), node.graph_id or node_id,
                node.precision, node.name, node.order))
            edges[index] = replace(edges[index], source=copy_id)
    return DisplayGraph(tuple(nodes), tuple(edges))
