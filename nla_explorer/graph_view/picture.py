"""From a captured graph to a laid-out picture: display graph, module groups (or collapsed chains),
box sizes, layout.

``prepare`` measures text (GUI thread); ``lay_out`` is pure computation and may run in a worker.
The window, the export command and the tests all go through here, so they draw the same picture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from nla_explorer.engine.autograd.gc_pause import keep_out_of_collections, paused_gc
from nla_explorer.engine.autograd.graph import AutogradGraph
from nla_explorer.engine.autograd.trace import BackwardTrace
from nla_explorer.graph_view.collapse import collapse_chains
from nla_explorer.graph_view.layout.dot import dot_available
from nla_explorer.graph_view.groups.plan import AUTO_DEPTH, group_tree, opened_at
from nla_explorer.graph_view.groups.shown import Shown, frame_title, shown_graph
from nla_explorer.graph_view.groups.tree import GroupTree, placed_again
from nla_explorer.graph_view.layout.layered import auto_layout
from nla_explorer.graph_view.layout.model import Layout, LayoutCancelled
from nla_explorer.graph_view.layout.nested import Frame, LayoutCache, nested_layout
from nla_explorer.engine.tensors import TensorData
from nla_explorer.graph_view.box_table import BoxTable, box_table
from nla_explorer.graph_view.model import DisplayGraph
from nla_explorer.graph_view.scene import node_sizes
from nla_explorer.drawing.style import ViewStyle

#: Above this many boxes, chains are collapsed automatically (the view says so).
AUTO_COLLAPSE_OVER = 20_000
#: Above this many boxes, leaves read by many ops are drawn beside each reader.
SPLIT_SHARED_OVER = 150
#: Graphviz dot only for graphs it lays out quickly (it takes minutes on unrolled RNNs).
DOT_MAX_BOXES = 500
DOT_TIMEOUT_S = 4.0
#: Gaps between boxes in a layer and between layers (scene units). They do not grow with the
#: font: a bigger font makes only the boxes bigger (as big as their text needs), so Fit shows
#: the text bigger, not smaller.
NODE_GAP = 24.0
#: A frame's header is this many title lines tall: room for its name in larger type when the
#: view is zoomed out (a lecture hall reads module names from the back row).
HEADER_LINES = 2.2
LAYER_GAP = 40.0


@dataclass(frozen=True)
class PictureOptions:
    """What to draw and how: the layout engine, constants, collapse, and the style (its font
    size and precision shape the boxes)."""

    engine: str = "auto"  # "auto" | "builtin" | "dot"
    show_constants: bool = True
    collapse: bool = False
    style: ViewStyle = ViewStyle()
    groups: bool = True  # draw module calls (and repeats of plain code) as groups
    group_depth: int = AUTO_DEPTH  # groups open to this depth (plan.AUTO_DEPTH, plan.ALL_DEPTHS)
    fold: bool = True  # consecutive look-alike groups as one box "×N"


@dataclass(frozen=True, eq=False)
class Picture:
    """A display graph placed by a layout, in the style it was measured with."""

    display: DisplayGraph
    layout: Layout
    style: ViewStyle
    note: str = ""  # e.g. "chains collapsed automatically"
    frames: dict[str, Frame] = field(default_factory=dict)  # open groups
    prepared: "Prepared | None" = None  # what it was drawn from (to open or close a group)

    @property
    def sizes(self) -> dict[str, tuple[float, float]] | None:
        """The boxes' sizes the layout used."""
        return self.prepared.sizes if self.prepared is not None else None

    @property
    def tree(self) -> GroupTree | None:
        return self.prepared.tree if self.prepared is not None else None

    @property
    def opened(self) -> frozenset[str]:
        shown = self.prepared.shown if self.prepared is not None else None
        return shown.opened if shown is not None else frozenset()

    def frames_with_titles(self) -> dict[str, tuple[Frame, str]]:
        """Open group id → (its frame, its header), for the scene."""
        titles = self.prepared.titles if self.prepared is not None else {}
        return {gid: (frame, titles[gid]) for gid, frame in self.frames.items()}


