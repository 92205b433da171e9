"""Graphics items of the block canvas: boxes with ports, and wires.

The boxes keep their light fills in both themes (like the graph's boxes); what is drawn straight
on the canvas (wires, port rings, the selection) takes the colours of the :class:`ViewStyle`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsEllipseItem, QGraphicsItem, QGraphicsPathItem, QGraphicsRectItem, QGraphicsTextItem,
)

from nla_explorer.drawing.style import ViewStyle

PORT_RADIUS = 6.0
MIN_WIDTH = 120.0
V_PAD = 0.6  # the padding above and below the texts, in parts of the side padding
PORT_SPACING = 48.0  # the least horizontal room per input port (a wire dropped on it)
PORT_GAP = 8.0  # the least room between a port's name and the next port (and the box's ends)
LABEL_GAP = 2.0  # between a port's dot and its name
LABEL_LIFT = 3.0  # between the box's top edge and the bottom of a port's name
HALO = 3.0  # the width of the canvas-coloured outline that keeps a port's name clear of wires
ERROR_WIDTH = 240.0


@dataclass(frozen=True)
class BlockLook:
    """What a block box shows: ids and texts already formatted by the canvas."""

    block_id: str
    title: str
    op_label: str
    summary: str = ""
    shape: str = ""
    error: str = ""
    is_output: bool = False
    is_leaf: bool = False
    inputs: tuple[tuple[str, str], ...] = ()  # (port address, label shown beside it)
    has_output: bool = True


class PortItem(QGraphicsEllipseItem):
    """An input port (``address`` set) or the output port (``address`` None) of a block: a white
    dot ringed in ``style``'s wire colour (light on a dark canvas), like the wires it ends."""

    def __init__(self, block_id: str, address: str | None, parent: QGraphicsItem,
                 style: ViewStyle, label: str = "") -> None:
        r = PORT_RADIUS
        super().__init__(-r, -r, 2 * r, 2 * r, parent)
        self.block_id = block_id
        self.address = address
        self.highlighted = False
        self.set_view_style(style)
        self.setZValue(2)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CrossCursor)
        self.setToolTip(f"input {label or address}" if address else "output: drag onto an input")

    @property
    def is_output(self) -> bool:
        return self.address is None

    def set_view_style(self, style: ViewStyle) -> None:
        self.view_style = style
        self.setPen(QPen(style.colour("edge"), 2.0))
        self.set_highlighted(self.highlighted)

    def set_highlighted(self, on: bool) -> None:
        self.highlighted = on
        self.setBrush(QBrush(self.view_style.colour("consumer_highlight" if on else "port_fill")))

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.set_highlighted(True)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.set_highlighted(False)
        super().hoverLeaveEvent(event)


