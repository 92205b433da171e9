"""Every box of a graph as columns, each made into a :class:`DisplayNode` only when asked for.

A grouped picture of a 75,000-node graph shows a handful of boxes: the groups are worked out from
the columns (ids, kinds, autograd nodes, proxies, edge ends) and a box is made when it is shown,
a group's output, searched or exported. :func:`build_display_graph` is the same table with every
box made (the flat picture, DOT export). Qt-free.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from nla_explorer.engine.autograd.graph import LEAF, AutogradGraph, GraphNode
from nla_explorer.engine.autograd.trace import BackwardTrace
from nla_explorer.engine.tensors import TensorData
from nla_explorer.graph_view.model import (
    CONSTANT, OPERATION, OUTPUT, PARAMETER, DisplayEdge, DisplayGraph, DisplayNode,
    shape_and_order, make_box, make_edge, order_text, shape_text,
)
from nla_explorer.value_text import DEFAULT_PRECISION, short_text


class BoxTable:
    """The boxes and edges of a whole graph, by columns. Row ``i`` is box ``ids[i]``; what
    makes its :class:`DisplayNode` is ``recipes[i]``: the :class:`GraphNode` it shows, a
    ``(saved value, node)`` pair for a constant, a ``(box, uses)`` pair for one use of a shared
    leaf, or the box itself. Edges ``[constant_from, made_by_from)`` carry saved constants,
    those from ``made_by_from`` on join a higher-order node to its maker."""

    def __init__(self, ids: list[str], kinds: list[str], graph_ids: list[str | None],
                 proxies: list[str | None], recipes: list, sources: list[str],
                 targets: list[str], constant_from: int, made_by_from: int,
                 make_node: Callable[[GraphNode, str], DisplayNode] | None = None,
                 precision: int = DEFAULT_PRECISION,
                 describe: Callable[[GraphNode, str], str] | None = None) -> None:
        self.ids, self.kinds, self.graph_ids, self.proxies = ids, kinds, graph_ids, proxies
        self.recipes, self.sources, self.targets = recipes, sources, targets
        self.constant_from, self.made_by_from = constant_from, made_by_from
        self.precision = precision
        self._make_node = make_node
        self._describe = describe  # a node's title and tooltip (what make_node would write)
        self._made: list[DisplayNode | None] = [None] * len(ids)
        self._index: dict[str, int] | None = None
        self._nodes: tuple[DisplayNode, ...] | None = None
        self._edges: tuple[DisplayEdge, ...] | None = None
        self._texts: dict[tuple, str] = {}  # what a search reads, by what decides it

    @classmethod
    def of_display(cls, display: DisplayGraph) -> "BoxTable":
        """A table of the boxes ``display`` has made already."""
        nodes = display.nodes
        edges = display.edges
        constant_from = next((i for i, e in enumerate(edges) if e.constant or e.made_by),
                             len(edges))
        made_by_from = next((i for i, e in enumerate(edges) if e.made_by), len(edges))
        if any(e.count != 1 or e.constant != (constant_from <= i < made_by_from)
               or e.made_by != (i >= made_by_from) for i, e in enumerate(edges)):
            raise ValueError("not a display graph of a whole graph (bundled or mixed edges)")
        return cls([n.id for n in nodes], [n.kind for n in nodes],
                   [n.graph_id for n in nodes], [n.proxy_of for n in nodes], list(nodes),
                   [e.source for e in edges], [e.target for e in edges], constant_from,
                   made_by_from)

    # -- the DisplayGraph interface (what groups, search and the pane read of the whole) ------
    def __len__(self) -> int:
        return len(self.ids)

    def box_columns(self) -> tuple[list[str], list[str], list[str | None], list[str | None]]:
        return self.ids, self.kinds, self.graph_ids, self.proxies

    def edge_ends(self) -> tuple[list[str], list[str]]:
        return self.sources, self.targets

    def node(self, node_id: str) -> DisplayNode:
        i = self.index[node_id]
        return self._made[i] or self.made(i)

    def get(self, node_id: str) -> DisplayNode | None:
        i = self.index.get(node_id)
        return None if i is None else self._made[i] or self.made(i)

    def edge(self, i: int) -> DisplayEdge:
        if self._edges is not None:
            return self._edges[i]
        return make_edge(self.sources[i], self.targets[i],
                         self.constant_from <= i < self.made_by_from, i >= self.made_by_from, 1)

    @property
    def nodes(self) -> tuple[DisplayNode, ...]:
        """Every box, made (a search, an export or the flat picture needs them all)."""
        if self._nodes is None:
            self._nodes = tuple(map(self.made, range(len(self.ids))))
        return self._nodes

    @property
    def edges(self) -> tuple[DisplayEdge, ...]:
        if self._edges is None:
            self._edges = tuple(map(self.edge, range(len(self.sources))))
        return self._edges

    def graph_ids_of(self, boxes) -> tuple[str, ...]:
        """The autograd nodes ``boxes`` show, each once, in order."""
        ids = dict.fromkeys(self.graph_id_list(boxes))
        ids.pop(None, None)
        return tuple(ids)

    def graph_id_list(self, boxes) -> list[str | None]:
        index, graph_ids = self.index, self.graph_ids
        return [graph_ids[index[b]] for b in boxes]

    def as_display(self) -> DisplayGraph:
        """The same boxes and edges as a :class:`DisplayGraph`, every box made."""
        return DisplayGraph(self.nodes, self.edges)

    # -- making boxes --------------------------------------------------------------------------
    @property
    def made_count(self) -> int:
        """How many of its boxes were made so far."""
        return len(self._made) - self._made.count(None)

    @property
    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {box: i for i, box in enumerate(self.ids)}
        return self._index

    def made(self, i: int) -> DisplayNode:
        """Box ``i``, made once (the scene keeps the item of a box that stays the same)."""
        hit = self._made[i]
        if hit is None:
            recipe = self.recipes[i]
            kind = type(recipe)
            if kind is GraphNode:
                hit = self._make_node(recipe, self.kinds[i])
            elif kind is DisplayNode:
                hit = recipe
            else:
                first, second = recipe
                hit = (_copy_box(self.ids[i], first, second) if type(first) is DisplayNode
                       else _constant_box(self.ids[i], first, second, self.precision))
            self._made[i] = hit
        return hit

    def search_text(self, box: str) -> str:
        """What a search reads of ``box``: its title and tooltip, in lower case. A box not made
        yet is not made for it: its text comes from what decides it, read once for all the
        boxes that say the same (a search that matches nothing reads 75,000 boxes)."""
        i = self.index[box]
        made = self._made[i]
        if made is None:
            recipe = self.recipes[i]
            if type(recipe) is GraphNode and self._describe is not None:
                kind = self.kinds[i]
                key = (kind, recipe.name, recipe.label, recipe.op, recipe.shape, recipe.dtype,
                       recipe.order, recipe.made_by)
                hit = self._texts.get(key)
                if hit is None:
                    hit = self._texts[key] = self._describe(recipe, kind).lower()
                return hit
            first, second = recipe if type(recipe) is tuple else (None, None)
            if type(first) is DisplayNode:  # one use of a shared leaf
                key = ("use", id(first), second)  # (the table holds ``first``: its id stays)
                hit = self._texts.get(key)
                if hit is None:
                    hit = self._texts[key] = f"{first.title}\n{_read_by(first, second)}".lower()
                return hit
            if first is not None:  # a saved constant
                title = _constant_title(first, self.precision)
                return f"{title}\n{_constant_tooltip(first, second)}".lower()
            made = self.made(i)
        return f"{made.title}\n{made.tooltip}".lower()

    # -- shared leaves -------------------------------------------------------------------------
    def split_shared(self, min_uses: int = 8) -> "BoxTable":
        """Draw a leaf or constant read by ``min_uses`` or more ops once beside each reader.

        In an unrolled RNN the weights feed every step: one box at the top with hundreds of
        edges down the whole picture makes it unreadable (and very wide). Each copy keeps the
        leaf's id in ``proxy_of``, so selecting any copy selects the leaf."""
        kinds = self.kinds
        candidates = {box for box, kind in zip(self.ids, kinds) if kind in _SHAREABLE}
        uses: dict[str, list[int]] = {}
        if candidates:
            for i, source in enumerate(self.sources):
                if source in candidates:
                    uses.setdefault(source, []).append(i)
        shared = {box for box, used in uses.items() if len(used) >= min_uses}
        if not shared:
            return self
        keep = [i for i, box in enumerate(self.ids) if box not in shared]
        ids = [self.ids[i] for i in keep]
        out_kinds = [kinds[i] for i in keep]
        graph_ids = [self.graph_ids[i] for i in keep]
        proxies = [self.proxies[i] for i in keep]
        made = self._made
        recipes = [made[i] or self.recipes[i] for i in keep]
        sources = list(self.sources)
        rows = {box: i for i, box in enumerate(self.ids) if box in shared}
        for box in sorted(shared):
            row = rows[box]
            original, used = self.made(row), uses[box]
            graph_id = self.graph_ids[row]
            for k, edge in enumerate(used):
                copy = f"{box}_use{k}"
                ids.append(copy)
                out_kinds.append(kinds[row])
                graph_ids.append(graph_id)
                proxies.append(graph_id or box)
                recipes.append((original, len(used)))
                sources[edge] = copy
        return BoxTable(ids, out_kinds, graph_ids, proxies, recipes, sources, self.targets,
                        self.constant_from, self.made_by_from, self._make_node, self.precision,
                        self._describe)


