"""The main window's chrome: docks, actions, toolbar, status bar, menus and presentation mode.

A mixin of :class:`~nla_explorer.main_window.MainWindow`; it builds widgets and wires them to the
window's slots, and holds no state of its own beyond the widgets it creates.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QActionGroup, QColor, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication, QComboBox, QDockWidget, QLabel, QLineEdit, QMessageBox, QProgressBar,
    QPushButton, QSpinBox, QToolBar,
)

from nla_explorer import __version__
from nla_explorer.engine.examples import EXAMPLES
from nla_explorer.notifications import Notifications

ENGINES = ("auto", "builtin", "dot")


def high_contrast_palette() -> QPalette:
    """Presentation colours: black on white, strong selection, readable from the back row."""
    palette = QPalette(QApplication.palette())
    for role, colour in ((QPalette.Window, "#ffffff"), (QPalette.WindowText, "#000000"),
                         (QPalette.Base, "#ffffff"), (QPalette.Text, "#000000"),
                         (QPalette.Button, "#f0f0f0"), (QPalette.ButtonText, "#000000"),
                         (QPalette.Highlight, "#0050a0"), (QPalette.HighlightedText, "#ffffff")):
        palette.setColor(role, QColor(colour))
    return palette


class WindowChrome:
    """Docks, actions, menus and presentation mode of the main window (a mixin)."""

    def _dock(self, title: str, name: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcuts(shortcut if isinstance(shortcut, list) else [shortcut])
        action.setToolTip(tip or text.replace("&", ""))
        action.triggered.connect(slot)
        return action

    def _build_toolbar(self) -> None:
        bar = QToolBar("Graph", self)
        bar.setObjectName("graph_toolbar")
        pane = self.graph_pane
        self.zoom_in_action = self._action("Zoom in", lambda: pane.zoom_by(1.25),
                                           QKeySequence.ZoomIn)
        self.zoom_out_action = self._action("Zoom out", lambda: pane.zoom_by(0.8),
                                            QKeySequence.ZoomOut)
        self.fit_action = self._action("Fit", pane.fit, QKeySequence("Ctrl+0"),
                                       "Fit the whole graph in the window")
        for action in (self.zoom_in_action, self.zoom_out_action, self.fit_action):
            bar.addAction(action)
        bar.addSeparator()
        self.search = QLineEdit()
        self.search.setObjectName("node_search")
        self.search.setPlaceholderText("Find node (name or op)…")
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(220)
        self.search.setToolTip("Type a variable name or an op (mul, matmul…) and press Enter")
        self.search.returnPressed.connect(self.find_next)
        bar.addWidget(self.search)
        bar.addSeparator()
        bar.addWidget(QLabel(" Font "))
        self.font_spin = QSpinBox()
        self.font_spin.setRange(6, 40)
        self.font_spin.setToolTip("Font size of the graph, code and inspector (projector: 16+)")
        bar.addWidget(self.font_spin)
        bar.addWidget(QLabel(" Layout "))
        self.engine_combo = QComboBox()
        self.engine_combo.addItems(ENGINES)
        self.engine_combo.setToolTip("auto: Graphviz dot for small graphs when installed, "
                                     "else the built-in layered layout")
        bar.addWidget(self.engine_combo)
        self.constants_action = self._action("Constants", self.layout_options_changed,
                                             tip="Show the constants torch saved as boxes")
        self.constants_action.setCheckable(True)
        self.collapse_action = self._action("Collapse chains", self.layout_options_changed,
                                            tip="Draw long chains of ops as one box")
        self.collapse_action.setCheckable(True)
        bar.addAction(self.constants_action)
        bar.addAction(self.collapse_action)
        self.addToolBar(bar)
        self.toolbar = bar

    def _build_status(self) -> None:
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setRange(0, 100)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_layout)
        self.zoom_label = QLabel("100 %")
        self.zoom_label.setToolTip("Zoom of the graph (Ctrl+0: fit)")
        self.notifications = Notifications(self.statusBar())
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)
        self.statusBar().addPermanentWidget(self.zoom_label)

    def _build_menus(self) -> None:
        menu = self.menuBar().addMenu("&File")
        menu.addAction(self._action("&Open code or session…", self.open_dialog, QKeySequence.Open))
        menu.addAction(self._action("&Save session", self.sessions.save, QKeySequence.Save))
        menu.addAction(self._action("Save session &as…", self.sessions.save_as,
                                    QKeySequence("Ctrl+Shift+S")))
        examples = menu.addMenu("&Examples")
        for example in EXAMPLES.values():
            examples.addAction(self._action(f"{example.name} — {example.title}",
                                            lambda _=False, n=example.name: self.load_example(n),
                                            tip=example.description))
        self.recent_menu = menu.addMenu("&Recent files")
        menu.addAction(self._action("&Export picture…", self.export_dialog, QKeySequence("Ctrl+E"),
                                    "PNG, SVG, PDF or DOT"))
        menu.addAction(self._action("Export all &steps…", self.export_steps_dialog,
                                    tip="One picture per backward step, for lecture slides"))
        menu.addSeparator()
        menu.addAction(self._action("&Quit", self.close, QKeySequence.Quit))
        edit = self.menuBar().addMenu("&Edit")
        self.undo_action = self.document.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.Undo)
        self.redo_action = self.document.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.Redo])
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        edit.addAction(self._action("&Preferences…", self.open_preferences,
                                    QKeySequence.Preferences,
                                    "Font size, theme, layout engine, precision, limits, autosave"))
        view = self.menuBar().addMenu("&View")
        for action in (self.zoom_in_action, self.zoom_out_action, self.fit_action):
            view.addAction(action)
        view.addAction(self._action("&Find node", self.search.setFocus, QKeySequence.Find))
        view.addSeparator()
        view.addAction(self.constants_action)
        view.addAction(self.collapse_action)
        view.addSeparator()
        view.addAction(self.code_dock.toggleViewAction())
        view.addAction(self.inspector_dock.toggleViewAction())
        view.addAction(self.palette_dock.toggleViewAction())
        view.addAction(self.stepper_dock.toggleViewAction())
        self.presentation_action = self._action(
            "&Presentation mode", self.toggle_presentation,
            [QKeySequence("F11"), QKeySequence("F5")],
            "Full screen, large fonts, the graph and the stepper only")
        self.presentation_action.setCheckable(True)
        view.addAction(self.presentation_action)
        view.addAction(self.block_dock.toggleViewAction())
        view.addAction(self.training_dock.toggleViewAction())
        view.addAction(self.timing_dock.toggleViewAction())
        view.addAction(self.toolbar.toggleViewAction())
        view.addSeparator()
        themes = view.addMenu("&Theme")
        self.theme_actions = {}
        group = QActionGroup(self)
        for theme, text in (("system", "Follow the &system"), ("light", "&Light"),
                            ("dark", "&Dark")):
            action = self._action(text, lambda _=False, t=theme: self.set_theme(t),
                                  tip=f"{text.replace('&', '')} colours for the window and canvas")
            action.setCheckable(True)
            action.setData(theme)
            group.addAction(action)
            themes.addAction(action)
            self.theme_actions[theme] = action
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&Tour", self.start_tour,
                                         tip="A one-minute guided tour of the window"))
        help_menu.addAction(self._action("&Keyboard shortcuts", self.show_shortcuts,
                                         QKeySequence("Ctrl+/"), "Every key the window answers to"))
        help_menu.addAction(self._action("&Course examples", self.show_examples,
                                         tip="Each example and the notebook cell it comes from"))
        help_menu.addSeparator()
        help_menu.addAction(self._action("&About NLA Explorer", self._about))

    def toggle_presentation(self) -> None:
        """F11/F5: full screen, big fonts, only the graph and the stepper (again: back)."""
        if self._normal_state is None:
            self._normal_state = (self.saveState(), self.font_spin.value(), self.isFullScreen())
            for dock in (self.code_dock, self.palette_dock, self.block_dock, self.inspector_dock):
                dock.hide()
            self.stepper_dock.show()
            self.stepper.set_presentation(True)
            self.setPalette(high_contrast_palette())
            self.font_spin.setValue(max(20, self.font_spin.value()))
            self.showFullScreen()
        else:
            state, font, full = self._normal_state
            self._normal_state = None
            self.restoreState(state)
            self.stepper.set_presentation(False)
            self.setPalette(QApplication.palette())
            self.font_spin.setValue(font)
            if not full:
                self.showNormal()
        self.presentation_action.setChecked(self._normal_state is not None)
        # the graph fills the new room, once laid out
        QTimer.singleShot(120, self.graph_pane.fit)

    def _about(self) -> None:
        QMessageBox.about(self, "About NLA Explorer",
                          f"<b>NLA Explorer {__version__}</b><p>See automatic differentiation: the "
                          "autograd graph torch builds, the forward value and gradient at every "
                          "node, and the backward pass step by step.</p>")
