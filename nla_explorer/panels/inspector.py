"""The node inspector: a node's header, value, gradient, saved tensors and manual gradients."""

from __future__ import annotations

import html
from typing import Sequence

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QStackedWidget,
    QTabWidget, QVBoxLayout, QWidget,
)

from nla_explorer.engine.autograd.graph import LEAF, GraphNode
from nla_explorer.engine.tensors import TensorData
from nla_explorer.panels.inspector_header import ElidedLine, InfoGrid, short_name
from nla_explorer.panels.manual_compare import RELATIVE_TOLERANCE, ManualComparison, compare_manual
from nla_explorer.panels.muted_text import muted_colour, palette_style
from nla_explorer.panels.tensor_plot import CopyTable, TensorPlot, TensorView, number_text
from nla_explorer.panels.verdict_card import verdict_card
from nla_explorer.value_text import DEFAULT_PRECISION, matrix_html, short_text

TABS = ("value", "gradient", "saved", "manual")
SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse


class SavedView(QWidget):
    """What the node saved for backward, as a table; a selected tensor is drawn below it."""

    copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.precision = DEFAULT_PRECISION  # significant digits of the values in the table
        self._tensors: list[TensorData | None] = []
        self.caption = QLabel(wordWrap=True)
        self.copy_button = QPushButton("Copy")
        self.table = CopyTable()
        self.table.copied.connect(self.copied)
        self.copy_button.clicked.connect(lambda: self.table.copy_all())
        self.table.itemSelectionChanged.connect(self._on_select)
        self.plot = TensorPlot()
        self.plot.setVisible(False)
        bar = QHBoxLayout()
        bar.addWidget(self.caption, 1)
        bar.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.plot, 3)
        layout.addStretch(0)

    def set_saved(self, node: GraphNode | None) -> None:
        saved = node.saved if node is not None else ()
        self._tensors = [s.tensor for s in saved]
        rows = []
        for s in saved:
            shape = str(tuple(s.tensor.shape)) if s.tensor is not None else ""
            value = short_text(s.tensor, digits=self.precision) if s.tensor is not None \
                else repr(s.attribute)
            rows.append([s.name, s.role, s.label or "", shape, value])
        self.table.set_cells(rows, headers=["name", "role", "label", "shape", "value"],
                             copy_headers=True, text_columns=5)
        for r, s in enumerate(saved):
            if s.tensor is not None:
                self.table.item(r, 4).setToolTip(matrix_html(s.tensor))
        self.caption.setText(
            f"{len(saved)} value{'s' if len(saved) != 1 else ''} saved for the backward pass"
            + (" — select a tensor to plot it" if any(self._tensors) else "")
            if saved else "Nothing saved for the backward pass.")
        self.table.setVisible(bool(saved))
        self.copy_button.setVisible(bool(saved))
        self.plot.setVisible(False)

    def _on_select(self) -> None:
        rows = {i.row() for i in self.table.selectedItems()}
        tensor = self._tensors[min(rows)] if rows else None
        self.plot.setVisible(tensor is not None)
        if tensor is not None:
            self.plot.set_tensor(tensor)

    def set_font_size(self, points: int) -> None:
        self.plot.set_font_size(points)
        muted = muted_colour(self)
        self.caption.setStyleSheet(f"color: {muted}; font-size: {max(6, points - 1)}pt;")
        self.table.fit_height()


