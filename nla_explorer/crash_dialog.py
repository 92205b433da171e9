"""An uncaught exception anywhere shows a dialog with the details and a way to save the work,
instead of killing the app (Qt would otherwise abort on an exception escaping a slot)."""

from __future__ import annotations

import sys
import traceback

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import QMessageBox, QWidget


class _Relay(QObject):
    """Carries an error raised in a worker thread (Qt's thread pool calls ``sys.excepthook``
    there) to the GUI thread, where the dialog may be built."""

    raised = Signal(str, str)  # what, details


class CrashHandler:
    """``sys.excepthook`` while the window runs; ``install()`` / ``uninstall()``."""

    def __init__(self, window: QWidget, save_session) -> None:
        self.window = window
        self.save_session = save_session
        self.dialog: QMessageBox | None = None
        self._previous = None
        self._relay = _Relay()  # built in the GUI thread: a signal from elsewhere is queued
        self._relay.raised.connect(self._show)

    def install(self) -> None:
        self._previous = sys.excepthook
        sys.excepthook = self

    def uninstall(self) -> None:
        if sys.excepthook is self:
            sys.excepthook = self._previous or sys.__excepthook__

    def __call__(self, kind, exc, tb) -> None:
        if issubclass(kind, KeyboardInterrupt):
            (self._previous or sys.__excepthook__)(kind, exc, tb)
            return
        details = "".join(traceback.format_exception(kind, exc, tb))
        print(details, file=sys.stderr)  # also where a bug report can copy it from
        if QThread.currentThread() is not self._relay.thread():
            self._relay.raised.emit(str(exc or kind.__name__), details)
            return
        self._show(str(exc or kind.__name__), details)

    def _show(self, what: str, details: str) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.setDetailedText(self.dialog.detailedText() + "\n" + details)
            return  # one dialog for a burst of errors
        box = QMessageBox(QMessageBox.Critical, "Something went wrong",
                          f"An unexpected error: {what}.\n\nThe window keeps "
                          "running and your work is still here; save it now to be safe.",
                          QMessageBox.NoButton, self.window)
        box.setDetailedText(details)
        save = box.addButton("Save session as…", QMessageBox.AcceptRole)
        box.addButton("Continue", QMessageBox.RejectRole)
        save.clicked.connect(self.save_session)
        box.setModal(False)
        box.show()
        self.dialog = box
