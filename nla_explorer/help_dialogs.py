"""Help ▸ Keyboard shortcuts and Help ▸ Course examples: non-modal pages built from live data.

The shortcut list is read from the window's actions (so it cannot drift from what the keys do),
plus the keys of the stepper and the graph view; the examples page lists each example with the
notebook cell it comes from, and opens one on a double-click.
"""

from __future__ import annotations

from typing import Callable, Iterable

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from nla_explorer.engine.examples import EXAMPLES

#: Keys handled by widgets rather than menu actions.
WIDGET_KEYS = (
    ("→ / ←", "Next / previous step of the pass (stepper, graph view)"),
    ("Home / End", "Before the first step / the last step"),
    ("Space", "Play or pause the steps"),
    ("F", "Walk the forward pass instead of the backward pass (and back)"),
    ("+ / −", "Zoom the graph in / out (graph view)"),
    ("Wheel, pinch", "Zoom the graph; drag to pan"),
    ("Ctrl+Enter", "Capture the graph of the code (code editor)"),
    ("Shift+Enter", "Run the cell at the cursor as Python (code editor)"),
    ("Ctrl+Shift+Enter", "Run all cells as Python, in a fresh namespace (code editor)"),
    ("Delete", "Delete the selected blocks (block editor)"),
)


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """(keys, what) for every action that has a shortcut, then the widgets' own keys."""
    rows = []
    seen = set()
    for action in actions:
        keys = [k.toString(QKeySequence.NativeText) for k in action.shortcuts() if not k.isEmpty()]
        what = action.text().replace("&", "").rstrip("…").strip()
        if keys and what and (what, tuple(keys)) not in seen:
            seen.add((what, tuple(keys)))
            rows.append((" / ".join(keys), what))
    return sorted(rows, key=lambda row: row[1].lower()) + list(WIDGET_KEYS)


def _table(headers: list[str], rows: list[list[str]],
           wrapped: dict[int, int] | None = None) -> QTableWidget:
    """A read-only table; the columns in ``wrapped`` are that many pixels wide and wrap their
    text, the last one takes the rest and wraps, the others fit their text. The rows grow to fit
    the wrapped text at the widths the columns get on screen."""
    wrapped = wrapped or {}
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectRows)
    table.setWordWrap(True)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    header = table.horizontalHeader()
    for c in range(len(headers) - 1):
        header.setSectionResizeMode(c, QHeaderView.Interactive if c in wrapped
                                    else QHeaderView.ResizeToContents)
        if c in wrapped:
            table.setColumnWidth(c, wrapped[c])
    header.setSectionResizeMode(len(headers) - 1, QHeaderView.Stretch)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)  # at any width
    return table


class _Page(QDialog):
    """A non-modal help page: a line of text over a table, and Close."""

    def __init__(self, title: str, intro: str, table: QTableWidget,
                 parent: QWidget | None, size: QSize = QSize(720, 480)) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(False)
        self.table = table
        label = QLabel(intro)
        label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(table, 1)
        layout.addWidget(buttons)
        screen = (parent.screen() if parent is not None else None) or \
            QGuiApplication.primaryScreen()
        room = screen.availableGeometry().size() - QSize(40, 80) if screen else size
        self.resize(size.boundedTo(room))


class ShortcutsDialog(_Page):
    """Help ▸ Keyboard shortcuts."""

    def __init__(self, actions: Iterable[QAction], parent: QWidget | None = None) -> None:
        rows = [list(row) for row in shortcut_rows(actions)]
        super().__init__("Keyboard shortcuts", "Every key the window answers to:",
                         _table(["Keys", "What it does"], rows), parent)


class ExamplesDialog(_Page):
    """Help ▸ Course examples: double-click (or Enter) opens one."""

    def __init__(self, open_example: Callable[[str], object],
                 parent: QWidget | None = None) -> None:
        self.names = list(EXAMPLES)
        rows = [[e.name, e.title, e.source, e.description] for e in EXAMPLES.values()]
        super().__init__("Course examples",
                         "Each example reproduces a cell of the course notebooks "
                         "(../shared/seeds). Double-click one to open it.",
                         _table(["Example", "Expression", "Notebook cell", "What it shows"],
                                rows, wrapped={2: 230}), parent, QSize(1040, 600))
        self._open = open_example
        self.table.itemActivated.connect(lambda item: self.open_row(item.row()))
        self.table.setToolTip("Double-click to open this example")

    def open_row(self, row: int) -> None:
        if 0 <= row < len(self.names):
            self._open(self.names[row])
