"""Zoom keys shared by the graph view and the block canvas: + / - / 0."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

WHEEL_STEP = 1.15  # zoom factor of one wheel notch or key press


def zoom_keys(view, event) -> bool:
    """+ / - / 0 zoom in, out and fit ``view`` (anything with ``zoom_by`` and ``fit``)."""
    if event.matches(QKeySequence.ZoomIn) or event.key() in (Qt.Key_Plus, Qt.Key_Equal):
        view.zoom_by(WHEEL_STEP)
    elif event.matches(QKeySequence.ZoomOut) or event.key() == Qt.Key_Minus:
        view.zoom_by(1 / WHEEL_STEP)
    elif event.key() == Qt.Key_0:
        view.fit()
    else:
        return False
    return True