class ManualView(QWidget):
    """Each manual gradient's verdict against autograd, and one of them element by element."""

    copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points = self.font().pointSize()
        self._entries: list[tuple[str, TensorData]] = []
        self._grad: TensorData | None = None
        self.comparisons: tuple[ManualComparison, ...] = ()
        self.cards = QVBoxLayout()
        self.cards.setSpacing(6)
        self.picker = QComboBox()
        self.picker.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.picker.setMinimumContentsLength(12)
        self.picker.currentIndexChanged.connect(self._show_table)
        self.copy_button = QPushButton("Copy")
        self.table = CopyTable()
        self.table.copied.connect(self.copied)
        self.copy_button.clicked.connect(lambda: self.table.copy_all())
        bar = QHBoxLayout()
        bar.addWidget(self.picker, 1)
        bar.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(self.cards)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addStretch(0)

    def set_manual(self, manual: Sequence[tuple[str, TensorData]], grad: TensorData | None) -> None:
        self._entries, self._grad = list(manual), grad
        self.comparisons = tuple(compare_manual(label, data, grad) for label, data in manual)
        self._rebuild_cards()
        self.picker.blockSignals(True)
        self.picker.clear()
        self.picker.addItems([f"{'✓' if c.agrees else '✗'} {c.label}" for c in self.comparisons])
        self.picker.blockSignals(False)
        self._show_table(0)

    def set_font_size(self, points: int) -> None:  # and the theme's colours (changeEvent)
        self._points = points
        self._rebuild_cards()
        self._show_table(max(0, self.picker.currentIndex()))

    def _rebuild_cards(self) -> None:
        while self.cards.count():
            widget = self.cards.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        for c in self.comparisons:
            self.cards.addWidget(verdict_card(c, self, self._points))

    def _show_table(self, index: int) -> None:
        ok = 0 <= index < len(self._entries) and self._grad is not None
        data = self._entries[index][1] if ok else None
        if not ok or data.values is None or self._grad.values is None \
                or tuple(data.shape) != tuple(self._grad.shape):
            self.table.set_cells([])
            self.table.setVisible(False)
            return
        auto = np.asarray(self._grad.values, dtype=np.float64).reshape(-1)
        mine = np.asarray(data.values, dtype=np.float64).reshape(-1)
        exact_auto, exact_mine = self._grad.values.reshape(-1), data.values.reshape(-1)
        shape = data.shape or (1,)
        labels = [", ".join(str(int(i)) for i in np.unravel_index(k, shape))
                  for k in range(auto.size)]
        display = [[number_text(a), number_text(m), number_text(m - a, 3)]
                   for a, m in zip(auto, mine)]
        exact = [[str(a), str(m), repr(float(m - a))]
                 for a, m in zip(exact_auto, exact_mine)]
        self.table.set_cells(display, exact, ["autograd", "manual", "Δ"], labels, copy_headers=True)
        scale = float(np.abs(auto).max()) if auto.size else 0.0
        differ = QColor(palette_style(self).differ)  # readable on the light and the dark table
        for r, (a, m) in enumerate(zip(auto, mine)):
            if abs(m - a) > RELATIVE_TOLERANCE * scale:
                self.table.item(r, 2).setForeground(differ)
        self.table.setVisible(True)


def step_text(step_index: int | None, step_count: int | None = None) -> str:
    """``"step 1 of 9"`` for the trace's step 0: numbered as the stepper and its card number it."""
    if step_index is None:
        return "—"
    return f"step {step_index + 1}" + (f" of {step_count}" if step_count else "")


