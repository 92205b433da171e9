"""Slides: the graph at one step of a pass beside that step's card, 16:9, under a title.

One slide is a PNG, SVG or PDF; every step of a pass is one PDF of a page per step (or numbered
PNG/SVG files). A slide is 1280 × 720 logical pixels: a PDF page is 13.33 × 7.5 in, PowerPoint's
16:9, and a PNG is that times the scale. The graph is framed left of the card (around the running
node when the whole graph would be too small to read); the card is painted from the engine's
card data (slide_card.py). Every file is written atomically and checked (export.write_checked).
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter
from PySide6.QtSvg import QSvgGenerator

from nla_explorer.engine.autograd.forward_rules import ForwardCard, forward_card
from nla_explorer.engine.autograd.graph import AutogradGraph
from nla_explorer.engine.autograd.step_rules import StepCard, step_card
from nla_explorer.engine.autograd.stepper import (
    BACKWARD, FORWARD, StepView, forward_order, forward_view, step_view,
)
from nla_explorer.engine.autograd.trace import BackwardTrace
from nla_explorer.engine.sessions.atomic import WriteCheckError, check_pdf, check_png, check_svg
from nla_explorer.graph_view.export import (
    PNG_QUALITY, ExportError, begin_painter, check_target, exporting, png_size, write_checked,
)
from nla_explorer.graph_view.scene import GraphScene
from nla_explorer.graph_view.slide_card import CardColours, paint_card, slide_font
from nla_explorer.graph_view.step_overlay import StepOverlay

SLIDE_WIDTH, SLIDE_HEIGHT = 1280.0, 720.0
SLIDE_RECT = QRectF(0, 0, SLIDE_WIDTH, SLIDE_HEIGHT)
SLIDE_FORMATS = (".png", ".svg", ".pdf")
MARGIN = 36.0
TITLE_PIXELS = 32.0
CARD_WIDTH = 470.0  # the card's column; the graph has the rest
#: The graph is drawn at most this much larger than on screen (a tiny graph stays modest) …
MAX_GRAPH_ZOOM = 2.0
#: … and at least this large: a bigger graph is framed around the running node.
MIN_GRAPH_ZOOM = 0.45


class ExportCancelled(ExportError):
    """The user cancelled a multi-step export: nothing was written."""


@dataclass(frozen=True)
class Slide:
    """One page: a title, the card drawn beside the graph (None: the graph alone, full width) and
    the step the graph shows (None: the scene as it is)."""

    title: str
    card: StepCard | ForwardCard | None = None
    view: StepView | None = None


class StepSlides:
    """The slides of every step of one pass (backward or forward) of ``graph``, made on demand:
    ``len()`` steps, ``slides[k]`` the slide of step k (0-based), iteration in order."""

    def __init__(self, graph: AutogradGraph, trace: BackwardTrace, mode: str = BACKWARD,
                 title: str = "", cards: bool = True) -> None:
        if mode not in (BACKWARD, FORWARD):
            raise ValueError(f"unknown step mode {mode!r}")
        self.graph, self.trace, self.mode, self.title, self.cards = graph, trace, mode, title, \
            cards
        self.order = forward_order(graph, trace) if mode == FORWARD else ()

    def __len__(self) -> int:
        return len(self.order) if self.mode == FORWARD else len(self.trace.steps)

    def __getitem__(self, index: int) -> Slide:
        if not 0 <= index < len(self):
            raise IndexError(f"step {index + 1} is out of range: there are {len(self)} steps")
        graph, trace = self.graph, self.trace
        if self.mode == FORWARD:
            view = forward_view(graph, self.order, index)
            card = forward_card(graph, self.order, index) if self.cards else None
        else:
            view = step_view(graph, trace, index)
            card = step_card(graph, trace, index) if self.cards else None
        words = f"{self.mode} step {index + 1} of {len(self)}"
        title = f"{self.title} — {words}" if self.title else words[0].upper() + words[1:]
        return Slide(title, card, view)

    def __iter__(self) -> Iterator[Slide]:
        return (self[k] for k in range(len(self)))


# -- painting -------------------------------------------------------------------------------------
def graph_frame(scene: GraphScene, region: QRectF, current: str | None = None
                ) -> tuple[QRectF, QRectF]:
    """(source in the scene, target in ``region``): the whole picture, centred and at most
    ``MAX_GRAPH_ZOOM``; a picture that would be smaller than ``MIN_GRAPH_ZOOM`` is cut to the
    part around the box of autograd node ``current`` (when given)."""
    source = QRectF(scene.sceneRect())
    if source.isEmpty():
        return source, QRectF(region.center(), QSizeF(0, 0))
    zoom = min(region.width() / source.width(), region.height() / source.height(),
               MAX_GRAPH_ZOOM)
    box = _box_rect(scene, current)
    if zoom < MIN_GRAPH_ZOOM and box is not None:
        zoom = MIN_GRAPH_ZOOM
        size = QSizeF(min(source.width(), region.width() / zoom),
                      min(source.height(), region.height() / zoom))
        x = min(max(box.center().x() - size.width() / 2, source.left()),
                source.right() - size.width())
        y = min(max(box.center().y() - size.height() / 2, source.top()),
                source.bottom() - size.height())
        source = QRectF(QPointF(x, y), size)
    target = QRectF(0, 0, source.width() * zoom, source.height() * zoom)
    target.moveCenter(region.center())
    return source, target


def _box_rect(scene: GraphScene, node_id: str | None) -> QRectF | None:
    display = scene.display
    box = display.node_for_graph_id(node_id) if display is not None and node_id else None
    item = scene.node_items.get(box.id) if box is not None else None
    return item.sceneBoundingRect() if item is not None else None


def paint_slide(painter: QPainter, scene: GraphScene, slide: Slide,
                transparent: bool = False) -> None:
    """Paint ``slide`` in slide coordinates (``SLIDE_RECT``); the scene shows its step already."""
    style = scene.view_style
    colours = CardColours.of(style)
    painter.save()
    painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
    if not transparent:
        painter.fillRect(SLIDE_RECT, style.colour("canvas"))
    font = slide_font(TITLE_PIXELS, bold=True)
    painter.setFont(font)
    painter.setPen(QColor(colours.text))
    width = SLIDE_WIDTH - 2 * MARGIN
    title = painter.fontMetrics().elidedText(slide.title, Qt.ElideRight, round(width))
    painter.drawText(QPointF(MARGIN, MARGIN + painter.fontMetrics().ascent()), title)
    top = MARGIN + TITLE_PIXELS * 1.6
    body = QRectF(MARGIN, top, width, SLIDE_HEIGHT - top - MARGIN)
    region = QRectF(body)
    if slide.card is not None:
        region.setWidth(body.width() - CARD_WIDTH - MARGIN)
        card = QRectF(body.right() - CARD_WIDTH, body.top(), CARD_WIDTH, body.height())
        paint_card(painter, card, slide.card, style)
    current = slide.view.current if slide.view is not None else None
    source, target = graph_frame(scene, region, current)
    painter.setClipRect(region)
    scene.render(painter, target, source, Qt.IgnoreAspectRatio)  # the frame keeps it
    painter.restore()


def _show(overlay: StepOverlay, slide: Slide) -> None:
    if slide.view is not None:
        overlay.apply(slide.view)


# -- files ----------------------------------------------------------------------------------------
def check_slide_target(path: str | os.PathLike) -> Path:
    """``path`` if a slide can be written there (PNG, SVG or PDF), else :class:`ExportError`."""
    path = Path(path)
    if path.suffix.lower() not in SLIDE_FORMATS:
        raise ExportError(f"cannot write a slide to '{path.name}': the extension must be one "
                          f"of {', '.join(SLIDE_FORMATS)}")
    return check_target(path)


def export_slide(path: str | os.PathLike, scene: GraphScene, overlay: StepOverlay, slide: Slide,
                 scale: float = 2.0, transparent: bool = False) -> Path:
    """Write ``slide`` (the scene at its step) to a PNG (1280 × 720 × ``scale`` pixels), an SVG
    or a one-page PDF; ``transparent`` leaves PNG and SVG without a background."""
    path = check_slide_target(path)
    if not 0.05 <= scale <= 20:
        raise ExportError(f"the scale {scale} is out of range (0.05 to 20)")
    _show(overlay, slide)
    suffix = path.suffix.lower()
    with exporting(scene):
        if suffix == ".png":
            return write_checked(path, lambda tmp: _png(tmp, scene, slide, scale, transparent),
                                 check_png)
        if suffix == ".svg":
            return write_checked(path, lambda tmp: _svg(tmp, scene, slide, transparent),
                                 check_svg)
        return write_checked(path, lambda tmp: _pdf(tmp, scene, overlay, [slide]), check_pdf)


def export_slide_deck(path: str | os.PathLike, scene: GraphScene, overlay: StepOverlay,
                      slides: Iterable[Slide],
                      progress: Callable[[int], bool] | None = None) -> Path:
    """Write one PDF with a page per slide; ``progress(pages done)`` returning False cancels
    (:class:`ExportCancelled`, nothing written). The scene is left at the last slide's step."""
    path = check_slide_target(path)
    if path.suffix.lower() != ".pdf":
        raise ExportError(f"cannot write every step to '{path.name}' as one file: only a PDF "
                          "has pages (or write one PNG/SVG per step)")
    with exporting(scene):
        return write_checked(path, lambda tmp: _pdf(tmp, scene, overlay, slides, progress),
                             check_pdf)


