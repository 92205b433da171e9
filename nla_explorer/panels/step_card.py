"""The step card: the rule the running node applies, its tensors as heatmaps, and accumulation.

Backward: the gradient arriving (g), the formula per input, and the gradient sent to each input;
where a tensor is used more than once, the contributions of each use and their sum. Forward: the
formula, the inputs' values and the output. Scalars show as numbers, tensors as small heatmaps
(blue < 0 < red, centred at zero) with their shape, so a lecture hall can read them.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from nla_explorer.engine.autograd.forward_rules import ForwardCard
from nla_explorer.engine.autograd.step_rules import StepCard
from nla_explorer.engine.tensors import TensorData
from nla_explorer.drawing.heatmap import heatmap_image
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.panels.card_labels import CardLabel
from nla_explorer.panels.fit_image import FitImage
from nla_explorer.panels.jacobian_view import JacobianView
from nla_explorer.panels.list_labels import ListLabel, NumbersLabel
from nla_explorer.panels.list_row import ListRowLayout
from nla_explorer.value_text import list_texts, short_text

#: Tiles per row before wrapping (a card stays narrow enough for a dock).
TILES_PER_ROW = 2


class TensorTile(QWidget):
    """A caption over a tensor: a big number for a scalar, a heatmap and its shape otherwise.

    Tiles are kept and refilled from step to step (``show_tensor``): making and deleting
    widgets on every keypress is what made a step slow.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption, self.data, self.value_text = "", None, ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        self.head = _html_label("", 10)
        self.head.setWordWrap(True)
        self.body = FitImage()  # a heatmap shrinks to a narrow dock; a scalar is text
        self.body.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.shape = ListLabel()  # "5×5 [0.26, 1.6, …]": never broken inside the list
        for widget in (self.head, self.body, self.shape):
            layout.addWidget(widget)
        layout.addStretch(1)

    def show_tensor(self, caption: str, data: TensorData | None, colour: str,
                    points: float, style: ViewStyle) -> None:
        self.caption, self.data = caption, data
        digits = style.precision
        self.value_text = short_text(data, width=4, digits=digits)
        self.head.setText(_html(caption, points, colour=colour, bold=True))
        image = _tensor_image(data, points * 1.4, points * 14, points * 10)
        if image is not None:
            self.body.setPixmap(QPixmap.fromImage(image))
            self.body.setToolTip(f"{caption}: {short_text(data, width=6, digits=digits)}\n"
                                 "blue < 0 < red, centred at zero")
            self.shape.set_look(points * 0.9, colour=style.card_muted)
            self.shape.show_list(list_texts(data, most=3, digits=digits),
                                 prefix="×".join(map(str, data.shape)))
            self.shape.show()
        else:
            self.body.setText(_html(self.value_text, points * 1.25, bold=True, mono=True))
            self.body.setToolTip("")
            self.shape.hide()

    @property
    def is_heatmap(self) -> bool:
        return self.body.pixmap() is not None and not self.body.pixmap().isNull()


