"""File ▸ Recent files: the paths the user opened last, kept in the settings (newest first)."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QMenu

from nla_explorer.window.chrome import make_action

MAX_RECENT = 8


class RecentFiles(QObject):
    """Keeps ``menu`` listing the recent paths; a click calls ``open_path(path)``."""

    def __init__(self, parent: QObject, settings: QSettings, menu: QMenu,
                 open_path: Callable[[str], object]) -> None:
        super().__init__(parent)
        self.settings, self.menu, self.open_path = settings, menu, open_path
        self.refresh()

    def add(self, path: str) -> None:
        recent = [p for p in self.paths() if p != path]
        self.settings.setValue("recent/files", [path, *recent][:MAX_RECENT])
        self.refresh()

    def paths(self) -> list[str]:
        value = self.settings.value("recent/files", [])
        values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [v for v in values if isinstance(v, str) and v]  # a corrupt file: skip the rest

    def refresh(self) -> None:
        self.menu.clear()
        for path in self.paths():
            self.menu.addAction(make_action(self.parent(), path,
                                            lambda _=False, p=path: self.open_path(p)))
        self.menu.setEnabled(bool(self.paths()))
