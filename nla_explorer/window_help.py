"""Help for the student alone with the app: the guided tour, keyboard shortcuts, course examples.

A mixin of :class:`~nla_explorer.main_window.MainWindow`.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer

from nla_explorer.help_dialogs import ExamplesDialog, ShortcutsDialog
from nla_explorer.tour import Stop, Tour

TOUR_DONE_KEY = "help/tour_done"


class WindowHelp:
    """Help ▸ Tour, Keyboard shortcuts, Course examples (a mixin)."""

    def tour_stops(self) -> list[Stop]:
        def raised(dock):
            def target():
                dock.show()
                dock.raise_()
                return dock
            return target

        return [
            Stop("Welcome to NLA Explorer",
                 "It shows what torch's autograd does: the graph of your computation, the value "
                 "and the gradient at every node, and the backward pass step by step. This tour "
                 "takes a minute; Help ▸ Tour shows it again.", lambda: None),
            Stop("Write or paste code",
                 "Paste the PyTorch code of a course cell here and press Ctrl+Enter. Only a "
                 "whitelist of tensor operations runs; a mistake names the line.",
                 raised(self.code_dock)),
            Stop("…or build it from blocks",
                 "Drag blocks from the Blocks tab onto the block editor below and wire them. "
                 "Blocks and code are the same expression: edit either.", raised(self.block_dock)),
            Stop("The autograd graph",
                 "Every box is a node of the grad_fn chain: blue leaves, grey ops, the orange "
                 "output. Green numbers are forward values, ∇ gradients. Click a box to inspect "
                 "it; wheel to zoom.", lambda: self.graph_pane),
            Stop("Step through the backward pass",
                 "Press → to run the next node: its gradient arrives, the rule it applies is "
                 "written out with this step's numbers, and the gradients it sends are lit on "
                 "the edges. F switches to the forward pass; F11 is presentation mode.",
                 raised(self.stepper_dock)),
            Stop("Train and time",
                 "The Training tab retrains the course's polynomial fit as you drag sliders; "
                 "the CPU / GPU timing tab measures matrix operations correctly.",
                 raised(self.training_dock)),
            Stop("That's it",
                 "File ▸ Examples has every course example; Help ▸ Course examples says which "
                 "notebook cell each comes from. Help ▸ Keyboard shortcuts lists the keys.",
                 lambda: None),
        ]

    def start_tour(self) -> Tour:
        if getattr(self, "tour", None) is None:
            self.tour = Tour(self, self.tour_stops())
            self.tour.finished.connect(lambda _: self.settings.setValue(TOUR_DONE_KEY, True))
        self.tour.start()
        return self.tour

    def offer_first_tour(self) -> None:
        """On the very first start, once the window is on screen."""
        if self.settings.value(TOUR_DONE_KEY, False) not in (True, "true"):
            QTimer.singleShot(400, self.start_tour)

    def show_shortcuts(self) -> ShortcutsDialog:
        actions = [a for menu in self.menuBar().actions() if menu.menu() is not None
                   for a in _all_actions(menu.menu())]
        dialog = ShortcutsDialog(actions, self)
        dialog.show()
        return dialog

    def show_examples(self) -> ExamplesDialog:
        dialog = ExamplesDialog(self.load_example, self)
        dialog.show()
        return dialog


def _all_actions(menu) -> list:
    out = []
    for action in menu.actions():
        out.extend(_all_actions(action.menu()) if action.menu() is not None else [action])
    return out
