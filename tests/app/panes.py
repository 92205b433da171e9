"""A graph pane showing a captured graph, as the window's pane shows it, for tests."""

from __future__ import annotations

from nla_explorer.document import Document
from nla_explorer.graph_view.pane import GraphPane


def pane_showing(qtbot, cap, title: str = "loss"):
    """A 1280×720 :class:`GraphPane` on screen with ``cap``'s graph and trace drawn."""
    document = Document()
    pane = GraphPane(document)
    qtbot.addWidget(pane)
    pane.resize(1280, 720)
    pane.show()
    qtbot.waitExposed(pane)
    document.set_graph(cap.graph, cap.trace, title)
    qtbot.waitUntil(lambda: pane.picture is not None and not pane.busy(), timeout=10_000)
    return pane
