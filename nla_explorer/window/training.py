"""The Train workspace's graph: one training step's loss, shown beside the curves on demand.

Train opens with the sliders and curves only: the graph of whatever code is loaded has nothing
to do with the network being trained. "Show graph" puts one training step of that network in the
graph view (asking first when it would replace the user's code; Edit ▸ Undo brings the code
back) and gives it room beside the curves; "Hide graph" takes it away. While it is shown, a new
run (a slider released, Start) redraws it for the new settings, so the graph never shows another
network than the curves.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMainWindow, QMessageBox

from nla_explorer.document import Document
from nla_explorer.panels.training import TrainingPanel
from nla_explorer.workspaces import Workspaces

TITLE = "training step"  # the document's title while it holds a training step's graph


class TrainingGraph(QObject):
    """Connects the training panel's Show/Hide graph to the document and the workspaces."""

    def __init__(self, window: QMainWindow, document: Document, training: TrainingPanel,
                 workspaces: Workspaces, show_message) -> None:
        super().__init__(window)
        self.window, self.document, self.training = window, document, training
        self.workspaces, self.show_message = workspaces, show_message
        training.graph_requested.connect(self.show)
        training.graph_closed.connect(lambda: self.workspaces.show_graph(False))
        training.run_started.connect(self._follow_run)
        workspaces.changed.connect(self._sync_button)

    def in_train(self) -> bool:
        return self.workspaces.current == "train"

    def show(self, code: str) -> bool:
        """One training step's loss in the graph view, after asking when it would replace the
        user's code; in Train, the graph then shows beside the curves."""
        doc = self.document
        if doc.code.strip() and doc.title != TITLE and QMessageBox.question(
                self.window, "Show the training step's graph",
                "Replace the code in the Graph workspace by one training step of the network "
                "the sliders train?\n\nEdit ▸ Undo brings your code back.",
                QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel) != QMessageBox.Yes:
            return False
        if doc.code != code and not doc.set_code(code, title=TITLE):
            return False
        if self.in_train():
            self.workspaces.show_graph(True)
        self.show_message("The graph of one training step's loss (the network the sliders train)")
        return True

    def _follow_run(self, _config) -> None:
        """A new run while the step's graph is shown: the graph of the network now trained."""
        if self.in_train() and self.workspaces.graph_wanted("train") and \
                self.document.title == TITLE:
            self.training.request_graph()

    def _sync_button(self, name: str) -> None:
        self.training.set_graph_shown(name == "train" and self.workspaces.graph_wanted(name))
