"""How the block canvas frames its blocks: Fit at a legible zoom, zoom, and resizes that keep
the view (a mixin of :class:`~nla_explorer.panels.block_canvas.BlockCanvas`).

Fit shows every block when their op names stay legible (LEGIBLE_PX tall on screen), magnified up
to MAX_FIT_ZOOM for the back row; when they would not, it shows as much as fits at the legible zoom,
ending at the output. A fitted canvas fits again when resized (a workspace switch), unless the
resize comes from the editor around it (``view_held``: the parameters growing below).
"""

from __future__ import annotations

from contextlib import contextmanager

from PySide6.QtCore import QPointF, QRectF

from nla_explorer.panels.block_items import BlockItem, BlockLook

MIN_ZOOM, MAX_ZOOM = 0.1, 4.0
MAX_FIT_ZOOM = 1.5  # Fit magnifies a small expression up to this, for the back row
LEGIBLE_PX = 12.0  # the least height on screen of a block's op name after Fit
FIT_MARGIN = 12.0  # scene units of canvas kept around the blocks by Fit


class CanvasFraming:
    """Framing of :class:`~nla_explorer.panels.block_canvas.BlockCanvas` (a QGraphicsView with
    ``_items``, ``_expr``, ``_fitted`` and ``view_style``)."""

    # -- what is on screen ---------------------------------------------------------------------
    def visible_centre(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    def visible_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()

    # -- legibility ------------------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def label_px(self, zoom: float | None = None) -> float:
        """The height on screen, in pixels, of a block's op name at ``zoom`` (now: None)."""
        probe = BlockItem(BlockLook("", "", "op"), self.view_style)
        return probe.op_label_px(self.zoom() if zoom is None else zoom)

    def legible_zoom(self) -> float:
        """The smallest zoom at which op names are LEGIBLE_PX tall on screen."""
        return LEGIBLE_PX / max(self.label_px(1.0), 1e-6) * 1.0001

    def fit(self, focus: str | None = None) -> None:
        """Show every block if op names stay legible (magnified up to MAX_FIT_ZOOM); else, at
        the legible zoom, as much as fits ending at the block ``focus`` (default: the output) at
        the bottom, since what feeds it lies above. A fitted canvas fits again when resized."""
        m = FIT_MARGIN
        rect = self.scene().itemsBoundingRect().adjusted(-m, -m, m, m)
        if rect.isEmpty() or not self._items:
            return
        self.resetTransform()
        port = self.viewport().rect()
        whole = min(port.width() / rect.width(), port.height() / rect.height())
        zoom = min(MAX_FIT_ZOOM, max(whole, self.legible_zoom()))
        self.scale(zoom, zoom)
        self._fitted = (focus,)
        if whole >= zoom:
            self.centerOn(rect.center())
            return
        out = self._expr.output_block()
        focus = focus or (out.id if out is not None else None)
        end = self._items[focus].sceneBoundingRect() if focus in self._items else rect
        half_w, half_h = port.width() / (2 * zoom), port.height() / (2 * zoom)
        x = min(max(end.center().x(), rect.left() + half_w), rect.right() - half_w) \
            if rect.width() > 2 * half_w else rect.center().x()
        y = max(min(end.bottom() + m - half_h, rect.bottom() - half_h), rect.top() + half_h) \
            if rect.height() > 2 * half_h else rect.center().y()
        self.centerOn(QPointF(x, y))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._fitted is not None:  # shown or resized (a workspace switch): framed again
            self.fit(*self._fitted)

    @contextmanager
    def view_held(self):
        """Resized inside: the blocks keep their place on screen (top-left corner kept, not
        fitted again), and the selected ones stay in sight."""
        fitted, self._fitted = self._fitted, None
        corner = self.mapToScene(0, 0)
        try:
            yield
        finally:
            half = self.viewport().rect().center()
            self.centerOn(corner + QPointF(half.x(), half.y()) / max(self.zoom(), 1e-6))
            for item in self.scene().selectedItems():
                self.ensureVisible(item, 8, 8)
            self._fitted = fitted

    def zoom_by(self, factor: float) -> None:
        self._fitted = None  # the user's zoom: kept when the canvas is resized
        zoom = self.zoom()
        factor = min(MAX_ZOOM, max(MIN_ZOOM, zoom * factor)) / zoom
        self.scale(factor, factor)

