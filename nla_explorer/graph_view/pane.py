"""The graph pane: the autograd graph of the document, drawn, stepped through and selected in.

It owns the scene, the view, the step overlay, the picture builder and the picture on screen, and
maps the boxes to the autograd nodes they show (a box shows one node, a group of nodes, a constant
saved by a node, or one use of a shared leaf). It listens to the document (graph, step, selection,
error) and turns the user's gestures on the scene into document calls; the scene only paints and
reports, and never writes into the document. Progress and summaries go out as signals for the
window's status bar.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import gc
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from nla_explorer.document import Document
from nla_explorer.engine.autograd.gc_pause import LONG_LIVED_OVER, paused_gc
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.graph_view.export import export_graph, export_scene
from nla_explorer.graph_view.group_menu import GroupMenu
from nla_explorer.graph_view.groups.fold_window import every_call, gap_fold
from nla_explorer.graph_view.groups.plan import path_to
from nla_explorer.graph_view.groups.search import find_box
from nla_explorer.graph_view.picture import Picture, PictureOptions, completed
from nla_explorer.graph_view.picture_builder import PictureBuilder
from nla_explorer.graph_view.scene import GraphScene
from nla_explorer.graph_view.stale_banner import StaleBanner
from nla_explorer.graph_view.step_overlay import StepOverlay
from nla_explorer.graph_view.view import LEGIBLE_PX, MAX_FIT_ZOOM, PRESENTATION_PX, GraphView


class GraphPane(QWidget):
    """The view of ``document``'s graph, drawn with ``options`` (layout engine, constants,
    collapse, style); the window places it and wires its menus and toolbar to
    :meth:`set_options`, :meth:`find_next`, :meth:`zoom_by`, :meth:`fit` and the exports."""

    build_started = Signal(str)  # a big picture is laid out in the background: what is done
    build_progressed = Signal(int)  # percent
    build_failed = Signal(str)
    picture_shown = Signal(str)  # a new picture is on screen: a summary line
    zoom_changed = Signal(float)

    def __init__(self, document: Document, options: PictureOptions = PictureOptions(),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.options = options
        self.picture: Picture | None = None
        self.scene = GraphScene(self, options.style)
        self.view = GraphView(self.scene)
        self.builder = PictureBuilder(self.scene, self)
        self.overlay = StepOverlay(self.scene)
        self.group_menu = GroupMenu(self)
        self._gc_frozen = False
        self._opened: frozenset[str] | None = None  # the groups the user opened (None: depth's)
        self._opened_for: object = None  # the modules of the graph they belong to
        self._pending_box: str | None = None  # a box found inside closed groups: shown next
        self._last_found: str | None = None
        self._regrouping: str | None = None  # the group opened or closed: shown where it is
        self._anchor = None  # (box, its offset from the view's centre) kept when grads arrive
        self.banner = StaleBanner(options.style)  # the graph is not the code's: why
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.view)
        self.setFocusProxy(self.view)
        document.graph_changed.connect(self.relayout)
        document.gradients_changed.connect(self._gradients_arrived)
        document.step_changed.connect(self._show_step)
        document.selection_changed.connect(self._show_selection)
        document.error_changed.connect(self._show_error)
        document.blocks_changed.connect(self._show_stale)
        self.scene.node_selected.connect(self._box_selected)
        self.scene.group_toggled.connect(self.toggle_group)
        self.builder.started.connect(self.build_started)
        self.builder.progressed.connect(self.build_progressed)
        self.builder.finished.connect(self._picture_shown)
        self.builder.failed.connect(self.build_failed)
        self.view.zoom_changed.connect(self.zoom_changed)
        self.view.zoom_changed.connect(self.overlay.set_zoom)  # the step's labels stay legible

    # -- what to draw, and how -----------------------------------------------------------------
    @property
    def view_style(self) -> ViewStyle:
        return self.options.style

    def set_options(self, options: PictureOptions) -> None:
        """Draw with ``options``: new colours repaint the picture in place; another layout
        engine, constants, collapse, font size or precision draw it again."""
        if options == self.options:
            return
        old, self.options = self.options, options
        style = options.style
        self.view.set_view_style(style)
        self.banner.set_view_style(style)
        layout_kept = replace(old, style=style) == options and style.same_layout(old.style)
        repaint = layout_kept and not self.builder.busy()
        if (old.group_depth, old.fold, old.groups) != (options.group_depth, options.fold,
                                                       options.groups):
            self._opened = None  # another depth: its own groups open
        if repaint or self.scene.display is None:
            self.scene.set_view_style(style)
        if repaint:
            self._show_step(self.document.step)  # the lit edges and labels in the new colours
        else:
            self.relayout()

    def relayout(self) -> None:
        """Draw the document's graph again (big graphs in the background: see PictureBuilder)."""
        doc = self.document
        if doc.graph is not None:
            modules = frozenset(m.path for m in doc.graph.modules) or doc.graph
            if self._opened_for != modules:  # another model: its own groups open
                self._opened, self._opened_for = None, modules
            self.builder.build(doc.graph, doc.trace, self.options, self._opened)

    def busy(self) -> bool:
        return self.builder.busy()

    def cancel(self) -> None:
        self.builder.cancel()

    def _picture_shown(self, picture: Picture) -> None:
        with paused_gc():  # the first look at 100,000 fresh items: no full collection midway
            self._first_look(picture)
        whole = picture.prepared.full if picture.prepared is not None else None
        if len(whole or picture.display) >= LONG_LIVED_OVER and not self._gc_frozen:
            gc.freeze()  # keep the collector off the picture's objects while it is shown
            self._gc_frozen = True

    def _first_look(self, picture: Picture) -> None:
        self.picture = picture
        self.overlay.tree = picture.tree
        doc = self.document
        self._show_step(doc.step)
        self._show_selection(doc.selected)  # a relayout keeps what the document selects
        pending, self._pending_box = self._pending_box, None
        if pending is not None and pending in self.scene.node_items:
            self._select_box(pending)
        elif self._regrouping:
            self._show_group(self._regrouping)
        elif self._anchor is not None and self._anchor[0] in picture.layout.positions:
            box, (dx, dy) = self._anchor
            x, y = picture.layout.positions[box]
            self.view.centerOn(x - dx, y - dy)
        else:
            output = picture.display.node_for_graph_id(doc.graph.output_id)
            self.view.show_start(output.id if output is not None else None)
        self._regrouping = self._anchor = None
        graph, trace = doc.graph, doc.trace
        steps = (f"{len(trace):,} backward steps" if trace is not None else
                 "gradients being computed…" if doc.gradients_pending else "no gradients")
        parts = [f"{len(graph):,} autograd nodes", f"{len(graph.edges):,} edges", steps,
                 f"layout: {picture.layout.engine}"]
        if picture.tree:
            parts.append(f"{len(picture.tree):,} groups, {len(picture.opened):,} open")
        if picture.note:
            parts.append(picture.note)
        self.picture_shown.emit(" · ".join(parts))

    # -- boxes and autograd nodes --------------------------------------------------------------
    def _gradients_arrived(self) -> None:
        """A big graph's gradients (and saved values), read after it was drawn: its boxes gain
        their gradient lines where they are (a grouped picture measures and lays out only the
        boxes shown), the saved constants join their groups (also when the trace failed)."""
        doc, picture = self.document, self.picture
        drawn = picture.prepared.graph if picture is not None and picture.prepared else None
        if doc.graph is None or doc.trace is None and drawn is doc.graph:
            return  # the backward pass failed: the document reports it, the picture stays
        self._anchor = self._box_near_center()
        if picture is None or picture.tree is None or self.builder.busy():
            self.relayout()
            return
        prepared = picture.prepared
        if doc.trace is not None:
            prepared = replace(prepared, grad_of=doc.trace.node_grad)
        if drawn is not doc.graph:  # its saved values, read after it was drawn
            prepared = completed(prepared, doc.graph, doc.trace, self.options)
        self.builder.regroup(replace(picture, prepared=prepared), picture.opened, self.options)

    def _box_near_center(self) -> tuple[str, tuple[float, float]] | None:
        """The box nearest the view's centre, and its offset from it (to keep it in place)."""
        if self.picture is None or not self.picture.layout.positions:
            return None
        c = self.view.mapToScene(self.view.viewport().rect().center())
        cx, cy = c.x(), c.y()
        box, (x, y) = min(self.picture.layout.positions.items(),
                          key=lambda item: (item[1][0] - cx) ** 2 + (item[1][1] - cy) ** 2)
        return box, (x - cx, y - cy)

    def box_of(self, node_id: str | None) -> str | None:
        """The id of the box on screen showing autograd node ``node_id`` (None if none does)."""
        display = self.scene.display
        box = display.node_for_graph_id(node_id) if display and node_id is not None else None
        return box.id if box is not None else None

    def node_of(self, box_id: str | None) -> str | None:
        """The autograd node a box on screen stands for (a constant: the node that saved it)."""
        display = self.scene.display
        if display is None or box_id is None or box_id not in self.scene.node_items:
            return None
        return display.node(box_id).graph_id

    # -- the document in -----------------------------------------------------------------------
    def _show_selection(self, node_id: str | None) -> None:
        box = self.box_of(node_id)
        if self.scene.selected_id() != box:
            self.scene.select(box)

    def _show_step(self, index: int | None) -> None:
        doc = self.document
        if doc.graph is None or doc.trace is None or self.scene.display is None:
            return
        view = doc.step_view(index)
        self._hold_collector(view is not None)
        self.overlay.apply(view)
        if view is not None and view.current is not None:
            doc.select(view.current)
            self.view.follow(self.box_of(view.current))

    def _show_error(self, message: str) -> None:
        """The tensor an error is about (the document selects it): centred in the view."""
        box = self.box_of(self.document.error_node if message else None)
        if box is not None and not (self.view.fitted and self.view.in_view(box)):
            self.view.center_on_node(box)  # on screen in a Fit: the Fit stays (the banner)
        self._show_stale()

    def _show_stale(self) -> None:
        """The banner says why the graph is not the code's, and the graph fades behind it."""
        doc = self.document
        reason = (doc.error or doc.problem) if doc.graph is not None else ""
        self.banner.show_reason(reason)
        self.view.set_faded(bool(reason))

    def _hold_collector(self, stepping: bool) -> None:
        """While stepping, the graph, its trace and the picture are long-lived: collect once on
        entering step mode and freeze them, so that no full garbage collection (100–300 ms on a
        big graph) lands on a keypress; leaving step mode hands them back to the collector."""
        if stepping and not self._gc_frozen:
            gc.collect()
            gc.freeze()
            self._gc_frozen = True
        elif not stepping and self._gc_frozen:
            gc.unfreeze()
            self._gc_frozen = False

    # -- the user's gestures out ---------------------------------------------------------------
    def _box_selected(self, box_id: str | None) -> None:
        self.document.select(self.node_of(box_id))

    def find_next(self, text: str) -> str | None:
        """Select and centre the next box matching ``text`` (its name, op, shape or module path),
        opening the groups around it; its id, or None if none matches."""
        picture = self.picture
        if picture is None or not picture.tree:
            hit = self.scene.find(text, after=self.scene.selected_id())
            if hit is not None:
                self._select_box(hit)
            return hit
        hit = find_box(picture.prepared.full, picture.tree, text, self._last_found)
        if hit is None:
            return None
        self._last_found = hit
        needed = path_to(picture.tree, hit)
        if needed <= picture.opened:
            self._select_box(hit)
        else:
            self._pending_box = hit
            self._regroup(picture.opened | needed)
        return hit

    def _select_box(self, box: str) -> None:
        self.scene.select(box)  # the next search goes on from here (a copy of a shared leaf)
        self.document.select(self.node_of(box))
        self.view.center_on_node(box)

    # -- groups --------------------------------------------------------------------------------
    def toggle_group(self, group_id: str) -> None:
        """Open a closed group (and the groups around it), or close an open one (and those
        inside it)."""
        picture = self.picture
        fold = gap_fold(group_id)
        if picture is None or not picture.tree or (fold or group_id) not in picture.tree.groups:
            return
        tree, opened = picture.tree, set(picture.opened)
        if fold is not None:  # a gap of an open fold: every call shown, the first it hid here
            first = picture.prepared.shown.hidden_by(group_id)
            if first is not None:  # (a gap not on screen: nothing to show)
                self._regroup(frozenset(opened | {every_call(fold)}), first)
            return
        if group_id in opened:
            inside = {group_id, *tree.descendants(group_id)}
            opened -= inside | {every_call(g) for g in inside}
        else:
            opened |= set(tree.ancestors(group_id))
        self._regroup(frozenset(opened), group_id)

    def reset_groups(self) -> None:
        """The groups the options' depth opens, forgetting those opened or closed by hand."""
        if self._opened is not None:
            self._opened = None
            self.relayout()

    def open_groups(self, opened: frozenset[str]) -> None:
        """Show the picture with exactly the groups in ``opened`` open."""
        self._regroup(frozenset(opened))

    def _regroup(self, opened: frozenset[str], anchor: str = "") -> None:
        self._opened = opened
        self._regrouping = anchor
        self.builder.regroup(self.picture, opened, self.options)

    def _show_group(self, group_id: str) -> None:
        """After opening or closing ``group_id``: its box, or the top of its frame, in view."""
        frame = self.scene.frame_items.get(group_id)
        if frame is not None:
            self.view.ensureVisible(frame.header_rect(), 40, 40)
        elif group_id in self.scene.node_items:
            self.view.center_on_node(group_id)

    def zoom_by(self, factor: float) -> None:
        self.view.zoom_by(factor)

    def fit(self) -> None:
        """The whole graph, or the running step's neighbourhood where the whole is too small."""
        self.view.fit(self._focus_box())

    def set_presentation(self, on: bool) -> None:
        """Presentation mode: larger names after Fit, and small graphs magnified to the room."""
        self.view.min_label_px = PRESENTATION_PX if on else LEGIBLE_PX
        self.scene.set_min_label_px(self.view.min_label_px)
        self.view.max_fit_zoom = 2.5 if on else MAX_FIT_ZOOM
        self.view.minimap.set_presenting(on)

    def _focus_box(self) -> str | None:
        doc = self.document
        view = doc.step_view(doc.step) if doc.trace is not None else None
        current = view.current if view is not None else None
        return self.box_of(current if current is not None else
                           (doc.graph.output_id if doc.graph is not None else None))

    # -- export --------------------------------------------------------------------------------
    def export(self, path: str, scale: float = 2.0) -> Path:
        """The picture as shown (PNG, SVG, PDF) or as a graph (DOT); raises ExportError."""
        if path.lower().endswith(".dot"):
            picture = self.picture
            return export_graph(path, picture.display, picture.layout, picture.style,
                                frames=picture.frames_with_titles())
        with self._labels_at(scale):  # a step's labels at the file's scale, not the view's
            return export_scene(path, self.scene, scale=scale)

    def export_step(self, index: int, path: str, scale: float = 2.0) -> Path:
        """The picture at step ``index`` of the pass shown; :meth:`show_current_step` after."""
        with self._labels_at(scale):
            self.overlay.apply(self.document.step_view(index))
            return export_scene(path, self.scene, scale=scale)

    @contextmanager
    def _labels_at(self, scale: float) -> Iterator[None]:
        """The step overlay's labels drawn for ``scale`` inside, for the view's zoom after."""
        zoom = self.overlay.zoom
        self.overlay.set_zoom(scale)
        try:
            yield
        finally:
            self.overlay.set_zoom(zoom)

    def show_current_step(self) -> None:
        self._show_step(self.document.step)
