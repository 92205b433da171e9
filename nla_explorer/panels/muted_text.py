"""Colours from a widget's current palette, in any theme: the muted text colour (captions,
placeholders), and the :class:`ViewStyle` of the theme the palette is in (for what a panel draws
on the window's background: verdicts, card frames, note boxes).

Read them from the palette, not from a style handed down: the palette is what the widget is
painted on (presentation mode gives the window a high-contrast light one, whatever the theme).
Read them from a widget that has no style sheet of its own: a sheet's colours become its palette.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

from nla_explorer.drawing.style import ViewStyle


def muted_colour(widget: QWidget) -> str:
    """Two thirds of the way from the background to the text: readable (≥ 4.5:1) on the light
    and the dark palette alike, and quieter than the text."""
    palette = widget.palette()
    text, ground = palette.color(QPalette.WindowText), palette.color(QPalette.Window)
    mixed = [(2 * a + b) // 3 for a, b in zip(text.getRgb()[:3], ground.getRgb()[:3])]
    return QColor(*mixed).name()


def palette_theme(widget: QWidget) -> str:
    """``"dark"`` where ``widget`` is painted on a dark window background, else ``"light"``."""
    return "dark" if widget.palette().color(QPalette.Window).lightness() < 128 else "light"


def palette_style(widget: QWidget) -> ViewStyle:
    """The colours of the theme ``widget``'s palette is in (font size and precision default)."""
    return ViewStyle.for_theme(palette_theme(widget))


def checked_sheet(style: ViewStyle) -> str:
    """Tool buttons that are on (the workspace shown, the pass walked, a toggle), filled: Fusion
    draws a checked button barely darker than the others on the dark palette, which does not
    show from the back row (white on the Okabe–Ito blue, 5.2:1). Empty in the light theme."""
    if not style.is_dark:
        return ""
    return (f"QToolButton:checked:enabled {{ background: {style.input_highlight}; color: white; "
            f"border: 1px solid {style.note_border}; border-radius: 3px; }}")


def note_sheet(style: ViewStyle, selector: str = "QLabel") -> str:
    """A note box (a tinted panel with a frame) in ``style``'s colours."""
    return (f"{selector} {{ color: {style.note_text}; background: {style.note_fill}; "
            f"border: 1px solid {style.note_border}; border-radius: 4px; padding: 4px 6px; }}")
