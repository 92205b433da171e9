"""The main window: the graph view in the centre, code and inspector docks, menus, settings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QFileDialog, QLabel, QMainWindow, QProgressBar, QPushButton,
)

from nla_explorer.document import Document
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine.examples import EXAMPLES
from nla_explorer.graph_view.pane import GraphPane
from nla_explorer.graph_view.picture import PictureOptions
from nla_explorer.panels.code_editor import CodeEditorPanel
from nla_explorer.panels.block_editor import BlockEditorPanel
from nla_explorer.panels.inspector import InspectorPanel
from nla_explorer.panels.palette import PalettePanel
from nla_explorer.panels.results import ResultsPanel
from nla_explorer.panels.stepper import StepperPanel
from nla_explorer.panels.timing import TimingPanel
from nla_explorer.panels.training import TrainingPanel
from nla_explorer.notifications import Notifications
from nla_explorer.preferences import load_preferences, save_preferences
from nla_explorer.session_files import SessionFiles
from nla_explorer.window.chrome import (
    GraphToolbar, Presentation, add_dock, fitting_size, make_action,
)
from nla_explorer.window.export import WindowExport
from nla_explorer.window.help import WindowHelp
from nla_explorer.window.runs import WindowRuns
from nla_explorer.window.training import TrainingGraph
from nla_explorer.window.preferences import WindowPreferences
from nla_explorer.window.recent import RecentFiles
from nla_explorer.workspaces import Workspaces, follow_dock_shape

INSPECT_DELAY_MS = 60  # the inspector follows the selection after this pause


class MainWindow(QMainWindow):
    """``nla-explorer``'s window, assembled from its panels, docks and collaborators."""

    def __init__(self, settings: QSettings | None = None,
                 recovery_path: Path | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.document = Document(self)
        self.sessions = SessionFiles(self, self.document, self.settings, recovery_path)
        self.view_style = ViewStyle.light()  # the theme, font and precision of what draws
        self.code_panel = CodeEditorPanel()
        self.code_dock = add_dock(self, "Code", "code_dock", self.code_panel,
                                  Qt.LeftDockWidgetArea)
        self.inspector = InspectorPanel()
        self.inspector_dock = add_dock(self, "Inspector", "inspector_dock",
                                       self.inspector, Qt.RightDockWidgetArea)
        self.results = ResultsPanel()  # jacobian(…) and hessian(…) of the program, as heatmaps
        self.results_dock = add_dock(self, "Results", "results_dock", self.results,
                                     Qt.RightDockWidgetArea)
        self.blocks_palette = PalettePanel()
        self.palette_dock = add_dock(self, "Blocks", "palette_dock", self.blocks_palette,
                                     Qt.LeftDockWidgetArea)
        self.block_editor = BlockEditorPanel(self.document)
        self.block_dock = add_dock(self, "Block editor", "block_dock", self.block_editor,
                                   Qt.BottomDockWidgetArea)
        self.stepper = StepperPanel(self.document)
        self.stepper_dock = add_dock(self, "Backward pass", "stepper_dock", self.stepper,
                                     Qt.RightDockWidgetArea)
        self.splitDockWidget(self.stepper_dock, self.inspector_dock, Qt.Vertical)
        self.document.step_mode_changed.connect(  # "Forward pass" while the forward pass steps
            lambda mode: self.stepper_dock.setWindowTitle(f"{mode.capitalize()} pass"))
        self.training = TrainingPanel()
        self.training_dock = add_dock(self, "Training", "training_dock", self.training,
                                      Qt.BottomDockWidgetArea)
        self.timing = TimingPanel()
        self.timing_dock = add_dock(self, "CPU / GPU timing", "timing_dock", self.timing,
                                    Qt.BottomDockWidgetArea)
        for dock, panel in ((self.training_dock, self.training), (self.timing_dock, self.timing)):
            follow_dock_shape(dock, panel)
        # the right column (stepper, inspector) runs the full height: its minimum height is not
        # stacked on the bottom docks', so the window fits a 1366×768 laptop screen
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        # made after the panels: it hears the document's signals after them, as the window did
        self.graph_pane = GraphPane(self.document, PictureOptions(style=self.view_style))
        self.setCentralWidget(self.graph_pane)
        self.stepper.install_keys(self.graph_pane.view)
        self._inspect_timer = QTimer(self)
        self._inspect_timer.setSingleShot(True)
        self._inspect_timer.setInterval(INSPECT_DELAY_MS)
        self._inspect_timer.timeout.connect(self._inspect)
        self.toolbar = GraphToolbar(self, self.graph_pane)
        self.workspaces = Workspaces(self, self.graph_pane, [
            self.code_dock, self.palette_dock, self.block_dock, self.stepper_dock,
            self.inspector_dock, self.results_dock, self.training_dock, self.timing_dock],
            self.settings)
        self.addToolBar(self.workspaces.bar)
        self.addToolBar(self.toolbar)
        self.workspaces.changed.connect(self._workspace_changed)
        self._build_status()
        self.export = WindowExport(self, self.document, self.graph_pane, self.settings,
                                   self.notifications, self.statusBar().showMessage,
                                   self._error_changed)
        self.help = WindowHelp(self, self.settings, self.menuBar(), self.load_example,
                               self.graph_pane, self.workspaces)
        self.runs = WindowRuns(self, self.document, self.code_panel, self.settings,
                               self.statusBar().showMessage)
        self.training_graph = TrainingGraph(self, self.document, self.training, self.workspaces,
                                            self.statusBar().showMessage)
        self.preferences = WindowPreferences(self, self.settings, self.document, self.sessions,
                                             self.toolbar, self._set_panel_fonts,
                                             self.set_view_style)
        self.presentation = Presentation(self, self.graph_pane, self.stepper, self.stepper_dock,
                                         self.toolbar.font_spin, self.workspaces)
        self._build_menus()
        self._connect()
        self._restore()
        self.layout().activate()  # the workspace is arranged: drop the minimum of the build-up
        self._update_title()

    # -- construction -----------------------------------------------------------------------------

    def _build_status(self) -> None:
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setRange(0, 100)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self._summary = ""  # the graph's summary line, shown where the graph is
        self.zoom_label = QLabel("100 %")
        self.zoom_label.setToolTip("Zoom of the graph (Ctrl+0: fit)")
        self.notifications = Notifications(self.statusBar())
        for widget in (self.progress, self.cancel_button, self.zoom_label):
            self.statusBar().addPermanentWidget(widget)

    def _build_menus(self) -> None:
        bar, tools = self.menuBar(), self.toolbar
        menu = bar.addMenu("&File")
        menu.addAction(self.block_editor.new_action)  # File ▸ New (Ctrl+N): no blocks, no code
        menu.addAction(make_action(self, "&Open code or session…", self.open_dialog,
                                   QKeySequence.Open))
        menu.addAction(make_action(self, "&Save session", self.sessions.save, QKeySequence.Save))
        menu.addAction(make_action(self, "Save session &as…", self.sessions.save_as,
                                   QKeySequence("Ctrl+Shift+S")))
        examples = menu.addMenu("&Examples")
        for example in EXAMPLES.values():
            examples.addAction(make_action(self, f"{example.name} — {example.title}",
                                           lambda _=False, n=example.name: self.load_example(n),
                                           tip=example.description))
        self.recent_menu = menu.addMenu("&Recent files")
        self.recent = RecentFiles(self, self.settings, self.recent_menu, self.open_path)
        menu.addAction(self.export.picture_action)
        menu.addAction(self.export.steps_action)
        menu.addAction(self.export.slide_action)
        menu.addSeparator()
        menu.addAction(make_action(self, "&Quit", self.close, QKeySequence.Quit))
        edit = bar.addMenu("&Edit")
        self.undo_action = self.document.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.Undo)
        self.redo_action = self.document.undo_stack.createRedoAction(self, "&Redo")
        # Ctrl+Y too; never QKeySequence.Redo beside Ctrl+Shift+Z: on Linux they are the same keys,
        # and a key bound twice is ambiguous, so Qt triggers neither
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        blocks = edit.addMenu("&Blocks")
        blocks.addActions([self.block_editor.new_action, self.block_editor.select_all_action])
        edit.addSeparator()
        edit.addAction(self.preferences.dialog_action)
        view = bar.addMenu("&View")
        for action in self.workspaces.actions.values():
            view.addAction(action)
        view.addAction(self.workspaces.reset_action)
        view.addAction(self.presentation.action)
        view.addSeparator()
        for action in (tools.zoom_in_action, tools.zoom_out_action, tools.fit_action):
            view.addAction(action)
        view.addAction(make_action(self, "&Find node", tools.search.setFocus, QKeySequence.Find))
        view.addSeparator()
        view.addAction(tools.constants_action)
        view.addAction(tools.collapse_action)
        view.addAction(self.preferences.minimap_action)
        panels = view.addMenu("&Panels")
        for dock in (self.code_dock, self.palette_dock, self.block_dock, self.stepper_dock,
                     self.inspector_dock, self.results_dock, self.training_dock,
                     self.timing_dock, tools):
            panels.addAction(dock.toggleViewAction())
        view.addSeparator()
        themes = view.addMenu("&Theme")
        for action in self.preferences.theme_actions.values():
            themes.addAction(action)
        help_menu = bar.addMenu("&Help")
        help_menu.addActions(self.help.actions)
        help_menu.addSeparator()
        help_menu.addAction(self.help.about_action)

    def _connect(self) -> None:
        self.code_panel.capture_requested.connect(self._capture_code)
        self.blocks_palette.block_requested.connect(self.block_editor.add_entry)
        self.document.graph_changed.connect(self._update_title)
        self.results.follow(self.document)  # a program with results: they come to the front
        self.document.graph_changed.connect(self._show_results)
        self.document.code_changed.connect(self.code_panel.set_text)
        self.document.undo_stack.cleanChanged.connect(self._clean_changed)
        self.sessions.message.connect(self.statusBar().showMessage)
        self.sessions.failed.connect(lambda text: self.notifications.notify(text, text))
        self.sessions.path_changed.connect(self._update_title)
        self.document.error_changed.connect(self._error_changed)
        # Rapid stepping changes the selection many times a second: the inspector (plots and
        # tables) follows the latest one a moment later instead of redrawing for each.
        self.document.selection_changed.connect(lambda _: self._inspect_timer.start())
        pane = self.graph_pane
        pane.build_started.connect(self._build_started)
        pane.build_progressed.connect(self.progress.setValue)
        pane.picture_shown.connect(self._picture_shown)
        pane.build_failed.connect(self._build_failed)
        pane.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        self.cancel_button.clicked.connect(self.cancel_layout)
        tools = self.toolbar
        tools.search.returnPressed.connect(self.find_next)
        tools.constants_action.triggered.connect(self.layout_options_changed)
        tools.collapse_action.triggered.connect(self.layout_options_changed)
        tools.font_spin.valueChanged.connect(self._font_changed)
        tools.engine_combo.currentTextChanged.connect(self._engine_changed)

    # -- settings -------------------------------------------------------------------------------------
    def _restore(self) -> None:
        s = self.settings
        self.resize(fitting_size(self))
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):  # a corrupt settings file can hold anything here
            self.restoreGeometry(geometry)
        self.workspaces.start()
        self.toolbar.constants_action.setChecked(s.value("view/constants", "true") in (True, "true"))
        self.preferences.apply(load_preferences(s))  # a corrupt file: defaults

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.cancel_layout()
        self.training.stop()
        self.timing.cancel()
        self.runs.close()
        if self.document.undo_stack.isClean():
            self.sessions.discard_recovery()
        else:
            self.sessions.autosave()  # unsaved work is offered back at the next start
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        self.workspaces.save()
        save_preferences(s, self.preferences.current())
        s.setValue("view/constants", self.toolbar.constants_action.isChecked())
        s.setValue("last/example", self.document.example.name if self.document.example else "")
        s.sync()
        super().closeEvent(event)

    # -- loading -------------------------------------------------------------------------------------
    def load_example(self, name: str) -> bool:
        ok = self.document.load_example(name)
        if ok:
            self.document.undo_stack.setClean()  # an example is not unsaved work
            if self.code_panel.text() != self.document.code:  # the same example over broken code
                self.code_panel.set_text(self.document.code)
        return ok

    def open_path(self, path: str) -> bool:
        """Open a ``.nla`` session, or course code (``.py``, ``.txt``, ``.ipynb``: shown, not run)."""
        ok = self.sessions.open(path) if path.endswith(".nla") else self.runs.open_code(path)
        if ok:
            self.recent.add(path)
        return ok

    def open_dialog(self) -> None:
        start = str(self.settings.value("last/folder", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(
            self, "Open course code or session", start,
            "Code, notebook or session (*.py *.txt *.ipynb *.nla);;All files (*)")
        if path:
            self.settings.setValue("last/folder", str(Path(path).parent))
            self.open_path(path)

    # -- the picture ---------------------------------------------------------------------------------
    def layout_options_changed(self) -> None:
        """The toolbar's layout engine, Constants, Collapse chains and groups, to the graph pane."""
        self.graph_pane.set_options(self.toolbar.picture_options(self.view_style))

    def set_view_style(self, style: ViewStyle) -> None:
        """Hand a new style (theme, font size, precision) to every view that draws with it."""
        self.view_style = style
        self.layout_options_changed()
        self.block_editor.set_view_style(style)
        self.stepper.set_view_style(style)
        self.training.set_view_style(style)
        self.timing.set_view_style(style)
        self.code_panel.set_view_style(style)
        self.blocks_palette.set_view_style(style)
        self.inspector.set_precision(style.precision)
        self._inspect_timer.start()

    def busy(self) -> bool:
        return self.graph_pane.busy()

    def cancel_layout(self) -> None:
        self.graph_pane.cancel()

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

    def _workspace_changed(self, _name: str) -> None:
        """The graph's toolbar, zoom and summary only where the graph is shown (not in Time)."""
        shown = self.graph_pane.isVisibleTo(self)
        self.toolbar.setVisible(shown)
        self.zoom_label.setVisible(shown)
        if not shown and self.statusBar().currentMessage() == self._summary:
            self.statusBar().clearMessage()
        elif shown and not self.statusBar().currentMessage():
            self.statusBar().showMessage(self._summary)

    def _picture_shown(self, summary: str) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self._summary = summary
        if self.graph_pane.isVisibleTo(self):
            self.statusBar().showMessage(summary)

    def _font_changed(self, size: int) -> None:
        self._set_panel_fonts(size)
        self.set_view_style(self.view_style.with_font(size))

    def _set_panel_fonts(self, size: int) -> None:
        self.inspector.set_font_size(size)
        self.blocks_palette.set_font_size(size)
        self.code_panel.set_font_size(size)
        self.stepper.set_font_size(size)
        self.training.set_font_size(size)
        self.settings.setValue("view/font_size", size)

    def _engine_changed(self, engine: str) -> None:
        self.settings.setValue("view/layout_engine", engine)
        self.layout_options_changed()

    def _show_results(self, *_) -> None:
        if self.results.current_name() is not None and self.results_dock.isVisible():
            self.results_dock.raise_()

    def _capture_code(self, text: str) -> None:
        """Ctrl+Enter: the graph of the code; the keys then step (→ no longer moves the cursor)."""
        if self.document.set_code(text, self.document.example) and self.graph_pane.isVisible():
            self.graph_pane.view.setFocus()

    # -- selection and search ------------------------------------------------------------------------
    def _inspect(self) -> None:
        doc = self.document
        node_id = doc.selected
        if node_id is None or doc.graph is None:
            self.inspector.show_node(None)
            return
        self.inspector.show_node(doc.graph.node(node_id), doc.grad_of(node_id),
                                 doc.step_index_of(node_id), doc.manual_for(node_id),
                                 doc.final_grad_of(node_id), step_count=doc.step_count())

    def find_next(self) -> str | None:
        """Select and centre the next node matching the search text."""
        hit = self.graph_pane.find_next(self.toolbar.search.text())
        if hit is None:
            self.statusBar().showMessage(f"No node matches '{self.toolbar.search.text()}'")
        return hit

    # -- messages --------------------------------------------------------------------------------------
    def _error_changed(self, message: str) -> None:
        self.code_panel.show_error(message)
        node = self.document.error_node if message else None
        # the tensor the error is about: the document selects it, the graph pane centres it
        shown = self.graph_pane.box_of(node) is not None
        if message:
            culprit = f"; {self.document.error_culprit} is selected" if shown else ""
            kept = "the last good graph is kept" if self.document.graph is not None else \
                "nothing is drawn yet"
            self.statusBar().showMessage(f"Error — {kept}{culprit}")

    def _clean_changed(self, clean: bool) -> None:
        self.setWindowModified(not clean)

    def _update_title(self, *_) -> None:
        title = self.sessions.path.name if self.sessions.path else self.document.title
        self.setWindowTitle(f"{title}[*] — NLA Explorer" if title else "NLA Explorer[*]")
        self.setWindowModified(not self.document.undo_stack.isClean())
