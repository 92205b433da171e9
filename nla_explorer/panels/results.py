"""The Results panel: named Jacobians and Hessians as labelled heatmaps, beside their closed forms.

A list of the program's named results (``H = hessian(f, x)``); the selected one is drawn as a
table coloured like the step cards' heatmaps (blue negative, red positive), its rows and columns
labelled by the entries they differentiate (``x[0]``, ``x[1]``...), with each closed form the
course gives checked against it (✓ / ✗, max |Δ|).
"""

from __future__ import annotations

import html
from typing import Sequence

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListWidget, QVBoxLayout, QWidget

from nla_explorer.drawing.heatmap import diverging_rgb
from nla_explorer.engine.derivatives import Derivative
from nla_explorer.engine.results import ClosedForms, named_results
from nla_explorer.panels.copy_table import CopyTable
from nla_explorer.panels.manual_compare import ManualComparison, compare_manual
from nla_explorer.panels.muted_text import muted_colour
from nla_explorer.panels.tensor_plot import number_text
from nla_explorer.panels.verdict_card import verdict_card

EMPTY = ("No named Jacobian or Hessian: write H = torch.autograd.functional.hessian(lambda x: …, x) "
         "or J = torch.autograd.functional.jacobian(f, x).")


class ResultsPanel(QWidget):
    """Named results of the program: pick one, see its heatmap and its closed forms."""

    copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._results: list[tuple[Derivative, ClosedForms]] = []
        self.comparisons: tuple[ManualComparison, ...] = ()
        self.picker = QListWidget()
        self.picker.currentRowChanged.connect(self._show)
        self.heading = QLabel(wordWrap=True,
                              textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.placeholder = QLabel(EMPTY, wordWrap=True)
        self._style_placeholder()
        self.heatmap = CopyTable()
        self.heatmap.setAlternatingRowColors(False)
        self.heatmap.copied.connect(self.copied)
        self.cards = QVBoxLayout()
        self.cards.setSpacing(6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.picker)
        layout.addWidget(self.heading)
        layout.addWidget(self.heatmap, 1)
        layout.addLayout(self.cards)
        layout.addStretch(0)
        self.set_results(())

    # -- public API -------------------------------------------------------------------------
    def follow(self, document) -> None:
        """Show the document's results whenever its graph (its program) changes."""
        def refresh() -> None:
            self.set_results(named_results(document.exploration, document.example))
        document.graph_changed.connect(refresh)
        refresh()

    def set_results(self, results: Sequence[tuple[Derivative, ClosedForms]]) -> None:
        """Show these results (``(derivative, ((label, closed form), ...))``), keeping the
        selected name where it is still there."""
        keep = self.current_name()
        self._results = list(results)
        names = [d.name for d, _ in self._results]
        self.picker.blockSignals(True)
        self.picker.clear()
        for derivative, closed in self._results:
            marks = {compare_manual(label, value, derivative.value).agrees for label, value in closed}
            mark = "" if not marks else ("✓ " if marks == {True} else "✗ ")
            shape = "×".join(str(s) for s in derivative.value.shape) or "scalar"
            self.picker.addItem(f"{mark}{derivative.title}   ({derivative.kind}, {shape})")
        has = bool(self._results)
        row = (names.index(keep) if keep in names else 0) if has else -1
        self.picker.setCurrentRow(row)
        self.picker.blockSignals(False)
        rows = min(max(len(self._results), 1), 4)  # a short list: the heatmap gets the room
        self.picker.setFixedHeight(rows * max(self.picker.sizeHintForRow(0), 16)
                                   + 2 * self.picker.frameWidth() + 4)
        for widget in (self.picker, self.heading, self.heatmap):
            widget.setVisible(has)
        self.placeholder.setVisible(not has)
        self._show(row)

    def current_name(self) -> str | None:
        row = self.picker.currentRow()
        return self._results[row][0].name if 0 <= row < len(self._results) else None

    def show_result(self, name: str) -> None:
        """Select the result named ``name``."""
        names = [d.name for d, _ in self._results]
        self.picker.setCurrentRow(names.index(name))

    def row_labels(self) -> list[str]:
        return [self.heatmap.verticalHeaderItem(r).text() for r in range(self.heatmap.rowCount())]

    def column_labels(self) -> list[str]:
        return [self.heatmap.horizontalHeaderItem(c).text()
                for c in range(self.heatmap.columnCount())]

    def card_texts(self) -> list[str]:
        """The closed-form cards as plain text (verdict, label, detail)."""
        out = []
        for i in range(self.cards.count()):
            label = self.cards.itemAt(i).widget()
            if isinstance(label, QLabel):
                doc = label.text().replace("</div>", "\n")
                out.append(" ".join(html.unescape(_strip_tags(doc)).split()))
        return out

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override: a theme switched
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange:  # the muted text and the cards in its colours
            self._restyle()

    # -- internals --------------------------------------------------------------------------
    def _restyle(self) -> None:
        self._style_placeholder()
        self._show(self.picker.currentRow() if self._results else -1)

    def _style_placeholder(self) -> None:
        self.placeholder.setStyleSheet(f"color: {muted_colour(self)}; padding: 12px;")

    def _show(self, row: int) -> None:
        self._clear_cards()
        self.comparisons = ()
        if not 0 <= row < len(self._results):
            self.heatmap.set_cells([])
            return
        derivative, closed = self._results[row]
        where = f" · line {derivative.line}" if derivative.line else ""
        self.heading.setText(
            f"<b>{html.escape(derivative.title)}</b> — <code>{html.escape(derivative.call)}"
            f"</code> of <code>{html.escape(derivative.function)}</code>{where}")
        self._fill_heatmap(derivative)
        self.comparisons = tuple(compare_manual(label, value, derivative.value)
                                 for label, value in closed)
        for c in self.comparisons:
            self.cards.addWidget(verdict_card(c, self))

    def _fill_heatmap(self, derivative: Derivative) -> None:
        matrix = derivative.matrix()
        if matrix is None:
            self.heatmap.set_cells([[f"{derivative.value.shape}: too large to show"]])
            return
        display = [[number_text(v, 4) for v in row] for row in matrix]
        exact = [[repr(float(v)) for v in row] for row in matrix]
        self.heatmap.set_cells(display, exact, derivative.column_labels(),
                               derivative.row_labels())
        self.heatmap.setMinimumHeight(min(self.heatmap.maximumHeight(), 320))  # rows unsquashed
        rgb = diverging_rgb(matrix)
        for r in range(matrix.shape[0]):
            for c in range(matrix.shape[1]):
                red, green, blue = (int(v) for v in rgb[r, c])
                item = self.heatmap.item(r, c)
                item.setBackground(QBrush(QColor(red, green, blue)))
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 140
                item.setForeground(QBrush(QColor("white" if dark else "black")))
                item.setToolTip(f"{derivative.name}[{r}, {c}]: {derivative.row_labels()[r]} "
                                f"by {derivative.column_labels()[c]} = {exact[r][c]}")

    def _clear_cards(self) -> None:
        while self.cards.count():
            widget = self.cards.takeAt(0).widget()
            if widget is not None:
                widget.hide()  # gone now, not at the next turn of the event loop
                widget.deleteLater()


def _strip_tags(text: str) -> str:
    out, inside = [], False
    for ch in text:
        if ch == "<":
            inside = True
        elif ch == ">":
            inside = False
        elif not inside:
            out.append(ch)
    return "".join(out)
