"""The step card painted with QPainter for slides: the formula, the tensors (numbers or heatmaps),
the accumulation of a tensor used more than once, the step's numbers and a note, in large type.

It reads only the card's data (:class:`StepCard` for a backward step, :class:`ForwardCard` for a
forward one); the type shrinks until everything fits the card's rectangle. Text is drawn line by
line (wrapped here), so an SVG or PDF holds each line as real text.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen

from nla_explorer.drawing.heatmap import heatmap_image
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine.autograd.forward_rules import ForwardCard
from nla_explorer.engine.autograd.step_rules import StepCard
from nla_explorer.engine.tensors import TensorData
from nla_explorer.value_text import short_text

#: Type sizes in slide pixels (a slide is 1280 wide) before shrinking to fit.
SIZES = {"heading": 24, "rule": 28, "caption": 18, "scalar": 26, "detail": 15, "numbers": 15,
         "note": 15, "sum": 17}
#: Factors tried, largest first, until the card fits its rectangle.
FIT_FACTORS = (1.0, 0.9, 0.8, 0.7, 0.62, 0.55, 0.48, 0.42)
MAX_TILES = 8  # tensors shown; more are counted in one line
PADDING = 18.0


@dataclass(frozen=True)
class CardColours:
    """The ink of a card on a slide: text, muted text, gradients, values, the panel behind it."""

    text: str
    muted: str
    grad: str
    value: str
    panel: str
    border: str

    @classmethod
    def of(cls, style: ViewStyle) -> CardColours:
        dark = style.is_dark
        return cls("#ececec" if dark else "#1a1a1a", style.card_muted, style.card_grad,
                   style.card_value, "#2b2d31" if dark else "#f5f5f2",
                   "#4a4d55" if dark else "#d4d4cc")


@dataclass(frozen=True)
class CardContent:
    """What a card says, in drawing order: heading, formula lines, tensor tiles (caption,
    tensor, colour role), the column addition (title, rows of operator, caption, tensor), the
    numbers and a note."""

    heading: str
    rule: tuple[str, ...]
    tiles: tuple[tuple[str, TensorData | None, str], ...]
    sum_title: str = ""
    sum_rows: tuple[tuple[str, str, TensorData | None], ...] = ()
    numbers: tuple[str, ...] = ()
    note: str = ""

    def text(self) -> str:
        """Every line of the card (tests, accessibility)."""
        parts = [self.heading, *self.rule, *(c for c, _, _ in self.tiles), self.sum_title,
                 *(f"{op} {c}".strip() for op, c, _ in self.sum_rows), *self.numbers, self.note]
        return "\n".join(p for p in parts if p)


def output_name(title: str) -> str:
    """``"x — AccumulateGrad"`` → ``"x"`` (a title without the dash is the name itself)."""
    return title.split(" — ")[0]


def card_content(card: StepCard | ForwardCard) -> CardContent:
    """What the slide shows of ``card`` (the panel's card says the same)."""
    name = output_name(card.title)
    rule = card.rule or ("No formula card for this op: its numbers are shown below.",)
    if isinstance(card, ForwardCard):
        tiles = [(label, tensor, "value") for label, tensor in card.inputs]
        tiles.append((f"→ {name}", card.output, "value"))
        return CardContent(card.title, rule, tuple(tiles), numbers=card.numbers)
    name = card.name or name  # Q of Q, R = qr(A): the output whose gradient g is
    tiles = [(f"g = ∂L/∂{name}", card.incoming, "grad")]
    tiles += [(f"∂L/∂{gradient.split('/∂', 1)[-1]}", tensor, "grad")  # R's, arrived with it
              for gradient, tensor in card.arrived]
    tiles += [(f"→ ∂L/∂{label}", tensor, "grad") for label, tensor in card.outgoing
              if tensor is not None]
    sum_title, rows = "", []
    if card.contributions:
        sum_title = (f"Accumulation: {name} is used {len(card.contributions)} times; "
                     "autograd adds what each use sends back:")
        rows = [("+" if i else "", f"from {label}", part)
                for i, (label, part) in enumerate(card.contributions)]
        rows.append(("=", f"g of {name}", card.incoming))
    # the column addition says what the "is used by" note says, better
    note = "; ".join(part for part in card.note.split("; ")
                     if part and not (card.contributions and " is used by " in part))
    return CardContent(card.title, rule, tuple(tiles), sum_title, tuple(rows), card.numbers,
                       note)


def slide_font(pixels: float, bold: bool = False, mono: bool = False,
               italic: bool = False) -> QFont:
    """A font ``pixels`` high on the slide (pixels, not points: the same on PNG, SVG and PDF)."""
    font = QFont("DejaVu Sans Mono" if mono else "DejaVu Sans")
    font.setPixelSize(max(6, round(pixels)))
    font.setBold(bold)
    font.setItalic(italic)
    return font


def wrap(text: str, metrics: QFontMetricsF, width: float) -> list[str]:
    """``text`` broken at spaces into lines at most ``width`` wide (a longer word is cut)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            trial = f"{line} {word}" if line else word
            if line and metrics.horizontalAdvance(trial) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    out = []
    for line in lines:
        while metrics.horizontalAdvance(line) > width and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and metrics.horizontalAdvance(line[:cut]) > width:
                cut -= 1
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return out


class _Flow:
    """Lays out text and images top to bottom in a column ``width`` wide, from ``(x, y)``;
    collects what to paint (``ops``) and where it ends (``y``)."""

    def __init__(self, x: float, y: float, width: float, factor: float,
                 colours: CardColours) -> None:
        self.x, self.y, self.width, self.factor, self.colours = x, y, width, factor, colours
        self.ops: list[tuple] = []

    def font(self, role: str, **kind) -> QFont:
        return slide_font(SIZES[role] * self.factor, **kind)

    def text(self, text: str, role: str, colour: str, indent: float = 0.0, **kind) -> None:
        font = self.font(role, **kind)
        metrics = QFontMetricsF(font)
        for line in wrap(text, metrics, self.width - indent):
            self.ops.append(("text", QPointF(self.x + indent, self.y + metrics.ascent()), line,
                             font, colour))
            self.y += metrics.lineSpacing()

    def image(self, image: QImage, x: float | None = None) -> None:
        self.ops.append(("image", QRectF(self.x if x is None else x, self.y, image.width(),
                                         image.height()), image))

    def gap(self, size: float) -> None:
        self.y += size * self.factor


def _tile(flow: _Flow, caption: str, data: TensorData | None, colour: str,
          digits: int) -> None:
    flow.text(caption, "caption", colour, bold=True)
    image = _heatmap(data, flow.factor, flow.width)
    if image is None:
        flow.text(short_text(data, width=6, digits=digits), "scalar", flow.colours.text,
                  mono=True, bold=True)
        return
    flow.gap(3)
    flow.image(image)
    flow.y += image.height()
    flow.gap(3)
    shape = "×".join(map(str, data.shape))
    flow.text(f"{shape}  {short_text(data, width=4, digits=digits)}", "detail",
              flow.colours.muted, mono=True)


def _heatmap(data: TensorData | None, factor: float, width: float) -> QImage | None:
    if data is None or data.shape == () or data.values is None:
        return None
    return heatmap_image(data, cell=26 * factor, max_width=width, max_height=120 * factor)


def _sum_row(flow: _Flow, operator: str, caption: str, data: TensorData | None,
             digits: int) -> None:
    op_width = 30 * flow.factor
    top = flow.y
    font = flow.font("sum", bold=True)
    metrics = QFontMetricsF(font)
    flow.ops.append(("text", QPointF(flow.x, top + metrics.ascent()), operator, font,
                     flow.colours.text))
    caption_width = flow.width * 0.36
    flow.ops.append(("text", QPointF(flow.x + op_width, top + metrics.ascent()),
                     metrics.elidedText(caption, Qt.ElideRight, caption_width - 8), font,
                     flow.colours.grad))
    x = flow.x + op_width + caption_width
    image = _heatmap(data, flow.factor * 0.6, (flow.width - x + flow.x) * 0.45)
    if image is not None:
        image = image if image.height() <= metrics.height() * 1.6 else image.scaledToHeight(
            round(metrics.height() * 1.6))
        flow.image(image, x)
        x += image.width() + 8
    values_font = flow.font("detail", mono=True)
    values = QFontMetricsF(values_font).elidedText(short_text(data, width=6, digits=digits),
                                                   Qt.ElideRight, flow.x + flow.width - x)
    flow.ops.append(("text", QPointF(x, top + metrics.ascent()), values, values_font,
                     flow.colours.text))
    flow.y = top + max(metrics.lineSpacing(), image.height() + 4 if image is not None else 0)


def lay_out_card(content: CardContent, rect: QRectF, factor: float, style: ViewStyle,
                 colours: CardColours) -> tuple[float, list[tuple]]:
    """Where everything of ``content`` goes inside ``rect`` at type ``factor``: the height
    used and the paint operations."""
    pad = PADDING * factor
    flow = _Flow(rect.x() + pad, rect.y() + pad, rect.width() - 2 * pad, factor, colours)
    roles = {"grad": colours.grad, "value": colours.value}
    flow.text(content.heading, "heading", colours.muted, bold=True)
    flow.gap(8)
    for line in content.rule:
        flow.text(line, "rule", colours.text)
    flow.gap(14)
    tiles = content.tiles[:MAX_TILES]
    column = (flow.width - 16 * factor) / 2
    for row in range(0, len(tiles), 2):
        top, bottom = flow.y, flow.y
        for k, (caption, data, role) in enumerate(tiles[row:row + 2]):
            tile = _Flow(flow.x + k * (column + 16 * factor), top, column, factor, colours)
            _tile(tile, caption, data, roles[role], style.precision)
            flow.ops += tile.ops
            bottom = max(bottom, tile.y)
        flow.y = bottom
        flow.gap(10)
    if len(content.tiles) > MAX_TILES:
        flow.text(f"… and {len(content.tiles) - MAX_TILES} more tensors", "detail",
                  colours.muted)
    if content.sum_title:
        flow.gap(4)
        flow.text(content.sum_title, "note", colours.text, bold=True)
        flow.gap(4)
        for operator, caption, data in content.sum_rows:
            _sum_row(flow, operator, caption, data, style.precision)
        flow.gap(10)
    for line in content.numbers:
        flow.text(line, "numbers", colours.text, mono=True)
        flow.gap(3)
    if content.note:
        flow.gap(6)
        flow.text(content.note, "note", colours.muted, italic=True)
    return flow.y + pad - rect.y(), flow.ops


def paint_card(painter: QPainter, rect: QRectF, card: StepCard | ForwardCard,
               style: ViewStyle) -> float:
    """Paint ``card`` on a panel filling ``rect``, in the largest type that fits; return the
    type factor used (1 = full size)."""
    colours = CardColours.of(style)
    content = card_content(card)
    for factor in FIT_FACTORS:
        height, ops = lay_out_card(content, rect, factor, style, colours)
        if height <= rect.height():
            break
    painter.save()
    painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
    painter.setPen(QPen(QColor(colours.border), 1.5))
    painter.setBrush(QColor(colours.panel))
    painter.drawRoundedRect(rect, 10, 10)
    painter.setClipRect(rect)  # the smallest type still too big: the end is cut, not spilled
    for op in ops:
        if op[0] == "text":
            _, point, text, font, colour = op
            painter.setFont(font)
            painter.setPen(QColor(colour))
            painter.drawText(point, text)
        else:
            _, target, image = op
            painter.drawImage(target, image)
    painter.restore()
    return factor
