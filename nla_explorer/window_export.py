"""Exporting from the window: the picture (PNG, SVG, PDF, DOT) and one picture per step.

A mixin of :class:`~nla_explorer.main_window.MainWindow`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QProgressDialog

from nla_explorer.graph_view.export import ExportError


class WindowExport:
    """File ▸ Export picture… and Export all steps… (a mixin)."""

    def export_dialog(self) -> None:
        start = str(Path(str(self.settings.value("last/export_folder", str(Path.home()))))
                    / f"{self.document.title or 'graph'}.png")
        path, _ = QFileDialog.getSaveFileName(
            self, "Export picture", start,
            "PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf);;Graphviz DOT (*.dot)")
        if path:
            self.settings.setValue("last/export_folder", str(Path(path).parent))
            self.export_to(path)

    def export_to(self, path: str, scale: float = 2.0) -> bool:
        if self.graph_pane.picture is None:
            self._error_changed("nothing to export yet")
            return False
        try:
            self.graph_pane.export(path, scale)
        except ExportError as exc:
            self.notifications.notify(f"Export failed: {exc}", str(exc))
            return False
        self.statusBar().showMessage(f"Exported {path}")
        return True

    def export_steps_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export every backward step to")
        if folder:
            self.export_steps(folder)

    def export_steps(self, folder: str, suffix: str = ".png") -> list[str]:
        """Write ``step_001.png`` … one picture per step of the pass shown (forward mode:
        ``forward_001.png`` …), from the window's picture."""
        doc = self.document
        if self.graph_pane.picture is None or doc.trace is None:
            return []
        written = []
        prefix = "forward" if doc.step_mode == "forward" else "step"
        total = len(doc.trace.steps)
        progress = QProgressDialog("Exporting every step…", "Cancel", 0, total, self)
        progress.setWindowModality(Qt.WindowModal)
        progress.setMinimumDuration(500)  # shown only when it takes a while
        try:
            for k in range(total):
                if progress.wasCanceled():
                    break
                path = str(Path(folder) / f"{prefix}_{k + 1:03d}{suffix}")
                self.graph_pane.export_step(k, path)
                written.append(path)
                progress.setValue(k + 1)
        except ExportError as exc:
            self.notifications.notify(f"Export failed after {len(written)} steps: {exc}",
                                      str(exc))
        finally:
            progress.close()
            self.graph_pane.show_current_step()
        self.statusBar().showMessage(f"Exported {len(written)} of {total} steps to {folder}")
        return written
