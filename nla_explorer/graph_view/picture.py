"""From a captured graph to a laid-out picture: display graph, optional collapse, box sizes, layout.

``prepare`` measures text (GUI thread); ``lay_out`` is pure computation and may run in a worker.
The window, the export command and the tests all go through here, so they draw the same picture.
"""

from __future__ import annotations

from dataclasses import dataclass

from nla_explorer.engine.autograd.graph import AutogradGraph
from nla_explorer.engine.autograd.trace import BackwardTrace
from nla_explorer.graph_view.collapse import collapse_chains
from nla_explorer.graph_view.layout.dot import dot_available
from nla_explorer.graph_view.layout.layered import auto_layout
from nla_explorer.graph_view.layout.model import Layout
from nla_explorer.graph_view.model import DisplayGraph, build_display_graph, split_shared
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
LAYER_GAP = 40.0


@dataclass(frozen=True)
class PictureOptions:
    """What to draw and how: the layout engine, constants, collapse, and the style (its font
    size and precision shape the boxes)."""

    engine: str = "auto"  # "auto" | "builtin" | "dot"
    show_constants: bool = True
    collapse: bool = False
    style: ViewStyle = ViewStyle()


@dataclass(frozen=True, eq=False)
class Picture:
    """A display graph placed by a layout, in the style it was measured with."""

    display: DisplayGraph
    layout: Layout
    style: ViewStyle
    note: str = ""  # e.g. "chains collapsed automatically"


@dataclass(frozen=True, eq=False)
class Prepared:
    display: DisplayGraph
    sizes: dict[str, tuple[float, float]]
    style: ViewStyle
    note: str


def prepare(graph: AutogradGraph, trace: BackwardTrace | None,
            options: PictureOptions) -> Prepared:
    """The boxes to draw and their sizes (needs Qt's font metrics: call on the GUI thread)."""
    style = options.style
    display = build_display_graph(graph, trace, show_constants=options.show_constants,
                                  precision=style.precision)
    note = ""
    if len(display) > SPLIT_SHARED_OVER:
        split = split_shared(display)
        if len(split) > len(display):
            note = "shared weights drawn beside each use"
        display = split
    if options.collapse or len(display) > AUTO_COLLAPSE_OVER:
        collapsed = collapse_chains(display)
        if not options.collapse and len(collapsed) < len(display):
            note = (f"{len(display):,} boxes: chains collapsed automatically to "
                    f"{len(collapsed):,}" + (f"; {note}" if note else ""))
        display = collapsed
    return Prepared(display, node_sizes(display, style.fonts), style, note)


def lay_out(prepared: Prepared, options: PictureOptions, progress=None, cancel=None) -> Picture:
    """Place the prepared boxes (pure computation: safe in a worker thread)."""
    display = prepared.display
    engine, note = options.engine, prepared.note
    if engine == "dot" and not dot_available():  # chosen, or set on a machine that had Graphviz
        engine = "builtin"
        note = "Graphviz 'dot' not found: built-in layout" + (f"; {note}" if note else "")
    layout = auto_layout([n.id for n in display.nodes], [(e.source, e.target) for e in display.edges],
                         prepared.sizes, engine=engine, dot_max_nodes=DOT_MAX_BOXES,
                         dot_timeout=DOT_TIMEOUT_S, node_sep=NODE_GAP,
                         layer_sep=LAYER_GAP, progress=progress, cancel=cancel)
    return Picture(display, layout, prepared.style, note)


def build_picture(graph: AutogradGraph, trace: BackwardTrace | None,
                  options: PictureOptions = PictureOptions()) -> Picture:
    return lay_out(prepare(graph, trace, options), options)