class InspectorPanel(QWidget):
    """The "Node inspector" dock: everything about the selected node of the autograd graph."""

    copied = Signal(str)  # a status message after a table was copied to the clipboard

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._node: GraphNode | None = None
        self._points = self.font().pointSize()
        self.precision = DEFAULT_PRECISION
        self.placeholder = QLabel("Select a node in the graph to see its value, gradient and "
                                  "saved tensors.", alignment=Qt.AlignmentFlag.AlignCenter,
                                  wordWrap=True)
        self.title = ElidedLine()  # a long name or module path: elided, never scrolled to
        self.kind_badge = QLabel()
        self.subtitle = ElidedLine()
        # "step 6 of 9" is the longest value: alone on its row, it takes the row's width
        self.info_grid = InfoGrid(("shape", "dtype", "device", "inputs", "backward"), "backward")
        self._info, self._info_keys = self.info_grid.values, self.info_grid.keys
        self.after_program = QLabel(wordWrap=True, textInteractionFlags=SELECTABLE)
        self.value_view, self.grad_view = TensorView(), TensorView()
        self.saved_view, self.manual_view = SavedView(), ManualView()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for view, name in ((self.value_view, "Value"), (self.grad_view, "Gradient"),
                           (self.saved_view, "Saved"), (self.manual_view, "Manual")):
            self.tabs.addTab(view, name)
            view.copied.connect(self.copied)
        header = QFrame()
        head = QVBoxLayout(header)
        head.setContentsMargins(10, 8, 10, 6)
        head.setSpacing(4)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.kind_badge, 0, Qt.AlignmentFlag.AlignTop)
        head.addLayout(top)
        head.addWidget(self.subtitle)
        head.addWidget(self.info_grid)
        head.addWidget(self.after_program)
        self.content = content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(2)
        body.addWidget(header)
        body.addWidget(self.tabs, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.placeholder)
        page = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        page.setWidget(content)  # a short dock scrolls instead of making the window taller
        self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        self.set_font_size(max(self._points, 10))
        self.show_node(None)

    # -- public API -------------------------------------------------------------------------
    def show_node(self, node: GraphNode | None, grad: TensorData | None = None,
                  step_index: int | None = None,
                  manual: Sequence[tuple[str, TensorData]] = (),
                  final_grad: TensorData | None = None, step_count: int | None = None) -> None:
        """Show ``node`` (``None`` clears the panel): its gradients, manual and after the end.

        ``step_index`` counts from 0, as the trace does; the panel says "step k of n" counting
        from 1, as the stepper and its step card do (``step_count``: n, when known).
        """
        self._node = node
        if node is None:
            for view in (self.value_view, self.grad_view):
                view.set_tensor(None)
            self.saved_view.set_saved(None)
            self.manual_view.set_manual((), None)
            self.pages.setCurrentWidget(self.placeholder)
            return
        leaf = node.kind == LEAF
        title = node.name or node.label
        self.title.set_parts(title)
        self.kind_badge.setText("leaf" if leaf else "op")
        self._style_badge()
        extra = f"{node.label} · " if node.name and node.label != node.name else ""
        module = ((" · in ", False), (node.module, True)) if node.module else ()
        self.subtitle.set_parts(((f"{extra}torch: ", False), (node.op, True), *module))
        value = node.value
        self._info["shape"].setText(str(tuple(node.shape)) if node.shape is not None else "—")
        self._info["dtype"].setText(value.dtype if value is not None else "—")
        self._info["device"].setText(value.device if value is not None else "—")
        self._info["inputs"].setText(str(node.n_inputs))
        self._info["backward"].setText(step_text(step_index, step_count))
        self.info_grid.reflow()
        what = "the leaf tensor's data" if leaf else f"the output of {short_name(node.label)}"
        self.value_view.set_tensor(value, "No forward value was recorded for this node.",
                                   "Value", f"Forward value: {what}.")
        name = short_name(title)  # a sentence that wraps: no word wider than the dock
        grad_what = (f"∂ output / ∂ {name}: what {name}.grad holds after backward()" if leaf
                     else f"∂ output / ∂ ({name}): the gradient flowing into {node.op}")
        self.grad_view.set_tensor(grad, "No gradient reaches this node in the backward pass.",
                                  "Gradient", grad_what + ".")
        self._show_after_program(title, grad, final_grad if leaf else None)
        self.saved_view.set_saved(node)
        self.tabs.setTabText(2, f"Saved ({len(node.saved)})" if node.saved else "Saved")
        self.manual_view.set_manual(manual, grad)
        comparisons = self.manual_view.comparisons
        if not comparisons and self.tabs.currentIndex() == 3:
            self.tabs.setCurrentIndex(1)
        self.tabs.setTabVisible(3, bool(comparisons))
        if comparisons:
            mark = "✓" if all(c.agrees for c in comparisons) else "✗"
            self.tabs.setTabText(3, f"Manual {mark}")
        self.pages.setCurrentIndex(1)

    def set_font_size(self, points: int) -> None:
        """Scale every label, table and plot axis (for a projector: 14–20 pt)."""
        self._points = points = max(6, int(points))
        font = QFont(self.font())
        font.setPointSize(points)
        self.setFont(font)
        self.title.setStyleSheet(f"font-size: {round(points * 1.6)}pt; font-weight: 700;")
        muted = muted_colour(self)  # from the palette: it follows the theme (changeEvent)
        self.subtitle.setStyleSheet(f"color: {muted}; font-size: {points}pt;")
        self.after_program.setStyleSheet(f"font-size: {points}pt;")
        self.placeholder.setStyleSheet(f"color: {muted}; font-size: {points + 2}pt; padding: 24px;")
        for label in self._info_keys:
            label.setStyleSheet(f"color: {muted}; font-size: {max(6, points - 1)}pt;")
        for label in self._info.values():
            label.setStyleSheet(f"font-size: {points}pt; font-family: monospace;")
        self.info_grid.reflow()
        self._style_badge()
        for view in (self.value_view, self.grad_view, self.saved_view, self.manual_view):
            view.set_font_size(points)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override: a theme switched
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange:  # once the views inside have theirs too
            QTimer.singleShot(0, self, lambda: self.set_font_size(self._points))  # (not once gone)

    def set_precision(self, digits: int) -> None:
        """Significant digits of compact values (saved tensors, .grad after the program)."""
        self.precision = self.saved_view.precision = digits

    def current_node_id(self) -> str | None:
        return self._node.id if self._node is not None else None

    def header_text(self) -> str:
        """The header as plain text: title, kind, torch's op name and the info grid."""
        if self._node is None:
            return self.placeholder.text()
        info = ", ".join(f"{k} {v.text()}" for k, v in self._info.items())
        return f"{self.title.full_text()} [{self.kind_badge.text()}] {self._node.op}\n{info}"

    def value_text(self) -> str:
        return self.value_view.text()

    def grad_text(self) -> str:
        return self.grad_view.text()

    def manual_comparisons(self) -> tuple[ManualComparison, ...]:
        return self.manual_view.comparisons

    def current_tab(self) -> str:
        return TABS[self.tabs.currentIndex()]

    def show_tab(self, name: str) -> None:
        """Switch to ``"value"``, ``"gradient"``, ``"saved"`` or ``"manual"``."""
        self.tabs.setCurrentIndex(TABS.index(name))

    def table_text(self, tab: str | None = None) -> str:
        """The tab-separated text that Copy puts on the clipboard for ``tab`` (default: current)."""
        return self._table(tab).all_text()

    def copy_table(self, tab: str | None = None) -> str:
        """Copy a tab's whole table to the clipboard (as its Copy button does); returns the text."""
        return self._table(tab).copy_all()

    # -- internals --------------------------------------------------------------------------
    def _show_after_program(self, name: str, grad, final: TensorData | None) -> None:
        differs = final is not None and not (grad is not None and grad.summary == final.summary
                                             and np.array_equal(grad.values, final.values))
        self.after_program.setVisible(differs)
        if differs:
            self.after_program.setText(  # the Gradient tab: .grad after the call shown
                f"<b>{html.escape(short_name(name))}.grad after the program</b>: <code>"
                f"{html.escape(short_text(final, digits=self.precision))}</code> "
                "(later backward calls changed it)")
            self.after_program.setToolTip(matrix_html(final))

    def _table(self, tab: str | None) -> CopyTable:
        view = (self.value_view, self.grad_view, self.saved_view,
                self.manual_view)[TABS.index(tab or self.current_tab())]
        return view.table

    def _style_badge(self) -> None:
        leaf = self.kind_badge.text() == "leaf"
        colour = "#0072b2" if leaf else "#6a3d9a"
        self.kind_badge.setStyleSheet(
            f"color: white; background: {colour}; border-radius: 6px; padding: 2px 8px; "
            f"font-size: {max(6, self._points - 1)}pt; font-weight: 600;")
