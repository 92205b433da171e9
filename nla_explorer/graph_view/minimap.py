"""Reduced pictures of a whole graph scene: the overview and the minimap.

:class:`SceneOverview` renders the scene once, tile by tile, at a small scale and keeps it: a
view of a big graph zoomed far out draws those tiles instead of 100,000 boxes (each box painted
in Python costs about 10 µs: a second per frame), and the minimap draws them reduced further.
A tile is rendered again only when an item in it repaints (a step, a selection, a theme).

:class:`Minimap` is a small map in the bottom-right corner of a graph view: the whole scene and
a rectangle for the part on screen; a click or a drag there centres the view on that point.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QObject, QPoint, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPen, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsScene, QWidget

#: The overview is at most this many pixels (4 bytes each) and never finer than OVERVIEW_ZOOM
#: pixels per scene unit (boxes there are a few pixels: plain rectangles).
OVERVIEW_PIXELS = 8_000_000
OVERVIEW_ZOOM = 0.05
TILE_PX = 256
#: More changed rectangles than this at once (a new picture, a theme): drop every tile.
MANY_CHANGES = 256
#: The minimap's largest size (pixels), its smallest side, and its distance from the corner.
MAP_W, MAP_H, MAP_MIN_SIDE, MAP_MARGIN = 200, 140, 36, 10
#: The minimap's picture is made again at most this often (ms) while the scene changes, and
#: renders tiles for at most RENDER_SLICE_S per event-loop turn (a big graph takes many turns:
#: each delays a frame by at most that much).
MAP_THROTTLE_MS = 250
RENDER_SLICE_S = 0.015


class SceneOverview(QObject):
    """``scene`` rendered at ``scale`` pixels per scene unit in tiles, each kept until an item in
    it repaints; halved copies of a tile (made when asked for) draw it smaller without
    aliasing. ``updated``: tiles were dropped or the scene rect changed (the picture may differ);
    ``tile_renders`` counts the tiles rendered."""

    updated = Signal()

    def __init__(self, scene: QGraphicsScene, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scene = scene
        self._tiles: dict[tuple[int, int], list[QImage]] = {}  # (col, row) → image, halvings
        self.tile_renders = 0
        self.scale = 0.0
        self._reset()
        scene.changed.connect(self._scene_changed)
        scene.sceneRectChanged.connect(self._reset)
        scene.changed_picture.connect(self._reset)

    # -- geometry --------------------------------------------------------------------------------
    def _reset(self, *_) -> None:
        """A new scene rect (or picture): a new scale and grid, no tiles."""
        rect = self._scene.sceneRect()
        self.rect = QRectF(rect)
        self._tiles.clear()
        if rect.isEmpty():
            self.scale, self._cols, self._rows = 0.0, 0, 0
        else:
            fine = min(OVERVIEW_ZOOM, math.sqrt(OVERVIEW_PIXELS / (rect.width() * rect.height())))
            self.scale = max(fine, map_scale(rect))  # never coarser than the minimap draws it
            # a thin scene gets thin tiles: no pixels beside it
            self._tile_px = QSize(min(TILE_PX, math.ceil(rect.width() * self.scale)),
                                  min(TILE_PX, math.ceil(rect.height() * self.scale)))
            self._cols = math.ceil(rect.width() * self.scale / self._tile_px.width())
            self._rows = math.ceil(rect.height() * self.scale / self._tile_px.height())
        self.updated.emit()

    def tile_count(self) -> int:
        return self._cols * self._rows

    def _tile_rect(self, key: tuple[int, int]) -> QRectF:
        w, h = self._tile_px.width() / self.scale, self._tile_px.height() / self.scale
        return QRectF(self.rect.left() + key[0] * w, self.rect.top() + key[1] * h, w, h)

    def _keys_in(self, rect: QRectF) -> list[tuple[int, int]]:
        if self.scale <= 0:
            return []
        w, h = self._tile_px.width() / self.scale, self._tile_px.height() / self.scale
        left = max(0, math.floor((rect.left() - self.rect.left()) / w))
        right = min(self._cols - 1, math.floor((rect.right() - self.rect.left()) / w))
        top = max(0, math.floor((rect.top() - self.rect.top()) / h))
        bottom = min(self._rows - 1, math.floor((rect.bottom() - self.rect.top()) / h))
        return [(c, r) for r in range(top, bottom + 1) for c in range(left, right + 1)]

    # -- keeping up with the scene -------------------------------------------------------------
    def _scene_changed(self, rects: list[QRectF]) -> None:
        seen = getattr(self._scene, "seen_changes", None)  # boxes just made look the same
        if seen is not None and rects:
            rects = seen(rects)
            if not rects:
                return
        if self._tiles:
            if len(rects) > MANY_CHANGES:
                self._tiles.clear()
            else:
                pad = 2.0 / self.scale  # antialiased edges reach a pixel beyond the item
                for rect in rects:
                    for key in self._keys_in(rect.adjusted(-pad, -pad, pad, pad)):
                        self._tiles.pop(key, None)
        self.updated.emit()

    def complete(self, rect: QRectF | None = None) -> bool:
        """Is every tile (over ``rect``, scene units) rendered?"""
        if rect is None:
            return len(self._tiles) == self.tile_count()
        return all(key in self._tiles for key in self._keys_in(rect))

    def render_some(self, budget_s: float = RENDER_SLICE_S) -> bool:
        """Render missing tiles for about ``budget_s`` seconds; True once all are there."""
        end = time.perf_counter() + budget_s
        for row in range(self._rows):
            for col in range(self._cols):
                if (col, row) not in self._tiles:
                    self._render((col, row))
                    if time.perf_counter() > end:
                        return self.complete()
        return True

    def _render(self, key: tuple[int, int]) -> list[QImage]:
        image = QImage(self._tile_px, QImage.Format_ARGB32_Premultiplied)
        image.fill(Qt.transparent)
        painter = QPainter(image)
        painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self._scene.render(painter, QRectF(image.rect()), self._tile_rect(key),
                           Qt.IgnoreAspectRatio)
        painter.end()
        self.tile_renders += 1
        levels = self._tiles[key] = [image]
        return levels

    def _image(self, key: tuple[int, int], level: int) -> QImage:
        levels = self._tiles.get(key) or self._render(key)
        while len(levels) <= level and max(levels[-1].width(), levels[-1].height()) > 1:
            last = levels[-1]
            levels.append(last.scaled(max(1, last.width() // 2), max(1, last.height() // 2),
                                      Qt.IgnoreAspectRatio, Qt.SmoothTransformation))
        return levels[min(level, len(levels) - 1)]

    # -- drawing ---------------------------------------------------------------------------------
    def paint(self, painter: QPainter, exposed: QRectF, budget_s: float | None = None) -> bool:
        """Draw the tiles over ``exposed`` (scene units) with ``painter``'s world transform (a
        scale and a shift), rendering missing ones for at most ``budget_s`` seconds (None: all);
        False if some were left out. Tile edges fall on whole pixels, so neighbouring tiles
        neither overlap nor leave a seam."""
        transform = painter.worldTransform()
        zoom = math.sqrt(abs(transform.determinant()))
        if self.scale <= 0 or zoom <= 0:
            return True
        level = max(0, math.floor(math.log2(self.scale / zoom) + 1e-9))
        end = None if budget_s is None else time.perf_counter() + budget_s
        drawn_all = True
        painter.save()
        painter.setWorldTransform(QTransform())
        painter.setRenderHint(QPainter.SmoothPixmapTransform, True)
        for key in self._keys_in(exposed):
            if key not in self._tiles and end is not None and time.perf_counter() > end:
                drawn_all = False  # the next frame renders it
                continue
            target = transform.mapRect(self._tile_rect(key))
            if target.width() >= 1 and target.height() >= 1:
                left, top = round(target.left()), round(target.top())
                snapped = QRect(QPoint(left, top), QSize(round(target.right()) - left,
                                                         round(target.bottom()) - top))
                painter.drawImage(snapped, self._image(key, level))
            else:  # less than a pixel: where it falls
                painter.drawImage(target, self._image(key, level))
        painter.restore()
        return drawn_all


def map_scale(scene_rect: QRectF) -> float:
    """Pixels per scene unit of the minimap of a scene of ``scene_rect``."""
    if scene_rect.isEmpty():
        return 0.0
    return min(MAP_W / scene_rect.width(), MAP_H / scene_rect.height())


class Minimap(QWidget):
    """The whole scene, reduced, and the part of it on screen, in a corner of ``view``'s
    viewport (``view``: a QGraphicsView), drawn from ``overview``. Shown while switched on and
    the scene does not fit on screen. ``pan_requested``: the scene point to centre on (a click
    or a drag); ``renders`` counts the times its picture was made."""

    pan_requested = Signal(QPointF)

    def __init__(self, view, overview: SceneOverview) -> None:
        # a child of the viewport: a widget over it from outside would cost the view its fast
        # scrolling (a blit of what stays on screen); scrolling moves children too, so the
        # view puts it back in its corner after each scroll (follow_view)
        super().__init__(view.viewport())
        self.setObjectName("minimap")
        self._view = view
        self._overview = overview
        self.switched_on = True
        self.presenting = False
        self.renders = 0
        self._pixmap: QPixmap | None = None
        self._stale = True
        self._view_rect = QRectF()
        self.setCursor(Qt.PointingHandCursor)
        self.setToolTip("The whole graph: click or drag to move the view")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._remake)
        overview.updated.connect(self._picture_changed)
        self.hide()

    # -- where it is, what it shows -------------------------------------------------------------
    def set_switched_on(self, on: bool) -> None:
        """Shown when needed (on), or never (off)."""
        self.switched_on = bool(on)
        self.follow_view()

    def set_presenting(self, on: bool) -> None:
        """Presentation mode: the room sees the graph and the step card, no minimap; leaving
        it brings back what the user chose."""
        self.presenting = bool(on)
        self.follow_view()

    def follow_view(self) -> None:
        """Take the view's visible area, size and place: show or hide as needed."""
        scene_rect = self._overview.rect
        visible = self._view.mapToScene(self._view.viewport().rect()).boundingRect()
        self._view_rect = visible
        slack = 1.0 / max(self._view.transform().m11(), 1e-9)  # a pixel's rounding
        fits = visible.adjusted(-slack, -slack, slack, slack).contains(scene_rect)
        wanted = (self.switched_on and not self.presenting and not scene_rect.isEmpty()
                  and not fits)
        if wanted:
            self._place()
            if self.isHidden():
                self.show()
                self.raise_()
            if self._stale and not self._timer.isActive():
                self._timer.start(0)  # first showing: make the picture at once
            self.update()
        elif not self.isHidden():
            self.hide()

    def _place(self) -> None:
        size = map_size(self._overview.rect)
        port = self._view.viewport().rect()
        self.setGeometry(QRect(port.right() - size.width() - MAP_MARGIN + 1,
                               port.bottom() - size.height() - MAP_MARGIN + 1,
                               size.width(), size.height()))

    def view_rect(self) -> QRectF:
        """The view's visible area (scene units) the map outlines."""
        return QRectF(self._view_rect)

    def scene_transform(self) -> QTransform:
        """Scene units → the map's pixels (the scene centred in the map)."""
        rect = self._overview.rect
        scale = map_scale(rect)
        dx = (self.width() - rect.width() * scale) / 2 - rect.left() * scale
        dy = (self.height() - rect.height() * scale) / 2 - rect.top() * scale
        return QTransform(scale, 0, 0, scale, dx, dy)

    def view_rect_px(self) -> QRectF:
        """The outline of the visible area in the map's pixels (within the scene's picture)."""
        transform = self.scene_transform()
        rect = transform.mapRect(self._view_rect)
        return rect.intersected(transform.mapRect(self._overview.rect))

    # -- the picture -----------------------------------------------------------------------------
    def _picture_changed(self) -> None:
        self._stale = True
        if self.isVisible() and not self._timer.isActive():
            self._timer.start(MAP_THROTTLE_MS)

    def _remake(self) -> None:
        """Render a slice of the missing tiles; once all are there, the map's picture."""
        if not self.isVisible():
            return  # made again when shown
        if not self._overview.render_some():
            self._timer.start(0)  # the rest on the next turns of the event loop
            return
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(self.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.transparent)
        painter = QPainter(pixmap)
        painter.setWorldTransform(self.scene_transform())
        self._overview.paint(painter, self._overview.rect)
        painter.end()
        self._pixmap, self._stale = pixmap, False
        self.renders += 1
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        palette = self.palette()
        back = QColor(palette.color(QPalette.Base))
        back.setAlpha(225)
        painter.setPen(QPen(palette.color(QPalette.Mid), 1.0))
        painter.setBrush(back)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        if self._pixmap is not None and self._pixmap.size() == self.size() * \
                self.devicePixelRatioF():
            painter.drawPixmap(0, 0, self._pixmap)
        outline = self.view_rect_px()
        if outline.isValid():
            centre = outline.center()  # never smaller than a few pixels: it must be found
            outline.setSize(outline.size().expandedTo(QSize(4, 4)))
            outline.moveCenter(centre)
            mark = palette.color(QPalette.Highlight)
            fill = QColor(mark)
            fill.setAlpha(50)
            painter.setPen(QPen(mark, 1.5))
            painter.setBrush(fill)
            painter.drawRect(outline)

    # -- moving the view -------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.LeftButton:
            self._pan_to(event.position())
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.buttons() & Qt.LeftButton:
            self._pan_to(event.position())
        event.accept()

    def _pan_to(self, pos: QPointF) -> None:
        inverse, ok = self.scene_transform().inverted()
        if ok:
            self.pan_requested.emit(inverse.map(QPointF(pos)))


def map_size(scene_rect: QRectF) -> QSize:
    """The minimap's size for a scene: the scene's shape within MAP_W×MAP_H, no side under
    MAP_MIN_SIDE (a long thin graph is a line in a small box)."""
    scale = map_scale(scene_rect)
    return QSize(max(MAP_MIN_SIDE, math.ceil(scene_rect.width() * scale) + 4),
                 max(MAP_MIN_SIDE, math.ceil(scene_rect.height() * scale) + 4))
