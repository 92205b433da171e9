"""The stepper: walk through the backward pass (or the forward pass) node by node, like slides.

First / previous / play-pause / next / last, a step slider, "step i of N", play speed, a
backward/forward switch; ← → Home End Space (and F for the switch) work here and on the graph
view. It drives ``document.set_step`` / ``set_step_mode`` and shows the step card. When the code
makes several backward calls, a "Backward call" box picks the one shown; the result's notes
(unseeded numbers, which call) sit above the steps, with a button that seeds unseeded code.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDoubleSpinBox, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea,
    QSlider, QToolButton, QVBoxLayout, QWidget,
)

from nla_explorer.document import Document
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine.autograd.forward_rules import forward_card
from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.autograd.step_rules import step_card
from nla_explorer.engine.autograd.stepper import BACKWARD, FORWARD
from nla_explorer.panels.card_labels import CardLabel
from nla_explorer.panels.muted_text import checked_sheet, muted_colour, note_sheet, palette_theme
from nla_explorer.panels.step_card import StepCardView

KEYS = {"first": Qt.Key_Home, "previous": Qt.Key_Left, "next": Qt.Key_Right,
        "last": Qt.Key_End, "play": Qt.Key_Space, "toggle_mode": Qt.Key_F}


class StepperPanel(QWidget):
    """Buttons, slider and the running node's summary; ``install_keys(widget)`` adds the keys."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.view_style = ViewStyle()  # the window's; _restyle picks the colours to paint in
        self.buttons: dict[str, QToolButton] = {}
        row = QHBoxLayout()
        for name, text, tip in (("first", "|◀", "First step (Home)"),
                                ("previous", "◀", "Previous step (←)"),
                                ("play", "▶", "Play / pause (Space)"),
                                ("next", "▶▶", "Next step (→)"),
                                ("last", "▶|", "Last step (End)")):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setMinimumSize(40, 34)
            button.clicked.connect(getattr(self, name))
            row.addWidget(button)
            self.buttons[name] = button
        self.mode_buttons: dict[str, QToolButton] = {}
        group = QButtonGroup(self)
        for mode, text, tip in ((BACKWARD, "Backward", "Walk the backward pass: gradients (F)"),
                                (FORWARD, "Forward", "Walk the forward pass in topological "
                                                     "order: values (F)")):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setCheckable(True)
            button.setMinimumHeight(34)
            button.clicked.connect(lambda _=False, m=mode: self.document.set_step_mode(m))
            group.addButton(button)
            row.addWidget(button)
            self.mode_buttons[mode] = button
        self.mode_buttons[document.step_mode].setChecked(True)
        self.speed = QDoubleSpinBox()
        self.speed.setRange(0.25, 10.0)
        self.speed.setValue(1.0)
        self.speed.setSuffix(" steps/s")
        self.speed.setToolTip("Play speed")
        row.addStretch(1)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setToolTip("Drag to any step of the backward pass")
        self.slider.valueChanged.connect(lambda v: self.document.set_step(v - 1))
        self.check_button = QPushButton("Check against finite differences")
        self.check_button.setToolTip("Exact (autograd) vs numerical gradient of every leaf, "
                                     "by central differences")
        self.check_button.clicked.connect(self.check_gradients)
        self.check_result = QLabel()
        self.check_result.setWordWrap(True)
        self.check_result.hide()  # shown with a verdict: empty, its line is the card's
        self.call_box = QComboBox()
        self.call_box.setToolTip("The code makes several backward calls: show this one's graph "
                                 "and steps")
        self.call_box.activated.connect(self.document.show_call)
        call_label = QLabel("Backward &call:")
        call_label.setBuddy(self.call_box)
        self.call_row = QWidget()
        call_row = QHBoxLayout(self.call_row)
        call_row.setContentsMargins(0, 0, 0, 0)
        call_row.addWidget(call_label)
        call_row.addWidget(self.call_box, 1)
        self.notes = QLabel()
        self.notes.setObjectName("result_notes")
        self.notes.setWordWrap(True)
        self.notes.setTextFormat(Qt.PlainText)  # code labels are not HTML
        self.notes.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.seed_button = QPushButton("Insert torch.manual_seed(0)")
        self.seed_button.setToolTip("Seed the random numbers (a line after the imports), so that "
                                    "every capture shows the same numbers")
        self.seed_button.clicked.connect(self.document.insert_seed)
        self.label = CardLabel()  # its height for a width is measured once per text
        self.label.setObjectName("step_label")
        self.label.setWordWrap(True)
        label_box = QuietBox(self.label)  # a new step's text lays out the window only if it must
        self.card = StepCardView()
        self.card_area = scroll = QScrollArea()  # presentation mode checks that the card fits
        scroll.setWidget(self.card)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # the card wraps instead
        scroll.setMinimumHeight(120)  # the card is the point of this panel: never crushed
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.call_row)
        layout.addWidget(self.notes)
        layout.addWidget(self.seed_button, 0, Qt.AlignLeft)
        slider_row = QHBoxLayout()
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(self.speed)
        layout.addLayout(slider_row)
        layout.addWidget(label_box)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.check_button)
        layout.addWidget(self.check_result)
        layout.setContentsMargins(6, 4, 6, 4)
        self.install_keys(self)
        document.graph_changed.connect(self.refresh)
        document.gradients_changed.connect(self.refresh)
        document.graph_changed.connect(self.show_result_notes)
        document.graph_changed.connect(lambda *_: self._show_check(""))
        document.step_changed.connect(self.refresh)
        document.step_mode_changed.connect(self._mode_changed)
        self._restyle()
        self.show_result_notes()

    def install_keys(self, widget: QWidget) -> None:
        for name, key in KEYS.items():
            shortcut = QShortcut(QKeySequence(key), widget)
            shortcut.setContext(Qt.WidgetWithChildrenShortcut)
            shortcut.activated.connect(getattr(self, name))

    # -- navigation ------------------------------------------------------------------------------
    def total(self) -> int:
        return self.document.step_count()

    def current(self) -> int:
        return -1 if self.document.step is None else self.document.step

    def first(self) -> None:
        self.document.set_step(-1 if self.total() else None)

    def previous(self) -> None:
        if self.total():
            self.document.set_step(max(-1, self.current() - 1))

    def next(self) -> None:
        if self.total():
            self.document.set_step(min(self.total() - 1, self.current() + 1))

    def last(self) -> None:
        if self.total():
            self.document.set_step(self.total() - 1)

    def toggle_mode(self) -> None:
        """F: switch between walking the backward and the forward pass."""
        self.document.set_step_mode(FORWARD if self.document.step_mode == BACKWARD else BACKWARD)

    def _mode_changed(self, mode: str) -> None:
        self.mode_buttons[mode].setChecked(True)
        self.refresh()

    def play(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
        elif self.total():
            if self.current() >= self.total() - 1:
                self.document.set_step(-1)
            self.timer.start(int(1000 / self.speed.value()))
        self._update_play()

    def _tick(self) -> None:
        if self.current() >= self.total() - 1:
            self.timer.stop()
            self._update_play()
            return
        self.next()

    def _update_play(self) -> None:
        self.buttons["play"].setText("❚❚" if self.timer.isActive() else "▶")

    def check_gradients(self) -> list:
        """The course's "exact vs numerical" point: each leaf's gradient against finite differences."""
        exploration = self.document.exploration
        if exploration is None:
            self._show_check("Only expressions built here can be re-evaluated.")
            return []
        try:
            checks = self.document.check_gradients()
        except EngineError as exc:  # the child could not evaluate it again (time, memory)
            self._show_check(f"Not checked: {exc}")
            return []
        if not checks and exploration.expression is None:  # a Python run: its own Functions
            self._show_check("This call runs no autograd.Function of the program's own: "
                             "torch's backward formulas are exact.")
            return []
        lines = []
        for c in checks:
            if not c.checked:
                lines.append(f"{c.name}: {c.note}")
            else:
                mark = "✓" if c.ok else "✗"
                lines.append(f"{mark} {c.name}: max |autograd − numerical| = {c.max_abs_error:.2e} "
                             f"(relative {c.relative_error:.1e})")
        self._show_check("\n".join(lines) or "No leaf to check.")
        return checks

    def _show_check(self, text: str) -> None:
        self.check_result.setText(text)
        self.check_result.setVisible(bool(text) and self.check_button.isVisibleTo(self))

    # -- display ---------------------------------------------------------------------------------
    def show_result_notes(self) -> None:
        """The backward calls to choose from, the notes on the result and the seed button."""
        doc = self.document
        calls = doc.calls
        self.call_box.clear()
        numbers = getattr(doc.exploration, "call_numbers", ()) or range(1, len(calls) + 1)
        for number, call in zip(numbers, calls):
            line = f" · line {call.line}" if call.line else ""
            order = call.graph.highest_order  # a double backward runs through order-2 nodes
            through = f" · through order {order}" if order > 1 else ""
            self.call_box.addItem(f"{number} · {call.label}{line}{through}")
        if doc.call_index is not None:
            self.call_box.setCurrentIndex(doc.call_index)
        self.call_row.setVisible(len(calls) > 1)
        notes = doc.notes  # several: one bullet each (wrapped, they ran into each other)
        self.notes.setText("\n".join(f"• {n}" for n in notes) if len(notes) > 1 else
                           "".join(notes))
        self.notes.setVisible(bool(doc.notes))
        self.seed_button.setVisible(doc.unseeded and doc.state is not None)

    def set_presentation(self, on: bool) -> None:
        """Presentation mode keeps the essentials: the buttons, the step and its card."""
        for widget in (self.speed, self.check_button):
            widget.setVisible(not on)
        self.check_result.setVisible(not on and bool(self.check_result.text()))
        self.card.set_compact(on)

    def set_font_size(self, points: int) -> None:
        """The projector setting: the card and the step label grow with the window's font."""
        font = self.label.font()
        font.setPointSizeF(points * 1.1)
        self.label.setFont(font)
        font.setPointSize(points)
        self.notes.setFont(font)
        self.card.set_font_size(points)

    def set_view_style(self, style: ViewStyle) -> None:
        """The step card's colours and precision."""
        self.view_style = style
        self._restyle()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override: a theme switched
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange:  # presentation mode's palette, or the theme's
            self._restyle()

    def _restyle(self) -> None:
        """The card, the notes and the label in the colours of the background they are painted
        on: the window's theme, or the theme of a palette the window sets for itself
        (presentation mode paints the window white in the dark theme too)."""
        window = self.window()
        style = self.view_style
        theme = palette_theme(window) if window.testAttribute(Qt.WA_SetPalette) else style.theme
        if style.theme != theme:
            style = style.with_colours_of(ViewStyle.for_theme(theme))
        if style != self.card.view_style:
            self.card.set_view_style(style)
        self.notes.setStyleSheet(note_sheet(style))
        for button in self.mode_buttons.values():  # which pass is walked, from the back row
            button.setStyleSheet(checked_sheet(style))
        self.refresh()

    def refresh(self, *_) -> None:
        total = self.total()
        self.slider.blockSignals(True)
        self.slider.setRange(0, total)
        self.slider.setValue(self.current() + 1)
        self.slider.blockSignals(False)
        doc = self.document
        forward = doc.step_mode == FORWARD
        if doc.step is None or doc.step < 0 or doc.trace is None:
            what = "forward" if forward else "backward"
            steps = f"{total:,} step{'s' if total != 1 else ''}"
            self.label.setText(f"Before the {what} pass · {steps}" if total else
                               "Computing the gradients…" if doc.gradients_pending else
                               "No backward pass")
            self.card.show_message("Press → to run the first step." if total else "")
            return
        if forward:
            order = doc.forward_order()
            node = doc.graph.node(order[doc.step])
            self.card.show_forward(forward_card(doc.graph, order, doc.step))
        else:
            node = doc.graph.node(doc.trace.steps[doc.step].node_id)
            self.card.show_backward(step_card(doc.graph, doc.trace, doc.step))
        pass_name = "forward" if forward else "backward"
        # forward, a leaf is given and an op computes (its torch node only runs backward)
        what = ("a leaf, given" if node.kind == "leaf" else "computed") if forward else node.op
        self.label.setText(f"<b>{pass_name} step {doc.step + 1:,} of {total:,}</b>: "
                           f"{node.name or node.label} <span style='color:{muted_colour(self)}'>"
                           f"({what})</span>")


class QuietBox(QWidget):
    """Holds a label whose text changes often (the step label: every step) and takes its size.
    A label's new text lays out its panel, the dock and the main window (~2 ms a step); a box
    without a layout only hears of it, and passes it on when the label's size hints differ from
    those the panel's layout was given, so the panel is laid out exactly as before."""

    def __init__(self, label: QLabel) -> None:
        super().__init__()
        self.label = label
        label.setParent(self)
        self.setSizePolicy(label.sizePolicy())
        self._given: dict = {}  # what the layout was told: "size", "minimum", width → height

    def _hint(self, key):
        if key == "size":
            return self.label.sizeHint()
        return self.label.minimumSizeHint() if key == "minimum" else self.label.heightForWidth(key)

    def _told(self, key):
        self._given[key] = value = self._hint(key)
        return value

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._told("size")

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._told("minimum")

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return self.label.hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return self._told(width)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.label.setGeometry(self.rect())

    def event(self, event) -> bool:
        if event.type() in (QEvent.LayoutRequest, QEvent.Show):  # the label's hints may differ
            if any(self._hint(key) != value for key, value in self._given.items()):
                self._given.clear()  # the layout asks again
                self.updateGeometry()
        return super().event(event)
