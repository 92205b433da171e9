"""The muted text colour of a widget's current palette (captions, placeholders), in any theme."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget


def muted_colour(widget: QWidget) -> str:
    """Two thirds of the way from the background to the text: readable (≥ 4.5:1) on the light
    and the dark palette alike, and quieter than the text."""
    palette = widget.palette()
    text, ground = palette.color(QPalette.WindowText), palette.color(QPalette.Window)
    mixed = [(2 * a + b) // 3 for a, b in zip(text.getRgb()[:3], ground.getRgb()[:3])]
    return QColor(*mixed).name()
