"""Graphics items: a node box (title, shape, value/gradient numbers or strips); edges are in
:mod:`edge_items` (imported from here too).

Items only paint and hold their state; the scene decides what is selected or highlighted. What a
box holds and what a zoom shows of it (its level of detail) is in :mod:`box_content`: zoomed out,
a box shows its name in large type instead of lines too small to read, and a plain rectangle
only when even that would be a few pixels tall.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QStyleOptionGraphicsItem

from nla_explorer.drawing.heatmap import strip_image
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.graph_view.box_content import (
    DEFAULT_LABEL_PX, FULL, NAME, STRIP_COLS, STRIP_ROLES, STRIP_ROWS, LabelSizes, detail_level,
    font, label_px, label_sizes, metrics, name_font, node_lines, strip_caption, strip_cell,
    strip_of, strip_side, strip_size,
)
from nla_explorer.graph_view.edge_items import EdgeBundleItem, EdgeItem
from nla_explorer.graph_view.kind_styles import KindStyle, box_style
from nla_explorer.graph_view.model import PARAMETER, DisplayNode

__all__ = ["BOUNDS_PEN_WIDTH", "EdgeBundleItem", "EdgeItem", "NodeItem", "box_paint", "paint_plain"]

#: The width of a box's invisible pen: its bounds reach half of it beyond the box, room for
#: the widest border (a running box's).
BOUNDS_PEN_WIDTH = 8.0
_BOUNDS_PEN = QPen(QColor(0, 0, 0, 0), BOUNDS_PEN_WIDTH)
_ROLE_COLOURS = {"title": "text", "sub": "muted", "value": "value", "grad": "grad",
                 "value_strip": "value", "grad_strip": "grad"}
#: SVG and PDF files are zoomed by their readers: their boxes are drawn in full at any scale.
#: Only widgets, pixmaps and images (QInternal's device types 1, 2, 3) show a level of detail:
#: the device's type is a plain int, cheaper to ask for than the engine's.
_RASTER = (1, 2, 3)
#: The border (a style colour) and its width of a box that is running, selected or lit.
_MARKS = {"current": ("step_current", 5.0), "selected": ("selected", 3.5),
          "input": ("input_highlight", 3.0), "consumer": ("consumer_highlight", 3.0)}
#: A plain box less tall than this on screen (pixels) is filled only: its border is a hair.
FILL_ONLY_PX = 2.0
#: A waiting box's text keeps full ink once its title is this tall on screen (readable).
INK_PX = 8.0
#: Shared border pens and fills: (id of the style, kind, mark, leaf) → (style, pen, brush);
#: the style is kept in the entry so its id stays its own.
_PAINTS: dict[tuple, tuple[ViewStyle, QPen, QBrush]] = {}


def box_paint(style: ViewStyle, kind: KindStyle, mark: str | None,
              leaf_grad: bool) -> tuple[QPen, QBrush]:
    """The border pen and fill of a box of ``kind`` with ``mark`` (running, selected, lit)
    in ``style``: made once for all the boxes that look alike (100,000 boxes, a few pens)."""
    key = (id(style), kind.fill, kind.border, kind.dashed, kind.border_width, mark, leaf_grad)
    entry = _PAINTS.get(key)
    if entry is None or entry[0] is not style:
        if len(_PAINTS) > 512:  # styles come and go with the theme and the font
            _PAINTS.clear()
        border, width = QColor(kind.border), kind.border_width
        if mark in _MARKS:
            role, width = _MARKS[mark]
            border = style.colour(role)
        pen = QPen(border, width)
        if kind.dashed or mark == "waiting":  # not reached yet: a dashed outline, not only paler
            pen.setStyle(Qt.DashLine)
        fill = style.leaf_grad_fill if leaf_grad else kind.fill
        entry = _PAINTS[key] = (style, pen, QBrush(QColor(fill)))
    return entry[1], entry[2]


def paint_plain(painter: QPainter, rect: QRectF, pen: QPen, brush: QBrush, zoom: float) -> None:
    """A box a few pixels tall at ``zoom``: a filled rectangle, with its border unless that
    would be a hair (the boxes of an overview, made or not, are drawn so)."""
    if zoom * rect.height() < FILL_ONLY_PX:
        painter.fillRect(rect, brush)
        return
    painter.setPen(pen)
    painter.setBrush(brush)
    painter.drawRect(rect)


class NodeItem(QGraphicsRectItem):
    """One box; ``highlight`` is ``None``, ``"input"`` or ``"consumer"`` (hover of a neighbour).

    A rect item, so Qt computes the bounding box in C++: indexing 100,000 boxes calls no Python.
    ``style`` gives the colours and fonts (``size`` was measured with its fonts).
    """

    def __init__(self, node: DisplayNode, size: tuple[float, float], style: ViewStyle,
                 cache: bool = True, min_label_px: float = DEFAULT_LABEL_PX) -> None:
        super().__init__()
        self.node = node
        self.view_style = style
        self.fonts = style.fonts
        w, h = size
        self._rect = QRectF(-w / 2, -h / 2, w, h)
        self.setRect(self._rect)
        self.setPen(_BOUNDS_PEN)  # invisible; its width keeps the selection border inside bounds
        self._lines: list[tuple[str, str]] | None = None  # worked out when first drawn in full
        self.min_label_px = min_label_px
        self._sizes: LabelSizes | None = None  # measured when first needed
        self._strips: dict[str, object] = {}  # role → the strip's image, made when first drawn
        self.highlight: str | None = None
        self.step_state: str | None = None  # "current" | "done" | "waiting" while stepping
        self.step_mode = "backward"
        self._outline_key: tuple | None = None  # what the cached pen and brush were made for
        self._outline_paint: tuple[QPen, QBrush] | None = None
        self.setFlag(QGraphicsItem.ItemIsSelectable, True)
        self.setAcceptHoverEvents(True)
        self._tip_set = False  # the tooltip is written when first asked for (see toolTip)
        self.setZValue(1)
        if cache:  # a pixmap per box: fast repaints, too costly for thousands of boxes
            self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)

    def toolTip(self) -> str:  # noqa: N802 - Qt's name
        """The box's tooltip, written when first asked for: of 100,000 boxes, the few hovered
        need one (the scene asks before Qt shows it)."""
        if not self._tip_set:
            self._tip_set = True
            self.setToolTip(self.node.tooltip)
        return super().toolTip()

    # -- what a zoom shows ---------------------------------------------------------------------
    def label_sizes(self) -> LabelSizes:
        """The type sizes of this box (its title, its large name) and its full-detail zoom."""
        if self._sizes is None:
            self._sizes = label_sizes(self.node, (self._rect.width(), self._rect.height()),
                                      self.fonts, self.min_label_px)
        return self._sizes

    def label_px(self, zoom: float) -> float:
        """How tall (view pixels) this box's name is drawn at ``zoom``."""
        return label_px(zoom, self.label_sizes())

    def detail_at(self, zoom: float) -> str:
        """``"full"``, ``"name"`` or ``"plain"``: what this box shows at ``zoom``."""
        return detail_level(zoom, self.label_sizes())

    def set_min_label_px(self, px: float) -> None:
        """Draw the full box only once its title is ``px`` tall on screen."""
        if px != self.min_label_px:
            self.min_label_px, self._sizes = px, None
            self.update()

    # -- state ---------------------------------------------------------------------------------
    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._report_hover(self.node.id)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._report_hover(None)

    def _report_hover(self, node_id: str | None) -> None:
        hover = getattr(self.scene(), "hover", None)  # the graph scene lights the neighbours
        if hover is not None:
            hover(node_id)

    def set_step_state(self, state: str | None, mode: str = "backward") -> None:
        """Stepping through a pass: waiting boxes fade and hide what they do not know yet (their
        gradient; in forward mode their value too), the running one is outlined, and a leaf whose
        gradient has been accumulated fills with the gradient colour."""
        if (state, mode) != (self.step_state, self.step_mode):
            self.step_state, self.step_mode = state, mode
            # the fade is painted into the box's caches: drop them all (update() renews the
            # view's, and the overview's tiles would keep painting the old box from theirs)
            cache = self.cacheMode()
            if cache != QGraphicsItem.NoCache:
                self.setCacheMode(QGraphicsItem.NoCache)
                self.setCacheMode(cache)
            self.update()

    def _title_colour(self) -> str:
        """A waiting box's name is grey (still 7:1 on its pale fill), a reached one's black."""
        return "muted" if self.step_state == "waiting" else "text"

    def fade(self) -> float:
        """How opaque the box's fill, border and pictures are: the style's waiting opacity
        while the pass has not reached it, else 1."""
        return self.view_style.waiting_opacity if self.step_state == "waiting" else 1.0

    def _unknown(self, role: str) -> bool:
        """Is this line's quantity still unknown at the step shown?"""
        if self.step_state is None:
            return False
        quantity = role.removesuffix("_strip")
        if self.step_mode == "forward":  # no gradient exists during the forward pass
            return quantity == "grad" or (quantity == "value" and self.step_state == "waiting")
        return quantity == "grad" and self.step_state == "waiting"

    def set_highlight(self, highlight: str | None) -> None:
        if highlight != self.highlight:
            self.highlight = highlight
            self.update()

    def set_view_style(self, style: ViewStyle) -> None:
        """New colours (the same fonts: the box keeps its size)."""
        self.view_style = style
        self._outline_key = None
        self.update()

    # -- painting ------------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        # on screen (a widget) the device is raster; scene.render (exports) may paint to vectors
        vector = widget is None and painter.device().devType() not in _RASTER
        zoom = option.levelOfDetailFromTransform(painter.worldTransform())
        level = FULL if vector else self.detail_at(zoom)
        pen, brush = self._outline()
        # a waiting box fades its fill, border and pictures, not its text where it can be read
        # (from the back row); text too small to read fades with the box (the overview's tiles
        # show the fade). The view keeps no painter state per item: opacity goes back after.
        base = painter.opacity()
        faded = base * self.fade()
        ink = base if zoom * self.fonts.title_metrics.height() >= INK_PX else faded
        painter.setOpacity(faded)
        if level not in (FULL, NAME):  # a few pixels tall: a plain rectangle is all one sees
            paint_plain(painter, self._rect, pen, brush, zoom)
            painter.setOpacity(base)
            return
        painter.setPen(pen)
        painter.setBrush(brush)
        radius = self.fonts.size * 0.6
        painter.drawRoundedRect(self._rect, radius, radius)
        if level == NAME:
            painter.setOpacity(ink)
            painter.setFont(name_font(self.fonts, self.label_sizes()))
            painter.setPen(self.view_style.colour(self._title_colour()))
            painter.drawText(self._rect, Qt.AlignCenter, self.node.label)
        else:
            self._paint_lines(painter, faded, ink)
        painter.setOpacity(base)

    def _outline(self) -> tuple[QPen, QBrush]:
        """The border pen and the fill of the box as it is now (running, selected, lit)."""
        mark = "current" if self.step_state == "current" else (  # running outranks selected
            "selected" if self.isSelected() else self.highlight or (
                "waiting" if self.step_state == "waiting" else None))
        # x.grad is in: the leaf fills with gradient colour
        leaf_grad = self.step_mode == "backward" and self.step_state in ("current", "done") \
            and self.node.kind == PARAMETER
        key = (mark, leaf_grad)
        if key != self._outline_key:
            self._outline_key = key
            self._outline_paint = box_paint(self.view_style, box_style(self.node), mark,
                                            leaf_grad)
        return self._outline_paint

    def _paint_lines(self, painter: QPainter, faded: float, ink: float) -> None:
        """The box's lines: text at ``ink`` opacity, heatmap strips at ``faded``."""
        style, fonts = self.view_style, self.fonts
        y = self._rect.top() + fonts.padding * 0.6
        if self._lines is None:
            self._lines = node_lines(self.node)
        for role, text in self._lines:
            if role in STRIP_ROLES:
                strip = strip_of(self.node.value if role == "value_strip" else self.node.grad)
                height = strip_size(strip, role, fonts)[1]
                line = QRectF(self._rect.left(), y, self._rect.width(), height)
                if not self._unknown(role):
                    painter.setOpacity(faded)
                    self._paint_strip(painter, line, role, strip)
                    y += height
                    continue
                role, text = role.removesuffix("_strip"), ""
            else:
                height = metrics(role, fonts).height()
                line = QRectF(self._rect.left(), y, self._rect.width(), height)
            painter.setOpacity(ink)
            painter.setFont(font(role, fonts))
            if self._unknown(role):
                text = "∇ ?" if role == "grad" else "?"
                painter.setPen(style.colour("muted"))
            else:
                painter.setPen(style.colour(self._title_colour() if role == "title" else
                                            _ROLE_COLOURS[role]))
            painter.drawText(line, Qt.AlignHCenter | Qt.AlignVCenter, text)
            y += height

    def _paint_strip(self, painter: QPainter, line: QRectF, role: str, strip) -> None:
        """A caption (∇ for the gradient), one coloured cell per entry (blue < 0 < red; the box
        shows between them), framed, and an ellipsis when entries were left out."""
        style, fonts = self.view_style, self.fonts
        cell_w, cell_h = strip_cell(strip, fonts)
        side = strip_side(fonts)
        cells = QRectF(line.center().x() - strip.cols * cell_w / 2,
                       line.center().y() - strip.rows * cell_h / 2, strip.cols * cell_w,
                       strip.rows * cell_h)
        painter.setFont(fonts.mono)
        painter.setPen(style.colour(_ROLE_COLOURS[role]))
        caption = strip_caption(role)
        if caption:
            painter.drawText(QRectF(cells.left() - side, line.top(), side * 0.8, line.height()),
                             Qt.AlignRight | Qt.AlignVCenter, caption)
        image = self._strips.get(role)
        if image is None:
            data = self.node.value if role == "value_strip" else self.node.grad
            image = self._strips[role] = strip_image(data, STRIP_COLS, STRIP_ROWS)
        smooth = painter.testRenderHint(QPainter.SmoothPixmapTransform)
        painter.setRenderHint(QPainter.SmoothPixmapTransform, False)  # crisp cells
        painter.drawImage(cells, image)
        painter.setRenderHint(QPainter.SmoothPixmapTransform, smooth)
        painter.setPen(QPen(style.colour("muted"), 0.8))
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(cells)
        if strip.clipped:
            painter.drawText(QRectF(cells.right(), line.top(), side, line.height()),
                             Qt.AlignLeft | Qt.AlignVCenter, " …")
