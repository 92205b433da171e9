"""The step card's local Jacobian: J = ∂out/∂in as a heatmap with its numbers, g, and gᵀJ = what
the step sends, with a ✓ where that is torch's gradient.

One block per input that got a gradient; an elementwise op shows only J's diagonal (it says so).
A J above the ``jacobian_limit`` preference is not drawn: the block says how large it is.
"""

from __future__ import annotations

import html
import re

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from nla_explorer.drawing.heatmap import diverging_rgb, grid_of, heatmap_image
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine.autograd.jacobian_card import JACOBIAN_LIMIT, JacobianPart
from nla_explorer.engine.autograd.step_rules import StepCard
from nla_explorer.engine.tensors import TensorData
from nla_explorer.panels.card_labels import CardLabel
from nla_explorer.panels.fit_image import FitImage

#: Grids up to this many cells per side are drawn with a number in each cell; larger ones as a
#: plain heatmap (the numbers are in the tooltip).
MAX_NUMBERED_SIDE = 12


class JacobianBlock(QWidget):
    """One input's J: a caption, the grid (or why it is not shown), then g and gᵀJ."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.part: JacobianPart | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(3)
        self.caption = _rich_label()
        self.grid = FitImage()  # the grids shrink to a narrow dock (big type)
        self.grad_row = _rich_label()
        self.grad_grid = FitImage()
        self.product_row = _rich_label()
        self.product_grid = FitImage()
        for widget in (self.caption, self.grid, self.grad_row, self.grad_grid,
                       self.product_row, self.product_grid):
            layout.addWidget(widget)

    def show_part(self, part: JacobianPart, card: StepCard, limit: int, points: float,
                  style: ViewStyle) -> None:
        self.part = part
        # the names as the card's own ∂f/∂(Ax) writes them (an expression in parentheses)
        head = f"∂{card.loss}/∂"
        name = card.gradient_of.removeprefix(head) or card.name
        label, g = part.target.removeprefix(head), card.grad_symbol
        size = f"{part.rows}×{part.cols}"
        hidden = part.hidden(limit)
        if part.elementwise and not hidden:
            title = (f"J = ∂{name}/∂{label} is diagonal (elementwise op): its diagonal "
                     f"∂{name}ᵢ/∂{label}ᵢ")
        else:
            title = f"J = ∂{name}/∂{label}  ({size})"
        caption = _html(title, points, style.card_value, bold=True)
        if hidden:
            caption += "<br>" + _html(hidden, points * 0.9, style.card_muted)
        self.caption.setText(caption)
        for widget in (self.grid, self.grad_row, self.grad_grid, self.product_row,
                       self.product_grid):
            widget.setVisible(not hidden)  # only a change shows or hides
        if hidden:
            return
        digits = min(style.precision, 3)
        self._set_grid(self.grid, part.jacobian, points, digits, style)
        self.grad_row.setText(_html(f"{g} = {card.gradient_of}  (arriving)", points,
                                    style.card_grad))
        self._set_grid(self.grad_grid, card.incoming, points, digits, style)
        formula = f"{g} ⊙ diag J" if part.elementwise else f"{g}ᵀJ"
        verdict = {True: f"= {part.target} that torch sent ✓",
                   False: f"≠ {part.target} that torch sent ✗",
                   None: f"(torch sent {part.target}: only its summary is kept)"}[part.matches]
        self.product_row.setText(_html(f"{formula}  {verdict}", points, style.card_grad,
                                       bold=part.matches is True))
        self._set_grid(self.product_grid, part.product, points, digits, style)

    def _set_grid(self, label: QLabel, data: TensorData | None, points: float, digits: int,
                  style: ViewStyle) -> None:
        image = numbered_grid(data, points, digits, style) if data is not None else None
        if image is None:
            label.setText(_html("…" if data is None else _scalar(data, digits), points * 1.2,
                                bold=True))
            label.setToolTip("")  # not the tooltip of a grid an earlier step showed here
            return
        label.setPixmap(QPixmap.fromImage(image))
        label.setToolTip(_values_text(data, digits))


class JacobianView(QWidget):
    """The local Jacobian section of a backward step card (hidden for cards without one)."""

    clicked = Signal(bool)  # the user folded (True) or opened (False) it: the card fits anew

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.limit = JACOBIAN_LIMIT
        self.blocks: list[JacobianBlock] = []
        self._pool: list[JacobianBlock] = []
        self.folded = False  # presentation mode folds it where the card would not fit
        self.title = _rich_label()
        self.title.setWordWrap(True)
        self.title.setCursor(Qt.PointingHandCursor)
        self.title.mousePressEvent = lambda _event: self._click()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.title)
        self._layout = layout
        self.hide()

    def show_card(self, card: StepCard, points: float, style: ViewStyle) -> None:
        """Refill the kept blocks in order (made only when more are needed); a block or the
        section is shown or hidden only where that changes (showing a widget lays out the card
        at once), never hidden to be shown again."""
        self.blocks = []
        parts = card.jacobians if self.limit > 0 else ()
        if parts:
            self._points = points
            self._set_title()
        for i, part in enumerate(parts):
            if i == len(self._pool):  # made once, refilled from step to step
                block = JacobianBlock()
                block.hide()  # shown below, once filled
                self._layout.addWidget(block)
                self._pool.append(block)
            block = self._pool[i]
            block.show_part(part, card, self.limit, points, style)
            self.blocks.append(block)
        if not parts:
            self.hide()
        for i, block in enumerate(self._pool):
            block.setVisible(i < len(parts) and not self.folded)
        if parts:
            self.show()

    def _click(self) -> None:
        self.set_folded(not self.folded)
        self.clicked.emit(self.folded)

    def set_folded(self, folded: bool) -> None:
        """Only the title (a click opens it again), or the whole section."""
        self.folded = folded
        for block in self.blocks:
            block.setVisible(not folded)
        if self.blocks:
            self._set_title()

    def _set_title(self) -> None:
        # folded, one short line (a docked card at 720p has no room for two)
        title = "▸ Local Jacobian gᵀJ (click to show)" if self.folded else \
            "▾ Local Jacobian of this step: what it sends is gᵀJ"
        self.title.setText(_html(title, self._points, bold=True))

    def text(self) -> str:
        """What the section says (captions and checks), for tests and copying."""
        out = [self.title.text()] if self.isVisibleTo(self.parentWidget() or self) else []
        for block in (self.blocks if not self.folded else []):
            out += [block.caption.text(), block.grad_row.text(), block.product_row.text()]
        return "\n".join(_plain(t) for t in out if t)


def numbered_grid(data: TensorData, points: float, digits: int,
                  style: ViewStyle) -> QImage | None:
    """A heatmap whose cells carry their numbers (blue < 0 < red); a plain heatmap when the grid
    has more than :data:`MAX_NUMBERED_SIDE` cells a side; None for a number or a summary."""
    if data.values is None or data.shape == ():
        return None
    grid = grid_of(data.values)
    rows, cols = grid.shape
    if rows > MAX_NUMBERED_SIDE or cols > MAX_NUMBERED_SIDE:
        return heatmap_image(data, cell=points * 1.2, max_width=points * 30,
                             max_height=points * 20)
    font = QFont("DejaVu Sans Mono")
    font.setPixelSize(max(8, round(points * 1.1)))
    metrics = QFontMetricsF(font)
    texts = [[_number(v, digits) for v in row] for row in grid]
    width = max(metrics.horizontalAdvance(t) for row in texts for t in row) + points
    height = metrics.height() + points * 0.5
    image = QImage(round(cols * width) + 1, round(rows * height) + 1,
                   QImage.Format_ARGB32_Premultiplied)
    image.fill(QColor("#606060"))
    colours = diverging_rgb(grid)
    finite = np.abs(grid[np.isfinite(grid)])
    scale = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    painter = QPainter(image)
    painter.setFont(font)
    for r in range(rows):
        for c in range(cols):
            cell = QRectF(c * width + 1, r * height + 1, width - 1, height - 1)
            painter.fillRect(cell, QColor(*map(int, colours[r, c])))
            strong = np.isfinite(grid[r, c]) and abs(grid[r, c]) > 0.6 * scale
            painter.setPen(QColor("white") if strong else QColor("#202020"))
            painter.drawText(cell, Qt.AlignCenter, texts[r][c])
    painter.end()
    return image


def _number(value: float, digits: int) -> str:
    if value == 0:
        return "0"
    return f"{value:.{digits}g}".replace("-", "−")


def _scalar(data: TensorData, digits: int) -> str:
    return _number(data.item(), digits) if data.values is not None else "…"


def _values_text(data: TensorData, digits: int) -> str:
    rows = grid_of(data.values)
    return "\n".join("  ".join(_number(v, digits + 2) for v in row) for row in rows[:64])


def _html(text: str, points: float, colour: str | None = None, bold: bool = False) -> str:
    style = [f"font-size:{points:.1f}pt"]
    if colour:
        style.append(f"color:{colour}")
    if bold:
        style.append("font-weight:bold")
    return f"<span style=\"{';'.join(style)}\">{html.escape(text)}</span>"


def _rich_label() -> QLabel:
    label = CardLabel()
    label.setTextFormat(Qt.RichText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    return label


def _plain(rich: str) -> str:
    """The text of a rich-text label (tags dropped, entities read)."""
    return html.unescape(re.sub(r"<br>", "\n", re.sub(r"<(?!br>)[^>]+>", "", rich)))
