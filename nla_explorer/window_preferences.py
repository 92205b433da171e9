"""Preferences in the window: read them at start, edit them in a dialog, apply them live.

A mixin of :class:`~nla_explorer.main_window.MainWindow`. The toolbar's font and layout boxes are
quick access to two of the preferences; the dialog edits all of them.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QDialog

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.panels.plot_theme import restyle_plots
from nla_explorer.preferences import Preferences, load_preferences, save_preferences
from nla_explorer.preferences_dialog import PreferencesDialog
from nla_explorer.themes import apply_theme


class WindowPreferences:
    """Edit ▸ Preferences and the theme switch (a mixin)."""

    def current_preferences(self) -> Preferences:
        stored = load_preferences(self.settings)
        return Preferences(self.font_spin.value(), stored.theme, self.engine_combo.currentText(),
                           stored.precision, stored.value_limit, stored.autosave_s).checked()

    def open_preferences(self) -> PreferencesDialog:
        dialog = PreferencesDialog(self.current_preferences(), self)
        dialog.finished.connect(lambda result: result == QDialog.Accepted and
                                self.apply_preferences(dialog.preferences()))
        dialog.open()  # window-modal sheet, not a blocking exec()
        return dialog

    def apply_preferences(self, preferences: Preferences) -> None:
        """Store ``preferences`` and make the window follow them (no restart): the views get a
        new style and draw again only where it changed what they show."""
        preferences = preferences.checked()
        save_preferences(self.settings, preferences)
        self.document.value_limit = preferences.value_limit
        self.sessions.set_autosave_interval(preferences.autosave_s)
        theme = apply_theme(preferences.theme)
        if theme != self.theme:
            self.theme = theme
            restyle_plots(self)
        with QSignalBlocker(self.font_spin), QSignalBlocker(self.engine_combo):
            self.font_spin.setValue(preferences.font_size)
            self.engine_combo.setCurrentText(preferences.layout_engine)
        self._set_panel_fonts(preferences.font_size)
        self.set_view_style(ViewStyle.for_theme(theme).with_font(preferences.font_size)
                            .with_precision(preferences.precision))
        for action in self.theme_actions.values():
            action.setChecked(action.data() == preferences.theme)

    def set_theme(self, theme: str) -> None:
        """View ▸ Theme: light, dark or the system's."""
        self.apply_preferences(replace(self.current_preferences(), theme=theme))
