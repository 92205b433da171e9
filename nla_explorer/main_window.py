"""The main window: the graph view in the centre, code and inspector docks, menus, settings."""

from __future__ import annotations

import gc
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QMainWindow

from nla_explorer.document import Document
from nla_explorer.graph_view.scene import GraphScene
from nla_explorer.graph_view.view import GraphView
from nla_explorer.panels.code_editor import CodeEditorPanel
from nla_explorer.panels.block_editor import BlockEditorPanel
from nla_explorer.panels.inspector import InspectorPanel
from nla_explorer.panels.palette import PalettePanel
from nla_explorer.panels.stepper import StepperPanel
from nla_explorer.panels.timing import TimingPanel
from nla_explorer.panels.training import TrainingPanel
from nla_explorer.graph_view.step_overlay import StepOverlay
from nla_explorer.session_files import SessionFiles
from nla_explorer.graph_view.picture import Picture, PictureOptions
from nla_explorer.picture_builder import PictureBuilder
from nla_explorer.window_chrome import WindowChrome
from nla_explorer.preferences import load_preferences, save_preferences
from nla_explorer.window_export import WindowExport
from nla_explorer.window_help import WindowHelp
from nla_explorer.window_preferences import WindowPreferences

MAX_RECENT = 8
INSPECT_DELAY_MS = 60  # the inspector follows the selection after this pause


def _follow_dock_shape(dock, panel) -> None:
    """Plots side by side in the wide, short bottom area; stacked on the sides or floating."""
    def update(*_) -> None:
        area = dock.parent().dockWidgetArea(dock) if dock.parent() is not None else None
        panel.set_side_by_side(not dock.isFloating() and area in (Qt.BottomDockWidgetArea,
                                                                  Qt.TopDockWidgetArea))
    dock.dockLocationChanged.connect(update)
    dock.topLevelChanged.connect(update)
    panel.set_side_by_side(True)


