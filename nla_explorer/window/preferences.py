"""Preferences in the window: read them at start, edit them in a dialog, apply them live.

The toolbar's font, layout and group boxes (and View ▸ Minimap) are quick access to some of the
preferences; the dialog edits all of them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from PySide6.QtCore import QObject, QSettings, QSignalBlocker
from PySide6.QtGui import QActionGroup, QKeySequence
from PySide6.QtWidgets import QDialog, QToolBar, QWidget

from nla_explorer.document import Document
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.panels.muted_text import checked_sheet
from nla_explorer.panels.step_card import StepCardView
from nla_explorer.panels.tensor_plot import TensorPlot, TensorView
from nla_explorer.preferences import KEYS, Preferences, load_preferences, save_preferences
from nla_explorer.preferences_dialog import PreferencesDialog
from nla_explorer.session_files import SessionFiles
from nla_explorer.themes import apply_theme
from nla_explorer.window.chrome import GraphToolbar, make_action

#: The views that draw in a ViewStyle's colours and are not handed it by the window itself (the
#: inspector's tensor views; the window's ``set_view_style`` reaches the panels).
STYLED_PANELS = (TensorView, TensorPlot)
THEME_MENU = (("system", "Follow the &system"), ("light", "&Light"), ("dark", "&Dark"))


class WindowPreferences(QObject):
    """Edit ▸ Preferences, View ▸ Theme and View ▸ Minimap: the preferences, stored and followed
    by ``window``; the toolbar's quick ones are stored as they change."""

    def __init__(self, window: QWidget, settings: QSettings, document: Document,
                 sessions: SessionFiles, toolbar: GraphToolbar,
                 set_fonts: Callable[[int], None],
                 set_view_style: Callable[[ViewStyle], None]) -> None:
        super().__init__(window)
        self.window, self.settings, self.document, self.sessions = (window, settings, document,
                                                                    sessions)
        self.toolbar = toolbar
        self.font_spin, self.engine_combo = toolbar.font_spin, toolbar.engine_combo
        self.set_fonts, self.set_view_style = set_fonts, set_view_style
        self.theme: str | None = None  # "light"/"dark" once preferences are applied
        self.dialog_action = make_action(
            window, "&Preferences…", self.open_dialog, QKeySequence.Preferences,
            "Font size, theme, layout engine, module groups, precision, limits, autosave")
        self.minimap_action = make_action(window, "&Minimap", self._minimap_toggled,
                                          tip="A small map of the whole graph in the view's "
                                              "corner (click it to go there)")
        self.minimap_action.setCheckable(True)
        self.minimap_action.setChecked(True)
        toolbar.groups_combo.currentIndexChanged.connect(
            lambda _: self.settings.setValue(KEYS["group_depth"], toolbar.group_depth()))
        toolbar.fold_action.toggled.connect(
            lambda on: self.settings.setValue(KEYS["fold_repeats"], int(on)))
        self.theme_actions = {}
        group = QActionGroup(window)
        for theme, text in THEME_MENU:
            action = make_action(window, text, lambda _=False, t=theme: self.set_theme(t),
                                 tip=f"{text.replace('&', '')} colours for the window and canvas")
            action.setCheckable(True)
            action.setData(theme)
            group.addAction(action)
            self.theme_actions[theme] = action

    def current(self) -> Preferences:
        stored = load_preferences(self.settings)
        return replace(stored, font_size=self.font_spin.value(),
                       layout_engine=self.engine_combo.currentText(),
                       group_depth=self.toolbar.group_depth(),
                       fold_repeats=int(self.toolbar.fold_action.isChecked()),
                       minimap=int(self.minimap_action.isChecked())).checked()

    def open_dialog(self) -> PreferencesDialog:
        dialog = PreferencesDialog(self.current(), self.window)
        dialog.finished.connect(lambda result: result == QDialog.Accepted and
                                self.apply(dialog.preferences()))
        dialog.open()  # window-modal sheet, not a blocking exec()
        return dialog

    def apply(self, preferences: Preferences) -> None:
        """Store ``preferences`` and make the window follow them (no restart): the views get a
        new style and draw again only where it changed what they show."""
        preferences = preferences.checked()
        save_preferences(self.settings, preferences)
        self.document.value_limit = preferences.value_limit
        self.sessions.set_autosave_interval(preferences.autosave_s)
        theme = apply_theme(preferences.theme)
        self.theme = theme
        lit = checked_sheet(ViewStyle.for_theme(theme))
        for bar in self.window.findChildren(QToolBar):  # the workspace shown, the toggles on
            bar.setStyleSheet(lit)
        toolbar = self.toolbar
        with (QSignalBlocker(self.font_spin), QSignalBlocker(self.engine_combo),
              QSignalBlocker(toolbar.groups_combo), QSignalBlocker(toolbar.fold_action)):
            self.font_spin.setValue(preferences.font_size)
            self.engine_combo.setCurrentText(preferences.layout_engine)
            toolbar.set_group_depth(preferences.group_depth)
            toolbar.fold_action.setChecked(bool(preferences.fold_repeats))
        self.set_fonts(preferences.font_size)
        style = (ViewStyle.for_theme(theme).with_font(preferences.font_size)
                 .with_precision(preferences.precision))
        self.set_view_style(style)  # the pane takes the toolbar's options, groups included
        self.minimap_action.setChecked(bool(preferences.minimap))
        self._show_minimap(bool(preferences.minimap))
        hand_style(self.window, style)
        for card in self.window.findChildren(StepCardView):
            card.set_jacobian_limit(preferences.jacobian_limit)
        for action in self.theme_actions.values():
            action.setChecked(action.data() == preferences.theme)

    def _minimap_toggled(self, on: bool) -> None:
        self.settings.setValue(KEYS["minimap"], int(on))
        self._show_minimap(on)

    def _show_minimap(self, on: bool) -> None:
        view = self.toolbar.pane.view
        if hasattr(view, "set_minimap_enabled"):  # the minimap is new: views without one ignore it
            view.set_minimap_enabled(on)

    def set_theme(self, theme: str) -> None:
        """View ▸ Theme: light, dark or the system's."""
        self.apply(replace(self.current(), theme=theme))


def hand_style(root: QWidget, style: ViewStyle) -> None:
    """Give ``style`` to each tensor view and plot under ``root``."""
    for kind in STYLED_PANELS:
        for panel in root.findChildren(kind):
            panel.set_view_style(style)