class SumRow(QWidget):
    """One line of the column addition: the caption, a heatmap (or the number) and the values
    (on a line of their own under the two where the row is narrow)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption, self.data = "", None
        row = ListRowLayout(self)  # the list under the rest where the row is narrow
        self.head = _html_label("", 10)
        self.heat = FitImage()
        self.values = ListLabel(leftover=True)  # as many numbers as fit its line, never broken
        self.values.setTextInteractionFlags(Qt.TextSelectableByMouse)
        row.addWidget(self.head)
        row.addWidget(self.heat)
        row.addWidget(self.values)

    def show_part(self, caption: str, data: TensorData | None, points: float,
                  style: ViewStyle) -> None:
        self.caption, self.data = caption, data
        digits = style.precision
        self.head.setText(_html(caption, points, colour=style.card_grad, bold=True))
        # never squeezed under the heatmap: a narrow card breaks "from ½xᵀAx" after "from"
        self.head.setWordWrap(True)  # its minimum is then its longest word
        image = _tensor_image(data, points * 1.2, points * 12, points * 4)
        if image is not None:
            self.heat.setPixmap(QPixmap.fromImage(image))
        self.heat.setVisible(image is not None)
        self.values.set_look(points * 0.9, mono=True)
        self.values.show_list(list_texts(data, most=2, digits=digits))
        self.values.setToolTip(short_text(data, width=12, digits=digits))


class StepCardView(QWidget):
    """Shows a :class:`StepCard` (backward) or :class:`ForwardCard` (forward), or a message,
    in a :class:`ViewStyle`'s card colours and precision."""

    def __init__(self, parent: QWidget | None = None,
                 view_style: ViewStyle = ViewStyle()) -> None:
        super().__init__(parent)
        self.points = 10.0
        self.view_style = view_style
        self.tiles: list[TensorTile] = []
        self.accumulation: list[TensorTile] = []
        self._card = None
        self.compact = False
        #: counts what changes the card's height (its content, type, pictures' sizing)
        self.revision = 0
        self._tile_pool: list[TensorTile] = []  # widgets kept between steps, refilled
        self._row_pool: list[tuple[QLabel, SumRow]] = []
        self.rule = CardLabel()
        self.rule.setWordWrap(True)
        self.rule.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.rule.setObjectName("step_rule")
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(12)
        self.sum_title = CardLabel()
        self.sum_title.setWordWrap(True)
        self.sum_rows = QGridLayout()  # a column addition: + from mul / + from dot / = g
        self.sum_rows.setHorizontalSpacing(8)
        self.sum_rows.setVerticalSpacing(2)
        self.numbers = NumbersLabel()  # broken between its lists, never inside one
        self.numbers.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.note = CardLabel()
        self.note.setWordWrap(True)
        self._style_note()
        self.jacobian = JacobianView()  # J = ∂out/∂in of a small step, g and gᵀJ
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.rule)
        layout.addLayout(self.grid)
        layout.addWidget(self.sum_title)
        layout.addLayout(self.sum_rows)
        layout.addWidget(self.numbers)
        layout.addWidget(self.note)
        layout.addWidget(self.jacobian)
        layout.addStretch(1)
        self.show_message("")

    # -- content ---------------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self._card = None
        self._clear()
        self.rule.setText(text)
        self._add_tiles([])
        self._show_sum(None)
        self.numbers.set_lines(())
        self._end_card("", show_jacobian=False)

    def show_backward(self, card: StepCard) -> None:
        self._card = card
        self._clear()
        self._set_rule(card.rule)
        grad = self.view_style.card_grad
        # the card's own names: g is ∂f/∂(this node), each input's gradient ∂f/∂(that input)
        tiles = [(f"{card.grad_symbol} = {card.gradient_of}", card.incoming, grad)]
        tiles += [(gradient, tensor, grad) for gradient, tensor in card.arrived]  # ∂f/∂R of Q, R
        tiles += [(f"→ {target}", tensor, grad)
                  for target, (_, tensor) in zip(card.targets, card.outgoing)
                  if tensor is not None]
        self._add_tiles(tiles)
        self._show_sum(card)
        self.numbers.set_lines(card.numbers)
        # the accumulation rows say what the "is used by" note says, better
        note = "; ".join(part for part in card.note.split("; ")
                         if not (card.contributions and " is used by " in part))
        self.jacobian.show_card(card, self.points, self.view_style)
        self._end_card(note, show_jacobian=True)

    def _show_sum(self, card: StepCard | None) -> None:
        """The column addition of a tensor used more than once (hidden when there is none)."""
        rows = []
        if card is not None and card.contributions:
            name = html.escape(card.name)
            self.sum_title.setText(f"<b>Accumulation</b>: {name} is used {len(card.contributions)}"
                                   " times; autograd adds what each use sends back:")
            rows = [("+" if i else "", f"from {label}", part)
                    for i, (label, part) in enumerate(card.contributions)]
            rows.append(("=", card.gradient_of, card.incoming))
        else:
            self.sum_title.setText("")  # hidden: not in text() either
        for r, (symbol, caption, part) in enumerate(rows):
            if r == len(self._row_pool):  # a new row position: made once, kept
                operator, row = _html_label("", 10), SumRow()
                operator.setAlignment(Qt.AlignCenter)
                operator.hide()  # shown below, once filled
                row.hide()
                self.sum_rows.addWidget(operator, r, 0)
                self.sum_rows.addWidget(row, r, 1)
                self._row_pool.append((operator, row))
            operator, row = self._row_pool[r]
            operator.setText(_html(symbol, self.points * 1.6, bold=True))
            row.show_part(caption, part, self.points, self.view_style)
            self.accumulation.append(row)
        if rows:
            self.sum_rows.setColumnStretch(1, 1)
        # shown or hidden only where that changes: showing a widget lays out the window at once
        self.sum_title.setVisible(bool(rows))
        for r, (operator, row) in enumerate(self._row_pool):
            operator.setVisible(r < len(rows))
            row.setVisible(r < len(rows))

    def _end_card(self, note: str, show_jacobian: bool) -> None:
        """The note, and the Jacobian section hidden unless this card fills it."""
        self.note.setText(note)
        self.note.setVisible(bool(note))
        if not show_jacobian:
            self.jacobian.hide()
        if self.compact:  # pictures made for this card take presentation's sizing too
            self._squeeze_pictures()

    def show_forward(self, card: ForwardCard) -> None:
        self._card = card
        self._clear()
        self._set_rule(card.rule)
        value = self.view_style.card_value
        tiles = [(label, tensor, value) for label, tensor in card.inputs]
        tiles.append(("→ " + _output_name(card.title), card.output, value))
        self._add_tiles(tiles)
        self._show_sum(None)
        self.numbers.set_lines(card.numbers)
        self._end_card("", show_jacobian=False)

    def text(self) -> str:
        """Everything the card says, for tests and copying."""
        parts = [self.rule.text(), *(t.caption for t in self.tiles), self.sum_title.text(),
                 *(t.caption for t in self.accumulation), self.numbers.whole_text(),
                 self.note.text(),
                 self.jacobian.text() if self.jacobian.isVisibleTo(self) else ""]
        return "\n".join(p for p in parts if p)

    def set_compact(self, on: bool) -> None:
        """Presentation mode: the tiles show the values, so the line-by-line numbers go; the
        pictures keep their size (presentation fits the card's type to the screen instead)."""
        self.compact = on
        self.revision += 1
        self.numbers.setVisible(not on)
        self._squeeze_pictures()

    def _squeeze_pictures(self) -> None:
        """Outside presentation mode a picture wider than the dock shrinks to fit it (the card
        must never be wider than the dock: its text would run on under the edge)."""
        self.squeeze_pictures(not self.compact)

    def squeeze_pictures(self, on: bool) -> None:
        """Pictures wider than the dock shrink to fit it (``on``), or keep their own size."""
        self.revision += 1
        for picture in self.findChildren(FitImage):
            picture.set_squeeze(on)

    def set_jacobian_limit(self, entries: int) -> None:
        """The most entries of a local Jacobian the card draws (the ``jacobian_limit``
        preference); the card shown is drawn again."""
        self.jacobian.limit = int(entries)
        self._show_again()

    def set_view_style(self, style: ViewStyle) -> None:
        """The card's colours and precision: the card shown is drawn again."""
        self.view_style = style
        self._style_note()
        self._show_again()

    def set_font_size(self, points: float) -> None:
        self.points = float(points)
        font = self.font()
        font.setPointSizeF(points)
        self.setFont(font)
        self.revision += 1
        rule_font = QFont(font)
        rule_font.setPointSizeF(points * 1.3)
        self.rule.setFont(rule_font)
        mono = QFont("DejaVu Sans Mono")
        mono.setPointSizeF(points * 0.9)
        self.numbers.setFont(mono)
        self._style_note()
        self._show_again()

    # -- helpers ---------------------------------------------------------------------------------
    def _style_note(self) -> None:
        """The note's muted colour, at the card's size: a label with a style sheet no longer
        takes the card's font, so the size goes in the sheet (else it stays 9 pt on a projector)."""
        self.note.setStyleSheet(f"color: {self.view_style.card_muted}; "
                                f"font-size: {self.points * 0.9:.1f}pt")

    def _show_again(self) -> None:
        card = self._card
        if isinstance(card, StepCard):
            self.show_backward(card)
        elif isinstance(card, ForwardCard):
            self.show_forward(card)

    def _set_rule(self, lines: tuple[str, ...]) -> None:
        self.rule.setText("\n".join(lines) if lines else
                          "No formula card for this op: its numbers are shown below.")

    def _add_tiles(self, tiles: list[tuple[str, TensorData | None, str]]) -> None:
        """Refill the kept tiles in order (made only when more are needed), then show or hide
        only those whose visibility changes: showing a widget activates the layouts up to the
        window at once (~1 ms a tile), so a tile is never hidden to be shown again."""
        for i, (caption, data, colour) in enumerate(tiles):
            if i == len(self._tile_pool):  # a new grid position: made once, kept
                tile = TensorTile()
                tile.hide()  # shown below, once filled
                self.grid.addWidget(tile, i // TILES_PER_ROW, i % TILES_PER_ROW, Qt.AlignTop)
                self._tile_pool.append(tile)
            tile = self._tile_pool[i]
            tile.show_tensor(caption, data, colour, self.points, self.view_style)
            self.tiles.append(tile)
        for i, tile in enumerate(self._tile_pool):
            tile.setVisible(i < len(tiles))

    def _clear(self) -> None:
        """Forget the card shown (its widgets are refilled, or hidden, by the next card)."""
        self.tiles, self.accumulation = [], []
        self.revision += 1


def _tensor_image(data: TensorData | None, cell: float, width: float, height: float):
    """The heatmap of a non-scalar tensor with values; None for scalars and summaries."""
    if data is None or data.shape == () or data.values is None:
        return None
    return heatmap_image(data, cell=cell, max_width=width, max_height=height)


def _html(text: str, points: float, colour: str | None = None, bold: bool = False,
          mono: bool = False) -> str:
    """Rich text instead of setFont/setStyleSheet: those re-polish a widget (~1 ms each), and a
    card has dozens of labels to make on every step."""
    style = [f"font-size:{points:.1f}pt"]
    if colour:
        style.append(f"color:{colour}")
    if bold:
        style.append("font-weight:bold")
    if mono:
        style.append("font-family:'DejaVu Sans Mono',monospace")
    return f"<span style=\"{';'.join(style)}\">{html.escape(text)}</span>"


def _html_label(text: str, points: float, colour: str | None = None, bold: bool = False,
                mono: bool = False) -> QLabel:
    label = CardLabel(_html(text, points, colour, bold, mono))
    label.setTextFormat(Qt.RichText)
    return label


def _output_name(title: str) -> str:
    """``"x — AccumulateGrad"`` → ``"x"``."""
    return title.split(" — ")[0]

