"""The main window's chrome: the action helper, the graph toolbar and presentation mode."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QGuiApplication, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QApplication, QComboBox, QDockWidget, QLabel, QLineEdit, QMainWindow,
    QSpinBox, QTabBar, QToolBar, QWidget,
)

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.graph_view.pane import GraphPane
from nla_explorer.graph_view.picture import PictureOptions
from nla_explorer.panels.stepper import StepperPanel
from nla_explorer.preferences import GROUP_DEPTHS
from nla_explorer.window.card_room import CardRoom
from nla_explorer.window.presenting import Stages

ENGINES = ("auto", "builtin", "dot")
#: Presentation mode shrinks the type of a long step card down to this, never below.
MIN_CARD_POINTS, FOLD_POINTS = 11, 14  # below FOLD_POINTS the local Jacobian folds first
GROUPS_TIP = "Open module groups to this depth; double-click a group to open or close it"
FOLD_TIP = "Draw consecutive look-alike groups (a stack of layers) as one box ×N"
NO_GROUPS_TIP = ("This graph has no module groups: capture a model's forward pass (nn.Module "
                 "calls) to see its layers as groups")


def high_contrast_palette(dark: bool = False) -> QPalette:
    """Presentation colours, readable from the back row: black on white, or (in the dark theme,
    beside the graph's dark canvas) white on black, with a strong selection."""
    ink, paper, button = ("#ffffff", "#000000", "#2a2a2a") if dark else \
        ("#000000", "#ffffff", "#f0f0f0")
    palette = QPalette(QApplication.palette())
    for role, colour in ((QPalette.Window, paper), (QPalette.WindowText, ink),
                         (QPalette.Base, paper), (QPalette.Text, ink),
                         (QPalette.Button, button), (QPalette.ButtonText, ink),
                         (QPalette.Highlight, "#0050a0"), (QPalette.HighlightedText, "#ffffff")):
        palette.setColor(role, QColor(colour))
    return palette


def make_action(parent: QObject, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    """A menu or toolbar action: ``text``, its shortcut(s), a tooltip, ``slot`` on trigger."""
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcuts(shortcut if isinstance(shortcut, list) else [shortcut])
    action.setToolTip(tip or text.replace("&", ""))
    action.triggered.connect(slot)
    return action


def add_dock(window: QMainWindow, title: str, name: str, widget: QWidget, area) -> QDockWidget:
    """A dock named ``name`` (for the saved layout) holding ``widget``, added to ``window``."""
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(widget)
    window.addDockWidget(area, dock)
    return dock


class GraphToolbar(QToolBar):
    """Zoom, fit, node search, font size, layout engine, Constants, Collapse chains, and how far
    module groups open and whether repeats fold (greyed when the graph has no groups)."""

    def __init__(self, parent: QWidget, pane: GraphPane) -> None:
        super().__init__("Graph", parent)
        self.setObjectName("graph_toolbar")
        self.pane = pane
        self.zoom_in_action = make_action(parent, "Zoom in", lambda: pane.zoom_by(1.25),
                                          QKeySequence.ZoomIn)
        self.zoom_out_action = make_action(parent, "Zoom out", lambda: pane.zoom_by(0.8),
                                           QKeySequence.ZoomOut)
        self.fit_action = make_action(parent, "Fit", pane.fit, QKeySequence("Ctrl+0"),
                                      "Fit the whole graph in the window")
        for action in (self.zoom_in_action, self.zoom_out_action, self.fit_action):
            self.addAction(action)
        self.addSeparator()
        self.search = QLineEdit()
        self.search.setObjectName("node_search")
        self.search.setPlaceholderText("Find node (name, op or module)…")
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(220)
        self.search.setToolTip("Type a variable name or an op (mul, matmul…) and press Enter")
        self.addWidget(self.search)
        self.addSeparator()
        self.addWidget(QLabel(" Font "))
        self.font_spin = QSpinBox()
        self.font_spin.setRange(6, 40)
        self.font_spin.setToolTip("Font size of the graph, code and inspector (projector: 16+)")
        self.addWidget(self.font_spin)
        self.addWidget(QLabel(" Layout "))
        self.engine_combo = QComboBox()
        self.engine_combo.addItems(ENGINES)
        self.engine_combo.setToolTip("auto: Graphviz dot for small graphs when installed, "
                                     "else the built-in layered layout")
        self.addWidget(self.engine_combo)
        self.constants_action = QAction("Constants", parent)
        self.constants_action.setToolTip("Show the constants torch saved as boxes")
        self.constants_action.setCheckable(True)
        self.collapse_action = QAction("Collapse chains", parent)
        self.collapse_action.setToolTip("Draw long chains of ops as one box")
        self.collapse_action.setCheckable(True)
        self.addAction(self.constants_action)
        self.addAction(self.collapse_action)
        self.addSeparator()
        self.groups_label = QLabel(" Groups ")
        self.groups_combo = QComboBox()
        self.groups_combo.setObjectName("group_depth")
        for text, depth in GROUP_DEPTHS:
            self.groups_combo.addItem(text, depth)
        self.fold_action = QAction("Fold repeats", parent)
        self.fold_action.setCheckable(True)
        self.fold_action.setChecked(True)
        self.addWidget(self.groups_label)
        self.addWidget(self.groups_combo)
        self.addAction(self.fold_action)
        self.groups_combo.currentIndexChanged.connect(self._groups_changed)
        # choosing the depth shown again: back to it, forgetting the groups opened by hand
        self.groups_combo.activated.connect(lambda _: pane.reset_groups())
        self.fold_action.toggled.connect(self._groups_changed)
        pane.picture_shown.connect(self._follow_picture)
        self._follow_picture()

    def group_depth(self) -> int:
        """The depth the Groups box asks for (``PictureOptions.group_depth``)."""
        return self.groups_combo.currentData()

    def set_group_depth(self, depth: int) -> None:
        """Show ``depth`` in the Groups box (a depth it does not offer: Auto)."""
        self.groups_combo.setCurrentIndex(max(0, self.groups_combo.findData(depth)))

    def picture_options(self, style: ViewStyle) -> PictureOptions:
        """The pane's options as the toolbar sets them, drawn in ``style``."""
        return replace(self.pane.options, engine=self.engine_combo.currentText(),
                       show_constants=self.constants_action.isChecked(),
                       collapse=self.collapse_action.isChecked(), style=style,
                       group_depth=self.group_depth(), fold=self.fold_action.isChecked())

    def _groups_changed(self, *_) -> None:
        self.pane.set_options(replace(self.pane.options, group_depth=self.group_depth(),
                                      fold=self.fold_action.isChecked()))

    def _follow_picture(self, *_) -> None:
        """The group controls work only on a picture with groups: greyed, saying why, without."""
        picture = self.pane.picture
        grouped = picture is not None and bool(picture.tree)
        for control in (self.groups_label, self.groups_combo, self.fold_action):
            control.setEnabled(grouped)
        self.groups_label.setToolTip(GROUPS_TIP if grouped else NO_GROUPS_TIP)
        self.groups_combo.setToolTip(GROUPS_TIP if grouped else NO_GROUPS_TIP)
        self.fold_action.setToolTip(FOLD_TIP if grouped else NO_GROUPS_TIP)


def fitting_size(window: QWidget, wanted: QSize = QSize(1400, 860)) -> QSize:
    """``wanted``, shrunk to the available geometry of the window's screen (minus its frame)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return wanted
    room = screen.availableGeometry().size() - QSize(16, 40)  # a title bar and borders
    return wanted.boundedTo(room).expandedTo(QSize(640, 400))


class Presentation(QObject):
    """View ▸ Presentation mode (F11/F5): full screen, high contrast, what the workspace shows.

    Graph and Build: the graph and the step card; Train: the training panel; Time: the timing
    panel (``window.presenting.Stages``). Every other dock, the toolbars, the menu and the status
    bar go away; Ctrl+1…4 present another workspace; leaving (Esc, F11) puts the workspace back as
    it was. ``workspaces``: the window's, which say what each workspace shows.
    """

    def __init__(self, window: QMainWindow, pane: GraphPane, stepper: StepperPanel,
                 stepper_dock: QDockWidget, font_spin: QSpinBox, workspaces) -> None:
        super().__init__(window)
        self.window, self.pane, self.stepper, self.stepper_dock = window, pane, stepper, stepper_dock
        self.font_spin = font_spin
        self._normal_state = None  # the window layout to return to after presentation mode
        self._returning = None  # that layout, until the window has its own size back
        self.action = make_action(window, "&Presentation mode", self.toggle,
                                  [QKeySequence("F11"), QKeySequence("F5")],
                                  "Full screen, high contrast: the graph and the step card only")
        self.action.setCheckable(True)
        window.addAction(self.action)  # F11 leaves too, with the menu bar hidden
        self._leave = QShortcut(QKeySequence("Esc"), window, self._escape)
        self._fit_timer = QTimer(self)  # the card is fitted once its new content is laid out
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(30)
        self._fit_timer.timeout.connect(self.fit_card)
        pane.document.step_changed.connect(lambda _: self.active and self._fit_timer.start())
        stepper.card.jacobian.clicked.connect(self._details_clicked)
        window.installEventFilter(self)  # a new screen size: fit the card again
        # docked, the card is fitted by the room it is given (presentation: by its type)
        self.card_room = CardRoom(window, stepper, stepper_dock, lambda: self.active)
        self.stages = Stages(window, workspaces, self.present)
        self.shown = self._origin = ""  # the workspace presented, and the one presented first
        self._switch_to: str | None = None  # after leaving, once the window has its size back

    def _forget_return(self, state) -> None:
        if self._returning is state:
            self._returning = None
            self._switch_pending()

    def _switch_pending(self) -> None:
        """Leaving, the window goes to the workspace last presented (its layout is its own)."""
        name, self._switch_to = self._switch_to, None
        if name is not None:
            self.stages.switch(name)

    def _restore(self, state) -> None:
        self.window.restoreState(state)
        self._switch_pending()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Resize and self.active:
            QTimer.singleShot(0, self._share_screen)
        elif event.type() == QEvent.Resize and self._returning is not None and \
                not self.window.isFullScreen() and event.size() == self._returning[1]:
            state, self._returning = self._returning[0], None  # its own size back: its layout
            QTimer.singleShot(0, lambda: self._restore(state))
        return False

    def _share_screen(self) -> None:
        """The card takes two fifths of the screen (its rule and numbers without scrolling), the
        graph the rest; then the card's type is fitted."""
        if self.active and self.stages.dock(self.shown) is not None:
            self.stages.share(self.shown)
        elif self.active:
            self.window.resizeDocks([self.stepper_dock], [max(360, self.window.width() * 2 // 5)],
                                    Qt.Horizontal)
            self._fit_timer.start()

    def card_overflows(self) -> bool:
        """Whether the step card needs scrolling (or is cut off at the side) where it is."""
        scroll = self.stepper.card_area
        return (scroll.verticalScrollBar().maximum() > 0 or
                scroll.widget().minimumSizeHint().width() > scroll.viewport().width() + 1)

    def fit_card(self, details: bool | None = None) -> None:
        """Presentation mode: each step's card readable without scrolling. It starts from the
        presentation's type with its details open; the card's own type shrinks (never below
        MIN_CARD_POINTS, the details folding first below FOLD_POINTS) until it fits the screen.
        ``details`` True / False: the presenter opened / folded the local Jacobian, which stays
        so (opened, its pictures shrink to the dock if the smallest type is still too big).
        The graph keeps its type, and a small card after a big one is big again."""
        if not self.active or self.stages.dock(self.shown) is not None:
            return
        points = self.font_spin.value()
        card = self.stepper.card
        card.jacobian.set_folded(details is False)
        card.squeeze_pictures(False)
        self.stepper.set_font_size(points)
        QApplication.processEvents()  # the new card laid out
        floors = ((FOLD_POINTS, False), (MIN_CARD_POINTS, True)) if details is None else \
            ((MIN_CARD_POINTS, False),)
        for floor, fold in floors:
            if fold:  # the details fold before the type gets small; folded, it may grow again
                if not self.card_overflows():
                    break
                card.jacobian.set_folded(True)
                points = self.font_spin.value()
                self.stepper.set_font_size(points)
                QApplication.processEvents()
            while self.active and self.card_overflows() and points > floor:
                points -= 1
                self.stepper.set_font_size(points)
                QApplication.processEvents()
        if details and self.card_overflows():
            card.squeeze_pictures(True)

    def _details_clicked(self, folded: bool) -> None:
        if self.active:
            self._fit_timer.stop()
            self.fit_card(details=not folded)

    @property
    def active(self) -> bool:
        return self._normal_state is not None

    def _escape(self) -> None:
        if self.active:
            self.toggle()

    def present(self, name: str) -> None:
        """Ctrl+1…4 while presenting: present workspace ``name`` (leaving lands there)."""
        if not self.active or name == self.shown:
            return
        self._stage(False)
        self.shown = name
        self._stage(True)
        self.stages.big(name, self.font_spin.value())
        self._share_screen()
        QTimer.singleShot(120, self.pane.fit)

    def _stage(self, on: bool) -> None:
        """Show (``on``) or take away what the presented workspace shows."""
        name, window = self.shown, self.window
        if self.stages.dock(name) is not None:
            if on:
                self.stepper_dock.hide()
                self.pane.setVisible(self.stages.with_graph(name))
                self.pane.set_presentation(True)
                self.stages.enter(name)
            else:
                self.stages.leave(name)
        elif on:
            self.pane.show()
            self.pane.set_presentation(True)
            self.stepper_dock.setFloating(False)
            window.addDockWidget(Qt.RightDockWidgetArea, self.stepper_dock)
            self.stepper_dock.show()
            self.stepper.set_presentation(True)
        else:
            self.stepper_dock.hide()

    def toggle(self) -> None:
        """F11/F5: full screen, big fonts, only what the workspace presents (again: back)."""
        window = self.window
        if self._normal_state is None:
            self._normal_state = (window.saveState(), self.font_spin.value(),
                                  window.isFullScreen(), self.pane.isVisibleTo(window),
                                  window.size())
            for bar in window.findChildren(QToolBar):
                bar.hide()
            for dock in window.findChildren(QDockWidget):
                if dock is not self.stepper_dock:
                    dock.hide()
            for bar in window.findChildren(QTabBar):  # the tabs of the docks just hidden
                if bar.parentWidget() is window:
                    bar.hide()
            window.menuBar().hide()
            window.statusBar().hide()
            self.shown = self._origin = self.stages.current()
            self.stages.keys_on(True)
            self._stage(True)
            window.setPalette(high_contrast_palette(self.pane.view_style.is_dark))
            self.font_spin.setValue(max(20, self.font_spin.value()))
            self.stages.big(self.shown, self.font_spin.value())  # a panel: at that type
            window.showFullScreen()
            self._share_screen()
        else:
            state, font, full, graph, size = self._normal_state
            self._stage(False)
            self.stages.keys_on(False)
            self._normal_state = None
            if not full:
                window.showNormal()
            window.menuBar().show()
            window.statusBar().show()
            self.pane.setVisible(graph)
            self.pane.set_presentation(False)
            self.stepper.set_presentation(False)
            self.stepper.card.jacobian.set_folded(False)
            self.card_room.later()
            window.setPalette(QPalette())  # inherit the application's again (it follows the theme)
            self.font_spin.setValue(font)
            self.stepper.set_font_size(font)  # the card's type was fitted apart from the spin
            # last, the panels at their own fonts; and again once leaving full screen has given
            # the window its own size back (later, from the platform): laid out for that size
            window.restoreState(state)
            if not full:
                # not kept past a second, nor restored at another size: that resize is the user's
                self._returning = (state, size)
                returning = self._returning
                QTimer.singleShot(1000, lambda: self._forget_return(returning))
            if self.shown != self._origin:  # Ctrl+1…4 while presenting: to that workspace,
                self._switch_to = self.shown  # once the one left has its layout back
                if full or window.size() == size:
                    self._returning = None
                    self._switch_pending()
        self.action.setChecked(self._normal_state is not None)
        self._fit_timer.stop()
        if self.active:
            self._fit_timer.start()
        # the graph fills the new room, once laid out
        QTimer.singleShot(120, self.pane.fit)