_SHAREABLE = frozenset((PARAMETER, CONSTANT))


def box_table(graph: AutogradGraph, trace: BackwardTrace | None = None,
              show_constants: bool = True, precision: int = DEFAULT_PRECISION,
              grads: bool = True) -> BoxTable:
    """Boxes for every autograd node (and saved constants), edges in data-flow direction;
    numbers in badges and constant titles with ``precision`` significant digits. ``grads``:
    False leaves the gradients out (a grouped picture adds those of the boxes it shows)."""
    ids: list[str] = []
    kinds: list[str] = []
    graph_ids: list[str | None] = []
    recipes: list = []
    sources = [e.source for e in graph.edges]
    targets = [e.target for e in graph.edges]
    constant_from = len(sources)
    add_id, add_kind, add_graph_id, add_recipe = (ids.append, kinds.append, graph_ids.append,
                                                  recipes.append)
    named_constants: dict[str, str] = {}
    output_id = graph.output_id
    for node in graph.nodes:
        node_id = node.id
        add_id(node_id)
        add_kind(PARAMETER if node.kind == LEAF else OUTPUT if node_id == output_id
                 else OPERATION)
        add_graph_id(node_id)
        add_recipe(node)
        if not show_constants or not (node.saved or node.operand_values):
            continue
        for saved in _with_operands(node) if node.operand_values else node.saved:
            if saved.role != "constant" or saved.tensor is None:
                continue
            key = saved.label and f"const_{saved.label}"
            if key and key in named_constants:
                sources.append(named_constants[key])
                targets.append(node_id)
                continue
            const_id = key or f"{node_id}_{saved.name}"
            if key:
                named_constants[key] = const_id
            add_id(const_id)
            add_kind(CONSTANT)
            add_graph_id(node_id)
            add_recipe((saved, node))
            sources.append(const_id)
            targets.append(node_id)
    made_by_from = len(sources)
    flows = None
    for maker, made in graph.made_by_pairs():  # after the data edges: those keep their indices
        if flows is None:
            flows = {(e.source, e.target) for e in graph.edges}
        if (maker, made) not in flows:
            sources.append(maker)
            targets.append(made)
    node_grad = trace.node_grad if trace is not None and grads else None
    make = partial(_node_box, graph, node_grad, precision)
    return BoxTable(ids, kinds, graph_ids, [None] * len(ids), recipes, sources, targets,
                    constant_from, made_by_from, make, precision, partial(_node_text, graph))


