"""Exporting from the window: the picture (PNG, SVG, PDF, DOT) and one picture per step."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from nla_explorer.document import Document
from nla_explorer.graph_view.export import ExportError
from nla_explorer.graph_view.pane import GraphPane
from nla_explorer.notifications import Notifications
from nla_explorer.window_chrome import make_action


class WindowExport(QObject):
    """File ▸ Export picture… and Export all steps…, from the graph pane's picture."""

    def __init__(self, parent: QWidget, document: Document, pane: GraphPane,
                 settings: QSettings, notifications: Notifications,
                 show_message: Callable[[str], None], show_error: Callable[[str], None]) -> None:
        super().__init__(parent)
        self.widget, self.document, self.pane, self.settings = parent, document, pane, settings
        self.notifications, self.show_message, self.show_error = (notifications, show_message,
                                                                  show_error)
        self.picture_action = make_action(parent, "&Export picture…", self.export_dialog,
                                          QKeySequence("Ctrl+E"), "PNG, SVG, PDF or DOT")
        self.steps_action = make_action(parent, "Export all &steps…", self.export_steps_dialog,
                                        tip="One picture per backward step, for lecture slides")

    def export_dialog(self) -> None:
        start = str(Path(str(self.settings.value("last/export_folder", str(Path.home()))))
                    / f"{self.document.title or 'graph'}.png")
        path, _ = QFileDialog.getSaveFileName(
            self.widget, "Export picture", start,
            "PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf);;Graphviz DOT (*.dot)")
        if path:
            self.settings.setValue("last/export_folder", str(Path(path).parent))
            self.export_to(path)

    def export_to(self, path: str, scale: float = 2.0) -> bool:
        if self.pane.picture is None:
            self.show_error("nothing to export yet")
            return False
        try:
            self.pane.export(path, scale)
        except ExportError as exc:
            self.notifications.notify(f"Export failed: {exc}", str(exc))
            return False
        self.show_message(f"Exported {path}")
        return True

    def export_steps_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.widget, "Export every backward step to")
        if folder:
            self.export_steps(folder)

    def export_steps(self, folder: str, suffix: str = ".png") -> list[str]:
        """Write ``step_001.png`` … one picture per step of the pass shown (forward mode:
        ``forward_001.png`` …), from the window's picture."""
        doc = self.document
        if self.pane.picture is None or doc.trace is None:
            return []
        written = []
        prefix = "forward" if doc.step_mode == "forward" else "step"
        total = len(doc.trace.steps)
        progress = QProgressDialog("Exporting every step…", "Cancel", 0, total, self.widget)
        progress.setWindowModality(Qt.WindowModal)
        progress.setMinimumDuration(500)  # shown only when it takes a while
        try:
            for k in range(total):
                if progress.wasCanceled():
                    break
                path = str(Path(folder) / f"{prefix}_{k + 1:03d}{suffix}")
                self.pane.export_step(k, path)
                written.append(path)
                progress.setValue(k + 1)
        except ExportError as exc:
            self.notifications.notify(f"Export failed after {len(written)} steps: {exc}",
                                      str(exc))
        finally:
            progress.close()
            self.pane.show_current_step()
        self.show_message(f"Exported {len(written)} of {total} steps to {folder}")
        return written
