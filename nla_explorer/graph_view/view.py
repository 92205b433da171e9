"""The graph view: zoom (wheel, pinch, keys), pan (drag), fit, and keyboard focus for the stepper."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGestureEvent, QGraphicsView, QPinchGesture

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.drawing.zoom import WHEEL_STEP, zoom_keys
from nla_explorer.graph_view.scene import GraphScene

MIN_ZOOM, MAX_ZOOM = 0.02, 8.0


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

    def set_view_style(self, style: ViewStyle) -> None:
        """The canvas colour (the scene repaints its items)."""
        self.setBackgroundBrush(style.colour("canvas"))

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        factor = min(MAX_ZOOM, max(MIN_ZOOM, factor))
        current = self.zoom()
        if current > 0:
            self.scale(factor / current, factor / current)
        self.zoom_changed.emit(self.zoom())

    def zoom_by(self, factor: float) -> None:
        self.set_zoom(self.zoom() * factor)

    def fit(self) -> None:
        """Show the whole graph (never magnified beyond 100 %)."""
        scene = self.scene()
        rect: QRectF = scene.sceneRect() if scene is not None else QRectF()
        if rect.isEmpty():
            return
        self.resetTransform()
        self.fitInView(rect, Qt.KeepAspectRatio)
        if self.zoom() > 1.0:
            self.set_zoom(1.0)
            self.centerOn(rect.center())
        self.zoom_changed.emit(self.zoom())

    def show_start(self, node_id: str | None, readable_zoom: float = 0.6) -> None:
        """The first view of a new graph: all of it if that stays readable, else the output
        (``node_id``) at a readable zoom — a 15,000-node RNN fitted whole is a thin line."""
        self.fit()
        if self.zoom() >= 0.25 or node_id is None:
            return
        self.set_zoom(readable_zoom)
        self.center_on_node(node_id)

    def center_on_node(self, node_id: str) -> None:
        item = self.scene().node_items.get(node_id)
        if item is not None:
            if self.zoom() < 0.6:
                self.set_zoom(0.8)
            self.centerOn(item)

    # -- input -----------------------------------------------------------------------------------
    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(WHEEL_STEP ** steps)
        event.accept()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not zoom_keys(self, event):
            super().keyPressEvent(event)

    def viewportEvent(self, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Gesture and isinstance(event, QGestureEvent):
            pinch = event.gesture(Qt.PinchGesture)
            if isinstance(pinch, QPinchGesture):
                self.zoom_by(pinch.scaleFactor())
                return True
        return super().viewportEvent(event)