def _with_operands(node: GraphNode) -> tuple:
    """What ``node`` saved, then the named constants it read and did not save (``b`` of
    ``W @ x + b``: AddBackward0 keeps nothing of it), each constant once."""
    constants = [s for s in node.saved if s.role == "constant" and s.tensor is not None]
    labels = {s.label for s in constants}
    tensors = {id(s.tensor) for s in constants}  # (one capture snapshots a tensor once)
    return node.saved + tuple(s for s in node.operand_values
                              if s.label not in labels and id(s.tensor) not in tensors)


def build_display_graph(graph: AutogradGraph, trace: BackwardTrace | None = None,
                        show_constants: bool = True, precision: int = DEFAULT_PRECISION,
                        grads: bool = True) -> DisplayGraph:
    """:func:`box_table` with every box made."""
    return box_table(graph, trace, show_constants, precision, grads).as_display()


def split_shared(display: DisplayGraph | BoxTable, min_uses: int = 8) -> DisplayGraph:
    """:meth:`BoxTable.split_shared` of a display graph."""
    table = display if isinstance(display, BoxTable) else BoxTable.of_display(display)
    split = table.split_shared(min_uses)
    return display if split is table and isinstance(display, DisplayGraph) else \
        split.as_display()


def node_title(node: GraphNode, kind: str) -> str | None:
    """The title of the box of ``node``: a parameter's name; an op's label, after the name
    the program gave its result (``f = sub``)."""
    name = node.name
    if kind == PARAMETER:
        return name
    return f"{name} = {node.label}" if name else node.label