def step_paths(path: str | os.PathLike, total: int) -> list[Path]:
    """``steps.png`` → ``steps_001.png`` … one name per step (at least three digits)."""
    path = Path(path)
    digits = max(3, len(str(total)))
    return [path.with_name(f"{path.stem}_{k:0{digits}d}{path.suffix}")
            for k in range(1, total + 1)]


def export_step_slides(path: str | os.PathLike, scene: GraphScene, overlay: StepOverlay,
                       slides: StepSlides | list[Slide], scale: float = 2.0,
                       transparent: bool = False,
                       progress: Callable[[int], bool] | None = None) -> list[Path]:
    """Every slide: one PDF of a page each (``path`` ends in .pdf), else one PNG or SVG each
    (``steps_001.png`` …, see :func:`step_paths`). A cancel (``progress`` False) stops after
    the files written so far (a PDF: none)."""
    path = check_slide_target(path)
    if not len(slides):
        raise ExportError("there are no steps to export")
    if path.suffix.lower() == ".pdf":
        return [export_slide_deck(path, scene, overlay, slides, progress)]
    written = []
    for k, (target, slide) in enumerate(zip(step_paths(path, len(slides)), slides)):
        if progress is not None and not progress(k):
            break
        written.append(export_slide(target, scene, overlay, slide, scale, transparent))
    if progress is not None:
        progress(len(written))
    return written


