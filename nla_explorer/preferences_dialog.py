"""Edit ▸ Preferences: font, theme, layout engine, module groups and the minimap, precision, value
and Jacobian limits, autosave, Python runs."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout,
    QWidget,
)

from nla_explorer.preferences import BOUNDS, ENGINES, GROUP_DEPTHS, THEMES, Preferences

_THEME_TEXT = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
_ENGINE_TEXT = {"auto": "Automatic (Graphviz for small graphs when installed)",
                "builtin": "Built-in layered layout", "dot": "Graphviz dot"}
_DEPTH_TEXT = {depth: text for text, depth in GROUP_DEPTHS}
_DEPTH_TEXT[GROUP_DEPTHS[0][1]] = "Auto (all open in a small graph, else the outermost calls)"


class PreferencesDialog(QDialog):
    """A form over :class:`Preferences`; ``preferences()`` reads it back, checked."""

    def __init__(self, current: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.font_spin = self._spin("font_size", " pt", "Text size of the graph, code, inspector "
                                    "and step card (a projector wants 16 or more)")
        self.theme_combo = self._combo(THEMES, _THEME_TEXT, "Light or dark window and canvas")
        self.engine_combo = self._combo(ENGINES, _ENGINE_TEXT, "How graphs are laid out")
        self.depth_combo = self._combo(tuple(_DEPTH_TEXT), _DEPTH_TEXT, "How deep the nn.Module "
                                       "calls of a captured model are drawn open (as frames); a "
                                       "closed one is one box. Double-click a group to open or "
                                       "close it")
        self.fold_check = QCheckBox("Fold repeated blocks")
        self.fold_check.setToolTip("Draw consecutive look-alike groups (a stack of layers) as "
                                   "one box ×N")
        self.minimap_check = QCheckBox("Show the minimap")
        self.minimap_check.setToolTip("A small map of the whole graph in the view's corner")
        self.precision_spin = self._spin("precision", " digits", "Significant digits of values "
                                         "on the graph, its edges and the step card")
        self.limit_spin = self._spin("value_limit", " elements", "Tensors up to this size keep "
                                     "all their values; larger ones keep min/max/mean/norm")
        self.limit_spin.setSingleStep(1000)
        self.jacobian_spin = self._spin("jacobian_limit", " entries", "The step card draws an "
                                        "op's local Jacobian ∂out/∂in up to this many entries "
                                        "(64×64 = 4096); 0 draws none")
        self.jacobian_spin.setSingleStep(256)
        self.autosave_spin = self._spin("autosave_s", " s", "How often unsaved work is written "
                                        "to the recovery file")
        self.memory_spin = self._spin("run_memory_mb", " MB", "Run as Python: the most memory the "
                                      "program's process may take (it stops with a message)")
        self.memory_spin.setSingleStep(512)
        self.time_spin = self._spin("run_time_limit_s", " s", "Run as Python: a run longer than "
                                    "this is stopped (Cancel stops it sooner)")
        self.trust_check = QCheckBox("Run my code as Python without asking")
        self.trust_check.setToolTip("Run as Python runs your code like a notebook does: run only "
                                    "code you trust")
        form = QFormLayout()
        form.addRow("Font size", self.font_spin)
        form.addRow("Theme", self.theme_combo)
        form.addRow("Layout engine", self.engine_combo)
        form.addRow("Module groups open to", self.depth_combo)
        form.addRow("", self.fold_check)
        form.addRow("", self.minimap_check)
        form.addRow("Value precision", self.precision_spin)
        form.addRow("Full values up to", self.limit_spin)
        form.addRow("Jacobians up to", self.jacobian_spin)
        form.addRow("Autosave every", self.autosave_spin)
        form.addRow("Python run memory", self.memory_spin)
        form.addRow("Python run time limit", self.time_spin)
        form.addRow("", self.trust_check)
        note = QLabel("The size limit applies to graphs captured from now on.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel |
                                   QDialogButtonBox.RestoreDefaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.RestoreDefaults).clicked.connect(
            lambda: self.show_preferences(Preferences()))
        buttons.button(QDialogButtonBox.RestoreDefaults).setToolTip("Back to the defaults")
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.show_preferences(current)

    def _spin(self, name: str, suffix: str, tip: str) -> QSpinBox:
        _, low, high = BOUNDS[name]
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setSuffix(suffix)
        spin.setToolTip(tip)
        return spin

    def _combo(self, values: tuple, texts: dict, tip: str) -> QComboBox:
        combo = QComboBox()
        for value in values:
            combo.addItem(texts[value], value)
        combo.setToolTip(tip)
        return combo

    def show_preferences(self, preferences: Preferences) -> None:
        self.font_spin.setValue(preferences.font_size)
        self.theme_combo.setCurrentIndex(THEMES.index(preferences.theme))
        self.engine_combo.setCurrentIndex(ENGINES.index(preferences.layout_engine))
        self.precision_spin.setValue(preferences.precision)
        self.limit_spin.setValue(preferences.value_limit)
        self.autosave_spin.setValue(preferences.autosave_s)
        self.memory_spin.setValue(preferences.run_memory_mb)
        self.time_spin.setValue(preferences.run_time_limit_s)
        self.trust_check.setChecked(bool(preferences.python_runs_allowed))
        self.jacobian_spin.setValue(preferences.jacobian_limit)
        self.depth_combo.setCurrentIndex(max(0, self.depth_combo.findData(
            preferences.group_depth)))
        self.fold_check.setChecked(bool(preferences.fold_repeats))
        self.minimap_check.setChecked(bool(preferences.minimap))

    def preferences(self) -> Preferences:
        return Preferences(
            font_size=self.font_spin.value(), theme=self.theme_combo.currentData(),
            layout_engine=self.engine_combo.currentData(), precision=self.precision_spin.value(),
            value_limit=self.limit_spin.value(), autosave_s=self.autosave_spin.value(),
            run_memory_mb=self.memory_spin.value(), run_time_limit_s=self.time_spin.value(),
            python_runs_allowed=int(self.trust_check.isChecked()),
            jacobian_limit=self.jacobian_spin.value(), group_depth=self.depth_combo.currentData(),
            fold_repeats=int(self.fold_check.isChecked()),
            minimap=int(self.minimap_check.isChecked())).checked()
