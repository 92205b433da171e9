"""A two-pane splitter that keeps its panes at set shares of its room as the window is resized,
until the user drags the handle (then their split stays, as Qt keeps it).

A splitter left to itself shares out each change of size by its stretch factors: a window that
went from 1920×1080 to 1280×720 through docks being laid out (a pane briefly held at its minimum)
came back with the timing table at half the width and the plot squeezed.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QSplitter


class SharesSplitter(QSplitter):
    """The first pane gets ``beside`` of the room side by side (horizontal), ``above`` of it
    stacked (vertical); the second pane the rest, never less than its minimum."""

    def __init__(self, orientation: Qt.Orientation, beside: float = 2 / 3,
                 above: float = 3 / 5) -> None:
        super().__init__(orientation)
        self.beside, self.above = beside, above
        self.user_moved = False
        self.splitterMoved.connect(self._moved)

    def reset(self) -> None:
        """Share the room again (after a change of orientation)."""
        self.user_moved = False
        self.share()

    def _moved(self, *_args) -> None:
        self.user_moved = True

    def share(self) -> None:
        horizontal = self.orientation() == Qt.Orientation.Horizontal
        room = (self.width() if horizontal else self.height()) - self.handleWidth()
        if self.user_moved or room <= 100 or self.count() != 2:
            return
        second = self.widget(1).minimumSizeHint()
        least = second.width() if horizontal else second.height()
        first = min(round(room * (self.beside if horizontal else self.above)), room - least)
        if self.sizes() != [first, room - first]:
            self.setSizes([first, room - first])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.share()

    def event(self, event) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:  # a pane's minimum changed
            self.share()
        return handled