def _png(tmp: Path, scene: GraphScene, slide: Slide, scale: float, transparent: bool) -> None:
    size = png_size(SLIDE_RECT, scale)
    image = QImage(size, QImage.Format_ARGB32_Premultiplied)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.scale(size.width() / SLIDE_WIDTH, size.height() / SLIDE_HEIGHT)
    paint_slide(painter, scene, slide, transparent)
    painter.end()
    if not image.save(str(tmp), "PNG", PNG_QUALITY):
        raise WriteCheckError(errno.EIO, "the PNG could not be written")


def _svg(tmp: Path, scene: GraphScene, slide: Slide, transparent: bool) -> None:
    generator = QSvgGenerator()
    generator.setFileName(str(tmp))
    generator.setResolution(96)  # the screen's: the scene's point-sized text keeps its size
    generator.setSize(QSize(round(SLIDE_WIDTH), round(SLIDE_HEIGHT)))
    generator.setViewBox(SLIDE_RECT)
    generator.setTitle(slide.title)
    generator.setDescription("a slide exported by NLA Explorer")
    painter = begin_painter(generator, "SVG")
    paint_slide(painter, scene, slide, transparent)
    if not painter.end():
        raise WriteCheckError(errno.EIO, "the SVG could not be written")


def _pdf(tmp: Path, scene: GraphScene, overlay: StepOverlay, slides: Iterable[Slide],
         progress: Callable[[int], bool] | None = None) -> None:
    writer = QPdfWriter(str(tmp))
    writer.setResolution(96)
    writer.setCreator("NLA Explorer")
    page = QPageSize(QSizeF(SLIDE_WIDTH * 0.75, SLIDE_HEIGHT * 0.75), QPageSize.Point,
                     "slide", QPageSize.ExactMatch)
    writer.setPageLayout(QPageLayout(page, QPageLayout.Portrait, QMarginsF(0, 0, 0, 0)))
    painter = None
    done = 0
    try:
        for slide in slides:
            if progress is not None and not progress(done):
                raise ExportCancelled(f"cancelled after {done} pages: nothing was written")
            _show(overlay, slide)
            if painter is None:
                writer.setTitle(slide.title)
                painter = begin_painter(writer, "PDF")
                painter.scale(writer.width() / SLIDE_WIDTH, writer.height() / SLIDE_HEIGHT)
            elif not writer.newPage():
                raise WriteCheckError(errno.EIO, "a page could not be added to the PDF")
            paint_slide(painter, scene, slide)
            done += 1
    finally:
        if painter is not None and not painter.end():
            raise WriteCheckError(errno.EIO, "the PDF could not be written")
    if painter is None:
        raise ExportError("there are no steps to export")
    if progress is not None:
        progress(done)