class MainWindow(WindowChrome, WindowExport, WindowHelp, WindowPreferences, QMainWindow):
    """``nla-explorer``'s window. ``settings`` defaults to the user's QSettings."""

    def __init__(self, settings: QSettings | None = None,
                 recovery_path: Path | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.document = Document(self)
        self.sessions = SessionFiles(self, self.document, self.settings, recovery_path)
        self.picture: Picture | None = None
        self.scene = GraphScene(self)
        self.builder = PictureBuilder(self.scene, self)
        self.view = GraphView(self.scene)
        self.setCentralWidget(self.view)
        self.code_panel = CodeEditorPanel()
        self.code_dock = self._dock("Code", "code_dock", self.code_panel, Qt.LeftDockWidgetArea)
        self.inspector = InspectorPanel()
        self.inspector_dock = self._dock("Inspector", "inspector_dock",
                                         self.inspector, Qt.RightDockWidgetArea)
        self.blocks_palette = PalettePanel()
        self.palette_dock = self._dock("Blocks", "palette_dock", self.blocks_palette,
                                       Qt.LeftDockWidgetArea)
        self.tabifyDockWidget(self.code_dock, self.palette_dock)
        self.code_dock.raise_()
        self.block_editor = BlockEditorPanel(self.document)
        self.block_dock = self._dock("Block editor", "block_dock", self.block_editor,
                                     Qt.BottomDockWidgetArea)
        self.stepper = StepperPanel(self.document)
        self.stepper_dock = self._dock("Backward pass", "stepper_dock", self.stepper,
                                       Qt.RightDockWidgetArea)
        self.splitDockWidget(self.stepper_dock, self.inspector_dock, Qt.Vertical)
        self.training = TrainingPanel()
        self.training_dock = self._dock("Training", "training_dock", self.training,
                                        Qt.BottomDockWidgetArea)
        self.timing = TimingPanel()
        self.timing_dock = self._dock("CPU / GPU timing", "timing_dock", self.timing,
                                      Qt.BottomDockWidgetArea)
        for dock, panel in ((self.training_dock, self.training), (self.timing_dock, self.timing)):
            _follow_dock_shape(dock, panel)
        self.tabifyDockWidget(self.block_dock, self.training_dock)
        self.tabifyDockWidget(self.training_dock, self.timing_dock)
        self.block_dock.raise_()
        # the right column (stepper, inspector) runs the full height: its minimum height is not
        # stacked on the bottom docks', so the window fits a 1366×768 laptop screen
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self.stepper.install_keys(self.view)
        self.overlay = StepOverlay(self.scene)
        self._normal_state = None  # the window layout to return to after presentation mode
        self._syncing_selection = False
        self._gc_frozen = False
        self.theme: str | None = None  # "light"/"dark" once preferences are applied
        self._inspect_timer = QTimer(self)
        self._inspect_timer.setSingleShot(True)
        self._inspect_timer.setInterval(INSPECT_DELAY_MS)
        self._inspect_timer.timeout.connect(self._inspect)
        self._build_toolbar()
        self._build_status()
        self._build_menus()
        self._connect()
        self.layout().activate()  # the docks are tabified now: drop the minimum of the build-up
        self._restore()
        self._update_title()

    # -- construction -----------------------------------------------------------------------------

    def _connect(self) -> None:
        self.code_panel.capture_requested.connect(
            lambda text: self.document.set_code(text, self.document.example))
        self.blocks_palette.block_requested.connect(self.block_editor.add_entry)
        self.training.graph_requested.connect(self.show_training_graph)
        self.document.graph_changed.connect(self._graph_changed)
        self.document.code_changed.connect(self.code_panel.set_text)
        self.document.undo_stack.cleanChanged.connect(self._clean_changed)
        self.sessions.message.connect(self.statusBar().showMessage)
        self.sessions.failed.connect(lambda text: self.notifications.notify(text, text))
        self.sessions.path_changed.connect(self._update_title)
        self.document.error_changed.connect(self._error_changed)
        self.document.selection_changed.connect(self._selection_changed)
        self.document.step_changed.connect(self._step_changed)
        self.scene.node_selected.connect(self._scene_selected)
        self.builder.started.connect(self._build_started)
        self.builder.progressed.connect(self.progress.setValue)
        self.builder.finished.connect(self._picture_shown)
        self.builder.failed.connect(self._build_failed)
        self.view.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        self.font_spin.valueChanged.connect(self._font_changed)
        self.engine_combo.currentTextChanged.connect(self._engine_changed)

    # -- settings -------------------------------------------------------------------------------------
    def _restore(self) -> None:
        s = self.settings
        self.resize(1400, 860)
        geometry, state = s.value("window/geometry"), s.value("window/state")
        if isinstance(geometry, QByteArray):  # a corrupt settings file can hold anything here
            self.restoreGeometry(geometry)
        if not (isinstance(state, QByteArray) and self.restoreState(state)):
            self.resizeDocks([self.code_dock, self.inspector_dock], [400, 440], Qt.Horizontal)
            self.resizeDocks([self.block_dock], [330], Qt.Vertical)
            self.resizeDocks([self.stepper_dock, self.inspector_dock], [430, 420], Qt.Vertical)
        self.constants_action.setChecked(s.value("view/constants", "true") in (True, "true"))
        self.apply_preferences(load_preferences(s), relayout=False)  # a corrupt file: defaults
        self._refresh_recent()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.cancel_layout()
        self.training.stop()
        self.timing.cancel()
        if self.document.undo_stack.isClean():
            self.sessions.discard_recovery()
        else:
            self.sessions.autosave()  # unsaved work is offered back at the next start
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        save_preferences(s, self.current_preferences())
        s.setValue("view/constants", self.constants_action.isChecked())
        s.setValue("last/example", self.document.example.name if self.document.example else "")
        s.sync()
        super().closeEvent(event)

    # -- loading -------------------------------------------------------------------------------------
    def load_example(self, name: str) -> bool:
        ok = self.document.load_example(name)
        if ok:
            self.document.undo_stack.setClean()  # an example is not unsaved work
        return ok

    def open_path(self, path: str) -> bool:
        """Open a ``.nla`` session or a ``.py``/``.txt`` file of course code."""
        if path.endswith(".nla"):
            ok = self.sessions.open(path)
        else:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                self._error_changed(f"cannot read {path}: {exc}")
                return False
            self.code_panel.set_text(text)
            ok = self.document.set_code(text, title=Path(path).name)
        if ok:
            self._add_recent(path)
        return ok

    def open_dialog(self) -> None:
        start = str(self.settings.value("last/folder", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(
            self, "Open course code or session", start,
            "Code or session (*.py *.txt *.nla);;All files (*)")
        if path:
            self.settings.setValue("last/folder", str(Path(path).parent))
            self.open_path(path)

    def _add_recent(self, path: str) -> None:
        recent = [p for p in self._recent() if p != path]
        self.settings.setValue("recent/files", [path, *recent][:MAX_RECENT])
        self._refresh_recent()

    def _recent(self) -> list[str]:
        value = self.settings.value("recent/files", [])
        values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [v for v in values if isinstance(v, str) and v]  # a corrupt file: skip the rest

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self._recent():
            self.recent_menu.addAction(self._action(path, lambda _=False, p=path: self.open_path(p)))
        self.recent_menu.setEnabled(bool(self._recent()))

    # -- the picture ---------------------------------------------------------------------------------
    def _options(self) -> PictureOptions:
        return PictureOptions(self.engine_combo.currentText(), self.constants_action.isChecked(),
                              self.collapse_action.isChecked(), float(self.font_spin.value()))

    def _graph_changed(self) -> None:
        self._update_title()
        self.relayout()

    def relayout(self) -> None:
        """Draw the current graph again (big graphs in the background, see PictureBuilder)."""
        if self.document.graph is not None:
            self.builder.build(self.document.graph, self.document.trace, self._options())

    def busy(self) -> bool:
        return self.builder.busy()

    def cancel_layout(self) -> None:
        self.builder.cancel()

    def _build_started(self, message: str) -> None:
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.statusBar().showMessage(message)

    def _build_failed(self, message: str) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        if message.startswith("layout failed"):
            self._error_changed(message)
        self.notifications.notify(message.splitlines()[0], message,
                                  error=message.startswith("layout failed"))

    def _picture_shown(self, picture: Picture) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.picture = picture
        self._step_changed(self.document.step)
        output = picture.display.node_for_graph_id(self.document.graph.output_id)
        self.view.show_start(output.id if output is not None else None)
        graph, trace = self.document.graph, self.document.trace
        parts = [f"{len(graph):,} autograd nodes", f"{len(graph.edges):,} edges",
                 f"{len(trace):,} backward steps", f"layout: {picture.layout.engine}"]
        if picture.note:
            parts.append(picture.note)
        self.statusBar().showMessage(" · ".join(parts))

    def _step_changed(self, index: int | None) -> None:
        doc = self.document
        if doc.graph is None or doc.trace is None or self.scene.display is None:
            return
        view = doc.step_view(index)
        self._hold_collector(view is not None)
        self.overlay.apply(view)
        if view is not None and view.current is not None:
            doc.select(view.current)

    def _hold_collector(self, stepping: bool) -> None:
        """While stepping, the graph, its trace and the picture are long-lived: collect once on
        entering step mode and freeze them, so that no full garbage collection (100–300 ms on a
        big graph) lands on a keypress; leaving step mode hands them back to the collector."""
        if stepping and not self._gc_frozen:
            gc.collect()
            gc.freeze()
            self._gc_frozen = True
        elif not stepping and self._gc_frozen:
            gc.unfreeze()
            self._gc_frozen = False

    def _font_changed(self, size: int, relayout: bool = True) -> None:
        self.inspector.set_font_size(size)
        self.blocks_palette.set_font_size(size)
        self.code_panel.set_font_size(size)
        self.stepper.set_font_size(size)
        self.training.set_font_size(size)
        self.settings.setValue("view/font_size", size)
        if relayout:
            self.relayout()

    def _engine_changed(self, engine: str) -> None:
        self.settings.setValue("view/layout_engine", engine)
        self.relayout()

    def show_training_graph(self, code: str) -> None:
        """The training panel's "Show graph": one training step's loss, in the graph view."""
        if self.document.set_code(code, title="training step"):
            self.statusBar().showMessage("The graph of one training step's loss "
                                         "(the network the sliders train)")

    # -- selection and search ------------------------------------------------------------------------
    def _scene_selected(self, display_id: str | None) -> None:
        if self._syncing_selection:
            return  # the scene follows the document here, not the other way round
        if display_id is None or self.picture is None:
            self.document.select(None)
            return
        self.document.select(self.picture.display.node(display_id).graph_id)

    def _selection_changed(self, node_id: str | None) -> None:
        if self.picture is not None and node_id is not None:
            box = self.picture.display.node_for_graph_id(node_id)
            if box is not None and self.scene.selected_id() != box.id:
                self._syncing_selection = True
                self.scene.select(box.id)
                self._syncing_selection = False
        # Rapid stepping changes the selection many times a second: the inspector (plots and
        # tables) follows the latest one a moment later instead of redrawing for each.
        self._inspect_timer.start()

    def _inspect(self) -> None:
        doc = self.document
        node_id = doc.selected
        if node_id is None or doc.graph is None:
            self.inspector.show_node(None)
            return
        self.inspector.show_node(doc.graph.node(node_id), doc.grad_of(node_id),
                                 doc.step_index_of(node_id), doc.manual_for(node_id),
                                 doc.final_grad_of(node_id))

    def find_next(self) -> str | None:
        """Select and centre the next node matching the search text."""
        hit = self.scene.find(self.search.text(), after=self.scene.selected_id())
        if hit is None:
            self.statusBar().showMessage(f"No node matches '{self.search.text()}'")
            return None
        self.scene.select(hit)
        self.view.center_on_node(hit)
        return hit

    # -- export ---------------------------------------------------------------------------------------

    # -- messages --------------------------------------------------------------------------------------
    def _error_changed(self, message: str) -> None:
        self.code_panel.show_error(message)
        node = self.document.error_node if message else None
        box = self.picture.display.node_for_graph_id(node) if node and self.picture else None
        if box is not None:  # the tensor the error is about: the document selects it
            self.view.center_on_node(box.id)
        if message:
            culprit = f"; {self.document.error_culprit} is selected" if box is not None else ""
            self.statusBar().showMessage(f"Error — the last good graph is kept{culprit}")

    def _clean_changed(self, clean: bool) -> None:
        self.setWindowModified(not clean)

    def _update_title(self, *_) -> None:
        title = self.sessions.path.name if self.sessions.path else self.document.title
        self.setWindowTitle(f"{title}[*] — NLA Explorer" if title else "NLA Explorer[*]")
        self.setWindowModified(not self.document.undo_stack.isClean())
