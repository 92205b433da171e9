"""Workspaces: one job big at a time (Graph, Build, Train, Time), each remembering its layout.

A workspace is a set of docks in given areas and proportions, with the graph shown or not (Train
shows it on demand: the network's step graph beside the curves, not whatever code is loaded). The
window switches between them from the workspace bar or Ctrl+1…4; leaving one saves the window's
dock state under its name (and in the settings), coming back restores it, and View ▸ Reset layout
puts the current one back to its default arrangement. As the window changes size the shown docks
keep their share of it (``_Proportions``), and a layout saved at another size comes back scaled.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar, QToolBar, QWidget

from nla_explorer.window.chrome import make_action

LEFT, RIGHT, BOTTOM = Qt.LeftDockWidgetArea, Qt.RightDockWidgetArea, Qt.BottomDockWidgetArea
#: Bump when a default arrangement changes: saved layouts of an older version are dropped.
LAYOUT_VERSION = 3


@dataclass(frozen=True)
class Arrangement:
    """A workspace's default: docks by name with their area and share of the window's width,
    docks split below another one (name, above, share of the height), the graph shown or not."""

    title: str
    tip: str
    docks: tuple[tuple[str, Qt.DockWidgetArea, float], ...]
    below: tuple[tuple[str, str, float], ...] = ()
    graph: bool = True
    tabbed: tuple[tuple[str, str], ...] = ()  # (dock, the dock it is a tab behind)
    with_graph: float = 0.0  # a graph hidden by default shown on demand: the docks' share then


ARRANGEMENTS: dict[str, Arrangement] = {
    "graph": Arrangement(
        "Graph", "The graph, the backward pass, the inspector and the code (Ctrl+1)",
        (("code_dock", LEFT, 0.30), ("stepper_dock", RIGHT, 0.29)),
        (("inspector_dock", "stepper_dock", 0.45),), tabbed=(("results_dock", "inspector_dock"),)),
    "build": Arrangement(
        "Build", "Blocks: the palette and the canvas beside the live graph (Ctrl+2)",
        # the editor a little wider than the graph beside it: at 1280 px its canvas shows the
        # course's widest programs whole with room to spare (fonts differ between machines)
        (("palette_dock", LEFT, 0.15), ("block_dock", LEFT, 0.44))),
    "train": Arrangement(
        "Train", "Sliders and training curves; Show graph adds one training step's graph (Ctrl+3)",
        (("training_dock", LEFT, 1.0),), graph=False, with_graph=0.70),
    "time": Arrangement(
        "Time", "CPU and GPU timings of matrix operations: controls, plots, table (Ctrl+4)",
        (("timing_dock", LEFT, 1.0),), graph=False),
}


class Workspaces(QObject):
    """The window's workspaces: ``switch(name)``, ``reset()``, the bar and the actions."""

    changed = Signal(str)

    def __init__(self, window: QMainWindow, graph: QWidget, docks: list[QDockWidget],
                 settings: QSettings) -> None:
        super().__init__(window)
        self.window, self.graph, self.settings = window, graph, settings
        self.docks = {dock.objectName(): dock for dock in docks}
        for dock in docks:  # all side by side until a workspace is arranged: a huge minimum size
            dock.hide()
        self.current = ""
        self._states: dict[str, QByteArray] = {}
        self._saved_at: dict[str, QSize] = {}  # the window's size when each layout was saved
        self._graph_shown: dict[str, bool] = {}  # on demand, where the default hides the graph
        self.bar = QToolBar("Workspaces", window)
        self.bar.setObjectName("workspace_bar")
        self.bar.setMovable(False)
        group = QActionGroup(self)
        self.actions = {}
        for number, (name, arrangement) in enumerate(ARRANGEMENTS.items(), start=1):
            action = make_action(window, arrangement.title,
                                 lambda _=False, n=name: self.switch(n),
                                 QKeySequence(f"Ctrl+{number}"), arrangement.tip)
            action.setCheckable(True)
            action.setObjectName(f"workspace_{name}")
            group.addAction(action)
            self.bar.addAction(action)
            self.actions[name] = action
        self.reset_action = make_action(window, "&Reset layout", self.reset,
                                        tip="Put this workspace's panels back where they started")
        self.proportions = _Proportions(window, docks)
        self._load()

    # -- switching ---------------------------------------------------------------------------------
    def switch(self, name: str) -> None:
        """Show workspace ``name``: its saved layout, or its default arrangement the first time."""
        if name not in ARRANGEMENTS:
            raise ValueError(f"no workspace named {name!r} (one of {', '.join(ARRANGEMENTS)})")
        if name == self.current:
            self.actions[name].setChecked(True)
            return
        if self.current:
            self._keep_state()
        self.current = name
        self.actions[name].setChecked(True)
        # the graph first: docks restored beside a hidden graph take its room, and keep it
        self.graph.setVisible(self.graph_wanted(name))
        state = self._states.get(name)
        if state is not None and self.window.restoreState(state, LAYOUT_VERSION):
            self.proportions.rescale(self._saved_at.get(name, QSize()))
        else:
            self._arrange(name)
        self._hide_stray_tabs()
        self.changed.emit(name)

    def _keep_state(self) -> None:
        self._states[self.current] = self.window.saveState(LAYOUT_VERSION)
        self._saved_at[self.current] = self.window.size()

    def _hide_stray_tabs(self) -> None:
        """Restoring a layout whose tabbed docks are hidden leaves their tab bar on screen (Time
        showed "Inspector | Results" over its table): hide a bar none of whose docks shows."""
        shown = {dock.windowTitle() for dock in self.docks.values() if not dock.isHidden()}
        for bar in self.window.findChildren(QTabBar):
            if bar.parentWidget() is self.window and bar.count() and not (
                    {bar.tabText(i) for i in range(bar.count())} & shown):
                bar.hide()

    def graph_wanted(self, name: str) -> bool:
        """Whether workspace ``name`` shows the graph (its default, or as Show graph left it)."""
        return self._graph_shown.get(name, ARRANGEMENTS[name].graph)

    def show_graph(self, shown: bool = True) -> None:
        """The current workspace with the graph (``shown``) or without: Train's Show graph. The
        docks give the graph the room its arrangement says, and take it back when it goes."""
        arrangement = ARRANGEMENTS[self.current]
        if not arrangement.with_graph or shown == self.graph.isVisibleTo(self.window):
            return
        self._graph_shown[self.current] = shown
        self.graph.setVisible(shown)
        self._size_widths(arrangement)
        self.changed.emit(self.current)

    def reset(self) -> None:
        """View ▸ Reset layout: the current workspace's default arrangement."""
        self._states.pop(self.current, None)
        self._graph_shown.pop(self.current, None)
        self._arrange(self.current)
        self.changed.emit(self.current)

    def save(self) -> None:
        """Keep every workspace's layout (and which one is shown) in the settings."""
        if self.current:
            self._keep_state()
        for name, state in self._states.items():
            self.settings.setValue(f"workspaces/{name}", state)
            if name in self._saved_at:
                self.settings.setValue(f"workspaces/{name}_size", self._saved_at[name])
        for name in ARRANGEMENTS:
            self.settings.setValue(f"workspaces/{name}_graph", self.graph_wanted(name))
        self.settings.setValue("workspaces/current", self.current)
        self.settings.setValue("workspaces/version", LAYOUT_VERSION)

    def _load(self) -> None:
        if str(self.settings.value("workspaces/version", "")) != str(LAYOUT_VERSION):
            return  # none saved, or an older arrangement: the defaults
        for name in ARRANGEMENTS:
            state = self.settings.value(f"workspaces/{name}")
            if isinstance(state, QByteArray):  # a corrupt settings file can hold anything here
                self._states[name] = state
            size = self.settings.value(f"workspaces/{name}_size")
            if isinstance(size, QSize) and size.isValid():
                self._saved_at[name] = size
            shown = str(self.settings.value(f"workspaces/{name}_graph", "")).lower()
            if ARRANGEMENTS[name].with_graph and shown in ("true", "false"):
                self._graph_shown[name] = shown == "true"

    def start(self) -> None:
        """Show the workspace the user left last (Graph the first time)."""
        saved = self.settings.value("workspaces/current", "graph")
        self.switch(saved if saved in ARRANGEMENTS else "graph")

    # -- arranging -----------------------------------------------------------------------------------
    def _arrange(self, name: str) -> None:
        arrangement = ARRANGEMENTS[name]
        window = self.window
        shown = {dock for dock, _area, _share in arrangement.docks}
        shown |= {dock for dock, _above, _share in arrangement.below}
        shown |= {dock for dock, _front in arrangement.tabbed}
        for dock_name, dock in self.docks.items():
            if dock_name not in shown:
                dock.hide()
        previous = None
        for dock_name, area, _share in arrangement.docks:
            dock = self.docks[dock_name]
            dock.setFloating(False)
            if previous is not None and window.dockWidgetArea(previous) == area:
                window.splitDockWidget(previous, dock, Qt.Horizontal)
            else:
                window.addDockWidget(area, dock)
            dock.show()
            previous = dock
        for dock_name, above, _share in arrangement.below:
            dock = self.docks[dock_name]
            dock.setFloating(False)
            window.splitDockWidget(self.docks[above], dock, Qt.Vertical)
            dock.show()
        for dock_name, front in arrangement.tabbed:
            dock = self.docks[dock_name]
            dock.setFloating(False)
            window.tabifyDockWidget(self.docks[front], dock)
            dock.show()
            self.docks[front].raise_()
        self.graph.setVisible(self.graph_wanted(name))
        # sizes once the window has its size (the first arrangement comes before it is shown)
        QTimer.singleShot(0, self.window, lambda: self._size(arrangement))
        self._size(arrangement)

    def _size(self, arrangement: Arrangement) -> None:
        window = self.window
        self._size_widths(arrangement)
        for dock_name, above, share in arrangement.below:
            height = max(window.height() - 120, 300)
            window.resizeDocks([self.docks[above], self.docks[dock_name]],
                               [int(height * (1 - share)), int(height * share)], Qt.Vertical)

    def _size_widths(self, arrangement: Arrangement) -> None:
        """The docks' shares of the width (scaled by ``with_graph`` while a graph shown on demand
        is)."""
        window = self.window
        width = max(window.width(), 640)
        docks = [self.docks[n] for n, _a, _s in arrangement.docks]
        scale = arrangement.with_graph if arrangement.with_graph and \
            self.graph.isVisibleTo(window) else 1.0
        window.resizeDocks(docks, [max(120, int(width * share * scale)) for _n, _a, share
                                   in arrangement.docks], Qt.Horizontal)


