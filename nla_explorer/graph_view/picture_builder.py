"""Turn a captured graph into the scene's picture without freezing the window.

Small graphs are drawn at once. Big ones are prepared and laid out in a worker thread, then their
items are added to the scene a chunk per event-loop turn; both phases report progress and can be
cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, QTimer, Signal

from nla_explorer.engine.autograd.graph import AutogradGraph
from nla_explorer.engine.autograd.trace import BackwardTrace
from nla_explorer.graph_view.layout.model import LayoutError
from nla_explorer.graph_view.picture import (
    Picture, PictureOptions, Prepared, lay_out, prepare, reshow,
)
from nla_explorer.graph_view.scene import GraphScene
from nla_explorer.workers import Job

#: Graphs up to this many autograd nodes are drawn at once; bigger ones in the background.
SYNC_LAYOUT_LIMIT = 1500
#: Opening or closing a group redraws at once up to this many boxes: the levels that did not
#: change are laid out already and the boxes still shown are moved, not made again.
SYNC_REGROUP_LIMIT = 12_000


class PictureBuilder(QObject):
    """``started(message)``, ``progressed(percent)``, then ``finished(picture)`` or ``failed(msg)``."""

    started = Signal(str)
    progressed = Signal(int)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, scene: GraphScene, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self.job: Job | None = None
        self._building = None  # the scene build in progress (a generator)
        self._drawing: Picture | None = None  # the picture it draws

    def busy(self) -> bool:
        """A big picture is still being laid out or drawn."""
        return self.job is not None or self._building is not None

    def cancel(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
        self._building = self._drawing = None

    def build(self, graph: AutogradGraph, trace: BackwardTrace | None,
              options: PictureOptions, opened: frozenset[str] | None = None) -> None:
        """Draw ``graph``; with groups, those in ``opened`` open (default: the options' depth)."""
        self.cancel()
        if len(graph) <= SYNC_LAYOUT_LIMIT:
            self._now(lambda: prepare(graph, trace, options, opened), options)
            return
        self._later(lambda: prepare(graph, trace, options, opened), options,
                    f"Laying out {len(graph):,} autograd nodes…")

    def regroup(self, picture: Picture, opened: frozenset[str], options: PictureOptions) -> None:
        """Draw ``picture``'s graph again with the groups in ``opened`` open (the levels laid out
        before are reused)."""
        self.cancel()
        prepared = reshow(picture.prepared, opened)  # measures new boxes: GUI thread
        if len(prepared.display) <= SYNC_REGROUP_LIMIT:  # its levels mostly laid out already
            self._now(lambda: prepared, options, keep_boxes=True)
        else:
            self._later(lambda: prepared, options,
                        f"Laying out {len(prepared.display):,} boxes…")

    def _now(self, make: Callable[[], Prepared], options: PictureOptions,
             keep_boxes: bool = False) -> None:
        try:
            picture = lay_out(make(), options)
        except LayoutError as exc:
            self.failed.emit(f"layout failed: {exc}")
            return
        self.scene.show_graph(picture.display, picture.layout, picture.style,
                              picture.frames_with_titles(), picture.sizes, keep_boxes)
        self.finished.emit(picture)

    def _later(self, make: Callable[[], Prepared], options: PictureOptions,
               message: str) -> None:
        job = Job(lambda progress, cancel: lay_out(make(), options, progress, cancel),
                  cancelled_errors=(LayoutError,))
        job.progressed.connect(lambda f: self.progressed.emit(int(f * 80)))
        job.finished.connect(self._add_items)
        job.failed.connect(lambda m: self._end(f"layout failed: {m.splitlines()[0]}"))
        job.cancelled.connect(lambda: self._end(
            "layout cancelled — try View ▸ Collapse chains for a smaller picture"))
        self.job = job
        self.started.emit(message)
        job.start()

    def _end(self, message: str) -> None:
        self.job = None
        self.failed.emit(message)

    def _add_items(self, picture: Picture) -> None:
        """Add the items of a big picture a chunk per event-loop turn."""
        self.job = None
        self.started.emit(f"Drawing {len(picture.display):,} boxes…")
        steps = self.scene.build(picture.display, picture.layout, picture.style,
                                 frames=picture.frames_with_titles(), sizes=picture.sizes)
        self._building = steps
        self._drawing = picture
        self._next_chunk(steps)

    def _next_chunk(self, steps) -> None:
        """One chunk of the build ``steps``, then the next on the next turn (a method, not a
        closure calling itself: that cycle would hold the picture until a full collection)."""
        if self._building is not steps:
            return  # replaced or cancelled
        fraction = next(steps, None)
        if fraction is None:
            picture, self._building, self._drawing = self._drawing, None, None
            self.finished.emit(picture)
            return
        self.progressed.emit(80 + int(fraction * 20))
        QTimer.singleShot(0, partial(self._next_chunk, steps))
