"""Help for the student alone with the app: the guided tour, keyboard shortcuts, course examples."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenuBar, QMessageBox, QWidget

from nla_explorer import __version__
from nla_explorer.help_dialogs import ExamplesDialog, ShortcutsDialog
from nla_explorer.tour import Stop, Tour
from nla_explorer.workspaces import Workspaces
from nla_explorer.window.chrome import make_action

TOUR_DONE_KEY = "help/tour_done"


class WindowHelp(QObject):
    """Help ▸ Tour, Keyboard shortcuts, Course examples and About, for ``window``."""

    def __init__(self, window: QWidget, settings: QSettings, menu_bar: QMenuBar,
                 load_example: Callable[[str], object], graph: QWidget,
                 workspaces: Workspaces) -> None:
        super().__init__(window)
        self.window, self.settings, self.menu_bar = window, settings, menu_bar
        self.load_example, self.graph, self.workspaces = load_example, graph, workspaces
        self.tour: Tour | None = None
        self.actions = [
            make_action(window, "&Tour", self.start_tour,
                        tip="A one-minute guided tour of the window"),
            make_action(window, "&Keyboard shortcuts", self.show_shortcuts,
                        QKeySequence("Ctrl+/"), "Every key the window answers to"),
            make_action(window, "&Course examples", self.show_examples,
                        tip="Each example and the notebook cell it comes from"),
        ]
        self.about_action = make_action(window, "&About NLA Explorer", self.about)

    def _in(self, workspace: str, target: Callable[[], QWidget | None]):
        """A stop's target: ``workspace`` shown first (its panels where that workspace has them)."""
        def shown() -> QWidget | None:
            self.workspaces.switch(workspace)
            return target()
        return shown

    def tour_stops(self) -> list[Stop]:
        docks = self.workspaces.docks
        return [
            Stop("Welcome to NLA Explorer",
                 "It shows what torch's autograd does: the graph of your computation, the value "
                 "and the gradient at every node, and the backward pass step by step. This tour "
                 "takes a minute; Help ▸ Tour shows it again.", self._in("graph", lambda: None)),
            Stop("One job at a time",
                 "The bar at the top switches workspaces: Graph, Build, Train and Time "
                 "(Ctrl+1…4). Each keeps its own panels; View ▸ Reset layout puts them back.",
                 self._in("graph", lambda: self.workspaces.bar)),
            Stop("Write or paste code",
                 "Paste the PyTorch code of a course cell here and press Ctrl+Enter for its "
                 "graph; Shift+Enter runs a cell as Python. A mistake names the line.",
                 self._in("graph", lambda: docks["code_dock"])),
            Stop("The autograd graph",
                 "Every box is a node of the grad_fn chain: blue leaves, grey ops, the orange "
                 "output. Green numbers are forward values, ∇ gradients. Click a box to inspect "
                 "it; wheel to zoom.", self._in("graph", lambda: self.graph)),
            Stop("Step through the backward pass",
                 "Press → to run the next node: its gradient arrives, the rule it applies is "
                 "written out with this step's numbers, and the gradients it sends are lit on "
                 "the edges. F switches to the forward pass; F11 is presentation mode.",
                 self._in("graph", lambda: docks["stepper_dock"])),
            Stop("…or build it from blocks",
                 "In the Build workspace, double-click or drag blocks from the palette onto the "
                 "canvas and wire them. Blocks and code are the same expression: edit either.",
                 self._in("build", lambda: docks["block_dock"])),
            Stop("Train",
                 "The Train workspace retrains the course's polynomial fit as you drag sliders, "
                 "with live training curves.", self._in("train", lambda: docks["training_dock"])),
            Stop("Time",
                 "The Time workspace measures matrix operations on the CPU and the GPU, "
                 "synchronised and repeated, with the spread of the timings.",
                 self._in("time", lambda: docks["timing_dock"])),
            Stop("That's it",
                 "File ▸ Examples has every course example; Help ▸ Course examples says which "
                 "notebook cell each comes from. Help ▸ Keyboard shortcuts lists the keys.",
                 self._in("graph", lambda: None)),
        ]

    def start_tour(self) -> Tour:
        if self.tour is None:
            self.tour = Tour(self.window, self.tour_stops())
            self.tour.finished.connect(lambda _: self.settings.setValue(TOUR_DONE_KEY, True))
        self.tour.start()
        return self.tour

    def offer_first_tour(self) -> None:
        """On the very first start, once the window is on screen."""
        if self.settings.value(TOUR_DONE_KEY, False) not in (True, "true"):
            QTimer.singleShot(400, self.start_tour)

    def show_shortcuts(self) -> ShortcutsDialog:
        actions = [a for menu in self.menu_bar.actions() if menu.menu() is not None
                   for a in _all_actions(menu.menu())]
        dialog = ShortcutsDialog(actions, self.window)
        dialog.show()
        return dialog

    def show_examples(self) -> ExamplesDialog:
        dialog = ExamplesDialog(self.load_example, self.window)
        dialog.show()
        return dialog

    def about(self) -> None:
        QMessageBox.about(self.window, "About NLA Explorer",
                          f"<b>NLA Explorer {__version__}</b><p>See automatic differentiation: the "
                          "autograd graph torch builds, the forward value and gradient at every "
                          "node, and the backward pass step by step.</p>")


def _all_actions(menu) -> list:
    out = []
    for action in menu.actions():
        out.extend(_all_actions(action.menu()) if action.menu() is not None else [action])
    return out
