"""Export the picture as PNG (any scale, on the canvas colour or transparent), SVG and PDF (vector, real text), DOT.

Files are written atomically (``write_atomically``): into a temporary file beside the target,
checked (an SVG parses, a PDF ends with ``%%EOF``, a PNG is whole, a DOT has every byte), synced,
then renamed; so a failed export, a full disk included, never replaces a good file nor leaves one.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from collections.abc import Mapping
from typing import Callable, Iterator

from PySide6.QtCore import QMarginsF, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter, QPdfWriter
from PySide6.QtSvg import QSvgGenerator

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.graph_view.dot_export import display_to_dot
from nla_explorer.graph_view.layout.model import Layout
from nla_explorer.graph_view.layout.nested import Frame
from nla_explorer.graph_view.model import DisplayGraph
from nla_explorer.engine.sessions.atomic import (
    WriteCheckError, check_pdf, check_png, check_size, check_svg, clean_stale_temps,
    write_atomically,
)
from nla_explorer.engine.autograd.stepper import StepView
from nla_explorer.graph_view.scene import GraphScene
from nla_explorer.graph_view.step_overlay import StepOverlay

FORMATS = (".png", ".svg", ".pdf", ".dot")
#: A PNG is scaled down to at most this many pixels (64 MP); SVG and PDF have no such limit.
PNG_MAX_PIXELS = 64_000_000
PNG_QUALITY = 70  # Qt's PNG quality: zlib effort; 70 writes ~30 % faster than the default


class ExportError(Exception):
    """A clear message: unknown format, unwritable path, picture too large."""


def check_target(path: str | os.PathLike) -> Path:
    """The target path if its format is known and its folder writable, else :class:`ExportError`."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ExportError(f"cannot export to '{path.name}': the extension must be one of "
                          f"{', '.join(FORMATS)}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ExportError(f"cannot write {path}: the folder {folder} is not writable")
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder")
    return path


def export_graph(path: str | os.PathLike, display: DisplayGraph, layout: Layout,
                 style: ViewStyle | None = None, scale: float = 1.0,
                 transparent: bool = False, step: StepView | None = None,
                 frames: Mapping[str, tuple[Frame, str]] | None = None) -> Path:
    """Write the picture of ``display`` placed by ``layout`` (measured in ``style``, default
    light at 11 pt) to ``path`` (format from the suffix); with ``step``, as it looks at that
    step of the backward pass; ``frames``: the open module groups (DOT: clusters)."""
    path = check_target(path)
    suffix = path.suffix.lower()
    if not 0.05 <= scale <= 20:
        raise ExportError(f"the scale {scale} is out of range (0.05 to 20)")
    if suffix == ".dot":
        data = display_to_dot(display, layout, frames).encode("utf-8")
        return write_checked(path, lambda tmp: tmp.write_bytes(data), check_size(len(data)))
    style = style or ViewStyle.light()
    scene = GraphScene(view_style=style)
    overlay = StepOverlay(scene)
    scene.show_graph(display, layout, style, frames)
    if step is not None:
        overlay.apply(step)
    return export_scene(path, scene, scale, transparent)


def export_scene(path: str | os.PathLike, scene: GraphScene, scale: float = 1.0,
                 transparent: bool = False) -> Path:
    """Render an existing scene (what the window shows) to PNG, SVG or PDF."""
    path = check_target(path)
    suffix = path.suffix.lower()
    if suffix == ".dot":
        raise ExportError("DOT export needs the graph, not a rendered scene")
    source = scene.sceneRect()
    with exporting(scene):
        writer, check = {".png": (_png, check_png), ".svg": (_svg, check_svg),
                         ".pdf": (_pdf, check_pdf)}[suffix]
        return write_checked(path, lambda tmp: writer(str(tmp), scene, source, scale,
                                                      transparent), check)


@contextlib.contextmanager
def exporting(scene: GraphScene) -> Iterator[GraphScene]:
    """``scene`` ready to be drawn into a file: no selection, no item caches (vector output)."""
    selected = scene.selected_id()
    scene.select(None)  # the exported picture shows no selection
    scene.set_caching(False)
    try:
        yield scene
    finally:
        scene.set_caching(True)
        scene.select(selected)


def png_size(source: QRectF, scale: float) -> QSize:
    """The PNG's size: ``scale`` × the picture, reduced to fit ``PNG_MAX_PIXELS``."""
    area = max(1.0, source.width() * source.height())
    scale = min(scale, (PNG_MAX_PIXELS / area) ** 0.5)
    return QSize(max(1, round(source.width() * scale)), max(1, round(source.height() * scale)))


def _png(tmp: str, scene: GraphScene, source: QRectF, scale: float, transparent: bool) -> None:
    size = png_size(source, scale)
    image = QImage(size, QImage.Format_ARGB32_Premultiplied)
    image.fill(Qt.transparent if transparent else scene.view_style.colour("canvas"))
    painter = QPainter(image)
    painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
    scene.render(painter, QRectF(0, 0, size.width(), size.height()), source)
    painter.end()
    if not image.save(tmp, "PNG", PNG_QUALITY):
        raise WriteCheckError(errno.EIO, "the PNG could not be written")


def _svg(tmp: str, scene: GraphScene, source: QRectF, scale: float, transparent: bool) -> None:
    generator = QSvgGenerator()
    generator.setFileName(tmp)
    generator.setSize(QSize(round(source.width()), round(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle("autograd graph")
    generator.setDescription("exported by NLA Explorer")
    painter = begin_painter(generator, "SVG")
    if not transparent:
        painter.fillRect(QRectF(0, 0, source.width(), source.height()),
                         scene.view_style.colour("canvas"))
    scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
    if not painter.end():
        raise WriteCheckError(errno.EIO, "the SVG could not be written")


def _pdf(tmp: str, scene: GraphScene, source: QRectF, scale: float, transparent: bool) -> None:
    writer = QPdfWriter(tmp)
    writer.setResolution(96)
    writer.setTitle("autograd graph")
    writer.setCreator("NLA Explorer")
    page = QPageSize(QSizeF(source.width() * 0.75, source.height() * 0.75), QPageSize.Point,
                     "graph", QPageSize.ExactMatch)
    writer.setPageLayout(QPageLayout(page, QPageLayout.Portrait, QMarginsF(0, 0, 0, 0)))
    painter = begin_painter(writer, "PDF")
    target = QRectF(0, 0, writer.width(), writer.height())
    scene.render(painter, target, source)
    if not painter.end():
        raise WriteCheckError(errno.EIO, "the PDF could not be written")


def begin_painter(device, kind: str) -> QPainter:
    """A painter on ``device``; :class:`WriteCheckError` if it cannot start (a bad file)."""
    painter = QPainter()
    if not painter.begin(device):
        raise WriteCheckError(errno.EIO, f"the {kind} could not be started")
    return painter


def write_checked(path: Path, write: Callable[[Path], None],
                  check: Callable[[Path], None]) -> Path:
    """Write through ``write_atomically``; a failure (a full disk too) is an ExportError."""
    clean_stale_temps(path.parent if str(path.parent) else Path("."))  # of a killed export
    try:
        return write_atomically(path, write, check)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