@dataclass(frozen=True, eq=False)
class Prepared:
    """The boxes to draw and their sizes; with groups, the whole graph too (``full``), its
    groups and what is shown of them, and the drawings of levels laid out so far."""

    display: DisplayGraph
    sizes: dict[str, tuple[float, float]]
    style: ViewStyle
    note: str
    full: BoxTable | None = None  # every box of the graph, made when shown
    tree: GroupTree | None = None
    shown: Shown | None = None
    headers: dict[str, tuple[float, float]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # the headers' text, by open group
    cache: LayoutCache = field(default_factory=LayoutCache)
    grad_of: Callable[[str], TensorData | None] | None = None  # gradients of boxes shown
    measured: dict = field(default_factory=dict)  # box sizes by their text, in these fonts
    graph: AutogradGraph | None = None  # the graph drawn


def prepare(graph: AutogradGraph, trace: BackwardTrace | None, options: PictureOptions,
            opened: frozenset[str] | None = None) -> Prepared:
    """The boxes to draw and their sizes (needs Qt's font metrics: call on the GUI thread);
    with groups, those in ``opened`` open (default: those ``options.group_depth`` opens)."""
    with _building(len(graph)):
        return _prepare(graph, trace, options, opened)


def _prepare(graph: AutogradGraph, trace: BackwardTrace | None, options: PictureOptions,
             opened: frozenset[str] | None) -> Prepared:
    style = options.style
    table, note = _whole(graph, trace, options, "")
    tree = group_tree(table, graph, options.fold) if options.groups else None
    if tree:  # only the boxes shown are made
        if opened is None:
            opened = opened_at(tree, options.group_depth, len(table))
        grad_of = trace.node_grad if trace is not None else None
        return _reshow(Prepared(_NOTHING_SHOWN, {}, style, note, table, tree, grad_of=grad_of,
                                graph=graph), opened)
    display = table.as_display()
    if options.collapse or len(display) > AUTO_COLLAPSE_OVER:
        collapsed = collapse_chains(display)
        if not options.collapse and len(collapsed) < len(display):
            note = (f"{len(display):,} boxes: chains collapsed automatically to "
                    f"{len(collapsed):,}" + (f"; {note}" if note else ""))
        display = collapsed
    return Prepared(display, node_sizes(display, style.fonts), style, note, graph=graph)


def completed(prepared: Prepared, graph: AutogradGraph, trace: BackwardTrace | None,
              options: PictureOptions) -> Prepared:
    """A grouped picture of ``graph``, the complete capture of the graph ``prepared`` drew
    first (a big graph's saved values are read after its first picture): the boxes of its
    saved constants join their groups; the groups, the folds and the drawings stay. Call
    :func:`reshow` (or regroup) on it to draw it."""
    with _building(len(graph)):
        table, note = _whole(graph, trace, options, prepared.note)
        tree = placed_again(prepared.tree, table)
    return replace(prepared, full=table, tree=tree, note=note, graph=graph,
                   grad_of=trace.node_grad if trace is not None else prepared.grad_of)


_NOTHING_SHOWN = DisplayGraph((), ())  # (a grouped picture before its first reshow)


def _whole(graph: AutogradGraph, trace: BackwardTrace | None, options: PictureOptions,
           note: str) -> tuple[BoxTable, str]:
    """Every box of ``graph`` (made when shown: a box is given its gradient when made), shared
    leaves split beside their readers in a big graph; and the picture's note."""
    table = box_table(graph, trace, show_constants=options.show_constants,
                      precision=options.style.precision)
    if len(table) > SPLIT_SHARED_OVER:
        split = table.split_shared()
        if len(split) > len(table):
            note = "shared weights drawn beside each use"
        table = split
    return table, note


@contextmanager
def _building(size: int) -> Iterator[None]:
    """Build a picture of ``size`` boxes (or autograd nodes) with the cyclic collector paused
    (100,000 new objects: collections midway would sweep the whole graph for nothing); a big
    one is then frozen out of the collector, as the graph pane keeps it while shown: else the
    first collection after it walks every new object once more (0.2 s at 75,000 nodes)."""
    with paused_gc():
        yield
        keep_out_of_collections(size)


def reshow(prepared: Prepared, opened: frozenset[str]) -> Prepared:
    """The same grouped graph with the groups in ``opened`` open (GUI thread: measures the
    boxes that come into view); its laid-out levels are reused."""
    with paused_gc():  # thousands of new boxes over a heap of 75,000 nodes
        return _reshow(prepared, opened)


def _reshow(prepared: Prepared, opened: frozenset[str]) -> Prepared:
    shown = shown_graph(prepared.full, prepared.tree, opened, prepared.grad_of)
    fonts = prepared.style.fonts
    groups = prepared.tree.groups
    titles = {gid: frame_title(groups[gid], prepared.tree) for gid in shown.opened
              if gid in groups}  # (not the markers of folds showing every call)
    headers = {gid: (fonts.title_metrics.horizontalAdvance(text) + fonts.padding * 2,
                     fonts.title_metrics.height() * HEADER_LINES)
               for gid, text in titles.items()}
    return replace(prepared, display=shown.display, sizes=_sizes(prepared, shown.display),
                   shown=shown, headers=headers, titles=titles)


def _sizes(before: Prepared, display: DisplayGraph) -> dict[str, tuple[float, float]]:
    """The sizes of ``display``'s boxes: those shown before as the same box keep their size
    (opening one call of a fold of 5,000 measures the twenty boxes that come into view)."""
    old, old_sizes = before.display, before.sizes
    sizes, new = {}, []
    for n in display.nodes:
        size = old_sizes.get(n.id)
        if size is not None and old.get(n.id) is n:
            sizes[n.id] = size
        else:
            new.append(n)
    if new:
        sizes.update(node_sizes(new, before.style.fonts,
                                before.measured))
    return {n.id: sizes[n.id] for n in display.nodes}  # in the order of the boxes


def lay_out(prepared: Prepared, options: PictureOptions, progress=None, cancel=None) -> Picture:
    """Place the prepared boxes (pure computation: safe in a worker thread)."""
    with _building(len(prepared.display)):
        return _lay_out(prepared, options, progress, cancel)


def _lay_out(prepared: Prepared, options: PictureOptions, progress, cancel) -> Picture:
    display = prepared.display
    if prepared.shown is not None:
        shown = prepared.shown
        layout, frames = nested_layout(
            shown.levels, [(e.source, e.target) for e in display.edges], prepared.sizes,
            prepared.headers, cache=prepared.cache, node_sep=NODE_GAP, layer_sep=LAYER_GAP,
            columns={g for g in shown.levels if g is not None and prepared.tree.groups[g].fold},
            check=_checker(cancel))
        return Picture(display, layout, prepared.style, prepared.note, frames, prepared)
    engine, note = options.engine, prepared.note
    if engine == "dot" and not dot_available():  # chosen, or set on a machine that had Graphviz
        engine = "builtin"
        note = "Graphviz 'dot' not found: built-in layout" + (f"; {note}" if note else "")
    layout = auto_layout([n.id for n in display.nodes], [(e.source, e.target) for e in display.edges],
                         prepared.sizes, engine=engine, dot_max_nodes=DOT_MAX_BOXES,
                         dot_timeout=DOT_TIMEOUT_S, node_sep=NODE_GAP,
                         layer_sep=LAYER_GAP, progress=progress, cancel=cancel)
    return Picture(display, layout, prepared.style, note, prepared=prepared)


def _checker(cancel):
    if cancel is None:
        return None

    def check() -> None:
        if cancel():
            raise LayoutCancelled("layout cancelled")
    return check


def build_picture(graph: AutogradGraph, trace: BackwardTrace | None,
                  options: PictureOptions = PictureOptions()) -> Picture:
    return lay_out(prepare(graph, trace, options), options)
