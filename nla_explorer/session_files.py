"""Save and open ``.nla`` sessions from the window, autosave to a recovery file, offer to restore.

The recovery file is written (atomically) every ``interval`` seconds while there are unsaved
edits and removed on a clean exit, so finding one at start-up means the app did not close cleanly.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from nla_explorer.document import Document
from nla_explorer.preferences import load_preferences
from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.sessions.nla_file import load_session, save_session

SESSION_FILTER = "NLA Explorer session (*.nla)"


def default_recovery_path() -> Path:
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation))
    return folder / "recovery.nla"


class SessionFiles(QObject):
    """The window's File ▸ Save / Save As / Open for sessions, and crash recovery."""

    message = Signal(str)  # for the status bar
    failed = Signal(str)  # a save or open that did not happen, and why
    path_changed = Signal(object)  # Path or None

    def __init__(self, parent: QWidget, document: Document, settings: QSettings,
                 recovery_path: Path | None = None) -> None:
        super().__init__(parent)
        self.widget, self.document, self.settings = parent, document, settings
        self.path: Path | None = None
        self.recovery_path = recovery_path or default_recovery_path()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.autosave)
        self.set_autosave_interval(load_preferences(settings).autosave_s)

    def set_autosave_interval(self, seconds: int) -> None:
        self.timer.start(max(1, int(seconds)) * 1000)

    # -- save and open ---------------------------------------------------------------------------
    def save(self) -> bool:
        return self.save_to(self.path) if self.path is not None else self.save_as()

    def save_as(self) -> bool:
        start = str(self.path or Path(str(self.settings.value("last/folder", str(Path.home()))))
                    / f"{self.document.title or 'session'}.nla")
        path, _ = QFileDialog.getSaveFileName(self.widget, "Save session", start, SESSION_FILTER)
        if not path:
            return False
        if not path.endswith(".nla"):
            path += ".nla"
        return self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        expression = self.document.expression
        if expression is None:
            self._warn("Nothing to save: this graph was captured from a script, not built here.")
            return False
        try:
            save_session(path, expression, self.document.positions)
        except OSError as exc:
            self._warn(f"Cannot save {path}: {exc.strerror or exc}")
            return False
        self.path = Path(path)
        self.document.undo_stack.setClean()
        self.path_changed.emit(self.path)
        self.message.emit(f"Saved {path}")
        return True

    def open(self, path: str | Path) -> bool:
        """Open a session (data only: read through the whitelist; nothing in it is executed)."""
        try:
            expression, layout = load_session(path)
        except EngineError as exc:
            self._warn(str(exc))
            return False
        if not self.document.set_expression(expression, Path(path).stem, layout):
            return False
        self.path = Path(path)
        self.document.undo_stack.setClean()
        self.path_changed.emit(self.path)
        return True

    # -- recovery --------------------------------------------------------------------------------
    def autosave(self) -> bool:
        """Write the recovery file if there are unsaved edits."""
        expression = self.document.expression
        if expression is None or self.document.undo_stack.isClean():
            return False
        try:
            self.recovery_path.parent.mkdir(parents=True, exist_ok=True)
            save_session(self.recovery_path, expression, self.document.positions)
        except OSError as exc:
            self.message.emit(f"Autosave failed: {exc.strerror or exc}")
            return False
        return True

    def discard_recovery(self) -> None:
        self.recovery_path.unlink(missing_ok=True)

    def has_recovery(self) -> bool:
        return self.recovery_path.is_file()

    def restore_recovery(self) -> bool:
        """Open the recovery file as unsaved work (the file stays until the next clean exit)."""
        try:
            expression, layout = load_session(self.recovery_path)
        except EngineError as exc:
            self._warn(f"The recovered session could not be read: {exc}")
            return False
        ok = self.document.set_expression(expression, "recovered session", layout)
        if ok:
            self.message.emit("Restored the work of the last session that did not close cleanly")
        return ok

    def offer_recovery(self) -> bool:
        """At start-up: ask whether to restore unsaved work from a crash."""
        if not self.has_recovery():
            return False
        answer = QMessageBox.question(
            self.widget, "Restore unsaved work?",
            "NLA Explorer did not close cleanly last time. Restore the unsaved expression?",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
        if answer == QMessageBox.Yes:
            return self.restore_recovery()
        self.discard_recovery()
        return False

    def _warn(self, text: str) -> None:
        self.failed.emit(text)  # the window shows it as a non-modal notification