class BlockItem(QGraphicsItem):
    """A rounded box: title, op, parameter summary, shape; input ports on top, output below.
    Its texts are in ``style``'s colours and fonts.

    An input's name ("a", "b=2", "x") stands just above the box, right of its port's dot, in the
    wires' colour on a halo of the canvas' (over a wire passing by it stays legible): inside the
    box it took a row of its own, and a program nine blocks deep did not fit a 720p canvas. The
    dots are spread evenly along the top edge (``_port_xs``)."""

    def __init__(self, look: BlockLook, style: ViewStyle) -> None:
        super().__init__()
        self.look = look
        self.view_style = style
        self.fonts = fonts = style.fonts
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setZValue(1)
        self.wires: list[WireItem] = []
        pad = fonts.padding
        self.op_font = QFont(fonts.title)  # the op's name as tall as the title: legible zoomed out
        self.op_font.setBold(False)
        op_metrics = QFontMetricsF(self.op_font)
        texts = [(look.title, fonts.title_metrics), (look.op_label, op_metrics),
                 (look.summary, fonts.small_metrics), (look.shape, fonts.mono_metrics)]
        # port names ("a", "b", "x") in the op's type: small type left them 5 px tall at 720p
        slots = [2 * PORT_RADIUS + LABEL_GAP + op_metrics.horizontalAdvance(text)
                 for _, text in look.inputs]  # a dot and its name
        width = max([MIN_WIDTH, sum(slots) + (len(slots) + 1) * PORT_GAP,
                     len(look.inputs) * PORT_SPACING,
                     fonts.title_metrics.horizontalAdvance(look.title + "   ")
                     + op_metrics.horizontalAdvance(look.op_label) + 2 * pad]
                    + [m.horizontalAdvance(t) + 2 * pad for t, m in texts if t])
        rows = 1 + bool(look.summary) + bool(look.shape)
        height = 2 * V_PAD * pad + fonts.title_metrics.height() + (rows - 1) * (
            fonts.small_metrics.height() + 2)
        self._rect = QRectF(-width / 2, 0, width, height)
        self.input_ports: dict[str, PortItem] = {}
        self._labels: list[tuple[QPointF, str]] = []  # (baseline start, text) of each port name
        self._bounds = self._rect.adjusted(-3, -3, 3, 3)
        for (address, label), x in zip(look.inputs, _port_xs(width, slots)):
            port = PortItem(look.block_id, address, self, style, label)
            port.setPos(x, 0)
            self.input_ports[address] = port
            at = QPointF(x + PORT_RADIUS + LABEL_GAP, -LABEL_LIFT - op_metrics.descent())
            self._labels.append((at, label))
            self._bounds |= QRectF(at.x() - HALO, at.y() - op_metrics.ascent() - HALO,
                                   op_metrics.horizontalAdvance(label) + 2 * HALO,
                                   op_metrics.height() + 2 * HALO)
        self.output_port: PortItem | None = None
        if look.has_output:
            self.output_port = PortItem(look.block_id, None, self, style)
            self.output_port.setPos(0, height)
        self.error_item: QGraphicsTextItem | None = None
        if look.error:  # on a card of its own so that it reads over wires
            card = QGraphicsRectItem(self)
            self.error_item = QGraphicsTextItem(card)
            self._colour_error(style)
            self.error_item.setFont(fonts.small)
            self.error_item.setPlainText("⚠ " + look.error)
            self.error_item.setTextWidth(max(ERROR_WIDTH, width))
            text_rect = self.error_item.boundingRect()
            card.setRect(text_rect)
            card.setPos(-text_rect.width() / 2, height + PORT_RADIUS + 4)
        self.setToolTip(look.error or f"{look.title} ({look.op_label})")

    @property
    def block_id(self) -> str:
        return self.look.block_id

    def set_view_style(self, style: ViewStyle) -> None:
        """New colours (the same fonts: the box keeps its size)."""
        self.view_style = style
        for port in self.ports():
            port.set_view_style(style)
        if self.error_item is not None:
            self._colour_error(style)
        self.update()

    def _colour_error(self, style: ViewStyle) -> None:
        card = self.error_item.parentItem()
        card.setBrush(QBrush(style.colour("error_fill")))
        card.setPen(QPen(style.colour("error"), 1.0))
        self.error_item.setDefaultTextColor(style.colour("error"))

    def ports(self) -> list[PortItem]:
        return list(self.input_ports.values()) + ([self.output_port] if self.output_port else [])

    def op_label_px(self, zoom: float) -> float:
        """The height on screen, in pixels, of the op's name (and its ports' names) at
        ``zoom``."""
        return QFontMetricsF(self.op_font).height() * zoom

    def port_label_px(self, zoom: float) -> float:
        """The height on screen, in pixels, of the names over the input ports at ``zoom``."""
        return self._port_metrics().height() * zoom

    def _port_metrics(self) -> QFontMetricsF:
        return QFontMetricsF(self.op_font)

    def footprint(self) -> QRectF:
        """What the block covers in the scene: its box, port labels and error card."""
        return self.mapRectToScene(self.boundingRect() | self.childrenBoundingRect())

    def box(self) -> QRectF:
        """The box in item coordinates (the item's origin is the middle of its top edge)."""
        return QRectF(self._rect)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override: the box, its ports' names
        return QRectF(self._bounds)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        look, fonts, pad = self.look, self.fonts, self.fonts.padding
        colour = self.view_style.colour
        fill = colour("block_output_fill" if look.is_output else "block_leaf_fill" if look.is_leaf
                      else "block_fill")
        border = colour("error" if look.error else "block_output_border" if look.is_output
                        else "block_border")
        width = 2.5 if (look.error or look.is_output) else 1.5
        if self.isSelected():
            painter.setPen(QPen(colour("selected"), 2.0, Qt.DashLine))
            painter.setBrush(Qt.NoBrush)
            painter.drawRoundedRect(self._rect.adjusted(-3, -3, 3, 3), 10, 10)
        painter.setPen(QPen(border, width))
        painter.setBrush(QBrush(fill))
        painter.drawRoundedRect(self._rect, 8, 8)
        self._paint_port_names(painter)
        sm = fonts.small_metrics
        y = V_PAD * pad + fonts.title_metrics.ascent()
        left = self._rect.left() + pad
        painter.setFont(fonts.title)
        painter.setPen(colour("text"))
        painter.drawText(QPointF(left, y), look.title)
        painter.setFont(self.op_font)
        painter.setPen(colour("muted"))
        painter.drawText(QPointF(left + fonts.title_metrics.horizontalAdvance(look.title + "   "),
                                 y), look.op_label)
        y += fonts.title_metrics.descent()
        for text, font, role in ((look.summary, fonts.small, "text"),
                                 (look.shape, fonts.mono, "value")):
            if text:
                y += sm.height() + 2
                painter.setFont(font)
                painter.setPen(colour(role))
                painter.drawText(QPointF(left, y - sm.descent()), text)

    def _paint_port_names(self, painter: QPainter) -> None:
        """Each input's name above the box, right of its dot: the wires' colour on a halo of the
        canvas' colour."""
        colour = self.view_style.colour
        halo = QPen(colour("canvas"), 2 * HALO, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
        painter.setFont(self.op_font)
        for at, label in self._labels:
            path = QPainterPath()
            path.addText(at, self.op_font, label)
            painter.strokePath(path, halo)
        painter.setPen(colour("edge"))
        for at, label in self._labels:
            painter.drawText(at, label)

    def itemChange(self, change, value):  # noqa: N802 - Qt override
        if change == QGraphicsItem.ItemPositionHasChanged:
            for wire in self.wires:
                wire.update_path()
        return super().itemChange(change, value)


def _port_xs(width: float, slots: list[float]) -> list[float]:
    """Where the dots of input ports go on a top edge ``width`` wide, each followed by its name
    (``slots``: a dot and its name): evenly spread (one in the middle) where the names fit so,
    else with equal room between them."""
    count = len(slots)
    even = [width * ((k + 0.5) / count - 0.5) for k in range(count)]
    ends = even[1:] + [width / 2 + PORT_RADIUS]
    if all(x - PORT_RADIUS + slot + PORT_GAP <= end - PORT_RADIUS
           for x, slot, end in zip(even, slots, ends)):
        return even
    room = (width - sum(slots)) / (count + 1)  # between the slots and at the ends
    xs, x = [], -width / 2 + room
    for slot in slots:
        xs.append(x + PORT_RADIUS)
        x += slot + room
    return xs


class WireItem(QGraphicsPathItem):
    """A curve from ``source``'s output port to ``target``'s input ``address``, with an arrow,
    in ``style``'s edge colour (drawn on the canvas: light on a dark one)."""

    def __init__(self, source: BlockItem, target: BlockItem, address: str,
                 style: ViewStyle) -> None:
        super().__init__()
        self.source, self.target, self.address = source, target, address
        self.setZValue(0)
        self.set_view_style(style)
        source.wires.append(self)
        target.wires.append(self)
        self.setToolTip(f"{source.look.title} → {target.look.title}.{address}")
        self.update_path()

    def set_view_style(self, style: ViewStyle) -> None:
        self.setPen(QPen(style.colour("edge"), 1.8, Qt.SolidLine, Qt.RoundCap))

    def update_path(self) -> None:
        start = self.source.output_port.scenePos() if self.source.output_port else \
            self.source.scenePos()
        end = self.target.input_ports[self.address].scenePos()
        self.setPath(wire_path(start, end))


class RubberWire(QGraphicsPathItem):
    """The wire drawn while dragging from a port: dashed in the wire colour, solid orange over
    an input it would connect."""

    def __init__(self, start: QPointF, style: ViewStyle) -> None:
        super().__init__()
        self.start = QPointF(start)
        self.view_style = style
        self.setZValue(5)
        self.set_end(start, False)

    def set_end(self, end: QPointF, snapped: bool) -> None:
        colour = self.view_style.colour("grad" if snapped else "edge")
        self.setPen(QPen(colour, 2.0, Qt.SolidLine if snapped else Qt.DashLine))
        self.setPath(wire_path(self.start, end))


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A cubic curve leaving ``start`` downwards and entering ``end`` from above, with an arrow
    (between rows close together it never overshoots and doubles back)."""
    tip = QPointF(end.x(), end.y() - PORT_RADIUS)
    span = tip.y() - start.y()
    bend = max(0.5 * span, min(40.0, span)) if span > 0 else max(40.0, -0.5 * span)
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x(), start.y() + bend), QPointF(tip.x(), tip.y() - bend), tip)
    angle = math.atan2(tip.y() - (tip.y() - bend), 0.0) if bend else math.pi / 2
    size = 8.0
    left = QPointF(tip.x() - size * math.cos(angle - 0.45), tip.y() - size * math.sin(angle - 0.45))
    right = QPointF(tip.x() - size * math.cos(angle + 0.45),
                    tip.y() - size * math.sin(angle + 0.45))
    path.addPolygon(QPolygonF([tip, left, right, tip]))
    return path
