"""The docked step card gets the room it needs: read whole, without scrolling, at 1280×720.

The Backward pass dock sits above the Inspector. After each step (and when the window changes
size) the card is fitted, its type never shrinking: the local Jacobian folds to its one-line title
where the card with it open would not fit the dock as the user left it (a click opens it, and it
then stays as the user leaves it); the dock grows into the docks below it for as long as the card
needs it, those keeping at least FLOOR_PX (the Inspector's name and facts; its tabs scroll), and
goes back to the user's height for a card that fits there (not for one that is only a little
smaller: the Inspector does not jump at every step); where even that is not enough, the
line-by-line numbers go (the tiles show the values, as presentation mode's card does). A splitter
the user drags sets the height the dock goes back to. Presentation mode fits the card its own
way (``window.chrome.Presentation.fit_card``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QTabBar

from nla_explorer.panels.stepper import StepperPanel

#: The least height a dock below the card keeps (the Inspector: its name, op and facts) ...
FLOOR_PX = 120
#: ... or this share of the column, on a big screen.
FLOOR_SHARE = 0.18


class CardRoom(QObject):
    """Fits the docked step card after each step: details folded, the dock grown, numbers last."""

    def __init__(self, window: QMainWindow, stepper: StepperPanel, dock: QDockWidget,
                 presenting) -> None:
        super().__init__(window)
        self.window, self.stepper, self.dock, self.presenting = window, stepper, dock, presenting
        self.details: bool | None = None  # the user opened (True) / folded (False) the Jacobian
        self.home: int | None = None  # the dock's height as the user (or the workspace) left it
        self.fitting = False
        self.timer = QTimer(self)  # once the new card is laid out
        self.timer.setSingleShot(True)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self.fit)
        document = stepper.document
        for signal in (document.step_changed, document.graph_changed,
                       document.step_mode_changed):
            signal.connect(self.later)
        stepper.card.jacobian.clicked.connect(self._details_clicked)
        self.fitted_at = -1  # the dock's height after the last fit
        self._measured: tuple = (None, 0)  # need(): the card's state and width, and its answer
        dock.installEventFilter(self)
        window.installEventFilter(self)
        stepper.card_area.installEventFilter(self)

    def later(self, *_) -> None:
        self.timer.start()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if self.fitting or self.presenting():
            return False
        if watched is self.dock and kind == QEvent.Resize:
            self.home = self.dock.height()  # a splitter dragged, a workspace arranged
        elif watched is self.stepper.card_area:  # the step's label took a line more or less
            if kind == QEvent.Resize and self.dock.height() == self.fitted_at:
                self.timer.start()
        elif kind == QEvent.Show or (watched is self.window and kind == QEvent.Resize):
            self.timer.start()
        return False

    def _details_clicked(self, folded: bool) -> None:
        if not self.presenting():
            self.details = not folded
            self.fit()

    # -- measuring -------------------------------------------------------------------------------
    def need(self) -> int:
        """The height the card needs at the width it is shown at (no scroll bar). Measured
        again only where the card, its folding, its numbers or its width changed: a fit asks
        three times a step, the dock's height does not change the answer."""
        card, area = self.stepper.card, self.stepper.card_area
        # the labels refilled and the widgets shown or hidden: their layouts told, now
        QApplication.sendPostedEvents(None, QEvent.LayoutRequest)
        width = area.maximumViewportSize().width()
        key = (card.revision, card.jacobian.folded, card.jacobian.isVisibleTo(card),
               card.numbers.isVisibleTo(card), width)
        if key == self._measured[0]:
            return self._measured[1]
        card.jacobian.updateGeometry()  # its size as the card's layout remembers it: anew
        for layout in (card.jacobian.layout(), card.layout()):
            layout.invalidate()
        height = card.heightForWidth(width) if card.hasHeightForWidth() else -1
        need = max(height, card.minimumSizeHint().height())
        self._measured = (key, need)
        return need

    def room(self) -> int:
        """The card's height on screen, with the dock at its home height."""
        grown = self.dock.height() - self.home if self.home is not None else 0
        return self.stepper.card_area.maximumViewportSize().height() - grown

    def below(self) -> list[QDockWidget]:
        """The docks on screen under the card's dock, in its column (the Inspector)."""
        window, dock = self.window, self.dock
        area, at = window.dockWidgetArea(dock), dock.geometry()
        return [d for d in window.findChildren(QDockWidget, options=Qt.FindDirectChildrenOnly)
                if d is not dock and d.isVisible() and not d.isFloating()
                and window.dockWidgetArea(d) == area and d.geometry().top() > at.top()
                and d.geometry().left() < at.right() and at.left() < d.geometry().right()]

    def tallest(self) -> int:
        """The dock's greatest height: the docks below at their floor (the Results' Hessian
        table, tabbed behind the Inspector, keeps its rows)."""
        docks = self.below()
        column = self.dock.height() + sum(d.height() for d in docks)
        floor = max(FLOOR_PX, round(column * FLOOR_SHARE))
        spare = 0
        for d in docks:
            least = max(w.minimumSizeHint().height()
                        for w in (d, *self.window.tabifiedDockWidgets(d)))
            spare += max(0, d.height() - max(floor, least))
        return self.dock.height() + spare

    def _tab_bar(self, dock: QDockWidget) -> int:
        """The height of the tab bar under ``dock``'s tab group (resizeDocks counts it in)."""
        if not self.window.tabifiedDockWidgets(dock):
            return 0
        for bar in self.window.findChildren(QTabBar, options=Qt.FindDirectChildrenOnly):
            if bar.parentWidget() is self.window and bar.isVisible() and dock.windowTitle() in {
                    bar.tabText(i) for i in range(bar.count())}:
                return bar.height()
        return 0

    # -- fitting ---------------------------------------------------------------------------------
    def fit(self) -> None:
        """The card whole in its dock, if the column has the room (see the module's note)."""
        card = self.stepper.card
        if self.presenting() or card.compact or self.fitting or not self.dock.isVisible() or \
                self.dock.isFloating():
            return
        self.fitting = True
        try:
            if self.home is None:
                self.home = self.dock.height()
            jacobian = card.jacobian
            if jacobian.blocks:
                jacobian.set_folded(False if self.details is None else not self.details)
                if self.details is None and self.need() > self.room():
                    jacobian.set_folded(True)
            card.numbers.setVisible(bool(card.numbers.lines))
            need = self.need()  # fits where it is, and cannot go home (or is home): most steps
            if need <= self.stepper.card_area.maximumViewportSize().height() and (
                    self.grown() == 0 or need > self.room()):
                self._no_stale_scroll_bar()
                return
            most = self.tallest() - self.dock.height()  # how much more room the card can get
            if self.need() > self.room() + max(most, 0) + self.grown() and \
                    card.numbers.isVisible() and not self.details:
                card.numbers.hide()
            self._size()
            self._no_stale_scroll_bar()
        finally:
            self.fitting = False
            self.fitted_at = self.dock.height()

    def _no_stale_scroll_bar(self) -> None:
        """A scroll bar shown for the card before it had its room narrows the card, which then
        needs it: laid out again without one."""
        area = self.stepper.card_area
        if area.verticalScrollBar().isVisible() and \
                self.need() <= area.maximumViewportSize().height():
            area.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
            area.setVerticalScrollBarPolicy(Qt.ScrollBarAsNeeded)

    def grown(self) -> int:
        return max(0, self.dock.height() - self.home) if self.home is not None else 0

    def _size(self) -> None:
        """The dock as tall as the card needs, never less than its home height nor more than
        the docks below allow (a few tries: a separator, a line wrapping anew)."""
        window = self.window
        for _ in range(4):
            height, need = self.dock.height(), self.need()
            lack = need - self.stepper.card_area.maximumViewportSize().height()
            # back home where the card fits there; else no smaller than it is (the Inspector
            # does not jump at every step of a run of big cards)
            target = self.home if need <= self.room() else \
                min(max(height + lack, height if lack < 0 else 0), self.tallest())
            if target == height:
                return
            docks, sizes = [self.dock], [target]
            change = target - height  # taken from (or given to) the docks below, in order
            for below in self.below():
                docks.append(below)
                sizes.append(below.height() + self._tab_bar(below) - change)
                change = 0
            window.resizeDocks(docks, sizes, Qt.Vertical)
            QApplication.sendPostedEvents(None, QEvent.LayoutRequest)  # the card laid out anew
            if self.dock.height() == height:
                return
