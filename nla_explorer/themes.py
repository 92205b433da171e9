"""Light and dark themes for the whole window: Qt's palette (what draws takes a ViewStyle of the
theme from the window: drawing/style.py).

"system" follows the desktop's colour scheme (Qt 6.5+ reports it); "light" and "dark" force one.
Both use the Fusion style, whose widgets follow the palette on every platform (with check boxes
framed so that they show: :class:`ReadableIndicators`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle

_DARK = {
    QPalette.Window: "#2b2b2b", QPalette.WindowText: "#e8e8e8", QPalette.Base: "#1f1f1f",
    QPalette.AlternateBase: "#2a2a2a", QPalette.Text: "#e8e8e8", QPalette.Button: "#353535",
    QPalette.ButtonText: "#e8e8e8", QPalette.BrightText: "#ff6b6b", QPalette.Highlight: "#3d8ee0",
    QPalette.HighlightedText: "#ffffff", QPalette.ToolTipBase: "#3a3a3a",
    QPalette.ToolTipText: "#f0f0f0", QPalette.PlaceholderText: "#9a9a9a", QPalette.Link: "#6cb4ff",
}
_LIGHT = {
    QPalette.Window: "#f3f3f3", QPalette.WindowText: "#1a1a1a", QPalette.Base: "#ffffff",
    QPalette.AlternateBase: "#f5f5f5", QPalette.Text: "#1a1a1a", QPalette.Button: "#ececec",
    QPalette.ButtonText: "#1a1a1a", QPalette.BrightText: "#c00000", QPalette.Highlight: "#2f6fb8",
    QPalette.HighlightedText: "#ffffff", QPalette.ToolTipBase: "#ffffe6",
    QPalette.ToolTipText: "#1a1a1a", QPalette.PlaceholderText: "#777777", QPalette.Link: "#0b57a4",
}


class ReadableIndicators(QProxyStyle):
    """Fusion, with each check box framed in the palette's placeholder grey: Fusion draws the
    frame a shade darker than the window (1.7:1 in the light theme), and an unticked box
    vanished in the dark theme; framed, it reads at 4:1 or more in both."""

    _BOXES = (QStyle.PE_IndicatorCheckBox, QStyle.PE_IndicatorItemViewItemCheck)

    def __init__(self) -> None:
        super().__init__("Fusion")

    def drawPrimitive(self, element, option, painter, widget=None) -> None:  # noqa: N802
        super().drawPrimitive(element, option, painter, widget)
        if element in self._BOXES:
            painter.save()
            painter.setPen(QPen(option.palette.color(QPalette.PlaceholderText), 1))
            painter.setBrush(Qt.NoBrush)
            painter.drawRect(option.rect.adjusted(0, 0, -1, -1))
            painter.restore()


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def resolve(theme: str) -> str:
    """``"light"`` or ``"dark"`` for a preference of ``"system"``, ``"light"`` or ``"dark"``."""
    if theme == "system":
        return "dark" if system_is_dark() else "light"
    return "dark" if theme == "dark" else "light"


def palette_for(name: str) -> QPalette:
    palette = QPalette()
    for role, colour in (_DARK if name == "dark" else _LIGHT).items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):  # greyed when disabled
        palette.setColor(QPalette.Disabled, role, QColor("#7a7a7a"))
    return palette


def apply_theme(theme: str, app: QApplication | None = None) -> str:
    """Switch the running application to ``theme``; returns the resolved ``"light"``/``"dark"``."""
    app = app or QApplication.instance()
    if app is None:  # headless: no palette to set
        return "dark" if theme == "dark" else "light"
    name = resolve(theme)
    if not isinstance(app.style(), ReadableIndicators):
        app.setStyle(ReadableIndicators())
    app.setPalette(palette_for(name))
    return name
