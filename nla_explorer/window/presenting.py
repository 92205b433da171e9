"""What presentation mode shows in each workspace, and the workspace keys while it is on.

Graph and Build present the graph and the step card (``chrome.Presentation``). Train presents
the training panel full screen (sliders, the fit, the loss and norm curves; a training step's
graph shown beside them left the plots a strip each at 720p: Ctrl+1 presents it with its card),
Time the timing panel (plots and table): no dock title, the window's high-contrast palette, the
presentation's type, and the plots' lines and markers made thick enough for the back row
(:class:`PlotPresenting`). Ctrl+1…4 while presenting present that workspace instead; leaving, the
window is in the workspace last presented, and the one presented first keeps its layout as it
was.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from nla_explorer.panels.plot_presenting import PlotPresenting

#: Workspaces presented as one panel full screen, and that panel's dock.
PANEL_DOCKS = {"train": "training_dock", "time": "timing_dock"}
#: Panels that follow the window's font themselves (the font box): here only lines and markers.
FOLLOWS_FONT = {"train"}


class Stages(QObject):
    """The panel workspaces' presentation, and Ctrl+1…4 (``present``) while presenting.

    ``workspaces``: the window's :class:`~nla_explorer.workspaces.Workspaces` (None: a window
    without workspaces presents the graph and the card only).
    """

    def __init__(self, window: QMainWindow, workspaces, present) -> None:
        super().__init__(window)
        self.window, self.workspaces = window, workspaces
        self.docks: dict[str, QDockWidget] = {}
        self.plots: dict[str, PlotPresenting] = {}
        for name, dock_name in PANEL_DOCKS.items():
            dock = window.findChild(QDockWidget, dock_name)
            if dock is not None and dock.widget() is not None:
                self.docks[name] = dock
                self.plots[name] = PlotPresenting(dock.widget())
        self.present = present
        self.keys: list[QShortcut] = []  # Ctrl+1…4, while presenting only

    def current(self) -> str:
        """The workspace the window shows ("graph" without workspaces)."""
        return self.workspaces.current if self.workspaces is not None and \
            self.workspaces.current else "graph"

    def dock(self, name: str) -> QDockWidget | None:
        """The dock presented full screen in workspace ``name`` (None: the graph and the card)."""
        return self.docks.get(name)

    def with_graph(self, name: str) -> bool:
        """Whether workspace ``name`` presents the graph (Graph and Build, with the card)."""
        return self.dock(name) is None

    def keys_on(self, on: bool) -> None:
        """Ctrl+1…4 present a workspace (on) or switch to it as usual (off).

        The workspace actions live in the menu and the bar, both hidden while presenting (and
        switching would keep presentation's layout as the workspace's): they are disabled, and
        shortcuts of their keys made for the while, so that a key never has two owners."""
        actions = self.workspaces.actions if self.workspaces is not None else {}
        for action in actions.values():
            action.setEnabled(not on)
        for key in self.keys:
            key.setEnabled(False)
            key.setParent(None)
            key.deleteLater()
        self.keys = [QShortcut(action.shortcut(), self.window, lambda n=name: self.present(n))
                     for name, action in actions.items()] if on else []

    def enter(self, name: str) -> None:
        """Workspace ``name``'s panel full screen (made big by :meth:`big`)."""
        dock = self.docks[name]
        dock.setFloating(False)
        self.window.addDockWidget(Qt.LeftDockWidgetArea, dock)
        dock.setTitleBarWidget(QWidget())  # no "Training" strip: the panel speaks for itself
        dock.show()
        dock.raise_()

    def big(self, name: str, points: int) -> None:
        """After the window's type is the presentation's (``points``): workspace ``name``'s panel
        laid out for presenting, its plots big (nothing in Graph and Build)."""
        if name not in self.docks:
            return
        panel = self.docks[name].widget()
        if name in FOLLOWS_FONT:
            self.plots[name].set_presenting(True)
        else:
            self.plots[name].set_presenting(True, points)
        panel.set_presentation(True, points)

    def leave(self, name: str) -> None:
        """Workspace ``name``'s panel as it was (its dock hidden: the caller lays out again)."""
        dock = self.docks[name]
        self.plots[name].set_presenting(False)
        dock.widget().set_presentation(False)
        dock.setTitleBarWidget(None)
        dock.hide()

    def share(self, name: str) -> None:
        """The panel takes the screen."""
        self.window.resizeDocks([self.docks[name]], [self.window.width()], Qt.Horizontal)

    def switch(self, name: str) -> None:
        """After presentation: the window in workspace ``name``."""
        if self.workspaces is not None and self.workspaces.current != name:
            self.workspaces.switch(name)
