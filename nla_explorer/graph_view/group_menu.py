"""The graph view's right-click menu for module groups: open or close the group under the mouse,
open everything inside it, open or close all groups."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QPoint, QPointF, Qt
from PySide6.QtWidgets import QMenu

from nla_explorer.graph_view.group_items import FrameItem
from nla_explorer.graph_view.groups.fold_window import fully_open
from nla_explorer.graph_view.items import NodeItem
from nla_explorer.graph_view.model import GROUP


class GroupMenu(QObject):
    """Right-click on the graph of ``pane`` (a :class:`GraphPane`): what can be done with the
    groups there. Nothing shows for a graph without groups."""

    def __init__(self, pane) -> None:
        super().__init__(pane)
        self.pane = pane
        pane.view.setContextMenuPolicy(Qt.CustomContextMenu)
        pane.view.customContextMenuRequested.connect(self._requested)

    def group_under(self, pos: QPointF) -> str | None:
        """The closed group's box at scene point ``pos``, else the innermost open group there."""
        for item in self.pane.scene.items(pos):  # the topmost first: boxes, then inner frames
            if isinstance(item, NodeItem) and item.node.kind == GROUP:
                tree = self.pane.picture.tree if self.pane.picture is not None else None
                return item.node.id if tree and item.node.id in tree.groups else None
            if isinstance(item, FrameItem):
                return item.group_id
        return None

    def actions_at(self, pos: QPointF) -> list[tuple[str, Callable[[], None]]]:
        """(label, what it does) for a right-click at scene point ``pos``."""
        pane, picture = self.pane, self.pane.picture
        tree = picture.tree if picture is not None else None
        if not tree:
            return []
        opened = picture.opened
        actions: list[tuple[str, Callable[[], None]]] = []
        gid = self.group_under(pos)
        if gid is not None:
            name = tree.groups[gid].path
            verb = "Close" if gid in opened else "Open"
            actions.append((f"{verb} {name}", lambda: pane.toggle_group(gid)))
            inside = fully_open(tree, [gid, *tree.descendants(gid)])
            actions.append((f"Open everything inside {name}",
                            lambda: pane.open_groups(opened | inside | set(tree.ancestors(gid)))))
        actions.append(("Open all groups",
                        lambda: pane.open_groups(fully_open(tree, tree.groups))))
        actions.append(("Close all groups", lambda: pane.open_groups(frozenset())))
        return actions

    def _requested(self, pos: QPoint) -> None:
        view = self.pane.view
        actions = self.actions_at(view.mapToScene(pos))
        if not actions:
            return
        menu = QMenu(view)
        for text, do in actions:
            menu.addAction(text, do)
        menu.exec(view.viewport().mapToGlobal(pos))