def _node_box(graph: AutogradGraph, node_grad: Callable[[str], TensorData | None] | None,
              precision: int, node: GraphNode, kind: str) -> DisplayNode:
    name = node.name
    title = node_title(node, kind)
    value = node.value
    node_id = node.id
    order = node.order
    return make_box(node_id, kind, title,
                    shape_and_order(value.shape if value is not None else None, order),
                    partial(_tooltip, node, kind, graph), value,
                    node_grad(node_id) if node_grad is not None else None, node_id, (), None,
                    precision, name, order)


def _node_text(graph: AutogradGraph, node: GraphNode, kind: str) -> str:
    """What the box of ``node`` says, title and tooltip, without making it (a search)."""
    return f"{node_title(node, kind)}\n{_tooltip(node, kind, graph)}"


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


def _constant_box(const_id: str, saved, node: GraphNode, precision: int) -> DisplayNode:
    tensor = saved.tensor
    return DisplayNode(
        const_id, CONSTANT, _constant_title(saved, precision), shape_text(tensor.shape),
        _constant_tooltip(saved, node), tensor, None, node.id, precision=precision,
        name=saved.label)


def _constant_title(saved, precision: int) -> str:
    """A saved constant's label, its value when it is one number, else its name."""
    tensor = saved.tensor
    return saved.label or (short_text(tensor, digits=precision) if tensor.numel == 1
                           else saved.name)


def _constant_tooltip(saved, node: GraphNode) -> str:
    how = " saved by" if any(s is saved for s in node.saved) else f", {saved.name} of"
    return (f"constant {saved.label or saved.name}{how} {node.op}\n"
            f"shape {shape_text(saved.tensor.shape)} · {saved.tensor.dtype}")


def _copy_box(copy_id: str, node: DisplayNode, uses: int) -> DisplayNode:
    return DisplayNode(copy_id, node.kind, node.title, node.subtitle,
                       partial(_read_by, node, uses), node.value, node.grad, node.graph_id, (),
                       node.graph_id or node.id, node.precision, node.name, node.order)


def _read_by(node: DisplayNode, count: int) -> str:
    return f"{node.tooltip}\nread by {count} ops: drawn beside each of them"
