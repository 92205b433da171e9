"""The captured autograd graph as plain frozen data: nodes, edges, saved tensors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from nla_explorer.engine.tensors import TensorData

#: Node kinds: a backward function of an op, or a leaf variable that requires grad (AccumulateGrad).
OP = "op"
LEAF = "leaf"


@dataclass(frozen=True, eq=False, slots=True)
class SavedValue:
    """Something an autograd node saved for its backward (``_saved_<name>``).

    ``role`` is ``"result"`` (the node's own output), ``"input"`` (a tensor in the graph),
    ``"constant"`` (a tensor that does not require grad) or ``"attribute"`` (a number, size, dim...).
    """

    name: str
    role: str
    tensor: TensorData | None = None
    attribute: object = None
    label: str | None = None  # variable name of a named constant, e.g. "b"


@dataclass(frozen=True, eq=False, slots=True)
class GraphNode:
    """One autograd Node: a backward function (``kind == "op"``) or a leaf variable."""

    id: str
    kind: str
    op: str  # torch's exact name: "MulBackward0", "AccumulateGrad", "InvBackward"
    label: str  # readable: "mul", "matmul", or a leaf's variable name
    name: str | None = None  # variable name from the code, if any
    value: TensorData | None = None  # forward value (the op's output or the leaf's data)
    saved: tuple[SavedValue, ...] = ()
    n_inputs: int = 0  # len(next_functions)
    #: torch's creation number of an op's Node (``Node._sequence_nr()``): the forward order
    sequence_nr: int | None = None
    #: the ``nn.Module`` that ran the op, by its path in the program (``net.l1``), when known
    module: str | None = None
    #: 1 for a Node of the forward program, 2 for one a backward with ``create_graph`` made, 3 …
    order: int = 1
    #: the id of the node whose backward made this one (a higher-order node), when in the graph
    made_by: str | None = None
    #: the module invocations that made the node, outermost first: ``(path, call number)`` pairs,
    #: the call number counting that module's forward calls from 1 (``(("cell", 3),)``)
    scope: tuple[tuple[str, int], ...] = ()
    #: the names of constant inputs torch keeps no trace of, by input slot (``y`` of
    #: ``A @ x - y``: SubBackward0 saves nothing), when the forward ran under the recorder
    operands: tuple[tuple[int, str], ...] = ()
    #: the values of those named constant inputs, role ``"constant"``, named ``"input <slot>"``
    #: and labelled with the variable name (drawn as the saved constants are); one changed in
    #: place after the op read it is left out
    operand_values: tuple[SavedValue, ...] = ()
    #: the names of a node's outputs by ``output_nr`` where several of them are named (``Q, R =
    #: torch.linalg.qr(A)``: ``("Q", "R")``; the node's ``name`` is then ``"Q, R"``)
    output_names: tuple[str | None, ...] = ()

    @property
    def shape(self) -> tuple[int, ...] | None:
        return self.value.shape if self.value is not None else None

    @property
    def dtype(self) -> str | None:
        return self.value.dtype if self.value is not None else None

    @property
    def constants(self) -> tuple[SavedValue, ...]:
        return tuple(s for s in self.saved if s.role == "constant")


@dataclass(frozen=True)
class ModuleInfo:
    """An ``nn.Module`` of the program: its path (``net.w``), class and parameter count."""

    path: str
    kind: str
    parameters: int  # its own and its submodules'


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """Data flows from ``source`` to ``target``; ``slot`` is the index in the target's inputs."""

    source: str
    target: str
    slot: int
    output_nr: int = 0


@dataclass(frozen=True, eq=False)
class AutogradGraph:
    """Nodes in breadth-first order from the output, and data-flow edges."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    output_id: str
    #: the named modules (those node scopes refer to), each with its class and parameter count
    modules: tuple[ModuleInfo, ...] = ()
    _by_id: dict[str, GraphNode] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({n.id: n for n in self.nodes})

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self) -> Iterator[GraphNode]:
        return iter(self.nodes)

    def node(self, node_id: str) -> GraphNode:
        return self._by_id[node_id]

    @property
    def output(self) -> GraphNode:
        return self._by_id[self.output_id]

    @property
    def leaves(self) -> tuple[GraphNode, ...]:
        return tuple(n for n in self.nodes if n.kind == LEAF)

    def inputs_of(self, node_id: str) -> list[GraphEdge]:
        """Edges into ``node_id`` ordered by slot."""
        return sorted((e for e in self.edges if e.target == node_id), key=lambda e: e.slot)

    def consumers_of(self, node_id: str) -> list[GraphEdge]:
        return [e for e in self.edges if e.source == node_id]

    @property
    def highest_order(self) -> int:
        """1 for a plain graph; 2 when it holds nodes a ``create_graph`` backward made; 3 …"""
        return max((n.order for n in self.nodes), default=1)

    def made_by_pairs(self) -> list[tuple[str, str]]:
        """``(maker, made)``: each higher-order node after the node whose backward made it."""
        return [(n.made_by, n.id) for n in self.nodes if n.made_by is not None]

    def find(self, name: str) -> GraphNode | None:
        """The node carrying variable ``name`` (the last one if the name was rebound)."""
        hits = [n for n in self.nodes if n.name == name]
        return hits[0] if hits else None
