"""Exporting from the window: the picture (PNG, SVG, PDF, DOT), a slide of a step (the graph beside
its step card), and every step (one PDF of a page per step, or one picture per step)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QFileDialog, QProgressDialog, QWidget

from nla_explorer.document import Document
from nla_explorer.export_dialog import ExportDialog, ExportOptions, options_problem
from nla_explorer.graph_view.export import ExportError, export_scene
from nla_explorer.graph_view.pane import GraphPane
from nla_explorer.graph_view.slide import (
    ExportCancelled, StepSlides, export_slide, export_step_slides, step_paths,
)
from nla_explorer.notifications import Notifications
from nla_explorer.window.chrome import make_action


class WindowExport(QObject):
    """File ▸ Export picture…, Export slide… and Export all steps…, from the graph pane's picture
    (actions ``picture_action``, ``slide_action``, ``steps_action`` for the window's menu)."""

    def __init__(self, parent: QWidget, document: Document, pane: GraphPane,
                 settings: QSettings, notifications: Notifications,
                 show_message: Callable[[str], None], show_error: Callable[[str], None]) -> None:
        super().__init__(parent)
        self.widget, self.document, self.pane, self.settings = parent, document, pane, settings
        self.notifications, self.show_message, self.show_error = (notifications, show_message,
                                                                  show_error)
        self.picture_action = make_action(parent, "&Export picture…", self.export_dialog,
                                          QKeySequence("Ctrl+E"), "PNG, SVG, PDF or DOT")
        self.slide_action = make_action(parent, "Export s&lide…", self.export_slide_dialog,
                                        tip="A 16:9 slide: the graph at a step beside its step "
                                            "card (PNG, SVG or PDF)")
        self.steps_action = make_action(parent, "Export all &steps…", self.export_steps_dialog,
                                        tip="Every backward step for lecture slides: one PDF of a "
                                            "page per step, or one picture per step")

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

    # -- the export dialog: slides, a step, every step -----------------------------------------
    def step_count(self) -> int:
        """The steps of the pass shown (backward steps, or forward steps in forward mode)."""
        doc = self.document
        if doc.trace is None:
            return 0
        return len(doc.forward_order()) if doc.step_mode == "forward" else len(doc.trace.steps)

    def default_options(self, all_steps: bool = False) -> ExportOptions:
        """The dialog's start: a slide of the step shown (or every step, as one PDF)."""
        doc = self.document
        folder = Path(str(self.settings.value("last/export_folder", str(Path.home()))))
        name = doc.title or "graph"
        if all_steps:
            return ExportOptions(str(folder / f"{name}_steps.pdf"), all_steps=True)
        step = doc.step + 1 if doc.step is not None and doc.step >= 0 else None
        return ExportOptions(str(folder / f"{name}_step{step or ''}.png"), step=step)

    def export_slide_dialog(self) -> None:
        self._dialog(self.default_options())

    def export_steps_dialog(self) -> None:
        self._dialog(self.default_options(all_steps=True))

    def _dialog(self, options: ExportOptions) -> None:
        if self.pane.picture is None:
            self.show_error("nothing to export yet")
            return
        dialog = ExportDialog(self.widget, options, self.step_count())
        if dialog.exec() == QDialog.Accepted:
            self.export_with(dialog.options())

    def export_with(self, options: ExportOptions) -> list[str]:
        """Write what ``options`` ask for; the paths written (none after an error, which the
        window shows, or a cancel). The picture on screen is left at the step it showed."""
        doc = self.document
        if self.pane.picture is None or doc.graph is None:
            self.show_error("nothing to export yet")
            return []
        problem = options_problem(options, self.step_count())
        if problem:
            self.notifications.notify(f"Export failed: {problem}", problem)
            return []
        try:
            written = [str(p) for p in self._write(options)]
        except ExportCancelled as exc:
            self.show_message(f"Export cancelled: {exc}")
            return []
        except ExportError as exc:
            self.notifications.notify(f"Export failed: {exc}", str(exc))
            return []
        finally:
            self.pane.show_current_step()
        self.settings.setValue("last/export_folder", str(Path(options.path).parent))
        self.show_message(f"Exported {written[0]}" if len(written) == 1 else
                          f"Exported {len(written)} steps: {written[0]} … {written[-1]}")
        return written

    def _write(self, options: ExportOptions) -> list[Path]:
        doc, pane = self.document, self.pane
        scene, overlay = pane.scene, pane.overlay
        slides = StepSlides(doc.graph, doc.trace, doc.step_mode, doc.title, cards=options.slide)
        if options.all_steps:
            return self._every_step(options, slides)
        if options.slide:
            index = options.step - 1 if options.step is not None else max(doc.step or 0, 0)
            return [export_slide(options.path, scene, overlay, slides[index], options.scale,
                                 options.transparent)]
        if options.suffix == ".dot":
            return [pane.export(options.path)]
        if options.step is not None:
            overlay.apply(doc.step_view(options.step - 1))
        return [export_scene(options.path, scene, options.scale, options.transparent)]

    def _every_step(self, options: ExportOptions, slides: StepSlides) -> list[Path]:
        total = len(slides)
        progress = QProgressDialog("Exporting every step…", "Cancel", 0, total, self.widget)
        progress.setWindowModality(Qt.WindowModal)
        progress.setMinimumDuration(500)  # shown only when it takes a while

        def going_on(done: int) -> bool:
            progress.setValue(done)
            return not progress.wasCanceled()
        try:
            if options.slide or options.suffix == ".pdf":
                return export_step_slides(options.path, self.pane.scene, self.pane.overlay,
                                          slides, options.scale, options.transparent, going_on)
            written = []
            for k, path in enumerate(step_paths(options.path, total)):
                if not going_on(k):
                    break
                self.pane.overlay.apply(self.document.step_view(k))
                written.append(export_scene(path, self.pane.scene, options.scale,
                                            options.transparent))
            return written
        finally:
            progress.close()