class _Proportions(QObject):
    """The shown docks keep their share of the window as it changes size.

    QMainWindow gives a bigger window's room to the graph alone (the docks keep their pixels:
    Build's canvas arranged at 1280 px stayed 540 px at 1920) and takes a smaller one's from it
    first. Here a dock's size across its area (a side dock's width, a top or bottom dock's
    height) follows the window's, and docks stacked along an area (the stepper above the
    inspector) keep their ratio. What each dock should have is measured whenever it changes
    while the window keeps its size (a splitter dragged, a workspace arranged or restored), never
    from this class's own resizing: a minimum size reached in a small window is not kept in a
    big one, and rounding does not creep. Full screen is presentation mode's, which shares the
    screen out itself and puts the layout back as it was.
    """

    def __init__(self, window: QMainWindow, docks: list[QDockWidget]) -> None:
        super().__init__(window)
        self.window, self.docks = window, list(docks)
        self.size = QSize()  # the window size ``wanted`` is for
        self.wanted: dict[QDockWidget, list[float]] = {}  # [width, height] at ``size``
        self.applying = False  # the docks are being sized here: their new sizes are not news
        self.full = False
        window.installEventFilter(self)
        for dock in self.docks:
            dock.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if watched is self.window:  # Qt lays the window out before its event filters hear it
            if kind == QEvent.Resize and not self.applying:
                self._window_resized()
        elif kind in (QEvent.Resize, QEvent.Show) and not self.applying and \
                self.window.size() == self.size:
            self.wanted[watched] = [float(watched.width()), float(watched.height())]
        return False

    def shown(self) -> list[QDockWidget]:
        """Docks on screen in the window (not floating, not a tab parked behind another)."""
        rect = self.window.rect()
        return [dock for dock in self.docks if dock.isVisible() and not dock.isFloating()
                and rect.intersects(dock.geometry())]

    def _window_resized(self) -> None:
        window = self.window
        was_full, self.full = self.full, window.isFullScreen()
        if was_full or self.full or not self.size.isValid() or not window.isVisible():
            self.size = window.size()
            self.wanted = {d: [float(d.width()), float(d.height())] for d in self.shown()}
        elif window.size() != self.size:
            self._follow(self.size)

    def rescale(self, saved_at: QSize) -> None:
        """A layout just restored as it was saved at window size ``saved_at``: sized for this
        one."""
        window = self.window
        if saved_at.isValid() and saved_at != window.size() and window.isVisible() and \
                not window.isFullScreen():
            self.wanted = {d: [float(d.width()), float(d.height())] for d in self.shown()}
            self._follow(saved_at)

    def _follow(self, old: QSize) -> None:
        """The shown docks sized for the window's size as ``wanted`` says they were for
        ``old``."""
        window = self.window
        new = self.size = window.size()
        docks = self.shown()
        wanted = {d: self.wanted.get(d, [float(d.width()), float(d.height())]) for d in docks}
        rows: dict[tuple, list[QDockWidget]] = {}
        for dock in docks:
            side = window.dockWidgetArea(dock) in (LEFT, RIGHT)
            across = 0 if side else 1
            wanted[dock][across] *= (new.width() / max(old.width(), 1) if side else
                                     new.height() / max(old.height(), 1))
            geometry = dock.geometry()  # as the layout has just fitted it to the new size
            key = (window.dockWidgetArea(dock), geometry.x(), geometry.width()) if side else \
                (window.dockWidgetArea(dock), geometry.y(), geometry.height())
            rows.setdefault(key, []).append(dock)
        for (area, _at, _extent), row in rows.items():  # stacked docks keep their ratio
            along = 1 if area in (LEFT, RIGHT) else 0
            room = sum((d.width(), d.height())[along] for d in row)
            total = sum(wanted[d][along] for d in row)
            for dock in row:
                wanted[dock][along] *= room / total if total > 0 else 1.0
        self.wanted = wanted
        self.applying = True
        try:
            for index, orientation in ((0, Qt.Horizontal), (1, Qt.Vertical)):
                change = [d for d in docks if round(wanted[d][index]) > 0 and
                          abs(wanted[d][index] - (d.width(), d.height())[index]) >= 1]
                if change:
                    window.resizeDocks(change, [round(wanted[d][index]) + self._tabs(d)[index]
                                                for d in change], orientation)
            # laid out now, not at the next layout request: whoever resized the window reads
            # the docks' new sizes, and the screen never shows them half-way
            window.layout().activate()
        finally:
            self.applying = False

    def _tabs(self, dock: QDockWidget) -> tuple[int, int]:
        """The room the tab bar of ``dock``'s tab group takes (resizeDocks counts it in)."""
        if not self.window.tabifiedDockWidgets(dock):
            return 0, 0
        for bar in self.window.findChildren(QTabBar):
            if bar.parentWidget() is self.window and bar.isVisible() and dock.windowTitle() in {
                    bar.tabText(i) for i in range(bar.count())}:
                return (0, bar.height()) if bar.width() > bar.height() else (bar.width(), 0)
        return 0, 0


class _ShapeWatcher(QObject):
    """Calls ``panel.set_side_by_side(wide)`` whenever the dock's shape changes."""

    def __init__(self, dock: QDockWidget, panel) -> None:
        super().__init__(dock)
        self.dock, self.panel, self.wide = dock, panel, None
        dock.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Resize:
            size = self.dock.size()
            wide = size.width() > 1.4 * size.height()
            if wide != self.wide:
                self.wide = wide
                self.panel.set_side_by_side(wide)
        return False


def follow_dock_shape(dock: QDockWidget, panel) -> None:
    """Plots side by side in a wide dock, stacked in a tall one (whatever the workspace)."""
    _ShapeWatcher(dock, panel)
    panel.set_side_by_side(True)
