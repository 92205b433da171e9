"""The graph view: zoom (wheel, pinch, keys), pan (drag), fit, and keyboard focus for the stepper.

Zoomed out far on a big graph, the view draws the scene's overview (tiles rendered once) instead
of painting every box, and a minimap in the corner shows where the view is in a graph larger
than the screen.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGestureEvent, QGraphicsView, QPinchGesture

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.drawing.zoom import WHEEL_STEP, zoom_keys
from nla_explorer.graph_view.minimap import Minimap, SceneOverview
from nla_explorer.graph_view.scene import GraphScene

#: Zoom limits; zooming out also goes on until the whole graph fits.
MIN_ZOOM, MAX_ZOOM = 0.02, 8.0
#: Op names at least this tall on screen after Fit (presentation mode: PRESENTATION_PX).
LEGIBLE_PX, PRESENTATION_PX = 12.0, 16.0
#: Fit magnifies a small graph up to this, filling a big pane for the back row (presentation
#: mode: up to 2.5).
MAX_FIT_ZOOM = 1.5
#: Graphs with more boxes than this are drawn from the overview when zoomed out to its scale or
#: further (smaller graphs paint their boxes quickly, and exactly).
OVERVIEW_BOXES_OVER = 2000
#: How strongly the last good graph is washed out while the code has an error.
FADED_WASH = 0.55
#: A frame drawn from the overview renders missing tiles for at most this long (seconds).
OVERVIEW_FRAME_S = 0.03
#: Painting this many boxes or fewer not made yet, the view makes those around them too.
MAKE_AROUND_UP_TO = 500
#: Drawn from the overview, the boxes this near the pointer (pixels) are made before a mouse
#: event reaches the scene.
POINTER_REACH_PX = 4.0
_POINTER_EVENTS = (QEvent.MouseMove, QEvent.MouseButtonPress, QEvent.MouseButtonDblClick,
                   QEvent.ToolTip, QEvent.ContextMenu)


class GraphView(QGraphicsView):
    """A view of a :class:`GraphScene`; ``zoom_changed`` reports the scale (1.0 = 100 %)."""

    zoom_changed = Signal(float)

    def __init__(self, scene: GraphScene, parent=None) -> None:
        super().__init__(scene, parent)
        self.setObjectName("graph_view")
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.DontSavePainterState, True)
        self.set_view_style(scene.view_style)
        self.viewport().grabGesture(Qt.PinchGesture)
        self.setFocusPolicy(Qt.StrongFocus)
        self.min_label_px = LEGIBLE_PX  # presentation mode asks for more
        self.max_fit_zoom = MAX_FIT_ZOOM
        self._fitted: tuple[str | None] | None = None  # (focus,) while the view shows a Fit
        self._faded = False  # the last good graph, washed out: the code has an error
        self.overview = SceneOverview(scene, self)
        self.minimap = Minimap(self, self.overview)
        self.minimap.pan_requested.connect(self.pan_to)
        for bar in (self.horizontalScrollBar(), self.verticalScrollBar()):
            bar.valueChanged.connect(self._view_moved)
            bar.rangeChanged.connect(self._view_moved)
        scene.sceneRectChanged.connect(self._view_moved)
        self.zoom_changed.connect(self._view_moved)

    def set_minimap_enabled(self, on: bool) -> None:
        """Show the minimap while the graph is larger than the view (on), or never (off)."""
        self.minimap.set_switched_on(on)

    def pan_to(self, point: QPointF) -> None:
        """Centre the view on scene ``point`` (the minimap's click): the user's view from now."""
        self._fitted = None
        self.centerOn(point)

    def uses_overview(self) -> bool:
        """Is the view drawn from the scene's overview (a big graph, zoomed out far)?"""
        return (len(self.scene().node_items) > OVERVIEW_BOXES_OVER
                and 0 < self.zoom() <= self.overview.scale)

    def _view_moved(self, *_) -> None:
        self.minimap.follow_view()

    def set_view_style(self, style: ViewStyle) -> None:
        """The canvas colour (the scene repaints its items)."""
        self.setBackgroundBrush(style.colour("canvas"))

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        factor = min(MAX_ZOOM, max(min(MIN_ZOOM, self._whole_zoom()), factor))
        current = self.zoom()
        if current > 0:
            self.scale(factor / current, factor / current)
        self.zoom_changed.emit(self.zoom())

    def zoom_by(self, factor: float) -> None:
        self._fitted = None  # the user's zoom: a resize keeps it
        self.set_zoom(self.zoom() * factor)

    def _whole_zoom(self) -> float:
        """The zoom at which the whole scene fits in the viewport."""
        rect, port = self.sceneRect(), self.viewport().rect()
        if rect.isEmpty() or port.isEmpty():
            return MIN_ZOOM
        return min(port.width() / rect.width(), port.height() / rect.height())

    def label_px(self, zoom: float | None = None) -> float:
        """The height in screen pixels of the smallest box name at ``zoom`` (now: None): the
        title of a full box, or the large name a box shows when zoomed out."""
        zoom = self.zoom() if zoom is None else zoom
        if not self.scene().node_items:
            return self.scene().view_style.fonts.title_metrics.height() * zoom
        return self.scene().smallest_label_px(zoom)

    def legible_zoom(self) -> float:
        """The smallest zoom at which every box's name is ``min_label_px`` tall on screen."""
        zoom = self.scene().legible_zoom(self.min_label_px)
        if zoom <= 0:  # no boxes: the titles' size
            zoom = self.min_label_px / self.scene().view_style.fonts.title_metrics.height()
        return zoom * 1.0001  # not a hair below

    def fit(self, focus: str | None = None) -> None:
        """Show the whole graph if its op names stay legible there (never magnified beyond
        ``max_fit_zoom``); else the neighbourhood of box ``focus`` at the legible zoom."""
        scene = self.scene()
        rect: QRectF = scene.sceneRect() if scene is not None else QRectF()
        if rect.isEmpty():
            return
        self.resetTransform()
        self.fitInView(rect.adjusted(-8, -8, 8, 8), Qt.KeepAspectRatio)
        legible = self.legible_zoom()
        if self.zoom() > self.max_fit_zoom:
            self.set_zoom(self.max_fit_zoom)
            self.centerOn(rect.center())
        elif self.zoom() < legible:
            self.set_zoom(legible)
            item = scene.node_items.get(focus) if focus is not None else None
            self.centerOn(item if item is not None else rect.center())
        self._fitted = (focus,)  # a fitted view fits again when its size changes
        self.zoom_changed.emit(self.zoom())

    def follow(self, node_id: str | None) -> None:
        """Keep box ``node_id`` (the running step's) in view: scroll only when it is not."""
        item = self.scene().node_items.get(node_id) if node_id is not None else None
        if item is not None and not self.in_view(node_id):
            self.centerOn(item)

    def in_view(self, node_id: str) -> bool:
        """Whether box ``node_id`` is on screen, clear of the edges."""
        item = self.scene().node_items.get(node_id)
        if item is None:
            return False
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        margin = min(visible.width(), visible.height()) * 0.08
        return visible.adjusted(margin, margin, -margin, -margin).contains(
            item.sceneBoundingRect())

    def set_faded(self, faded: bool) -> None:
        """The picture washed towards the canvas colour: the last good graph while the code has
        an error (it is not the code's)."""
        if faded != self._faded:
            self._faded = faded
            self.viewport().update()

    def drawForeground(self, painter, rect) -> None:  # noqa: N802 - Qt override
        super().drawForeground(painter, rect)
        if self._faded:
            wash = QColor(self.backgroundBrush().color())
            wash.setAlphaF(FADED_WASH)
            painter.fillRect(rect, wash)

    @property
    def fitted(self) -> bool:
        """Whether the view shows a Fit (it fits again when its size changes)."""
        return self._fitted is not None

    def show_start(self, node_id: str | None) -> None:
        """The first view of a new graph: all of it if its names stay legible, else the output
        (``node_id``) at the legible zoom — a 15,000-node RNN fitted whole is a thin line."""
        self.fit(node_id)

    def center_on_node(self, node_id: str) -> None:
        item = self.scene().node_items.get(node_id)
        if item is not None:
            self._fitted = None
            legible = self.legible_zoom()  # a walk over every box: once
            if self.zoom() < legible:
                self.set_zoom(legible)
            self.centerOn(item)

    # -- painting --------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self.uses_overview():
            # a big scene's boxes are made when first shown: those in view, and when they are
            # few those half a screen around (a short scroll then finds them made)
            exposed = self.mapToScene(event.rect()).boundingRect()
            if 0 < self.scene().make_items_in(exposed) <= MAKE_AROUND_UP_TO:
                visible = self.mapToScene(self.viewport().rect()).boundingRect()
                dx, dy = visible.width() / 2, visible.height() / 2
                self.scene().make_items_in(visible.adjusted(-dx, -dy, dx, dy))
            super().paintEvent(event)
            return
        # what QGraphicsView.paintEvent does, with the overview's tiles in place of the items
        exposed = self.mapToScene(event.rect()).boundingRect()
        painter = QPainter(self.viewport())
        painter.setRenderHints(self.renderHints())
        painter.setWorldTransform(self.viewportTransform())
        self.drawBackground(painter, exposed)
        # a frame renders missing tiles for a while, the next ones the rest (a cold overview of
        # 100,000 boxes takes a second or two)
        complete = self.overview.paint(painter, exposed, OVERVIEW_FRAME_S)
        self.drawForeground(painter, exposed)
        painter.end()
        if not complete:
            QTimer.singleShot(0, self.viewport().update)

    # -- input -----------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.minimap.follow_view()
        if self._fitted is not None:  # a workspace switch, a new window size: still a Fit
            QTimer.singleShot(0, self, lambda: self._fitted is not None and self.fit(*self._fitted))

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._fitted = None  # a drag pans: the user's view from now on
        super().mousePressEvent(event)

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(WHEEL_STEP ** steps)
        event.accept()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not zoom_keys(self, event):
            super().keyPressEvent(event)

    def viewportEvent(self, event) -> bool:  # noqa: N802 - Qt override
        if event.type() in _POINTER_EVENTS and self.uses_overview():
            # drawn from the overview, the boxes under the pointer may not be made yet: make
            # them so they can be hovered, clicked and asked for their tooltip
            near = POINTER_REACH_PX / max(self.zoom(), 1e-9)
            pos = self.mapToScene(event.position().toPoint() if hasattr(event, "position")
                                  else event.pos())
            self.scene().make_items_in(QRectF(pos.x() - near, pos.y() - near, 2 * near,
                                              2 * near))
        if event.type() == QEvent.Gesture and isinstance(event, QGestureEvent):
            pinch = event.gesture(Qt.PinchGesture)
            if isinstance(pinch, QPinchGesture):
                self.zoom_by(pinch.scaleFactor())
                return True
        return super().viewportEvent(event)
